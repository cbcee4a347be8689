/**
 * How agent outputs look in Slack. Plain outputs (the demo agent's) are the message text. A model's
 * Markdown goes into Slack's `markdown` block, which renders standard Markdown (headings, lists, code) as
 * Slack shows it, with its first table as a `table` block where it fits; tool calls are task cards above
 * the answer (agent-blocks.ts), and an answer ends with the feedback buttons. Pure.
 *
 * Everything an agent or a tool wrote is escaped here, and only here, before it is cut to Slack's limits:
 * in blocks, in the `text` fallback and in live messages alike, so an injected `<!channel>` or
 * `<https://evil.example|https://good.example>` is shown as written and neither pings nor hides a link.
 * Slack's docs do not say the `markdown` block leaves `<...>` alone, so it is escaped too.
 */
import type { KnownBlock } from "@slack/types";
import type { ToolTask } from "../agent/agent.ts";
import { fitsTableBlock, type MarkdownTable, tableBlock, taskBlocks, taskLine } from "./agent-blocks.ts";
import { escapeMrkdwn, MAX_MESSAGE_CHARS, preview, shorten, splitForSlack, unescapeMrkdwn } from "./text.ts";

/** Slack allows 12,000 characters of `markdown` blocks per message; stay a little under. */
export const MAX_MARKDOWN_CHARS = 11_000;
/** A section block's text limit. */
const SECTION_CHARS = 3000;
/** Tool-call lines shown per message; more are summed up in one line. */
export const MAX_NOTES = 10;
/** What a live message shows before the first words arrive, and at the end of a text still growing. */
export const LIVE_PLACEHOLDER = "_Thinking…_";
export const LIVE_CURSOR = " ▍";

export interface OutputPart {
  readonly text: string;
  readonly format?: "text" | "markdown" | undefined;
  readonly notes?: readonly string[] | undefined;
  /** The run's last output: its answer, which carries the feedback buttons. */
  readonly final?: boolean | undefined;
  /** The iteration's tool calls, shown as task cards above the text. */
  readonly tasks?: readonly ToolTask[] | undefined;
}

/** The feedback buttons' action id, and the values a click sends. */
export const FEEDBACK_ACTION_ID = "answer_feedback";
export const FEEDBACK_VALUES = { positive: "positive", negative: "negative" } as const;

/**
 * Slack's feedback buttons under an answer. `blockId` must be new on every post or update of the message
 * (Slack keeps a block's clicked state by its id).
 */
function feedbackBlock(blockId: string): KnownBlock {
  return {
    type: "context_actions",
    block_id: blockId,
    elements: [
      {
        type: "feedback_buttons",
        action_id: FEEDBACK_ACTION_ID,
        positive_button: {
          text: { type: "plain_text", text: "Good answer" },
          accessibility_label: "Mark this answer as helpful",
          value: FEEDBACK_VALUES.positive,
        },
        negative_button: {
          text: { type: "plain_text", text: "Bad answer" },
          accessibility_label: "Mark this answer as not helpful",
          value: FEEDBACK_VALUES.negative,
        },
      },
    ],
  };
}

export interface RenderedMessage {
  readonly text: string;
  /** Absent for a plain message (text only). */
  readonly blocks?: KnownBlock[];
  /** What did not fit, as the agent wrote it (unescaped), to go out as the next message (same format, no notes). */
  readonly rest: string;
}

function noteBlocks(notes: readonly string[]): KnownBlock[] {
  const shown =
    notes.length > MAX_NOTES
      ? [...notes.slice(0, MAX_NOTES - 1), `…and ${notes.length - MAX_NOTES + 1} more`]
      : notes;
  return shown.map((note) => ({
    type: "context",
    elements: [{ type: "mrkdwn", text: preview(escapeMrkdwn(note), 2900) }],
  }));
}

const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|(\s*:?-+:?\s*\|)+\s*$/;

function tableCells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((cell) => cell.trim());
}

