/**
 * Talking to a Restate server's admin API at start-up: is it there, and registering our services
 * endpoint as a deployment. Errors name the URL and the setting it came from.
 */
import { StartupError } from "../errors.ts";

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

/** Fails start-up with a clear message when an external server's ingress or admin API does not answer. */
export async function assertRestateReachable(urls: { ingressUrl: string; adminUrl: string }): Promise<void> {
  const problems: string[] = [];
  const admin = await probe(`${urls.adminUrl}/health`);
  if (admin)
    problems.push(`the Restate admin API at ${urls.adminUrl} (RESTATE_ADMIN_URL) is unreachable: ${admin}`);
  const ingress = await probe(`${urls.ingressUrl}/restate/health`);
  if (ingress)
    problems.push(
      `the Restate ingress at ${urls.ingressUrl} (RESTATE_INGRESS_URL) is unreachable: ${ingress}`,
    );
  if (problems.length > 0) {
    throw new StartupError(
      `Cannot use the Restate server: ${problems.join("; ")}. Start it, fix the URLs, or leave RESTATE_EMBEDDED unset to use the embedded server.`,
    );
  }
}

export interface Deployment {
  readonly id: string;
  readonly services: readonly { readonly name: string }[];
}

/**
 * Registers the services endpoint at `endpointUrl` (Restate then calls it to discover our services).
 * `force` overwrites an existing deployment at the same URL even if its handlers changed: right for the
 * embedded development server, wrong for a server with runs in flight (see docs/operations.md, "Upgrading").
 */
export async function registerDeployment(options: {
  adminUrl: string;
  endpointUrl: string;
  force: boolean;
}): Promise<Deployment> {
  let response: Response;
  try {
    response = await fetch(`${options.adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: options.endpointUrl, force: options.force }),
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
        ? " A deployment with different handlers is already registered at this URL: run the new version at a new URL " +
          "(SERVICES_ADVERTISED_URL) and register that, so runs in flight finish on the code they started with."
        : ` Check that Restate can reach ${options.endpointUrl} (SERVICES_ADVERTISED_URL).`;
    throw new StartupError(
      `Restate refused to register the services endpoint ${options.endpointUrl}: HTTP ${response.status} ${body.trim()}.${hint}`,
    );
  }
  return JSON.parse(body) as Deployment;
}
