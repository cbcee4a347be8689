/**
 * The demo agent: each iteration waits (a durable sleep), then one durable step
 * decides whether the work is done. The random draw happens inside the step, so after a crash the
 * journaled decision replays instead of a new draw. `maxIterations` caps every run.
 *
 * With `DEMO_APPROVAL=true` and a tool to post with, a run in a channel's thread asks, in its last
 * iteration, to post its result into that channel (`post_to_channel`, which needs approval), so the
 * playground shows approvals without a model. Sessions started with curl (and DMs) are unaffected.
 */
import type { Agent } from "./agent.ts";
import { type ContextWindow, transcriptOf } from "./context-window.ts";
import { callTool } from "./tool-calls.ts";
import type { AgentTool } from "./tools.ts";

export const DEMO_OUTPUT_CONTINUE = "Do another iteration";
export const DEMO_OUTPUT_DONE = "Done";

export interface DemoAgentOptions {
  readonly iterationMs: number;
  readonly doneProbability: number;
  readonly maxIterations: number;
  /** Ask to post each Slack run's result with `postTool` (DEMO_APPROVAL). */
  readonly approval?: boolean;
  readonly postTool?: AgentTool;
  /** `LLM_CONTEXT_TOKENS`: its history is compacted within it too, without a model. */
  readonly contextTokens?: number;
}

/**
 * The demo's compaction: no model, so its "summary" counts what it replaced and keeps the gist of the
 * first message, within a durable step like a real one.
 */
function demoContextWindow(limitTokens: number): ContextWindow {
  return {
    limitTokens,
    summarize: (ctx, name, previous, items) =>
      ctx.step(name, () => {
        const earlier = Number(/^(\d+) earlier/.exec(previous ?? "")?.[1] ?? 0);
        const first = previous
          ? (previous.split("\n")[1] ?? "")
          : transcriptOf(items.slice(0, 1)).slice(0, 200);
        return `${earlier + items.length} earlier history items, compacted. The first:\n${first}`;
      }),
  };
}

export function createDemoAgent(options: DemoAgentOptions): Agent {
  const { postTool } = options;
  const tools = new Map(postTool ? [[postTool.name, postTool]] : []);
  return {
    name: "demo",
    ...(postTool ? { tools: [postTool] } : {}),
    ...(options.contextTokens ? { contextWindow: demoContextWindow(options.contextTokens) } : {}),
    async step(ctx) {
      // A zero-length sleep would still cost a timer round trip; skip it.
      if (options.iterationMs > 0) await ctx.sleep(options.iterationMs);
      const output =
        ctx.iteration >= options.maxIterations
          ? DEMO_OUTPUT_DONE
          : await ctx.step("LLM call", () =>
              Math.random() < options.doneProbability ? DEMO_OUTPUT_DONE : DEMO_OUTPUT_CONTINUE,
            );
      const done = output === DEMO_OUTPUT_DONE;
      // A direct message is no channel to post into: the demo asks only in channels' threads.
      const inChannel = ctx.origin && !ctx.origin.channel.startsWith("D");
      if (!done || !options.approval || !postTool || !ctx.origin || !inChannel) return { output, done };
      const posted = await callTool(ctx, tools, {
        toolCallId: `demo-${ctx.runId}-${ctx.iteration}`,
        toolName: postTool.name,
        input: {
          channel: ctx.origin.channel,
          text: `The demo agent finished a run (${ctx.runId.slice(0, 8)}) in a thread of this channel.`,
        },
      });
      const note =
        posted.type === "json"
          ? "Posted the result at the top of this channel."
          : `Not posted. ${posted.value}`;
      return { output, done, notes: [note] };
    },
  };
}
