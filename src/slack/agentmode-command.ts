/**
 * `/agentmode` and `!agentmode`: parsing, as pure functions.
 *   /agentmode                         the channel's default and its sessions
 *   /agentmode <mode>                  the channel's default (`default` clears it)
 *   /agentmode <mode> <thread link>    one thread's mode (`default` follows the channel again)
 *   !agentmode <mode>                  (in a thread) that thread's mode
 */
import { type ModeChoice, parseModeChoice } from "../restate/modes.ts";
import { parseThreadLink, type ThreadLink } from "./permalink.ts";

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

/** The answer to a word that is no mode, from `/agentmode` and `!agentmode` alike. */
const unknownMode = (word: string) => `Unknown mode "${word}": use interrupt, incorporate or queue.`;

/** Words of a command; a link Slack wrapped as `<url|a label with spaces>` is one word. */
function words(text: string): string[] {
  return text.match(/<[^>]*>|\S+/g) ?? [];
}

export function parseAgentModeCommand(text: string): AgentModeCommand {
  const [first, second, ...rest] = words(text);
  if (!first || (first.toLowerCase() === "help" && !second)) return { kind: "help" };
  const mode = parseModeChoice(first);
  if (mode === undefined) {
    return { kind: "error", message: unknownMode(first) };
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
  return mode === undefined ? { error: unknownMode(word) } : { mode };
}