const alignOf = (cell: string): MarkdownTable["align"][number] =>
  cell.startsWith(":") && cell.endsWith(":") ? "center" : cell.endsWith(":") ? "right" : "left";

/** The Markdown table whose header is `lines[i]`, and the first line after it; null when none starts there. */
function tableAt(lines: readonly string[], i: number): { table: MarkdownTable; end: number } | null {
  const header = lines[i] ?? "";
  if (!TABLE_ROW.test(header) || !TABLE_SEPARATOR.test(lines[i + 1] ?? "")) return null;
  let end = i + 2;
  while (end < lines.length && TABLE_ROW.test(lines[end] ?? "")) end += 1;
  return {
    table: {
      rows: [tableCells(header), ...lines.slice(i + 2, end).map(tableCells)],
      align: tableCells(lines[i + 1] ?? "").map(alignOf),
    },
    end,
  };
}

/** A Markdown link or image, `[label](target)`, `![alt](<target> "title")`. */
const MARKDOWN_LINK = /(!?)\[([^\]\n]*)\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"\n]*")?\s*\)/g;
const ZERO_WIDTH_SPACE = "\u200b";
const bareAddress = (address: string) =>
  address
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .replace(/\/$/, "")
    .toLowerCase();

/**
 * No link a model writes hides where it goes: `[label](target)` is shown as its label followed by its
 * target in plain text (which Slack links itself), or as the target alone when the label is the target.
 * Any link syntax left over (a form the pattern does not read: parentheses in a target, a reference
 * link and its definition, a label across lines) is made inert with a zero-width space, so it shows as
 * written, target included. Not inside inline code.
 */
function discloseLinkTargets(line: string): string {
  return line
    .split(/(`[^`]*`)/)
    .map((segment, i) =>
      i % 2 === 1
        ? segment
        : segment
            .replace(MARKDOWN_LINK, (_whole, _image: string, label: string, target: string) =>
              label.trim() === "" || bareAddress(label) === bareAddress(target)
                ? target
                : `${label} (${target})`,
            )
            .replaceAll("](", `]${ZERO_WIDTH_SPACE}(`)
            .replaceAll("][", `]${ZERO_WIDTH_SPACE}[`)
            .replace(/^(\s*\[[^\]]*\]):/, `$1${ZERO_WIDTH_SPACE}:`),
    )
    .join("");
}

/**
 * Markdown as Slack's `markdown` block shows it. The block renders what models write (headings, lists,
 * emphasis, links, code, quotes) except tables, which would arrive as rows of pipes in a proportional font:
 * each table becomes a code block with its columns lined up. A link that disguises its target is disclosed.
 */
export function slackMarkdown(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let fenced = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? "";
    if (line.trimStart().startsWith("```")) fenced = !fenced;
    const found = fenced ? null : tableAt(lines, i);
    if (found) {
      const { rows } = found.table;
      i = found.end - 1;
      const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length))) ?? [];
      const format = (row: readonly string[]) =>
        widths
          .map((w, c) => (row[c] ?? "").padEnd(w))
          .join("  ")
          .trimEnd();
      out.push("```", format(rows[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "));
      for (const row of rows.slice(1)) out.push(format(row));
      out.push("```");
      continue;
    }
    out.push(fenced ? line : discloseLinkTargets(line));
  }
  return out.join("\n");
}

/** A markdown block; the type is newer than @slack/types' list of known blocks. */
function markdownBlock(text: string): KnownBlock {
  return { type: "markdown", text } as unknown as KnownBlock;
}

/**
 * One message for the outputs of a thread (several when they came fast and were coalesced). A message that
 * ends a run's answer gets the feedback buttons (block `feedbackBlockId`), below its last part.
 */
export function renderOutputs(parts: readonly OutputPart[], feedbackBlockId?: string): RenderedMessage {
  const answers =
    feedbackBlockId !== undefined && parts.some((part) => part.final && part.text.trim() !== "");
  // An answer is blocks (its text in a section, cut to a section's size), so the buttons can go below it.
  const rendered = renderParts(parts, answers);
  if (!feedbackBlockId || !answers || rendered.rest) return rendered;
  return { ...rendered, blocks: [...(rendered.blocks ?? []), feedbackBlock(feedbackBlockId)] };
}

