/**
 * What a channel's outbox posts and what it drops, end to end: an output that still waits for the
 * channel's pace when its run is interrupted is never posted, and an iteration with nothing to show posts
 * nothing. The pace is set long here, so that an output surely waits while an interrupt is handled.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const BOT = "U0AGENT01";
const CHANNEL = "C0GENERAL";
const QUIET = "C0QUIET01";
/** Long enough for an interrupt to be handled while an output waits, even on a busy machine. */
const PACE_MS = 6000;

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack({ env: { SLACK_POST_INTERVAL_MS: String(PACE_MS) } });
  // A channel of its own, so that its first post need not wait for the pace of the other test's posts.
  stack.emulator.workspace.addChannel({ id: QUIET, name: "quiet", kind: "public", members: [ALICE, BOT] });
});
after(() => stack?.close());

const botMessages = (threadTs: string, channel = CHANNEL) =>
  stack.emulator.thread(channel, threadTs).filter((message) => message.user === BOT);
const botText = (threadTs: string) =>
  stack.emulator
    .thread(CHANNEL, threadTs)
    .filter((message) => message.user === BOT)
    .map((message) => message.text)
    .join("\n\n");

test("an output still waiting for the channel's pace when its run is interrupted is never posted", async () => {
  const { idle } = sessionReads(stack.ingress);
  stack.sink.setDefaultReply((call) =>
    call.iteration === 1 ? { output: "first part", done: false } : { output: "second part", done: false },
  );
  const third = stack.sink.hold(
    (call) => call.kind === "step" && call.iteration === 3 && call.history.at(-1)?.content === "second part",
  );
  const first = await stack.emulator.userPosts({
    user: ALICE,
    channel: CHANNEL,
    text: `<@${BOT}> write a poem`,
  });
  const key = toSessionKey("T0001", CHANNEL, first.message.ts);
  // The run is in its third iteration: the second part was sent to the channel before it began.
  await third.arrived;
  await waitFor(() => botText(first.message.ts).includes("first part") || undefined, {
    what: "the first part",
  });
  assert.ok(!botText(first.message.ts).includes("second part"), "the second part waits for the pace");

  const nextRun = stack.sink.hold(
    (call) => call.kind === "step" && call.history.at(-1)?.content === "make it a haiku",
  );
  await stack.emulator.userPosts({
    user: BOB,
    channel: CHANNEL,
    text: "make it a haiku",
    threadTs: first.message.ts,
  });
  await nextRun.arrived;
  nextRun.release({ output: "a haiku", done: true });
  // The barrier: the next run's answer is posted. The outbox posts in order (and coalesces a thread's
  // waiting outputs into one message), so a second part still waiting would have gone out with it or before.
  await waitFor(() => botText(first.message.ts).includes("a haiku") || undefined, {
    what: "the next run's answer",
    timeoutMs: 30_000,
  });
  assert.ok(!botText(first.message.ts).includes("second part"), botText(first.message.ts));
  third.release({ output: "never shown", done: true });
  await idle(key);
});

test("an iteration with nothing to show posts nothing, and the run goes on to its answer", async () => {
  stack.sink.setDefaultReply((call) =>
    call.iteration === 1 ? { output: "  ", done: false } : { output: "the answer", done: true },
  );
  const { message } = await stack.emulator.userPosts({
    user: ALICE,
    channel: QUIET,
    text: `<@${BOT}> think`,
  });
  // The barrier: the answer is posted. A channel posts its outputs in the order they were sent, so the
  // first iteration's output, had it been sent, would have been posted (or refused) before it.
  await waitFor(() => botMessages(message.ts, QUIET).length > 0 || undefined, { what: "the answer" });
  assert.deepEqual(
    botMessages(message.ts, QUIET).map((reply) => reply.text),
    ["the answer"],
  );
  const posts = stack.emulator.callsTo("chat.postMessage").filter((call) => call.args.channel === QUIET);
  assert.deepEqual(
    posts.map((call) => call.error ?? "ok"),
    ["ok"],
    "one post, and Slack refused none",
  );
  await waitFor(
    () => stack.emulator.botReactions(QUIET, message.ts).includes("white_check_mark") || undefined,
    { what: "the run done" },
  );
});
