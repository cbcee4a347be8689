/**
 * Talking to a Restate server's admin API at start-up: is it there, and registering our services
 * endpoint as a deployment. Errors name the URL and the setting it came from.
 */
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";

async function probe(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.body?.cancel();
    return response.ok ? null : `it answered HTTP ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).message;
  }
}

/**
 * Fails start-up with a clear message when an external server's admin API or ingress does not answer. Of a
 * cluster's nodes (several ingress URLs), one answering is enough: the others are named in a warning.
 */
export async function assertRestateReachable(
  urls: { ingressUrls: readonly string[]; adminUrl: string },
  logger: Pick<Logger, "warn">,
): Promise<void> {
  const problems: string[] = [];
  const admin = await probe(`${urls.adminUrl}/health`);
  if (admin)
    problems.push(`the Restate admin API at ${urls.adminUrl} (RESTATE_ADMIN_URL) is unreachable: ${admin}`);
  const ingress = await Promise.all(
    urls.ingressUrls.map(async (url) => ({ url, problem: await probe(`${url}/restate/health`) })),
  );
  const down = ingress.filter((node) => node.problem !== null);
  const described = down.map((node) => `${node.url}: ${node.problem}`).join(", ");
  if (ingress.length === 1 && down[0])
    problems.push(
      `the Restate ingress at ${down[0].url} (RESTATE_INGRESS_URL) is unreachable: ${down[0].problem}`,
    );
  else if (down.length === ingress.length)
    problems.push(`none of the Restate ingress URLs (RESTATE_INGRESS_URL) answers: ${described}`);
  else if (down.length > 0)
    logger.warn(`Some of the Restate ingress URLs do not answer now (RESTATE_INGRESS_URL): ${described}`);
  if (problems.length > 0) {
    throw new StartupError(
      `Cannot use the Restate server: ${problems.join("; ")}. Start it, fix the URLs, or leave RESTATE_EMBEDDED unset to use the embedded server.`,
    );
  }
}

export interface Deployment {
  readonly id: string;
  readonly services: readonly {
    readonly name: string;
    readonly ty?: string;
    readonly handlers?: readonly { readonly name: string; readonly ty?: string }[];
  }[];
}

/** What Restate compares when it pins invocations to code: each service's type and its handlers. */
function shapeOf(deployment: Deployment): string {
  return JSON.stringify(
    deployment.services
      .map((s) => [s.name, s.ty, (s.handlers ?? []).map((h) => `${h.name}:${h.ty ?? ""}`).sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/**
 * Registers the services endpoint at `endpointUrl` (Restate then calls it to discover our services).
 * `force` overwrites an existing deployment at the same URL even if its handlers changed: right for the
 * embedded development server, wrong for a server with runs in flight (see docs/operations.md, "Upgrading").
 * Without `force`, a URL that is already registered with other handlers is refused: Restate itself keeps
 * the old deployment and answers as if all were well, so we ask it (a dry run) what it would discover now.
 */
export async function registerDeployment(options: {
  adminUrl: string;
  endpointUrl: string;
  force: boolean;
}): Promise<Deployment> {
  const existing = await postDeployment(options, { force: options.force });
  if (options.force || existing.status !== 200) return existing.deployment;
  const discovered = await postDeployment(options, { force: true, dry_run: true });
  if (shapeOf(discovered.deployment) !== shapeOf(existing.deployment)) {
    throw new StartupError(
      `Not registered: ${options.endpointUrl} is already registered as ${existing.deployment.id} with different handlers, and Restate keeps that deployment as it is (it is not overwritten).${CHANGED_HANDLERS_HINT}`,
    );
  }
  return existing.deployment;
}

const CHANGED_HANDLERS_HINT =
  " Run the new version at a new URL (SERVICES_ADVERTISED_URL) and register that, so runs in flight finish on the code they started with.";

async function postDeployment(
  options: { adminUrl: string; endpointUrl: string },
  flags: { force: boolean; dry_run?: boolean },
): Promise<{ status: number; deployment: Deployment }> {
  let response: Response;
  try {
    response = await fetch(`${options.adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: options.endpointUrl, ...flags }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new StartupError(
      `Cannot register the services endpoint: the Restate admin API at ${options.adminUrl} (RESTATE_ADMIN_URL) is unreachable.`,
      { cause: error },
    );
  }
  const body = await response.text();
  if (!response.ok) {
    const hint =
      response.status === 409
        ? ` A deployment with different handlers is already registered at this URL.${CHANGED_HANDLERS_HINT}`
        : ` Check that Restate can reach ${options.endpointUrl} (SERVICES_ADVERTISED_URL).`;
    throw new StartupError(
      `Restate refused to register the services endpoint ${options.endpointUrl}: HTTP ${response.status} ${body.trim()}.${hint}`,
    );
  }
  return { status: response.status, deployment: JSON.parse(body) as Deployment };
}
