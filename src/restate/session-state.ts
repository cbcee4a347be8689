/**
 * The shape of a chat session's state and the pure rules on it: what a new message does, what a run's end
 * leaves (history, fates, the next run's inputs), the queue. ChatService applies them in its handlers;
 * pure, they are tested without a server. Must not import the Restate SDK: a broken rule is a plain
 * `SessionError`, which ChatService maps to a `TerminalError` (`asTerminalError` in chat-service.ts).
 */
import type { HistoryItem } from "../agent/agent.ts";
import type { PendingApproval } from "./approvals.ts";
import type { Mode } from "./modes.ts";

/** One item of a session's history (see `HistoryItem` in the agent interface). */
export type HistoryEntry = HistoryItem;

/** Where a session lives outside Restate: the Slack thread it answers in. Null for curl sessions. */
export interface SessionOrigin {
  readonly team: string;
  readonly channel: string;
  /** The thread's root message. */
  readonly threadTs: string;
  /** Link to the thread, for the App Home. */
  readonly permalink: string | null;
}

/** A message outside Restate (a Slack message), so its fate can be shown on it. */
export interface MessageRef {
  readonly team: string;
  readonly channel: string;
  readonly ts: string;
}

/** What a session knows about itself, kept in one state entry (read once per handler). */
export interface SessionMeta {
  /** When the session accepted its first message; a session "exists" from then on. */
  readonly createdAt: string | null;
  /** The first message, shortened, to tell sessions apart in lists. */
  readonly title: string | null;
  readonly origin: SessionOrigin | null;
  /** Everyone who started or wrote in the session, in order of their first message. */
  readonly people: readonly string[];
  /** The session's own mode; null to follow the channel default, then `MODE`. */
  readonly mode: Mode | null;
  /** The channel's default mode, as ChannelSettings last told the session (it pushes every change). */
  readonly channelMode: Mode | null;
  /** Whether `channelMode` is known: a new session hears it from its channel a moment after it starts. */
  readonly channelModeKnown: boolean;
  /**
   * Until when (epoch ms, by its messages' times) the channel lists the session and pushes changes of its
   * default; a message from then on finds `channelMode` no longer known. Absent for listings made by
   * earlier versions, which the channel ends itself (`channel_unlisted`).
   */
  readonly listedUntil?: number;
  /** How many people found the session's answers good or bad (their latest click on each answer). */
  readonly feedback?: FeedbackCounts;
}

export interface FeedbackCounts {
  readonly positive: number;
  readonly negative: number;
}

/** One person's feedback on one run's answer (their latest click replaces an earlier one). */
export interface FeedbackEntry {
  readonly runId: string;
  readonly user: string;
  readonly value: "positive" | "negative";
  /** When the person clicked (ISO). */
  readonly at: string;
}

/** Feedback entries a session keeps (the newest), so its state stays bounded. */
export const FEEDBACK_KEPT = 500;

/**
 * Records `entry`, replacing the same person's earlier feedback on the same answer; null if nothing changes
 * (the same value again, or a click made before the one already recorded, which arrived late).
 */
export function withFeedback(
  entries: readonly FeedbackEntry[],
  entry: FeedbackEntry,
): { entries: FeedbackEntry[]; counts: FeedbackCounts } | null {
  const same = (e: FeedbackEntry) => e.runId === entry.runId && e.user === entry.user;
  if (entries.some((e) => same(e) && (e.value === entry.value || e.at > entry.at))) return null;
  const next = [...entries.filter((e) => !same(e)), entry].slice(-FEEDBACK_KEPT);
  const positive = next.filter((e) => e.value === "positive").length;
  return { entries: next, counts: { positive, negative: next.length - positive } };
}

export const NEW_SESSION: SessionMeta = {
  createdAt: null,
  title: null,
  origin: null,
  people: [],
  mode: null,
  channelMode: null,
  channelModeKnown: false,
};

/** The time of a Slack message (`1700000000.000100`), when it was written. */
export function slackTsToIso(ts: string): string {
  const [seconds = "0", micros = "0"] = ts.split(".");
  return new Date(Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, "0")) / 1000)).toISOString();
}

/** A user message once ChatService has accepted it. */
export interface UserInput {
  readonly id: string;
  readonly content: string;
  readonly role: string;
  /** ISO time at which ChatService accepted it. */
  readonly at: string;
  /** Who sent it, when the caller said (Slack user id, or whatever a curl caller passes). */
  readonly by: string | null;
  /** The Slack message it came from, if any. */
  readonly source: MessageRef | null;
  /** A note for the agent on where it was written (the channel its author had open), not their words. */
  readonly context?: string;
}

