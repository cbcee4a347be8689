import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAgentModeCommand, parseThreadModeArgs } from "../../../src/slack/agentmode-command.ts";

const root = "https://acme.slack.com/archives/C0001/p1700000000000100";
const reply = "https://acme.slack.com/archives/C0001/p1700000000000200?thread_ts=1700000000.000100&cid=C0001";
const thread = { host: "acme.slack.com", channel: "C0001", threadTs: "1700000000.000100" };

test("no text or help shows the listing", () => {
  assert.deepEqual(parseAgentModeCommand(""), { kind: "help" });
  assert.deepEqual(parseAgentModeCommand("  help "), { kind: "help" });
});

test("a mode alone sets the channel's default; `default` clears it", () => {
  assert.deepEqual(parseAgentModeCommand("QUEUE"), { kind: "channel", mode: "QUEUE" });
  assert.deepEqual(parseAgentModeCommand("incorporate"), { kind: "channel", mode: "INCORPORATE" });
  assert.deepEqual(parseAgentModeCommand("default"), { kind: "channel", mode: null });
});

test("a mode and a thread link sets that thread's mode, whatever form the link takes", () => {
  for (const link of [root, reply, `<${root}>`, `<${reply}>`, `<${root}|the thread we discussed>`]) {
    assert.deepEqual(
      parseAgentModeCommand(`interrupt ${link}`),
      { kind: "thread", mode: "INTERRUPT", link: thread },
      link,
    );
  }
});

test("bad input is an error that says what was wrong", () => {
  assert.deepEqual(parseAgentModeCommand("sometimes"), {
    kind: "error",
    message: 'Unknown mode "sometimes": use interrupt, incorporate or queue.',
  });
  assert.equal(parseAgentModeCommand("queue notalink").kind, "error");
  assert.equal(parseAgentModeCommand(`queue ${root} ${root}`).kind, "error");
});

test("!agentmode takes one mode", () => {
  assert.deepEqual(parseThreadModeArgs(" Queue"), { mode: "QUEUE" });
  assert.deepEqual(parseThreadModeArgs("default"), { mode: null });
  assert.ok("error" in parseThreadModeArgs(""));
  assert.ok("error" in parseThreadModeArgs("fast"));
});
