/**
 * State that must not grow forever, read straight from Restate's `state` table through the admin API: a
 * run's progress lives while the run does, a message's reaction until its fate is final, and a channel
 * lists a session for a limited time. The whole product against the Slack emulator, scripted agent steps.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toChannelKey, toSessionKey } from "../../src/restate/keys.ts";
import { slackTsToIso } from "../../src/restate/session-state.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { stepOf } from "../helpers/step-sink.ts";
import { runCompleted, runInvocations } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const BOT = "U0AGENT01";
/** Short, so that a listing runs out within a test; long enough that a test sees it listed first. */
const LISTING = "3s";
const LISTING_MS = 3000;
/** When a Slack message was written (epoch ms), as a session reads its ts. */
const writtenAt = (ts: string) => Date.parse(slackTsToIso(ts));

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack({ env: { CHANNEL_LISTING_RETENTION: LISTING } });
  stack.sink.setDefaultReply((call) =>
    call.iteration >= 2 ? { output: "all done", done: true } : { output: "step one", done: false },
  );
});
after(() => stack?.close());

const newChannel = () => stack.emulator.newChannel([ALICE, BOB]);

async function mention(channel: string, text: string, threadTs?: string) {
  const { message } = await stack.emulator.userPosts({
    user: ALICE,
    channel,
    text: `<@${BOT}> ${text}`,
    ...(threadTs ? { threadTs } : {}),
  });
  return message;
}

/** The state entries of one object, by name, as Restate stores them. */
async function stateOf(service: string, key: string): Promise<Map<string, string>> {
  const rows = await stack.restate.query<{ key: string; value_utf8: string }>(
    `SELECT key, value_utf8 FROM state WHERE service_name = '${service}' AND service_key = '${key}'`,
  );
  return new Map(rows.map((row) => [row.key, row.value_utf8]));
}

const stateGone = (service: string, key: string, entry: string) =>
  waitFor(async () => !(await stateOf(service, key)).has(entry), {
    what: `${service}[${key}] to forget ${entry}`,
  });

describe("a run's progress", () => {
  test("is kept while the run works (get_status reads its iteration) and cleared by the run as it ends", async () => {
    const channel = newChannel();
    const root = await mention(channel, "count to two");
    const key = toSessionKey("T0001", channel, root.ts);
    const held = stack.sink.hold(stepOf(key, 2));
    const call = await held.arrived;
    const runKey = `${key}/${call.runId}`;
    // Written before the step; what Restate's SQL shows may lag the step's own request by a moment.
    const progress = await waitFor(
      async () => {
        const stored = JSON.parse((await stateOf("AgentSession", runKey)).get("progress") ?? "null");
        return stored?.iteration === 2 ? stored : undefined;
      },
      { what: "the run's progress at iteration 2" },
    );
    assert.deepEqual(progress, { iteration: 2, outcome: "running" });
    assert.equal((await sessionReads(stack.ingress).status(key)).activeRun?.iteration, 2);
    held.release();
    await sessionReads(stack.ingress).idle(key);
    await stateGone("AgentSession", runKey, "progress");
    // The run cleared it itself: nothing else was sent to clear it.
    const clearing = await stack.restate.query(
      `SELECT id FROM sys_invocation WHERE target_service_key = '${runKey}' AND target_handler_name = 'forget_progress'`,
    );
    assert.deepEqual(clearing, []);
    // The run's end itself is still on record, in Restate's record of its invocation.
    await runCompleted(stack.restate, key, call.runId);
  });

  test("of an interrupted run is forgotten too, and the new run's progress is kept while it works", async () => {
    const channel = newChannel();
    const root = await mention(channel, "first");
    const key = toSessionKey("T0001", channel, root.ts);
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await held.arrived;
    const next = stack.sink.hold((c) => c.kind === "step" && c.sessionKey === key && c.runId !== first.runId);
    await mention(channel, "never mind, this instead", root.ts);
    const second = await next.arrived;
    held.release();
    await stateGone("AgentSession", `${key}/${first.runId}`, "progress");
    assert.ok(
      (await stateOf("AgentSession", `${key}/${second.runId}`)).has("progress"),
      "the new run's progress",
    );
    next.release();
    await sessionReads(stack.ingress).idle(key);
    await stateGone("AgentSession", `${key}/${second.runId}`, "progress");
    assert.equal((await runInvocations(stack.restate, key)).length, 2);
  });
});

