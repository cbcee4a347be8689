/**
 * AgentSession: one invocation is one run, not a session (the name is a public API and stays). ChatService
 * starts each run under its own key, `<session key>/<run id>`, so a new run never waits behind a cancelled
 * one still unwinding. Between iterations the run takes in messages handed to it (signals `input-<n>`); at
 * its end it tells ChatService (`run_ended`) how many it took in, so a late one starts the next run. It owns
 * no session state: a cancel (interrupt, stop) surfaces as a `CancelledError`, reported, then rethrown. Its
 * one state entry, `progress`, lives while the run does: the run clears it as it reports its end (ChatService
 * clears it for a run it ended from outside).
 * A Slack session's text is logged at debug only; at info its lines carry ids and counts.
 */
import * as restate from "@restatedev/restate-sdk";
import { type Agent, type AgentStepContext, contentText, type HistoryItem } from "../agent/agent.ts";
import { fitToWindow, SUMMARY_ROLE } from "../agent/context-window.ts";
import type { AgentTool } from "../agent/tools.ts";
import {
  type ApprovalDecision,
  needsUndo,
  type PendingApproval,
  type RegisteredEffect,
  UNDO_KEPT_MS,
  type UndoResult,
} from "./approvals.ts";
import { AGENT_SESSION, AgentSessionRef, ChatServiceRef } from "./contracts.ts";
import { parseSessionKey } from "./keys.ts";
import { RunInputSchema, UndoEffectsSchema } from "./schemas.ts";
import type { LiveMessage, SessionEffects } from "./session-effects.ts";
import { type SessionOrigin, signalNameFor, type UserInput } from "./session-state.ts";

export interface RunProgress {
  /** Iterations started so far (0 before the first). */
  readonly iteration: number;
  /** Always `running`: a run that ended has no progress (it clears it as it reports its end). */
  readonly outcome: "running";
}

/**
 * `progress` lives while the run does. `effects`, the undoable effects the run applied (or began), lives
 * while they may still be undone: cleared when the run ends by itself, when they are undone, or
 * `UNDO_KEPT_MS` after the run was interrupted.
 */
type RunState = { progress: RunProgress; effects: RegisteredEffect[] };

/** Attempts of one undo before it is reported as failed (never retried forever). */
const UNDO_MAX_ATTEMPTS = 5;

/**
 * How long an undo waits before it looks for an effect whose step never recorded a result. A cancelled
 * run ends without waiting for a step in flight, whose request may still land: each request of a tool
 * with an undo must time out sooner than this (Slack's calls: 10 s).
 */
export const EFFECT_LANDING_GRACE_MS = 20_000;

export interface AgentSessionOptions {
  readonly agent: Agent;
  /** Tools the agent may no longer list but whose effects may still be undone (none today). */
  readonly extraTools?: readonly AgentTool[];
  readonly effects: SessionEffects;
  readonly journalRetentionMs: number;
  /** How often a failing agent step is tried before the run ends as failed. */
  readonly stepMaxAttempts: number;
  /** Restate's inactivity and abort timeouts for runs (`agentSessionTimeouts`); the server's when absent. */
  readonly restateTimeouts?: { readonly inactivityMs: number; readonly abortMs: number } | null;
}

/** The working history as one log line: `message_history=['do something', 'system: Done']`. */
export function formatHistoryForLog(history: readonly HistoryItem[]): string {
  const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  const items = history.map((item) => {
    const text = contentText(item.content);
    return quote(item.role === "user" ? text : `${item.role}: ${text}`);
  });
  return `message_history=[${items.join(", ")}]`;
}

/**
 * The run's log lines that could carry what people wrote. A session started with curl (no origin, a key
 * that names no Slack thread) logs its text at info, as the operator who wrote it expects; a Slack
 * session logs ids and counts at info and its text at debug only.
 */
export interface RunTextLog {
  incorporated(sessionKey: string, position: number, content: string): void;
  iteration(sessionKey: string, iteration: number, history: readonly HistoryItem[]): void;
  output(sessionKey: string, iteration: number, output: string, done: boolean): void;
}

type Console = Pick<restate.Context["console"], "info" | "debug">;

