/**
 * One tool call, start to end: the recipe both agents follow. Each step is durable, so a crash anywhere
 * replays what was decided and never runs an effect twice:
 * 1. the input is checked against the tool's schema (a bad one goes back to the model);
 * 2. the tool's approval rule is decided (a durable step); when it asks, the run waits for a person;
 *    a denial (with its reason), a timeout or an interrupt goes back to the model as the result;
 * 3. an undoable effect is registered before its step runs, so a crash or cancel cannot lose it;
 * 4. the tool runs, once (a durable step), and the effect's result is recorded for its undo.
 */
import * as restate from "@restatedev/restate-sdk";
import { decisionForModel } from "../restate/approvals.ts";
import type { AgentStepContext } from "./agent.ts";
import type { AgentTool, ToolContext } from "./tools.ts";

export interface ToolCall {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
}

/** A tool's result as the model gets it (the AI SDK's tool-result output). */
export type ToolOutput =
  | { type: "json"; value: unknown }
  | { type: "error-text"; value: string }
  /** A result cut to the context window (`boundToolOutput`). */
  | { type: "text"; value: string };

/** A call's arguments as short readable text, for the approval card. */
export function readableArgs(input: unknown): Record<string, string> {
  if (!input || typeof input !== "object") return {};
  return Object.fromEntries(
    Object.entries(input as Record<string, unknown>).map(([name, value]) => [
      name,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

export async function callTool(
  ctx: AgentStepContext,
  tools: ReadonlyMap<string, AgentTool>,
  call: ToolCall,
): Promise<ToolOutput> {
  const tool = tools.get(call.toolName);
  if (!tool) return { type: "error-text", value: `There is no tool named ${call.toolName}.` };
  const parsed = tool.inputSchema.safeParse(call.input ?? {});
  if (!parsed.success) return { type: "error-text", value: `Invalid input: ${parsed.error.message}` };
  const input = parsed.data;
  // The model's ids need not be unique beyond one answer: the run and iteration make this one ours.
  const id = `${ctx.runId}:${ctx.iteration}:${call.toolCallId}`;
  const toolContext = (
    signal: AbortSignal,
    approvedBy: string | null,
    tries: { mayHaveRun: boolean; since: number | null } = { mayHaveRun: false, since: null },
  ): ToolContext => ({
    sessionKey: ctx.sessionKey,
    origin: ctx.origin,
    signal,
    callId: id,
    approvedBy,
    ...tries,
  });
  const title = tool.approval?.describe?.(input) ?? `${tool.name}(${JSON.stringify(input)})`;

  // 2. Ask first, if the tool's rule says so.
  let approvedBy: string | null = null;
  const rule = tool.approval?.required;
  if (rule !== undefined && rule !== false) {
    const asks =
      rule === true ||
      (await ctx.step(`approval rule ${tool.name} (${id})`, async (signal) =>
        Boolean(await rule(input, toolContext(signal, null))),
      ));
    if (asks) {
      const decision = await ctx.askApproval({
        toolCallId: id,
        tool: tool.name,
        title,
        args: readableArgs(input),
      });
      if (decision.verdict !== "approved") return { type: "error-text", value: decisionForModel(decision) };
      approvedBy = decision.by;
    }
  }

  // 3. An undoable effect is on record before it can happen. Its marker step says whether an earlier try
  // may have acted: if the marker runs now (not replayed), this is the first try (as SlackChannel's posts).
  let firstTry = false;
  let tries = 0;
  let since: number | null = null;
  if (tool.undo) {
    since = await ctx.step(`about to run ${tool.name} (${id})`, () => {
      firstTry = true;
      return Date.now();
    });
    ctx.registerEffect({ id, tool: tool.name, title, input, since });
  }

  // 4. The tool, once. A tool without an effect answers every failure to the model; an effect's failure
  // that may have left something (a dropped connection) is retried instead, and the tool looks first.
  const output = await ctx.step(`tool ${tool.name} (${id})`, async (signal): Promise<ToolOutput> => {
    tries += 1;
    try {
      const value = await tool.execute(
        input,
        toolContext(signal, approvedBy, { mayHaveRun: !firstTry || tries > 1, since }),
      );
      return { type: "json", value: plain(value ?? null) };
    } catch (error) {
      if (signal.aborted) throw error;
      if (tool.undo && !(error instanceof restate.TerminalError)) throw error;
      return { type: "error-text", value: (error as Error).message || String(error) };
    }
  });
  if (tool.undo)
    ctx.effectEnded(id, output.type === "json" ? { result: output.value } : { failed: output.value });
  return output;
}

/** Journaled values must be plain JSON (no undefined, dates or class instances). */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
