/**
 * The Slack adapter's way into Restate: the ingress, with our services' typed contracts. Messages are
 * sent one-way with an idempotency key and resolve once Restate has accepted them (durably), which is when
 * the adapter may acknowledge Slack. Controls are calls, so their answers (and refusals) come back.
 */
import * as clients from "@restatedev/restate-sdk-clients";
import type { MessageReceipt, SessionStatus } from "../restate/chat-service.ts";
import { CHANNEL_SETTINGS, CHAT_SERVICE, ChannelSettingsRef, ChatServiceRef } from "../restate/contracts.ts";
import { toHomeKey } from "../restate/keys.ts";
import type { Mode } from "../restate/modes.ts";
import type { ChatMessage } from "../restate/schemas.ts";
import { connectIngress } from "../runtime/ingress.ts";
import { USER_HOME, UserHomeRef } from "./durable/slack-objects.ts";
import { signedInput, signedWrite } from "./signed-calls.ts";

export type SessionsClient = ReturnType<typeof createSessionsClient>;

/** A short retry within Slack's 3 seconds; safe, because every send carries an idempotency key. */
const INGRESS_RETRY = { maxAttempts: 3, initialInterval: 100, maxInterval: 500, maxDuration: 1500 };

/**
 * How long a request from Slack may wait for Restate, all attempts included: Slack waits 3 seconds for our
 * answer. An event still waiting then is given up and answered 500 (Slack delivers it again whatever we
 * do; should Restate take it in after all, the idempotency key makes the retry the same request, not a
 * second message); a control (`/agentmode`, the mode modal) is answered that the service did not answer.
 */
const INGRESS_DEADLINE_MS = 2500;

/** A deadline starting now; one answer that needs several calls passes the same one to each. */
export const startDeadline = (): AbortSignal => AbortSignal.timeout(INGRESS_DEADLINE_MS);

/** Options of a call: its own deadline, starting now, unless it shares one. */
const callOpts = <I, O>(deadline: AbortSignal = startDeadline()) =>
  clients.rpc.opts<I, O>({ signal: deadline });

