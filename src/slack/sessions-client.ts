/**
 * The Slack adapter's way into Restate: the ingress, with our services' typed contracts. Messages are
 * sent one-way with an idempotency key and resolve once Restate has accepted them (durably), which is when
 * the adapter may acknowledge Slack. Controls are calls, so their answers (and refusals) come back.
 */
import * as clients from "@restatedev/restate-sdk-clients";
import type { MessageReceipt, SessionStatus } from "../restate/chat-service.ts";
import { ChannelSettingsRef, ChatServiceRef } from "../restate/contracts.ts";
import type { Mode } from "../restate/modes.ts";
import type { ChatMessage } from "../restate/schemas.ts";
import { homeKey, UserHomeRef } from "./durable/contracts.ts";

export type SessionsClient = ReturnType<typeof createSessionsClient>;

/** A short retry within Slack's 3 seconds; safe, because every send carries an idempotency key. */
const INGRESS_RETRY = { maxAttempts: 3, initialInterval: 100, maxInterval: 500, maxDuration: 1500 };

/**
 * How long an event may wait for Restate to accept it, all attempts included: Slack waits 3 seconds for
 * our answer and then delivers the event again whatever we do, so a send still waiting then is given up
 * and answered 500. Should Restate take it in after all, the idempotency key makes Slack's retry the same
 * request, not a second message.
 */
export const FORWARD_DEADLINE_MS = 2500;

export function createSessionsClient(ingressUrl: string) {
  const ingress = clients.connect({ url: ingressUrl, retry: INGRESS_RETRY });
  const chat = (key: string) => ingress.objectClient(ChatServiceRef, key);

  return {
    /** Resolves when Restate has durably accepted the message; a repeated key is answered with the first. */
    async forward(key: string, message: ChatMessage, idempotencyKey: string): Promise<void> {
      await ingress
        .objectSendClient(ChatServiceRef, key)
        .process_user_message(
          message as Parameters<ReturnType<typeof chat>["process_user_message"]>[0],
          clients.rpc.sendOpts({ idempotencyKey, signal: AbortSignal.timeout(FORWARD_DEADLINE_MS) }),
        );
    },
    status: async (key: string): Promise<SessionStatus> => chat(key).get_status(),
    /** Sets a thread's mode; refused (404) for a thread without a session. Anyone in the thread may. */
    setMode: async (key: string, mode: Mode | null, by: string) =>
      chat(key).set_mode({ mode, by, requireSession: true }),
    /** Stops the run; refused (403) for someone who is not in the session. */
    stopRun: async (key: string, by: string) => chat(key).stop_run({ by }),
    /** Resets the session; refused (403) for someone who is not in the session. */
    reset: async (key: string, by: string) => chat(key).reset({ by }),
    /** Removes a queued message; refused (403) unless `by` queued it or is in the session. */
    removeQueued: async (key: string, id: string, by: string) => chat(key).remove_queued({ id, by }),
    channelOverview: async (channelKey: string) =>
      ingress.objectClient(ChannelSettingsRef, channelKey).get_overview(),
    setChannelMode: async (channelKey: string, mode: Mode | null) =>
      ingress.objectClient(ChannelSettingsRef, channelKey).set_mode({ mode, requireSession: false }),
    /** Publishes the person's Home (one-way: Slack needs no answer). */
    async homeOpened(team: string, user: string): Promise<void> {
      await ingress
        .objectSendClient(UserHomeRef, homeKey(team, user))
        .opened(clients.rpc.sendOpts({ signal: AbortSignal.timeout(FORWARD_DEADLINE_MS) }));
    },
  };
}

/** What a refused call said (Restate's `{"message": ...}`), for telling the person. */
export function refusalMessage(error: unknown): string {
  if (error instanceof clients.HttpCallError) {
    try {
      const body = JSON.parse(error.responseText) as { message?: string };
      if (body.message) return body.message;
    } catch {
      // not JSON
    }
    return `the agent service answered ${error.status}`;
  }
  return "the agent service could not be reached; try again in a moment";
}

/** Whether a call was refused by our own rules (4xx), as opposed to failing. */
export function isRefusal(error: unknown): boolean {
  return error instanceof clients.HttpCallError && error.status >= 400 && error.status < 500;
}

export type { MessageReceipt };
