/**
 * Reading a session through the ingress as a test does: its status, its history, and a bounded wait until
 * it is idle. One place for these, so every test reads a session the same way. A Slack thread's history is
 * read as the Slack adapter reads it (signed with the test products' adapter key): nobody else may.
 */
import { signRequest } from "../../src/restate/caller.ts";
import type { SessionStatus } from "../../src/restate/chat-service.ts";
import { parseSessionKey } from "../../src/restate/keys.ts";
import type { IngressClient } from "./ingress.ts";
import { TEST_ADAPTER_KEY } from "./product-settings.ts";
import { waitFor } from "./wait.ts";

export interface HistoryLine {
  readonly role: string;
  readonly content: string;
}

/** `adapterKey`: the product's, for a product that does not run with the tests' key (`npm start`'s own). */
export function sessionReads(ingress: IngressClient, adapterKey: string = TEST_ADAPTER_KEY) {
  const path = (key: string, handler: string) => `ChatService/${encodeURIComponent(key)}/${handler}`;
  const status = (key: string) => ingress.call<SessionStatus>(path(key, "get_status"));
  const history = async (key: string) => {
    const asAdapter = parseSessionKey(key)
      ? signRequest(adapterKey, { service: "ChatService", handler: "get_history", key }, new Uint8Array())
      : {};
    const response = await ingress.request<{ entries: HistoryLine[] }>(
      path(key, "get_history"),
      undefined,
      asAdapter,
    );
    if (response.status !== 200)
      throw new Error(`get_history of ${key} answered ${response.status}: ${response.text}`);
    return response.body.entries;
  };
  /** Waits until the session has no active run. */
  const idle = (key: string, timeoutMs?: number) =>
    waitFor(async () => ((await status(key)).activeRun === null ? true : undefined), {
      what: `session ${key} to go idle`,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  return { status, history, idle };
}
