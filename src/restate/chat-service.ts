/**
 * ChatService: one virtual object per session key. It owns the session: chat history, mode, the active
 * run and the queue, and it is the only place that decides what a new message does. Being exclusive per
 * key, it sees messages and run reports one at a time, so the active run and the queue stay exact.
 * Knows nothing of Slack: callers pass plain messages; the agent loop lives in AgentSession.
 */
import * as restate from "@restatedev/restate-sdk";
import { AgentSessionRef, CHAT_SERVICE, ChannelSettingsRef } from "./contracts.ts";
import { channelKeyOf, toRunKey } from "./keys.ts";
import { decideOnMessage, type Mode, type ModeSource, resolveMode } from "./modes.ts";
import { ChatMessageSchema, RemoveQueuedSchema, RunReportSchema, SetModeSchema } from "./schemas.ts";
import {
  type ActiveRun,
  enqueue,
  type HistoryEntry,
  type RunOutcome,
  removeQueued,
  SessionError,
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
};
type ChatContext = restate.ObjectContext<ChatState>;
type ChatSharedContext = restate.ObjectSharedContext<ChatState>;

export interface ChatServiceOptions {
  /** `MODE`: used when neither the session nor its channel has a mode. */
  readonly defaultMode: Mode;
  readonly queueMax: number;
  readonly idempotencyRetentionMs: number;
  readonly journalRetentionMs: number;
}

/** What `process_user_message` answers: where the message went. */
export interface MessageReceipt {
  readonly messageId: string;
  readonly decision: "started" | "interrupted" | "incorporated" | "queued";
  /** The run that handles the message (for queued messages: the run it waits behind). */
  readonly runId: string;
  /** 1-based place in the queue, for queued messages. */
  readonly queuePosition?: number;
}

export interface SessionStatus {
  readonly key: string;
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
  const handle = ctx
    .objectSendClient(AgentSessionRef, key)
    .run({ sessionKey: ctx.key, runId, history: [...history] });
  const run: ActiveRun = { ...pending, invocationId: await handle.invocationId };
  ctx.set("activeRun", run);
  return run;
}

/**
 * After the active run has ended (or was stopped): messages the run was handed but never took in go
 * first, then the queue; with neither, the session goes idle.
 */
async function startNext(
  ctx: ChatContext,
  leftovers: readonly UserInput[],
  history: HistoryEntry[],
): Promise<ActiveRun | null> {
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
    return null;
  }
  history.push(...inputs.map(toHistoryEntry));
  ctx.set("history", history);
  return startRun(ctx, inputs, history);
}

function logRunEnd(ctx: ChatContext, run: ActiveRun, outcome: RunOutcome): void {
  ctx.console.info(`Agent run ${run.id} ${outcome}`);
}

