import assert from "node:assert/strict";
import { test } from "node:test";
import { RetryableError, TerminalError } from "@restatedev/restate-sdk";
import { ErrorCode } from "@slack/web-api";
import { classifySlackFailure, rateLimitWaitMs } from "../../../src/slack/web-api.ts";

const platform = (error: string) =>
  Object.assign(new Error(error), { code: ErrorCode.PlatformError, data: { ok: false, error } });

test("a 429 becomes a retry after Slack's Retry-After", () => {
  const limited = Object.assign(new Error("limited"), { code: ErrorCode.RateLimitedError, retryAfter: 7 });
  assert.throws(
    () => classifySlackFailure(limited, "chat.postMessage", []),
    (error: unknown) => error instanceof RetryableError && error.retryAfter === 7000,
  );
});

test("a rate-limited call waits what Slack asked, or a second when Slack named no wait; other failures wait nothing", () => {
  const limited = (retryAfter?: number) =>
    Object.assign(new Error("limited"), { code: ErrorCode.RateLimitedError, retryAfter });
  assert.equal(rateLimitWaitMs(limited(7)), 7000);
  assert.equal(rateLimitWaitMs(limited(0)), 0);
  assert.equal(rateLimitWaitMs(limited()), 1000);
  assert.equal(rateLimitWaitMs(platform("internal_error")), undefined);
  assert.equal(rateLimitWaitMs(new Error("socket hang up")), undefined);
});

test("answers that mean 'already done' are success", () => {
  assert.equal(classifySlackFailure(platform("already_reacted"), "reactions.add", ["already_reacted"]), "ok");
  assert.equal(classifySlackFailure(platform("no_reaction"), "reactions.remove", ["no_reaction"]), "ok");
});

test("a permanent ok:false is terminal; temporary ones, 5xx and network errors are retried", () => {
  for (const code of ["channel_not_found", "not_in_channel", "invalid_auth", "invalid_blocks"]) {
    assert.throws(() => classifySlackFailure(platform(code), "chat.postMessage", []), TerminalError, code);
  }
  for (const failure of [
    platform("internal_error"),
    Object.assign(new Error("bad gateway"), { code: ErrorCode.HTTPError, statusCode: 502 }),
    Object.assign(new Error("socket hang up"), { code: ErrorCode.RequestError }),
    new Error("timeout"),
  ]) {
    assert.throws(
      () => classifySlackFailure(failure, "chat.postMessage", []),
      (error: unknown) => error instanceof Error && !(error instanceof TerminalError),
    );
  }
});
