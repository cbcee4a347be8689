import assert from "node:assert/strict";
import { test } from "node:test";
import { decideOnMessage, parseMode, resolveMode } from "../../../src/restate/modes.ts";

test("modes are parsed case-insensitively and anything else is no mode", () => {
  assert.equal(parseMode("interrupt"), "INTERRUPT");
  assert.equal(parseMode(" Incorporate "), "INCORPORATE");
  assert.equal(parseMode("QUEUE"), "QUEUE");
  assert.equal(parseMode("fast"), undefined);
  assert.equal(parseMode(""), undefined);
  assert.equal(parseMode(3), undefined);
});

test("a session's own mode wins over its channel's, which wins over the default", () => {
  assert.deepEqual(resolveMode("QUEUE", "INCORPORATE", "INTERRUPT"), { mode: "QUEUE", source: "session" });
  assert.deepEqual(resolveMode(null, "INCORPORATE", "INTERRUPT"), { mode: "INCORPORATE", source: "channel" });
  assert.deepEqual(resolveMode(null, null, "INTERRUPT"), { mode: "INTERRUPT", source: "default" });
});

test("without a running run every mode starts one; with one, the mode decides", () => {
  for (const mode of ["INTERRUPT", "INCORPORATE", "QUEUE"] as const)
    assert.equal(decideOnMessage(false, mode), "start");
  assert.equal(decideOnMessage(true, "INTERRUPT"), "interrupt");
  assert.equal(decideOnMessage(true, "INCORPORATE"), "incorporate");
  assert.equal(decideOnMessage(true, "QUEUE"), "queue");
});
