/**
 * The Slack side's virtual objects by name: their Restate names (a public API, never renamed casually),
 * typed references for calling them, and their keys. Only types are imported from the implementations, so
 * a caller never loads an object's code. Holds no logic beyond names and keys.
 */
import type { SlackChannel } from "./slack-channel.ts";
import type { SlackInstallation } from "./slack-installation.ts";
import type { SlackThread } from "./slack-thread.ts";
import type { SlackWorkspace } from "./slack-workspace.ts";
import type { UserHome } from "./user-home.ts";

export const SLACK_THREAD = "SlackThread";
export const SLACK_CHANNEL = "SlackChannel";
export const USER_HOME = "UserHome";
export const SLACK_WORKSPACE = "SlackWorkspace";
export const SLACK_INSTALLATION = "SlackInstallation";

export const SlackThreadRef: SlackThread = { name: SLACK_THREAD };
export const SlackChannelRef: SlackChannel = { name: SLACK_CHANNEL };
export const UserHomeRef: UserHome = { name: USER_HOME };
export const SlackWorkspaceRef: SlackWorkspace = { name: SLACK_WORKSPACE };
export const SlackInstallationRef: SlackInstallation = { name: SLACK_INSTALLATION };
