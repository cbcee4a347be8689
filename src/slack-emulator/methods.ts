/**
 * The Web API methods the emulator answers, each checking what Slack checks and failing with Slack's own
 * error names (`channel_not_found`, `not_in_channel`, `thread_not_found`, `already_reacted`,
 * `invalid_blocks`, `expired_trigger_id`, ...). Methods get parsed arguments and return the response body.
 */
import { BlockKitError, LIMITS, validateMessageBlocks, validateView } from "./block-kit.ts";
import type { HistoryPageSize } from "./test-controls.ts";
import type { EmMessage, EmulatedWorkspace, EmView } from "./workspace.ts";

export type Args = Readonly<Record<string, unknown>>;
export type Json = Record<string, unknown>;

/** An `ok:false` answer. */
export class SlackApiError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  constructor(code: string, detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
    this.detail = detail;
  }
}

export interface MethodContext {
  readonly workspace: EmulatedWorkspace;
  /** The default and most messages conversations.replies/history return in one call. */
  readonly historyPageSize: HistoryPageSize;
  /** URL of the Socket Mode endpoint, for apps.connections.open. */
  readonly socketUrl: () => string;
  /** A message the bot posted or changed (the emulator echoes it to the app, as Slack does). */
  readonly onBotMessage: (message: EmMessage, change: "posted" | "changed") => void;
  /** Something changed that a viewer of the workspace should see (reactions, views, ephemerals). */
  readonly onChange: (what: string, detail: Json) => void;
}

type Method = (ctx: MethodContext, args: Args) => Json;

/** Methods that need the app-level token (xapp-) rather than the bot token. */
export const APP_TOKEN_METHODS = new Set(["apps.connections.open"]);

function str(args: Args, name: string, required = true): string {
  const value = args[name];
  if (value === undefined || value === null || value === "") {
    if (required) throw new SlackApiError("invalid_arguments", `missing ${name}`);
    return "";
  }
  return String(value);
}

function bool(args: Args, name: string): boolean {
  const value = args[name];
  return value === true || value === "true" || value === "1";
}

function json(args: Args, name: string): unknown {
  const value = args[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SlackApiError(
      name === "blocks" ? "invalid_blocks_format" : "invalid_arguments",
      `${name} is not JSON`,
    );
  }
}

function channelForBot(ctx: MethodContext, id: string) {
  const channel = ctx.workspace.channel(id);
  if (!channel) throw new SlackApiError("channel_not_found");
  if (!channel.members.has(ctx.workspace.bot.userId)) throw new SlackApiError("not_in_channel");
  return channel;
}

function blockKit<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof BlockKitError) throw new SlackApiError(error.code, error.message);
    throw error;
  }
}

/** A message as the Web API returns it. */
export function messageJson(message: EmMessage, withMetadata: boolean): Json {
  return {
    type: "message",
    ts: message.ts,
    text: message.text,
    ...(message.user ? { user: message.user } : {}),
    ...(message.botId ? { bot_id: message.botId, app_id: message.appId } : {}),
    ...(message.subtype ? { subtype: message.subtype } : {}),
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.replies.length > 0 ? { reply_count: message.replies.length } : {}),
    ...(message.files ? { files: message.files.map((f) => ({ id: f.id, name: f.name })) } : {}),
    ...(withMetadata && message.metadata ? { metadata: message.metadata } : {}),
    ...(message.reactions.size > 0
      ? {
          reactions: [...message.reactions.entries()].map(([name, users]) => ({
            name,
            users: [...users],
            count: users.size,
          })),
        }
      : {}),
    ...(message.edited ? { edited: message.edited } : {}),
    ...(message.streamingState ? { streaming_state: message.streamingState } : {}),
  };
}

/** `metadata`: an `event_type` and an `event_payload` object, or `invalid_metadata_format`. */
function metadataArg(args: Args): EmMessage["metadata"] | undefined {
  const metadata = json(args, "metadata") as EmMessage["metadata"] | undefined;
  if (
    metadata !== undefined &&
    (typeof metadata?.event_type !== "string" || typeof metadata.event_payload !== "object")
  ) {
    throw new SlackApiError("invalid_metadata_format");
  }
  return metadata;
}

