/**
 * Feedback on answers: a click on the feedback buttons under an answer is recorded on its session. Which
 * session and which run are read from the message that carries the buttons (our own post's metadata, asked
 * of Slack when the click does not carry it), never from the button's value, which says only good or bad.
 * The click is acknowledged once the session has it; a failure is explained to the person, in an ephemeral.
 */
import type { App, BlockAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { parseSessionKey } from "../../restate/keys.ts";
import { FEEDBACK_ACTION_ID, FEEDBACK_VALUES } from "../output-message.ts";
import { AGENT_OUTPUT_EVENT, type AgentOutputPayload } from "../post-metadata.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { botOf, type ListenerDeps } from "./deps.ts";
import { assertFromThisWorkspace, ControlRefusal } from "./this-workspace.ts";

type FeedbackArgs = SlackActionMiddlewareArgs<BlockAction> & { client: WebClient };
type Metadata = { event_type?: string; event_payload?: Partial<AgentOutputPayload> };

/** The answer a message shows: its session and run, from our metadata on it (checked: it came from Slack). */
export function answerOf(
  metadata: unknown,
  where: { team: string; channel: string },
): { sessionKey: string; runId: string } | null {
  const ours = metadata as Metadata | undefined;
  if (ours?.event_type !== AGENT_OUTPUT_EVENT) return null;
  const payload = ours.event_payload;
  const place = typeof payload?.session_key === "string" ? parseSessionKey(payload.session_key) : null;
  if (!place || place.team !== where.team || place.channel !== where.channel) return null;
  const parts = Array.isArray(payload?.parts) ? payload.parts : [];
  const answer = parts.findLast((part) => part?.final) ?? parts.at(-1);
  if (typeof answer?.run_id !== "string" || answer.run_id === "") return null;
  return { sessionKey: payload?.session_key as string, runId: answer.run_id };
}

/** Our metadata on the message `ts` of `channel`, as Slack has it (a click need not carry it). */
async function metadataOf(client: WebClient, channel: string, ts: string): Promise<Metadata | undefined> {
  const answer = await client.conversations.replies({
    channel,
    ts,
    oldest: ts,
    latest: ts,
    inclusive: true,
    limit: 2,
    include_all_metadata: true,
  });
  return answer.messages?.find((message) => message.ts === ts)?.metadata as Metadata | undefined;
}

export function registerFeedbackListeners(app: App, deps: ListenerDeps): void {
  const { sessions, logger } = deps;

  app.action<BlockAction>({ action_id: FEEDBACK_ACTION_ID }, async (args) => {
    const { body, action, client } = args as FeedbackArgs;
    const user = body.user.id;
    const bot = botOf(args.context);
    try {
      assertFromThisWorkspace(body, bot);
      const value = (action as { value?: string }).value;
      if (value !== FEEDBACK_VALUES.positive && value !== FEEDBACK_VALUES.negative)
        throw new ControlRefusal("these buttons say neither good nor bad.");
      const container = (body.container ?? {}) as { type?: string; channel_id?: string; message_ts?: string };
      if (container.type !== "message" || !container.channel_id || !container.message_ts)
        throw new ControlRefusal("feedback is given on an answer in a thread.");
      const where = { team: bot.teamId, channel: container.channel_id };
      const carried = (body.message as { metadata?: Metadata } | undefined)?.metadata;
      const answer =
        answerOf(carried, where) ??
        answerOf(await metadataOf(client, container.channel_id, container.message_ts), where);
      if (!answer) throw new ControlRefusal("this message is not one of the agent's answers.");
      const clickedAt = (action as { action_ts?: string }).action_ts ?? "";
      if (!/^\d+\.\d+$/.test(clickedAt)) throw new ControlRefusal("the click does not say when it was made.");
      const { changed } = await sessions.recordFeedback(answer.sessionKey, {
        by: user,
        runId: answer.runId,
        value,
        clickedAt,
      });
      logger.info(
        { session: answer.sessionKey, run: answer.runId, user, value, changed },
        "Feedback on an answer arrived",
      );
      await args.ack();
    } catch (error) {
      // Acknowledged all the same: Slack would show the person an error, and a retry would change nothing.
      await args.ack();
      if (!(error instanceof ControlRefusal) && !isRefusal(error))
        logger.warn({ err: error }, "Feedback failed");
      const reason = error instanceof ControlRefusal ? error.message : refusalMessage(error);
      await args
        .respond({
          response_type: "ephemeral",
          replace_original: false,
          text: `Could not record your feedback: ${reason}`,
        })
        .catch(() => {});
    }
  });
}
