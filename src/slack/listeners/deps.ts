/**
 * What every listener gets: the way into our sessions, the logger, and (`botOf`) who the bot is in the
 * workspace a request comes from, which the adapter puts into each request's context before any listener.
 */
import type { Context } from "@slack/bolt";
import type { Logger } from "../../logger.ts";
import type { Mode } from "../../restate/modes.ts";
import type { BotIdentity } from "../incoming-message.ts";
import type { Installations } from "../installations.ts";
import type { SessionsClient } from "../sessions-client.ts";
import type { ViewingContexts } from "../viewing-context.ts";

export interface ListenerDeps {
  readonly sessions: SessionsClient;
  /** `MODE`, shown as the app's default. */
  readonly defaultMode: Mode;
  readonly logger: Logger;
  /** What each person looks at beside the agent's split pane (Slack's agent view). */
  readonly viewing: ViewingContexts;
  /** The installations, with OAuth; null with one bot token. */
  readonly installations: Installations | null;
}

/** The bot of the request's workspace (set by the adapter's first middleware, from its installation). */
export function botOf(context: Context): BotIdentity {
  const bot = context.bot as BotIdentity | undefined;
  if (!bot)
    throw new Error("no bot identity in the request's context (the adapter's middleware did not run)");
  return bot;
}
