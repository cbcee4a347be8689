/**
 * ChatService: one virtual object per session key, the one place that decides what a message does (start,
 * interrupt, incorporate, queue) and that ends runs. Exclusive per key, so it sees messages and run reports
 * one at a time. The rules are pure functions in session-state.ts; this file applies them to the state
 * (`meta`, `activeRun`, `queue`, `history`), reading each key at most once per handler, since every read is a
 * journal entry. Knows nothing of Slack: every change goes out through `SessionEffects`.
 */
import * as restate from "@restatedev/restate-sdk";
import type { z } from "zod";
import {
  type ApprovalDecision,
  type Approver,
  type DecidedApproval,
  mayDecide,
  type PendingApproval,
  previewedApproval,
  remembered,
  shownApproval,
  UNDO_KEPT_MS,
  type UndoOffer,
  type UndoResult,
} from "./approvals.ts";
import { type CallerCheck, leavingNoTrace } from "./caller.ts";
import type { ChannelListing } from "./channel-settings.ts";
import { AgentSessionRef, CHAT_SERVICE, ChannelSettingsRef, ChatServiceRef } from "./contracts.ts";
import { invocationNow, invocationNowIso } from "./invocation-clock.ts";
import { channelKeyOf, parseSessionKey, toRunKey } from "./keys.ts";
import { type Mode, type ModeSource, resolveMode } from "./modes.ts";
import {
  ActorSchema,
  ChatMessageSchema,
  type CompactedContext,
  ContextCompactedSchema,
  DecideApprovalSchema,
  FailRunSchema,
  FeedbackSchema,
  MAX_CONTENT_LENGTH,
  RemoveQueuedSchema,
  RunReportSchema,
  SetModeSchema,
  SlackStopSchema,
  StopRunSchema,
  UndoRunSchema,
} from "./schemas.ts";
import type {
  ApprovalCard,
  Fate,
  FateChange,
  SessionEffects,
  SessionSummary,
  ShownApproval,
} from "./session-effects.ts";
import { type HistoryStore, historyOf } from "./session-history.ts";
import {
  type ActiveRun,
  acceptMessage,
  type FeedbackEntry,
  type HistoryEntry,
  handOver,
  keepsCompaction,
  knowsChannelMode,
  type MessagePlan,
  NEW_SESSION,
  nextRunInputs,
  planMessage,
  type RunningSession,
  type RunOutcome,
  type RunSettlement,
  removeQueued,
  SessionError,
  type SessionMeta,
  type SessionOrigin,
  settleRun,
  settleStoppedRun,
  slackTsToIso,
  toHistoryEntry,
  type UserInput,
  withFeedback,
} from "./session-state.ts";

type ChatState = {
  meta: SessionMeta;
  activeRun: ActiveRun;
  queue: UserInput[];
  /** The model's compacted view: the history's items before `through` are in `summary`. */
  context: CompactedContext;
  feedback: FeedbackEntry[];
  /** Decided approvals, newest first (bounded): a late click learns who decided. */
  approvals: DecidedApproval[];
  /** Offers to undo interrupted runs' effects, newest first (bounded). */
  undos: UndoOffer[];
};
type ChatContext = restate.ObjectContext<ChatState>;
type ChatSharedContext = restate.ObjectSharedContext<ChatState>;
type IncomingMessage = z.output<typeof ChatMessageSchema>;
type PlanOf<Outcome extends MessagePlan["outcome"]> = Extract<MessagePlan, { outcome: Outcome }>;

export interface ChatServiceOptions {
  /** `MODE`: used when neither the session nor its channel has a mode. */
  readonly defaultMode: Mode;
  readonly queueMax: number;
  readonly idempotencyRetentionMs: number;
  readonly journalRetentionMs: number;
  readonly effects: SessionEffects;
  /** Who asks: Slack facts and writes to a Slack thread's session are accepted only from the adapter. */
  readonly caller: CallerCheck;
  /** The agent's context window (`contextWindow.limitTokens`), given to each run; null: none. */
  readonly windowTokens: number | null;
  readonly approvals: {
    /** `APPROVERS`; empty: the session's people decide. */
    readonly approvers: readonly Approver[];
    /** `APPROVAL_TIMEOUT`. */
    readonly timeoutMs: number;
    /** `UNDO_ON_INTERRUPT`. */
    readonly undoOnInterrupt: boolean;
  };
}

/** What `process_user_message` answers: where the message went. */
export interface MessageReceipt {
  /** `ignored`: a message that may not start a session (a thread reply without mention) in a thread without one. */
  readonly decision: "started" | "interrupted" | "incorporated" | "queued" | "ignored";
  readonly messageId: string | null;
  /** The run that handles the message (for queued messages: the run it waits behind). */
  readonly runId: string | null;
  /** 1-based place in the queue, for queued messages. */
  readonly queuePosition?: number;
}

export interface SessionStatus {
  readonly key: string;
  /** Whether the session has ever accepted a message. */
  readonly exists: boolean;
  readonly createdAt: string | null;
  /** The first message (shortened). */
  readonly title: string | null;
  readonly origin: SessionOrigin | null;
  readonly people: readonly string[];
  readonly mode: Mode;
  readonly modeSource: ModeSource;
  readonly activeRun: {
    readonly id: string;
    readonly invocationId: string;
    readonly startedAt: string;
    readonly iteration: number;
    readonly input: UserInput;
    readonly inputs: readonly UserInput[];
    readonly incorporated: readonly UserInput[];
    /** What the run waits for a person to approve: the tool, what it does, its arguments, since when. */
    readonly approval: { tool: string; title: string; args: Record<string, string>; since: string } | null;
  } | null;
  readonly queue: readonly UserInput[];
  readonly historyLength: number;
}

/** How a run ended, as the session records it: what it leaves, the fates of its messages, whether it was stopped. */
interface EndedRun {
  readonly settled: RunSettlement;
  readonly fates: FateChange[];
  /** The run, if it was stopped: its outputs not yet delivered are dropped. */
  readonly stoppedRunIds: string[];
  /** Its approval card, if it was waiting for one: superseded. */
  readonly approvals: ApprovalCard[];
}

/** What a report carries beside the session and the fates. */
interface ReportExtras {
  readonly stoppedRunIds?: readonly string[];
  readonly approvals?: readonly ApprovalCard[];
  readonly undo?: UndoOffer;
}

