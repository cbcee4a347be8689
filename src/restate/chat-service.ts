/**
 * ChatService: one virtual object per session key. It owns the session: chat history, mode, the active
 * run, the queue, the people in it and where it lives (its origin), and it is the only place that decides
 * what a new message does. Being exclusive per key, it sees messages and run reports one at a time, so the
 * active run and the queue stay exact. Knows nothing of Slack: callers pass plain messages (with an opaque
 * source), and every change is reported through `SessionEffects`, with a summary of the session.
 *
 * State: `meta` (created, title, origin, people, own mode), `activeRun`, `queue`, `history`; each read at
 * most once per handler, since every read and write is a journal entry.
 */
import * as restate from "@restatedev/restate-sdk";
import { AgentSessionRef, CHAT_SERVICE, ChannelSettingsRef } from "./contracts.ts";
import { channelKeyOf, toRunKey } from "./keys.ts";
import { decideOnMessage, type Mode, type ModeSource, resolveMode } from "./modes.ts";
import {
  ActorSchema,
  ChatMessageSchema,
  FailRunSchema,
  RemoveQueuedSchema,
  RunReportSchema,
  SetModeSchema,
} from "./schemas.ts";
import type { Fate, FateChange, SessionEffects, SessionSummary } from "./session-effects.ts";
import {
  type ActiveRun,
  enqueue,
  type HistoryEntry,
  NEW_SESSION,
  type RunOutcome,
  removeQueued,
  SessionError,
  type SessionMeta,
  type SessionOrigin,
  settleRun,
  signalNameFor,
  slackTsToIso,
  toHistoryEntry,
  type UserInput,
} from "./session-state.ts";

type ChatState = {
  meta: SessionMeta;
  activeRun: ActiveRun;
  queue: UserInput[];
  history: HistoryEntry[];
};
type ChatContext = restate.ObjectContext<ChatState>;
type ChatSharedContext = restate.ObjectSharedContext<ChatState>;

export interface ChatServiceOptions {
  /** `MODE`: used when neither the session nor its channel has a mode. */
  readonly defaultMode: Mode;
  readonly queueMax: number;
  readonly idempotencyRetentionMs: number;
  readonly journalRetentionMs: number;
  readonly effects: SessionEffects;
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
  } | null;
  readonly queue: readonly UserInput[];
  readonly historyLength: number;
}

/** Characters of the first message kept as the session's title. */
const TITLE_LENGTH = 200;

async function nowIso(ctx: restate.Context): Promise<string> {
  return new Date(await ctx.date.now()).toISOString();
}

const fates = (inputs: readonly UserInput[], fate: Fate): FateChange[] =>
  inputs.map((input) => ({ input, fate }));

/** Only the session's people may stop or reset it; a caller that does not say who it is is trusted (curl). */
function assertMayControl(meta: SessionMeta, by: string | undefined, what: string): void {
  if (by === undefined) return;
  if (!meta.people.includes(by)) {
    throw new SessionError(`Only the people in this session may ${what}; you have not written in it.`, 403);
  }
}

