/**
 * The context window: what an agent is given of a long conversation, within `LLM_CONTEXT_TOKENS`. The rules
 * are pure (measure, cut, where to split); `fitToWindow` is the recipe a run follows before each iteration:
 * 1. every item is bounded (a huge message or tool result is cut, with a note saying so);
 * 2. when the items still exceed the window, the oldest turns are summarised by the agent, each piece in
 *    one durable step (journaled: a retry replays the summary, it never asks for it twice);
 * 3. the summary replaces them and the newest turns stay: the kept part starts with a person's message,
 *    so a tool call is never parted from its result and the question being answered is never dropped;
 * 4. what still exceeds the window (one run's long tool loop) has its items cut harder.
 *
 * Tokens are estimated, not counted: one token per 3 bytes of UTF-8, plus 4 per message. Models behind
 * OpenAI-compatible servers use different tokenizers (GPT's, Llama's, Qwen's...), so no one tokenizer
 * package is right for all of them; English runs about 4 characters a token in all of them, code and
 * other scripts fewer, and 3 bytes a token errs on the high side for each (a CJK character is 3 bytes and
 * about 1 token). An estimate that errs high costs a little context; one that errs low costs a failed call.
 */
import type { AgentStepContext, HistoryItem } from "./agent.ts";
import type { ToolOutput } from "./tool-calls.ts";

/** The role of the item that stands for everything compacted before it: the summary. */
export const SUMMARY_ROLE = "summary";

/** What an agent that keeps its context within a window declares. */
export interface ContextWindow {
  /** Tokens the items (summary included) may take in one model call. */
  readonly limitTokens: number;
  /**
   * Summarises `items` (after the `previous` summary, if any) into one text of about `maxTokens`. Must be
   * durable: one `ctx.step` per call, named by `name`.
   */
  summarize(
    ctx: AgentStepContext,
    name: string,
    previous: string | null,
    items: HistoryItem[],
    maxTokens: number,
  ): Promise<string>;
}

const BYTES_PER_TOKEN = 3;
const TOKENS_PER_MESSAGE = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / BYTES_PER_TOKEN);
}

/** The text a part contributes to a model call: its words, a call's arguments, a result's value. */
function partText(part: unknown): string {
  const p = part as { type?: string; text?: string; input?: unknown; output?: { value?: unknown } };
  if (typeof p.text === "string") return p.text;
  if (p.type === "tool-call") return JSON.stringify(p.input ?? {});
  if (p.type === "tool-result") {
    const value = p.output?.value;
    return typeof value === "string" ? value : JSON.stringify(value ?? null);
  }
  return JSON.stringify(part);
}

export function itemTokens(item: HistoryItem): number {
  const text = typeof item.content === "string" ? item.content : item.content.map(partText).join(" ");
  return estimateTokens(text) + TOKENS_PER_MESSAGE;
}

export function itemsTokens(items: readonly HistoryItem[]): number {
  return items.reduce((sum, item) => sum + itemTokens(item), 0);
}

/**
 * `text` within `maxTokens`, with a note for the model when it was cut (`what`: "message", "tool result").
 * Deterministic: the same text is cut the same way on every replay.
 */
export function boundText(text: string, maxTokens: number, what: string): string {
  const tokens = estimateTokens(text);
  if (tokens <= maxTokens) return text;
  const note = `\n\n[Cut: this ${what} was about ${tokens} tokens; only its first ${maxTokens} are shown.]`;
  const room = maxTokens - estimateTokens(note);
  // No room for words beside the note: the note alone, as much of it as fits.
  if (room <= 0) return headBytes(`[Cut: ${tokens} tokens]`, maxTokens * BYTES_PER_TOKEN);
  return `${headBytes(text, room * BYTES_PER_TOKEN)}${note}`;
}

/** The first `bytes` of `text` in UTF-8, never half a character (a cut one decodes as U+FFFD: dropped). */
function headBytes(text: string, bytes: number): string {
  return Buffer.from(text, "utf8")
    .subarray(0, Math.max(0, bytes))
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
}

/** A tool's result within `maxTokens`: a long one becomes its cut text (JSON as text), with the note. */
export function boundToolOutput(output: ToolOutput, maxTokens: number): ToolOutput {
  const text = typeof output.value === "string" ? output.value : JSON.stringify(output.value ?? null);
  if (estimateTokens(text) <= maxTokens) return output;
  const value = boundText(text, maxTokens, "tool result");
  return output.type === "error-text" ? { type: "error-text", value } : { type: "text", value };
}

/**
 * One history item within `maxTokens`: its text, or each of its parts within an equal share (a long text
 * or tool result cut with a note; a call's huge arguments replaced by a note, the call itself kept, so
 * that its result still answers it).
 */