/** The message as its text alone, in one section: for a workspace that refuses its blocks (`invalid_blocks`). */
export function textOnly(message: RenderedMessage): { text: string; blocks: KnownBlock[] } {
  return {
    text: message.text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: shorten(message.text, SECTION_CHARS) } }],
  };
}

function renderParts(parts: readonly OutputPart[], asBlocks: boolean): RenderedMessage {
  const tasks = parts.flatMap((part) => part.tasks ?? []);
  const partNotes = parts.flatMap((part) => part.notes ?? []);
  const notes = [...tasks.map(taskLine), ...partNotes];
  const body = escapeMrkdwn(
    parts
      .map((part) => (part.format === "markdown" ? slackMarkdown(part.text) : part.text))
      .filter((text) => text.trim() !== "")
      .join("\n\n"),
  );
  const markdown = parts.some((part) => part.format === "markdown");
  if (!markdown && notes.length === 0 && !asBlocks) {
    const [first, rest] = splitForSlack(body);
    return { text: first, rest: unescapeMrkdwn(rest) };
  }
  const [first, rest] = splitForSlack(body, markdown ? MAX_MARKDOWN_CHARS : SECTION_CHARS);
  // Tool calls as task cards; other notes (a failure's explanation) as context lines.
  const blocks: KnownBlock[] = [...taskBlocks(tasks), ...noteBlocks(partNotes)];
  const single = parts.length === 1 ? parts[0] : undefined;
  const withTable = !rest && single?.format === "markdown" ? markdownWithTable(single.text) : null;
  if (withTable) blocks.push(...withTable);
  else if (first)
    blocks.push(markdown ? markdownBlock(first) : { type: "section", text: { type: "mrkdwn", text: first } });
  // The text fallback (notifications, clients without blocks) keeps the text's lines.
  const fallback = [...notes.map(escapeMrkdwn), first].filter((line) => line !== "").join("\n");
  return { text: shorten(fallback, MAX_MESSAGE_CHARS) || "(no answer)", blocks, rest: unescapeMrkdwn(rest) };
}

/**
 * A Markdown answer whose first table fits Slack's `table` block, as the text before it, the table, and
 * the text after it; null when it has no such table. One table a message (how we read Slack's table
 * reference): the others stay code blocks (`slackMarkdown`).
 */
function markdownWithTable(text: string): KnownBlock[] | null {
  const lines = text.split("\n");
  let fenced = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? "";
    if (line.trimStart().startsWith("```")) fenced = !fenced;
    const found = fenced ? null : tableAt(lines, i);
    if (!found) continue;
    const { table, end } = found;
    if (!fitsTableBlock(table)) return null;
    const around = (from: string[]) => {
      const shown = escapeMrkdwn(slackMarkdown(from.join("\n"))).trim();
      return shown ? [markdownBlock(shown)] : [];
    };
    return [...around(lines.slice(0, i)), tableBlock(table), ...around(lines.slice(end))];
  }
  return null;
}

/**
 * A live message: what the model has written so far, with a cursor while it grows, and its tool calls as
 * task cards (in progress while they run).
 */
export function renderLiveMessage(
  text: string,
  state: "growing" | "interrupted",
  tasks: readonly ToolTask[] = [],
): RenderedMessage {
  const shown = text.trim() === "" ? LIVE_PLACEHOLDER : escapeMrkdwn(slackMarkdown(text));
  const [first] = splitForSlack(shown, MAX_MARKDOWN_CHARS);
  const blocks: KnownBlock[] = [
    ...taskBlocks(tasks),
    markdownBlock(state === "growing" ? `${first}${LIVE_CURSOR}` : first),
  ];
  if (state === "interrupted")
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: ":black_square_for_stop: _Stopped_" }],
    });
  return { text: preview(shown, MAX_MESSAGE_CHARS), blocks, rest: "" };
}
