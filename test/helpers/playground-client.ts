/**
 * A person in the playground without a browser: what they do (the page's actions) and what they see (the
 * page's snapshot), through the playground's own HTTP API, as the page itself calls it.
 */
import type {
  ActionResult,
  PlaygroundAction,
  PlaygroundSnapshot,
} from "../../src/playground/web/protocol.ts";

export function playgroundClient(baseUrl: string) {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    /** What `user` sees now. */
    async state(user: string): Promise<PlaygroundSnapshot> {
      const response = await fetch(`${base}/playground/state?user=${user}`);
      if (response.status !== 200) throw new Error(`playground state answered ${response.status}`);
      return (await response.json()) as PlaygroundSnapshot;
    },
    /** Does `action` as `user`; throws unless the playground took it. */
    async act(user: string, action: PlaygroundAction): Promise<ActionResult> {
      const response = await fetch(`${base}/playground/actions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user, action }),
      });
      const result = (await response.json()) as ActionResult;
      if (response.status !== 200 || !result.ok)
        throw new Error(
          `playground action ${action.type} answered ${response.status}: ${JSON.stringify(result)}`,
        );
      return result;
    },
  };
}

export type PlaygroundClient = ReturnType<typeof playgroundClient>;