export function createChatService(options: ChatServiceOptions) {
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
          const input: UserInput = {
            id: ctx.rand.uuidv4(),
            content: message.content,
            role: message.role,
            at: await nowIso(ctx),
            by: message.user ?? null,
          };
          const active = await ctx.get("activeRun");
          const history = (await ctx.get("history")) ?? [];
          let decision = decideOnMessage(false, options.defaultMode);
          if (active) {
            const own = await ctx.get("mode");
            const { mode } = resolveMode(own, own ? null : await channelMode(ctx), options.defaultMode);
            decision = decideOnMessage(true, mode);
          }

          switch (decision) {
            case "start": {
              history.push(toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, [input], history, input.at);
              return { messageId: input.id, decision: "started", runId: run.id };
            }
            case "interrupt": {
              if (!active) throw new Error("unreachable: interrupt without an active run");
              ctx.console.info("Interrupting ongoing agent run");
              ctx.invocation(active.invocationId as restate.InvocationId).cancel();
              logRunEnd(ctx, active, "interrupted");
              history.push(...active.incorporated.map(toHistoryEntry), toHistoryEntry(input));
              ctx.set("history", history);
              const run = await startRun(ctx, [input], history, input.at);
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
              return { messageId: input.id, decision: "incorporated", runId: active.id };
            }
            case "queue": {
              if (!active) throw new Error("unreachable: queue without an active run");
              const queue = enqueue((await ctx.get("queue")) ?? [], input, options.queueMax);
              ctx.set("queue", queue);
              ctx.console.info(`Queueing new input behind the ongoing agent run (position ${queue.length})`);
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
        async (ctx: ChatContext, report): Promise<void> => {
          const active = await ctx.get("activeRun");
          if (!active || active.id !== report.runId) {
            ctx.console.debug(`Ignoring the end of run ${report.runId}: it is no longer the active run`);
            return;
          }
          const history = (await ctx.get("history")) ?? [];
          if (report.outcome === "interrupted") {
            // Cancelled from outside ChatService (Restate UI or CLI): the same as stop_run.
            history.push(...active.incorporated.map(toHistoryEntry));
            logRunEnd(ctx, active, "stopped");
            await startNext(ctx, [], history);
            return;
          }
          const { additions, unconsumed } = settleRun(active, report);
          history.push(...additions);
          logRunEnd(ctx, active, report.outcome);
          if (report.outcome === "failed")
            ctx.console.warn(`Agent run ${active.id} failed: ${report.error ?? ""}`);
          await startNext(ctx, unconsumed, history);
        },
      ),

      /** Cancels the active run without new input; the queue then moves on. */
      stop_run: async (
        ctx: ChatContext,
      ): Promise<{ stoppedRunId: string | null; nextRunId: string | null }> => {
        const active = await ctx.get("activeRun");
        if (!active) return { stoppedRunId: null, nextRunId: null };
        ctx.console.info("Stopping ongoing agent run");
        ctx.invocation(active.invocationId as restate.InvocationId).cancel();
        const history = (await ctx.get("history")) ?? [];
        history.push(...active.incorporated.map(toHistoryEntry));
        logRunEnd(ctx, active, "stopped");
        const next = await startNext(ctx, [], history);
        return { stoppedRunId: active.id, nextRunId: next?.id ?? null };
      },

      /** Stops the run and forgets the queue and the history. The session's own mode stays. */
      reset: async (ctx: ChatContext): Promise<{ stoppedRunId: string | null; droppedQueued: number }> => {
        const active = await ctx.get("activeRun");
        if (active) {
          ctx.invocation(active.invocationId as restate.InvocationId).cancel();
          logRunEnd(ctx, active, "stopped");
        }
        const dropped = ((await ctx.get("queue")) ?? []).length;
        ctx.clear("activeRun");
        ctx.clear("queue");
        ctx.clear("history");
        ctx.console.info("Session reset");
        return { stoppedRunId: active?.id ?? null, droppedQueued: dropped };
      },

      remove_queued: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RemoveQueuedSchema) },
        async (ctx: ChatContext, { id }): Promise<{ removed: UserInput }> => {
          const { queue, removed } = removeQueued((await ctx.get("queue")) ?? [], id);
          ctx.set("queue", queue);
          return { removed };
        },
      ),

      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        async (ctx: ChatContext, { mode }): Promise<{ mode: Mode | null; previous: Mode | null }> => {
          const previous = await ctx.get("mode");
          if (mode) ctx.set("mode", mode);
          else ctx.clear("mode");
          return { mode, previous };
        },
      ),

      get_history: restate.handlers.object.shared(
        async (ctx: ChatSharedContext): Promise<{ entries: HistoryEntry[] }> => ({
          entries: (await ctx.get("history")) ?? [],
        }),
      ),

      get_status: restate.handlers.object.shared(async (ctx: ChatSharedContext): Promise<SessionStatus> => {
        const [own, active, queue, history] = [
          await ctx.get("mode"),
          await ctx.get("activeRun"),
          (await ctx.get("queue")) ?? [],
          (await ctx.get("history")) ?? [],
        ];
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
        return { key: ctx.key, mode, modeSource: source, activeRun, queue, historyLength: history.length };
      }),
    },
  });
}

export type ChatService = ReturnType<typeof createChatService>;
