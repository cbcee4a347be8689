/** Registers every listener, grouped by Slack feature (one file each); registration only, no logic here. */
import type { App } from "@slack/bolt";
import { registerActionListeners } from "./actions.ts";
import { registerApprovalListeners } from "./approvals.ts";
import { registerCommandListeners } from "./commands.ts";
import type { ListenerDeps } from "./deps.ts";
import { registerEventListeners } from "./events.ts";
import { registerFeedbackListeners } from "./feedback.ts";
import { registerInstallListeners } from "./installs.ts";
import { registerShortcutListeners } from "./shortcuts.ts";

export function registerListeners(app: App, deps: ListenerDeps): void {
  registerEventListeners(app, deps);
  registerCommandListeners(app, deps);
  registerActionListeners(app, deps);
  registerFeedbackListeners(app, deps);
  registerApprovalListeners(app, deps);
  registerShortcutListeners(app, deps);
  registerInstallListeners(app, deps);
}
