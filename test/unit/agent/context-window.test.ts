import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentStepContext, HistoryItem } from "../../../src/agent/agent.ts";
import {
  boundItem,
  boundText,
  boundToolOutput,
  type ContextWindow,
  estimateTokens,
  fitToWindow,
  itemsTokens,
  itemTokens,
  splitPoint,
} from "../../../src/agent/context-window.ts";

const words = (n: number, word = "word") => Array.from({ length: n }, () => word).join(" ");
const user = (content: string): HistoryItem => ({ role: "user", content });
const answer = (content: string): HistoryItem => ({ role: "assistant", content });
const callOf = (id: string): HistoryItem => ({
  role: "assistant",
  content: [{ type: "tool-call", toolCallId: id, toolName: "read_thread", input: {} }],
});
const resultOf = (id: string, value: unknown): HistoryItem => ({
  role: "tool",
  content: [
    { type: "tool-result", toolCallId: id, toolName: "read_thread", output: { type: "json", value } },
  ],
});

/** A step context that runs steps inline and counts the summaries asked for. */
function summarising(limitTokens: number) {
  const steps: string[] = [];
  const ctx = {
    async step(name: string, action: (signal: AbortSignal) => unknown) {
      steps.push(name);
      return action(new AbortController().signal);
    },
  } as unknown as AgentStepContext;
  const window: ContextWindow = {
    limitTokens,
    summarize: (stepCtx, name, previous, items) =>
      stepCtx.step(name, () => `${previous ?? ""}[${items.length} items]`),
  };
  return { ctx, window, steps };
}

test("tokens are estimated at one per 3 bytes of UTF-8, erring high for English and right for CJK", () => {
  assert.equal(estimateTokens("abcdef"), 2);
  assert.equal(estimateTokens("日本語"), 3);
});

test("a long text is cut within its bound, with a note saying how long it was", () => {
  const text = words(3000);
  const cut = boundText(text, 500, "message");
  assert.ok(estimateTokens(cut) <= 500, `${estimateTokens(cut)} tokens`);
  assert.match(cut, /\[Cut: this message was about 5000 tokens; only its first 500 are shown\.\]$/);
  assert.equal(boundText("short", 500, "message"), "short", "a short text is left as it is");
  assert.doesNotMatch(boundText("é".repeat(2000), 100, "message"), /\uFFFD/, "never half a character");
});

test("an oversized tool result becomes its cut text, and an error stays an error", () => {
  const long = { type: "json" as const, value: { messages: [words(5000)] } };
  const cut = boundToolOutput(long, 400);
  assert.equal(cut.type, "text");
  assert.ok(estimateTokens(String(cut.value)) <= 400);
  assert.match(String(cut.value), /Cut: this tool result was about \d+ tokens/);
  assert.equal(boundToolOutput({ type: "error-text", value: words(5000) }, 400).type, "error-text");
  assert.deepEqual(boundToolOutput({ type: "json", value: { ok: 1 } }, 400), {
    type: "json",
    value: { ok: 1 },
  });
});

test("an item of parts keeps its tool call whole and cuts its long result", () => {
  const bounded = boundItem(resultOf("c1", words(5000)), 300);
  const part = (bounded.content as { output: { type: string; value: string } }[])[0];
  assert.equal(part?.output.type, "text");
  assert.ok(estimateTokens(part?.output.value ?? "") <= 300);
});

test("a split falls at a person's message: never between a tool call and its result", () => {
  const items = [
    user(words(100)),
    callOf("a"),
    resultOf("a", words(300)),
    answer(words(50)),
    callOf("b"),
    resultOf("b", words(300)),
    answer(words(20)),
  ];
  for (let keep = 1; keep < itemsTokens(items); keep += 7) {
    const split = splitPoint(items, keep);
    assert.ok(split === null || items[split]?.role === "user", `keep ${keep}: split at ${split}`);
  }
  const turns = [...items, user(words(10)), callOf("c"), resultOf("c", words(10)), answer("ok")];
  assert.equal(splitPoint(turns, 50), 7, "the newest turn starts at its person's message");
});

