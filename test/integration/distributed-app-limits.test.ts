/**
 * Slack's limits for commercially distributed apps outside the Marketplace (since 2025): conversations
 * .history and .replies once a minute each, 15 messages a call. The emulator imposes them (with a short
 * window instead of the minute, so the test does not wait minutes); the post-once lookup after a lost
 * answer and the read_thread tool must stay correct under them.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { readThreadTool } from "../../src/slack/thread-tool.ts";
import { createSlackWebClient } from "../../src/slack/web-api.ts";
import { singleTokenClients } from "../../src/slack/workspace-clients.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { testLogger } from "../helpers/test-logger.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const CAROL = "U0CAROL03";
const BOT = "U0AGENT01";
/** The limit's window here: Slack's is a minute. */
const WINDOW_MS = 2000;

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack();
});
after(() => stack?.close());

/** Messages the app never hears of (another app's, say), straight into the thread. */
function fillThread(channel: string, threadTs: string, count: number): void {
  const { workspace } = stack.emulator;
  for (let i = 0; i < count; i += 1)
    workspace.addMessage({ ts: workspace.nextTs(), channel, user: CAROL, text: `note ${i}`, threadTs });
}

test("a post whose answer was lost is found again across pages under the limits, and posted once", async () => {
  const channel = stack.emulator.newChannel([ALICE, CAROL]);
  const held = stack.sink.hold((call) => call.kind === "step" && call.iteration === 1);
  const { message } = await stack.emulator.userPosts({ user: ALICE, channel, text: `<@${BOT}> answer me` });
  await held.arrived;
  // More than a page of the thread lands after the run began: the lookup must read two pages.
  fillThread(channel, message.ts, 20);
  stack.emulator.setNonMarketplaceLimits(true, WINDOW_MS);
  stack.emulator.inject({
    method: "chat.postMessage",
    when: (args) => args.channel === channel,
    effect: { kind: "drop", when: "after" },
  });
  held.release({ output: "the one answer", done: true });
  // The answer lands but its reply is lost: the channel waits for it to land, then looks for it.
  const lookups = () =>
    stack.emulator.callsTo("conversations.replies").filter((c) => c.args.channel === channel);
  await waitFor(
    async () => {
      if (!lookups().some((c) => c.ok)) return undefined;
      const [busy] = await stack.restate.query<{ n: number }>(
        `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'SlackChannel' AND target_service_key = 'T0001:${channel}' AND status != 'completed'`,
      );
      return Number(busy?.n ?? 1) === 0 ? true : undefined;
    },
    { what: "the lookup done and the channel idle", timeoutMs: 60_000 },
  );
  stack.emulator.setNonMarketplaceLimits(false);
  const answers = stack.emulator
    .thread(channel, message.ts)
    .filter((m) => m.user === BOT && m.text.includes("the one answer"));
  assert.equal(answers.length, 1, "posted once");
  const seen = JSON.stringify(lookups().map((c) => [c.status, c.args.cursor ?? null]));
  assert.ok(
    lookups().some((c) => c.status === 429),
    `the lookup met the limit: ${seen}`,
  );
  assert.ok(lookups().filter((c) => c.ok).length >= 2, `and read past the first page: ${seen}`);
});

test("read_thread under the limits reads one page and tells the model what is missing", async () => {
  const channel = stack.emulator.newChannel([ALICE, CAROL]);
  const { message } = await stack.emulator.userPosts({ user: ALICE, channel, text: "a long discussion" });
  fillThread(channel, message.ts, 30);
  stack.emulator.setNonMarketplaceLimits(true, WINDOW_MS);
  try {
    const tool = readThreadTool(
      singleTokenClients(
        createSlackWebClient({
          url: stack.emulator.apiUrl,
          token: stack.emulator.workspace.bot.botToken,
          logger: testLogger(),
        }),
      ),
    );
    const context = {
      sessionKey: toSessionKey("T0001", channel, message.ts),
      origin: { team: "T0001", channel, threadTs: message.ts },
      signal: new AbortController().signal,
      callId: "c1",
      approvedBy: null,
      mayHaveRun: false,
      since: null,
    };
    const first = (await tool.execute({}, context)) as { from: string; text: string }[];
    assert.equal(first.filter((m) => m.from !== "note").length, 15);
    assert.match(first.at(-1)?.text ?? "", /Only 15 messages from the start of this thread were read/);
    // A second read within the window waits out Slack's Retry-After instead of failing.
    const second = (await tool.execute({}, context)) as { from: string }[];
    assert.equal(second.filter((m) => m.from !== "note").length, 15);
    const calls = stack.emulator.callsTo("conversations.replies").filter((c) => c.args.channel === channel);
    assert.ok(calls.some((c) => c.status === 429));
  } finally {
    stack.emulator.setNonMarketplaceLimits(false);
  }
});
