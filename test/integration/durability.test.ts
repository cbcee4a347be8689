/**
 * Crashes at named points of a run, triggered by gates (a held step or run start), never by timers.
 * After the restart the run must finish; every step journaled before the kill ran exactly once, and only
 * the step in flight may have run again. Executions are counted by the step sink, outside the process.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack, uniqueKey } from "../helpers/stack.ts";
import { type SinkCall, stepOf } from "../helpers/step-sink.ts";
import { runInvocations } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

let stack: Stack;
before(async () => {
  stack = await startStack({ servicesInChild: true, gateRunStart: true });
  stack.sink.setDefaultReply((call) =>
    call.iteration >= 2 ? { output: "Done", done: true } : { output: "Do another iteration", done: false },
  );
});
after(() => stack?.close());

const runStartOf = (key: string) => (call: SinkCall) => call.kind === "run-start" && call.sessionKey === key;

async function finished(key: string) {
  return waitFor(
    async () => {
      const history = await stack.history(key);
      return history.at(-1)?.content === "Done" ? history : undefined;
    },
    { what: `the run of ${key} to finish`, timeoutMs: 30_000 },
  );
}

const runCount = async (key: string) => (await runInvocations(stack.restate, key)).length;

type Crash = { name: string; crash: () => Promise<void> };
const crashes: Crash[] = [
  {
    name: "the services process",
    crash: async () => {
      await stack.services?.kill();
      await stack.services?.start();
    },
  },
  { name: "restate-server", crash: () => stack.restate.killAndRestart() },
];

for (const { name, crash } of crashes) {
  describe(`SIGKILL of ${name}`, () => {
    test("during a durable sleep: the run resumes after it, and no journaled step runs again", async () => {
      const key = uniqueKey("sleep");
      const first = stack.sink.hold(stepOf(key, 1));
      await stack.sendMessage(key, "sleep on it");
      await first.arrived;
      first.release({ output: "Do another iteration", done: false, sleepMs: 1500 });
      const status = await stack.status(key);
      await stack.restate.waitForJournalEntry(status.activeRun?.invocationId ?? "", "Command: Sleep");

      await crash();

      const history = await finished(key);
      assert.deepEqual(
        history.map((entry) => entry.content),
        ["sleep on it", "Done"],
      );
      assert.equal(stack.sink.executions(stepOf(key, 1)), 1, "the journaled step ran once");
      assert.equal(stack.sink.executions(stepOf(key, 2)), 1);
      assert.equal(await runCount(key), 1, "one AgentSession run, resumed rather than started again");
    });

    test("inside a step: only the step in flight runs again", async () => {
      const key = uniqueKey("step");
      const inFlight = stack.sink.hold(stepOf(key, 2));
      await stack.sendMessage(key, "work hard");
      const dead = await inFlight.arrived;

      await crash();

      // Restate retries the run: the journaled first step is replayed, the second one runs again.
      const retried = await stack.sink.waitForCall(
        (call) => stepOf(key, 2)(call) && call.attempt === 2,
        "the retried step",
      );
      assert.equal(retried.runId, dead.runId, "the same run, retried");
      assert.deepEqual(retried.history, dead.history, "the retry sees what the journaled first step gave");
      inFlight.release({ output: "answer from the dead attempt", done: true });
      const history = await finished(key);
      assert.deepEqual(
        history.map((entry) => entry.content),
        ["work hard", "Done"],
      );
      assert.equal(stack.sink.executions(stepOf(key, 1)), 1, "the journaled step ran once");
      assert.equal(stack.sink.executions(stepOf(key, 2)), 2, "the step in flight ran again, once");
      assert.equal(await runCount(key), 1);
    });

    test("between ChatService accepting a message and the run starting: exactly one run, started once", async () => {
      const key = uniqueKey("start");
      const starting = stack.sink.hold(runStartOf(key));
      const receipt = await stack.sendMessage(key, "begin");
      assert.equal(receipt.decision, "started");
      await starting.arrived;

      await crash();
      starting.release();

      const history = await finished(key);
      assert.deepEqual(
        history.map((entry) => entry.content),
        ["begin", "Done"],
      );
      assert.equal(await runCount(key), 1, "one AgentSession run for the message");
      assert.equal(stack.sink.executions(stepOf(key, 1)), 1);
      assert.equal(stack.sink.executions(stepOf(key, 2)), 1);
      const status = await stack.status(key);
      assert.equal(status.activeRun, null);
      assert.equal(status.historyLength, 2);
    });
  });
}
