import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunOutput } from "../../../src/restate/session-effects.ts";
import {
  addOutput,
  type ChannelPosting,
  DISCARDED_REMEMBERED,
  discardRuns,
  IDLE_POSTING,
  isEmptyOutput,
  mayPostAtOnce,
  nextPost,
  type OutboxGroup,
  runsOf,
  slotIsFree,
} from "../../../src/slack/outbox.ts";
import { MAX_MESSAGE_CHARS } from "../../../src/slack/text.ts";

const output = (
  runId: string,
  text: string,
  more: Partial<Omit<RunOutput, "runId" | "text">> & { threadTs?: string } = {},
): RunOutput => {
  const { threadTs = "100.1", ...rest } = more;
  return {
    sessionKey: `T:C:${threadTs}`,
    origin: { team: "T", channel: "C", threadTs, permalink: null },
    runId,
    iteration: 1,
    text,
    final: false,
    ...rest,
  };
};

/** The state after adding outputs in order; fails the test if one is dropped. */
function added(state: ChannelPosting, ...outputs: RunOutput[]): ChannelPosting {
  return outputs.reduce((current, next) => {
    const result = addOutput(current, next);
    assert.ok("state" in result, `output of ${next.runId} was dropped`);
    return result.state;
  }, state);
}

const texts = (group: OutboxGroup | undefined) => group?.parts.map((part) => part.text);

test("an output is empty when it has no text, no notes and no live message to finish", () => {
  assert.equal(isEmptyOutput({ text: "  \n" }), true);
  assert.equal(isEmptyOutput({ text: "", notes: [] }), true);
  assert.equal(isEmptyOutput({ text: "hi" }), false);
  assert.equal(isEmptyOutput({ text: "", notes: [":warning: The agent stopped"] }), false);
  assert.equal(isEmptyOutput({ text: "", live: { ts: "200.1" } }), false);
});

test("outputs of one thread that wait are coalesced into one group; another thread gets its own", () => {
  const state = added(
    IDLE_POSTING,
    output("r1", "one"),
    output("r9", "elsewhere", { threadTs: "300.1" }),
    output("r1", "two", { iteration: 2 }),
  );
  assert.equal(state.outbox.length, 2);
  assert.deepEqual(texts(state.outbox[0]), ["one", "two"]);
  assert.deepEqual(
    state.outbox[0]?.parts.map((part) => part.iteration),
    [1, 2],
  );
  assert.deepEqual(texts(state.outbox[1]), ["elsewhere"]);
  assert.equal(state.outbox[1]?.threadTs, "300.1");
});

test("an output that replaces a live message is its own group and nothing joins it", () => {
  const state = added(
    IDLE_POSTING,
    output("r1", "before"),
    output("r1", "final words", { live: { ts: "200.1" } }),
    output("r1", "after", { iteration: 2 }),
  );
  assert.equal(state.outbox.length, 2);
  assert.deepEqual(texts(state.outbox[0]), ["before", "after"]);
  assert.equal(state.outbox[0]?.updateTs, undefined);
  assert.deepEqual(texts(state.outbox[1]), ["final words"]);
  assert.equal(state.outbox[1]?.updateTs, "200.1");
});

test("an empty output is dropped without changing the outbox", () => {
  const state = added(IDLE_POSTING, output("r1", "one"));
  assert.deepEqual(addOutput(state, output("r1", " ", { notes: [] })), { dropped: "nothing to show" });
});

test("a stopped run's later output is dropped, unless it is the final text of its live message", () => {
  const state = discardRuns(IDLE_POSTING, ["r1"]);
  assert.deepEqual(addOutput(state, output("r1", "late")), { dropped: "stopped run" });
  const kept = added(state, output("r1", "complete iteration", { live: { ts: "200.1" } }));
  assert.equal(kept.outbox[0]?.updateTs, "200.1");
  assert.deepEqual(texts(added(state, output("r2", "another run")).outbox[0]), ["another run"]);
});

