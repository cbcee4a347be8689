/**
 * What the durable core tells the outside world, without knowing who listens: ChatService reports each
 * change of a session and refused messages, AgentSession each iteration's output and live message. The
 * Slack side implements this in src/slack/durable/slack-session-effects.ts; sessions started with curl have
 * no origin and report nowhere. Implementations issue only journaled commands (sends, calls), never I/O,
 * except `showStreamedText` and `endLiveMessage` (best effort, on the live message only).
 */
import type * as restate from "@restatedev/restate-sdk";
import type { StreamedText, ToolTask } from "../agent/agent.ts";
import type { ApprovalDecision, UndoOffer } from "./approvals.ts";
import type { Mode } from "./modes.ts";
import type { SessionOrigin, UserInput } from "./session-state.ts";

/**
 * Where a user message stands; shown in Slack as a reaction on the message. `waiting`: its run waits for a
 * person to approve what the agent wants to do.
 */
export type Fate = "running" | "waiting" | "queued" | "incorporated" | "stopped" | "done" | "failed";

/** A waiting approval as people see it (card, Home): our id for it, what the agent wants, since when. */
export interface ShownApproval {
  readonly id: string;
  readonly tool: string;
  readonly title: string;
  readonly args: Readonly<Record<string, string>>;
  readonly since: string;
}

/** An approval card to post (no decision yet) or to update with its decision. */
export interface ApprovalCard {
  readonly approval: ShownApproval;
  readonly decision: ApprovalDecision | null;
}

export interface FateChange {
  readonly input: UserInput;
  readonly fate: Fate;
}

/**
 * What a session looks like after a change: enough for a person's Home without asking the session. It
 * carries the messages' full text; what reaches a Home is cut to previews on the way (`toHomeSummary`).
 */
export interface SessionSummary {
  readonly key: string;
  readonly title: string | null;
  readonly origin: SessionOrigin | null;
  /** The session's own mode; null when it follows its channel's default (then `MODE`). */
  readonly mode: Mode | null;
  /** Its channel's default mode, null when the channel has none. */
  readonly channelMode: Mode | null;
  readonly activeRun: {
    readonly id: string;
    /** AgentSession key of the run, to read its iteration. */
    readonly key: string;
    readonly startedAt: string;
    readonly input: UserInput;
    /** What the run waits for a person to approve, if it waits. */
    readonly approval?: ShownApproval;
  } | null;
  readonly queue: readonly UserInput[];
  /** People's feedback on the session's answers, counted. */
  readonly feedback?: { readonly positive: number; readonly negative: number };
}

export interface SessionChange {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  /** Everyone who started or wrote in the session. */
  readonly people: readonly string[];
  /** Others whose Home shows the session now: `APPROVERS` of its workspace, while an approval is at stake. */
  readonly approvers?: readonly string[];
  readonly fates: readonly FateChange[];
  /** Runs that ended by interrupt or stop: their outputs not yet delivered are to be dropped. */
  readonly stoppedRunIds: readonly string[];
  readonly summary: SessionSummary;
  /** The session was reset: Slack's agent session for the thread is closed (a new message opens it again). */
  readonly closed?: boolean;
  /** Slack may show another status than we last set (its Stop pressed on an idle session): set it again. */
  readonly reassertStatus?: boolean;
  /** Approval cards to post or update (decided, timed out, superseded by an interrupt). */
  readonly approvals?: readonly ApprovalCard[];
  /** A run's offer to undo its effects, as it stands now (the undo note to post or update). */
  readonly undo?: UndoOffer;
}

export interface RunOutput {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  readonly runId: string;
  readonly iteration: number;
  readonly text: string;
  /** The run's last output. */
  readonly final: boolean;
  /** `markdown` for a model's answer; plain text (shown as typed) otherwise. */
  readonly format?: "text" | "markdown" | undefined;
  /** Short lines shown with the output (tool calls), or a failure's explanation. */
  readonly notes?: readonly string[] | undefined;
  /** The iteration's tool calls as they ended (task cards in Slack). */
  readonly tasks?: readonly ToolTask[] | undefined;
  /** The live message of this iteration, which the output replaces; null when it was not streamed. */
  readonly live?: LiveMessage | null | undefined;
}

/** The message that shows an iteration's streamed text while it runs (see `SessionEffects.openLiveMessage`). */
export interface LiveMessage {
  readonly ts: string;
}

export interface SessionEffects {
  /** A session of a place began (its first message recorded where it lives): the place may list it. */
  began(ctx: restate.Context, session: { sessionKey: string; origin: SessionOrigin }): void;
  changed(ctx: restate.Context, change: SessionChange): void;
  refused(
    ctx: restate.Context,
    refusal: { sessionKey: string; origin: SessionOrigin; input: UserInput; reason: string },
  ): void;
  /** Each iteration's output, also one with nothing to show: what is worth showing is the listener's rule. */
  output(ctx: restate.Context, output: RunOutput): void;
  /**
   * Opens the live message of an iteration of a streaming agent (durably: once per iteration, also across
   * retries). Null when there is nowhere to show it.
   */
  openLiveMessage(
    ctx: restate.Context,
    at: { sessionKey: string; origin: SessionOrigin; runId: string; iteration: number },
  ): Promise<LiveMessage | null>;
  /**
   * Shows the text streamed so far in the iteration's live message. The one effect that does I/O itself:
   * it is called from inside a durable step, is best effort and paced, and is never journaled. `signal` is
   * the step's attempt: when it aborts (the run was interrupted), the message says so and updates stop.
   */
  showStreamedText(
    origin: SessionOrigin,
    message: LiveMessage,
    streamed: StreamedText,
    signal: AbortSignal,
  ): void;
  /**
   * The iteration is over: no more streamed text for this message. Done or failed, its final text comes by
   * `output`; interrupted, the message is marked so (best effort, like `showStreamedText`).
   */
  endLiveMessage(
    origin: SessionOrigin,
    message: LiveMessage,
    outcome: "done" | "failed" | "interrupted",
  ): void;
}

/** For a deployment without Slack: changes are only logged by the objects themselves. */
export const noSessionEffects: SessionEffects = {
  began() {},
  changed() {},
  refused() {},
  output() {},
  openLiveMessage: async () => null,
  showStreamedText() {},
  endLiveMessage() {},
};