export function boundItem(item: HistoryItem, maxTokens: number): HistoryItem {
  if (itemTokens(item) <= maxTokens) return item;
  const room = Math.max(1, maxTokens - TOKENS_PER_MESSAGE);
  if (typeof item.content === "string") return { ...item, content: boundText(item.content, room, "message") };
  const share = Math.max(1, Math.floor(room / Math.max(1, item.content.length)));
  const content = item.content.map((part) => {
    const p = part as { type?: string; text?: string; input?: unknown; output?: unknown };
    if (typeof p.text === "string") return { ...p, text: boundText(p.text, share, "message") };
    if (p.type === "tool-result" && p.output)
      return { ...p, output: boundToolOutput(p.output as ToolOutput, share) };
    const argumentTokens = estimateTokens(JSON.stringify(p.input ?? {}));
    if (p.type === "tool-call" && argumentTokens > share)
      return { ...p, input: { cut: `arguments of about ${argumentTokens} tokens not shown` } };
    return part;
  });
  return { ...item, content };
}

/**
 * Where to split `items` so that what follows fits `keepTokens`: at a person's message (a `user` item), so
 * that the kept part starts a turn, as every model's chat template accepts, never parts a tool call from
 * its result, and keeps the question being answered. The newest turn is always kept, so a split may leave
 * more than `keepTokens`; null when no turn but the first is there to keep.
 */
export function splitPoint(items: readonly HistoryItem[], keepTokens: number): number | null {
  let tail = 0;
  let best: number | null = null;
  for (let index = items.length - 1; index >= 1; index -= 1) {
    tail += itemTokens(items[index] as HistoryItem);
    if (items[index]?.role !== "user") continue;
    if (best !== null && tail > keepTokens) break;
    best = index;
  }
  return best;
}

/** Groups `items` into pieces of at most `maxTokens` each (an item larger than that is a piece alone). */
export function piecesOf(items: readonly HistoryItem[], maxTokens: number): HistoryItem[][] {
  const pieces: HistoryItem[][] = [];
  let piece: HistoryItem[] = [];
  let size = 0;
  for (const item of items) {
    const tokens = itemTokens(item);
    if (piece.length > 0 && size + tokens > maxTokens) {
      pieces.push(piece);
      piece = [];
      size = 0;
    }
    piece.push(item);
    size += tokens;
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** The items of a conversation as plain text, for a summary request. */
export function transcriptOf(items: readonly HistoryItem[]): string {
  return items
    .map((item) => {
      const text = typeof item.content === "string" ? item.content : item.content.map(partText).join(" ");
      return `${item.role}: ${text}`;
    })
    .join("\n\n");
}

/** The share of the window one item may take, a summary may take, and what stays verbatim after a compaction. */
export function windowShares(limitTokens: number) {
  return {
    item: Math.floor(limitTokens / 4),
    summary: Math.floor(limitTokens / 8),
    keep: Math.floor(limitTokens / 2),
  };
}

export interface Compaction {
  readonly summary: string;
  /** How many of the items (after the summary) it replaced. */
  readonly dropped: number;
}

/**
 * The recipe (see the top of this file): `items` bounded and, when they exceed the window, their oldest
 * part summarised. `summary`: the conversation's summary so far. `n` names this compaction's steps.
 */
export async function fitToWindow(
  ctx: AgentStepContext,
  window: ContextWindow,
  view: { summary: string | null; items: readonly HistoryItem[] },
  n: number,
): Promise<{ summary: string | null; items: HistoryItem[]; compaction: Compaction | null }> {
  const limit = window.limitTokens;
  const shares = windowShares(limit);
  const items = view.items.map((item) => boundItem(item, shares.item));
  const tokensOf = (summary: string | null) => (summary ? estimateTokens(summary) + TOKENS_PER_MESSAGE : 0);
  if (tokensOf(view.summary) + itemsTokens(items) <= limit)
    return { summary: view.summary, items, compaction: null };
  const split = splitPoint(items, shares.keep);
  let summary = view.summary;
  if (split !== null) {
    // Each piece with the summary so far must fit one call: pieces take what the summaries leave.
    const pieces = piecesOf(items.slice(0, split), limit - 2 * shares.summary);
    for (const [index, piece] of pieces.entries()) {
      const name = pieces.length === 1 ? `compact history ${n}` : `compact history ${n}.${index + 1}`;
      const said = await window.summarize(ctx, name, summary, piece, shares.summary);
      summary = boundText(said, shares.summary, "summary");
    }
  }
  const kept = split === null ? items : items.slice(split);
  // Still too much (one turn's long tool loop): every item gets an equal share of what is left.
  const left = limit - tokensOf(summary);
  const fitted =
    itemsTokens(kept) <= left
      ? kept
      : kept.map((item) => boundItem(item, Math.floor(left / Math.max(1, kept.length))));
  return {
    summary,
    items: fitted,
    compaction: split === null ? null : { summary: summary ?? "", dropped: split },
  };
}
