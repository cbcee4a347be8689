/**
 * The bot scopes the app needs, and why: each Web API method we call and each event we take, with the
 * scope Slack requires for it. manifest.yml asks for exactly these; a test checks both against the code.
 */

/** Web API methods we call, and the scopes they need (none: any bot token may call them). */
export const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  // Each thread's Slack agent session: its status (Slack shows Stop while it is `processing`). Slack's
  // reference asks for chat:write, from an app declared as an agent (FEATURE_SCOPES).
  "agents.sessions.setStatus": ["chat:write"],
  "auth.test": [],
  "chat.postMessage": ["chat:write"],
  "chat.postEphemeral": ["chat:write"],
  // Streamed answers: a live message updated in place, then replaced with the final text.
  "chat.update": ["chat:write"],
  // post_to_channel's undo: deleting the bot's own post.
  "chat.delete": ["chat:write"],
  // post_to_channel: finding a channel by name, and whether the person who approved is a member of it.
  "conversations.list": ["channels:read", "groups:read"],
  "conversations.members": ["channels:read", "groups:read"],
  // post_to_channel looks for its own earlier post (by its metadata) before posting again, and to undo it.
  "conversations.history": ["channels:history", "groups:history", "metadata.message:read"],
  // Looking for our own earlier post on a retry (with its message metadata), and the LLM agent's
  // read_thread tool: a thread's history.
  "conversations.replies": [
    "channels:history",
    "groups:history",
    "im:history",
    "mpim:history",
    "metadata.message:read",
  ],
  // OAuth: trading an install's code (or, with token rotation, a refresh token) for the bot's tokens.
  "oauth.v2.access": [],
  "reactions.add": ["reactions:write"],
  "reactions.remove": ["reactions:write"],
  "views.publish": [],
  "views.open": [],
};

/** Events we subscribe to, and the scopes they need. */
export const EVENT_SCOPES: Readonly<Record<string, readonly string[]>> = {
  // Slack's own Stop button on a thread whose agent session is processing (an agent app's event).
  agent_session_stopped: [],
  // Slack's agent view: the channel a person has open beside the agent's split pane (agent apps only).
  app_context_changed: [],
  app_home_opened: [],
  app_mention: ["app_mentions:read"],
  // The app leaving a workspace (OAuth): its installation removed, its runs stopped (listeners/installs.ts).
  app_uninstalled: [],
  tokens_revoked: [],
  "message.channels": ["channels:history"],
  "message.groups": ["groups:history"],
  "message.im": ["im:history"],
  "message.mpim": ["mpim:history"],
};

/**
 * The slash command and the message shortcut (`commands`); the declaration as an agent (`agent_view`),
 * which Slack's agent sessions require and which adds `assistant:write`.
 */
export const FEATURE_SCOPES: readonly string[] = ["commands", "assistant:write"];

export function requiredScopes(): string[] {
  return [
    ...new Set([
      ...Object.values(METHOD_SCOPES).flat(),
      ...Object.values(EVENT_SCOPES).flat(),
      ...FEATURE_SCOPES,
    ]),
  ].sort();
}
