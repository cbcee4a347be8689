import assert from "node:assert/strict";
import { test } from "node:test";
import * as restate from "@restatedev/restate-sdk";
import { APICallError } from "ai";
import { modelFailure, toModelMessages } from "../../../src/agent/llm-agent.ts";

function apiError(statusCode: number, message: string, headers: Record<string, string> = {}): APICallError {
  return new APICallError({
    message,
    url: "http://model/v1/chat/completions",
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
  });
}

test("rate limits and overload are retried, after the server's Retry-After when it gives one", () => {
  const limited = modelFailure(apiError(429, "Rate limit reached", { "retry-after": "7" }));
  assert.ok(limited instanceof restate.RetryableError);
  assert.equal((limited as restate.RetryableError).retryAfter, 7000);
  assert.match(limited.message, /answered 429: Rate limit reached/);
  const overloaded = modelFailure(apiError(503, "Overloaded"));
  assert.ok(overloaded instanceof restate.RetryableError && !(overloaded instanceof restate.TerminalError));
  // No wait given (or a zero one): Restate's own backoff decides.
  assert.equal((overloaded as restate.RetryableError).retryAfter, undefined);
  const immediate = modelFailure(apiError(429, "Rate limit reached", { "retry-after": "0" }));
  assert.equal((immediate as restate.RetryableError).retryAfter, undefined);
});

test("a refused key, an unknown model or a too-long context ends the run with the server's words", () => {
  const key = modelFailure(apiError(401, "Incorrect API key provided"));
  assert.ok(key instanceof restate.TerminalError);
  assert.equal(key.message, "The model server refused the API key (401): Incorrect API key provided");
  assert.match(modelFailure(apiError(404, "model not found")).message, /does not know the model/);
  const context = modelFailure(apiError(400, "This model's maximum context length is 8192 tokens"));
  assert.ok(context instanceof restate.TerminalError);
  assert.match(
    context.message,
    /refused the request as too long \(400\): This model's maximum context length is 8192 tokens\. Set LLM_CONTEXT_TOKENS/,
  );
});

test("the history becomes model messages; the demo agent's outputs read as the assistant's", () => {
  const parts = [{ type: "tool-call", toolCallId: "c1", toolName: "current_time", input: {} }];
  assert.deepEqual(
    toModelMessages([
      { role: "user", content: "hi" },
      { role: "system", content: "Done" },
      { role: "assistant", content: parts },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "current_time" }] },
    ]).map((m) => m.role),
    ["user", "assistant", "assistant", "tool"],
  );
  assert.deepEqual(
    toModelMessages([
      { role: "summary", content: "Earlier." },
      { role: "user", content: "hi" },
    ]).map((m) => m.role),
    ["user"],
    "the summary goes into the system prompt, not among the messages",
  );
});
