/**
 * `/agentmode` and `!agentmode`: parsing, as pure functions.
 *   /agentmode                         the channel's default and its sessions
 *   /agentmode <mode>                  the channel's default (`default` clears it)
 *   /agentmode <mode> <thread link>    one thread's mode (`default` follows the channel again)
 *   !agentmode <mode>                  (in a thread) that thread's mode
 */
import { type Mode, parseMode } from "../restate/modes.ts";

/** A mode, or null for "no mode of its own: follow the default". */
export type ModeChoice = Mode | null;

export interface ThreadLink {
  readonly host: string;
  readonly channel: string;
  /** Root of the thread the link points into. */
  readonly threadTs: string;
}

export type AgentModeCommand =
  | { readonly kind: "help" }
  | { readonly kind: "channel"; readonly mode: ModeChoice }
  | { readonly kind: "thread"; readonly mode: ModeChoice; readonly link: ThreadLink }
  | { readonly kind: "error"; readonly message: string };

export const AGENTMODE_USAGE = [
  "*Usage*",
  "• `/agentmode`: this channel's default mode and its sessions",
  "• `/agentmode interrupt|incorporate|queue`: set this channel's default (`default` clears it)",
  "• `/agentmode <mode> <link to a thread>`: set one thread's mode (use *Copy link* on a message of the thread)",
  "• In a thread: `!agentmode <mode>`, or the message shortcut *Agent mode*",
].join("\n");

function parseModeChoice(word: string): ModeChoice | undefined {
  if (word.toLowerCase() === "default") return null;
  return parseMode(word);
}

/** Slack ts from a permalink's `p1700000000000100` segment. */
function tsFromPermalinkId(id: string): string | undefined {
  const match = /^p(\d{10})(\d{6})$/.exec(id);
  return match ? `${match[1]}.${match[2]}` : undefined;
}

/**
 * A thread permalink, in either form (`.../archives/C1/p1700000000000100`, or a reply's
 * `...?thread_ts=1700000000.000100&cid=C1`), bare or wrapped by Slack as `<url>` or `<url|label>`.
 */
export function parseThreadLink(text: string): ThreadLink | undefined {
  const unwrapped = text.trim().replace(/^<([^>|]+)(?:\|[^>]*)?>$/, "$1");
  let url: URL;
  try {
    url = new URL(unwrapped);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const match = /^\/archives\/([A-Z0-9]+)\/(p\d{16})\/?$/.exec(url.pathname);
  if (!match?.[1] || !match[2]) return undefined;
  const messageTs = tsFromPermalinkId(match[2]);
  if (!messageTs) return undefined;
  const threadTs = url.searchParams.get("thread_ts") ?? messageTs;
  if (!/^\d+\.\d+$/.test(threadTs)) return undefined;
  const channel = url.searchParams.get("cid") ?? match[1];
  if (channel !== match[1]) return undefined;
  return { host: url.host, channel, threadTs };
}

/** Words of a command; a link Slack wrapped as `<url|a label with spaces>` is one word. */
function words(text: string): string[] {
  return text.match(/<[^>]*>|\S+/g) ?? [];
}

export function parseAgentModeCommand(text: string): AgentModeCommand {
  const [first, second, ...rest] = words(text);
  if (!first || (first.toLowerCase() === "help" && !second)) return { kind: "help" };
  const mode = parseModeChoice(first);
  if (mode === undefined) {
    return { kind: "error", message: `Unknown mode "${first}": use interrupt, incorporate or queue.` };
  }
  if (!second) return { kind: "channel", mode };
  if (rest.length > 0) return { kind: "error", message: "Give one mode and at most one thread link." };
  const link = parseThreadLink(second);
  if (!link) return { kind: "error", message: `"${second}" is not a link to a Slack thread.` };
  return { kind: "thread", mode, link };
}

/** `!agentmode <mode>` inside a thread. */
export function parseThreadModeArgs(args: string): { mode: ModeChoice } | { error: string } {
  const word = args.trim();
  if (!word) return { error: "Say which mode: `!agentmode interrupt`, `incorporate` or `queue`." };
  const mode = parseModeChoice(word);
  return mode === undefined
    ? { error: `Unknown mode "${word}": use interrupt, incorporate or queue.` }
    : { mode };
}