/** A pending approval as the card and the Home show it (never its signal). */
function cardOf(approval: PendingApproval): ShownApproval {
  return { id: approval.id, ...shownApproval(approval) };
}

const fates = (inputs: readonly UserInput[], fate: Fate): FateChange[] =>
  inputs.map((input) => ({ input, fate }));

/**
 * Only the session's people may stop or reset it. A caller that does not say who it is is an operator's
 * curl, trusted for sessions that are not Slack threads (`guardControl` refuses it for the others).
 */
function assertMayControl(meta: SessionMeta, by: string | undefined, what: string): void {
  if (by === undefined) return;
  if (!meta.people.includes(by)) {
    throw new SessionError(`Only the people in this session may ${what}; you have not written in it.`, 403);
  }
}

/** How much of each message a Slack thread's status shows (what the Home shows). */
const STATUS_PREVIEW_CHARS = 200;

/** A text as a Slack thread's status shows it: its beginning. */
function previewText(text: string): string {
  return text.length <= STATUS_PREVIEW_CHARS ? text : `${text.slice(0, STATUS_PREVIEW_CHARS - 1)}…`;
}

/** A message as a Slack thread's status shows it. */
function previewed(input: UserInput): UserInput {
  return input.content.length <= STATUS_PREVIEW_CHARS
    ? input
    : { ...input, content: previewText(input.content) };
}

/**
 * The session has heard that `run` ended. A run that ends by itself clears its own progress as it reports
 * its end; one ended from here (cancelled, or killed from outside) may never get that far, so its progress
 * is forgotten by a send that waits behind the run (`forget_progress`).
 */
function heardRunEnd(ctx: ChatContext, run: ActiveRun, outcome: RunOutcome, endedHere = false): void {
  ctx.console.info(`Agent run ${run.id} ${outcome}`);
  if (endedHere) ctx.objectSendClient(AgentSessionRef, run.key).forget_progress();
}

