/**
 * A long conversation keeps working (docs/llm-agent.md, "What the model sees"): a Slack thread of 200
 * messages of about 300 words each, against a fake model that refuses, as OpenAI's API does, any request
 * past its context window. Every message gets an answer, none gets :x:, no request the model saw was past
 * its window, and a fact from the first message is still in what the model is given at the end. (That
 * proves the summary is forwarded, compaction after compaction; whether a real model keeps a fact in its
 * summary is the model's doing, not ours.) About three minutes: `npm run test:long`, not in `npm test`.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SUMMARY_PROMPT_START } from "../../src/agent/llm-agent.ts";
import { type ChatRequest, textOf } from "../helpers/fake-llm.ts";
import { type LlmProduct, markdownOf, startLlmProduct } from "../helpers/llm-product.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const MESSAGES = 200;
const WINDOW = 8000;

let product: LlmProduct;
before(async () => {
  product = await startLlmProduct({ LLM_CONTEXT_TOKENS: String(WINDOW) });
  product.fake.contextLimit = WINDOW;
  product.fake.reply = (request) =>
    isSummary(request) ? { text: summaryOf(request) } : { text: `Answer ${numberOf(lastUser(request))}.` };
});
after(() => product?.close());

const WORDS =
  "the team reviewed the plan for the launch and asked about budgets hiring travel and the roadmap".split(
    " ",
  );
const message = (n: number) =>
  `Message ${n}. ${n === 1 ? "Remember: the launch code is 7-4-1. " : ""}${Array.from(
    { length: 300 },
    (_, i) => WORDS[(i * 3 + n) % WORDS.length],
  ).join(" ")}`;

const isSummary = (request: ChatRequest) => textOf(request.messages[0]).startsWith(SUMMARY_PROMPT_START);
const lastUser = (request: ChatRequest) => textOf(request.messages.filter((m) => m.role === "user").at(-1));
const numberOf = (text: string) => /Message (\d+)\./.exec(text)?.[1] ?? "?";
/** The fake keeps the sentences that start with "Remember:" from what it is asked to summarise. */
const summaryOf = (request: ChatRequest) =>
  `People discussed the launch plan at length. ${[...new Set(lastUser(request).match(/Remember: [^.]*\./g) ?? [])].join(" ")}`;

test(`a thread of ${MESSAGES} messages of about 300 words: every one answered, the model's window never exceeded`, async () => {
  const channel = product.emulator.newChannel([ALICE]);
  const root = await product.mention(channel, ALICE, message(1));
  const sent = [root];
  const answered = async (ts: string, n: number) => {
    const fate = await waitFor(
      () => product.emulator.botReactions(channel, ts).find((r) => r === "white_check_mark" || r === "x"),
      { what: `the fate of message ${n}`, timeoutMs: 60_000 },
    );
    assert.equal(fate, "white_check_mark", `message ${n} answered`);
  };
  await answered(root, 1);
  for (let n = 2; n <= MESSAGES; n += 1) {
    const ts = await product.reply(channel, ALICE, root, message(n));
    sent.push(ts);
    await answered(ts, n);
  }
  await waitFor(
    () => product.botReplies(channel, root).some((m) => markdownOf(m) === `Answer ${MESSAGES}.`) || undefined,
    { what: "the last answer posted" },
  );

  const { calls } = product.fake;
  const answers = calls.filter((c) => !isSummary(c.request));
  const summaries = calls.length - answers.length;
  const largest = Math.max(...calls.map((c) => c.tokens));
  process.stdout.write(
    `long conversation: ${MESSAGES} messages, ${answers.length} answers asked, ${summaries} summaries, largest request ${largest} of ${WINDOW} tokens (the fake's count)\n`,
  );
  assert.deepEqual(
    calls.filter((c) => c.status !== 200).map((c) => `${c.status} at ${c.tokens} tokens`),
    [],
    "no request refused",
  );
  assert.ok(largest <= WINDOW);
  assert.ok(summaries >= 5, "compacted again and again");
  for (const n of [1, 100, MESSAGES])
    assert.ok(
      product.botReplies(channel, root).filter((m) => markdownOf(m) === `Answer ${n}.`).length === 1,
      `answer ${n} posted once`,
    );
  assert.equal(
    sent.filter((ts) => product.emulator.botReactions(channel, ts).includes("x")).length,
    0,
    "no :x: anywhere",
  );
  // What each call was given after the summary: the newest messages, none missing, none twice, in order.
  for (const call of answers) {
    const numbers = call.request.messages
      .filter((m) => m.role === "user")
      .map((m) => Number(numberOf(textOf(m))));
    const expected = numbers.map((_, i) => (numbers.at(-1) ?? 0) - numbers.length + 1 + i);
    assert.deepEqual(numbers, expected, "the messages given are the newest, contiguous");
  }
  assert.deepEqual(
    answers.map((c) => Number(numberOf(lastUser(c.request)))),
    Array.from({ length: MESSAGES }, (_, i) => i + 1),
    "each message asked about once, in order",
  );
  const last = answers.at(-1)?.request as ChatRequest;
  assert.match(
    textOf(last.messages[0]),
    /the launch code is 7-4-1/,
    "the first message's fact is still given",
  );
  assert.doesNotMatch(
    JSON.stringify(last.messages.slice(1)),
    /Message 1\./,
    "though the message itself is not",
  );
});
