import assert from "node:assert/strict";
import { test } from "node:test";
import { answerOf } from "../../../../src/slack/listeners/feedback.ts";

const where = { team: "T0001", channel: "C0001" };
const payload = (parts: unknown[], sessionKey = "T0001:C0001:1700000000.000100") => ({
  event_type: "agent_output",
  event_payload: { post_id: "p", session_key: sessionKey, parts },
});

test("the answer a message shows is its session and the run of its final part", () => {
  const parts = [
    { run_id: "earlier", iteration: 3, continued: false, final: true },
    { run_id: "next", iteration: 1, continued: false, final: false },
  ];
  assert.deepEqual(answerOf(payload(parts), where), {
    sessionKey: "T0001:C0001:1700000000.000100",
    runId: "earlier",
  });
  // A live message's metadata names its run without saying final.
  assert.equal(answerOf(payload([{ run_id: "live", iteration: 2, continued: false }]), where)?.runId, "live");
});

test("metadata that is not ours, or names another place, names no answer", () => {
  const parts = [{ run_id: "r", iteration: 1, continued: false, final: true }];
  assert.equal(answerOf(undefined, where), null);
  assert.equal(answerOf({ event_type: "something_else", event_payload: {} }, where), null);
  assert.equal(answerOf(payload(parts, "T0002:C0001:1700000000.000100"), where), null, "another workspace");
  assert.equal(answerOf(payload(parts, "T0001:C0002:1700000000.000100"), where), null, "another channel");
  assert.equal(answerOf(payload(parts, "ellie"), where), null);
  assert.equal(answerOf(payload([]), where), null);
});
