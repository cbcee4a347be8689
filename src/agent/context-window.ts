/**
 * The context window: what an agent is given of a long conversation, within `LLM_CONTEXT_TOKENS`. The rules
 * are pure (measure, cut, where to split); `fitToWindow` is the recipe a run follows before each iteration:
 * 1. every item is bounded (a huge message or tool result is cut, with a note saying so);
 * 2. when the items still exceed the window, the oldest turns are summarised by the agent, each piece in
 *    one durable step (journaled: a retry replays the summary, it never asks for it twice);
 * 3. the summary replaces them, the newest turns stay verbatim, and a tool call is never parted from its
 *    result (the kept part never starts with a `tool` item).
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
   * Summarises `items` (after the `previous` summary, if any) into one text. Must be durable: one
   * `ctx.step` per call, named by `name`.
   */
  summarize(
    ctx: AgentStepContext,
    name: string,
    previous: string | null,
    items: HistoryItem[],
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
  const keep = Math.max(0, (maxTokens - estimateTokens(note)) * BYTES_PER_TOKEN);
  // A cut inside a multi-byte character decodes as U+FFFD: drop it.
  const head = Buffer.from(text, "utf8")
    .subarray(0, keep)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
  return `${head}${note}`;
}

/** A tool's result within `maxTokens`: a long one becomes its cut text (JSON as text), with the note. */
export function boundToolOutput(output: ToolOutput, maxTokens: number): ToolOutput {
  const text = typeof output.value === "string" ? output.value : JSON.stringify(output.value ?? null);
  if (estimateTokens(text) <= maxTokens) return output;
  const value = boundText(text, maxTokens, "tool result");
  return output.type === "error-text" ? { type: "error-text", value } : { type: "text", value };
}

/** One history item within `maxTokens`: its text parts and tool results cut where too long. */
export function boundItem(item: HistoryItem, maxTokens: number): HistoryItem {
  if (itemTokens(item) <= maxTokens) return item;
  if (typeof item.content === "string")
    return { ...item, content: boundText(item.content, maxTokens, "message") };
  // Each part gets its share; tool-call arguments stay whole (a call must stay valid for its result).
  const share = Math.max(64, Math.floor(maxTokens / Math.max(1, item.content.length)));
  const content = item.content.map((part) => {
    const p = part as { type?: string; text?: string; output?: { type: string; value: unknown } };
    if (typeof p.text === "string") return { ...p, text: boundText(p.text, share, "message") };
    if (p.type === "tool-result" && p.output)
      return { ...p, output: boundToolOutput(p.output as ToolOutput, share) };
    return part;
  });
  return { ...item, content };
}

/**
 * Where to split `items` so that what follows fits `keepTokens`: the first index whose tail fits, never
 * at a `tool` item (its call is in the item before). The newest unit is always kept, so a split may leave
 * more than `keepTokens`; null when there is nothing before it to compact.
 */
export function splitPoint(items: readonly HistoryItem[], keepTokens: number): number | null {
  let tail = 0;
  let best: number | null = null;
  for (let index = items.length - 1; index >= 1; index -= 1) {
    tail += itemTokens(items[index] as HistoryItem);
    if (items[index]?.role === "tool") continue;
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
  const shares = windowShares(window.limitTokens);
  const items = view.items.map((item) => boundItem(item, shares.item));
  const summaryTokens = view.summary ? estimateTokens(view.summary) + TOKENS_PER_MESSAGE : 0;
  if (summaryTokens + itemsTokens(items) <= window.limitTokens)
    return { summary: view.summary, items, compaction: null };
  const split = splitPoint(items, shares.keep);
  if (split === null) return { summary: view.summary, items, compaction: null };
  let summary = view.summary;
  // Each piece with the summary so far must fit one call: pieces take what the summaries leave.
  const pieces = piecesOf(items.slice(0, split), window.limitTokens - 2 * shares.summary);
  for (const [index, piece] of pieces.entries()) {
    const name = pieces.length === 1 ? `compact history ${n}` : `compact history ${n}.${index + 1}`;
    const said = await window.summarize(ctx, name, summary, piece);
    summary = boundText(said, shares.summary, "summary");
  }
  return {
    summary,
    items: items.slice(split),
    compaction: { summary: summary ?? "", dropped: split },
  };
}