export function createChatService(options: ChatServiceOptions) {
  const { effects, caller } = options;

  /**
   * A message names a Slack place or person (`source`, `user`, `startsSession`, `writtenLength`, `context`), or goes to a Slack
   * thread's session: only the adapter may send it (why, or null). Plain `{content, role}` to any other key is curl's.
   */
  function adapterOnly(ctx: ChatContext, message: IncomingMessage): string | null {
    if (parseSessionKey(ctx.key)) {
      return `"${ctx.key}" is a Slack thread's session: only the Slack adapter may write to it`;
    }
    if (
      message.source !== undefined ||
      message.user !== undefined ||
      message.startsSession !== undefined ||
      message.writtenLength !== undefined ||
      message.context !== undefined
    ) {
      return "source, user and startsSession say where a message came from and who wrote it: only the Slack adapter may send them";
    }
    return null;
  }

  /** A control that names who asks (`by`), or one on a Slack thread's session: only the adapter's, with `by`. */
  async function guardControl(ctx: ChatContext, by: string | undefined): Promise<void> {
    if (parseSessionKey(ctx.key)) {
      await caller.requireAdapter(
        ctx,
        `"${ctx.key}" is a Slack thread's session: only the Slack adapter may control it`,
      );
      if (by === undefined)
        throw new restate.TerminalError("a control of a Slack thread's session must say who asks (by)", {
          errorCode: 400,
        });
    } else if (by !== undefined) {
      await caller.requireAdapter(ctx, "by names a Slack user: only the Slack adapter may send it");
    }
  }

  /** Tells the effects what changed, with the session as it is now, if it lives somewhere (a Slack thread). */
  function report(
    ctx: ChatContext,
    now: {
      meta: SessionMeta;
      active: ActiveRun | null;
      queue: readonly UserInput[];
      closed?: boolean;
      reassertStatus?: boolean;
    },
    changed: FateChange[],
    extras: ReportExtras = {},
  ): void {
    const { meta, active, queue } = now;
    if (!meta.origin) return;
    // The named approvers see a session on their Home while one of its approvals waits or was just decided.
    const team = meta.origin.team;
    const approvers =
      active?.approval || extras.approvals?.length
        ? options.approvals.approvers.filter((a) => a.team === null || a.team === team).map((a) => a.user)
        : [];
    const first = active?.inputs[0];
    const summary: SessionSummary = {
      key: ctx.key,
      title: meta.title,
      origin: meta.origin,
      mode: meta.mode,
      channelMode: meta.channelMode,
      activeRun:
        active && first
          ? {
              id: active.id,
              key: active.key,
              startedAt: active.startedAt,
              input: first,
              ...(active.approval ? { approval: cardOf(active.approval) } : {}),
            }
          : null,
      queue,
      ...(meta.feedback ? { feedback: meta.feedback } : {}),
    };
    effects.changed(ctx, {
      sessionKey: ctx.key,
      origin: meta.origin,
      people: meta.people,
      fates: changed,
      stoppedRunIds: [...(extras.stoppedRunIds ?? [])],
      summary,
      ...(now.closed ? { closed: true } : {}),
      ...(now.reassertStatus ? { reassertStatus: true } : {}),
      ...(extras.approvals?.length ? { approvals: extras.approvals } : {}),
      ...(approvers.length > 0 ? { approvers } : {}),
      ...(extras.undo ? { undo: extras.undo } : {}),
    });
  }

  /** Reports a change that leaves the run and the queue as they are (read here, once each). */
  async function reportAsIs(
    ctx: ChatContext,
    meta: SessionMeta,
    changed: FateChange[],
    extras: ReportExtras = {},
  ): Promise<void> {
    if (!meta.origin) return;
    report(
      ctx,
      { meta, active: await ctx.get("activeRun"), queue: (await ctx.get("queue")) ?? [] },
      changed,
      extras,
    );
  }

  /**
   * The mode in force at `at` (a message's time, epoch ms; null: now): the session's own, else its
   * channel's default, else `MODE`. The channel tells a session its default when the session joins
   * (`joinChannel`, on its first message) and pushes every change while it lists the session
   * (`channel_mode_changed`), so a message never asks. Only a session whose listing ran out
   * (`CHANNEL_LISTING_RETENTION` without a message) asks, if a run is still going when its next message comes.
   */
  async function modeOf(
    ctx: ChatSharedContext | ChatContext,
    meta: SessionMeta,
    at: number | null,
  ): Promise<{ mode: Mode; source: ModeSource }> {
    const channelKey = channelKeyOf(ctx.key);
    const known = async () => knowsChannelMode(meta, at ?? (await invocationNow(ctx)));
    const channelMode =
      meta.mode || !channelKey || (await known())
        ? meta.channelMode
        : (await ctx.objectClient(ChannelSettingsRef, channelKey).get_mode()).mode;
    return resolveMode(meta.mode, channelMode, options.defaultMode);
  }

  /**
   * Starts a run on `inputs`, which join the history it is given. The run is recorded as active before it
   * is sent (one-way), so a reader never sees the previous run as active while the new one already works;
   * the invocation id and when it began, known only after the send, are added right after (only this
   * object's exclusive handlers use them, and they run after this one has finished). Nothing waits for
   * Restate before the send: the clock is a durable step, read after it unless the handler read it before.
   */
  async function startRun(
    ctx: ChatContext,
    meta: SessionMeta,
    inputs: readonly UserInput[],
    history: HistoryStore,
    now?: string,
  ): Promise<ActiveRun> {
    await history.append(inputs.map(toHistoryEntry));
    // The run is given what its agent needs: the summary so far and the items after it.
    const context = await ctx.get("context");
    const given = await history.read(context?.through ?? 0);
    const runId = ctx.rand.uuidv4();
    const key = toRunKey(ctx.key, runId);
    const pending: ActiveRun = {
      id: runId,
      invocationId: "",
      key,
      // Until the clock is read: when its newest message was written.
      startedAt: now ?? inputs.at(-1)?.at ?? "",
      inputs,
      incorporated: [],
    };
    ctx.set("activeRun", pending);
    ctx.console.info("Starting new agent run");
    const handle = ctx.objectSendClient(AgentSessionRef, key).run({
      sessionKey: ctx.key,
      runId,
      history: given,
      context,
      windowTokens: options.windowTokens,
      origin: meta.origin,
    });
    const began = await invocationNow(ctx);
    const run: ActiveRun = {
      ...pending,
      invocationId: await handle.invocationId,
      startedAt: now ?? new Date(began).toISOString(),
      began,
    };
    ctx.set("activeRun", run);
    return run;
  }

  /**
   * Ends the active run from here, the one way every path does it (interrupt, stop_run, reset, fail_run, a
   * cancel from outside): cancels its invocation, which surfaces in the run as a `CancelledError` at its
   * next durable step, and settles it (`settleStoppedRun`). Its own late report is then ignored.
   */
  async function endActiveRun(
    ctx: ChatContext,
    active: ActiveRun,
    outcome: "interrupted" | "stopped" | "failed",
  ): Promise<EndedRun> {
    ctx.invocation(active.invocationId as restate.InvocationId).cancel();
    heardRunEnd(ctx, active, outcome, true);
    const settled = settleStoppedRun(active);
    const fate = outcome === "failed" ? "failed" : "stopped";
    // A wait for approval ends with the run: its tool never runs, and the card says so.
    const approvals = active.approval
      ? [
          await recordDecision(ctx, active, {
            verdict: "superseded",
            by: null,
            at: await invocationNowIso(ctx),
            reason: null,
          }),
        ]
      : [];
    return { settled, fates: fates(settled.ended, fate), stoppedRunIds: [active.id], approvals };
  }

  /** Stops the active run and forgets the queue, the history and the summary (a reset, or the app leaving). */
  async function wipe(ctx: ChatContext) {
    const active = await ctx.get("activeRun");
    const queue = (await ctx.get("queue")) ?? [];
    // What the run leaves for the history does not matter: the history goes too.
    const ended = active ? await endActiveRun(ctx, active, "stopped") : null;
    ctx.clear("activeRun");
    ctx.clear("queue");
    await historyOf(ctx).clear();
    ctx.clear("context");
    return { active, queue, ended };
  }

  /** Keeps a decision on the active run's approval among the decided ones; returns its card. */
  async function recordDecision(
    ctx: ChatContext,
    active: ActiveRun,
    decision: ApprovalDecision,
  ): Promise<ApprovalCard> {
    const approval = active.approval as PendingApproval;
    // Its timeout has nothing left to do (a timeout deciding it is that invocation itself, ending now).
    if (approval.timer && decision.verdict !== "timed_out")
      ctx.invocation(approval.timer as restate.InvocationId).cancel();
    const decided: DecidedApproval = { id: approval.id, runId: active.id, title: approval.title, decision };
    ctx.set("approvals", remembered((await ctx.get("approvals")) ?? [], decided));
    return { approval: cardOf(approval), decision };
  }

  /**
   * Decides the active run's approval (a person, or the timeout): recorded first, then the run's signal
   * resolved with it; the run goes on, and its messages show it running again.
   */
  async function decide(
    ctx: ChatContext,
    meta: SessionMeta,
    active: ActiveRun & { approval: PendingApproval },
    decision: ApprovalDecision,
  ): Promise<void> {
    const card = await recordDecision(ctx, active, decision);
    ctx
      .invocation(active.invocationId as restate.InvocationId)
      .signal<ApprovalDecision>(active.approval.signal)
      .resolve(decision);
    const { approval: _decided, ...rest } = active;
    const run: ActiveRun = rest;
    ctx.set("activeRun", run);
    ctx.console.info(`Approval of ${active.approval.tool} for run ${active.id}: ${decision.verdict}`);
    report(
      ctx,
      { meta, active: run, queue: (await ctx.get("queue")) ?? [] },
      fates(active.inputs, "running"),
      { approvals: [card] },
    );
  }

  /**
   * After the active run ended (by itself or from here): the history keeps what it left, then the next run
   * starts (`nextRunInputs`) or the session goes idle. Reports the change; returns the new run, if any.
   */
  async function moveOn(ctx: ChatContext, meta: SessionMeta, ended: EndedRun): Promise<ActiveRun | null> {
    const history = historyOf(ctx);
    await history.append(ended.settled.additions);
    const next = nextRunInputs(ended.settled.unconsumed, (await ctx.get("queue")) ?? []);
    if (next.fromQueue) ctx.set("queue", next.queue);
    let run: ActiveRun | null = null;
    if (next.inputs.length > 0) {
      run = await startRun(ctx, meta, next.inputs, history);
    } else {
      ctx.clear("activeRun");
    }
    const changed = [...ended.fates, ...fates(next.inputs, "running")];
    report(ctx, { meta, active: run, queue: next.queue }, changed, ended);
    return run;
  }

  /** The message as the session keeps it: an id, and when it was written (a Slack message says when). */
  async function toInput(ctx: ChatContext, message: IncomingMessage): Promise<UserInput> {
    const { source } = message;
    const at = source ? slackTsToIso(source.ts) : await invocationNowIso(ctx);
    return {
      id: ctx.rand.uuidv4(),
      content: message.content,
      role: message.role,
      at,
      by: message.user ?? null,
      source: source ? { team: source.team, channel: source.channel, ts: source.ts } : null,
      ...(message.context ? { context: message.context } : {}),
    };
  }

  /** Reads the active run (and then the mode and queue) and plans the message; a full queue refuses it here. */
  async function plan(ctx: ChatContext, meta: SessionMeta, input: UserInput): Promise<MessagePlan> {
    const active = await ctx.get("activeRun");
    let running: RunningSession | null = null;
    if (active) {
      const { mode } = await modeOf(ctx, meta, Date.parse(input.at));
      running = { active, mode, queue: (await ctx.get("queue")) ?? [] };
    }
    try {
      return planMessage(running, input, options.queueMax);
    } catch (error) {
      if (meta.origin && error instanceof SessionError) {
        effects.refused(ctx, { sessionKey: ctx.key, origin: meta.origin, input, reason: error.message });
      }
      throw error;
    }
  }

  /** Refuses a message too long for a session (the adapter sent its beginning); its writer is told in the thread. */
  function refuseTooLong(
    ctx: ChatContext,
    meta: SessionMeta,
    message: IncomingMessage,
    input: UserInput,
    length: number,
  ): never {
    const reason = `it is ${length.toLocaleString("en-US")} characters long, and a session takes at most ${MAX_CONTENT_LENGTH.toLocaleString("en-US")}.`;
    const { source } = message;
    const origin =
      meta.origin ??
      (source
        ? {
            team: source.team,
            channel: source.channel,
            threadTs: source.threadTs,
            permalink: source.permalink,
          }
        : null);
    if (origin) effects.refused(ctx, { sessionKey: ctx.key, origin, input, reason });
    throw new SessionError(`The message was not taken: ${reason}`, 413);
  }

  /** Records the message's writer (and, for the first message, the session). */
  function admit(
    ctx: ChatContext,
    stored: SessionMeta,
    message: IncomingMessage,
    input: UserInput,
  ): SessionMeta {
    const channelKey = channelKeyOf(ctx.key);
    const { source } = message;
    const origin = source
      ? { team: source.team, channel: source.channel, threadTs: source.threadTs, permalink: source.permalink }
      : null;
    const meta = acceptMessage(stored, input, origin, channelKey !== null);
    if (meta !== stored) ctx.set("meta", meta);
    if (meta.origin && !stored.origin) effects.began(ctx, { sessionKey: ctx.key, origin: meta.origin });
    return meta;
  }

  /**
   * The session joins its channel's list (again, once its listing ran out by the time of this message),
   * which answers with the channel's default: the one time a session needs to ask. The call goes out
   * beside the message's outcome and is awaited after it, so a first message's run never waits for the
   * channel; the wait holds up only a next message of the same thread.
   */
  function joinChannel(
    ctx: ChatContext,
    stored: SessionMeta,
    input: UserInput,
  ): Promise<ChannelListing> | null {
    const channelKey = channelKeyOf(ctx.key);
    const at = Date.parse(input.at);
    if (!channelKey || knowsChannelMode(stored, at)) return null;
    return ctx.objectClient(ChannelSettingsRef, channelKey).add_session({ key: ctx.key, at });
  }

  /**
   * The channel's answer; if the channel cannot answer (a terminal error), the message still stands: the
   * session stays unlisted and asks its channel when it needs the default, until its next message joins.
   */
  async function joinedListing(
    ctx: ChatContext,
    joining: Promise<ChannelListing>,
  ): Promise<ChannelListing | undefined> {
    try {
      return await joining;
    } catch (error) {
      if (!(error instanceof restate.TerminalError) || error instanceof restate.CancelledError) throw error;
      ctx.console.warn(`The session could not join its channel's list: ${error.message}`);
      return undefined;
    }
  }

  /**
   * Keeps the channel's default as the session's (and, when it joined, until when it hears of changes);
   * a change anyone sees is reported.
   */
  async function learnChannelMode(
    ctx: ChatContext,
    mode: Mode | null | undefined,
    listedUntil?: number,
  ): Promise<void> {
    if (mode === undefined) return;
    const stored = (await ctx.get("meta")) ?? NEW_SESSION;
    const listed = listedUntil === undefined ? {} : { listedUntil };
    if (stored.channelModeKnown && stored.channelMode === mode && listedUntil === undefined) return;
    const meta: SessionMeta = { ...stored, channelMode: mode, channelModeKnown: true, ...listed };
    ctx.set("meta", meta);
    // The first answer of a channel without a default changes nothing anyone sees.
    if (stored.channelMode === mode) return;
    await reportAsIs(ctx, meta, []);
  }

  /** The message's one outcome, as planned. */
  function act(
    ctx: ChatContext,
    meta: SessionMeta,
    planned: MessagePlan,
    input: UserInput,
  ): Promise<MessageReceipt> | MessageReceipt {
    switch (planned.outcome) {
      case "start":
        return start(ctx, meta, input);
      case "interrupt":
        return interrupt(ctx, meta, planned, input);
      case "incorporate":
        return incorporate(ctx, meta, planned, input);
      case "queue":
        return queue(ctx, meta, planned, input);
    }
  }

  /**
   * START: a run on the message. The run finds it as the last entry of the history it is started with
   * (`run` in agent-session.ts); the run's end settles it (`run_ended`: `settleRun`, then `moveOn`).
   */
  async function start(ctx: ChatContext, meta: SessionMeta, input: UserInput): Promise<MessageReceipt> {
    const run = await startRun(ctx, meta, [input], historyOf(ctx), input.at);
    // Without an active run the queue is empty: every run's end takes the next queued message.
    report(ctx, { meta, active: run, queue: [] }, fates([input], "running"));
    return { messageId: input.id, decision: "started", runId: run.id };
  }

  /**
   * INTERRUPT: ends the active run (`endActiveRun`) and starts one on the message, which the new run finds
   * as the last entry of its history (`run` in agent-session.ts); its end settles it (`run_ended`: `settleRun`).
   */
  async function interrupt(
    ctx: ChatContext,
    meta: SessionMeta,
    { active, queue }: PlanOf<"interrupt">,
    input: UserInput,
  ): Promise<MessageReceipt> {
    ctx.console.info("Interrupting ongoing agent run");
    const ended = await endActiveRun(ctx, active, "interrupted");
    const history = historyOf(ctx);
    await history.append(ended.settled.additions);
    const run = await startRun(ctx, meta, [input], history, input.at);
    const changed = [...ended.fates, ...fates([input], "running")];
    report(ctx, { meta, active: run, queue }, changed, ended);
    return { messageId: input.id, decision: "interrupted", runId: run.id };
  }

  /**
   * INCORPORATE: hands the message to the active run as signal `input-<n>`, which the run takes in between
   * iterations (`takeHandedInput` in agent-session.ts). Its end settles it (`run_ended`: `settleRun`):
   * taken in, it joins the history before the output; never taken in, it starts the next run.
   */
  function incorporate(
    ctx: ChatContext,
    meta: SessionMeta,
    { active, queue }: PlanOf<"incorporate">,
    input: UserInput,
  ): MessageReceipt {
    ctx.console.info("Incorporating new input into ongoing agent run");
    const { run, signal } = handOver(active, input);
    ctx
      .invocation(active.invocationId as restate.InvocationId)
      .signal<UserInput>(signal)
      .resolve(input);
    ctx.set("activeRun", run);
    report(ctx, { meta, active: run, queue }, fates([input], "incorporated"));
    return { messageId: input.id, decision: "incorporated", runId: active.id };
  }

  /**
   * QUEUE: the message waits behind the active run, whose end starts a run on it (`run_ended`: `moveOn`,
   * `nextRunInputs`). That run finds it as the last entry of its history (`run` in agent-session.ts), and
   * its own end settles it (`run_ended`: `settleRun`).
   */
  function queue(
    ctx: ChatContext,
    meta: SessionMeta,
    { active, queue: waiting }: PlanOf<"queue">,
    input: UserInput,
  ): MessageReceipt {
    ctx.set("queue", waiting);
    ctx.console.info(`Queueing new input behind the ongoing agent run (position ${waiting.length})`);
    report(ctx, { meta, active, queue: waiting }, fates([input], "queued"));
    return { messageId: input.id, decision: "queued", runId: active.id, queuePosition: waiting.length };
  }

  /** Sends the run's undos on their way (AgentSession/undo_effects) and returns the offer as taken. */
  function startUndo(
    ctx: ChatContext,
    meta: SessionMeta,
    offer: UndoOffer,
    by: string | null,
    at: string,
  ): UndoOffer {
    ctx.console.info(`Undoing what run ${offer.id} did (${by ? `asked by ${by}` : "automatically"})`);
    ctx
      .objectSendClient(AgentSessionRef, offer.runKey)
      .undo_effects({ sessionKey: ctx.key, runId: offer.id, origin: meta.origin, by });
    return { ...offer, state: "undoing", by, at };
  }

  return restate.object({
    name: CHAT_SERVICE,
    description: "A chat session: history, mode, the active agent run and the queue of waiting messages.",
    options: {
      journalRetention: options.journalRetentionMs,
      asTerminalError: (error: unknown) =>
        error instanceof SessionError
          ? new restate.TerminalError(error.message, { errorCode: error.status })
          : undefined,
    },
    handlers: {
      /** A user message; what it does depends on the mode. */
      process_user_message: restate.handlers.object.exclusive(
        {
          input: restate.serde.schema(ChatMessageSchema),
          idempotencyRetention: options.idempotencyRetentionMs,
        },
        async (ctx: ChatContext, message): Promise<MessageReceipt> =>
          leavingNoTrace(ctx, async () => {
            // 1. Only the adapter speaks for Slack: its signature first, then (unless the message is
            //    ignored, which changes nothing) its age and that it was not taken before.
            const why = adapterOnly(ctx, message);
            if (why) caller.requireAdapterSignature(ctx, why);
            // 2. A message that may not start a session (a thread reply without a mention) needs one already.
            //    Most replies in a busy workspace are ignored here, at no durable step.
            const stored = (await ctx.get("meta")) ?? NEW_SESSION;
            if (!stored.createdAt && !(message.startsSession ?? true)) {
              ctx.console.debug("Ignoring a message for a thread without a session");
              return { decision: "ignored", messageId: null, runId: null };
            }
            if (why) await caller.requireAdapter(ctx, why);
            // 3. The message gets its id and time.
            const input = await toInput(ctx, message);
            // 3b. A message longer than a session takes is refused, with a reply in its thread saying so.
            if (message.writtenLength !== undefined && message.writtenLength > MAX_CONTENT_LENGTH)
              refuseTooLong(ctx, stored, message, input, message.writtenLength);
            // 4. While a run is active the mode decides; a full queue refuses the message before any change.
            const planned = await plan(ctx, stored, input);
            // 5. The session records its writer (and, on its first message, itself); a new one joins its channel.
            const meta = admit(ctx, stored, message, input);
            const joining = joinChannel(ctx, stored, input);
            // 6. One outcome.
            const receipt = await act(ctx, meta, planned, input);
            // 7. The channel's default, for the session's next messages.
            if (joining) {
              const listing = await joinedListing(ctx, joining);
              await learnChannelMode(ctx, listing?.mode, listing?.listedUntil);
            }
            return receipt;
          }),
      ),

      /** Called by a run when it ends. Reports from runs that are no longer active are ignored. */
      run_ended: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RunReportSchema), ingressPrivate: true },
        async (ctx: ChatContext, ended): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== ended.runId) {
            ctx.console.debug(`Ignoring the end of run ${ended.runId}: it is no longer the active run`);
            return;
          }
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          if (ended.outcome === "interrupted") {
            // Cancelled from outside ChatService (Restate UI or CLI): the same as stop_run.
            await moveOn(ctx, meta, await endActiveRun(ctx, active, "stopped"));
            return;
          }
          heardRunEnd(ctx, active, ended.outcome);
          if (ended.outcome === "failed")
            ctx.console.warn(`Agent run ${active.id} failed: ${ended.error ?? ""}`);
          const settled = settleRun(active, ended);
          await moveOn(ctx, meta, {
            settled,
            fates: fates(settled.ended, ended.outcome),
            stoppedRunIds: [],
            approvals: [],
          });
        },
      ),

      /** The active run compacted the conversation (`fitToWindow`): kept if it may be (`keepsCompaction`). */
      context_compacted: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ContextCompactedSchema), ingressPrivate: true },
        async (ctx: ChatContext, compacted): Promise<void> => {
          const session = {
            activeRunId: (await ctx.get("activeRun"))?.id ?? null,
            current: (await ctx.get("context"))?.through ?? 0,
            length: await historyOf(ctx).length(),
          };
          if (!keepsCompaction(compacted, session)) {
            ctx.console.debug(
              `Not keeping run ${compacted.runId}'s compaction: it does not follow this history`,
            );
            return;
          }
          ctx.set("context", { summary: compacted.summary, through: compacted.through });
          ctx.console.info(
            `Compacted the context of run ${compacted.runId}: ${compacted.through} items summarised`,
          );
        },
      ),

      /** A run's output could not be delivered: the run ends as failed (if it is still the active run). */
      fail_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(FailRunSchema), ingressPrivate: true },
        async (ctx: ChatContext, { runId, reason }): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== runId) return;
          ctx.console.warn(`Agent run ${runId} failed: ${reason}`);
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          await moveOn(ctx, meta, await endActiveRun(ctx, active, "failed"));
        },
      ),

      /**
       * The active run asks a person to approve a tool call and waits on its signal. The approval is kept on
       * the active run (its card is posted, its messages show they wait), and a durable timer ends the wait
       * as denied after `APPROVAL_TIMEOUT`. From a run that is no longer active (it was interrupted just
       * now), nothing: its cancel ends the wait.
       */
      approval_pending: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext, { runId, approval }: { runId: string; approval: PendingApproval }) => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== runId) return;
          const timer = ctx
            .objectSendClient(ChatServiceRef, ctx.key)
            .approval_timed_out(
              { approvalId: approval.id },
              restate.rpc.sendOpts({ delay: options.approvals.timeoutMs }),
            );
          const run: ActiveRun = { ...active, approval: { ...approval, timer: await timer.invocationId } };
          ctx.set("activeRun", run);
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          report(
            ctx,
            { meta, active: run, queue: (await ctx.get("queue")) ?? [] },
            fates(active.inputs, "waiting"),
            { approvals: [{ approval: cardOf(approval), decision: null }] },
          );
        },
      ),

      /**
       * A person's Approve or Deny (sent by the adapter). Only the session's people, or `APPROVERS`, may
       * decide; the first decision wins (this handler is exclusive per session), and any later click learns
       * who decided. The run hears the decision by its signal, which no one but this handler can resolve.
       */
      decide_approval: restate.handlers.object.exclusive(
        { input: restate.serde.schema(DecideApprovalSchema) },
        async (
          ctx: ChatContext,
          { by, approvalId, approve, reason, decidedAt },
        ): Promise<{ outcome: "decided" | "already"; decision: ApprovalDecision; title: string }> =>
          leavingNoTrace(ctx, async () => {
            await caller.requireAdapter(
              ctx,
              "approvals are decided in Slack: only the Slack adapter may say so",
            );
            const active = await ctx.get("activeRun");
            if (active?.approval?.id !== approvalId) {
              const past = ((await ctx.get("approvals")) ?? []).find((a) => a.id === approvalId);
              if (!past) throw new SessionError("This approval is not waiting (its run has ended).", 404);
              return { outcome: "already", decision: past.decision, title: past.title };
            }
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            const team = meta.origin?.team ?? parseSessionKey(ctx.key)?.team ?? null;
            if (!mayDecide(options.approvals.approvers, meta.people, team, by)) {
              throw new SessionError(
                options.approvals.approvers.length > 0
                  ? "Only the approvers this app names may decide this."
                  : "Only the people in this session may decide this; you have not written in it.",
                403,
              );
            }
            const decision: ApprovalDecision = {
              verdict: approve ? "approved" : "denied",
              by,
              at: slackTsToIso(decidedAt),
              reason: approve ? null : reason || null,
            };
            await decide(ctx, meta, { ...active, approval: active.approval }, decision);
            return { outcome: "decided", decision, title: active.approval.title };
          }),
      ),

      /** `APPROVAL_TIMEOUT` after the wait began: if it still waits, it ends as denied (timed out). */
      approval_timed_out: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext, { approvalId }: { approvalId: string }): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (active?.approval?.id !== approvalId) return;
          const ms = options.approvals.timeoutMs;
          const after =
            ms >= 3_600_000
              ? `${+(ms / 3_600_000).toFixed(1)} h`
              : ms >= 60_000
                ? `${+(ms / 60_000).toFixed(1)} min`
                : `${ms / 1000} s`;
          await decide(
            ctx,
            (await ctx.get("meta")) ?? NEW_SESSION,
            { ...active, approval: active.approval },
            {
              verdict: "timed_out",
              by: null,
              at: await invocationNowIso(ctx),
              reason: `no decision within ${after}`,
            },
          );
        },
      ),

      /**
       * An interrupted or stopped run applied effects it can undo: the offer is kept and shown (the undo
       * note); with `UNDO_ON_INTERRUPT` it is taken at once.
       */
      undo_offered: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: ChatContext,
          offer: { runId: string; runKey: string; effects: { id: string; title: string }[] },
        ): Promise<void> => {
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          let kept: UndoOffer = {
            id: offer.runId,
            runKey: offer.runKey,
            effects: offer.effects,
            state: "offered",
            offeredAt: await invocationNow(ctx),
          };
          if (options.approvals.undoOnInterrupt)
            kept = startUndo(ctx, meta, kept, null, await invocationNowIso(ctx));
          ctx.set("undos", remembered((await ctx.get("undos")) ?? [], kept));
          await reportAsIs(ctx, meta, [], {
            undo: kept,
          });
        },
      ),

      /**
       * A click on an undo note's Undo (sent by the adapter): the session's people may take it, once; a
       * later click learns who did.
       */
      undo_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(UndoRunSchema) },
        async (
          ctx: ChatContext,
          { by, runId },
        ): Promise<{ outcome: "started" | "already"; by: string | null; at: string | null }> =>
          leavingNoTrace(ctx, async () => {
            await caller.requireAdapter(ctx, "undo is asked for in Slack: only the Slack adapter may say so");
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            assertMayControl(meta, by, "undo what its agent did");
            const undos = (await ctx.get("undos")) ?? [];
            const offer = undos.find((u) => u.id === runId);
            if (!offer) throw new SessionError("There is nothing to undo for this run (any more).", 404);
            if (offer.state !== "offered")
              return { outcome: "already", by: offer.by ?? null, at: offer.at ?? null };
            const nowMs = await invocationNow(ctx);
            // The run kept its effects this long; an Undo now would find nothing and claim it undid.
            // (An hour's margin: the run scheduled its forgetting a moment before the offer was kept.)
            if (offer.offeredAt !== undefined && nowMs - offer.offeredAt > UNDO_KEPT_MS - 3_600_000)
              throw new SessionError(
                "It is too late to undo this: a run's effects can be undone for 7 days.",
                410,
              );
            const now = new Date(nowMs).toISOString();
            const taken = startUndo(ctx, meta, offer, by, now);
            ctx.set("undos", remembered(undos, taken));
            await reportAsIs(ctx, meta, [], {
              undo: taken,
            });
            return { outcome: "started", by, at: now };
          }),
      ),

      /** The run's undos are done (AgentSession/undo_effects): the note says what each did. */
      undo_finished: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: ChatContext,
          { runId, results }: { runId: string; results: UndoResult[] },
        ): Promise<void> => {
          const undos = (await ctx.get("undos")) ?? [];
          const offer = undos.find((u) => u.id === runId);
          if (!offer || offer.state === "done") return;
          const done: UndoOffer = { ...offer, state: "done", results };
          ctx.set("undos", remembered(undos, done));
          const failed = results.filter((r) => r.outcome === "failed").length;
          ctx.console.info(`Undo of run ${runId}: ${results.length - failed} undone, ${failed} failed`);
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          await reportAsIs(ctx, meta, [], {
            undo: done,
          });
        },
      ),

      /** Cancels the active run without new input; the queue then moves on. */
      stop_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(StopRunSchema), accept: "*/*" },
        async (
          ctx: ChatContext,
          { by, runId },
        ): Promise<{ stoppedRunId: string | null; nextRunId: string | null }> =>
          leavingNoTrace(ctx, async () => {
            await guardControl(ctx, by);
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            assertMayControl(meta, by, "stop its run");
            const active = await ctx.get("activeRun");
            // No run, or not the run the caller saw (it ended, and the next one is another's to stop).
            if (!active || (runId !== undefined && active.id !== runId))
              return { stoppedRunId: null, nextRunId: null };
            ctx.console.info("Stopping ongoing agent run");
            const next = await moveOn(ctx, meta, await endActiveRun(ctx, active, "stopped"));
            return { stoppedRunId: active.id, nextRunId: next?.id ?? null };
          }),
      ),

      /**
       * Slack's own Stop button (`agent_session_stopped`), sent by the adapter: anyone who can see the
       * thread may press it, as anyone there may interrupt by writing. It stops the active run only if that
       * run started before the press, so a second or late press never stops the run that came next; then
       * the queue moves on, as after `stop_run`. Replaying it is harmless for the same reason, so it is not
       * kept in the ledger of signed writes, and it may have waited in Restate as long as any write.
       */
      stop_from_slack: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SlackStopSchema) },
        async (ctx: ChatContext, { by, pressedAt }): Promise<{ stoppedRunId: string | null }> => {
          await caller.requireAdapterRepeatable(
            ctx,
            "Slack's Stop button is pressed in Slack: only the Slack adapter may say so",
          );
          const active = await ctx.get("activeRun");
          if (!active || (active.began ?? Date.parse(active.startedAt)) >= Number(pressedAt) * 1000) {
            ctx.console.debug(`Slack's Stop from ${by} found no run that started before it`);
            // Slack showed Stop, so it thinks a run works: an idle session's status is set again.
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            if (!active && meta.createdAt)
              report(
                ctx,
                { meta, active: null, queue: (await ctx.get("queue")) ?? [], reassertStatus: true },
                [],
              );
            return { stoppedRunId: null };
          }
          ctx.console.info(`Stopping agent run ${active.id}: Slack's Stop button, pressed by ${by}`);
          await moveOn(
            ctx,
            (await ctx.get("meta")) ?? NEW_SESSION,
            await endActiveRun(ctx, active, "stopped"),
          );
          return { stoppedRunId: active.id };
        },
      ),

      /**
       * A click on the feedback buttons under an answer (sent by the adapter, which read the session and the
       * run from the message). One entry per person per answer: a later click replaces theirs, a repeated one
       * (a double click, a retry) changes nothing.
       */
      record_feedback: restate.handlers.object.exclusive(
        { input: restate.serde.schema(FeedbackSchema) },
        async (ctx: ChatContext, { by, runId, value, clickedAt }): Promise<{ changed: boolean }> =>
          leavingNoTrace(ctx, async () => {
            await caller.requireAdapter(
              ctx,
              "feedback is given in Slack: only the Slack adapter may record it",
            );
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            if (!meta.createdAt) throw new SessionError("This thread has no agent session.", 404);
            const entry: FeedbackEntry = { runId, user: by, value, at: slackTsToIso(clickedAt) };
            const next = withFeedback((await ctx.get("feedback")) ?? [], entry);
            if (!next) return { changed: false };
            ctx.set("feedback", next.entries);
            const updated: SessionMeta = { ...meta, feedback: next.counts };
            ctx.set("meta", updated);
            ctx.console.info(`Feedback from ${by} on run ${runId}: ${value}`);
            await reportAsIs(ctx, updated, []);
            return { changed: true };
          }),
      ),

      /** Who found which answer good or bad: ids and values, no text (readable like the status). */
      get_feedback: restate.handlers.object.shared(
        async (ctx: ChatSharedContext): Promise<{ entries: FeedbackEntry[] }> => ({
          entries: (await ctx.get("feedback")) ?? [],
        }),
      ),

      /** Stops the run and forgets the queue and the history. The mode, origin and people stay. */
      reset: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ActorSchema), accept: "*/*" },
        async (ctx: ChatContext, { by }): Promise<{ stoppedRunId: string | null; droppedQueued: number }> =>
          leavingNoTrace(ctx, async () => {
            await guardControl(ctx, by);
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            assertMayControl(meta, by, "reset it");
            const { active, queue, ended } = await wipe(ctx);
            ctx.console.info("Session reset");
            const changed = [...(ended?.fates ?? []), ...fates(queue, "stopped")];
            report(ctx, { meta, active: null, queue: [], closed: true }, changed, ended ?? {});
            return { stoppedRunId: active?.id ?? null, droppedQueued: queue.length };
          }),
      ),

      /**
       * The app left the session's workspace (uninstalled, or its tokens revoked): the run stops, the queue
       * and the history go, and nothing is shown (Slack no longer takes our calls there). A later install
       * starts the thread afresh. Sent by SlackWorkspace, which lists its sessions.
       */
      workspace_left: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext): Promise<void> => {
          const { active, queue } = await wipe(ctx);
          if (active || queue.length > 0)
            ctx.console.info(`The app left the workspace: run stopped, ${queue.length} queued dropped`);
        },
      ),

      /** The workspace's grace after the app left ran out: everything of the session goes. */
      forget: restate.handlers.object.exclusive({ ingressPrivate: true }, async (ctx: ChatContext) => {
        ctx.clearAll();
      }),

      /** Takes a message out of the queue: the session's people, or whoever queued it, may. */
      remove_queued: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RemoveQueuedSchema) },
        async (ctx: ChatContext, { id, by }): Promise<{ removed: UserInput }> =>
          leavingNoTrace(ctx, async () => {
            await guardControl(ctx, by);
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            const current = (await ctx.get("queue")) ?? [];
            const queued = current.find((entry) => entry.id === id);
            if (queued && by !== undefined && queued.by !== by) {
              assertMayControl(meta, by, "remove someone else's queued message");
            }
            const { queue, removed } = removeQueued(current, id);
            ctx.set("queue", queue);
            report(ctx, { meta, active: await ctx.get("activeRun"), queue }, fates([removed], "stopped"));
            return { removed };
          }),
      ),

      /** The channel's default changed (pushed by ChannelSettings to every session it lists). */
      channel_mode_changed: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext, { mode }: { mode: Mode | null }): Promise<void> => {
          await learnChannelMode(ctx, mode);
        },
      ),

      /**
       * The channel no longer lists the session: sent by a listing made by an earlier version, whose end the
       * session does not know itself (`listedUntil`). It asks the channel again when needed.
       */
      channel_unlisted: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext): Promise<void> => {
          const stored = await ctx.get("meta");
          if (!stored?.channelModeKnown) return;
          ctx.set("meta", { ...stored, channelModeKnown: false });
        },
      ),

      /**
       * The session's own mode; anyone in the thread may change it. Who that is, Slack knows: for a Slack
       * thread's session only the adapter may ask, saying who asks.
       */
      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        async (
          ctx: ChatContext,
          { mode, requireSession, by },
        ): Promise<{ mode: Mode | null; previous: Mode | null }> =>
          leavingNoTrace(ctx, async () => {
            await guardControl(ctx, by);
            const meta = (await ctx.get("meta")) ?? NEW_SESSION;
            if (requireSession && !meta.createdAt) {
              throw new SessionError(
                "This thread has no agent session: mention the agent to start one.",
                404,
              );
            }
            const next = { ...meta, mode };
            ctx.set("meta", next);
            await reportAsIs(ctx, next, []);
            return { mode, previous: meta.mode };
          }),
      ),

      /**
       * What people wrote: a Slack thread's history is read only by the adapter (signed), a curl session's by
       * anyone who can reach the ingress, as in the seed. (The admin API shows Restate's state, this
       * history included, to anyone who reaches it: docs/security.md says why it must stay unexposed.)
       */
      get_history: restate.handlers.object.shared(
        async (ctx: ChatSharedContext): Promise<{ entries: HistoryEntry[] }> => {
          if (parseSessionKey(ctx.key)) {
            await caller.requireAdapterRead(
              ctx,
              `"${ctx.key}" is a Slack thread's session: only the Slack adapter may read what people wrote in it`,
            );
          }
          return { entries: await historyOf(ctx).read(0) };
        },
      ),

      /**
       * Readable by anyone who reaches the ingress (an operator's curl, as in the seed). Of a Slack thread it
       * shows what people wrote only as previews, as the Home does; the whole text is `get_history`'s, which
       * only the adapter may read.
       */
      get_status: restate.handlers.object.shared(async (ctx: ChatSharedContext): Promise<SessionStatus> => {
        const slackThread = parseSessionKey(ctx.key) !== null;
        const shown = slackThread ? previewed : (input: UserInput) => input;
        // What the agent asks to do may quote people: a Slack thread's shows as previews, too.
        const shownApprovalOf = (approval: PendingApproval) =>
          slackThread ? previewedApproval(shownApproval(approval), previewText) : shownApproval(approval);
        const meta = (await ctx.get("meta")) ?? NEW_SESSION;
        const active = await ctx.get("activeRun");
        const { mode, source } = await modeOf(ctx, meta, null);
        let activeRun: SessionStatus["activeRun"] = null;
        const first = active?.inputs[0];
        if (active && first) {
          const progress = await ctx.objectClient(AgentSessionRef, active.key).get_progress();
          activeRun = {
            id: active.id,
            invocationId: active.invocationId,
            startedAt: active.startedAt,
            iteration: progress.iteration,
            input: shown(first),
            inputs: active.inputs.map(shown),
            incorporated: active.incorporated.map(shown),
            approval: active.approval ? shownApprovalOf(active.approval) : null,
          };
        }
        return {
          key: ctx.key,
          exists: meta.createdAt !== null,
          createdAt: meta.createdAt,
          title: meta.title,
          origin: meta.origin,
          people: meta.people,
          mode,
          modeSource: source,
          activeRun,
          queue: ((await ctx.get("queue")) ?? []).map(shown),
          historyLength: await historyOf(ctx).length(),
        };
      }),
    },
  });
}

export type ChatService = ReturnType<typeof createChatService>;
