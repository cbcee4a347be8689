/**
 * The shape of a chat session's state and the pure transitions on it (queue, run settlement).
 * ChatService applies these inside its handlers; keeping them pure makes the rules testable without a server.
 * Must not import the Restate SDK: errors here are plain `SessionError`s that the service maps to
 * `TerminalError`s (see `asTerminalError` in chat-service.ts).
 */
import type { HistoryItem } from "../agent/agent.ts";
import type { Mode } from "./modes.ts";

/** One entry of the chat history, as in the Python example: user messages and runs' final outputs. */
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
}

export interface ActiveRun {
  readonly id: string;
  /** The AgentSession invocation: what interrupt cancels and incorporate signals ("" for the moment between recording the run and sending it). */
  readonly invocationId: string;
  /** AgentSession key of this run: `<session key>/<run id>`. */
  readonly key: string;
  readonly startedAt: string;
  /** The message(s) that started the run: one, or the incorporated messages an earlier run never took in. */
  readonly inputs: readonly UserInput[];
  /** Messages handed to the run while it was going (INCORPORATE), in order; signal `input-<n>` carries the n-th. */
  readonly incorporated: readonly UserInput[];
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

/** A rule of the session was broken (full queue, unknown id...). Carries an HTTP-like status. */
export class SessionError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = "SessionError";
    this.status = status;
  }
}

export function signalNameFor(position: number): string {
  return `input-${position}`;
}

export function toHistoryEntry(input: UserInput): HistoryEntry {
  return { role: input.role, content: input.content };
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

/**
 * What the history gains when the active run ends normally (done or failed), and which incorporated
 * messages it never took in. The inputs it consumed come before its final output (or, when the run
 * reports its messages, in place among them); the unconsumed ones come after it and start the next run,
 * so no message is lost and none is used twice.
 */
export function settleRun(
  run: ActiveRun,
  report: RunReport,
): { additions: HistoryEntry[]; unconsumed: UserInput[] } {
  const consumed = Math.max(0, Math.min(report.consumed, run.incorporated.length));
  if (report.messages)
    return { additions: [...report.messages], unconsumed: run.incorporated.slice(consumed) };
  const additions = run.incorporated.slice(0, consumed).map(toHistoryEntry);
  if (report.outcome === "done" && report.output !== undefined) {
    additions.push({ role: "system", content: report.output });
  }
  return { additions, unconsumed: run.incorporated.slice(consumed) };
}
