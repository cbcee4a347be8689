/**
 * What the durable core tells the outside world, without knowing who listens. ChatService reports each
 * change of a session (messages whose fate changed, runs that stopped) and refused messages; AgentSession
 * reports each iteration's output. The Slack side implements this with one-way sends to its own objects
 * (src/slack/durable/session-effects.ts); sessions started with curl have no origin and report nowhere.
 * Implementations must only issue journaled commands (sends), never do I/O themselves.
 */
import type * as restate from "@restatedev/restate-sdk";
import type { Mode } from "./modes.ts";
import type { SessionOrigin, UserInput } from "./session-state.ts";

/** Where a user message stands; shown in Slack as a reaction on the message. */
export type Fate = "running" | "queued" | "incorporated" | "stopped" | "done" | "failed";

export interface FateChange {
  readonly input: UserInput;
  readonly fate: Fate;
}

/** What a session looks like after a change: enough for a person's Home without asking the session. */
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
  } | null;
  readonly queue: readonly UserInput[];
}

export interface SessionChange {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  /** Everyone who started or wrote in the session. */
  readonly people: readonly string[];
  readonly fates: readonly FateChange[];
  /** Runs that ended by interrupt or stop: their outputs not yet delivered are to be dropped. */
  readonly stoppedRunIds: readonly string[];
  readonly summary: SessionSummary;
}

export interface RunOutput {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  readonly runId: string;
  readonly iteration: number;
  readonly text: string;
  /** The run's last output. */
  readonly final: boolean;
}

export interface SessionEffects {
  changed(ctx: restate.Context, change: SessionChange): void;
  refused(
    ctx: restate.Context,
    refusal: { sessionKey: string; origin: SessionOrigin; input: UserInput; reason: string },
  ): void;
  output(ctx: restate.Context, output: RunOutput): void;
}

/** For a deployment without Slack: changes are only logged by the objects themselves. */
export const noSessionEffects: SessionEffects = {
  changed() {},
  refused() {},
  output() {},
};
