/** SQL on a running Restate's admin API (`state`, `sys_invocation`, ...), for a product started as a process. */
export async function adminQuery<Row = Record<string, unknown>>(
  adminUrl: string,
  sql: string,
): Promise<Row[]> {
  const response = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: sql }),
  });
  if (!response.ok) throw new Error(`query failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { rows: Row[] }).rows;
}

/**
 * The same over a cluster's introspection: it reads from every node, and a node restarted under it (or one
 * still catching up) can lose its part of the scan ("No such scanner"): asked again, as a person would.
 */
export async function clusterAdminQuery<Row = Record<string, unknown>>(
  adminUrl: string,
  sql: string,
): Promise<Row[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await adminQuery<Row>(adminUrl, sql);
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
