import assert from "node:assert/strict";
import { test } from "node:test";
import {
  APPROVALS_REMEMBERED,
  decisionForModel,
  mayDecide,
  needsUndo,
  remembered,
} from "../../../src/restate/approvals.ts";

test("without APPROVERS the session's people decide; with it only the people it names, in their workspace", () => {
  assert.equal(mayDecide([], ["U1", "U2"], "T1", "U2"), true);
  assert.equal(mayDecide([], ["U1"], "T1", "U3"), false);
  const approvers = [
    { team: null, user: "U9" },
    { team: "T1", user: "U8" },
  ];
  assert.equal(mayDecide(approvers, ["U1"], "T1", "U1"), false, "being in the session is not enough");
  assert.equal(mayDecide(approvers, [], "T2", "U9"), true, "named for every workspace");
  assert.equal(mayDecide(approvers, [], "T1", "U8"), true);
  assert.equal(mayDecide(approvers, [], "T2", "U8"), false, "named for another workspace");
});

test("decided approvals are remembered newest first, each once, and bounded", () => {
  let list: { id: string; n: number }[] = [];
  for (let n = 0; n < APPROVALS_REMEMBERED + 5; n += 1) list = remembered(list, { id: `a${n}`, n });
  assert.equal(list.length, APPROVALS_REMEMBERED);
  assert.equal(list[0]?.id, `a${APPROVALS_REMEMBERED + 4}`);
  list = remembered(list, { id: "a10", n: 99 });
  assert.equal(list.filter((e) => e.id === "a10").length, 1);
  assert.equal(list[0]?.n, 99);
});

test("the model reads a denial with its reason, a timeout and a superseded wait in words", () => {
  const at = "2026-12-01T10:00:00.000Z";
  assert.match(
    decisionForModel({ verdict: "denied", by: "U1", at, reason: "not today" }),
    /^Not done: it was denied \(by Slack user U1\): not today\. Do not try it again unless asked\.$/,
  );
  assert.match(
    decisionForModel({ verdict: "timed_out", by: null, at, reason: "no decision within 24 h" }),
    /in time/,
  );
  assert.match(decisionForModel({ verdict: "superseded", by: null, at, reason: null }), /interrupted/);
});

test("an effect needs undoing when it happened or may have; not when it failed or is undone", () => {
  const effect = { id: "c1", tool: "t", title: "x", input: {} };
  assert.equal(needsUndo({ ...effect, state: "applied" }), true);
  assert.equal(needsUndo({ ...effect, state: "registered" }), true, "its step began: it may have happened");
  assert.equal(needsUndo({ ...effect, state: "failed" }), false);
  assert.equal(needsUndo({ ...effect, state: "undone" }), false);
});
