/**
 * What Slack sends to an app, built as Slack builds it: Events API envelopes (with `event_id`,
 * `authorizations`, the legacy `token`, ...), slash-command form posts, interactivity payloads. Over HTTP
 * they are signed (`X-Slack-Signature`, `X-Slack-Request-Timestamp`) with the app's signing secret.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { EmChannel, EmMessage, EmulatedWorkspace } from "./workspace.ts";

export type Json = Record<string, unknown>;

/** `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`, as Slack signs requests. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export interface SignOptions {
  /** Seconds since the epoch to sign with (a stale one for tests); now by default. */
  readonly timestamp?: number;
  /** Sign with this secret instead of the app's (a forged request). */
  readonly secret?: string;
  /** Send no signature headers at all. */
  readonly unsigned?: boolean;
}

export function signedHeaders(
  secret: string,
  body: string,
  options: SignOptions = {},
): Record<string, string> {
  if (options.unsigned) return {};
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": slackSignature(options.secret ?? secret, timestamp, body),
  };
}

export function channelType(channel: EmChannel): string {
  switch (channel.kind) {
    case "public":
      return "channel";
    case "private":
      return "group";
    case "im":
      return "im";
    case "mpim":
      return "mpim";
  }
}

/** The rich_text blocks Slack attaches to a person's message. */
function richText(text: string): Json[] {
  return [
    {
      type: "rich_text",
      block_id: randomUUID().slice(0, 5),
      elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
    },
  ];
}

/** The envelope of an Events API callback. */
export function eventEnvelope(workspace: EmulatedWorkspace, event: Json): Json {
  const enterpriseId = workspace.enterprise?.id ?? null;
  return {
    token: workspace.bot.verificationToken,
    team_id: workspace.team.id,
    ...(enterpriseId ? { enterprise_id: enterpriseId } : {}),
    context_team_id: workspace.team.id,
    context_enterprise_id: enterpriseId,
    api_app_id: workspace.bot.appId,
    event,
    type: "event_callback",
    event_id: `Ev${randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: enterpriseId,
        // An org-wide install is authorised for the org, not for the workspace the event comes from.
        team_id: workspace.orgWideInstall ? null : workspace.team.id,
        user_id: workspace.bot.userId,
        is_bot: true,
        is_enterprise_install: workspace.orgWideInstall,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(randomUUID()).toString("base64url")}`,
  };
}

/** The `message` event of a person's (or the bot's) message. */
export function messageEvent(workspace: EmulatedWorkspace, channel: EmChannel, message: EmMessage): Json {
  const root =
    message.threadTs && message.threadTs !== message.ts
      ? workspace.message(channel.id, message.threadTs)
      : undefined;
  return {
    type: "message",
    channel: channel.id,
    user: message.user,
    text: message.text,
    ts: message.ts,
    event_ts: message.ts,
    channel_type: channelType(channel),
    team: workspace.team.id,
    ...(message.botId ? { bot_id: message.botId, app_id: message.appId } : {}),
    ...(message.clientMsgId ? { client_msg_id: message.clientMsgId, blocks: richText(message.text) } : {}),
    ...(message.subtype ? { subtype: message.subtype } : {}),
    ...(message.files
      ? { files: message.files.map((f) => ({ id: f.id, name: f.name, mode: "hosted" })), upload: false }
      : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(root?.user ? { parent_user_id: root.user } : {}),
    ...(message.metadata ? { metadata: message.metadata } : {}),
  };
}

/** The `app_mention` event of a message that mentions the bot (no `channel_type`; files as ids only). */
export function mentionEvent(workspace: EmulatedWorkspace, channel: EmChannel, message: EmMessage): Json {
  return {
    type: "app_mention",
    user: message.user,
    text: message.text,
    ts: message.ts,
    event_ts: message.ts,
    channel: channel.id,
    team: workspace.team.id,
    ...(message.clientMsgId ? { client_msg_id: message.clientMsgId, blocks: richText(message.text) } : {}),
    ...(message.files ? { files: message.files.map((f) => ({ id: f.id })), upload: false } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
  };
}

export function userJson(workspace: EmulatedWorkspace, userId: string): Json {
  const user = workspace.users.get(userId);
  return {
    id: userId,
    username: user?.name ?? userId,
    name: user?.name ?? userId,
    team_id: workspace.team.id,
  };
}

/** The form fields of a slash command. */
export function slashCommandForm(
  workspace: EmulatedWorkspace,
  input: {
    user: string;
    channel: EmChannel;
    command: string;
    text: string;
    responseUrl: string;
    triggerId: string;
  },
): Record<string, string> {
  return {
    token: workspace.bot.verificationToken,
    team_id: workspace.team.id,
    team_domain: workspace.team.domain,
    channel_id: input.channel.id,
    channel_name: input.channel.kind === "im" ? "directmessage" : input.channel.name,
    user_id: input.user,
    user_name: workspace.users.get(input.user)?.name ?? input.user,
    command: input.command,
    text: input.text,
    api_app_id: workspace.bot.appId,
    ...(workspace.enterprise ? { enterprise_id: workspace.enterprise.id } : {}),
    is_enterprise_install: String(workspace.orgWideInstall),
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

/** Common fields of interactivity payloads. */
export function interactionBase(workspace: EmulatedWorkspace, user: string, triggerId: string): Json {
  return {
    token: workspace.bot.verificationToken,
    api_app_id: workspace.bot.appId,
    team: { id: workspace.team.id, domain: workspace.team.domain },
    user: userJson(workspace, user),
    enterprise: workspace.enterprise,
    is_enterprise_install: workspace.orgWideInstall,
    trigger_id: triggerId,
  };
}

/** The `message_changed` event Slack sends when a message is edited (a person's or the bot's). */
export function messageChangedEvent(
  workspace: EmulatedWorkspace,
  channel: EmChannel,
  message: EmMessage,
): Json {
  const changed = messageEvent(workspace, channel, message);
  return {
    type: "message",
    subtype: "message_changed",
    hidden: true,
    channel: channel.id,
    channel_type: changed.channel_type,
    ts: workspace.nextTs(),
    event_ts: workspace.nextTs(),
    message: changed,
  };
}
