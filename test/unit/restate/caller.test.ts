import assert from "node:assert/strict";
import { test } from "node:test";
import {
  NONCE_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_MAX_AGE_MS,
  SIGNED_WRITE_MAX_AGE_MS,
  type SignedTarget,
  signRequest,
  TIMESTAMP_HEADER,
  verifyRequest,
} from "../../../src/restate/caller.ts";

const KEY = "k".repeat(64);
const NOW = 1_800_000_000_000;
const target: SignedTarget = {
  service: "ChatService",
  handler: "reset",
  key: "T0001:C0001:1700000000.000100",
};
const body = new TextEncoder().encode(JSON.stringify({ by: "U0ALICE01" }));

function request(
  headers: Record<string, string>,
  overrides: { target?: Partial<SignedTarget>; body?: Uint8Array } = {},
) {
  return {
    target: { ...target, ...overrides.target },
    headers: new Map(Object.entries(headers)),
    body: overrides.body ?? body,
  };
}

test("a request signed for its target, body and time verifies", () => {
  const headers = signRequest(KEY, target, body, NOW);
  const verdict = verifyRequest(KEY, request(headers), NOW + 1000);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.ok && verdict.signedAt, NOW);
});

test("two identical requests are two signatures (each carries its own nonce), and a rewritten nonce is refused", () => {
  const first = signRequest(KEY, target, body, NOW);
  const second = signRequest(KEY, target, body, NOW);
  const a = verifyRequest(KEY, request(first), NOW);
  const b = verifyRequest(KEY, request(second), NOW);
  assert.ok(a.ok && b.ok);
  assert.notEqual(a.signature, b.signature);
  const rewritten = { ...first, [NONCE_HEADER]: second[NONCE_HEADER] ?? "" };
  const verdict = verifyRequest(KEY, request(rewritten), NOW);
  assert.equal(verdict.ok ? null : verdict.reason, "mismatch");
});

test("a request without the adapter's headers is unsigned", () => {
  const verdict = verifyRequest(KEY, request({}), NOW);
  assert.equal(verdict.ok, false);
  assert.equal(verdict.ok ? null : verdict.reason, "unsigned");
});

test("a signed request replayed to another key, handler or service is refused", () => {
  const headers = signRequest(KEY, target, body, NOW);
  for (const other of [
    { key: "T0001:C0002:1700000000.000100" },
    { handler: "stop_run" },
    { service: "ChannelSettings" },
  ]) {
    const verdict = verifyRequest(KEY, request(headers, { target: other }), NOW);
    assert.equal(verdict.ok ? null : verdict.reason, "mismatch", JSON.stringify(other));
  }
});

test("a signed request with a tampered body is refused", () => {
  const headers = signRequest(KEY, target, body, NOW);
  const tampered = new TextEncoder().encode(JSON.stringify({ by: "U0MALLORY" }));
  const verdict = verifyRequest(KEY, request(headers, { body: tampered }), NOW);
  assert.equal(verdict.ok ? null : verdict.reason, "mismatch");
});

test("a signature made with another key, or a rewritten timestamp, is refused", () => {
  const other = signRequest("o".repeat(64), target, body, NOW);
  assert.equal(verifyRequest(KEY, request(other), NOW).ok, false);
  const headers = signRequest(KEY, target, body, NOW - 10 * SIGNATURE_MAX_AGE_MS);
  const rewritten = { ...headers, [TIMESTAMP_HEADER]: String(NOW) };
  const verdict = verifyRequest(KEY, request(rewritten), NOW);
  assert.equal(verdict.ok ? null : verdict.reason, "mismatch");
});

test("a signed request older (or further ahead) than the allowed age is stale", () => {
  const headers = signRequest(KEY, target, body, NOW);
  assert.equal(verifyRequest(KEY, request(headers), NOW + SIGNATURE_MAX_AGE_MS).ok, true);
  const late = verifyRequest(KEY, request(headers), NOW + SIGNATURE_MAX_AGE_MS + 1);
  assert.equal(late.ok ? null : late.reason, "stale");
  assert.match(late.ok ? "" : late.message, /300 s old; at most 300 s are accepted/);
  const early = verifyRequest(KEY, request(headers), NOW - SIGNATURE_MAX_AGE_MS - 1);
  assert.equal(early.ok ? null : early.reason, "stale");
});

test("a write may be a day old (it may have waited in Restate while the services were down), not older", () => {
  const headers = signRequest(KEY, target, body, NOW);
  const hourLater = NOW + 60 * 60_000;
  assert.equal(verifyRequest(KEY, request(headers), hourLater).ok, false, "too old for a read");
  assert.equal(verifyRequest(KEY, request(headers), hourLater, SIGNED_WRITE_MAX_AGE_MS).ok, true);
  const dayLater = verifyRequest(
    KEY,
    request(headers),
    NOW + SIGNED_WRITE_MAX_AGE_MS + 1,
    SIGNED_WRITE_MAX_AGE_MS,
  );
  assert.match(dayLater.ok ? "" : dayLater.message, /at most 86400 s are accepted/);
});

test("a malformed signature header is refused without throwing", () => {
  const headers = { ...signRequest(KEY, target, body, NOW), [SIGNATURE_HEADER]: "v1=zz" };
  assert.equal(verifyRequest(KEY, request(headers), NOW).ok, false);
});