/** A new message by the bot in a channel. */
function addBotMessage(
  ctx: MethodContext,
  channel: string,
  content: Pick<EmMessage, "text" | "blocks" | "threadTs" | "metadata">,
): EmMessage {
  const { workspace } = ctx;
  return workspace.addMessage({
    ts: workspace.nextTs(),
    channel,
    user: workspace.bot.userId,
    botId: workspace.bot.botId,
    appId: workspace.bot.appId,
    ...content,
  });
}

function postMessage(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const channel = channelForBot(ctx, str(args, "channel"));
  const text = str(args, "text", false);
  const blocks = json(args, "blocks");
  if (!text && blocks === undefined) throw new SlackApiError("no_text");
  if (text.length > LIMITS.messageText) throw new SlackApiError("msg_too_long");
  if (blocks !== undefined) blockKit(() => validateMessageBlocks(blocks));
  const threadTs = str(args, "thread_ts", false) || undefined;
  if (threadTs) {
    const root = workspace.message(channel.id, threadTs);
    if (!root) throw new SlackApiError("thread_not_found");
    if (root.threadTs && root.threadTs !== root.ts)
      throw new SlackApiError("thread_not_found", "thread_ts is a reply, not a thread root");
  }
  const metadata = metadataArg(args);
  const message = addBotMessage(ctx, channel.id, {
    text,
    ...(blocks !== undefined ? { blocks: blocks as unknown[] } : {}),
    ...(threadTs ? { threadTs } : {}),
    ...(metadata ? { metadata } : {}),
  });
  ctx.onBotMessage(message, "posted");
  return { channel: channel.id, ts: message.ts, message: messageJson(message, true) };
}

function updateMessage(ctx: MethodContext, args: Args): Json {
  const channel = channelForBot(ctx, str(args, "channel"));
  const message = ctx.workspace.message(channel.id, str(args, "ts"));
  if (!message) throw new SlackApiError("message_not_found");
  if (message.botId !== ctx.workspace.bot.botId) throw new SlackApiError("cant_update_message");
  const text = str(args, "text", false);
  const blocks = json(args, "blocks");
  if (!text && blocks === undefined) throw new SlackApiError("no_text");
  if (text.length > LIMITS.messageText) throw new SlackApiError("msg_too_long");
  if (blocks !== undefined) blockKit(() => validateMessageBlocks(blocks));
  message.text = text;
  if (blocks !== undefined) message.blocks = blocks as unknown[];
  message.edited = { user: ctx.workspace.bot.userId, ts: ctx.workspace.nextTs() };
  ctx.onBotMessage(message, "changed");
  return { channel: channel.id, ts: message.ts, text: message.text };
}

/** `markdown_text` of the streaming methods: at most 12,000 characters, like a markdown block. */
function markdownText(args: Args, required: boolean): string {
  const text = str(args, "markdown_text", required);
  if (text.length > LIMITS.markdownTotal)
    throw new SlackApiError("msg_too_long", "markdown_text is over 12,000");
  return text;
}

function streamedMarkdown(text: string): unknown[] | undefined {
  return text ? [{ type: "markdown", text }] : undefined;
}

/**
 * chat.startStream: a reply in a thread that grows by chat.appendStream until chat.stopStream. Outside a DM
 * it needs the person it streams to (`recipient_user_id`, `recipient_team_id`).
 */
function startStream(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const channel = channelForBot(ctx, str(args, "channel"));
  const threadTs = str(args, "thread_ts");
  const root = workspace.message(channel.id, threadTs);
  if (!root || (root.threadTs && root.threadTs !== root.ts)) throw new SlackApiError("thread_not_found");
  if (channel.kind !== "im") {
    const user = str(args, "recipient_user_id", false);
    const team = str(args, "recipient_team_id", false);
    if (!user || !team)
      throw new SlackApiError(
        "invalid_arguments",
        "recipient_user_id and recipient_team_id are required outside a DM",
      );
    if (!workspace.users.has(user)) throw new SlackApiError("user_not_found");
    if (team !== workspace.team.id) throw new SlackApiError("team_not_found");
  }
  const text = markdownText(args, false);
  const blocks = streamedMarkdown(text);
  const message = addBotMessage(ctx, channel.id, { text, ...(blocks ? { blocks } : {}), threadTs });
  message.streamingState = "in_progress";
  ctx.onBotMessage(message, "posted");
  return { channel: channel.id, ts: message.ts };
}