export function runTextLog(
  console: Console,
  session: { key: string; origin: SessionOrigin | null },
): RunTextLog {
  const operatorWroteIt = session.origin === null && parseSessionKey(session.key) === null;
  const incorporated = (key: string, content: string) => `Incorporating new input for ${key}: ${content}`;
  const iteration = (key: string, history: readonly HistoryItem[]) =>
    `Running iteration of agent for ${key} with input items: ${formatHistoryForLog(history)}`;
  const output = (key: string, text: string) => `Agent generated output for ${key}: ${text}`;
  if (operatorWroteIt) {
    return {
      incorporated: (key, _position, content) => console.info(incorporated(key, content)),
      iteration: (key, _iteration, history) => console.info(iteration(key, history)),
      output: (key, _iteration, text) => console.info(output(key, text)),
    };
  }
  return {
    incorporated(key, position, content) {
      console.info(`Incorporating new input ${position} for ${key}`);
      console.debug(incorporated(key, content));
    },
    iteration(key, number, history) {
      console.info(`Running iteration ${number} of agent for ${key} with ${history.length} input items`);
      console.debug(iteration(key, history));
    },
    output(key, number, text, done) {
      console.info(
        `Agent generated output for ${key} in iteration ${number}: ${text.length} characters, ${done ? "done" : "not done"}`,
      );
      console.debug(output(key, text));
    },
  };
}

/** Takes the next handed-over message if it has arrived, without waiting for one. */
async function takeHandedInput(
  ctx: restate.ObjectContext<RunState>,
  position: number,
): Promise<UserInput | null> {
  // A zero timer is the "not yet" branch: whichever notification the journal has first wins, on replay too.
  return restate.RestatePromise.race([
    ctx.signal<UserInput>(signalNameFor(position)),
    ctx.sleep(0).map(() => null),
  ]);
}

/**
 * An interrupted, stopped or failed run that applied undoable effects offers to undo them (ChatService records
 * the offer and shows it; `UNDO_ON_INTERRUPT` takes it at once). Its effects are kept for `UNDO_KEPT_MS`.
 */
function offerUndo(
  ctx: restate.ObjectContext<RunState>,
  run: { runId: string; sessionKey: string; origin: SessionOrigin | null },
  applied: readonly RegisteredEffect[],
): void {
  const undoable = applied.filter(needsUndo);
  if (undoable.length === 0 || !run.origin) {
    if (applied.length > 0) ctx.clear("effects");
    return;
  }
  ctx.objectSendClient(ChatServiceRef, run.sessionKey).undo_offered({
    runId: run.runId,
    runKey: ctx.key,
    effects: undoable.map(({ id, title }) => ({ id, title })),
  });
  ctx
    .objectSendClient(AgentSessionRef, ctx.key)
    .forget_effects(restate.rpc.sendOpts({ delay: UNDO_KEPT_MS }));
}