export interface ActiveRun {
  readonly id: string;
  /** The AgentSession invocation: what interrupt cancels and incorporate signals ("" for the moment between recording the run and sending it). */
  readonly invocationId: string;
  /** AgentSession key of this run: `<session key>/<run id>`. */
  readonly key: string;
  /** When the run's first message was written (a Slack message's own time), or when it started. */
  readonly startedAt: string;
  /**
   * When the run really started (epoch ms, the server's journaled clock): a queued message's run starts
   * long after it was written. Absent in runs recorded before it existed.
   */
  readonly began?: number;
  /** The message(s) that started the run: one, or the incorporated messages an earlier run never took in. */
  readonly inputs: readonly UserInput[];
  /** Messages handed to the run while it was going (INCORPORATE), in order; signal `input-<n>` carries the n-th. */
  readonly incorporated: readonly UserInput[];
  /** What the run waits for a person to approve, while it waits (its decision goes by its `signal`). */
  readonly approval?: PendingApproval;
}

export type RunOutcome = "done" | "failed" | "interrupted" | "stopped";

/** What a run reports when it ends. `consumed` counts the incorporated inputs it took in. */
export interface RunReport {
  readonly runId: string;
  readonly outcome: "done" | "failed" | "interrupted";
  readonly output?: string | undefined;
  readonly error?: string | undefined;
  readonly consumed: number;
  /** When the agent keeps its messages: everything the run adds to the history, inputs taken in included. */
  readonly messages?: readonly HistoryItem[] | undefined;
}

/**
 * Whether a run's compaction is kept for later runs: only from the run still active (a run ended by a reset
 * or an interrupt may report late, after the history changed), building on the summary in force (`current`:
 * where it ends) and covering only items already in the history (`length`). One not kept is made again.
 */
export function keepsCompaction(
  compacted: { runId: string; from: number; through: number },
  session: { activeRunId: string | null; current: number; length: number },
): boolean {
  return (
    compacted.runId === session.activeRunId &&
    compacted.from === session.current &&
    compacted.through > session.current &&
    compacted.through <= session.length
  );
}

/** A rule of the session was broken (full queue, unknown id...). Carries an HTTP-like status. */
export class SessionError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "SessionError";
    this.status = status;
  }
}

/** Characters of the first message kept as the session's title. */
const TITLE_LENGTH = 200;

/**
 * The session once it accepts a message: its first message creates it (time, title, where it lives), and
 * the writer joins its people. Returns `meta` itself when nothing changed, so only a change is written.
 * `hasChannel`: whether the session's key names a channel, whose default it will then hear of.
 */
/** Whether the session knows its channel's default at `at` (epoch ms): told, and still listed then. */
export function knowsChannelMode(meta: SessionMeta, at: number): boolean {
  return meta.channelModeKnown && (meta.listedUntil === undefined || at < meta.listedUntil);
}

export function acceptMessage(
  meta: SessionMeta,
  input: UserInput,
  origin: SessionOrigin | null,
  hasChannel: boolean,
): SessionMeta {
  let next = meta;
  if (!next.createdAt) {
    const title = input.content.slice(0, TITLE_LENGTH);
    next = { ...next, createdAt: input.at, title, origin, channelModeKnown: !hasChannel };
  }
  if (input.by && !next.people.includes(input.by)) next = { ...next, people: [...next.people, input.by] };
  return next;
}

/** A session whose run is active, as a new message finds it: the run, the mode in force, the queue. */
export interface RunningSession {
  readonly active: ActiveRun;
  readonly mode: Mode;
  readonly queue: UserInput[];
}

type PlanWithRun<Outcome> = {
  readonly outcome: Outcome;
  readonly active: ActiveRun;
  /** The queue after the message: for `queue`, with the message at its end. */
  readonly queue: UserInput[];
};

/** What a new message does, carrying the active run the outcome acts on (there is none to start). */
export type MessagePlan =
  | { readonly outcome: "start" }
  | PlanWithRun<"interrupt">
  | PlanWithRun<"incorporate">
  | PlanWithRun<"queue">;

/**
 * Without an active run every mode starts one; with one, the mode decides. A full queue refuses the
 * message here (`SessionError` 429), before the session has changed.
 */
