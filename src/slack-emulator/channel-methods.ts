/**
 * Which conversations there are and who is in them, as the bot may see them: conversations.list and
 * conversations.members, cursor-paged like Slack (100 by default, at most 1000 a call). A bot sees every
 * public channel, and private channels and DMs only when it is in them; it reads and changes no messages.
 */
import {
  type Args,
  cursorPage,
  type Json,
  type MethodContext,
  type PageSize,
  SlackApiError,
  str,
} from "./method-kit.ts";
import type { ChannelKind, EmChannel, EmulatedWorkspace } from "./workspace.ts";

const PAGE_SIZE: PageSize = { default: 100, max: 1000 };

/** The names `types` takes, by the kind of conversation each stands for. */
const TYPE_NAMES: Readonly<Record<string, ChannelKind>> = {
  public_channel: "public",
  private_channel: "private",
  im: "im",
  mpim: "mpim",
};

function visibleToBot(workspace: EmulatedWorkspace, channel: EmChannel): boolean {
  return channel.kind === "public" || channel.members.has(workspace.bot.userId);
}

/** A conversation as the Conversations API returns it; a DM has no name but the person it is with. */
function conversationJson(workspace: EmulatedWorkspace, channel: EmChannel): Json {
  const flags = {
    is_channel: channel.kind === "public" || channel.kind === "private",
    is_group: false,
    is_im: channel.kind === "im",
    is_mpim: channel.kind === "mpim",
    is_private: channel.kind !== "public",
    is_archived: false,
    is_member: channel.members.has(workspace.bot.userId),
  };
  if (channel.kind === "im") {
    const user = [...channel.members].find((member) => member !== workspace.bot.userId);
    return { id: channel.id, ...flags, user: user ?? workspace.bot.userId, is_user_deleted: false };
  }
  return {
    id: channel.id,
    name: channel.name,
    name_normalized: channel.name,
    ...flags,
    is_general: channel.name === "general",
    num_members: channel.members.size,
  };
}

/** conversations.list: public channels unless `types` asks for more; `exclude_archived` is moot (none are). */
export function listConversations(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const names = (str(args, "types", false) || "public_channel").split(",").map((name) => name.trim());
  const kinds = new Set<ChannelKind>();
  for (const name of names) {
    const kind = TYPE_NAMES[name];
    if (!kind) throw new SlackApiError("invalid_types", `unknown conversation type ${name}`);
    kinds.add(kind);
  }
  const channels = [...workspace.channels.values()].filter(
    (channel) => kinds.has(channel.kind) && visibleToBot(workspace, channel),
  );
  const { items, nextCursor } = cursorPage(args, channels, PAGE_SIZE);
  return {
    channels: items.map((channel) => conversationJson(workspace, channel)),
    response_metadata: { next_cursor: nextCursor },
  };
}

/** conversations.members: the user ids in a conversation; one the bot may not see is `channel_not_found`. */
export function conversationMembers(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const channel = workspace.channel(str(args, "channel"));
  if (!channel || !visibleToBot(workspace, channel)) throw new SlackApiError("channel_not_found");
  const { items, nextCursor } = cursorPage(args, [...channel.members], PAGE_SIZE);
  return { members: items, response_metadata: { next_cursor: nextCursor } };
}
