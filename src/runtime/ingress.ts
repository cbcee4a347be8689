/**
 * The one way our processes reach Restate's ingress: a client over one URL (a load balancer, the embedded
 * server) or over a cluster's nodes (`RESTATE_INGRESS_URL=http://n1:8080,http://n2:8080,...`). With
 * several, a request goes to the node that answered last; a node that refuses the connection never saw the
 * request, so the same request goes to the next node at once. Any other failure (a reset, a 5xx) may have
 * reached Restate: it is the caller's to retry (with an idempotency key), and the next request tries
 * another node first.
 */
import * as clients from "@restatedev/restate-sdk-clients";

type ConnectOptions = Omit<Parameters<typeof clients.connect>[0], "url" | "fetch">;

export function connectIngress(urls: readonly string[], options: ConnectOptions = {}) {
  const [first] = urls;
  if (!first) throw new Error("connectIngress: no ingress URL");
  return clients.connect({
    ...options,
    url: first,
    ...(urls.length > 1 ? { fetch: failoverFetch(urls) } : {}),
  });
}

/**
 * Error codes of a connection that was never made: the request did not reach the node. (Not the
 * unreachable-host ones: they can also end a kept-alive connection a request was already sent on.)
 */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

function neverConnected(error: unknown): boolean {
  for (let cause = error as { code?: string; cause?: unknown } | undefined; cause; ) {
    if (cause.code && NEVER_CONNECTED.has(cause.code)) return true;
    cause = cause.cause as typeof cause;
  }
  return false;
}

/**
 * A fetch over several ingress URLs for requests the client addresses to the first: the path goes to the
 * preferred node, and on to the next while nodes refuse the connection.
 */
export function failoverFetch(urls: readonly string[], fetchImpl: typeof fetch = fetch): typeof fetch {
  const base = urls[0] ?? "";
  let preferred = 0;
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(base)) return fetchImpl(input, init);
    const path = url.slice(base.length);
    let lastError: unknown;
    const start = preferred;
    for (let tried = 0; tried < urls.length; tried += 1) {
      const index = (start + tried) % urls.length;
      try {
        const response = await fetchImpl(`${urls[index]}${path}`, init);
        // A node that is there but cannot serve (starting, or lost its partitions) is tried last next time.
        preferred = response.status >= 500 ? (index + 1) % urls.length : index;
        return response;
      } catch (error) {
        lastError = error;
        preferred = (index + 1) % urls.length;
        if (!neverConnected(error)) throw error;
      }
    }
    throw lastError;
  };
}
