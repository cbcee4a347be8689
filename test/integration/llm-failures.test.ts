/**
 * Model failures as docs/llm-agent.md ("Model errors are never silent") describes them: a 5xx, or a model
 * that stalls past the timeout, is retried by Restate and the answer arrives once (streamed into a Slack
 * thread, and unstreamed for a curl session); a step that keeps failing ends its run as failed after ten
 * attempts, with :x: on the message and a line in the thread that says what failed, and the queue moves on.
 * The LLM agent runs in this process (its stall timeout made short) against the Slack emulator, the fake
 * model server and a restate-server that retries quickly.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { AGENT_STEP_MAX_ATTEMPTS } from "../../src/services.ts";
import { textOf } from "../helpers/fake-llm.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { contextOf, markdownOf } from "../helpers/llm-product.ts";
import { type LlmStack, startLlmStack } from "../helpers/llm-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";

/**
 * Short enough for a test (the product waits 5 minutes for a first chunk, 2 between chunks, 15 in all): a
 * stream that pauses 1.5 s is given up; an unstreamed answer, which comes whole, only after 4 s in all.
 */
const TIMEOUTS = { LLM_FIRST_CHUNK_TIMEOUT: "1500ms", LLM_CHUNK_TIMEOUT: "1500ms", LLM_CALL_TIMEOUT: "4s" };

let product: LlmStack;
before(async () => {
  product = await startLlmStack({ env: TIMEOUTS });
});
after(() => product?.close());
beforeEach(() => product.fake.reset());

const newChannel = () => product.emulator.newChannel([ALICE]);

async function finalReaction(channel: string, ts: string): Promise<string> {
  return waitFor(
    () => {
      const names = product.emulator.botReactions(channel, ts);
      return names.length === 1 && names[0] !== "eyes" && names[0] !== "hourglass_flowing_sand"
        ? names[0]
        : undefined;
    },
    { what: `the final fate reaction on ${ts}`, timeoutMs: 60_000 },
  );
}

test("a 5xx from the model is retried, and the answer arrives once", async () => {
  const channel = newChannel();
  product.fake.reply = (_request, call) =>
    call === 0
      ? { status: 500, error: "The server had an error while processing your request." }
      : call === 1
        ? { status: 503, error: "The engine is currently overloaded, please try again later." }
        : { text: "Answered after the outage" };
  const root = await product.mention(channel, ALICE, "are you there?");
  assert.equal(await finalReaction(channel, root), "white_check_mark");
  const answer = await waitFor(
    () => product.botReplies(channel, root).find((m) => markdownOf(m) === "Answered after the outage"),
    { what: "the answer after the retries" },
  );
  assert.deepEqual(
    product.fake.calls.map((call) => call.status),
    [500, 503, 200],
    "retried until the model answered, then not called again",
  );
  assert.deepEqual(product.botReplies(channel, root), [answer], "one message in the thread: the answer");
  assert.deepEqual(contextOf(answer), [], "no failure shown");
});

test("a model that stalls past the timeout is given up and retried, and the answer arrives once", async () => {
  const channel = newChannel();
  const never = new Promise<void>(() => {});
  product.fake.reply = (_request, call) =>
    call === 0
      ? { text: "The first words, and then nothing more", chunkSize: 15, hold: never }
      : { text: "Answered after the stall" };
  const root = await product.mention(channel, ALICE, "take your time");
  assert.equal(await finalReaction(channel, root), "white_check_mark");
  const answer = await waitFor(
    () => product.botReplies(channel, root).find((m) => markdownOf(m) === "Answered after the stall"),
    { what: "the answer after the retry" },
  );
  assert.equal(product.fake.calls.length, 2, "one retry, then not called again");
  const stalled = product.fake.calls[0];
  assert.ok(stalled?.aborted, "the stalled request was given up");
  assert.ok((stalled?.endedAfterMs ?? 0) >= 1500, `not before the timeout (${stalled?.endedAfterMs} ms)`);
  assert.deepEqual(product.botReplies(channel, root), [answer], "one message in the thread: the answer");
});

