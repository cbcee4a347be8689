import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentStepContext } from "../../../src/agent/agent.ts";
import { createDemoAgent } from "../../../src/agent/demo-agent.ts";

/** A step context that runs steps inline and records what the agent asked for. */
function recordingContext(iteration: number) {
  const calls: string[] = [];
  const ctx: AgentStepContext = {
    sessionKey: "ellie",
    origin: null,
    runId: "r1",
    iteration,
    async step(name, action) {
      calls.push(`step:${name}`);
      return action(new AbortController().signal);
    },
    async sleep(ms) {
      calls.push(`sleep:${ms}`);
    },
    log() {},
    showStreamed() {},
    watched: false,
    // The demo agent journals only through `step` and `sleep`; it never touches the Restate context.
    restate: null as never,
    async askApproval() {
      throw new Error("the plain demo agent asks for no approval");
    },
    registerEffect() {},
    effectEnded() {},
  };
  return { ctx, calls };
}

test("each iteration sleeps, then draws inside one step whether it is done", async () => {
  const agent = createDemoAgent({ iterationMs: 3000, doneProbability: 0, maxIterations: 10 });
  const { ctx, calls } = recordingContext(1);
  assert.deepEqual(await agent.step(ctx, []), { output: "Do another iteration", done: false });
  assert.deepEqual(calls, ["sleep:3000", "step:LLM call"]);

  const certain = createDemoAgent({ iterationMs: 3000, doneProbability: 1, maxIterations: 10 });
  assert.deepEqual(await certain.step(recordingContext(1).ctx, []), { output: "Done", done: true });
});

test("the iteration cap ends every run, and a zero iteration time skips the sleep", async () => {
  const agent = createDemoAgent({ iterationMs: 0, doneProbability: 0, maxIterations: 3 });
  const { ctx, calls } = recordingContext(3);
  assert.deepEqual(await agent.step(ctx, []), { output: "Done", done: true });
  assert.deepEqual(calls, []);
});
