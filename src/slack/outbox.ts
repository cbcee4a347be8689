/**
 * A channel's outbox as pure functions: the state SlackChannel keeps between posts, and its rules
 * (coalescing a thread's waiting outputs into one message, splitting a long message, dropping outputs of
 * stopped runs, what to post next and whether the pace allows it now). SlackChannel applies them inside its
 * handlers and does the posting; keeping them pure makes the rules testable without a server.
 * Must not import the Restate SDK or do I/O.
 */
import type { ToolTask } from "../agent/agent.ts";
import type { RunOutput } from "../restate/session-effects.ts";
import { type RenderedMessage, renderOutputs } from "./output-message.ts";

export interface OutboxPart {
  readonly runId: string;
  readonly iteration: number;
  readonly text: string;
  /** The rest of a long output whose beginning is already posted. */
  readonly continued?: boolean;
  readonly format?: "text" | "markdown" | undefined;
  /** Tool-call lines or a failure's explanation, shown with the text. */
  readonly notes?: readonly string[] | undefined;
  /** The run's last output: its answer (the feedback buttons go under it). */
  readonly final?: boolean | undefined;
  /** The iteration's tool calls, shown as task cards. */
  readonly tasks?: readonly ToolTask[] | undefined;
}

/** Outputs that go out as one message into one thread. */
export interface OutboxGroup {
  readonly sessionKey: string;
  readonly threadTs: string;
  readonly parts: readonly OutboxPart[];
  /** The live message these parts replace (`chat.update`); absent for a new post. Never coalesced. */
  readonly updateTs?: string;
}

/** The channel's posting state, in one entry: read once and written once per handler. */
export interface ChannelPosting {
  readonly outbox: readonly OutboxGroup[];
  /** Earliest time (epoch ms) of the next post. */
  readonly nextSlotAt: number;
  readonly flushScheduled: boolean;
  /** Runs that were stopped, newest first: their outputs are dropped, also when they arrive late. */
  readonly discarded: readonly string[];
}

export const IDLE_POSTING: ChannelPosting = {
  outbox: [],
  nextSlotAt: 0,
  flushScheduled: false,
  discarded: [],
};

/** Stopped runs remembered per channel: enough for outputs that arrive late, bounded so state stays small. */
export const DISCARDED_REMEMBERED = 200;

/**
 * Whether an output has nothing to show in Slack: no text, notes or tool calls, and no live message waiting for its
 * final text. Such an output is never sent to the channel, nor posted.
 */
export function isEmptyOutput(output: Pick<RunOutput, "text" | "notes" | "tasks" | "live">): boolean {
  return (
    output.text.trim() === "" &&
    (output.notes?.length ?? 0) === 0 &&
    (output.tasks?.length ?? 0) === 0 &&
    !output.live
  );
}

export function isDiscarded(state: ChannelPosting, runId: string): boolean {
  return state.discarded.includes(runId);
}

export type AddedOutput =
  | { readonly state: ChannelPosting }
  | { readonly dropped: "nothing to show" | "stopped run" };

/**
 * Adds an output to the outbox: to the waiting group of its thread (so fast outputs go out as one message),
 * or as a new group. An output that replaces a live message is its own group and is kept even for a
 * stopped run: the iteration that message shows was complete, and without its final text it would keep its
 * last words and cursor.
 */
export function addOutput(state: ChannelPosting, output: RunOutput): AddedOutput {
  if (isEmptyOutput(output)) return { dropped: "nothing to show" };
  if (isDiscarded(state, output.runId) && !output.live) return { dropped: "stopped run" };
  const part: OutboxPart = {
    runId: output.runId,
    iteration: output.iteration,
    text: output.text,
    format: output.format,
    notes: output.notes,
    final: output.final,
    ...(output.tasks?.length ? { tasks: output.tasks } : {}),
  };
  const index = output.live
    ? -1
    : state.outbox.findIndex((group) => group.threadTs === output.origin.threadTs && !group.updateTs);
  const existing = state.outbox[index];
  const outbox = [...state.outbox];
  if (existing) outbox[index] = { ...existing, parts: [...existing.parts, part] };
  else
    outbox.push({
      sessionKey: output.sessionKey,
      threadTs: output.origin.threadTs,
      parts: [part],
      ...(output.live ? { updateTs: output.live.ts } : {}),
    });
  return { state: { ...state, outbox } };
}

/**
 * Drops the waiting outputs of stopped runs and remembers the runs, so that their late outputs are dropped
 * too. Groups that replace a live message stay (see `addOutput`).
 */
export function discardRuns(state: ChannelPosting, runIds: readonly string[]): ChannelPosting {
  const outbox = state.outbox
    .map((group) =>
      group.updateTs
        ? group
        : { ...group, parts: group.parts.filter((part) => !runIds.includes(part.runId)) },
    )
    .filter((group) => group.parts.length > 0);
  return { ...state, outbox, discarded: [...runIds, ...state.discarded].slice(0, DISCARDED_REMEMBERED) };
}

/** Whether `enqueue` may post at once: the output it added is all that waits, and the pace allows it. */
export function mayPostAtOnce(state: ChannelPosting, now: number): boolean {
  return state.outbox.length === 1 && slotIsFree(state, now);
}

export function slotIsFree(state: ChannelPosting, now: number): boolean {
  return now >= state.nextSlotAt;
}

export interface NextPost {
  readonly group: OutboxGroup;
  /** The message to post: all of the group, or as much of it as fits one message. */
  readonly message: RenderedMessage;
  /** The outbox once the message is out: what did not fit waits first, as a new post continuing the last part. */
  readonly posted: readonly OutboxGroup[];
  /** The outbox when Slack refuses the message for good: the group is dropped, with what did not fit. */
  readonly refused: readonly OutboxGroup[];
}

/**
 * What to post next: the first group of the outbox. Null when nothing waits. `feedbackBlockId` is the block
 * id of the feedback buttons, if the message ends an answer (new for every message).
 */
export function nextPost(outbox: readonly OutboxGroup[], feedbackBlockId?: string): NextPost | null {
  const [group, ...rest] = outbox;
  if (!group) return null;
  const message = renderOutputs(group.parts, feedbackBlockId);
  const last = group.parts.at(-1);
  const posted =
    message.rest && last
      ? [
          {
            sessionKey: group.sessionKey,
            threadTs: group.threadTs,
            parts: [
              {
                runId: last.runId,
                iteration: last.iteration,
                text: message.rest,
                continued: true,
                format: last.format,
                ...(last.final ? { final: true } : {}),
              },
            ],
          },
          ...rest,
        ]
      : rest;
  return { group, message, posted, refused: rest };
}

/** The runs whose outputs a group carries, each once. */
export function runsOf(group: OutboxGroup): string[] {
  return [...new Set(group.parts.map((part) => part.runId))];
}
