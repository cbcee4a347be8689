/** The page's only connection to the playground: the workspace as one person sees it, changes, actions. */
import type { ActionResult, PlaygroundAction, PlaygroundSnapshot } from "./protocol.ts";

export async function loadSnapshot(user: string | null, team: string | null): Promise<PlaygroundSnapshot> {
  const query = new URLSearchParams({ ...(user ? { user } : {}), ...(team ? { team } : {}) }).toString();
  const response = await fetch(`/playground/state${query ? `?${query}` : ""}`);
  if (!response.ok) throw new Error(`The playground answered ${response.status}`);
  return (await response.json()) as PlaygroundSnapshot;
}

export async function perform(
  user: string,
  team: string | null,
  action: PlaygroundAction,
): Promise<ActionResult> {
  try {
    const response = await fetch("/playground/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user, ...(team ? { team } : {}), action }),
    });
    const body = (await response.json()) as ActionResult | { ok: false; error: string };
    return body;
  } catch (error) {
    return { ok: false, error: `The playground cannot be reached: ${(error as Error).message}` };
  }
}

/**
 * Listens for changes (server-sent events). `onHello` gets the playground's instance id at every
 * (re)connection: a new id means it restarted. The browser reconnects a dropped stream by itself, but gives
 * up for good when an answer is not an event stream, which a playground that is still starting gives for a
 * moment (its page server comes up before the stream does): then a new stream is opened after a second.
 */
export function listen(handlers: {
  onHello: (instance: string) => void;
  onChange: () => void;
  onConnection: (connected: boolean) => void;
}): void {
  const connect = () => {
    const source = new EventSource("/playground/events");
    source.addEventListener("hello", (event) => {
      handlers.onConnection(true);
      handlers.onHello((JSON.parse((event as MessageEvent<string>).data) as { instance: string }).instance);
    });
    source.addEventListener("change", () => handlers.onChange());
    source.addEventListener("error", () => {
      handlers.onConnection(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000);
    });
  };
  connect();
}
