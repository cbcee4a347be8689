/**
 * The LLM agent's settings as docs/llm-agent.md and docs/settings.md describe them, in a Slack thread:
 * `LLM_MAX_STEPS` bounds a run's model steps (the last one must answer without tools), streamed or not, and
 * `LLM_STREAM=false` posts each answer once, when it is done, without a live message or updates. The
 * product runs as `node src/main.ts` against the Slack emulator and the fake model server, which counts
 * every call.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type ChatRequest, textOf } from "../helpers/fake-llm.ts";
import { contextOf, type LlmProduct, markdownOf, startLlmProduct, tasksOf } from "../helpers/llm-product.ts";
import { waitFor } from "../helpers/wait.ts";

const CHANNEL = "C0GENERAL";
const ALICE = "U0ALICE01";
const MAX_STEPS = 2;

let product: LlmProduct;

const toolChoiceOf = (request: ChatRequest | undefined) =>
  (request as { tool_choice?: unknown } | undefined)?.tool_choice;

async function reaction(ts: string): Promise<string> {
  return waitFor(
    () => {
      const names = product.emulator.botReactions(CHANNEL, ts);
      return names.length === 1 && names[0] !== "eyes" ? names[0] : undefined;
    },
    { what: `the final fate reaction on ${ts}` },
  );
}

async function maxStepsBoundTheRun(): Promise<void> {
  // A model that asks for a tool at every step, even when told to answer without one.
  product.fake.reply = (_request, call) => ({
    text: `Let me check the time again (${call + 1}).`,
    toolCalls: [{ name: "current_time", args: {} }],
  });
  const root = await product.mention(CHANNEL, ALICE, "what time is it, exactly?");
  assert.equal(await reaction(root), "white_check_mark", "the run ends as done at the limit");
  const key = product.sessionKey(CHANNEL, root);
  const status = (await (
    await fetch(`${product.main.ingressUrl}/ChatService/${encodeURIComponent(key)}/get_status`, {
      method: "POST",
    })
  ).json()) as { activeRun: unknown };
  assert.equal(status.activeRun, null);
  assert.equal(product.fake.calls.length, MAX_STEPS, `${MAX_STEPS} model steps, no more`);
  assert.equal(toolChoiceOf(product.fake.calls[0]?.request), "auto", "the first step may use tools");
  assert.equal(
    toolChoiceOf(product.fake.calls.at(-1)?.request),
    "none",
    "the last step must answer without tools",
  );
  const lastAnswer = await waitFor(
    () =>
      product
        .botReplies(CHANNEL, root)
        .find((m) => markdownOf(m) === `Let me check the time again (${MAX_STEPS}).`),
    { what: "the last step's text as the answer" },
  );
  assert.deepEqual(tasksOf(lastAnswer), [], "no tool ran at the last step");
  assert.equal(product.botReplies(CHANNEL, root).length, MAX_STEPS, "one message per step");
}

describe("LLM_MAX_STEPS=2, answers streamed", () => {
  before(async () => {
    product = await startLlmProduct({ LLM_MAX_STEPS: String(MAX_STEPS) });
  });
  after(() => product?.close());

  test("a model that keeps asking for tools gets no further step, and the last step offers none", async () => {
    await maxStepsBoundTheRun();
    assert.ok(product.fake.calls.every((call) => call.request.stream === true));
  });
});

describe("LLM_MAX_STEPS=2 and LLM_STREAM=false", () => {
  before(async () => {
    product = await startLlmProduct({ LLM_MAX_STEPS: String(MAX_STEPS), LLM_STREAM: "false" });
  });
  after(() => product?.close());
  beforeEach(() => product.fake.reset());

  test("a model that keeps asking for tools gets no further step, and the last step offers none", async () => {
    await maxStepsBoundTheRun();
    assert.ok(product.fake.calls.every((call) => call.request.stream !== true));
  });

  test("LLM_STREAM=false: in a thread the answer is posted once when it is done, with no live message and no updates", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    product.fake.reply = (request) => ({ text: `Answer to: ${textOf(request.messages.at(-1))}`, hold: held });
    const root = await product.mention(CHANNEL, ALICE, "answer when you are done");
    await product.fake.waitForCalls(1);
    assert.notEqual(product.fake.calls[0]?.request.stream, true, "the model is asked without streaming");
    release();
    const answer = await waitFor(
      () =>
        product
          .botReplies(CHANNEL, root)
          .find((m) => markdownOf(m) === "Answer to: answer when you are done"),
      { what: "the answer in the thread" },
    );
    assert.equal(await reaction(root), "white_check_mark");
    assert.equal(product.botReplies(CHANNEL, root).length, 1, "one message: the answer");
    const posts = product.emulator
      .callsTo("chat.postMessage")
      .filter((call) => call.args.channel === CHANNEL && call.args.thread_ts === root);
    assert.equal(posts.length, 1, "posted once, when done: no 'Thinking…' message before it");
    const updates = product.emulator
      .callsTo("chat.update")
      .filter((call) => call.args.channel === CHANNEL && call.args.ts === answer.ts);
    assert.deepEqual(updates, [], "no live updates");
    assert.deepEqual(contextOf(answer), []);
  });
});
