/**
 * Slack's agent sessions: `agents.sessions.setStatus` (which creates a thread's session on first use, with
 * its title and initiator, and ignores both afterwards) and `agents.sessions.rename`, with the argument
 * rules of Slack's reference: `channel_id` always, `thread_ts` for a session in a thread (every session
 * here: the emulator has no session channels), a status Slack knows, a title of at most 200 characters,
 * an initiator who is in the channel; renaming a session that does not exist is `session_not_found`.
 */
import { type Args, channelForBot, type Json, type MethodContext, SlackApiError, str } from "./method-kit.ts";
import { AGENT_SESSION_STATUSES, type AgentSessionStatus, type EmAgentSession } from "./workspace.ts";

const MAX_TITLE = 200;
const STATUSES_KEPT = 100;
const STOP_NOT_SUBSCRIBED = "missing_agent_session_stopped_event_subscription";

/** The thread a session lives in: the channel the bot is in, and a root message there. */
function threadOf(ctx: MethodContext, args: Args): { channel: string; threadTs: string } {
  const channel = channelForBot(ctx, str(args, "channel_id"));
  const threadTs = str(args, "thread_ts", false);
  if (!threadTs)
    throw new SlackApiError("invalid_arguments", "thread_ts is required for a session in a thread");
  const root = ctx.workspace.message(channel.id, threadTs);
  if (!root || (root.threadTs && root.threadTs !== root.ts)) throw new SlackApiError("thread_not_found");
  return { channel: channel.id, threadTs };
}

function titleArg(args: Args, required: boolean): string {
  const title = str(args, "title", required);
  if (title.length > MAX_TITLE)
    throw new SlackApiError("invalid_arguments", `title is over ${MAX_TITLE} characters`);
  return title;
}

const sessionJson = (session: EmAgentSession): Json => ({
  channel_id: session.channel,
  thread_ts: session.threadTs,
  status: session.status,
  title: session.title,
});

export function setAgentStatus(ctx: MethodContext, args: Args): Json {
  const status = str(args, "status") as AgentSessionStatus;
  if (!AGENT_SESSION_STATUSES.includes(status))
    throw new SlackApiError(
      "invalid_arguments",
      `status must be one of ${AGENT_SESSION_STATUSES.join(", ")}`,
    );
  const { channel, threadTs } = threadOf(ctx, args);
  const title = titleArg(args, false);
  const initiator = str(args, "initiator_user_id", false);
  let session = ctx.workspace.agentSession(channel, threadTs);
  if (!session) {
    if (initiator && !ctx.workspace.channel(channel)?.members.has(initiator))
      throw new SlackApiError("user_not_in_channel");
    session = { channel, threadTs, status, title, initiator: initiator || null, statuses: [] };
    ctx.workspace.addAgentSession(session);
  }
  session.status = status;
  session.statuses.push(status);
  // A long-running playground keeps only each session's latest statuses.
  if (session.statuses.length > STATUSES_KEPT)
    session.statuses.splice(0, session.statuses.length - STATUSES_KEPT);
  ctx.onChange("agent_session", sessionJson(session));
  // Slack answers ok, with a warning: without the event the person's Stop button cannot reach the app.
  const events = ctx.workspace.appEvents;
  const warning = events && !events.has("agent_session_stopped") ? STOP_NOT_SUBSCRIBED : null;
  return {
    status: session.status,
    title: session.title,
    ...(warning ? { warning, response_metadata: { warnings: [warning] } } : {}),
  };
}

export function renameAgentSession(ctx: MethodContext, args: Args): Json {
  const { channel, threadTs } = threadOf(ctx, args);
  const title = titleArg(args, true);
  const session = ctx.workspace.agentSession(channel, threadTs);
  if (!session) throw new SlackApiError("session_not_found");
  session.title = title;
  ctx.onChange("agent_session", sessionJson(session));
  return { title };
}
