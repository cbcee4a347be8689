/**
 * The app leaving a workspace it was installed in through OAuth: uninstalled during a run, the run stops and
 * the queue empties at once; later events from the workspace are refused with a clear log line; after
 * `WORKSPACE_DATA_GRACE` the sessions' state is gone; a reinstall starts every thread afresh.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { botAnswered, install, type OAuthStack, startOAuthStack } from "../helpers/oauth-stack.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const BOT = "U0AGENT01";

let stack: OAuthStack;
before(async () => {
  stack = await startOAuthStack({ env: { MODE: "QUEUE", WORKSPACE_DATA_GRACE: "3s" } });
  stack.sink.setDefaultReply(() => ({ output: "an answer", done: true }));
  assert.equal((await install(stack.appUrl, ALICE)).status, 200);
});
after(() => stack?.close());

const reads = () => sessionReads(stack.adapter);
const stateRows = (service: string, key: string) =>
  stack.restate.query(`SELECT key FROM state WHERE service_name = '${service}' AND service_key = '${key}'`);

describe("leaving a workspace", () => {
  let channel: string;
  let key: string;

  test("uninstalled during a run: the run stops and the queue empties at once", async () => {
    channel = stack.emulator.newChannel([ALICE, BOB]);
    const held = stack.sink.hold((call) => call.kind === "step" && call.iteration === 1);
    const first = await stack.emulator.userPosts({ user: ALICE, channel, text: `<@${BOT}> a long job` });
    key = toSessionKey("T0001", channel, first.message.ts);
    await held.arrived;
    await stack.emulator.userPosts({ user: BOB, channel, text: "and then this", threadTs: first.message.ts });
    await waitFor(async () => ((await reads().status(key)).queue.length === 1 ? true : undefined), {
      what: "the reply queued",
    });
    const answer = await stack.emulator.uninstallApp();
    assert.equal(answer.status, 200);
    await waitFor(
      async () => {
        const status = await reads().status(key);
        return status.activeRun === null && status.queue.length === 0 ? true : undefined;
      },
      { what: "the run stopped and the queue emptied" },
    );
    assert.deepEqual(await reads().history(key), [], "the history went with them");
    held.release({ output: "a late answer", done: true });
    assert.ok(stack.logLines.some((line) => line.includes("installation removed")));
  });

  test("a later event from the workspace is refused, with a clear log line, and starts nothing", async () => {
    const later = await stack.emulator.userPosts({ user: ALICE, channel, text: `<@${BOT}> are you there?` });
    const laterKey = toSessionKey("T0001", channel, later.message.ts);
    assert.ok(
      stack.logLines.some((line) =>
        line.includes("Refused a request from T0001: the app is not installed there"),
      ),
    );
    assert.equal((await reads().status(laterKey)).exists, false);
  });

  test("after WORKSPACE_DATA_GRACE the sessions' state is gone", async () => {
    await waitFor(
      async () =>
        (await stateRows("ChatService", key)).length === 0 &&
        (await stateRows("SlackThread", key)).length === 0
          ? true
          : undefined,
      { what: "the session's state forgotten", timeoutMs: 20_000 },
    );
    assert.equal((await stateRows("SlackWorkspace", "T0001")).length, 0, "the workspace's list went too");
  });

  test("installed again, the workspace is served afresh", async () => {
    assert.equal((await install(stack.appUrl, BOB)).status, 200);
    const again = await stack.emulator.userPosts({ user: ALICE, channel, text: `<@${BOT}> hello again` });
    await botAnswered(stack, channel, again.message.ts, "an answer");
    assert.ok(
      !stack.emulator.thread(channel, again.message.ts).some((m) => m.text.includes("a late answer")),
    );
  });
});
