/**
 * The agent interface: what AgentSession needs from an agent, and nothing about Restate or Slack.
 * An agent gets the run's working history and a small durable toolbox (`step`, `sleep`); everything that
 * talks to the outside world (a model, a clock, randomness) must go through `step`, so that a crash or a
 * retry replays its journaled result instead of doing it again.
 */

/** One item of a run's working history: user inputs and the agent's outputs (`system`). */
export interface HistoryItem {
  readonly role: string;
  readonly content: string;
}

export interface AgentStepContext {
  readonly sessionKey: string;
  readonly runId: string;
  /** 1 for the first iteration of a run. */
  readonly iteration: number;
  /**
   * Runs `action` as a durable step. Once it has succeeded its result is journaled: after a crash the step
   * is not run again, its result is replayed. A step that throws is retried; a `TerminalError` (from
   * `@restatedev/restate-sdk`) ends the run as failed.
   */
  step<T>(name: string, action: () => Promise<T> | T): Promise<T>;
  /** A durable timer: it survives restarts, and cancelling the run ends it at once. */
  sleep(ms: number): Promise<void>;
  /** Logs with the run's context; silent while the run is replaying. */
  log(message: string): void;
}

export interface AgentStepResult {
  /** What this iteration produced: posted into the thread, and the run's final output when `done`. */
  readonly output: string;
  /** True when the run should end after this iteration. */
  readonly done: boolean;
}

export interface Agent {
  readonly name: string;
  /** One iteration of the agent loop over the run's working history. */
  step(ctx: AgentStepContext, history: readonly HistoryItem[]): Promise<AgentStepResult>;
}
