import assert from "node:assert/strict";
import { test } from "node:test";
import { modeSchema, parseMode, parseModeChoice, resolveMode } from "../../../src/restate/modes.ts";

test("modes are parsed case-insensitively and anything else is no mode", () => {
  assert.equal(parseMode("interrupt"), "INTERRUPT");
  assert.equal(parseMode(" Incorporate "), "INCORPORATE");
  assert.equal(parseMode("QUEUE"), "QUEUE");
  assert.equal(parseMode("fast"), undefined);
  assert.equal(parseMode(""), undefined);
  assert.equal(parseMode(3), undefined);
});

test("`default` in any case is the choice to follow the default; anything else reads as a mode or none", () => {
  assert.equal(parseModeChoice("default"), null);
  assert.equal(parseModeChoice("DEFAULT"), null);
  assert.equal(parseModeChoice(" queue "), "QUEUE");
  assert.equal(parseModeChoice("sometimes"), undefined);
  assert.equal(parseModeChoice(undefined), undefined);
});

test("every reader of a mode reads the same modes and words its own refusal", () => {
  const schema = modeSchema({ notText: "not text", unknown: (got) => `no such mode: ${got}` });
  assert.equal(schema.parse(" incorporate "), "INCORPORATE");
  const unknown = schema.safeParse("fast");
  assert.equal(unknown.success, false);
  assert.equal(unknown.error?.issues[0]?.message, "no such mode: FAST");
  assert.equal(schema.safeParse(3).error?.issues[0]?.message, "not text");
});

test("a session's own mode wins over its channel's, which wins over the default", () => {
  assert.deepEqual(resolveMode("QUEUE", "INCORPORATE", "INTERRUPT"), { mode: "QUEUE", source: "session" });
  assert.deepEqual(resolveMode(null, "INCORPORATE", "INTERRUPT"), { mode: "INCORPORATE", source: "channel" });
  assert.deepEqual(resolveMode(null, null, "INTERRUPT"), { mode: "INTERRUPT", source: "default" });
});
