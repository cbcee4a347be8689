import assert from "node:assert/strict";
import { test } from "node:test";
import { channelKeyOf, toRunKey } from "../../../src/restate/keys.ts";

test("a Slack session key names its channel; other keys name none", () => {
  assert.equal(channelKeyOf("T0001:C0001:1700000000.000100"), "T0001:C0001");
  assert.equal(channelKeyOf("ellie"), null);
  assert.equal(channelKeyOf("a:b"), null);
  assert.equal(channelKeyOf("T0001:C0001:1700000000.000100/run"), null);
});

test("each run has its own key under its session", () => {
  assert.equal(toRunKey("ellie", "r1"), "ellie/r1");
});
