/**
 * Reading a session through the ingress as a test does: its status, its history, and a bounded wait until
 * it is idle. One place for these, so every test reads a session the same way.
 */
import type { SessionStatus } from "../../src/restate/chat-service.ts";
import type { IngressClient } from "./ingress.ts";
import { waitFor } from "./wait.ts";

export interface HistoryLine {
  readonly role: string;
  readonly content: string;
}

export function sessionReads(ingress: IngressClient) {
  const path = (key: string, handler: string) => `ChatService/${encodeURIComponent(key)}/${handler}`;
  const status = (key: string) => ingress.call<SessionStatus>(path(key, "get_status"));
  const history = async (key: string) =>
    (await ingress.call<{ entries: HistoryLine[] }>(path(key, "get_history"))).entries;
  /** Waits until the session has no active run. */
  const idle = (key: string, timeoutMs?: number) =>
    waitFor(async () => ((await status(key)).activeRun === null ? true : undefined), {
      what: `session ${key} to go idle`,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  return { status, history, idle };
}
