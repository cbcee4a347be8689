/**
 * Reading and marking messages: conversations.replies and conversations.history (paged, with the page
 * size the test controls allow), chat.getPermalink, and reactions, which Slack refuses for an emoji name
 * it does not know (`invalid_name`).
 */

import {
  type Args,
  bool,
  channelForBot,
  cursorPage,
  type Json,
  type MethodContext,
  messageJson,
  SlackApiError,
  str,
} from "./method-kit.ts";
import { isKnownEmoji } from "./standard-emoji.ts";
import type { EmMessage } from "./workspace.ts";

export function getPermalink(ctx: MethodContext, args: Args): Json {
  const channel = str(args, "channel");
  const ts = str(args, "message_ts");
  if (!ctx.workspace.channel(channel)) throw new SlackApiError("channel_not_found");
  if (!ctx.workspace.message(channel, ts)) throw new SlackApiError("message_not_found");
  return { channel, permalink: ctx.workspace.permalink(channel, ts) };
}
export function replies(ctx: MethodContext, args: Args): Json {
  const channel = ctx.workspace.channel(str(args, "channel"));
  if (!channel?.members.has(ctx.workspace.bot.userId)) throw new SlackApiError("channel_not_found");
  const ts = str(args, "ts");
  const named = ctx.workspace.message(channel.id, ts);
  if (!named) throw new SlackApiError("thread_not_found");
  // A reply's ts names its thread, as Slack reads it: the parent and all its replies.
  const root = named.threadTs ?? ts;
  const oldest = Number(str(args, "oldest", false) || "0");
  const latest = Number(str(args, "latest", false) || "Infinity");
  const inclusive = bool(args, "inclusive");
  const withMetadata = bool(args, "include_all_metadata");
  const all = ctx.workspace.thread(channel.id, root).filter((message) => {
    const t = Number(message.ts);
    // The parent always comes first, whatever the window (as Slack does).
    if (message.ts === root) return true;
    return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  });
  return page(ctx, args, all, withMetadata);
}

/** One page of messages: `limit` (within the page size the test controls allow) from the cursor on. */
function page(ctx: MethodContext, args: Args, all: EmMessage[], withMetadata: boolean): Json {
  const { items, nextCursor } = cursorPage(args, all, ctx.historyPageSize);
  return {
    messages: items.map((message) => messageJson(message, withMetadata)),
    has_more: nextCursor !== "",
    response_metadata: { next_cursor: nextCursor },
  };
}

/** conversations.history: a channel's messages outside threads (and thread roots), newest first. */
export function history(ctx: MethodContext, args: Args): Json {
  const channel = ctx.workspace.channel(str(args, "channel"));
  if (!channel?.members.has(ctx.workspace.bot.userId)) throw new SlackApiError("channel_not_found");
  const oldest = Number(str(args, "oldest", false) || "0");
  const latest = Number(str(args, "latest", false) || "Infinity");
  const inclusive = bool(args, "inclusive");
  const all = (ctx.workspace.messages.get(channel.id) ?? [])
    .filter((message) => !message.threadTs || message.threadTs === message.ts)
    .filter((message) => {
      const t = Number(message.ts);
      return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
    })
    .reverse();
  return page(ctx, args, all, bool(args, "include_all_metadata"));
}
export function reaction(ctx: MethodContext, args: Args, add: boolean): Json {
  const channel = channelForBot(ctx, str(args, "channel"));
  const message = ctx.workspace.message(channel.id, str(args, "timestamp"));
  if (!message) throw new SlackApiError("message_not_found");
  const name = str(args, "name").replace(/^:|:$/g, "");
  if (!isKnownEmoji(name, ctx.workspace.customEmoji)) throw new SlackApiError("invalid_name");
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