export function createChatService(options: ChatServiceOptions) {
  const { effects } = options;

  /** Tells the effects what changed, with the session as it is now, if it lives somewhere (a Slack thread). */
  function report(
    ctx: ChatContext,
    now: { meta: SessionMeta; active: ActiveRun | null; queue: readonly UserInput[] },
    changed: FateChange[],
    stoppedRunIds: string[] = [],
  ): void {
    const { meta, active, queue } = now;
    if (!meta.origin) return;
    const first = active?.inputs[0];
    const summary: SessionSummary = {
      key: ctx.key,
      title: meta.title,
      origin: meta.origin,
      mode: meta.mode,
      channelMode: meta.channelMode,
      activeRun:
        active && first
          ? { id: active.id, key: active.key, startedAt: active.startedAt, input: first }
          : null,
      queue,
    };
    effects.changed(ctx, {
      sessionKey: ctx.key,
      origin: meta.origin,
      people: meta.people,
      fates: changed,
      stoppedRunIds,
      summary,
    });
  }

  /**
   * Records the run as the active run, then sends it off (one-way). The record comes first so that a reader
   * never sees the previous run as active while the new one is already working; the invocation id, known
   * only after the send, is added right after (only this object's exclusive handlers use it, and they run
   * after this one has finished).
   */
  async function startRun(
    ctx: ChatContext,
    meta: SessionMeta,
    inputs: readonly UserInput[],
    history: readonly HistoryEntry[],
    now?: string,
  ): Promise<ActiveRun> {
    const runId = ctx.rand.uuidv4();
    const key = toRunKey(ctx.key, runId);
    const pending: ActiveRun = {
      id: runId,
      invocationId: "",
      key,
      startedAt: now ?? (await nowIso(ctx)),
      inputs,
      incorporated: [],
    };
    ctx.set("activeRun", pending);
    ctx.console.info("Starting new agent run");
    const handle = ctx
      .objectSendClient(AgentSessionRef, key)
      .run({ sessionKey: ctx.key, runId, history: [...history], origin: meta.origin });
    const run: ActiveRun = { ...pending, invocationId: await handle.invocationId };
    ctx.set("activeRun", run);
    return run;
  }

  /**
   * After the active run has ended (or was stopped): messages the run was handed but never took in go
   * first, then the queue; with neither, the session goes idle. Returns the new run, the queue as it is
   * now, and the fates of the messages that now run.
   */
  async function startNext(
    ctx: ChatContext,
    meta: SessionMeta,
    leftovers: readonly UserInput[],
    history: HistoryEntry[],
  ): Promise<{ run: ActiveRun | null; queue: UserInput[]; fates: FateChange[] }> {
    let queue = (await ctx.get("queue")) ?? [];
    let inputs: readonly UserInput[] = leftovers;
    if (inputs.length === 0 && queue.length > 0) {
      const [next, ...rest] = queue;
      inputs = next ? [next] : [];
      queue = rest;
      ctx.set("queue", queue);
    }
    if (inputs.length === 0) {
      ctx.set("history", history);
      ctx.clear("activeRun");
      return { run: null, queue, fates: [] };
    }
    history.push(...inputs.map(toHistoryEntry));
    ctx.set("history", history);
    return { run: await startRun(ctx, meta, inputs, history), queue, fates: fates(inputs, "running") };
  }

  /** Ends the active run by stopping it (interrupt from outside, stop_run, delivery failure). */
  async function stopActive(
    ctx: ChatContext,
    meta: SessionMeta,
    active: ActiveRun,
    outcome: "stopped" | "failed",
  ): Promise<{ next: ActiveRun | null }> {
    ctx.invocation(active.invocationId as restate.InvocationId).cancel();
    const history = (await ctx.get("history")) ?? [];
    history.push(...active.incorporated.map(toHistoryEntry));
    logRunEnd(ctx, active, outcome);
    const ended = fates([...active.inputs, ...active.incorporated], outcome);
    const next = await startNext(ctx, meta, [], history);
    report(ctx, { meta, active: next.run, queue: next.queue }, [...ended, ...next.fates], [active.id]);
    return { next: next.run };
  }

  /**
   * The channel's default, for a session that has not heard it yet: only in the moment between a new
   * session's first message and its channel's answer to `add_session` (a session without a channel has
   * none). Asked, not waited for, in every other case.
   */
  async function channelModeOf(
    ctx: ChatSharedContext | ChatContext,
    meta: SessionMeta,
  ): Promise<Mode | null> {
    const channelKey = channelKeyOf(ctx.key);
    if (meta.channelModeKnown || !channelKey) return meta.channelMode;
    return (await ctx.objectClient(ChannelSettingsRef, channelKey).get_mode()).mode;
  }

  function logRunEnd(ctx: ChatContext, run: ActiveRun, outcome: RunOutcome): void {
    ctx.console.info(`Agent run ${run.id} ${outcome}`);
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
      /** The Python example's entry point: a user message; what it does depends on the mode. */
      process_user_message: restate.handlers.object.exclusive(
        {
          input: restate.serde.schema(ChatMessageSchema),
          idempotencyRetention: options.idempotencyRetentionMs,
        },
        async (ctx: ChatContext, message): Promise<MessageReceipt> => {
          const stored = (await ctx.get("meta")) ?? NEW_SESSION;
          if (!stored.createdAt && !message.startsSession) {
            ctx.console.debug("Ignoring a message for a thread without a session");
            return { decision: "ignored", messageId: null, runId: null };
          }
          const source = message.source;
          // A Slack message carries when it was written; only other messages need a (journaled) clock read.
          const now = source ? slackTsToIso(source.ts) : await nowIso(ctx);
          const input: UserInput = {
            id: ctx.rand.uuidv4(),
            content: message.content,
            role: message.role,
            at: now,
            by: message.user ?? null,
            source: source ? { team: source.team, channel: source.channel, ts: source.ts } : null,
          };
          const active = await ctx.get("activeRun");
          let decision = decideOnMessage(false, options.defaultMode);
          if (active) {
            const channelMode = stored.mode ? null : await channelModeOf(ctx, stored);
            decision = decideOnMessage(true, resolveMode(stored.mode, channelMode, options.defaultMode).mode);
          }

          let queue: UserInput[] | null = null;
          if (decision === "queue") {
            // Refuse before changing anything: a full queue leaves the session as it was.
            queue = (await ctx.get("queue")) ?? [];
            try {
              queue = enqueue(queue, input, options.queueMax);
            } catch (error) {
              if (stored.origin && error instanceof SessionError) {
                effects.refused(ctx, {
                  sessionKey: ctx.key,
                  origin: stored.origin,
                  input,
                  reason: error.message,
                });
              }
              throw error;
            }
          }

          let meta = stored;
          const created = !meta.createdAt;
          if (created) {
            meta = {
              ...meta,
              createdAt: now,
              title: message.content.slice(0, TITLE_LENGTH),
              origin: source
                ? {
                    team: source.team,
                    channel: source.channel,
                    threadTs: source.threadTs,
                    permalink: source.permalink,
                  }
                : null,
              // Without a channel there is no default to hear of.
              channelModeKnown: channelKeyOf(ctx.key) === null,
            };
          }
          if (input.by && !meta.people.includes(input.by))
            meta = { ...meta, people: [...meta.people, input.by] };
          if (meta !== stored) ctx.set("meta", meta);
          const channelKey = channelKeyOf(ctx.key);
          // One-way: the channel lists the session and answers with its default (`channel_mode_changed`).
          if (created && channelKey)
            ctx.objectSendClient(ChannelSettingsRef, channelKey).add_session({ key: ctx.key });

          switch (decision) {
            case "start": {
              const history = (await ctx.get("history")) ?? [];
              history.push(toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, meta, [input], history, now);

              // Without an active run the queue is empty: every run's end takes the next queued message.
              report(ctx, { meta, active: run, queue: [] }, fates([input], "running"));
              return { messageId: input.id, decision: "started", runId: run.id };
            }
            case "interrupt": {
              if (!active) throw new Error("unreachable: interrupt without an active run");
              ctx.console.info("Interrupting ongoing agent run");
              ctx.invocation(active.invocationId as restate.InvocationId).cancel();
              logRunEnd(ctx, active, "interrupted");
              const history = (await ctx.get("history")) ?? [];
              history.push(...active.incorporated.map(toHistoryEntry), toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, meta, [input], history, now);
              report(
                ctx,
                { meta, active: run, queue: (await ctx.get("queue")) ?? [] },
                [
                  ...fates([...active.inputs, ...active.incorporated], "stopped"),
                  ...fates([input], "running"),
                ],
                [active.id],
              );
              return { messageId: input.id, decision: "interrupted", runId: run.id };
            }
            case "incorporate": {
              if (!active) throw new Error("unreachable: incorporate without an active run");
              ctx.console.info("Incorporating new input into ongoing agent run");
              const position = active.incorporated.length + 1;
              ctx
                .invocation(active.invocationId as restate.InvocationId)
                .signal<UserInput>(signalNameFor(position))
                .resolve(input);
              const run = { ...active, incorporated: [...active.incorporated, input] };
              ctx.set("activeRun", run);
              report(
                ctx,
                { meta, active: run, queue: (await ctx.get("queue")) ?? [] },
                fates([input], "incorporated"),
              );
              return { messageId: input.id, decision: "incorporated", runId: active.id };
            }
            case "queue": {
              if (!active || !queue) throw new Error("unreachable: queue without an active run");
              ctx.set("queue", queue);
              ctx.console.info(`Queueing new input behind the ongoing agent run (position ${queue.length})`);
              report(ctx, { meta, active, queue }, fates([input], "queued"));
              return {
                messageId: input.id,
                decision: "queued",
                runId: active.id,
                queuePosition: queue.length,
              };
            }
          }
        },
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
            await stopActive(ctx, meta, active, "stopped");
            return;
          }
          const history = (await ctx.get("history")) ?? [];
          const { additions, unconsumed } = settleRun(active, ended);
          history.push(...additions);
          logRunEnd(ctx, active, ended.outcome);
          if (ended.outcome === "failed")
            ctx.console.warn(`Agent run ${active.id} failed: ${ended.error ?? ""}`);
          const consumed = active.incorporated.slice(0, active.incorporated.length - unconsumed.length);
          const endedFates = fates([...active.inputs, ...consumed], ended.outcome);
          const next = await startNext(ctx, meta, unconsumed, history);
          report(ctx, { meta, active: next.run, queue: next.queue }, [...endedFates, ...next.fates]);
        },
      ),

      /** A run's output could not be delivered: the run ends as failed (if it is still the active run). */
      fail_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(FailRunSchema), ingressPrivate: true },
        async (ctx: ChatContext, { runId, reason }): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== runId) return;
          ctx.console.warn(`Agent run ${runId} failed: ${reason}`);
          await stopActive(ctx, (await ctx.get("meta")) ?? NEW_SESSION, active, "failed");
        },
      ),

      /** Cancels the active run without new input; the queue then moves on. */
      stop_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ActorSchema), accept: "*/*" },
        async (
          ctx: ChatContext,
          { by },
        ): Promise<{ stoppedRunId: string | null; nextRunId: string | null }> => {
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          assertMayControl(meta, by, "stop its run");
          const active = await ctx.get("activeRun");
          if (!active) return { stoppedRunId: null, nextRunId: null };
          ctx.console.info("Stopping ongoing agent run");
          const { next } = await stopActive(ctx, meta, active, "stopped");
          return { stoppedRunId: active.id, nextRunId: next?.id ?? null };
        },
      ),

      /** Stops the run and forgets the queue and the history. The mode, origin and people stay. */
      reset: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ActorSchema), accept: "*/*" },
        async (ctx: ChatContext, { by }): Promise<{ stoppedRunId: string | null; droppedQueued: number }> => {
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          assertMayControl(meta, by, "reset it");
          const active = await ctx.get("activeRun");
          const queue = (await ctx.get("queue")) ?? [];
          if (active) {
            ctx.invocation(active.invocationId as restate.InvocationId).cancel();
            logRunEnd(ctx, active, "stopped");
          }
          ctx.clear("activeRun");
          ctx.clear("queue");
          ctx.clear("history");
          ctx.console.info("Session reset");
          const stopped = active ? [...active.inputs, ...active.incorporated] : [];
          report(
            ctx,
            { meta, active: null, queue: [] },
            fates([...stopped, ...queue], "stopped"),
            active ? [active.id] : [],
          );
          return { stoppedRunId: active?.id ?? null, droppedQueued: queue.length };
        },
      ),

      /** Takes a message out of the queue: the session's people, or whoever queued it, may. */
      remove_queued: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RemoveQueuedSchema) },
        async (ctx: ChatContext, { id, by }): Promise<{ removed: UserInput }> => {
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
        },
      ),

      /** The channel's default changed (pushed by ChannelSettings to every session of the channel). */
      channel_mode_changed: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: ChatContext, { mode }: { mode: Mode | null }): Promise<void> => {
          const stored = (await ctx.get("meta")) ?? NEW_SESSION;
          if (stored.channelModeKnown && stored.channelMode === mode) return;
          const meta: SessionMeta = { ...stored, channelMode: mode, channelModeKnown: true };
          ctx.set("meta", meta);
          // The first answer of a channel without a default changes nothing anyone sees.
          if (stored.channelMode === mode) return;
          report(
            ctx,
            { meta, active: await ctx.get("activeRun"), queue: (await ctx.get("queue")) ?? [] },
            [],
          );
        },
      ),

      /** The session's own mode; anyone in the thread may change it. */
      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        async (
          ctx: ChatContext,
          { mode, requireSession },
        ): Promise<{ mode: Mode | null; previous: Mode | null }> => {
          const meta = (await ctx.get("meta")) ?? NEW_SESSION;
          if (requireSession && !meta.createdAt) {
            throw new SessionError("This thread has no agent session: mention the agent to start one.", 404);
          }
          const next = { ...meta, mode };
          ctx.set("meta", next);
          report(
            ctx,
            { meta: next, active: await ctx.get("activeRun"), queue: (await ctx.get("queue")) ?? [] },
            [],
          );
          return { mode, previous: meta.mode };
        },
      ),

      get_history: restate.handlers.object.shared(
        async (ctx: ChatSharedContext): Promise<{ entries: HistoryEntry[] }> => ({
          entries: (await ctx.get("history")) ?? [],
        }),
      ),

      get_status: restate.handlers.object.shared(async (ctx: ChatSharedContext): Promise<SessionStatus> => {
        const meta = (await ctx.get("meta")) ?? NEW_SESSION;
        const active = await ctx.get("activeRun");
        const channelMode = meta.mode ? null : await channelModeOf(ctx, meta);
        const { mode, source } = resolveMode(meta.mode, channelMode, options.defaultMode);
        let activeRun: SessionStatus["activeRun"] = null;
        const first = active?.inputs[0];
        if (active && first) {
          const progress = await ctx.objectClient(AgentSessionRef, active.key).get_progress();
          activeRun = {
            id: active.id,
            invocationId: active.invocationId,
            startedAt: active.startedAt,
            iteration: progress.iteration,
            input: first,
            inputs: active.inputs,
            incorporated: active.incorporated,
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
          queue: (await ctx.get("queue")) ?? [],
          historyLength: ((await ctx.get("history")) ?? []).length,
        };
      }),
    },
  });
}

export type ChatService = ReturnType<typeof createChatService>;
