import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../../src/restate/keys.ts";
import { readThreadTool } from "../../../src/slack/thread-tool.ts";
import { createSlackWebClient } from "../../../src/slack/web-api.ts";
import { singleTokenClients } from "../../../src/slack/workspace-clients.ts";
import { type SlackEmulator, startSlackEmulator } from "../../../src/slack-emulator/emulator.ts";
import { testLogger } from "../../helpers/test-logger.ts";

let emulator: SlackEmulator;
before(async () => {
  emulator = await startSlackEmulator();
});
after(() => emulator?.close());

const ALICE = "U0ALICE01";
const signal = new AbortController().signal;
const tool = () =>
  readThreadTool(
    singleTokenClients(
      createSlackWebClient({
        url: emulator.apiUrl,
        token: emulator.workspace.bot.botToken,
        logger: testLogger(),
      }),
    ),
  );

test("read_thread reads the thread the session recorded as its origin, whatever place its key names", async () => {
  const general = (await emulator.userPosts({ user: ALICE, channel: "C0GENERAL", text: "the public thread" }))
    .message;
  const secret = (await emulator.userPosts({ user: ALICE, channel: "G0PROJECT", text: "the private thread" }))
    .message;
  const origin = { team: "T0001", channel: "C0GENERAL", threadTs: general.ts };
  // A key that names the private thread, as a forged one would.
  const sessionKey = toSessionKey("T0001", "G0PROJECT", secret.ts);
  const messages = (await tool().execute(
    {},
    { sessionKey, origin, signal, callId: "c1", approvedBy: null, mayHaveRun: false, since: null },
  )) as { text: string }[];
  assert.deepEqual(
    messages.map((m) => m.text),
    ["the public thread"],
  );
});

test("read_thread refuses a session without a recorded origin even when its key looks like a Slack thread", async () => {
  const secret = (await emulator.userPosts({ user: ALICE, channel: "G0PROJECT", text: "still private" }))
    .message;
  const sessionKey = toSessionKey("T0001", "G0PROJECT", secret.ts);
  const reads = emulator.callsTo("conversations.replies").length;
  await assert.rejects(
    async () =>
      tool().execute(
        {},
        { sessionKey, origin: null, signal, callId: "c1", approvedBy: null, mayHaveRun: false, since: null },
      ),
    /This conversation is not a Slack thread/,
  );
  assert.equal(emulator.callsTo("conversations.replies").length, reads, "nothing was read");
});