function streamingMessage(ctx: MethodContext, args: Args): EmMessage {
  const channel = channelForBot(ctx, str(args, "channel"));
  const message = ctx.workspace.message(channel.id, str(args, "ts"));
  if (!message) throw new SlackApiError("message_not_found");
  if (message.botId !== ctx.workspace.bot.botId) throw new SlackApiError("cant_update_message");
  if (message.streamingState !== "in_progress") throw new SlackApiError("message_not_in_streaming_state");
  return message;
}

function appendToStream(message: EmMessage, text: string): void {
  if (message.text.length + text.length > LIMITS.markdownTotal)
    throw new SlackApiError("msg_too_long", "the streamed text is over 12,000");
  message.text += text;
  message.blocks = streamedMarkdown(message.text) ?? [];
}

function appendStream(ctx: MethodContext, args: Args): Json {
  const message = streamingMessage(ctx, args);
  appendToStream(message, markdownText(args, true));
  ctx.onBotMessage(message, "changed");
  return { channel: message.channel, ts: message.ts };
}

/** chat.stopStream: the last words, blocks at the bottom and metadata; the message is final after it. */
function stopStream(ctx: MethodContext, args: Args): Json {
  const message = streamingMessage(ctx, args);
  const blocks = json(args, "blocks");
  if (blocks !== undefined) blockKit(() => validateMessageBlocks(blocks));
  const metadata = metadataArg(args);
  appendToStream(message, markdownText(args, false));
  if (blocks !== undefined) message.blocks = [...(message.blocks ?? []), ...(blocks as unknown[])];
  if (metadata) message.metadata = metadata;
  message.streamingState = "completed";
  ctx.onBotMessage(message, "changed");
  return { channel: message.channel, ts: message.ts, message: messageJson(message, true) };
}

function postEphemeral(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const channel = channelForBot(ctx, str(args, "channel"));
  const user = str(args, "user");
  if (!workspace.users.has(user)) throw new SlackApiError("user_not_found");
  if (!channel.members.has(user)) throw new SlackApiError("user_not_in_channel");
  const text = str(args, "text", false);
  const blocks = json(args, "blocks");
  if (!text && blocks === undefined) throw new SlackApiError("no_text");
  if (blocks !== undefined) blockKit(() => validateMessageBlocks(blocks));
  const threadTs = str(args, "thread_ts", false) || undefined;
  const ephemeral = {
    ts: workspace.nextTs(),
    channel: channel.id,
    user,
    text,
    ...(blocks !== undefined ? { blocks: blocks as unknown[] } : {}),
    ...(threadTs ? { threadTs } : {}),
  };
  workspace.ephemerals.push(ephemeral);
  ctx.onChange("ephemeral", { ...ephemeral });
  return { message_ts: ephemeral.ts };
}

function getPermalink(ctx: MethodContext, args: Args): Json {
  const channel = str(args, "channel");
  const ts = str(args, "message_ts");
  if (!ctx.workspace.channel(channel)) throw new SlackApiError("channel_not_found");
  if (!ctx.workspace.message(channel, ts)) throw new SlackApiError("message_not_found");
  return { channel, permalink: ctx.workspace.permalink(channel, ts) };
}

function replies(ctx: MethodContext, args: Args): Json {
  const channel = ctx.workspace.channel(str(args, "channel"));
  if (!channel?.members.has(ctx.workspace.bot.userId)) throw new SlackApiError("channel_not_found");
  const ts = str(args, "ts");
  if (!ctx.workspace.message(channel.id, ts)) throw new SlackApiError("thread_not_found");
  const oldest = Number(str(args, "oldest", false) || "0");
  const latest = Number(str(args, "latest", false) || "Infinity");
  const inclusive = bool(args, "inclusive");
  const withMetadata = bool(args, "include_all_metadata");
  const all = ctx.workspace.thread(channel.id, ts).filter((message) => {
    const t = Number(message.ts);
    // The parent always comes first, whatever the window (as Slack does).
    if (message.ts === ts) return true;
    return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  });
  const { default: byDefault, max } = ctx.historyPageSize;
  const limit = Math.min(Math.max(Number(str(args, "limit", false) || byDefault), 1), max);
  const start = Number(Buffer.from(str(args, "cursor", false) || "MA==", "base64").toString() || "0");
  const page = all.slice(start, start + limit);
  const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString("base64") : "";
  return {
    messages: page.map((message) => messageJson(message, withMetadata)),
    has_more: next !== "",
    response_metadata: { next_cursor: next },
  };
}

