/**
 * ChatService: one virtual object per session key. It owns the session: chat history, mode, the active
 * run, the queue, the people in it and where it lives (its origin), and it is the only place that decides
 * what a new message does. Being exclusive per key, it sees messages and run reports one at a time, so the
 * active run and the queue stay exact. Knows nothing of Slack: callers pass plain messages (with an opaque
 * source), and every change is reported through `SessionEffects`.
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
import type { Fate, FateChange, SessionEffects } from "./session-effects.ts";
import {
  type ActiveRun,
  enqueue,
  type HistoryEntry,
  type RunOutcome,
  removeQueued,
  SessionError,
  type SessionOrigin,
  settleRun,
  signalNameFor,
  toHistoryEntry,
  type UserInput,
} from "./session-state.ts";

type ChatState = {
  history: HistoryEntry[];
  mode: Mode;
  activeRun: ActiveRun;
  queue: UserInput[];
  /** When the session accepted its first message; a session "exists" from then on. */
  createdAt: string;
  origin: SessionOrigin;
  people: string[];
  /** The session's first message, to tell sessions apart in lists. */
  title: string;
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

async function nowIso(ctx: restate.Context): Promise<string> {
  return new Date(await ctx.date.now()).toISOString();
}

async function channelMode(ctx: ChatContext | ChatSharedContext): Promise<Mode | null> {
  const channelKey = channelKeyOf(ctx.key);
  if (!channelKey) return null;
  return (await ctx.objectClient(ChannelSettingsRef, channelKey).get_mode()).mode;
}

/** Characters of the first message kept as the session's title. */
const TITLE_LENGTH = 200;

const fates = (inputs: readonly UserInput[], fate: Fate): FateChange[] =>
  inputs.map((input) => ({ input, fate }));

/** Only the session's people may stop or reset it; a caller that does not say who it is is trusted (curl). */
async function assertMayControl(ctx: ChatContext, by: string | undefined, what: string): Promise<void> {
  if (by === undefined) return;
  const people = (await ctx.get("people")) ?? [];
  if (!people.includes(by)) {
    throw new SessionError(`Only the people in this session may ${what}; you have not written in it.`, 403);
  }
}

