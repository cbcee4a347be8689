/**
 * Which Slack messages reach a session, and as what request. Pure: Slack event in, decision out.
 *
 * A mention arrives twice (as `app_mention` and as `message`), and Slack retries deliveries. Both event
 * types go through `classifyMessage`, which reads only fields both carry, so the two copies of a message
 * make byte-identical requests with the same idempotency key (`<channel>:<ts>`): whichever Restate sees
 * first is the one, the other is answered with its result.
 */
import { toMessageIdempotencyKey, toSessionKey } from "../restate/keys.ts";
import { type ChatMessage, MAX_CONTENT_LENGTH } from "../restate/schemas.ts";
import { messagePermalink } from "./permalink.ts";

/** The fields of a `message` or `app_mention` event that we read. */
export interface SlackMessageEvent {
  readonly type: string;
  readonly subtype?: string;
  readonly channel?: string;
  readonly user?: string;
  readonly bot_id?: string;
  readonly text?: string;
  readonly ts?: string;
  readonly thread_ts?: string;
  readonly files?: readonly unknown[];
}

/** Who the app is in Slack, from auth.test at start: its bot user, and the workspace it is installed in. */
/** The bot in the workspace a request comes from. */
export interface BotIdentity {
  /** The team part of its sessions' keys: the installation's key (the enterprise id of an org-wide install). */
  readonly teamId: string;
  /**
   * The workspaces (and org) it serves, as requests name them, when more than `teamId`: an org-wide
   * install's workspaces name themselves, not the org.
   */
  readonly servedTeams?: readonly string[];
  readonly botUserId: string;
  /** The workspace's URL, `https://<name>.slack.com/`. */
  readonly url: string;
}

export type IncomingMessage =
  | { readonly kind: "ignore"; readonly reason: string }
  | {
      readonly kind: "forward";
      readonly key: string;
      readonly idempotencyKey: string;
      readonly message: ChatMessage;
    }
  | {
      readonly kind: "agentmode";
      readonly key: string;
      readonly channel: string;
      readonly threadTs: string;
      readonly user: string;
      /** What follows `!agentmode`. */
      readonly args: string;
    };

/**
 * Subtypes that are people writing: a plain message, a reply also sent to the channel, a message with
 * files, and a `/me` message.
 */
const HUMAN_SUBTYPES = new Set([undefined, "thread_broadcast", "file_share", "me_message"]);

/**
 * Slackbot's user id. Its messages carry no `bot_id`, yet it is no person: it writes to the bot in a DM
 * when the bot is removed from a channel, and that notice must not start a session (or pay for a model).
 */
export const SLACKBOT_USER = "USLACKBOT";

/** How much of a message too long for a session is sent on: enough to recognise it, as its refusal says. */
const TOO_LONG_SENT_CHARS = 200;

const AGENTMODE_PREFIX = /^!agentmode\b\s*/i;

function mentionPattern(botUserId: string): RegExp {
  return new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, "g");
}

/** DMs have ids starting with D (Slack's conversation ids are typed by their first letter). */
export function isDirectMessage(channel: string): boolean {
  return channel.startsWith("D");
}

export function classifyMessage(event: SlackMessageEvent, bot: BotIdentity): IncomingMessage {
  if (!HUMAN_SUBTYPES.has(event.subtype)) return { kind: "ignore", reason: `subtype ${event.subtype}` };
  if (event.bot_id) return { kind: "ignore", reason: "a bot's message" };
  const { channel, user, ts } = event;
  if (!channel || !user || !ts) return { kind: "ignore", reason: "no channel, user or ts" };
  if (user === bot.botUserId) return { kind: "ignore", reason: "our own message" };
  if (user === SLACKBOT_USER) return { kind: "ignore", reason: "Slackbot's message" };

  const threadTs = event.thread_ts ?? ts;
  const inThread = threadTs !== ts;
  const text = event.text ?? "";
  const mention = mentionPattern(bot.botUserId);
  const mentioned = mention.test(text);
  const direct = isDirectMessage(channel);
  if (!inThread && !mentioned && !direct)
    return { kind: "ignore", reason: "a channel message without a mention" };

  const key = toSessionKey(bot.teamId, channel, threadTs);
  const stripped = text.replace(mentionPattern(bot.botUserId), "").replace(/\s+/g, " ").trim();
  if (AGENTMODE_PREFIX.test(stripped)) {
    if (!inThread) return { kind: "ignore", reason: "!agentmode outside a thread" };
    return { kind: "agentmode", key, channel, threadTs, user, args: stripped.replace(AGENTMODE_PREFIX, "") };
  }

  const fileCount = event.files?.length ?? 0;
  const fileNote = fileCount === 0 ? "" : `[${fileCount} file${fileCount === 1 ? "" : "s"} attached]`;
  const content = [text.replace(mentionPattern(bot.botUserId), "").trim(), fileNote]
    .filter(Boolean)
    .join("\n");
  if (content === "") return { kind: "ignore", reason: "nothing but a mention" };
  // Longer than a session takes: the session is sent its beginning and its length, and refuses it with a
  // reply in the thread, durably and once (see ChatService `process_user_message`).
  const tooLong = content.length > MAX_CONTENT_LENGTH;

  return {
    kind: "forward",
    key,
    idempotencyKey: toMessageIdempotencyKey(channel, ts),
    message: {
      content: tooLong ? content.slice(0, TOO_LONG_SENT_CHARS) : content,
      ...(tooLong ? { writtenLength: content.length } : {}),
      role: "user",
      user,
      source: {
        team: bot.teamId,
        channel,
        ts,
        threadTs,
        permalink: messagePermalink(bot.url, channel, threadTs),
      },
      // A thread reply without a mention only joins a session that exists; it never starts one.
      startsSession: mentioned || direct,
    },
  };
}
