/**
 * What every emulated Web API method shares: Slack's `ok:false` answer (SlackApiError), the context a
 * method gets, and readers for its arguments as Slack reads them (form strings or JSON values).
 * Methods get parsed arguments and return the response body; none of them touches HTTP.
 */
import { BlockKitError } from "./block-kit.ts";
import type { HistoryPageSize } from "./test-controls.ts";
import type { EmMessage, EmulatedWorkspace } from "./workspace.ts";

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

export type Method = (ctx: MethodContext, args: Args) => Json;

/** Methods that need the app-level token (xapp-) rather than the bot token. */
export const APP_TOKEN_METHODS = new Set(["apps.connections.open"]);

export function str(args: Args, name: string, required = true): string {
  const value = args[name];
  if (value === undefined || value === null || value === "") {
    if (required) throw new SlackApiError("invalid_arguments", `missing ${name}`);
    return "";
  }
  return String(value);
}

export function bool(args: Args, name: string): boolean {
  const value = args[name];
  return value === true || value === "true" || value === "1";
}

export function json(args: Args, name: string): unknown {
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

/** A paged list's size: Slack's `limit` when none is given, and the most one call returns. */
export interface PageSize {
  readonly default: number;
  readonly max: number;
}

/**
 * One page of a cursor-paged list, as Slack pages: `limit` items (held within the page size) from `cursor`
 * on, and the cursor of the rest ("" at the end). A cursor Slack did not hand out is `invalid_cursor`, a
 * `limit` that is not a number `invalid_limit`.
 */
export function cursorPage<T>(
  args: Args,
  all: readonly T[],
  size: PageSize,
): { items: T[]; nextCursor: string } {
  const asked = Number(str(args, "limit", false) || size.default);
  if (!Number.isFinite(asked)) throw new SlackApiError("invalid_limit");
  const limit = Math.min(Math.max(Math.trunc(asked), 1), size.max);
  const cursor = str(args, "cursor", false);
  const offset = cursor ? Buffer.from(cursor, "base64").toString() : "0";
  const start = Number(offset);
  if (!/^\d+$/.test(offset) || start > all.length) throw new SlackApiError("invalid_cursor");
  const end = start + limit;
  return {
    items: all.slice(start, end),
    nextCursor: end < all.length ? Buffer.from(String(end)).toString("base64") : "",
  };
}

export function channelForBot(ctx: MethodContext, id: string) {
  const channel = ctx.workspace.channel(id);
  if (!channel) throw new SlackApiError("channel_not_found");
  if (!channel.members.has(ctx.workspace.bot.userId)) throw new SlackApiError("not_in_channel");
  return channel;
}

export function blockKit<T>(check: () => T): T {
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
    ...(message.hidden ? { hidden: true } : {}),
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
