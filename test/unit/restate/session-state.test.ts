import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ActiveRun,
  enqueue,
  removeQueued,
  SessionError,
  settleRun,
  type UserInput,
} from "../../../src/restate/session-state.ts";

const input = (id: string, content = id): UserInput => ({
  id,
  content,
  role: "user",
  at: "2026-01-01T00:00:00.000Z",
  by: null,
  source: null,
});
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