export function createSessionsClient(ingressUrls: readonly string[], adapterKey: string) {
  const ingress = connectIngress(ingressUrls, { retry: INGRESS_RETRY });
  const chat = (key: string) => ingress.objectClient(ChatServiceRef, key);
  /** Options of a signed write to `service/key/handler` with `input`. */
  const signed = <I, O>(
    service: string,
    key: string,
    handler: string,
    input: I | undefined,
    deadline: AbortSignal = startDeadline(),
  ) =>
    clients.rpc.opts<I, O>({
      ...signedWrite(adapterKey, { service, handler, key }, input),
      signal: deadline,
    });

  /**
   * Options of a signed one-way send to `service/key/handler`, resolved once Restate has it durably. With
   * Slack's own delivery id as idempotency key (a redelivery is the same request); else the nonce's.
   */
  const signedSend = <I>(
    service: string,
    key: string,
    handler: string,
    input: I | undefined,
    idempotencyKey?: string,
  ) => {
    const signedOpts = idempotencyKey
      ? { ...signedInput(adapterKey, { service, handler, key }, input), idempotencyKey }
      : signedWrite(adapterKey, { service, handler, key }, input);
    return clients.rpc.sendOpts({ ...signedOpts, signal: startDeadline() });
  };

  return {
    /** Resolves when Restate has durably accepted the message; a repeated key is answered with the first. */
    async forward(key: string, message: ChatMessage, idempotencyKey: string): Promise<void> {
      const input = message as Parameters<ReturnType<typeof chat>["process_user_message"]>[0];
      await ingress
        .objectSendClient(ChatServiceRef, key)
        .process_user_message(
          input,
          signedSend(CHAT_SERVICE, key, "process_user_message", input, idempotencyKey),
        );
    },
    status: async (key: string, deadline?: AbortSignal): Promise<SessionStatus> =>
      chat(key).get_status(callOpts(deadline)),
    /** Sets a thread's mode; refused (404) for a thread without a session. Anyone in the thread may. */
    async setMode(key: string, mode: Mode | null, by: string) {
      const input = { mode, by, requireSession: true };
      return chat(key).set_mode(input, signed(CHAT_SERVICE, key, "set_mode", input));
    },
    /** Stops the run (only `runId`, if given); refused (403) for someone who is not in the session. */
    async stopRun(key: string, by: string, runId?: string) {
      const input = runId ? { by, runId } : { by };
      return chat(key).stop_run(input, signed(CHAT_SERVICE, key, "stop_run", input));
    },
    /**
     * Slack's Stop button was pressed in the session's thread: resolves once Restate has durably accepted
     * it (then Slack may be acknowledged); the session decides whether a run started before the press.
     */
    async slackStop(key: string, by: string, pressedAt: string, idempotencyKey: string): Promise<void> {
      const input = { by, pressedAt };
      await ingress
        .objectSendClient(ChatServiceRef, key)
        .stop_from_slack(input, signedSend(CHAT_SERVICE, key, "stop_from_slack", input, idempotencyKey));
    },
    /** Records a click on an answer's feedback buttons; refused (404) for a thread without a session. */
    async recordFeedback(
      key: string,
      feedback: { by: string; runId: string; value: "positive" | "negative"; clickedAt: string },
    ) {
      return chat(key).record_feedback(feedback, signed(CHAT_SERVICE, key, "record_feedback", feedback));
    },
    /**
     * A person's decision on a waiting approval; refused (403) for someone who may not decide, (404) for
     * one that no longer waits. A decision that came second answers `already`, with the first.
     */
    async decideApproval(
      key: string,
      decision: { by: string; approvalId: string; approve: boolean; reason?: string; decidedAt: string },
    ) {
      return chat(key).decide_approval(decision, signed(CHAT_SERVICE, key, "decide_approval", decision));
    },
    /** Undoes what an interrupted run did; refused (403) for someone not in the session. Once: `already` after. */
    async undoRun(key: string, by: string, runId: string) {
      const input = { by, runId };
      return chat(key).undo_run(input, signed(CHAT_SERVICE, key, "undo_run", input));
    },
    /** Resets the session; refused (403) for someone who is not in the session. */
    async reset(key: string, by: string) {
      return chat(key).reset({ by }, signed(CHAT_SERVICE, key, "reset", { by }));
    },
    /** Removes a queued message; refused (403) unless `by` queued it or is in the session. */
    async removeQueued(key: string, id: string, by: string) {
      const input = { id, by };
      return chat(key).remove_queued(input, signed(CHAT_SERVICE, key, "remove_queued", input));
    },
    channelOverview: async (channelKey: string, deadline?: AbortSignal) =>
      ingress.objectClient(ChannelSettingsRef, channelKey).get_overview(callOpts(deadline)),
    async setChannelMode(channelKey: string, mode: Mode | null) {
      const input = { mode, requireSession: false };
      return ingress
        .objectClient(ChannelSettingsRef, channelKey)
        .set_mode(input, signed(CHANNEL_SETTINGS, channelKey, "set_mode", input));
    },
    /** Publishes the person's Home (one-way: Slack needs no answer). */
    async homeOpened(team: string, user: string): Promise<void> {
      const key = toHomeKey(team, user);
      await ingress
        .objectSendClient(UserHomeRef, key)
        .opened(signedSend(USER_HOME, key, "opened", undefined));
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
  if ((error as Error | null)?.name === "TimeoutError")
    return "the agent service did not answer in time; try again in a moment";
  return "the agent service could not be reached; try again in a moment";
}

/** Whether a call was refused by our own rules (4xx), as opposed to failing. */
export function isRefusal(error: unknown): boolean {
  return error instanceof clients.HttpCallError && error.status >= 400 && error.status < 500;
}

export type { MessageReceipt };