describe("a message's reaction", () => {
  test("is remembered while its fate can change and forgotten once it is final; the thread then keeps only its agent status", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(
      (c) =>
        c.kind === "step" &&
        c.iteration === 1 &&
        c.history.some((h) => String(h.content).includes("react to me")),
    );
    const root = await mention(channel, "react to me");
    const key = toSessionKey("T0001", channel, root.ts);
    await held.arrived;
    await waitFor(
      async () =>
        (await stateOf("SlackThread", key)).get("reactions") === JSON.stringify({ [root.ts]: "eyes" }),
      { what: "the running message's reaction in SlackThread's state" },
    );
    held.release();
    await waitFor(
      () => stack.emulator.botReactions(channel, root.ts).join() === "white_check_mark" || undefined,
      {
        what: "the done reaction in Slack",
      },
    );
    await stateGone("SlackThread", key, "reactions");
    await waitFor(async () => (await stateOf("SlackThread", key)).get("agentStatus") === '"active"', {
      what: "the agent session's status, active",
    });
    assert.deepEqual([...(await stateOf("SlackThread", key)).keys()].sort(), [
      "agentStatus",
      "agentStatusWanted",
      "agentTarget",
    ]);
  });
});

describe("a channel's list of its sessions", () => {
  test("lists a session until CHANNEL_LISTING_RETENTION after its message, with no timer; then the session asks its channel, a later session's joining drops the listing, and the next message lists it again", async () => {
    const channel = newChannel();
    const channelKey = toChannelKey("T0001", channel);
    const root = await mention(channel, "a session");
    const key = toSessionKey("T0001", channel, root.ts);
    const entry = `s:${key}`;
    await waitFor(async () => (await stateOf("ChannelSettings", channelKey)).has(entry), {
      what: "the listing",
    });
    await sessionReads(stack.ingress).idle(key);
    const meta = async () => JSON.parse((await stateOf("ChatService", key)).get("meta") ?? "{}");
    const first = await meta();
    assert.equal(first.channelModeKnown, true);
    // Listed from the time of its message, and the session knows until when: nothing is scheduled.
    assert.equal(first.listedUntil, writtenAt(root.ts) + LISTING_MS);
    const timers = await stack.restate.query<{ n: number }>(
      `SELECT count(*) AS n FROM sys_invocation WHERE target_service_key = '${channelKey}' AND status = 'scheduled'`,
    );
    assert.equal(timers[0]?.n, 0, "no timer per listing");

    // The listing runs out. A change of the channel's default still applies: the session asks its channel.
    await waitFor(() => Date.now() > first.listedUntil || undefined, { what: "the listing to run out" });
    await stack.emulator.slashCommand({ user: BOB, channel, command: "/agentmode", text: "queue" });
    await waitFor(
      async () => ((await stateOf("ChannelSettings", channelKey)).get("mode") ? true : undefined),
      {
        what: "the channel's default",
      },
    );
    const status = await sessionReads(stack.ingress).status(key);
    assert.deepEqual({ mode: status.mode, source: status.modeSource }, { mode: "QUEUE", source: "channel" });

    // The next session of the channel drops the listings that ran out before its message.
    const other = await mention(channel, "another session");
    await stateGone("ChannelSettings", channelKey, entry);
    await sessionReads(stack.ingress).idle(toSessionKey("T0001", channel, other.ts));

    // The next message in the thread lists the session again, from its own time.
    const again = await mention(channel, "again", root.ts);
    await waitFor(async () => (await stateOf("ChannelSettings", channelKey)).has(entry), {
      what: "the listing again",
    });
    await waitFor(async () => (await meta()).listedUntil === writtenAt(again.ts) + LISTING_MS || undefined, {
      what: "the session to know its new listing",
    });
    await sessionReads(stack.ingress).idle(key);
  });
});
