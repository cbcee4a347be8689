/**
 * The Web API methods the emulator answers, by name. Each checks what Slack checks and fails with Slack's
 * own error names (`channel_not_found`, `not_in_channel`, `thread_not_found`, `cant_delete_message`,
 * `already_reacted`, `invalid_blocks`, `invalid_name`, `invalid_types`, `expired_trigger_id`, ...); see
 * chat-, conversation-, channel-, view- and agent-methods.
 */
import { renameAgentSession, setAgentStatus } from "./agent-methods.ts";
import { conversationMembers, listConversations } from "./channel-methods.ts";
import {
  appendStream,
  deleteMessage,
  postEphemeral,
  postMessage,
  startStream,
  stopStream,
  updateMessage,
} from "./chat-methods.ts";
import { getPermalink, history, reaction, replies } from "./conversation-methods.ts";
import type { Method } from "./method-kit.ts";
import { openView, publishView, updateView } from "./view-methods.ts";

export {
  APP_TOKEN_METHODS,
  type Args,
  type Json,
  type MethodContext,
  messageJson,
  SlackApiError,
} from "./method-kit.ts";

export const METHODS: Readonly<Record<string, Method>> = {
  "api.test": (_ctx, args) => ({ args }),
  "auth.test": (ctx) => ({
    url: ctx.workspace.url,
    team: ctx.workspace.team.name,
    user: ctx.workspace.bot.name,
    team_id: ctx.workspace.team.id,
    user_id: ctx.workspace.bot.userId,
    bot_id: ctx.workspace.bot.botId,
    ...(ctx.workspace.enterprise ? { enterprise_id: ctx.workspace.enterprise.id } : {}),
    is_enterprise_install: ctx.workspace.orgWideInstall,
  }),
  "apps.connections.open": (ctx) => ({ url: ctx.socketUrl() }),
  "agents.sessions.setStatus": setAgentStatus,
  "agents.sessions.rename": renameAgentSession,
  "chat.postMessage": postMessage,
  "chat.update": updateMessage,
  "chat.delete": deleteMessage,
  "chat.startStream": startStream,
  "chat.appendStream": appendStream,
  "chat.stopStream": stopStream,
  "chat.postEphemeral": postEphemeral,
  "chat.getPermalink": getPermalink,
  "conversations.replies": replies,
  "conversations.history": history,
  "conversations.members": conversationMembers,
  "conversations.list": listConversations,
  "reactions.add": (ctx, args) => reaction(ctx, args, true),
  "reactions.remove": (ctx, args) => reaction(ctx, args, false),
  "views.publish": publishView,
  "views.open": openView,
  "views.update": updateView,
};
