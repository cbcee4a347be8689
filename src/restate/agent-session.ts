/**
 * AgentSession: the agent loop of one run, as a durable handler. Each run has its own key
 * (`<session key>/<run id>`), so a new run never waits for a cancelled one to unwind.
 *
 * Between iterations the run takes in messages that ChatService handed over (signals `input-1`,
 * `input-2`, ... on this invocation); when it ends it reports to ChatService how many it took in, so a
 * message that arrived too late starts the next run instead of being lost. Cancellation (interrupt, stop)
 * surfaces as a `CancelledError` at the next durable step: the run records it, reports, and rethrows.
 */
import * as restate from "@restatedev/restate-sdk";
import type { Agent, AgentStepContext, HistoryItem } from "../agent/agent.ts";
import { AGENT_SESSION, ChatServiceRef } from "./contracts.ts";
import { RunInputSchema } from "./schemas.ts";
import type { SessionEffects } from "./session-effects.ts";
import { signalNameFor, type UserInput } from "./session-state.ts";

export interface RunProgress {
  /** Iterations started so far (0 before the first). */
  readonly iteration: number;
  readonly outcome: "running" | "done" | "failed" | "interrupted";
}

type RunState = { progress: RunProgress };

export interface AgentSessionOptions {
  readonly agent: Agent;
  readonly effects: SessionEffects;
  readonly journalRetentionMs: number;
  /** How often a failing agent step is tried before the run ends as failed. */
  readonly stepMaxAttempts: number;
}

/** The log format of the Python example: `message_history=['do something', 'system: Done']`. */
export function formatHistoryForLog(history: readonly HistoryItem[]): string {
  const quote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
  const items = history.map((item) =>
    quote(item.role === "user" ? item.content : `${item.role}: ${item.content}`),
  );
  return `message_history=[${items.join(", ")}]`;
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

export function createAgentSession(options: AgentSessionOptions) {
  const { agent } = options;
  return restate.object({
    name: AGENT_SESSION,
    description: "One agent run: the agent loop over the session history, interruptible between steps.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      run: restate.handlers.object.exclusive(
        { input: restate.serde.schema(RunInputSchema), ingressPrivate: true },
        async (ctx: restate.ObjectContext<RunState>, input) => {
          const { sessionKey, runId, origin } = input;
          const chat = ctx.objectSendClient(ChatServiceRef, sessionKey);
          const working: HistoryItem[] = [...input.history];
          let consumed = 0;
          let iteration = 0;
          try {
            for (;;) {
              if (iteration > 0) {
                for (
                  let next = await takeHandedInput(ctx, consumed + 1);
                  next;
                  next = await takeHandedInput(ctx, consumed + 1)
                ) {
                  consumed += 1;
                  working.push({ role: next.role, content: next.content });
                  ctx.console.info(`Incorporating new input for ${sessionKey}: ${next.content}`);
                }
              }
              iteration += 1;
              ctx.set("progress", { iteration, outcome: "running" });
              ctx.console.info(
                `Running iteration of agent for ${sessionKey} with input items: ${formatHistoryForLog(working)}`,
              );
              const stepContext: AgentStepContext = {
                sessionKey,
                runId,
                iteration,
                step: (name, action) =>
                  ctx.run(name, async () => action(), { maxRetryAttempts: options.stepMaxAttempts }),
                sleep: (ms) => ctx.sleep(ms),
                log: (message) => ctx.console.info(message),
              };
              const result = await agent.step(stepContext, working);
              ctx.console.info(`Agent generated output for ${sessionKey}: ${result.output}`);
              working.push({ role: "system", content: result.output });
              if (origin) {
                options.effects.output(ctx, {
                  sessionKey,
                  origin,
                  runId,
                  iteration,
                  text: result.output,
                  final: result.done,
                });
              }
              if (result.done) {
                ctx.set("progress", { iteration, outcome: "done" });
                chat.run_ended({ runId, outcome: "done", output: result.output, consumed });
                return { outcome: "done" as const, output: result.output, iterations: iteration };
              }
            }
          } catch (error) {
            if (error instanceof restate.CancelledError) {
              ctx.console.info(`Agent run ${runId} for ${sessionKey} was interrupted`);
              ctx.set("progress", { iteration, outcome: "interrupted" });
              chat.run_ended({ runId, outcome: "interrupted", consumed });
            } else if (error instanceof restate.TerminalError) {
              ctx.console.warn(`Agent run ${runId} for ${sessionKey} failed: ${error.message}`);
              ctx.set("progress", { iteration, outcome: "failed" });
              chat.run_ended({ runId, outcome: "failed", error: error.message, consumed });
            }
            throw error;
          }
        },
      ),

      get_progress: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext<RunState>): Promise<RunProgress> =>
          (await ctx.get("progress")) ?? { iteration: 0, outcome: "running" },
      ),
    },
  });
}

export type AgentSession = ReturnType<typeof createAgentSession>;
