/**
 * A test agent behind the real Agent interface. Each iteration is one durable step that asks the step
 * sink what to do (and so is counted outside the process); the sink may hold the step as long as a test
 * needs, ask for a durable sleep afterwards, or make the run fail.
 */
import { TerminalError } from "@restatedev/restate-sdk";
import type { Agent } from "../../src/agent/agent.ts";
import type { StepReply } from "./step-sink.ts";

export function createScriptedAgent(sinkUrl: string): Agent {
  return {
    name: "scripted",
    async step(ctx, history) {
      const reply = await ctx.step(`step ${ctx.iteration}`, async () => {
        const response = await fetch(`${sinkUrl}/step`, {
          method: "POST",
          body: JSON.stringify({
            sessionKey: ctx.sessionKey,
            runId: ctx.runId,
            iteration: ctx.iteration,
            history,
          }),
        });
        if (!response.ok) throw new Error(`the step sink answered ${response.status}`);
        const answer = (await response.json()) as StepReply;
        if (answer.fail) throw new TerminalError(answer.fail);
        return answer;
      });
      if (reply.sleepMs) await ctx.sleep(reply.sleepMs);
      return { output: reply.output, done: reply.done };
    },
  };
}
