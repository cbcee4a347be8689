/**
 * Posting at Slack's pace: the emulator refuses more than one post per second per channel (429 with
 * Retry-After), as Slack does. An agent whose outputs come faster than that must not run into it: the
 * outputs are coalesced per thread, every one of them arrives, in order, and no post is refused.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const BOT = "U0AGENT01";
const ITERATIONS = 5;

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack({
    emulator: { postIntervalMs: 1000 },
    env: { SLACK_POST_INTERVAL_MS: "1000" },
  });
  stack.sink.setDefaultReply((call) => ({
    output: `output ${call.iteration} of ${call.history[0]?.content}`,
    done: call.iteration >= ITERATIONS,
  }));
});
after(() => stack?.close());

test("fast outputs from two threads of one channel are coalesced, all delivered in order, with no 429", async () => {
  const threads = [];
  for (const name of ["first", "second"]) {
    threads.push(
      (await stack.emulator.userPosts({ user: "U0ALICE01", channel: "C0GENERAL", text: `<@${BOT}> ${name}` }))
        .message,
    );
  }
  const texts = (ts: string) =>
    stack.emulator
      .thread("C0GENERAL", ts)
      .filter((m) => m.user === BOT)
      .map((m) => m.text);
  for (const [index, thread] of threads.entries()) {
    const name = index === 0 ? "first" : "second";
    await waitFor(
      () => texts(thread.ts).join("\n").includes(`output ${ITERATIONS} of ${name}`) || undefined,
      {
        what: `all outputs of ${name}`,
        timeoutMs: 30_000,
      },
    );
    const delivered = texts(thread.ts).join("\n\n").split("\n\n");
    assert.deepEqual(
      delivered,
      Array.from({ length: ITERATIONS }, (_, i) => `output ${i + 1} of ${name}`),
      "every output once, in order",
    );
    assert.ok(
      texts(thread.ts).length < ITERATIONS,
      `coalesced: ${texts(thread.ts).length} posts for ${ITERATIONS} outputs`,
    );
  }
  assert.equal(stack.emulator.rateLimited, 0, "no post ran into Slack's limit");
  const posts = stack.emulator.callsTo("chat.postMessage").filter((c) => c.ok);
  for (let i = 1; i < posts.length; i += 1) {
    assert.ok((posts[i]?.at ?? 0) - (posts[i - 1]?.at ?? 0) >= 950, "one post per second in the channel");
  }
});