export function planMessage(running: RunningSession | null, input: UserInput, queueMax: number): MessagePlan {
  if (!running) return { outcome: "start" };
  const { active, queue } = running;
  switch (running.mode) {
    case "INTERRUPT":
      return { outcome: "interrupt", active, queue };
    case "INCORPORATE":
      return { outcome: "incorporate", active, queue };
    case "QUEUE":
      return { outcome: "queue", active, queue: enqueue(queue, input, queueMax) };
  }
}

/** Hands a message to the active run: its n-th incorporated input, carried by the signal `input-<n>`. */
export function handOver(run: ActiveRun, input: UserInput): { run: ActiveRun; signal: string } {
  const incorporated = [...run.incorporated, input];
  return { run: { ...run, incorporated }, signal: signalNameFor(incorporated.length) };
}

export function signalNameFor(position: number): string {
  return `input-${position}`;
}

/** A message as the agent reads it: what the person wrote, then the note on where, if any. */
export function toHistoryEntry(input: UserInput): HistoryEntry {
  return {
    role: input.role,
    content: input.context ? `${input.content}\n\n${input.context}` : input.content,
  };
}

/** Adds a message at the end of the queue, or refuses it when the queue already holds `max`. */
export function enqueue(queue: readonly UserInput[], input: UserInput, max: number): UserInput[] {
  if (queue.length >= max) {
    throw new SessionError(
      `The queue is full (${queue.length} of ${max} messages are waiting); the message was not queued. ` +
        "Wait for a run to finish, remove a queued message, or raise QUEUE_MAX.",
      429,
    );
  }
  return [...queue, input];
}

/** Removes one queued message by id; an unknown id is an error that changes nothing. */
export function removeQueued(
  queue: readonly UserInput[],
  id: string,
): { queue: UserInput[]; removed: UserInput } {
  const index = queue.findIndex((entry) => entry.id === id);
  const removed = queue[index];
  if (index < 0 || !removed) {
    throw new SessionError(`No queued message has id "${id}".`, 404);
  }
  return { queue: [...queue.slice(0, index), ...queue.slice(index + 1)], removed };
}

/** What the end of the active run leaves behind. */
export interface RunSettlement {
  /** What the history gains. */
  readonly additions: HistoryEntry[];
  /** The messages whose fate is the run's outcome. */
  readonly ended: UserInput[];
  /** Messages handed to the run that it never took in: they start the next run. */
  readonly unconsumed: UserInput[];
}

/**
 * The active run ended by itself (done or failed). The inputs it consumed come before its final output
 * (or, when the run reports its messages, in place among them) and end with it; the unconsumed ones start
 * the next run, so no message is lost and none is used twice.
 */
export function settleRun(run: ActiveRun, report: RunReport): RunSettlement {
  const consumed = Math.max(0, Math.min(report.consumed, run.incorporated.length));
  const ended = [...run.inputs, ...run.incorporated.slice(0, consumed)];
  const unconsumed = run.incorporated.slice(consumed);
  if (report.messages) return { additions: [...report.messages], ended, unconsumed };
  const additions = run.incorporated.slice(0, consumed).map(toHistoryEntry);
  if (report.outcome === "done" && report.output !== undefined) {
    additions.push({ role: "system", content: report.output });
  }
  return { additions, ended, unconsumed };
}

/**
 * The active run was ended from outside it (interrupt, stop, reset, a failed delivery): every message it
 * was handed joins the history, since the people said it, and all its messages end with it; none is left
 * for the next run.
 */
export function settleStoppedRun(run: ActiveRun): RunSettlement {
  return {
    additions: run.incorporated.map(toHistoryEntry),
    ended: [...run.inputs, ...run.incorporated],
    unconsumed: [],
  };
}

/**
 * What runs after the active run ended: the messages it never took in, else the head of the queue, else
 * nothing (the session goes idle). `fromQueue` says whether the queue changed.
 */
export function nextRunInputs(
  unconsumed: readonly UserInput[],
  queue: UserInput[],
): { inputs: UserInput[]; queue: UserInput[]; fromQueue: boolean } {
  if (unconsumed.length > 0 || queue.length === 0)
    return { inputs: [...unconsumed], queue, fromQueue: false };
  return { inputs: queue.slice(0, 1), queue: queue.slice(1), fromQueue: true };
}
