/**
 * The demo agent: each iteration waits (a durable sleep), then one durable step
 * decides whether the work is done. The random draw happens inside the step, so after a crash the
 * journaled decision replays instead of a new draw. `maxIterations` caps every run.
 */
import type { Agent } from "./agent.ts";

export const DEMO_OUTPUT_CONTINUE = "Do another iteration";
export const DEMO_OUTPUT_DONE = "Done";

export interface DemoAgentOptions {
  readonly iterationMs: number;
  readonly doneProbability: number;
  readonly maxIterations: number;
}

export function createDemoAgent(options: DemoAgentOptions): Agent {
  return {
    name: "demo",
    async step(ctx) {
      // A zero-length sleep would still cost a timer round trip; skip it.
      if (options.iterationMs > 0) await ctx.sleep(options.iterationMs);
      if (ctx.iteration >= options.maxIterations) return { output: DEMO_OUTPUT_DONE, done: true };
      const output = await ctx.step("LLM call", () =>
        Math.random() < options.doneProbability ? DEMO_OUTPUT_DONE : DEMO_OUTPUT_CONTINUE,
      );
      return { output, done: output === DEMO_OUTPUT_DONE };
    },
  };
}
