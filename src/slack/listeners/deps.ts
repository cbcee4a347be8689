/**
 * What every listener gets: the way into our sessions, who the bot is (from auth.test), and the logger.
 */
import type { Logger } from "../../logger.ts";
import type { Mode } from "../../restate/modes.ts";
import type { BotIdentity } from "../incoming-message.ts";
import type { SessionsClient } from "../sessions-client.ts";
import type { ViewingContexts } from "../viewing-context.ts";

export interface ListenerDeps {
  readonly sessions: SessionsClient;
  readonly bot: BotIdentity;
  /** `MODE`, shown as the app's default. */
  readonly defaultMode: Mode;
  readonly logger: Logger;
  /** What each person looks at beside the agent's split pane (Slack's agent view). */
  readonly viewing: ViewingContexts;
}
