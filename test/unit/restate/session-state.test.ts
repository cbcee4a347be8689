import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ActiveRun,
  acceptMessage,
  enqueue,
  FEEDBACK_KEPT,
  type FeedbackEntry,
  handOver,
  keepsCompaction,
  NEW_SESSION,
  nextRunInputs,
  planMessage,
  removeQueued,
  SessionError,
  settleRun,
  settleStoppedRun,
  type UserInput,
  withFeedback,
} from "../../../src/restate/session-state.ts";

const input = (id: string, content = id, by: string | null = null): UserInput => ({
  id,
  content,
  role: "user",
  at: "2026-01-01T00:00:00.000Z",
  by,
  source: null,
});
const ids = (inputs: readonly UserInput[]) => inputs.map((i) => i.id);
const run = (incorporated: UserInput[]): ActiveRun => ({
  id: "run-1",
  invocationId: "inv_1",
  key: "s/run-1",
  startedAt: "2026-01-01T00:00:00.000Z",
  inputs: [input("m1")],
  incorporated,
});

test("enqueue adds at the end, and refuses beyond the cap without changing the queue", () => {
  const queue = enqueue(enqueue([], input("a"), 2), input("b"), 2);
  assert.deepEqual(
    queue.map((q) => q.id),
    ["a", "b"],
  );
  assert.throws(
    () => enqueue(queue, input("c"), 2),
    (error: unknown) =>
      error instanceof SessionError && error.status === 429 && /queue is full \(2 of 2/.test(error.message),
  );
  assert.equal(queue.length, 2);
});

test("removeQueued takes out exactly the message with that id", () => {
  const { queue, removed } = removeQueued([input("a"), input("b"), input("c")], "b");
  assert.equal(removed.id, "b");
  assert.deepEqual(
    queue.map((q) => q.id),
    ["a", "c"],
  );
  assert.throws(
    () => removeQueued(queue, "zzz"),
    (error: unknown) => error instanceof SessionError && error.status === 404,
  );
});

test("a finished run adds the inputs it took in, then its output; the rest start the next run", () => {
  const settled = settleRun(run([input("i1", "first extra"), input("i2", "second extra")]), {
    runId: "run-1",
    outcome: "done",
    output: "All done",
    consumed: 1,
  });
  assert.deepEqual(settled.additions, [
    { role: "user", content: "first extra" },
    { role: "system", content: "All done" },
  ]);
  assert.deepEqual(
    settled.unconsumed.map((u) => u.id),
    ["i2"],
  );
  assert.deepEqual(ids(settled.ended), ["m1", "i1"]);
});

test("a failed run adds no output, and a report cannot claim more inputs than it was given", () => {
  const failed = settleRun(run([input("i1")]), {
    runId: "run-1",
    outcome: "failed",
    error: "boom",
    consumed: 0,
  });
  assert.deepEqual(failed.additions, []);
  assert.equal(failed.unconsumed.length, 1);
  const greedy = settleRun(run([input("i1")]), { runId: "run-1", outcome: "done", output: "x", consumed: 5 });
  assert.equal(greedy.unconsumed.length, 0);
  assert.equal(greedy.additions.length, 2);
});

test("a run that reports its messages adds them as they are; the inputs it took in end with it", () => {
  const messages = [
    { role: "user", content: "first extra" },
    { role: "assistant", content: "ok" },
  ];
  const settled = settleRun(run([input("i1"), input("i2")]), {
    runId: "run-1",
    outcome: "done",
    output: "ok",
    consumed: 1,
    messages,
  });
  assert.deepEqual(settled.additions, messages);
  assert.deepEqual(ids(settled.ended), ["m1", "i1"]);
  assert.deepEqual(ids(settled.unconsumed), ["i2"]);
});

test("a run stopped from outside leaves every message it was handed in the history, and all end with it", () => {
  const settled = settleStoppedRun(run([input("i1", "first extra"), input("i2", "second extra")]));
  assert.deepEqual(settled.additions, [
    { role: "user", content: "first extra" },
    { role: "user", content: "second extra" },
  ]);
  assert.deepEqual(ids(settled.ended), ["m1", "i1", "i2"]);
  assert.deepEqual(settled.unconsumed, []);
});

test("without an active run every mode starts one; with one, the mode decides and the plan carries the run", () => {
  for (const mode of ["INTERRUPT", "INCORPORATE", "QUEUE"] as const) {
    assert.deepEqual(planMessage(null, input("new"), 3), { outcome: "start" });
    const active = run([]);
    const queue = [input("q1")];
    const plan = planMessage({ active, mode, queue }, input("new"), 3);
    assert.equal(plan.outcome, { INTERRUPT: "interrupt", INCORPORATE: "incorporate", QUEUE: "queue" }[mode]);
    assert.ok(plan.outcome !== "start");
    assert.equal(plan.active, active);
    assert.deepEqual(ids(plan.queue), mode === "QUEUE" ? ["q1", "new"] : ["q1"]);
  }
});

test("a message for a full queue is refused by the plan, whatever else is running", () => {
  const queue = [input("q1"), input("q2")];
  assert.throws(
    () => planMessage({ active: run([]), mode: "QUEUE", queue }, input("new"), 2),
    (error: unknown) => error instanceof SessionError && error.status === 429,
  );
  assert.deepEqual(ids(queue), ["q1", "q2"]);
  // Other modes never add to the queue, so a full one does not stop them.
  assert.equal(
    planMessage({ active: run([]), mode: "INTERRUPT", queue }, input("new"), 2).outcome,
    "interrupt",
  );
});

test("a first message creates the session; later ones only add new writers, and no change is the same object", () => {
  const origin = { team: "T1", channel: "C1", threadTs: "1.1", permalink: null };
  const created = acceptMessage(NEW_SESSION, input("m1", "x".repeat(300), "U1"), origin, true);
  assert.equal(created.createdAt, "2026-01-01T00:00:00.000Z");
  assert.equal(created.title, "x".repeat(200));
  assert.deepEqual(created.origin, origin);
  assert.deepEqual(created.people, ["U1"]);
  assert.equal(created.channelModeKnown, false);
  assert.equal(acceptMessage(NEW_SESSION, input("m1"), null, false).channelModeKnown, true);

  const second = acceptMessage(created, input("m2", "later", "U2"), null, true);
  assert.deepEqual(second.people, ["U1", "U2"]);
  assert.equal(second.title, created.title);
  assert.deepEqual(second.origin, origin);
  assert.equal(acceptMessage(second, input("m3", "again", "U1"), null, true), second);
  assert.equal(acceptMessage(second, input("m4"), null, true), second);
});

test("each message handed to a run goes out on the next numbered signal", () => {
  const first = handOver(run([]), input("i1"));
  assert.equal(first.signal, "input-1");
  assert.deepEqual(ids(first.run.incorporated), ["i1"]);
  const second = handOver(first.run, input("i2"));
  assert.equal(second.signal, "input-2");
  assert.deepEqual(ids(second.run.incorporated), ["i1", "i2"]);
  assert.equal(second.run.id, "run-1");
});

test("after a run, messages it never took in run next, then the head of the queue, else nothing", () => {
  const queue = [input("q1"), input("q2")];
  const leftovers = nextRunInputs([input("i1"), input("i2")], queue);
  assert.deepEqual(ids(leftovers.inputs), ["i1", "i2"]);
  assert.deepEqual(ids(leftovers.queue), ["q1", "q2"]);
  assert.equal(leftovers.fromQueue, false);

  const fromQueue = nextRunInputs([], queue);
  assert.deepEqual(ids(fromQueue.inputs), ["q1"]);
  assert.deepEqual(ids(fromQueue.queue), ["q2"]);
  assert.equal(fromQueue.fromQueue, true);

  const idle = nextRunInputs([], []);
  assert.deepEqual(idle, { inputs: [], queue: [], fromQueue: false });
});

test("feedback: one entry per person per answer, the latest click counts, a repeat changes nothing", () => {
  const at = "2026-12-01T00:00:00.000Z";
  const click = (runId: string, user: string, value: FeedbackEntry["value"]): FeedbackEntry => ({
    runId,
    user,
    value,
    at,
  });
  const first = withFeedback([], click("r1", "U1", "positive"));
  assert.deepEqual(first?.counts, { positive: 1, negative: 0 });
  assert.equal(
    withFeedback(first?.entries ?? [], click("r1", "U1", "positive")),
    null,
    "a repeat is no change",
  );
  const changed = withFeedback(first?.entries ?? [], click("r1", "U1", "negative"));
  assert.deepEqual(changed?.entries, [click("r1", "U1", "negative")]);
  const more = withFeedback(changed?.entries ?? [], click("r2", "U1", "positive"));
  assert.deepEqual(more?.counts, { positive: 1, negative: 1 }, "another answer is another entry");
  // Two clicks that arrive out of order: the one made first, arriving last, changes nothing.
  const later = { ...click("r1", "U1", "positive"), at: "2026-12-01T00:00:05.000Z" };
  const earlier = { ...click("r1", "U1", "negative"), at: "2026-12-01T00:00:01.000Z" };
  const afterLater = withFeedback([], later)?.entries ?? [];
  assert.equal(withFeedback(afterLater, earlier), null, "the later click counts");
  let many: FeedbackEntry[] = [];
  for (let i = 0; i <= FEEDBACK_KEPT; i += 1)
    many = withFeedback(many, click(`r${i}`, "U1", "positive"))?.entries ?? many;
  assert.equal(many.length, FEEDBACK_KEPT, "bounded");
  assert.equal(many[0]?.runId, "r1", "the oldest goes first");
});

test("a compaction is kept only from the active run, building on the summary in force, over items in the history", () => {
  const session = { activeRunId: "r2", current: 10, length: 40 };
  assert.equal(keepsCompaction({ runId: "r2", from: 10, through: 30 }, session), true);
  assert.equal(
    keepsCompaction({ runId: "r1", from: 10, through: 30 }, session),
    false,
    "a run ended by an interrupt, late",
  );
  assert.equal(
    keepsCompaction({ runId: "r2", from: 0, through: 30 }, { activeRunId: null, current: 0, length: 40 }),
    false,
    "after a reset nothing is active",
  );
  assert.equal(
    keepsCompaction({ runId: "r2", from: 0, through: 30 }, session),
    false,
    "built on an older summary",
  );
  assert.equal(
    keepsCompaction({ runId: "r2", from: 10, through: 41 }, session),
    false,
    "items not in the history",
  );
  assert.equal(keepsCompaction({ runId: "r2", from: 10, through: 10 }, session), false, "nothing new");
});
