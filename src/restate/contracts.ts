/**
 * Service names (a public API: curl users and the Slack adapter call them by name) and typed references
 * for calling one object from another. Only types are imported from the implementations, so a caller
 * never loads another service's code.
 */
import type { AgentSession } from "./agent-session.ts";
import type { ChannelSettings } from "./channel-settings.ts";
import type { ChatService } from "./chat-service.ts";

export const CHAT_SERVICE = "ChatService";
export const AGENT_SESSION = "AgentSession";
export const CHANNEL_SETTINGS = "ChannelSettings";

export const ChatServiceRef: ChatService = { name: CHAT_SERVICE };
export const AgentSessionRef: AgentSession = { name: AGENT_SESSION };
export const ChannelSettingsRef: ChannelSettings = { name: CHANNEL_SETTINGS };
