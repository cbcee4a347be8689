/**
 * What every listener gets: the way into our sessions, the workspace facts from auth.test, and the logger.
 */
import type { Logger } from "../../logger.ts";
import type { Mode } from "../../restate/modes.ts";
import type { Workspace } from "../incoming-message.ts";
import type { SessionsClient } from "../sessions-client.ts";

export interface ListenerDeps {
  readonly sessions: SessionsClient;
  readonly workspace: Workspace;
  /** `MODE`, shown as the app's default. */
  readonly defaultMode: Mode;
  readonly logger: Logger;
}