test("discarding drops the waiting parts of stopped runs and empty groups, but keeps live messages' final texts", () => {
  const state = added(
    IDLE_POSTING,
    output("r1", "stopped"),
    output("r2", "kept"),
    output("r1", "alone", { threadTs: "300.1" }),
    output("r1", "final text", { live: { ts: "200.1" } }),
  );
  const after = discardRuns(state, ["r1"]);
  assert.deepEqual(
    after.outbox.map((group) => texts(group)),
    [["kept"], ["final text"]],
  );
  assert.deepEqual(after.discarded, ["r1"]);
});

test("discarded runs are remembered newest first, up to a bound", () => {
  let state = IDLE_POSTING;
  for (let i = 0; i < DISCARDED_REMEMBERED + 5; i += 1) state = discardRuns(state, [`r${i}`]);
  assert.equal(state.discarded.length, DISCARDED_REMEMBERED);
  assert.equal(state.discarded[0], `r${DISCARDED_REMEMBERED + 4}`);
  assert.ok(!state.discarded.includes("r0"));
  assert.deepEqual(addOutput(state, output(`r${DISCARDED_REMEMBERED + 4}`, "late")), {
    dropped: "stopped run",
  });
  assert.ok("state" in addOutput(state, output("r0", "long forgotten")));
});

test("the next post is the first group as one message; the outbox after it is the rest", () => {
  assert.equal(nextPost([]), null);
  const state = added(
    IDLE_POSTING,
    output("r1", "one"),
    output("r1", "two"),
    output("r2", "x", { threadTs: "3.1" }),
  );
  const next = nextPost(state.outbox);
  assert.ok(next);
  assert.equal(next.group, state.outbox[0]);
  assert.equal(next.message.text, "one\n\ntwo");
  assert.deepEqual(next.posted, [state.outbox[1]]);
  assert.deepEqual(next.refused, [state.outbox[1]]);
});

test("a message too long for one post goes out in pieces: the rest waits first, as a new post continuing the last part", () => {
  const long = `${"a".repeat(MAX_MESSAGE_CHARS)} ${"b".repeat(100)}`;
  const state = added(
    IDLE_POSTING,
    output("r1", "short", { notes: [] }),
    output("r2", long, { iteration: 4, live: { ts: "200.1" } }),
    output("r3", "other thread", { threadTs: "3.1" }),
  );
  const first = nextPost(state.outbox);
  assert.ok(first);
  assert.equal(first.message.rest, "");
  const second = nextPost(first.posted);
  assert.ok(second);
  assert.equal(second.group.updateTs, "200.1");
  assert.ok(second.message.rest.length > 0, "the long output does not fit one message");
  const [continuation, ...rest] = second.posted;
  assert.deepEqual(continuation, {
    sessionKey: "T:C:100.1",
    threadTs: "100.1",
    parts: [{ runId: "r2", iteration: 4, text: second.message.rest, continued: true, format: undefined }],
  });
  assert.deepEqual(rest, [state.outbox[2]]);
  // Refused for good: the group goes, and so does what did not fit of it.
  assert.deepEqual(second.refused, [state.outbox[2]]);
});

test("enqueue posts at once only when its output is all that waits and the pace allows it", () => {
  const one = added({ ...IDLE_POSTING, nextSlotAt: 1000 }, output("r1", "one"));
  assert.equal(mayPostAtOnce(one, 999), false);
  assert.equal(mayPostAtOnce(one, 1000), true);
  const two = added(one, output("r2", "two", { threadTs: "3.1" }));
  assert.equal(mayPostAtOnce(two, 5000), false);
  assert.equal(slotIsFree(two, 999), false);
  assert.equal(slotIsFree(two, 1000), true);
});

test("a group's runs are listed once each, in order", () => {
  const state = added(IDLE_POSTING, output("r1", "a"), output("r2", "b"), output("r1", "c"));
  assert.deepEqual(runsOf(state.outbox[0] as OutboxGroup), ["r1", "r2"]);
});
