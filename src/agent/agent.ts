/**
 * The agent interface: what AgentSession needs from an agent, and nothing about Slack. An agent gets the
 * run's working history and a small durable toolbox (`step`, `sleep`); everything that talks to the outside
 * world (a model, a clock, randomness) must go through `step` (or journal through `restate` itself, as the
 * AI SDK middleware does), so that a crash or a retry replays its journaled result instead of doing it again.
 */

import type * as restate from "@restatedev/restate-sdk";
import type { ApprovalDecision, ApprovalRequest } from "../restate/approvals.ts";
import type { ContextWindow } from "./context-window.ts";
import type { AgentTool, ToolContext } from "./tools.ts";

/**
 * One item of a session's history. The demo agent keeps `{role: "user" | "system", content: text}`; the LLM
 * agent keeps the AI SDK's messages (`user`, `assistant`, `tool`), whose content may be a list of parts.
 */
export interface HistoryItem {
  readonly role: string;
  readonly content: string | unknown[];
}

/** The text a model has streamed of an iteration so far, shown while it runs (best effort, never journaled). */
export interface StreamedText {
  readonly text: string;
  /** The iteration's tool calls so far, as they stand (shown as task cards). */
  readonly tasks?: readonly ToolTask[];
}

/** A tool call as people see it: what it is, where it stands, and a short word on what it gave. */
export interface ToolTask {
  readonly id: string;
  /** `current_time(timeZone: "Europe/Paris")`, short. */
  readonly title: string;
  readonly status: "in_progress" | "complete" | "error";
  /** A short excerpt of what the tool answered, or why it failed. */
  readonly output?: string;
}

export interface AgentStepContext {
  readonly sessionKey: string;
  /** Where the session's messages come from, as recorded (a Slack thread); null for curl sessions. */
  readonly origin: ToolContext["origin"];
  readonly runId: string;
  /** 1 for the first iteration of a run. */
  readonly iteration: number;
  /**
   * Runs `action` as a durable step. Once it has succeeded its result is journaled: after a crash the step
   * is not run again, its result is replayed. A step that throws is retried; a `TerminalError` (from
   * `@restatedev/restate-sdk`) ends the run as failed. `signal` aborts when the attempt ends (the run was
   * interrupted or stopped, or our process lost its connection): pass it to any request the step makes.
   */
  step<T>(name: string, action: (signal: AbortSignal) => Promise<T> | T): Promise<T>;
  /** A durable timer: it survives restarts, and cancelling the run ends it at once. */
  sleep(ms: number): Promise<void>;
  /** Logs with the run's context; silent while the run is replaying. */
  log(message: string): void;
  /**
   * Shows the text streamed so far, while a step is still running, in the iteration's live message. Best
   * effort: it may be skipped or paced, and only the iteration's result counts. A no-op where nobody
   * watches (curl sessions).
   */
  showStreamed(streamed: StreamedText): void;
  /** Whether anyone watches what `showStreamed` shows (a Slack thread); agents may then prefer streamed calls. */
  readonly watched: boolean;
  /** The run's Restate context, for libraries that journal through it themselves (durable model calls). */
  readonly restate: restate.Context;
  /**
   * Asks the session's people (or `APPROVERS`) to approve an action and waits for the decision, durably:
   * the wait survives every process and costs nothing meanwhile. Ends as denied after `APPROVAL_TIMEOUT`,
   * and at once where nobody could decide (a session with no Slack thread). Cancelling the run ends it.
   */
  askApproval(request: ApprovalRequest): Promise<ApprovalDecision>;
  /** Records, durably, that an undoable effect is about to happen (before its step runs). */
  registerEffect(effect: { id: string; tool: string; title: string; input: unknown; since: number }): void;
  /** Records how the effect's step ended: its result (to undo it by), or that it did nothing. */
  effectEnded(id: string, ended: { result: unknown } | { failed: string }): void;
}

export interface AgentStepResult {
  /** What this iteration produced: posted into the thread, and the run's final output when `done`. */
  readonly output: string;
  /** True when the run should end after this iteration. */
  readonly done: boolean;
  /** `markdown`: the output is Markdown (rendered as such in Slack); plain text otherwise. */
  readonly format?: "text" | "markdown";
  /** Short lines shown with the output (a failure's explanation, say). */
  readonly notes?: readonly string[];
  /** The iteration's tool calls, as they ended (shown as task cards; their titles are the text fallback). */
  readonly tasks?: readonly ToolTask[];
  /**
   * What this iteration adds to the session's history. When an agent returns it, the run reports its
   * messages (with the inputs it took in, in place) and they are the history; without it, only the run's
   * final output is kept, as a `system` entry.
   */
  readonly messages?: readonly HistoryItem[];
}

export interface Agent {
  readonly name: string;
  /** The agent's tools: the run finds a tool's undo here by name. */
  readonly tools?: readonly AgentTool[];
  /** Streams its iterations: each iteration of a watched run gets a live message that `showStreamed` updates. */
  readonly streams?: boolean;
  /**
   * The window its history must fit (`LLM_CONTEXT_TOKENS`): before each iteration the run bounds the items
   * and, when they exceed it, has the agent summarise the oldest (`fitToWindow` in context-window.ts).
   */
  readonly contextWindow?: ContextWindow;
  /**
   * One iteration of the agent loop over the run's working history. After a compaction its first item is
   * the summary of everything before (role `summary`, `SUMMARY_ROLE`).
   */
  step(ctx: AgentStepContext, history: readonly HistoryItem[]): Promise<AgentStepResult>;
}

/** A history item's content as one line of text (parts summarised), for logs and previews. */
export function contentText(content: HistoryItem["content"]): string {
  if (typeof content === "string") return content;
  return content
    .map((part) => {
      const p = part as { type?: string; text?: string; toolName?: string };
      if (p.type === "text" || p.type === "reasoning") return p.text ?? "";
      if (p.type === "tool-call") return `[calls ${p.toolName}]`;
      if (p.type === "tool-result") return `[result of ${p.toolName}]`;
      return `[${p.type ?? "part"}]`;
    })
    .join(" ");
}
