/**
 * Group DMs (mpim), as "What reaches a session" in docs/slack-setup.md says: a group DM behaves as a
 * channel: a mention starts a session answered in its thread, later messages in that thread reach it
 * without a mention, and a message without a mention starts nothing. The manifest subscribes to
 * `message.mpim` for this. The whole Slack stack against the emulator, with the scripted agent.
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
/** Slack gives group DMs ids that do not start with D (which marks a DM with one person). */
const GROUP_DM = "G0MPIM001";

let stack: SlackStack;
let reads: ReturnType<typeof sessionReads>;
before(async () => {
  stack = await startSlackStack();
  reads = sessionReads(stack.ingress);
  stack.emulator.workspace.addChannel({
    id: GROUP_DM,
    name: "mpdm-alice--bob--agent-1",
    kind: "mpim",
    members: [ALICE, BOB, BOT],
  });
});
after(() => stack?.close());

const keyOf = (ts: string) => toSessionKey("T0001", GROUP_DM, ts);

function post(user: string, text: string, threadTs?: string) {
  return stack.emulator.userPosts({ user, channel: GROUP_DM, text, ...(threadTs ? { threadTs } : {}) });
}

test("in a group DM a mention starts a session in its thread, replies reach it, and a message without a mention starts nothing", async () => {
  const chatter = await post(ALICE, "lunch at noon, Bob?");
  const mention = await post(ALICE, `<@${BOT}> find us a place for lunch`);
  const key = keyOf(mention.message.ts);
  await waitFor(
    () =>
      stack.emulator.thread(GROUP_DM, mention.message.ts).some((m) => m.user === BOT && m.text === "Done") ||
      undefined,
    { what: "the answer in the mention's thread" },
  );
  await waitFor(
    () => stack.emulator.botReactions(GROUP_DM, mention.message.ts).includes("white_check_mark") || undefined,
    {
      what: "the done reaction",
    },
  );
  assert.ok(
    stack.emulator
      .thread(GROUP_DM, mention.message.ts)
      .every((m) => m.ts === mention.message.ts || m.threadTs === mention.message.ts),
    "the bot answers in the mention's thread",
  );

  const reply = stack.sink.hold(
    (call) => call.sessionKey === key && call.history.at(-1)?.content === "somewhere quiet, please",
  );
  await post(BOB, "somewhere quiet, please", mention.message.ts);
  const seen = await reply.arrived;
  assert.deepEqual(
    seen.history.map((item) => item.content),
    ["find us a place for lunch", "Done", "somewhere quiet, please"],
    "Bob's reply without a mention reached the session",
  );
  reply.release({ output: "Done", done: true });
  await reads.idle(key);

  // Both later messages were handled, so the earlier one without a mention has been decided on too.
  assert.equal((await reads.status(keyOf(chatter.message.ts))).exists, false, "no session for the chatter");
  assert.equal(
    stack.sink.executions((call) => call.history.some((item) => item.content === "lunch at noon, Bob?")),
    0,
  );
  assert.deepEqual(stack.emulator.botReactions(GROUP_DM, chatter.message.ts), []);
});
