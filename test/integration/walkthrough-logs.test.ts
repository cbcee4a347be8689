/**
 * The walk-through in the README's "Coming from the Python example", in INTERRUPT and in QUEUE mode:
 * `npm start` with MODE set, the two curl calls made through the ingress, and the log lines the README
 * shows. (The INCORPORATE walk-through is start.test.ts's first test.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";

const seed = (content: string) => ({ content, role: "user" });

async function startWalkthrough(mode: string): Promise<MainProcess> {
  const main = startMain(
    {
      ...(await isolatedEnv()),
      MODE: mode,
      SLACK_MODE: "none",
      DEMO_ITERATION_MS: "1000",
      DEMO_DONE_PROBABILITY: "0",
      DEMO_MAX_ITERATIONS: "2",
    },
    { viaNpm: true },
  );
  await main.waitForLine(/^Ready$/);
  return main;
}

function assertLogged(main: MainProcess, expected: readonly string[]): void {
  const messages = main.lines.map((line) => line.msg);
  for (const line of expected)
    assert.ok(messages.includes(line), `missing log line: ${line}\n${main.output()}`);
}

test("npm start with MODE=INTERRUPT: the second message interrupts the run, and the new run sees both", async (t) => {
  const main = await startWalkthrough("INTERRUPT");
  // SIGTERM: npm passes it on, and the product stops its restate-server (SIGKILL would orphan both).
  t.after(() => main.stop());
  const ingress = ingressClient(main.ingressUrl);
  const first = await ingress.call<{ decision: string; runId: string }>(
    "ChatService/ellie/process_user_message",
    seed("do something"),
  );
  assert.equal(first.decision, "started");
  await main.waitForLine(/^Agent generated output for ellie: Do another iteration$/);
  const second = await ingress.call<{ decision: string; runId: string; messageId: string }>(
    "ChatService/ellie/process_user_message",
    seed("do something else"),
  );
  assert.equal(second.decision, "interrupted");
  assert.ok(second.messageId && second.runId && second.runId !== first.runId, "a new run");
  await main.waitForLine(
    /^Running iteration of agent for ellie with input items: message_history=\['do something', 'do something else'\]$/,
  );
  assertLogged(main, [
    "Starting new agent run",
    "Running iteration of agent for ellie with input items: message_history=['do something']",
    "Agent generated output for ellie: Do another iteration",
    "Interrupting ongoing agent run",
  ]);
  const order = [
    "Interrupting ongoing agent run",
    "message_history=['do something', 'do something else']",
  ].map((text) => main.lines.findIndex((line) => line.msg.includes(text)));
  assert.ok((order[0] ?? -1) < (order[1] ?? -1), "the run is interrupted before the new one runs");
});

test("npm start with MODE=queue: the second message waits, and runs after the first run is done", async (t) => {
  const main = await startWalkthrough("queue");
  // SIGTERM: npm passes it on, and the product stops its restate-server (SIGKILL would orphan both).
  t.after(() => main.stop());
  const ingress = ingressClient(main.ingressUrl);
  const first = await ingress.call<{ decision: string }>(
    "ChatService/ellie/process_user_message",
    seed("do something"),
  );
  assert.equal(first.decision, "started");
  const second = await ingress.call<{ decision: string; queuePosition?: number }>(
    "ChatService/ellie/process_user_message",
    seed("do something else"),
  );
  assert.equal(second.decision, "queued");
  assert.equal(second.queuePosition, 1);
  await main.waitForLine(
    /^Running iteration of agent for ellie with input items: message_history=\['do something', 'system: Done', 'do something else'\]$/,
  );
  assertLogged(main, [
    "Starting new agent run",
    "Queueing new input behind the ongoing agent run (position 1)",
    "Running iteration of agent for ellie with input items: message_history=['do something']",
    "Agent generated output for ellie: Done",
  ]);
  const order = [
    "Agent generated output for ellie: Done",
    "message_history=['do something', 'system: Done', 'do something else']",
  ].map((text) => main.lines.findIndex((line) => line.msg.includes(text)));
  assert.ok((order[0] ?? -1) < (order[1] ?? -1), "the second run starts when the first one is done");
});
