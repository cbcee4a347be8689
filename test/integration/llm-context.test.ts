/**
 * The context window (docs/llm-agent.md, "What the model sees"): `node src/main.ts` with a small
 * `LLM_CONTEXT_TOKENS`, against the Slack emulator and a fake model that refuses, as OpenAI's API does, a
 * request past its context window. A long thread is compacted in a durable step (a kill during it asks the
 * model again only for that step), a tool call is never parted from its result, a huge tool result is cut
 * with a note, and a new message during a compaction interrupts it like any step.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { SUMMARY_PROMPT_START } from "../../src/agent/llm-agent.ts";
import { type ChatRequest, type Reply, textOf } from "../helpers/fake-llm.ts";
import { type LlmProduct, markdownOf, startLlmProduct } from "../helpers/llm-product.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
/** Our window, and the fake model's (in its own tokens, which count fewer than our estimate). */
const SETTINGS = { LLM_CONTEXT_TOKENS: "6000", MODE: "INTERRUPT" };
const MODEL_LIMIT = 6000;

let product: LlmProduct;
before(async () => {
  product = await startLlmProduct(SETTINGS);
});
after(() => product?.close());
beforeEach(() => {
  product.fake.reset();
  product.fake.contextLimit = MODEL_LIMIT;
  product.fake.reply = conversation;
});

const FILLER =
  "the quarterly plan covers hiring budgets travel offsites and the roadmap for the platform team".split(" ");
/** A message of about `count` words, numbered. */
const message = (n: number, count = 300, lead = "") =>
  `${lead}Message ${n}. ${Array.from({ length: count }, (_, i) => FILLER[(i + n) % FILLER.length]).join(" ")}`;

const isSummary = (request: ChatRequest) => textOf(request.messages[0]).startsWith(SUMMARY_PROMPT_START);
const lastUser = (request: ChatRequest) => textOf(request.messages.filter((m) => m.role === "user").at(-1));

/** The fake's summary keeps the sentences that start with "Remember:" (a real model keeps more, or less). */
function summaryOf(request: ChatRequest): string {
  const facts = new Set(lastUser(request).match(/Remember: [^.]*\./g) ?? []);
  return `Earlier, people discussed the quarterly plan. ${[...facts].join(" ")}`;
}

function conversation(request: ChatRequest): Reply {
  if (isSummary(request)) return { text: summaryOf(request) };
  return { text: `Noted: ${lastUser(request).slice(0, 30)}` };
}

const summaries = () => product.fake.calls.filter((c) => isSummary(c.request));
const answers = () => product.fake.calls.filter((c) => !isSummary(c.request));

/** Waits for the message's final fate and returns it. */
function fateOf(channel: string, ts: string, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    () => {
      const names = product.emulator.botReactions(channel, ts);
      return names.length === 1 && !["eyes", "hourglass_flowing_sand", "raised_hand"].includes(names[0] ?? "")
        ? names[0]
        : undefined;
    },
    { what: `the final fate of ${ts}`, timeoutMs },
  );
}

/**
 * Writes messages into the thread, each after the last was answered, until `until()` holds (it may hold
 * while a message waits: that message is left as it is). Returns the next message's number.
 */
async function talkUntil(
  channel: string,
  root: string,
  from: number,
  until: () => boolean,
  { max = 30, words = 300 } = {},
) {
  for (let n = from; n < from + max; n += 1) {
    const ts = await product.reply(channel, ALICE, root, message(n, words));
    const done = await waitFor(
      () =>
        until()
          ? "until"
          : product.emulator.botReactions(channel, ts).includes("white_check_mark")
            ? "answered"
            : undefined,
      { what: `message ${n} answered`, timeoutMs: 60_000 },
    );
    if (done === "until") return n + 1;
  }
  throw new Error(`still not there after ${max} messages`);
}

