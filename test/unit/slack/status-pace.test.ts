import assert from "node:assert/strict";
import { test } from "node:test";
import { burstOf, type StatusBucket, takeStatusToken } from "../../../src/slack/status-pace.ts";

test("a burst goes out at once; beyond it each call waits its share of the minute", () => {
  const perMinute = 60; // a call a second, 12 at once
  assert.equal(burstOf(perMinute), 12);
  let bucket: StatusBucket | null = null;
  const waits: number[] = [];
  for (let i = 0; i < 14; i += 1) {
    const taken = takeStatusToken(bucket, 1_000_000, perMinute);
    bucket = taken.bucket;
    waits.push(taken.waitMs);
  }
  assert.deepEqual(waits, [...Array(12).fill(0), 1000, 2000]);
});

test("the bucket refills with time, never beyond the burst", () => {
  const perMinute = 60;
  const drained = { tokens: 0, at: 0 };
  assert.equal(takeStatusToken(drained, 500, perMinute).waitMs, 500, "half a token back after half a second");
  assert.equal(takeStatusToken(drained, 1000, perMinute).waitMs, 0);
  assert.equal(takeStatusToken(drained, 3_600_000, perMinute).bucket.tokens, burstOf(perMinute) - 1);
  assert.equal(burstOf(1), 1, "at least one");
});
