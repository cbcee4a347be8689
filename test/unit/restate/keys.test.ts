import assert from "node:assert/strict";
import { test } from "node:test";
import { TerminalError } from "@restatedev/restate-sdk";
import {
  channelKeyOf,
  parseChannelKey,
  parseHomeKey,
  parseRunKey,
  parseSessionKey,
  toChannelKey,
  toHomeKey,
  toMessageIdempotencyKey,
  toRunKey,
  toSessionKey,
} from "../../../src/restate/keys.ts";

test("a Slack thread's session key reads back as its team, channel and thread", () => {
  const key = toSessionKey("T0001", "C0001", "1700000000.000100");
  assert.equal(key, "T0001:C0001:1700000000.000100");
  assert.deepEqual(parseSessionKey(key), { team: "T0001", channel: "C0001", threadTs: "1700000000.000100" });
});

test("keys that name no Slack thread read back as none", () => {
  assert.equal(parseSessionKey("ellie"), null);
  assert.equal(parseSessionKey("a:b"), null);
  assert.equal(parseSessionKey(":C0001:1700000000.000100"), null);
  assert.equal(parseSessionKey("T0001:C0001:1700000000.000100/run"), null);
});

test("a Slack session key names its channel; other keys name none", () => {
  assert.equal(channelKeyOf("T0001:C0001:1700000000.000100"), "T0001:C0001");
  assert.equal(channelKeyOf("ellie"), null);
  assert.equal(channelKeyOf("a:b"), null);
  assert.equal(channelKeyOf("T0001:C0001:1700000000.000100/run"), null);
});

test("channel and Home keys read back as their parts; a malformed one is refused for good", () => {
  assert.equal(toChannelKey("T0001", "C0001"), "T0001:C0001");
  assert.deepEqual(parseChannelKey(toChannelKey("T0001", "C0001")), { team: "T0001", channel: "C0001" });
  assert.equal(toHomeKey("T0001", "U0001"), "T0001:U0001");
  assert.deepEqual(parseHomeKey(toHomeKey("T0001", "U0001")), { team: "T0001", user: "U0001" });
  for (const bad of ["C0001", "T0001:C0001:1700000000.000100", "T0001:"]) {
    assert.throws(() => parseChannelKey(bad), TerminalError, bad);
    assert.throws(() => parseHomeKey(bad), TerminalError, bad);
  }
});

test("each run has its own key under its session, and reads back as both", () => {
  assert.equal(toRunKey("ellie", "r1"), "ellie/r1");
  assert.deepEqual(parseRunKey(toRunKey("T0001:C0001:1700000000.000100", "r1")), {
    sessionKey: "T0001:C0001:1700000000.000100",
    runId: "r1",
  });
  // A curl session key may hold a slash; a run id never does.
  assert.deepEqual(parseRunKey(toRunKey("a/b", "r1")), { sessionKey: "a/b", runId: "r1" });
  assert.throws(() => parseRunKey("ellie"), TerminalError);
});

test("a Slack message's idempotency key is its channel and ts, whichever event carried it", () => {
  assert.equal(toMessageIdempotencyKey("C0001", "1700000000.000100"), "C0001:1700000000.000100");
});
