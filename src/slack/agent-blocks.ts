/**
 * Slack's blocks for agents: a tool call is a `task_card` (several in one iteration are a `plan`), and a
 * Markdown table a `table` block when it fits Slack's limits (else it stays a code block, see
 * output-message.ts). Their texts are escaped as everything an agent or a tool wrote (`&`, `<`, `>`), so
 * none of them can ping or hide a link, whatever Slack does with raw and rich text. Pure.
 */
import type { KnownBlock, PlanBlock, RichTextBlock, TableBlock, TaskCardBlock } from "@slack/types";
import type { ToolTask } from "../agent/agent.ts";
import { escapeMrkdwn, preview } from "./text.ts";

/** Slack's limits for a table block: rows (the header included) and cells in a row. */
const TABLE_LIMITS = { rows: 100, columns: 20, cellChars: 1000 } as const;
/** What a task card shows of a tool's answer. */
const TASK_OUTPUT_CHARS = 200;
const TASK_TITLE_CHARS = 150;
const EMPTY_CELL = "—";

/** Rich text of one plain paragraph. */
function richText(text: string): RichTextBlock {
  return {
    type: "rich_text",
    elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
  };
}

function taskCard(task: ToolTask): TaskCardBlock {
  return {
    type: "task_card",
    task_id: task.id,
    title: preview(escapeMrkdwn(task.title), TASK_TITLE_CHARS),
    status: task.status,
    ...(task.output ? { output: richText(preview(escapeMrkdwn(task.output), TASK_OUTPUT_CHARS)) } : {}),
  };
}

/** An iteration's tool calls: one task card, or a plan of them. */
export function taskBlocks(tasks: readonly ToolTask[]): KnownBlock[] {
  if (tasks.length === 0) return [];
  if (tasks.length === 1 && tasks[0]) return [taskCard(tasks[0])];
  const done = tasks.filter((task) => task.status !== "in_progress").length;
  const plan: PlanBlock = {
    type: "plan",
    title: `Tool calls (${done} of ${tasks.length} done)`,
    tasks: tasks.map(taskCard),
  };
  return [plan];
}

/** A tool call as one line of the text fallback (where blocks are not shown: notifications, old clients). */
export function taskLine(task: ToolTask): string {
  const word = { in_progress: "running", complete: "done", error: "failed" }[task.status];
  return `${task.title}: ${word}`;
}

/** A parsed Markdown table: its header and rows (cells as written), and each column's alignment. */
export interface MarkdownTable {
  readonly rows: readonly (readonly string[])[];
  readonly align: readonly ("left" | "center" | "right")[];
}

/** Whether a table fits one `table` block. */
export function fitsTableBlock(table: MarkdownTable): boolean {
  const width = Math.max(...table.rows.map((row) => row.length));
  return (
    table.rows.length <= TABLE_LIMITS.rows &&
    width <= TABLE_LIMITS.columns &&
    table.rows.every((row) => row.every((cell) => cell.length <= TABLE_LIMITS.cellChars))
  );
}

/** A table block; every row gets as many cells as the widest (Slack wants a rectangle). */
export function tableBlock(table: MarkdownTable): TableBlock {
  const width = Math.max(...table.rows.map((row) => row.length));
  return {
    type: "table",
    rows: table.rows.map((row) =>
      // Slack's raw text is at least one character: an empty cell shows a dash.
      Array.from({ length: width }, (_, c) => ({
        type: "raw_text",
        text: escapeMrkdwn(row[c] || EMPTY_CELL),
      })),
    ),
    column_settings: Array.from({ length: width }, (_, c) => ({ align: table.align[c] ?? "left" })),
  };
}
