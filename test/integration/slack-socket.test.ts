/**
 * Socket Mode end to end: the emulator plays Slack's socket endpoint (`apps.connections.open`, `hello`,
 * envelopes, acks). An envelope is acknowledged only after the message reached Restate: with Restate down
 * there is no ack, Slack sends the envelope again, and the message is accepted once.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack({
    socketMode: true,
    emulator: { socketAckTimeoutMs: 1500, socketMaxRetries: 10 },
  });
  stack.sink.setDefaultReply(() => ({ output: "answered over the socket", done: true }));
});
after(() => stack?.close());

const history = (key: string) => sessionReads(stack.ingress).history(key);

/**
 * A later reply in the thread, answered: the session has handled everything sent to it before, so a
 * second copy of an earlier message would be in the history by now.
 */
async function laterReplyAnswered(threadTs: string, before: readonly string[]): Promise<void> {
  const key = toSessionKey("T0001", GENERAL, threadTs);
  await stack.emulator.userPosts({ user: ALICE, channel: GENERAL, text: "thanks", threadTs });
  await waitFor(async () => ((await history(key)).at(-2)?.content === "thanks" ? true : undefined), {
    what: "the later reply handled",
  });
  await sessionReads(stack.ingress).idle(key);
  assert.deepEqual(
    (await history(key)).map((e) => e.content),
    [...before, "thanks", "answered over the socket"],
    "nothing but the later reply came after",
  );
}

test("a mention over Socket Mode starts a session and is answered in its thread", async () => {
  const { message, answers } = await stack.emulator.userPosts({
    user: ALICE,
    channel: GENERAL,
    text: `<@${BOT}> hi`,
  });
  // Both envelopes (message and app_mention) are acknowledged; on a slow machine one may take a re-send.
  assert.deepEqual(
    answers.map((a) => a.acked),
    [true, true],
  );
  await waitFor(
    () =>
      stack.emulator
        .thread(GENERAL, message.ts)
        .some((m) => m.user === BOT && m.text === "answered over the socket") || undefined,
    { what: "the answer" },
  );
  const key = toSessionKey("T0001", GENERAL, message.ts);
  // The answer reaches the thread a moment before the session hears its run end and keeps it.
  await sessionReads(stack.ingress).idle(key);
  assert.deepEqual(
    (await history(key)).map((e) => e.content),
    ["hi", "answered over the socket"],
    "accepted once",
  );
  await laterReplyAnswered(message.ts, ["hi", "answered over the socket"]);
});

test("with Restate down the envelope is not acknowledged, Slack sends it again, and the message is accepted once", async () => {
  await stack.restate.server.stop();
  let resent = false;
  const onEnvelope = (sent: { attempt: number }) => {
    if (sent.attempt >= 1) resent = true;
  };
  stack.emulator.on("envelope", onEnvelope);
  const posting = stack.emulator.userPosts({
    user: ALICE,
    channel: GENERAL,
    text: `<@${BOT}> are you there`,
  });
  try {
    // The first send was not acknowledged (Restate is down): Slack sends it again. Then Restate comes back.
    await waitFor(() => resent, { what: "the envelope to be sent again", timeoutMs: 10_000 });
  } finally {
    stack.emulator.off("envelope", onEnvelope);
    await stack.restate.killAndRestart();
  }
  const { message, answers } = await posting;
  const [first] = answers;
  assert.equal(first?.acked, true);
  assert.ok((first?.attempts ?? 0) >= 2, `sent ${first?.attempts} times`);
  const key = toSessionKey("T0001", GENERAL, message.ts);
  await waitFor(async () => ((await history(key)).length === 2 ? true : undefined), { what: "the run" });
  assert.deepEqual(
    (await history(key)).map((e) => e.content),
    ["are you there", "answered over the socket"],
  );
  const status = await sessionReads(stack.ingress).status(key);
  assert.equal(status.queue.length, 0);
  await laterReplyAnswered(message.ts, ["are you there", "answered over the socket"]);
});

test("a slash command's answer travels back in the envelope's acknowledgement", async () => {
  const answer = await stack.emulator.slashCommand({
    user: ALICE,
    channel: GENERAL,
    command: "/agentmode",
    text: "nonsense",
  });
  assert.equal(answer.acked, true);
  assert.match((answer.body as { text?: string }).text ?? "", /Unknown mode "nonsense"/);
  assert.ok(stack.emulator.ephemeralsFor(ALICE).some((e) => e.text.includes("Unknown mode")));
});

test("Slack's Stop button over Socket Mode stops the run once Restate has the press; the status follows", async () => {
  const held = stack.sink.hold(
    (call) => call.kind === "step" && call.history.at(-1)?.content === "a long job over the socket",
  );
  const { message } = await stack.emulator.userPosts({
    user: ALICE,
    channel: GENERAL,
    text: `<@${BOT}> a long job over the socket`,
  });
  await held.arrived;
  const agentStatus = () => stack.emulator.workspace.agentSession(GENERAL, message.ts)?.status;
  await waitFor(() => (agentStatus() === "processing" ? true : undefined), {
    what: "the session processing",
  });
  const answer = await stack.emulator.pressStop(ALICE, GENERAL, message.ts);
  assert.equal(answer.acked, true);
  await waitFor(
    () =>
      stack.emulator.botReactions(GENERAL, message.ts).join() === "black_square_for_stop" ? true : undefined,
    { what: "the stop reaction" },
  );
  await waitFor(() => (agentStatus() === "active" ? true : undefined), { what: "the session active" });
  held.release({ output: "never shown", done: true });
  await sessionReads(stack.ingress).idle(toSessionKey("T0001", GENERAL, message.ts));
  assert.ok(!stack.emulator.thread(GENERAL, message.ts).some((m) => m.text === "never shown"));
});