test("the newest turn is always kept, even when it alone exceeds what may stay", () => {
  const items = [user(words(10)), answer(words(10)), user(words(10)), callOf("a"), resultOf("a", words(900))];
  assert.equal(splitPoint(items, 10), 2, "the question, its call and its result stay together");
  assert.equal(splitPoint([user(words(10)), callOf("a"), resultOf("a", words(900))], 10), null);
});

test("one turn's tool loop longer than the window keeps its question and cuts its results harder", async () => {
  const { ctx, window, steps } = summarising(2000);
  const loop = [
    user("the question"),
    ...Array.from({ length: 6 }, (_, i) => [callOf(`c${i}`), resultOf(`c${i}`, words(400))]).flat(),
  ];
  const fitted = await fitToWindow(ctx, window, { summary: null, items: loop }, 1);
  assert.deepEqual(steps, [], "nothing to summarise: it is all one turn");
  assert.equal(fitted.items[0]?.content, "the question");
  assert.deepEqual(
    fitted.items.map((i) => i.role),
    loop.map((i) => i.role),
  );
  assert.ok(itemsTokens(fitted.items) <= 2000, `${itemsTokens(fitted.items)} tokens`);
});

test("an item's bound is hard: many parts, huge call arguments, a bound smaller than the note", () => {
  const many: HistoryItem = {
    role: "assistant",
    content: Array.from({ length: 200 }, () => ({ type: "text", text: words(50) })),
  };
  assert.ok(itemTokens(boundItem(many, 1000)) <= 1000);
  const call: HistoryItem = {
    role: "assistant",
    content: [{ type: "tool-call", toolCallId: "c", toolName: "t", input: { blob: words(100_000) } }],
  };
  const boundCall = boundItem(call, 500);
  assert.ok(itemTokens(boundCall) <= 500);
  assert.equal(
    (boundCall.content as { toolCallId: string }[])[0]?.toolCallId,
    "c",
    "the call stays, to pair with its result",
  );
  assert.ok(estimateTokens(boundText(words(1000), 5, "message")) <= 5);
});

test("within the window nothing is summarised; beyond it the oldest turns are, once, and the newest stay", async () => {
  const { ctx, window, steps } = summarising(2000);
  const short = await fitToWindow(ctx, window, { summary: null, items: [user("hi"), answer("hello")] }, 1);
  assert.equal(short.compaction, null);
  assert.deepEqual(steps, []);

  const turns = Array.from({ length: 22 }, (_, i) => [user(`${i} ${words(50)}`), answer(words(5))]).flat();
  const fitted = await fitToWindow(ctx, window, { summary: "Earlier.", items: turns }, 3);
  assert.deepEqual(steps, ["compact history 3"], "one durable step, named by the compaction");
  assert.ok(fitted.compaction && fitted.compaction.dropped > 0);
  assert.equal(fitted.summary, `Earlier.[${fitted.compaction.dropped} items]`, "built on the summary before");
  assert.deepEqual(fitted.items, turns.slice(fitted.compaction.dropped), "the newest turns stay verbatim");
  assert.equal(fitted.items[0]?.role, "user", "the kept part starts at a turn");
  assert.ok(itemsTokens(fitted.items) <= 1000, "what stays is at most half the window");
});

test("a history far larger than the window is summarised in pieces, each one step", async () => {
  const { ctx, window, steps } = summarising(2000);
  const turns = Array.from({ length: 200 }, () => [user(words(150)), answer(words(50))]).flat();
  const fitted = await fitToWindow(ctx, window, { summary: null, items: turns }, 1);
  assert.ok(steps.length > 1);
  assert.deepEqual(
    steps,
    steps.map((_, i) => `compact history 1.${i + 1}`),
  );
  assert.ok(itemsTokens(fitted.items) + estimateTokens(fitted.summary ?? "") <= 2000);
});
