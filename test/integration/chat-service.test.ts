/**
 * The three modes and the session controls end to end through the Restate ingress: real restate-server,
 * our real services, the scripted agent. Races are forced with held steps, never with sleeps.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HistoryItem } from "../../src/agent/agent.ts";
import { parseSessionKey } from "../../src/restate/keys.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type Stack, startStack, uniqueKey } from "../helpers/stack.ts";
import { type SinkCall, stepOf } from "../helpers/step-sink.ts";
import { runCompleted } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { QUEUE_MAX: "3" } });
  // Unless a test holds a step: iteration 1 of every run continues, iteration 2 ends it.
  stack.sink.setDefaultReply((call) =>
    call.iteration >= 2 ? { output: "Done", done: true } : { output: "Do another iteration", done: false },
  );
});
after(() => stack?.close());

const lines = (history: readonly HistoryItem[]) =>
  history.map((item) => (item.role === "user" ? item.content : `${item.role}: ${item.content}`));
const otherRunStep =
  (key: string, notRunId: string, iteration = 1) =>
  (call: SinkCall) =>
    call.kind === "step" &&
    call.sessionKey === key &&
    call.iteration === iteration &&
    call.runId !== notRunId;
const stepsOfRun = (runId: string) =>
  stack.sink.executions((call) => call.kind === "step" && call.runId === runId);

const idle = (key: string) => sessionReads(stack.ingress).idle(key);

async function outcomeOf(key: string, runId: string, outcome: string) {
  return waitFor(async () => ((await stack.runEnd(key, runId)) === outcome ? true : undefined), {
    what: `run ${runId} to be ${outcome}`,
  });
}

describe("a first message", () => {
  test("starts a run that sees the message, and its final output joins the history", async () => {
    const key = uniqueKey();
    const receipt = await stack.sendMessage(key, "do something");
    assert.equal(receipt.decision, "started");
    const first = await stack.sink.waitForCall(stepOf(key, 1), "the first step");
    assert.deepEqual(lines(first.history), ["do something"]);
    await idle(key);
    assert.deepEqual(await stack.history(key), [
      { role: "user", content: "do something" },
      { role: "system", content: "Done" },
    ]);
    assert.equal(stepsOfRun(receipt.runId), 2);
  });

  test("get_status shows the running run with its iteration and the input that started it", async () => {
    const key = uniqueKey();
    const held = stack.sink.hold(stepOf(key, 2));
    const receipt = await stack.sendMessage(key, "count to two", "U123");
    await held.arrived;
    const status = await stack.status(key);
    assert.equal(status.mode, "INTERRUPT");
    assert.equal(status.modeSource, "default");
    assert.equal(status.activeRun?.id, receipt.runId);
    assert.equal(status.activeRun?.iteration, 2);
    assert.equal(status.activeRun?.input.content, "count to two");
    assert.equal(status.activeRun?.input.by, "U123");
    assert.ok(Date.parse(status.activeRun?.startedAt ?? "") > 0);
    assert.deepEqual(status.queue, []);
    held.release();
    await idle(key);
  });
});

describe("INTERRUPT", () => {
  test("a new message cancels a run that is sleeping mid-iteration and starts a new run with both messages", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "interrupt");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "do something");
    await held.arrived;
    held.release({ output: "working", done: false, sleepMs: 60_000 });
    const running = await stack.status(key);
    await stack.restate.waitForJournalEntry(running.activeRun?.invocationId ?? "", "Command: Sleep");

    const second = await stack.sendMessage(key, "do something else");
    assert.equal(second.decision, "interrupted");
    assert.notEqual(second.runId, first.runId);
    const newRunStep = await stack.sink.waitForCall(stepOf(key, 1, second.runId), "the new run's first step");
    assert.deepEqual(lines(newRunStep.history), ["do something", "do something else"]);
    await outcomeOf(key, first.runId, "interrupted");
    await idle(key);
    assert.equal(stepsOfRun(first.runId), 1, "the interrupted run did nothing after its sleep was cancelled");
    assert.deepEqual(lines(await stack.history(key)), ["do something", "do something else", "system: Done"]);
  });

  test("the new run does not wait for a slow step of the old run, whose output never reaches the history", async () => {
    const key = uniqueKey();
    const slow = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "write a long report");
    await slow.arrived;

    const second = await stack.sendMessage(key, "actually, just a summary");
    assert.equal(second.decision, "interrupted");
    // The old run's step is still held: the new run must get going anyway.
    const newRunStep = await stack.sink.waitForCall(stepOf(key, 1, second.runId), "the new run's first step");
    assert.deepEqual(lines(newRunStep.history), ["write a long report", "actually, just a summary"]);

    slow.release({ output: "a very late report", done: true });
    // What the old run does with its late answer it has done once its invocation is over, and a message
    // sent after that is handled by the session after anything the old run sent it.
    await runCompleted(stack.restate, key, first.runId);
    // The new run answers before the next message, which would otherwise interrupt it (the mode is INTERRUPT).
    await outcomeOf(key, second.runId, "done");
    const third = await stack.sendMessage(key, "thanks");
    await outcomeOf(key, third.runId, "done");
    await idle(key);
    assert.equal(stepsOfRun(first.runId), 1);
    const history = lines(await stack.history(key));
    assert.ok(!history.some((line) => line.includes("a very late report")), `history: ${history}`);
    assert.deepEqual(history, [
      "write a long report",
      "actually, just a summary",
      "system: Done",
      "thanks",
      "system: Done",
    ]);
    await outcomeOf(key, first.runId, "interrupted");
  });
});

describe("INCORPORATE", () => {
  test("a message during a run is taken in at the run's next iteration", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "INCORPORATE");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "do something");
    await held.arrived;
    const second = await stack.sendMessage(key, "do something else");
    assert.equal(second.decision, "incorporated");
    assert.equal(second.runId, first.runId);
    assert.deepEqual(
      (await stack.status(key)).activeRun?.incorporated.map((input) => input.content),
      ["do something else"],
    );

    held.release({ output: "Do another iteration", done: false });
    const next = await stack.sink.waitForCall(stepOf(key, 2, first.runId), "the second iteration");
    assert.deepEqual(lines(next.history), [
      "do something",
      "system: Do another iteration",
      "do something else",
    ]);
    await idle(key);
    assert.equal(
      stack.sink.executions((call) => call.sessionKey === key && call.runId !== first.runId),
      0,
    );
    assert.deepEqual(lines(await stack.history(key)), ["do something", "do something else", "system: Done"]);
  });

  test("a message handed over after the run's last iteration starts a new run (message first, run end second)", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "INCORPORATE");
    const last = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "do something");
    await last.arrived;
    const second = await stack.sendMessage(key, "and one more thing");
    assert.equal(second.decision, "incorporated");
    // The run was already in its last iteration: it ends without having taken the message in.
    last.release({ output: "Finished the first thing", done: true });

    const rerun = await stack.sink.waitForCall(
      otherRunStep(key, first.runId),
      "a new run for the late message",
    );
    assert.deepEqual(lines(rerun.history), [
      "do something",
      "system: Finished the first thing",
      "and one more thing",
    ]);
    await idle(key);
    assert.equal(stepsOfRun(first.runId), 1);
    assert.deepEqual(lines(await stack.history(key)), [
      "do something",
      "system: Finished the first thing",
      "and one more thing",
      "system: Done",
    ]);
  });

  test("a message that arrives after the run has ended starts a new run (run end first, message second)", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "INCORPORATE");
    const last = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "do something");
    await last.arrived;
    last.release({ output: "Finished", done: true });
    await idle(key);

    const second = await stack.sendMessage(key, "and one more thing");
    assert.equal(second.decision, "started");
    assert.notEqual(second.runId, first.runId);
    await idle(key);
    assert.deepEqual(lines(await stack.history(key)), [
      "do something",
      "system: Finished",
      "and one more thing",
      "system: Done",
    ]);
  });
});

describe("QUEUE", () => {
  test("three messages in quick succession run one after another, each run seeing the history at its start", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "queue");
    const firstStep = stack.sink.hold(stepOf(key, 1));
    const receipts = [
      await stack.sendMessage(key, "first"),
      await stack.sendMessage(key, "second"),
      await stack.sendMessage(key, "third"),
    ];
    assert.deepEqual(
      receipts.map((r) => r.decision),
      ["started", "queued", "queued"],
    );
    assert.deepEqual(
      receipts.map((r) => r.queuePosition),
      [undefined, 1, 2],
    );
    const queued = await stack.status(key);
    assert.deepEqual(
      queued.queue.map((entry) => entry.content),
      ["second", "third"],
    );
    assert.ok(queued.queue.every((entry) => entry.id && Date.parse(entry.at) > 0));
    await firstStep.arrived;

    const runOne = receipts[0]?.runId ?? "";
    const secondStep = stack.sink.hold(otherRunStep(key, runOne));
    firstStep.release({ output: "answer one", done: true });
    const second = await secondStep.arrived;
    assert.deepEqual(lines(second.history), ["first", "system: answer one", "second"]);
    const during = await stack.status(key);
    assert.equal(during.activeRun?.input.content, "second");
    assert.deepEqual(
      during.queue.map((entry) => entry.content),
      ["third"],
    );

    const thirdStep = stack.sink.hold(
      (call) =>
        call.kind === "step" &&
        call.sessionKey === key &&
        call.iteration === 1 &&
        ![runOne, second.runId].includes(call.runId),
    );
    secondStep.release({ output: "answer two", done: true });
    const third = await thirdStep.arrived;
    assert.deepEqual(lines(third.history), [
      "first",
      "system: answer one",
      "second",
      "system: answer two",
      "third",
    ]);
    thirdStep.release({ output: "answer three", done: true });
    await idle(key);
    assert.deepEqual(lines(await stack.history(key)), [
      "first",
      "system: answer one",
      "second",
      "system: answer two",
      "third",
      "system: answer three",
    ]);
  });

  test("remove_queued takes a message out of the queue; an unknown id is refused and changes nothing", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "first");
    const second = await stack.sendMessage(key, "second");
    await stack.sendMessage(key, "third");
    await held.arrived;

    const unknown = await stack.ingress.request(`ChatService/${key}/remove_queued`, { id: "no-such-id" });
    assert.equal(unknown.status, 404);
    assert.match(unknown.message, /No queued message has id "no-such-id"/);
    assert.equal((await stack.status(key)).queue.length, 2);

    const removed = await stack.ingress.call<{ removed: { content: string } }>(
      `ChatService/${key}/remove_queued`,
      {
        id: second.messageId,
      },
    );
    assert.equal(removed.removed.content, "second");
    assert.deepEqual(
      (await stack.status(key)).queue.map((entry) => entry.content),
      ["third"],
    );

    const next = stack.sink.hold(otherRunStep(key, first.runId));
    held.release({ output: "one", done: true });
    const nextCall = await next.arrived;
    assert.deepEqual(lines(nextCall.history), ["first", "system: one", "third"]);
    next.release({ output: "three", done: true });
    await idle(key);
    assert.deepEqual(lines(await stack.history(key)), ["first", "system: one", "third", "system: three"]);
  });

  test("a message beyond QUEUE_MAX is refused with a clear error and changes nothing", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    const held = stack.sink.hold(stepOf(key, 1));
    await stack.sendMessage(key, "running");
    for (const text of ["q1", "q2", "q3"])
      assert.equal((await stack.sendMessage(key, text)).decision, "queued");
    await held.arrived;
    const before = await stack.status(key);

    const refused = await stack.ingress.request(`ChatService/${key}/process_user_message`, { content: "q4" });
    assert.equal(refused.status, 429);
    assert.match(refused.message, /queue is full \(3 of 3 messages are waiting\)/);
    const afterRefusal = await stack.status(key);
    assert.deepEqual(afterRefusal.queue, before.queue);
    assert.equal(afterRefusal.historyLength, before.historyLength);

    await stack.ingress.call(`ChatService/${key}/reset`);
  });
});

describe("session controls", () => {
  test("stop_run cancels the active run, and the next queued message starts", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "long job");
    await stack.sendMessage(key, "next job");
    await held.arrived;

    const next = stack.sink.hold(otherRunStep(key, first.runId));
    const stopped = await stack.ingress.call<{ stoppedRunId: string; nextRunId: string }>(
      `ChatService/${key}/stop_run`,
    );
    assert.equal(stopped.stoppedRunId, first.runId);
    const nextCall = await next.arrived;
    assert.equal(nextCall.runId, stopped.nextRunId);
    assert.deepEqual(lines(nextCall.history), ["long job", "next job"]);
    held.release({ output: "too late", done: true });
    next.release({ output: "next done", done: true });
    await outcomeOf(key, first.runId, "interrupted");
    await idle(key);
    assert.deepEqual(lines(await stack.history(key)), ["long job", "next job", "system: next done"]);
  });

  test("stop_run without a running run changes nothing", async () => {
    const key = uniqueKey();
    await stack.sendMessage(key, "quick");
    await idle(key);
    const before = await stack.history(key);
    assert.deepEqual(await stack.ingress.call(`ChatService/${key}/stop_run`), {
      stoppedRunId: null,
      nextRunId: null,
    });
    assert.deepEqual(await stack.history(key), before);
  });

  test("reset stops the run and forgets the queue and the history, but keeps the session's mode", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "one");
    await stack.sendMessage(key, "two");
    await held.arrived;

    const reset = await stack.ingress.call<{ stoppedRunId: string; droppedQueued: number }>(
      `ChatService/${key}/reset`,
    );
    assert.deepEqual(reset, { stoppedRunId: first.runId, droppedQueued: 1 });
    held.release({ output: "ignored", done: true });
    await outcomeOf(key, first.runId, "interrupted");
    const status = await stack.status(key);
    assert.equal(status.activeRun, null);
    assert.deepEqual(status.queue, []);
    assert.equal(status.historyLength, 0);
    assert.equal(status.mode, "QUEUE");
    assert.deepEqual(await stack.history(key), []);
    // A dropped message could still start a run after the reset; a later message is handled after
    // anything the reset or the stopped run sent the session.
    await runCompleted(stack.restate, key, first.runId);
    const later = await stack.sendMessage(key, "three");
    await outcomeOf(key, later.runId, "done");
    await idle(key);
    assert.equal(
      stack.sink.executions((call) => call.sessionKey === key && call.runId !== later.runId),
      1,
      "the queued message never ran",
    );
    assert.deepEqual(lines(await stack.history(key)), ["three", "system: Done"]);
  });

  test("a run that fails for good ends as failed, and the queue moves on", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    const held = stack.sink.hold(stepOf(key, 1));
    const first = await stack.sendMessage(key, "break please");
    await stack.sendMessage(key, "then this");
    await held.arrived;
    held.release({ output: "", done: false, fail: "the model refused" });
    await outcomeOf(key, first.runId, "failed");
    await idle(key);
    assert.deepEqual(lines(await stack.history(key)), ["break please", "then this", "system: Done"]);
  });

  test("a session without its own mode follows its channel's default, and its own mode wins", async () => {
    const key = `T0001:C${process.pid}:1700000000.000100`;
    await stack.adapter.call(`ChannelSettings/T0001:C${process.pid}/set_mode`, { mode: "queue" });
    let status = await stack.status(key);
    assert.deepEqual([status.mode, status.modeSource], ["QUEUE", "channel"]);

    const held = stack.sink.hold(stepOf(key, 1));
    await stack.sendMessage(key, "first");
    assert.equal((await stack.sendMessage(key, "second")).decision, "queued");
    await stack.setMode(key, "INCORPORATE");
    status = await stack.status(key);
    assert.deepEqual([status.mode, status.modeSource], ["INCORPORATE", "session"]);
    assert.equal((await stack.sendMessage(key, "third")).decision, "incorporated");
    await stack.setMode(key, null);
    assert.equal((await stack.status(key)).modeSource, "channel");
    await held.arrived;
    held.release({ output: "Done", done: true });
    await idle(key);
    // "third" was handed to the first run too late, so it ran next, before the queued "second".
    assert.deepEqual(lines(await stack.history(key)), [
      "first",
      "system: Done",
      "third",
      "system: Done",
      "second",
      "system: Done",
    ]);
  });
});

describe("channel defaults", () => {
  test("a change of a channel's default reaches the sessions already in it", async () => {
    const channel = `C${process.pid}PUSH`;
    const sessions = [`T0001:${channel}:1700000000.000100`, `T0001:${channel}:1700000000.000200`];
    for (const key of sessions) {
      const threadTs = parseSessionKey(key)?.threadTs;
      await stack.adapter.call(`ChatService/${key}/process_user_message`, {
        content: "hello",
        source: { team: "T0001", channel, ts: threadTs, threadTs },
      });
    }
    assert.equal((await stack.status(sessions[0] ?? "")).modeSource, "default");
    await stack.adapter.call(`ChannelSettings/T0001:${channel}/set_mode`, { mode: "incorporate" });
    for (const key of sessions) {
      await waitFor(
        async () => {
          const status = await stack.status(key);
          return status.mode === "INCORPORATE" && status.modeSource === "channel" ? true : undefined;
        },
        { what: `${key} to follow the new default` },
      );
    }
    const overview = await stack.ingress.call<{ sessions: string[] }>(
      `ChannelSettings/T0001:${channel}/get_overview`,
    );
    assert.deepEqual([...overview.sessions].sort(), [...sessions].sort());
  });
});

describe("bad input", () => {
  test("an unknown mode is refused with a clear error and changes nothing", async () => {
    const key = uniqueKey();
    await stack.setMode(key, "QUEUE");
    for (const body of [{ mode: "FAST" }, { mode: 3 }, {}]) {
      const response = await stack.ingress.request(`ChatService/${key}/set_mode`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.message, /mode/);
    }
    const fast = await stack.ingress.request(`ChatService/${key}/set_mode`, { mode: "FAST" });
    assert.match(fast.message, /unknown mode "FAST": use one of INTERRUPT, INCORPORATE, QUEUE/);
    assert.equal((await stack.status(key)).mode, "QUEUE");
    const channel = await stack.ingress.request("ChannelSettings/T1:C1/set_mode", { mode: "sometimes" });
    assert.equal(channel.status, 400);
  });

  test("malformed messages are refused with a clear error and start nothing", async () => {
    const key = uniqueKey();
    const cases: [unknown, RegExp][] = [
      [{ role: "user" }, /content/],
      [{ content: "   " }, /content must not be empty/],
      [{ content: 42 }, /content must be a string/],
      [{ content: "hi", role: "assistant" }, /role must be "user"/],
      ["{not json", /./],
      [{ content: "x".repeat(100_001) }, /at most 100000 characters/],
    ];
    for (const [body, message] of cases) {
      const response = await stack.ingress.request(`ChatService/${key}/process_user_message`, body);
      assert.equal(
        response.status,
        400,
        `${JSON.stringify(body).slice(0, 40)} -> ${response.status} ${response.text}`,
      );
      assert.match(response.message, message);
    }
    const status = await stack.status(key);
    assert.equal(status.activeRun, null);
    assert.equal(status.historyLength, 0);
    assert.equal(
      stack.sink.executions((call) => call.sessionKey === key),
      0,
    );
  });

  test("handlers meant for our own objects cannot be called through the ingress", async () => {
    const key = uniqueKey();
    await stack.sendMessage(key, "hello");
    const run = await stack.ingress.request(`AgentSession/${key}%2Ffake/run`, {
      sessionKey: key,
      runId: "fake",
      history: [],
    });
    assert.equal(run.status, 400);
    assert.match(run.message, /not public/);
    const status = await stack.status(key);
    const ended = await stack.ingress.request(`ChatService/${key}/run_ended`, {
      runId: status.activeRun?.id ?? "x",
      outcome: "done",
      output: "forged",
      consumed: 0,
    });
    assert.equal(ended.status, 400);
    await idle(key);
    assert.ok(!(await stack.history(key)).some((entry) => entry.content === "forged"));
  });
});
