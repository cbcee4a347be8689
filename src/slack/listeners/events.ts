/**
 * Events: messages and mentions become session messages (or `!agentmode` commands); opening the Home tab
 * publishes the person's Home. A message is acknowledged to Slack only after Restate accepted it: a failure
 * to forward is thrown, the HTTP answer is a 500 (or the socket envelope stays unacknowledged), and Slack
 * delivers the event again, which the idempotency key makes harmless.
 */
import type { App, Context } from "@slack/bolt";
import type { AgentSessionStoppedEvent, AppContextChangedEvent } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { toHomeKey, toSessionKey } from "../../restate/keys.ts";
import type { ChatMessage } from "../../restate/schemas.ts";
import { parseThreadModeArgs } from "../agentmode-command.ts";
import { DeliveryError } from "../delivery-error.ts";
import { classifyMessage, isDirectMessage, type SlackMessageEvent } from "../incoming-message.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { viewingNote } from "../viewing-context.ts";
import { threadModeConfirmation } from "../views/confirmations.ts";
import { botOf, type ListenerDeps } from "./deps.ts";
import { servesTeam } from "./this-workspace.ts";

/**
 * Slack's agent events as @slack/types declares them, every field optional: Slack's own reference example
 * of `app_context_changed` shows no `user`, so nothing is taken for granted.
 */
type AppContextChanged = Partial<AppContextChangedEvent>;
type AgentSessionStopped = Partial<AgentSessionStoppedEvent>;

/**
 * A message written to the agent in a DM carries where its author is looking in Slack (a note for the agent,
 * apart from what they wrote), when Slack's agent view said so lately and it is another channel: the agent
 * then knows what "this channel" means.
 */
function withViewingContext(
  chat: ChatMessage,
  event: SlackMessageEvent,
  deps: ListenerDeps,
  team: string,
): ChatMessage {
  if (!event.channel || !isDirectMessage(event.channel) || !event.user) return chat;
  // A person of one workspace: another workspace's person of the same id looks elsewhere.
  const viewing = deps.viewing.of(toHomeKey(team, event.user));
  if (!viewing || viewing === event.channel) return chat;
  return { ...chat, context: viewingNote(viewing) };
}

async function tellInThread(
  client: WebClient,
  deps: ListenerDeps,
  where: { channel: string; threadTs: string; user: string },
  text: string,
): Promise<void> {
  try {
    await client.chat.postEphemeral({
      channel: where.channel,
      user: where.user,
      thread_ts: where.threadTs,
      text,
    });
  } catch (error) {
    deps.logger.warn({ err: error }, "Could not post an ephemeral answer");
  }
}

export function registerEventListeners(app: App, deps: ListenerDeps): void {
  const { sessions, logger } = deps;

  const onMessage = async ({
    event,
    client,
    context,
  }: {
    event: unknown;
    client: WebClient;
    context: Context;
  }) => {
    const message = event as SlackMessageEvent;
    const incoming = classifyMessage(message, botOf(context));
    switch (incoming.kind) {
      case "ignore":
        logger.debug(`Not forwarded (${incoming.reason})`);
        return;
      case "forward":
        await sessions
          .forward(
            incoming.key,
            withViewingContext(incoming.message, message, deps, botOf(context).teamId),
            incoming.idempotencyKey,
          )
          .catch((error: unknown) => {
            throw new DeliveryError(error);
          });
        logger.debug({ session: incoming.key }, "Forwarded a message");
        return;
      case "agentmode": {
        // A command that mentions the bot arrives twice; the message event alone handles it.
        if (message.type !== "message") return;
        const where = { channel: incoming.channel, threadTs: incoming.threadTs, user: incoming.user };
        const parsed = parseThreadModeArgs(incoming.args);
        if ("error" in parsed) {
          await tellInThread(client, deps, where, parsed.error);
          return;
        }
        try {
          await sessions.setMode(incoming.key, parsed.mode, incoming.user);
        } catch (error) {
          if (!isRefusal(error)) throw new DeliveryError(error);
          await tellInThread(client, deps, where, refusalMessage(error));
          return;
        }
        await tellInThread(client, deps, where, threadModeConfirmation(parsed.mode, "this"));
        return;
      }
    }
  };
  app.event("message", onMessage);
  app.event("app_mention", onMessage);

  // Slack's own Stop button on a thread whose agent session is `processing`. Slack changes nothing by
  // itself: the session stops the run (if it started before the press), and the status follows.
  app.event("agent_session_stopped", async ({ event, body, context }) => {
    const stop = event as unknown as AgentSessionStopped;
    const bot = botOf(context);
    if (!servesTeam(bot, (body as { team_id?: string }).team_id)) {
      logger.warn("Ignored Slack's Stop from another workspace");
      return;
    }
    if (!stop.channel || !stop.thread_ts || !stop.user || !stop.event_ts) {
      logger.warn("Ignored Slack's Stop without its channel, thread, user or time");
      return;
    }
    const key = toSessionKey(bot.teamId, stop.channel, stop.thread_ts);
    await sessions
      .slackStop(key, stop.user, stop.event_ts, `agent_session_stopped:${key}:${stop.event_ts}`)
      .catch((error: unknown) => {
        throw new DeliveryError(error);
      });
    logger.info({ session: key, user: stop.user }, "Slack's Stop button pressed");
  });

  // Slack's agent view: the channel a person has open beside the agent's split pane. Remembered for the
  // next message they write to the agent in their DM (viewing-context.ts).
  app.event("app_context_changed", async ({ event, body, context }) => {
    const changed = event as unknown as AppContextChanged;
    if (!servesTeam(botOf(context), (body as { team_id?: string }).team_id) || !changed.user) return;
    const channel = changed.context?.entities?.find((e) => e.type === "slack#/types/channel_id")?.value;
    if (channel) deps.viewing.saw(toHomeKey(botOf(context).teamId, changed.user), channel);
  });

  app.event("app_home_opened", async ({ event, context }) => {
    if (event.tab !== "home") return;
    await sessions.homeOpened(botOf(context).teamId, event.user).catch((error: unknown) => {
      throw new DeliveryError(error);
    });
  });
}