test("where nobody watches (a curl session, not streamed), a stalled model call is retried too", async () => {
  const never = new Promise<void>(() => {});
  product.fake.reply = (_request, call) =>
    call === 0 ? { text: "never sent", hold: never } : { text: "Answered" };
  const key = `curl-session-${Date.now()}`;
  const ingress = ingressClient(product.restate.ingressUrl);
  await ingress.call(`ChatService/${key}/process_user_message`, { content: "are you there?", role: "user" });
  const history = await waitFor(
    async () => {
      const { entries } = await ingress.call<{ entries: { role: string }[] }>(
        `ChatService/${key}/get_history`,
      );
      return entries.length === 2 ? entries : undefined;
    },
    { what: "the answer in the history" },
  );
  assert.deepEqual(
    history.map((entry) => entry.role),
    ["user", "assistant"],
  );
  assert.equal(product.fake.calls.length, 2, "one retry, then not called again");
  assert.ok(product.fake.calls.every((call) => call.request.stream !== true));
  assert.ok(product.fake.calls[0]?.aborted, "the stalled request was given up");
  // The timeout counts from just before the request went out, so the server sees a little less.
  const waited = product.fake.calls[0]?.endedAfterMs ?? 0;
  assert.ok(waited >= 4000 - 100, `given up after the total timeout, not before (${waited} ms)`);
});

test("a slow but steady stream, longer in all than the pause it may make, is not cut", async () => {
  const channel = newChannel();
  const text = "Slowly, word by word, the whole answer arrives.";
  // 12 chunks, one every 250 ms: 3 s in all (under LLM_CALL_TIMEOUT), never a pause of 1.5 s.
  product.fake.reply = () => ({ text, chunkSize: 4, chunkDelayMs: 250 });
  const root = await product.mention(channel, ALICE, "tell me slowly");
  assert.equal(await finalReaction(channel, root), "white_check_mark");
  assert.equal(product.fake.calls.length, 1, "asked once: the stream was never cut");
  assert.ok((product.fake.calls[0]?.endedAfterMs ?? 0) >= 2500, "the stream took its time");
  await waitFor(() => product.botReplies(channel, root).find((m) => markdownOf(m) === text), {
    what: "the whole answer in the thread",
  });
});

test("a stream that goes on past LLM_CALL_TIMEOUT is given up and retried", async () => {
  const channel = newChannel();
  // Steady, but 8 s in all: over the 4 s total. The retry answers at once.
  product.fake.reply = (_request, call) =>
    call === 0 ? { text: "a".repeat(32), chunkSize: 1, chunkDelayMs: 250 } : { text: "The short answer" };
  const root = await product.mention(channel, ALICE, "an endless answer");
  assert.equal(await finalReaction(channel, root), "white_check_mark");
  assert.equal(product.fake.calls.length, 2);
  assert.ok(product.fake.calls[0]?.aborted, "the endless stream was given up");
  const after = product.fake.calls[0]?.endedAfterMs ?? 0;
  assert.ok(after >= 3900 && after < 7000, `given up at the total timeout (${after} ms)`);
});

test("a step that keeps failing ends the run as failed: :x:, the thread says what failed, and the queue moves on", async () => {
  const channel = newChannel();
  await product.emulator.slashCommand({ user: ALICE, channel, command: "/agentmode", text: "queue" });
  product.fake.reply = (request) =>
    textOf(request.messages.at(-1)) === "this one breaks the model"
      ? { status: 500, error: "The server had an error while processing your request." }
      : { text: `Answer to: ${textOf(request.messages.at(-1))}` };
  const root = await product.mention(channel, ALICE, "this one breaks the model");
  await product.fake.waitForCalls(1);
  const queued = await product.reply(channel, ALICE, root, "then answer this");
  await waitFor(
    () => product.emulator.botReactions(channel, queued).includes("hourglass_flowing_sand") || undefined,
    { what: "the second message queued behind the failing run" },
  );

  assert.equal(await finalReaction(channel, root), "x", "the failed run's message gets :x:");
  const report = await waitFor(
    () =>
      product
        .botReplies(channel, root)
        .find((m) => contextOf(m).some((line) => /The agent stopped/.test(line))),
    { what: "the line in the thread that says what failed" },
  );
  assert.match(contextOf(report).join(" "), /The agent stopped: .*500.*The server had an error/);
  const failingCalls = product.fake.calls.filter((call) => call.lastUser === "this one breaks the model");
  assert.equal(failingCalls.length, AGENT_STEP_MAX_ATTEMPTS, "the failing step was tried ten times, no more");

  // The queue moves on: the queued message runs, with the failed message in its history.
  assert.equal(await finalReaction(channel, queued), "white_check_mark");
  await waitFor(
    () => product.botReplies(channel, root).some((m) => markdownOf(m) === "Answer to: then answer this"),
    { what: "the queued message's answer" },
  );
  const next = product.fake.calls.find((call) => call.lastUser === "then answer this");
  assert.ok(next);
  assert.deepEqual(next.request.messages.filter((m) => m.role === "user").map(textOf), [
    "this one breaks the model",
    "then answer this",
  ]);
});