export function createChatService(options: ChatServiceOptions) {
  const { effects } = options;

  /** Tells the effects what changed, if the session lives somewhere (a Slack thread). */
  async function report(
    ctx: ChatContext,
    changed: FateChange[],
    stoppedRunIds: string[] = [],
  ): Promise<void> {
    const origin = await ctx.get("origin");
    if (!origin) return;
    effects.changed(ctx, {
      sessionKey: ctx.key,
      origin,
      people: (await ctx.get("people")) ?? [],
      fates: changed,
      stoppedRunIds,
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
    const origin = (await ctx.get("origin")) ?? null;
    const handle = ctx
      .objectSendClient(AgentSessionRef, key)
      .run({ sessionKey: ctx.key, runId, history: [...history], origin });
    const run: ActiveRun = { ...pending, invocationId: await handle.invocationId };
    ctx.set("activeRun", run);
    return run;
  }

  /**
   * After the active run has ended (or was stopped): messages the run was handed but never took in go
   * first, then the queue; with neither, the session goes idle. Returns the fates of the messages that
   * now run.
   */
  async function startNext(
    ctx: ChatContext,
    leftovers: readonly UserInput[],
    history: HistoryEntry[],
  ): Promise<{ run: ActiveRun | null; fates: FateChange[] }> {
    const queue = (await ctx.get("queue")) ?? [];
    let inputs: readonly UserInput[] = leftovers;
    if (inputs.length === 0 && queue.length > 0) {
      const [next, ...rest] = queue;
      inputs = next ? [next] : [];
      ctx.set("queue", rest);
    }
    if (inputs.length === 0) {
      ctx.set("history", history);
      ctx.clear("activeRun");
      return { run: null, fates: [] };
    }
    history.push(...inputs.map(toHistoryEntry));
    ctx.set("history", history);
    return { run: await startRun(ctx, inputs, history), fates: fates(inputs, "running") };
  }

  /** Ends the active run by stopping it (interrupt from outside, stop_run, delivery failure). */
  async function stopActive(
    ctx: ChatContext,
    active: ActiveRun,
    outcome: "stopped" | "failed",
  ): Promise<{ next: ActiveRun | null }> {
    ctx.invocation(active.invocationId as restate.InvocationId).cancel();
    const history = (await ctx.get("history")) ?? [];
    history.push(...active.incorporated.map(toHistoryEntry));
    logRunEnd(ctx, active, outcome);
    const ended = fates([...active.inputs, ...active.incorporated], outcome);
    const next = await startNext(ctx, [], history);
    await report(ctx, [...ended, ...next.fates], [active.id]);
    return { next: next.run };
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
          const createdAt = await ctx.get("createdAt");
          if (!createdAt && !message.startsSession) {
            ctx.console.debug("Ignoring a message for a thread without a session");
            return { decision: "ignored", messageId: null, runId: null };
          }
          const now = await nowIso(ctx);
          const source = message.source;
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
            const own = await ctx.get("mode");
            const { mode } = resolveMode(own, own ? null : await channelMode(ctx), options.defaultMode);
            decision = decideOnMessage(true, mode);
          }

          if (decision === "queue" && active) {
            // Refuse before changing anything: a full queue leaves the session as it was.
            const queue = (await ctx.get("queue")) ?? [];
            if (queue.length >= options.queueMax) {
              const origin = await ctx.get("origin");
              try {
                enqueue(queue, input, options.queueMax);
              } catch (error) {
                if (origin && error instanceof SessionError) {
                  effects.refused(ctx, { sessionKey: ctx.key, origin, input, reason: error.message });
                }
                throw error;
              }
            }
          }

          if (!createdAt) {
            ctx.set("createdAt", now);
            ctx.set("title", message.content.slice(0, TITLE_LENGTH));
            const channelKey = channelKeyOf(ctx.key);
            if (channelKey)
              ctx.objectSendClient(ChannelSettingsRef, channelKey).add_session({ key: ctx.key });
            if (source) {
              ctx.set("origin", {
                team: source.team,
                channel: source.channel,
                threadTs: source.threadTs,
                permalink: source.permalink,
              });
            }
          }
          if (input.by) {
            const people = (await ctx.get("people")) ?? [];
            if (!people.includes(input.by)) ctx.set("people", [...people, input.by]);
          }
          const history = (await ctx.get("history")) ?? [];

          switch (decision) {
            case "start": {
              history.push(toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, [input], history, now);
              await report(ctx, fates([input], "running"));
              return { messageId: input.id, decision: "started", runId: run.id };
            }
            case "interrupt": {
              if (!active) throw new Error("unreachable: interrupt without an active run");
              ctx.console.info("Interrupting ongoing agent run");
              ctx.invocation(active.invocationId as restate.InvocationId).cancel();
              logRunEnd(ctx, active, "interrupted");
              history.push(...active.incorporated.map(toHistoryEntry), toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, [input], history, now);
              await report(
                ctx,
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
              ctx.set("activeRun", { ...active, incorporated: [...active.incorporated, input] });
              await report(ctx, fates([input], "incorporated"));
              return { messageId: input.id, decision: "incorporated", runId: active.id };
            }
            case "queue": {
              if (!active) throw new Error("unreachable: queue without an active run");
              const queue = enqueue((await ctx.get("queue")) ?? [], input, options.queueMax);
              ctx.set("queue", queue);
              ctx.console.info(`Queueing new input behind the ongoing agent run (position ${queue.length})`);
              await report(ctx, fates([input], "queued"));
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
        async (ctx: ChatContext, report_): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== report_.runId) {
            ctx.console.debug(`Ignoring the end of run ${report_.runId}: it is no longer the active run`);
            return;
          }
          if (report_.outcome === "interrupted") {
            // Cancelled from outside ChatService (Restate UI or CLI): the same as stop_run.
            await stopActive(ctx, active, "stopped");
            return;
          }
          const history = (await ctx.get("history")) ?? [];
          const { additions, unconsumed } = settleRun(active, report_);
          history.push(...additions);
          logRunEnd(ctx, active, report_.outcome);
          if (report_.outcome === "failed")
            ctx.console.warn(`Agent run ${active.id} failed: ${report_.error ?? ""}`);
          const consumed = active.incorporated.slice(0, active.incorporated.length - unconsumed.length);
          const ended = fates([...active.inputs, ...consumed], report_.outcome);
          const next = await startNext(ctx, unconsumed, history);
          await report(ctx, [...ended, ...next.fates]);
        },
      ),

      /** A run's output could not be delivered: the run ends as failed (if it is still the active run). */
      fail_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(FailRunSchema), ingressPrivate: true },
        async (ctx: ChatContext, { runId, reason }): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== runId) return;
          ctx.console.warn(`Agent run ${runId} failed: ${reason}`);
          await stopActive(ctx, active, "failed");
        },
      ),

      /** Cancels the active run without new input; the queue then moves on. */
      stop_run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ActorSchema), accept: "*/*" },
        async (
          ctx: ChatContext,
          { by },
        ): Promise<{ stoppedRunId: string | null; nextRunId: string | null }> => {
          await assertMayControl(ctx, by, "stop its run");
          const active = await ctx.get("activeRun");
          if (!active) return { stoppedRunId: null, nextRunId: null };
          ctx.console.info("Stopping ongoing agent run");
          const { next } = await stopActive(ctx, active, "stopped");
          return { stoppedRunId: active.id, nextRunId: next?.id ?? null };
        },
      ),

      /** Stops the run and forgets the queue and the history. The mode, origin and people stay. */
      reset: restate.handlers.object.exclusive(
        { input: restate.serde.schema(ActorSchema), accept: "*/*" },
        async (ctx: ChatContext, { by }): Promise<{ stoppedRunId: string | null; droppedQueued: number }> => {
          await assertMayControl(ctx, by, "reset it");
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
          await report(ctx, fates([...stopped, ...queue], "stopped"), active ? [active.id] : []);
          return { stoppedRunId: active?.id ?? null, droppedQueued: queue.length };
        },
      ),

      /** Takes a message out of the queue: the session's people, or whoever queued it, may. */
      remove_queued: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RemoveQueuedSchema) },
        async (ctx: ChatContext, { id, by }): Promise<{ removed: UserInput }> => {
          const current = (await ctx.get("queue")) ?? [];
          const queued = current.find((entry) => entry.id === id);
          if (queued && by !== undefined && queued.by !== by) {
            await assertMayControl(ctx, by, "remove someone else's queued message");
          }
          const { queue, removed } = removeQueued(current, id);
          ctx.set("queue", queue);
          await report(ctx, fates([removed], "stopped"));
          return { removed };
        },
      ),

      /** The session's own mode; anyone in the thread may change it. */
      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        async (
          ctx: ChatContext,
          { mode, requireSession },
        ): Promise<{ mode: Mode | null; previous: Mode | null }> => {
          if (requireSession && !(await ctx.get("createdAt"))) {
            throw new SessionError("This thread has no agent session: mention the agent to start one.", 404);
          }
          const previous = await ctx.get("mode");
          if (mode) ctx.set("mode", mode);
          else ctx.clear("mode");
          await report(ctx, []);
          return { mode, previous };
        },
      ),

      get_history: restate.handlers.object.shared(
        async (ctx: ChatSharedContext): Promise<{ entries: HistoryEntry[] }> => ({
          entries: (await ctx.get("history")) ?? [],
        }),
      ),

      get_status: restate.handlers.object.shared(async (ctx: ChatSharedContext): Promise<SessionStatus> => {
        const own = await ctx.get("mode");
        const active = await ctx.get("activeRun");
        const createdAt = await ctx.get("createdAt");
        const { mode, source } = resolveMode(own, own ? null : await channelMode(ctx), options.defaultMode);
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
          exists: createdAt !== null,
          createdAt,
          title: (await ctx.get("title")) ?? null,
          origin: (await ctx.get("origin")) ?? null,
          people: (await ctx.get("people")) ?? [],
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
