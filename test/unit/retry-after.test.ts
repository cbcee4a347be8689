import assert from "node:assert/strict";
import { test } from "node:test";
import { retryAfterMs } from "../../src/retry-after.ts";

test("a Retry-After in seconds, as header text or as a parsed number, is a wait in milliseconds", () => {
  assert.equal(retryAfterMs("7"), 7000);
  assert.equal(retryAfterMs(" 2 "), 2000);
  assert.equal(retryAfterMs(0.5), 500);
  assert.equal(retryAfterMs(0), 0);
});

test("a missing or unreadable Retry-After names no wait", () => {
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs(null), undefined);
  assert.equal(retryAfterMs("soon"), undefined);
  assert.equal(retryAfterMs(-3), undefined);
  assert.equal(retryAfterMs(Number.NaN), undefined);
});
