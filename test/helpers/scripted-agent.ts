/**
 * A test agent behind the real Agent interface. Each iteration is one durable step that asks the step
 * sink what to do (and so is counted outside the process); the sink may hold the step as long as a test
 * needs, ask for a durable sleep afterwards, make the run fail, or have it call one of the product's
 * tools (through the product's own recipe, approval and undo included).
 */
import { TerminalError } from "@restatedev/restate-sdk";
import type { Agent } from "../../src/agent/agent.ts";
import { callTool } from "../../src/agent/tool-calls.ts";
import type { AgentTool } from "../../src/agent/tools.ts";
import type { StepReply } from "./step-sink.ts";

export function createScriptedAgent(sinkUrl: string, tools: readonly AgentTool[] = []): Agent {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    name: "scripted",
    tools,
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
      if (reply.tool) {
        const result = await callTool(ctx, byName, {
          toolCallId: `call-${ctx.runId.slice(0, 8)}-${ctx.iteration}`,
          toolName: reply.tool.name,
          input: reply.tool.input,
        });
        const said = result.type === "json" ? JSON.stringify(result.value) : result.value;
        return { output: reply.output, done: reply.done, notes: [`${reply.tool.name}: ${said}`] };
      }
      return { output: reply.output, done: reply.done };
    },
  };
}
