/**
 * Events: messages and mentions become session messages (or `!agentmode` commands); opening the Home tab
 * publishes the person's Home. A message is acknowledged to Slack only after Restate accepted it: a failure
 * to forward is thrown, the HTTP answer is a 500 (or the socket envelope stays unacknowledged), and Slack
 * delivers the event again, which the idempotency key makes harmless.
 */
import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { parseThreadModeArgs } from "../agentmode-command.ts";
import { DeliveryError } from "../delivery-error.ts";
import { classifyMessage, type SlackMessageEvent } from "../incoming-message.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { threadModeConfirmation } from "../views/confirmations.ts";
import type { ListenerDeps } from "./deps.ts";

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
  const { sessions, bot, logger } = deps;

  const onMessage = async ({ event, client }: { event: unknown; client: WebClient }) => {
    const message = event as SlackMessageEvent;
    const incoming = classifyMessage(message, bot);
    switch (incoming.kind) {
      case "ignore":
        logger.debug(`Not forwarded (${incoming.reason})`);
        return;
      case "forward":
        await sessions
          .forward(incoming.key, incoming.message, incoming.idempotencyKey)
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

  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    await sessions.homeOpened(bot.teamId, event.user).catch((error: unknown) => {
      throw new DeliveryError(error);
    });
  });
}
