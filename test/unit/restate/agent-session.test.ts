import assert from "node:assert/strict";
import { test } from "node:test";
import { formatHistoryForLog, runTextLog } from "../../../src/restate/agent-session.ts";

test("the working history is logged as one line of quoted items, roles other than user named", () => {
  assert.equal(
    formatHistoryForLog([
      { role: "user", content: "do something" },
      { role: "system", content: "Do another iteration" },
    ]),
    "message_history=['do something', 'system: Do another iteration']",
  );
  assert.equal(formatHistoryForLog([]), "message_history=[]");
  assert.equal(
    formatHistoryForLog([{ role: "user", content: "it's a \\ test" }]),
    "message_history=['it\\'s a \\\\ test']",
  );
});

/** The lines a run logs, by level, through a console that only records them. */
function recorded(session: Parameters<typeof runTextLog>[1]) {
  const lines: { level: "info" | "debug"; text: string }[] = [];
  const log = runTextLog(
    {
      info: (text: string) => lines.push({ level: "info", text }),
      debug: (text: string) => lines.push({ level: "debug", text }),
    },
    session,
  );
  log.iteration(session.key, 2, [
    { role: "user", content: "my secret plan" },
    { role: "system", content: "Do another iteration" },
  ]);
  log.incorporated(session.key, 1, "and my password");
  log.output(session.key, 2, "the answer", true);
  return lines;
}

const SLACK_KEY = "T1:G1:1700000000.000100";
const origin = { team: "T1", channel: "G1", threadTs: "1700000000.000100", permalink: null };

test("a curl session logs the walk-through's lines with their text at info", () => {
  assert.deepEqual(recorded({ key: "ellie", origin: null }), [
    {
      level: "info",
      text: "Running iteration of agent for ellie with input items: message_history=['my secret plan', 'system: Do another iteration']",
    },
    { level: "info", text: "Incorporating new input for ellie: and my password" },
    { level: "info", text: "Agent generated output for ellie: the answer" },
  ]);
});

test("a Slack session logs ids and counts at info and its text only at debug", () => {
  const lines = recorded({ key: SLACK_KEY, origin });
  assert.deepEqual(
    lines.filter((line) => line.level === "info").map((line) => line.text),
    [
      `Running iteration 2 of agent for ${SLACK_KEY} with 2 input items`,
      `Incorporating new input 1 for ${SLACK_KEY}`,
      `Agent generated output for ${SLACK_KEY} in iteration 2: 10 characters, done`,
    ],
  );
  const debug = lines.filter((line) => line.level === "debug").map((line) => line.text);
  for (const text of ["my secret plan", "and my password", "the answer"])
    assert.ok(
      debug.some((line) => line.includes(text)),
      `${text} at debug`,
    );
});

test("a key that names a Slack thread is private even without an origin", () => {
  const info = recorded({ key: SLACK_KEY, origin: null }).filter((line) => line.level === "info");
  for (const text of ["my secret plan", "and my password", "the answer"])
    assert.ok(!info.some((line) => line.text.includes(text)), `${text} at info`);
});