export function createAgentSession(options: AgentSessionOptions) {
  const { agent } = options;
  const tools = new Map([...(options.extraTools ?? []), ...(agent.tools ?? [])].map((t) => [t.name, t]));

  /** One effect's undo as a durable step, tried a few times; a failure is reported, never retried forever. */
  async function undoOne(
    ctx: restate.ObjectContext<RunState>,
    effect: RegisteredEffect,
    at: { sessionKey: string; origin: SessionOrigin | null },
  ): Promise<UndoResult> {
    const { id, title } = effect;
    const undo = tools.get(effect.tool)?.undo;
    if (!undo) return { id, title, outcome: "failed", error: `the tool ${effect.tool} cannot undo` };
    try {
      const outcome = await ctx.run(
        `undo ${effect.tool} (${id})`,
        async () =>
          undo(
            effect.input,
            { result: effect.result ?? null, since: effect.since ?? null },
            {
              sessionKey: at.sessionKey,
              origin: at.origin,
              signal: ctx.request().attemptCompletedSignal,
              callId: id,
              approvedBy: null,
              mayHaveRun: true,
              since: effect.since ?? null,
            },
          ),
        { maxRetryAttempts: UNDO_MAX_ATTEMPTS },
      );
      return { id, title, outcome };
    } catch (error) {
      if (error instanceof restate.CancelledError || !(error instanceof restate.TerminalError)) throw error;
      ctx.console.warn(`Could not undo ${effect.tool} (${id}): ${error.message}`);
      return { id, title, outcome: "failed", error: error.message };
    }
  }
  return restate.object({
    name: AGENT_SESSION,
    description: "One agent run: the agent loop over the session history, interruptible between steps.",
    options: {
      journalRetention: options.journalRetentionMs,
      ...(options.restateTimeouts
        ? {
            inactivityTimeout: options.restateTimeouts.inactivityMs,
            abortTimeout: options.restateTimeouts.abortMs,
          }
        : {}),
    },
    handlers: {
      run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RunInputSchema), ingressPrivate: true },
        async (ctx: restate.ObjectContext<RunState>, input) => {
          const { sessionKey, runId, origin } = input;
          const chat = ctx.objectSendClient(ChatServiceRef, sessionKey);
          const { effects } = options;
          const textLog = runTextLog(ctx.console, { key: sessionKey, origin });
          // What the agent is given: the summary so far, and the items after it (`base`: the first one's
          // place in the session's history), bounded and compacted to its window before each iteration.
          let working: HistoryItem[] = [...input.history];
          let summary = input.context?.summary ?? null;
          let base = input.context?.through ?? 0;
          // Where the items the run was given end in the history: what follows is the run's own, which joins
          // the history only as it settles (and differently for the demo agent, or an interrupted run).
          const givenEnd = base + input.history.length;
          let compactions = 0;
          // What the run adds to the history when its agent keeps messages: inputs taken in, in place.
          const added: HistoryItem[] = [];
          let keepsMessages = false;
          let consumed = 0;
          let iteration = 0;
          let liveMessage: LiveMessage | null = null;
          // The undoable effects applied so far (kept in state too, for an undo after the run).
          const applied: RegisteredEffect[] = [];
          const recordEffect = (effect: RegisteredEffect) => {
            const at = applied.findIndex((e) => e.id === effect.id);
            if (at >= 0) applied[at] = effect;
            else applied.push(effect);
            ctx.set("effects", applied);
          };
          let approvals = 0;
          /** Waits for a person's decision: ChatService shows the card, checks who decides, and signals it. */
          const askApproval: AgentStepContext["askApproval"] = async (request) => {
            const at = new Date(await ctx.date.now()).toISOString();
            if (!origin)
              return {
                verdict: "denied",
                by: null,
                at,
                reason: "nobody can approve it here: this session is not a Slack thread",
              } satisfies ApprovalDecision;
            approvals += 1;
            const approval: PendingApproval = {
              ...request,
              id: ctx.rand.uuidv4(),
              // Named at random: only ChatService's state says which signal carries the decision.
              signal: `approval-${approvals}-${ctx.rand.uuidv4()}`,
              since: at,
            };
            chat.approval_pending({ runId, approval });
            ctx.console.info(`Agent run ${runId} waits for approval of ${request.tool}`);
            return ctx.signal<ApprovalDecision>(approval.signal);
          };
          try {
            for (;;) {
              if (iteration > 0) {
                for (
                  let next = await takeHandedInput(ctx, consumed + 1);
                  next;
                  next = await takeHandedInput(ctx, consumed + 1)
                ) {
                  consumed += 1;
                  const item = { role: next.role, content: next.content };
                  working.push(item);
                  added.push(item);
                  textLog.incorporated(sessionKey, consumed, next.content);
                }
              }
              iteration += 1;
              ctx.set("progress", { iteration, outcome: "running" });
              liveMessage =
                agent.streams && origin
                  ? await effects.openLiveMessage(ctx, { sessionKey, origin, runId, iteration })
                  : null;
              const message = liveMessage;
              const stepContext: AgentStepContext = {
                sessionKey,
                origin,
                runId,
                iteration,
                step: (name, action) =>
                  ctx.run(name, async () => action(ctx.request().attemptCompletedSignal), {
                    maxRetryAttempts: options.stepMaxAttempts,
                  }),
                sleep: (ms) => ctx.sleep(ms),
                log: (text) => ctx.console.info(text),
                showStreamed: (streamed) => {
                  if (message && origin)
                    effects.showStreamedText(origin, message, streamed, ctx.request().attemptCompletedSignal);
                },
                watched: message !== null,
                restate: ctx,
                askApproval,
                registerEffect: (effect) => recordEffect({ ...effect, state: "registered" }),
                effectEnded: (id, ended) => {
                  const effect = applied.find((e) => e.id === id);
                  if (!effect) return;
                  recordEffect(
                    "result" in ended
                      ? { ...effect, state: "applied", result: ended.result }
                      : { ...effect, state: "failed", error: ended.failed },
                  );
                },
              };
              let result: Awaited<ReturnType<Agent["step"]>>;
              try {
                if (agent.contextWindow && input.windowTokens) {
                  const view = { summary, items: working };
                  const window = { ...agent.contextWindow, limitTokens: input.windowTokens };
                  const fitted = await fitToWindow(stepContext, window, view, compactions + 1);
                  working = fitted.items;
                  summary = fitted.summary;
                  if (fitted.compaction) {
                    compactions += 1;
                    const through = base + fitted.compaction.dropped;
                    // Only a compaction of items already in the history is kept for later runs.
                    if (through <= givenEnd)
                      chat.context_compacted({
                        runId,
                        from: base,
                        through,
                        summary: fitted.compaction.summary,
                      });
                    base = through;
                  }
                }
                const given = summary ? [{ role: SUMMARY_ROLE, content: summary }, ...working] : working;
                textLog.iteration(sessionKey, iteration, given);
                result = await agent.step(stepContext, given);
              } catch (error) {
                if (message && origin)
                  effects.endLiveMessage(
                    origin,
                    message,
                    error instanceof restate.CancelledError ? "interrupted" : "failed",
                  );
                throw error;
              }
              if (message && origin) effects.endLiveMessage(origin, message, "done");
              textLog.output(sessionKey, iteration, result.output, result.done);
              const messages = result.messages ?? [{ role: "system", content: result.output }];
              if (result.messages) keepsMessages = true;
              working.push(...messages);
              added.push(...messages);
              if (origin) {
                effects.output(ctx, {
                  sessionKey,
                  origin,
                  runId,
                  iteration,
                  text: result.output,
                  final: result.done,
                  format: result.format ?? "text",
                  notes: result.notes ?? [],
                  ...(result.tasks?.length ? { tasks: result.tasks } : {}),
                  live: liveMessage,
                });
              }
              liveMessage = null;
              if (result.done) {
                // A cancel is seen only at an await: one that came while the last step applied an effect
                // (an interrupt during the post) must still end the run as interrupted and offer the undo.
                if (applied.some(needsUndo)) await ctx.sleep(0);
                ctx.clear("progress");
                // A run that finishes keeps its effects and offers no undo.
                if (applied.length > 0) ctx.clear("effects");
                chat.run_ended({
                  runId,
                  outcome: "done",
                  output: result.output,
                  consumed,
                  ...(keepsMessages ? { messages: added } : {}),
                });
                return { outcome: "done" as const, output: result.output, iterations: iteration };
              }
            }
          } catch (error) {
            if (error instanceof restate.CancelledError) {
              ctx.console.info(`Agent run ${runId} for ${sessionKey} was interrupted`);
              ctx.clear("progress");
              chat.run_ended({ runId, outcome: "interrupted", consumed });
              offerUndo(ctx, { runId, origin, sessionKey }, applied);
            } else if (error instanceof restate.TerminalError) {
              ctx.console.warn(`Agent run ${runId} for ${sessionKey} failed: ${error.message}`);
              ctx.clear("progress");
              if (origin) {
                // Never a silent stop: the thread says what went wrong (in the iteration's live message, if any).
                effects.output(ctx, {
                  sessionKey,
                  origin,
                  runId,
                  iteration,
                  text: "",
                  final: true,
                  notes: [`:warning: The agent stopped: ${error.message}`],
                  live: liveMessage,
                });
              }
              chat.run_ended({ runId, outcome: "failed", error: error.message, consumed });
              // A run that failed after it acted (or while an effect's step gave up) offers its undo too.
              offerUndo(ctx, { runId, origin, sessionKey }, applied);
            }
            throw error;
          }
        },
      ),

      /**
       * Undoes the run's effects, newest first, each once: an effect's state says it is undone as soon as
       * its undo step has run, and the steps are journaled. Sent by ChatService only (a person's Undo,
       * checked there, or `UNDO_ON_INTERRUPT`); it tells ChatService what each undo did.
       */
      undo_effects: restate.handlers.object.exclusive(
        { input: restate.serde.schema(UndoEffectsSchema), ingressPrivate: true },
        async (ctx: restate.ObjectContext<RunState>, { sessionKey, runId, origin }): Promise<void> => {
          const effects = (await ctx.get("effects")) ?? [];
          const results: UndoResult[] = [];
          // An effect without a result may still be landing, from the step the cancel left running.
          if (effects.some((e) => e.state === "registered")) await ctx.sleep(EFFECT_LANDING_GRACE_MS);
          for (let index = effects.length - 1; index >= 0; index -= 1) {
            const effect = effects[index];
            if (!effect || !needsUndo(effect)) continue;
            const result = await undoOne(ctx, effect, { sessionKey, origin });
            results.push(result);
            effects[index] = {
              ...effect,
              state: result.outcome === "failed" ? "undo_failed" : "undone",
              ...(result.error ? { error: result.error } : {}),
            };
            ctx.set("effects", effects);
          }
          ctx.clear("effects");
          ctx.objectSendClient(ChatServiceRef, sessionKey).undo_finished({ runId, results });
        },
      ),

      /** The time to undo an interrupted run's effects is over. */
      forget_effects: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext<RunState>): Promise<void> => {
          ctx.clear("effects");
        },
      ),

      /**
       * The run's iteration while it is active. A run not yet started, or one that has ended (it clears its
       * progress as it reports its end), reads as iteration 0: only a reader holding an outdated picture of
       * the session asks then (or asks in the moment before the session hears the end), and the session's
       * next report replaces that picture.
       */
      get_progress: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext<RunState>): Promise<RunProgress> =>
          (await ctx.get("progress")) ?? { iteration: 0, outcome: "running" },
      ),

      /**
       * Clears a run's progress. A run clears its own as it ends by itself; ChatService sends this for a run
       * it ended (cancelled, or killed from outside), one-way to the run's key, so it waits behind the run.
       */
      forget_progress: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext<RunState>): Promise<void> => {
          ctx.clear("progress");
        },
      ),
    },
  });
}

export type AgentSession = ReturnType<typeof createAgentSession>;
