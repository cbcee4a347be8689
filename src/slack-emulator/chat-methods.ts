/**
 * The chat.* methods: posting, updating, deleting, streaming and ephemeral messages by the bot, each
 * checking what Slack checks (membership, authorship, thread roots, text and Block Kit limits, metadata)
 * with Slack's error names.
 */
import { LIMITS, validateMessageBlocks } from "./block-kit.ts";
import {
  type Args,
  blockKit,
  channelForBot,
  type Json,
  json,
  type MethodContext,
  messageJson,
  SlackApiError,
  str,
} from "./method-kit.ts";
import type { EmMessage } from "./workspace.ts";

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

export function postMessage(ctx: MethodContext, args: Args): Json {
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

export function updateMessage(ctx: MethodContext, args: Args): Json {
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

/**
 * chat.delete: a bot token deletes only the bot's own messages (`cant_delete_message` otherwise), in a
 * conversation the bot is in. What stays of a thread root with replies: see EmulatedWorkspace.deleteMessage.
 */
export function deleteMessage(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const channel = workspace.channel(str(args, "channel"));
  // Slack names a conversation the bot cannot see the same as one that does not exist.
  if (!channel?.members.has(workspace.bot.userId)) throw new SlackApiError("channel_not_found");
  const message = workspace.message(channel.id, str(args, "ts"));
  if (!message) throw new SlackApiError("message_not_found");
  if (message.botId !== workspace.bot.botId) throw new SlackApiError("cant_delete_message");
  for (const { ts, threadTs, tombstone } of workspace.deleteMessage(channel.id, message.ts))
    ctx.onChange("message_deleted", { channel: channel.id, ts, threadTs, tombstone });
  return { channel: channel.id, ts: message.ts };
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
export function startStream(ctx: MethodContext, args: Args): Json {
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

export function appendStream(ctx: MethodContext, args: Args): Json {
  const message = streamingMessage(ctx, args);
  appendToStream(message, markdownText(args, true));
  ctx.onBotMessage(message, "changed");
  return { channel: message.channel, ts: message.ts };
}

/** chat.stopStream: the last words, blocks at the bottom and metadata; the message is final after it. */
export function stopStream(ctx: MethodContext, args: Args): Json {
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

export function postEphemeral(ctx: MethodContext, args: Args): Json {
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