function gate() {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

test("a compaction is one durable step: killed during it, the model is asked again only for it, and it is kept", async () => {
  const channel = product.emulator.newChannel([ALICE]);
  const held = gate();
  product.fake.reply = (request) =>
    isSummary(request) ? { ...conversation(request), hold: held.promise } : conversation(request);
  const root = await product.mention(channel, ALICE, message(0, 300, "Remember: the launch code is 7-4-1. "));
  assert.equal(await fateOf(channel, root), "white_check_mark");
  await talkUntil(channel, root, 1, () => summaries().length > 0);
  await product.crash(held.release);

  await waitFor(() => summaries().length >= 2 || undefined, {
    what: "the summary asked for again",
    timeoutMs: 60_000,
  });
  const pending = product.emulator
    .thread(channel, root)
    .filter((m) => !m.botId)
    .at(-1);
  assert.equal(await fateOf(channel, pending?.ts ?? ""), "white_check_mark", "the message was answered");
  assert.equal(summaries().length, 2, "asked once, and once more for the step the kill cut");
  assert.ok(summaries().every((c) => c.status === 200));

  const before = summaries().length;
  const next = await product.reply(channel, ALICE, root, message(99, 50));
  assert.equal(await fateOf(channel, next), "white_check_mark");
  assert.equal(summaries().length, before, "the next message builds on the kept summary: no new one");
  const last = answers().at(-1)?.request as ChatRequest;
  assert.match(textOf(last.messages[0]), /launch code is 7-4-1/, "the summary reaches the model");
  assert.doesNotMatch(
    JSON.stringify(last.messages.slice(1)),
    /Message 0\./,
    "the first message itself is gone",
  );
  const answered = () =>
    product.botReplies(channel, root).filter((m) => markdownOf(m).startsWith("Noted: Message 99"));
  await waitFor(() => answered().length > 0 || undefined, { what: "the answer posted" });
  assert.equal(answered().length, 1, "answered once");
  assert.ok(
    product.fake.calls.every((c) => c.status !== 400),
    "no request past the model's window",
  );
});

test("a summary journaled before a kill is replayed: the model is not asked for it again", async () => {
  const channel = product.emulator.newChannel([ALICE]);
  const held = gate();
  let heldCall = -1;
  product.fake.reply = (request, call) => {
    if (isSummary(request)) return conversation(request);
    // The answer asked right after the first summary waits: the kill comes while it does.
    if (heldCall < 0 && summaries().length > 0) heldCall = call;
    return call === heldCall ? { ...conversation(request), hold: held.promise } : conversation(request);
  };
  const root = await product.mention(channel, ALICE, message(0));
  assert.equal(await fateOf(channel, root), "white_check_mark");
  await talkUntil(channel, root, 1, () => heldCall >= 0);
  assert.equal(summaries().length, 1);
  await product.crash(held.release);
  const pending = product.emulator
    .thread(channel, root)
    .filter((m) => !m.botId)
    .at(-1);
  assert.equal(await fateOf(channel, pending?.ts ?? ""), "white_check_mark", "the message was answered");
  assert.equal(summaries().length, 1, "the summary was replayed from the journal, not asked again");
  assert.ok(answers().length >= 2 && answers().at(-1)?.status === 200);
});

test("a compaction never parts a tool call from its result: what is kept starts at a person's message", async () => {
  const channel = product.emulator.newChannel([ALICE]);
  // Turns of several calls, with answers of varied length, so that compactions meet every kind of item.
  product.fake.reply = (request) => {
    if (isSummary(request)) return conversation(request);
    const sinceUser = request.messages.length - 1 - request.messages.findLastIndex((m) => m.role === "user");
    const n = Number(/Message (\d+)\./.exec(lastUser(request))?.[1] ?? 0);
    return sinceUser < 4
      ? { text: `Step ${sinceUser}.`, toolCalls: [{ name: "current_time", args: { timeZone: "UTC" } }] }
      : { text: `It is late. ${message(n, 20 + ((n * 53) % 200))}` };
  };
  const root = await product.mention(channel, ALICE, message(0, 40));
  assert.equal(await fateOf(channel, root), "white_check_mark");
  await talkUntil(channel, root, 1, () => summaries().length >= 4, { words: 40, max: 40 });
  const requests = answers().map((c) => c.request);
  assert.ok(requests.length > 10);
  for (const request of requests) {
    request.messages.forEach((m, i) => {
      const previous = request.messages[i - 1];
      if (m.role === "tool")
        assert.ok(
          previous?.tool_calls?.some((call) => call.id === m.tool_call_id) ||
            (previous?.role === "tool" &&
              request.messages[i - 2]?.tool_calls?.some((c) => c.id === m.tool_call_id)),
          "a tool result follows its call",
        );
      if (m.tool_calls?.length)
        assert.equal(request.messages[i + 1]?.role, "tool", "a call is followed by its result");
    });
    assert.equal(request.messages[1]?.role, "user", "what follows the system prompt starts a person's turn");
  }
  assert.ok(product.fake.calls.every((c) => c.status !== 400));
});

test("an oversized tool result (a long thread read) is cut, with a note to the model that it was", async () => {
  const channel = product.emulator.newChannel([ALICE]);
  const root = await product.emulator.userPosts({ user: ALICE, channel, text: message(0, 200) });
  for (let n = 1; n <= 12; n += 1)
    await product.emulator.userPosts({
      user: ALICE,
      channel,
      threadTs: root.message.ts,
      text: message(n, 200),
    });
  product.fake.reply = (request) =>
    request.messages.at(-1)?.role === "user"
      ? { toolCalls: [{ name: "read_thread", args: {} }] }
      : { text: "I read it all." };
  const ask = await product.reply(channel, ALICE, root.message.ts, "<@U0AGENT01> summarise this thread");
  assert.equal(await fateOf(channel, ask), "white_check_mark");
  const afterTool = answers().at(-1)?.request as ChatRequest;
  const result = textOf(afterTool.messages.find((m) => m.role === "tool"));
  assert.match(result, /\[Cut: this tool result was about \d+ tokens; only its first \d+ are shown\.\]/);
  assert.ok(result.length < 4000, `the result the model got: ${result.length} characters`);
  assert.ok(product.fake.calls.every((c) => c.status !== 400));
});

test("INTERRUPT during a compaction: the summary call is aborted, and the new run compacts and answers", async () => {
  const channel = product.emulator.newChannel([ALICE]);
  const never = new Promise<void>(() => {});
  let holding = false;
  product.fake.reply = (request) =>
    isSummary(request) && holding ? { ...conversation(request), hold: never } : conversation(request);
  const root = await product.mention(channel, ALICE, message(0, 300, "Remember: the room is 4B. "));
  assert.equal(await fateOf(channel, root), "white_check_mark");
  holding = true;
  const interrupted = await talkUntil(channel, root, 1, () => summaries().length > 0);
  holding = false;
  const ts = await product.reply(channel, ALICE, root, message(interrupted, 50));
  assert.equal(await fateOf(channel, ts), "white_check_mark");
  const [cut, again] = summaries();
  await waitFor(() => cut?.aborted || undefined, { what: "the held summary call aborted" });
  assert.ok(again && again.status === 200, "the new run summarised again");
  assert.match(textOf(answers().at(-1)?.request.messages[0]), /the room is 4B/);
  assert.ok(product.fake.calls.every((c) => c.status !== 400));
});
