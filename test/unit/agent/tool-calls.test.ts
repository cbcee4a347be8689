import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import type { AgentStepContext } from "../../../src/agent/agent.ts";
import { callTool } from "../../../src/agent/tool-calls.ts";
import { defineTool } from "../../../src/agent/tools.ts";
import type { ApprovalDecision } from "../../../src/restate/approvals.ts";

/** A step context that runs steps inline and records, in order, what the recipe did. */
function recording(decision: ApprovalDecision) {
  const calls: string[] = [];
  const ctx = {
    sessionKey: "T1:C1:1.2",
    origin: { team: "T1", channel: "C1", threadTs: "1.2" },
    runId: "r1",
    iteration: 1,
    async step(name: string, action: (signal: AbortSignal) => unknown) {
      calls.push(`step:${name}`);
      return action(new AbortController().signal);
    },
    async askApproval(request: { title: string; args: Record<string, string> }) {
      calls.push(`ask:${request.title}:${JSON.stringify(request.args)}`);
      return decision;
    },
    registerEffect: (effect: { id: string }) => calls.push(`register:${effect.id}`),
    effectEnded: (id: string, ended: object) => calls.push(`ended:${id}:${Object.keys(ended)[0]}`),
  } as unknown as AgentStepContext;
  return { ctx, calls };
}

const at = "2026-12-01T10:00:00.000Z";
const acting = (required: boolean | ((input: { n: number }) => boolean), ran: string[]) =>
  defineTool({
    name: "act",
    description: "acts",
    inputSchema: z.object({ n: z.number() }),
    approval: { required, describe: ({ n }) => `Act ${n} times` },
    execute: ({ n }, ctx) => {
      ran.push(`${ctx.callId} by ${ctx.approvedBy}${ctx.mayHaveRun ? " retry" : " first try"}`);
      return { n };
    },
    undo: async () => "undone" as const,
  });

test("an approved call asks first, registers its effect before it runs, runs once, records its result; its id is the run's", async () => {
  const ran: string[] = [];
  const { ctx, calls } = recording({ verdict: "approved", by: "U1", at, reason: null });
  const output = await callTool(ctx, new Map([["act", acting(true, ran)]]), {
    toolCallId: "c1",
    toolName: "act",
    input: { n: 2 },
  });
  assert.deepEqual(output, { type: "json", value: { n: 2 } });
  assert.deepEqual(calls, [
    'ask:Act 2 times:{"n":"2"}',
    "step:about to run act (r1:1:c1)",
    "register:r1:1:c1",
    "step:tool act (r1:1:c1)",
    "ended:r1:1:c1:result",
  ]);
  // The model's id is made unique by the run and iteration: traces of its effect carry this one.
  assert.deepEqual(ran, ["r1:1:c1 by U1 first try"]);
});

test("a denied call never runs and the model gets the reason", async () => {
  const ran: string[] = [];
  const { ctx, calls } = recording({ verdict: "denied", by: "U1", at, reason: "too risky" });
  const output = await callTool(ctx, new Map([["act", acting(true, ran)]]), {
    toolCallId: "c1",
    toolName: "act",
    input: { n: 2 },
  });
  assert.equal(output.type, "error-text");
  assert.match(String(output.value), /denied .*too risky/);
  assert.deepEqual(ran, []);
  assert.ok(!calls.some((c) => c.startsWith("register")), "nothing registered for a call that never ran");
});

test("a rule decided from the input is a durable step, and asks only when it says so", async () => {
  const ran: string[] = [];
  const { ctx, calls } = recording({ verdict: "denied", by: "U1", at, reason: null });
  const tools = new Map([["act", acting(({ n }) => n > 5, ran)]]);
  await callTool(ctx, tools, { toolCallId: "small", toolName: "act", input: { n: 1 } });
  assert.deepEqual(calls.slice(0, 3), [
    "step:approval rule act (r1:1:small)",
    "step:about to run act (r1:1:small)",
    "register:r1:1:small",
  ]);
  assert.deepEqual(ran, ["r1:1:small by null first try"]);
  await callTool(ctx, tools, { toolCallId: "big", toolName: "act", input: { n: 9 } });
  assert.ok(calls.includes('ask:Act 9 times:{"n":"9"}'));
  assert.deepEqual(ran, ["r1:1:small by null first try"], "the big one was denied");
});

test("an unknown tool or a bad input goes back to the model and runs nothing", async () => {
  const ran: string[] = [];
  const { ctx, calls } = recording({ verdict: "approved", by: "U1", at, reason: null });
  const tools = new Map([["act", acting(true, ran)]]);
  assert.match(
    String((await callTool(ctx, tools, { toolCallId: "x", toolName: "nope", input: {} })).value),
    /no tool named nope/,
  );
  assert.match(
    String((await callTool(ctx, tools, { toolCallId: "y", toolName: "act", input: { n: "two" } })).value),
    /Invalid input/,
  );
  assert.deepEqual(calls, []);
  assert.deepEqual(ran, []);
});

test("a step retried after its marker was journaled knows it may have acted, and since when", async () => {
  const ran: string[] = [];
  const { ctx } = recording({ verdict: "approved", by: "U1", at, reason: null });
  // A replayed marker: its closure does not run again, its journaled time comes back.
  const replaying = {
    ...ctx,
    step: async (name: string, action: (signal: AbortSignal) => unknown) =>
      name.startsWith("about to run") ? 1_700_000_000_000 : action(new AbortController().signal),
  } as AgentStepContext;
  await callTool(replaying, new Map([["act", acting(true, ran)]]), {
    toolCallId: "c1",
    toolName: "act",
    input: { n: 1 },
  });
  assert.deepEqual(ran, ["r1:1:c1 by U1 retry"]);
});
