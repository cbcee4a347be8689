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