function reaction(ctx: MethodContext, args: Args, add: boolean): Json {
  const channel = channelForBot(ctx, str(args, "channel"));
  const message = ctx.workspace.message(channel.id, str(args, "timestamp"));
  if (!message) throw new SlackApiError("message_not_found");
  const name = str(args, "name").replace(/^:|:$/g, "");
  if (!/^[a-z0-9_+'-]+$/.test(name)) throw new SlackApiError("invalid_name");
  const users = message.reactions.get(name) ?? new Set<string>();
  const bot = ctx.workspace.bot.userId;
  if (add) {
    if (users.has(bot)) throw new SlackApiError("already_reacted");
    users.add(bot);
    message.reactions.set(name, users);
  } else {
    if (!users.has(bot)) throw new SlackApiError("no_reaction");
    users.delete(bot);
    if (users.size === 0) message.reactions.delete(name);
  }
  ctx.onChange("reaction", { channel: channel.id, ts: message.ts, name, added: add });
  return {};
}

function viewJson(stored: EmView): Json {
  return {
    id: stored.id,
    team_id: "",
    ...stored.view,
    hash: stored.hash,
    root_view_id: stored.rootViewId,
    app_id: "",
    bot_id: "",
    state: { values: {} },
  };
}

function publishView(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const user = str(args, "user_id");
  if (!workspace.users.has(user)) throw new SlackApiError("user_not_found");
  const view = blockKit(() => validateView(json(args, "view")));
  if (view.type !== "home") throw new SlackApiError("invalid_arguments", "views.publish takes a home view");
  const previous = workspace.homes.get(user);
  const id = previous?.id ?? workspace.nextId("V");
  const stored: EmView = { id, user, view, hash: workspace.nextId("H"), rootViewId: id };
  workspace.homes.set(user, stored);
  ctx.onChange("home", { user, view_id: id });
  return {
    view: {
      ...viewJson(stored),
      team_id: workspace.team.id,
      app_id: workspace.bot.appId,
      bot_id: workspace.bot.botId,
    },
  };
}

function openView(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const triggerId = str(args, "trigger_id");
  const trigger = workspace.triggers.get(triggerId);
  if (!trigger) throw new SlackApiError("invalid_trigger_id");
  workspace.triggers.delete(triggerId);
  if (trigger.expiresAt < Date.now()) throw new SlackApiError("expired_trigger_id");
  const view = blockKit(() => validateView(json(args, "view")));
  if (view.type !== "modal") throw new SlackApiError("invalid_arguments", "views.open takes a modal");
  const id = workspace.nextId("V");
  const stored: EmView = { id, user: trigger.user, view, hash: workspace.nextId("H"), rootViewId: id };
  workspace.modals.set(id, stored);
  ctx.onChange("modal", { user: trigger.user, view_id: id, opened: true });
  return {
    view: {
      ...viewJson(stored),
      team_id: workspace.team.id,
      app_id: workspace.bot.appId,
      bot_id: workspace.bot.botId,
    },
  };
}

export const METHODS: Readonly<Record<string, Method>> = {
  "api.test": (_ctx, args) => ({ args }),
  "auth.test": (ctx) => ({
    url: ctx.workspace.url,
    team: ctx.workspace.team.name,
    user: ctx.workspace.bot.name,
    team_id: ctx.workspace.team.id,
    user_id: ctx.workspace.bot.userId,
    bot_id: ctx.workspace.bot.botId,
    is_enterprise_install: false,
  }),
  "apps.connections.open": (ctx) => ({ url: ctx.socketUrl() }),
  "chat.postMessage": postMessage,
  "chat.update": updateMessage,
  "chat.startStream": startStream,
  "chat.appendStream": appendStream,
  "chat.stopStream": stopStream,
  "chat.postEphemeral": postEphemeral,
  "chat.getPermalink": getPermalink,
  "conversations.replies": replies,
  "reactions.add": (ctx, args) => reaction(ctx, args, true),
  "reactions.remove": (ctx, args) => reaction(ctx, args, false),
  "views.publish": publishView,
  "views.open": openView,
};
