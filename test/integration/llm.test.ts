/**
 * The LLM agent end to end: `node src/main.ts` with `AGENT=llm` (embedded restate-server, our services, the
 * Bolt app over HTTP) against the Slack emulator and a fake OpenAI-compatible model server, which counts
 * every model call and can be slow, hold an answer, or fail. Everything is observed from outside: the
 * model calls as the fake received them, the thread as the emulator holds it, the history through the
 * ingress.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { parseSessionKey, toSessionKey } from "../../src/restate/keys.ts";
import type { SlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import type { EmMessage } from "../../src/slack-emulator/workspace.ts";
import { type ChatRequest, type FakeLlm, startFakeLlm, textOf } from "../helpers/fake-llm.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { contextOf, markdownOf, tasksOf } from "../helpers/llm-product.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import { emulatedSlackSettings, FAST_SLACK_PACES, fakeModelSettings } from "../helpers/product-settings.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

const CHANNEL = "C0GENERAL";
const ALICE = "U0ALICE01";

let emulator: SlackEmulator;
let fake: FakeLlm;
let env: Record<string, string>;
let main: MainProcess;

async function startProduct(): Promise<MainProcess> {
  const started = startMain(env);
  await started.waitForLine(/^Ready$/);
  return started;
}

before(async () => {
  emulator = await startSlackEmulator();
  fake = await startFakeLlm();
  env = {
    ...(await isolatedEnv()),
    ...emulatedSlackSettings(emulator),
    ...FAST_SLACK_PACES,
    ...fakeModelSettings(fake),
    LLM_SYSTEM_PROMPT: "You are the test assistant.",
  };
  main = await startProduct();
  emulator.appUrl = `http://127.0.0.1:${env.PORT}/slack/events`;
});

after(async () => {
  await main?.stop();
  await fake?.close();
  await emulator?.close();
});

beforeEach(() => {
  fake.reset();
  emulator.setUpdateLimit(null);
});

function botReplies(threadTs: string): EmMessage[] {
  return emulator.thread(CHANNEL, threadTs).filter((m) => m.botId);
}

async function mention(text: string): Promise<string> {
  const { message } = await emulator.userPosts({
    user: ALICE,
    channel: CHANNEL,
    text: `<@U0AGENT01> ${text}`,
  });
  return message.ts;
}

async function reply(threadTs: string, text: string): Promise<void> {
  await emulator.userPosts({ user: ALICE, channel: CHANNEL, text, threadTs });
}

function sessionKey(threadTs: string): string {
  return toSessionKey(emulator.workspace.team.id, CHANNEL, threadTs);
}

/** Calls a session's handler as curl does, or for a Slack thread's session as the Slack adapter does (signed). */
async function chat(key: string, handler: string, body?: unknown): Promise<unknown> {
  const signed = parseSessionKey(key) ? { adapterKey: main.adapterKey() } : {};
  const response = await ingressClient(main.ingressUrl, signed).request(
    `ChatService/${encodeURIComponent(key)}/${handler}`,
    body ?? {},
  );
  assert.equal(response.status, 200, `${handler}: ${response.status} ${response.text}`);
  return response.body;
}

/** Reads of a session through the product's ingress (the same after a restart: same ports). */
const reads = () => sessionReads(ingressClient(main.ingressUrl), main.adapterKey());

function roles(request: ChatRequest): string {
  return request.messages.map((m) => m.role).join(",");
}

/** A promise and its release, to hold a model answer until the test lets it go. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

describe("the LLM agent", () => {
  test("streams an answer into one message, updated in place, that ends as the model's Markdown", async () => {
    const answer = "## Plan\n\n- **first** step\n- second step\n\n| a | b |\n|---|---|\n| 1 | 2 |";
    // The Markdown in Slack's markdown block, and its table (which that block does not render) as a table block.
    const shown = "## Plan\n\n- **first** step\n- second step";
    fake.reply = () => ({ text: answer, chunkSize: 6, chunkDelayMs: 60 });
    const root = await mention("make a plan");
    const final = await waitFor(() => botReplies(root).find((m) => markdownOf(m) === shown), {
      what: "the final answer in the thread",
    });
    assert.equal(botReplies(root).length, 1, "one message for the answer");
    const table = (final.blocks as { type: string; rows?: { text: string }[][] }[]).find(
      (b) => b.type === "table",
    );
    assert.deepEqual(
      table?.rows?.map((row) => row.map((cell) => cell.text)),
      [
        ["a", "b"],
        ["1", "2"],
      ],
    );
    const updates = emulator.calls.filter((c) => c.method === "chat.update" && c.args.ts === final.ts);
    assert.ok(updates.length >= 2, `updated while streaming and at the end (${updates.length} updates)`);
    const texts = updates.map((c) => JSON.stringify(c.args.blocks ?? ""));
    assert.ok(
      texts.some((t) => t.includes("▍")),
      "a partial text with a cursor was shown before the end",
    );
    assert.ok(!JSON.stringify(final.blocks).includes("▍"), "the final text has no cursor");
    assert.equal(fake.calls.length, 1, "one model call");
    const request = fake.calls[0]?.request as ChatRequest;
    assert.equal(request.model, "fake-model-1");
    assert.equal(request.stream, true);
    assert.equal(request.messages[0]?.role, "system");
    assert.equal(textOf(request.messages[0]), "You are the test assistant.");
    assert.equal(fake.calls[0]?.lastUser, "make a plan");
    await waitFor(() => emulator.workspace.message(CHANNEL, root)?.reactions.has("white_check_mark"), {
      what: "the done reaction",
    });
  });

  test("a follow-up in the thread continues the same conversation", async () => {
    fake.reply = (request) => ({
      text: `Answer ${request.messages.filter((m) => m.role === "user").length}`,
    });
    const root = await mention("first question");
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Answer 1"), { what: "answer 1" });
    await reply(root, "second question");
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Answer 2"), { what: "answer 2" });
    const second = fake.calls[1]?.request as ChatRequest;
    assert.equal(roles(second), "system,user,assistant,user");
    assert.equal(textOf(second.messages[1]), "first question");
    assert.equal(textOf(second.messages[2]), "Answer 1");
    assert.equal(textOf(second.messages[3]), "second question");
    const history = await reads().history(sessionKey(root));
    assert.deepEqual(
      history.map((e) => e.role),
      ["user", "assistant", "user", "assistant"],
      "the history is kept in the AI SDK's message format",
    );
  });

  test("tool calls run once as durable steps, show as task cards (in progress, then done), and their results go back to the model", async () => {
    fake.reply = (_request, call) =>
      call === 0
        ? {
            text: "Let me look.",
            toolCalls: [
              { name: "current_time", args: { timeZone: "Europe/Berlin" } },
              { name: "read_thread", args: { limit: 5 } },
            ],
          }
        : { text: "It is late, and you asked about the time." };
    // read_thread waits on Slack while the test looks at the live message: its card is in progress.
    const reading = emulator.hold("conversations.replies", (args) => args.limit !== undefined);
    const root = await mention("what time is it? (asked in the thread)");
    await reading.arrived;
    const live = await waitFor(
      () =>
        botReplies(root).find((m) =>
          tasksOf(m).some((t) => t.title.startsWith("read_thread") && t.status === "in_progress"),
        ),
      { what: "the live message with read_thread in progress" },
    );
    assert.deepEqual(
      tasksOf(live).map((t) => t.status),
      ["complete", "in_progress"],
      "current_time done, read_thread running",
    );
    reading.release();
    const answer = await waitFor(() => botReplies(root).find((m) => markdownOf(m).startsWith("It is late")), {
      what: "the answer after the tools",
    });
    const first = botReplies(root).find((m) => markdownOf(m) === "Let me look.");
    assert.ok(first, "the first step's text is its own message");
    assert.equal(
      first.blocks?.[0] && (first.blocks[0] as { type: string }).type,
      "plan",
      "two calls: a plan",
    );
    assert.deepEqual(
      tasksOf(first).map((t) => [t.title, t.status]),
      [
        ['current_time({"timeZone":"Europe/Berlin"})', "complete"],
        ['read_thread({"limit":5})', "complete"],
      ],
    );
    assert.match(tasksOf(first)[0]?.output ?? "", /Europe\/Berlin/, "a word on what the tool gave");
    assert.match(first.text, /current_time\(.*\): done/, "the text fallback names the calls");
    assert.deepEqual(tasksOf(answer), []);

    assert.equal(fake.calls.length, 2);
    const second = fake.calls[1]?.request as ChatRequest;
    assert.equal(roles(second), "system,user,assistant,tool,tool");
    const time = JSON.parse(String(second.messages[3]?.content));
    assert.equal(time.timeZone, "Europe/Berlin");
    assert.ok(Date.now() - Date.parse(time.iso) < 60_000, "the tool gave the current time");
    const thread = JSON.parse(String(second.messages[4]?.content)) as { text: string }[];
    assert.ok(
      thread.some((m) => m.text.includes("what time is it? (asked in the thread)")),
      "read_thread read the Slack thread",
    );
    assert.equal(second.messages[2]?.tool_calls?.length, 2);
  });

  test("INTERRUPT aborts the model request at once and starts a new run with both messages", async (t) => {
    const held = gate();
    fake.reply = (_request, call) =>
      call === 0
        ? { text: "A long answer that never ends", chunkSize: 4, hold: held.promise }
        : { text: "Short one" };
    const root = await mention("write a long essay");
    await fake.waitForCalls(1);
    const live = await waitFor(() => botReplies(root)[0], { what: "the live message" });
    const interruptedAt = Date.now();
    await reply(root, "no, just a short one");
    await waitFor(() => fake.calls[0]?.aborted, { what: "the first model request aborted" });
    // Reported, not asserted (timings are the benchmark's business): the message's delivery to Slack's
    // ack, the interrupt, and the aborted request's connection closing.
    t.diagnostic(
      `model request aborted ${(fake.calls[0]?.endedAt ?? 0) - interruptedAt} ms after the new message`,
    );
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Short one"), {
      what: "the new answer",
    });
    const second = fake.calls[1]?.request as ChatRequest;
    assert.deepEqual(second.messages.filter((m) => m.role === "user").map(textOf), [
      "write a long essay",
      "no, just a short one",
    ]);
    await waitFor(
      () => contextOf(emulator.workspace.message(CHANNEL, live.ts)).some((line) => /Stopped/.test(line)),
      { what: "the interrupted answer marked so" },
    );
    held.release();
  });

  test("INCORPORATE: a message during a model step joins the conversation before the next step", async () => {
    const held = gate();
    fake.reply = (_request, call) =>
      call === 0
        ? { text: "Checking the time.", toolCalls: [{ name: "current_time", args: {} }], hold: held.promise }
        : { text: "Done, with your note." };
    const root = await mention("check the time");
    await chat(sessionKey(root), "set_mode", { mode: "INCORPORATE", by: ALICE });
    await fake.waitForCalls(1);
    await reply(root, "and mind the time zone");
    await waitFor(() => emulator.thread(CHANNEL, root).some((m) => m.text === "and mind the time zone"), {
      what: "the second message in the thread",
    });
    const status = await waitFor(
      async () => {
        const s = await reads().status(sessionKey(root));
        return (s.activeRun?.incorporated.length ?? 0) > 0 ? s : undefined;
      },
      { what: "the message handed to the running agent" },
    );
    assert.equal(status.activeRun?.incorporated.length, 1);
    held.release();
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Done, with your note."), {
      what: "the answer",
    });
    const second = fake.calls[1]?.request as ChatRequest;
    assert.equal(roles(second), "system,user,assistant,tool,user");
    assert.equal(textOf(second.messages.at(-1)), "and mind the time zone");
    // A new run for the incorporated message would start once this one ends: idle means none did.
    await reads().idle(sessionKey(root));
    assert.equal(fake.calls.length, 2, "one run: no new run for the incorporated message");
  });

  test("QUEUE: the next message runs after the current answer, seeing it", async () => {
    const held = gate();
    fake.reply = (request, call) =>
      call === 0
        ? { text: "First answer", hold: held.promise }
        : { text: `Answer to: ${textOf(request.messages.at(-1))}` };
    const root = await mention("first");
    await chat(sessionKey(root), "set_mode", { mode: "QUEUE", by: ALICE });
    await fake.waitForCalls(1);
    await reply(root, "second");
    await waitFor(async () => (await reads().status(sessionKey(root))).queue.length === 1, {
      what: "the second message queued",
    });
    assert.equal(fake.calls.length, 1, "the queued message waits");
    held.release();
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Answer to: second"), {
      what: "the queued message's answer",
    });
    assert.ok(botReplies(root).some((m) => markdownOf(m) === "First answer"));
    assert.equal(roles(fake.calls[1]?.request as ChatRequest), "system,user,assistant,user");
  });

  test("a 429 from the model is retried (after its Retry-After), and the answer arrives", async () => {
    fake.reply = (_request, call) =>
      call === 0
        ? {
            status: 429,
            error: "Rate limit reached for requests",
            code: "rate_limit_exceeded",
            retryAfter: 1,
          }
        : { text: "Answered after the limit" };
    const root = await mention("are you busy?");
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Answered after the limit"), {
      what: "the answer after the retry",
    });
    assert.equal(fake.calls.length, 2);
    assert.equal(fake.calls[0]?.status, 429);
  });

  test("a refused key ends the run with a message in the thread that says so, without retrying", async () => {
    fake.reply = () => ({
      status: 401,
      error: "Incorrect API key provided: sk-bad.",
      code: "invalid_api_key",
    });
    const root = await mention("hello?");
    const message = await waitFor(
      () => botReplies(root).find((m) => contextOf(m).some((line) => /The agent stopped/.test(line))),
      { what: "the explanation in the thread" },
    );
    assert.match(contextOf(message).join(" "), /refused the API key \(401\): Incorrect API key provided/);
    await waitFor(() => emulator.workspace.message(CHANNEL, root)?.reactions.has("x"), {
      what: "the failed reaction",
    });
    assert.equal(fake.calls.length, 1, "a refused key is not retried");
    assert.equal(botReplies(root).length, 1, "the explanation replaced the live message");
  });

  test("two answers streaming at once share the workspace's chat.update pace: no 429", async () => {
    // Slack's limit scaled down (50 a minute becomes 6 a second) against our pace of one update per 200 ms
    // for the whole workspace: both streams and both final updates must stay under it.
    emulator.setUpdateLimit({ max: 6, windowMs: 1000 });
    const limitedBefore = emulator.rateLimited;
    fake.reply = (request) => ({
      text: `Streaming answer for ${textOf(request.messages.at(-1))}, word by word, slowly enough to update`,
      chunkSize: 5,
      chunkDelayMs: 40,
    });
    const [a, b] = await Promise.all([mention("thread A"), mention("thread B")]);
    for (const [root, name] of [
      [a, "thread A"],
      [b, "thread B"],
    ] as const) {
      const full = `Streaming answer for ${name}, word by word, slowly enough to update`;
      // The final text, not a partial one: the final updates are the ones that must fit in too.
      const final = await waitFor(() => botReplies(root).find((m) => markdownOf(m) === full), {
        what: `the final answer in ${name}`,
      });
      await waitFor(() => emulator.workspace.message(CHANNEL, root)?.reactions.has("white_check_mark"), {
        what: `the run of ${name} to end`,
      });
      const updates = emulator.calls.filter((c) => c.method === "chat.update" && c.args.ts === final.ts);
      const last = updates.at(-1);
      assert.ok(last?.ok && JSON.stringify(last.args.blocks).includes("slowly enough to update"));
      assert.ok(
        updates.slice(0, -1).some((c) => c.ok && JSON.stringify(c.args.blocks ?? "").includes("▍")),
        `live text was shown before the final update in ${name} (${updates.length} updates)`,
      );
    }
    assert.equal(emulator.rateLimited - limitedBefore, 0, "no chat.update was refused");
  });

  test("a session without a thread (curl) gets durable generate calls through Restate's AI SDK middleware", async () => {
    fake.reply = (_request, call) =>
      call === 0 ? { text: "", toolCalls: [{ name: "current_time", args: {} }] } : { text: "It is now." };
    const key = `ellie-${Date.now()}`;
    await chat(key, "process_user_message", { content: "what time is it", role: "user" });
    const history = await waitFor(
      async () => {
        const entries = await reads().history(key);
        return entries.length >= 4 ? entries : undefined;
      },
      { what: "the run's messages in the history" },
    );
    assert.deepEqual(
      history.map((e) => e.role),
      ["user", "assistant", "tool", "assistant"],
    );
    assert.equal(fake.calls.length, 2);
    assert.ok(
      fake.calls.every((c) => c.request.stream !== true),
      "not streamed: nobody watches",
    );
  });

  test("killing our process in the middle of a run does not call the model again for steps that answered", async () => {
    const held = gate();
    fake.reply = (_request, call) =>
      call === 0
        ? { text: "Step one.", toolCalls: [{ name: "current_time", args: {} }] }
        : call === 1
          ? { text: "Step two is slow", chunkSize: 4, hold: held.promise }
          : { text: "Step two, after the crash." };
    const root = await mention("do it in two steps");
    await fake.waitForCalls(2);
    main.process.kill("SIGKILL");
    await main.exited;
    held.release();
    main = await startProduct();
    await waitFor(() => botReplies(root).some((m) => markdownOf(m) === "Step two, after the crash."), {
      what: "the run finished after the restart",
      timeoutMs: 60_000,
    });
    assert.equal(fake.calls.length, 3, "only the step in flight was called again");
    const [, inFlight, again] = fake.calls;
    assert.equal(roles(inFlight?.request as ChatRequest), "system,user,assistant,tool");
    assert.deepEqual(
      again?.request.messages,
      inFlight?.request.messages,
      "the retried step sees the journaled first step and tool result, unchanged",
    );
    assert.equal(
      botReplies(root).filter((m) => markdownOf(m) === "Step one.").length,
      1,
      "the first step's answer was posted once",
    );
  });
});

describe("the LLM agent with Slack's chat.update pace at one per 3 seconds", () => {
  before(async () => {
    await main.stop();
    env = { ...env, SLACK_UPDATE_INTERVAL_MS: "3000" };
    main = await startProduct();
  });

  test("a live update overtaken by the final text gives its slot back: the final text does not wait behind it", async () => {
    fake.reset();
    const held = gate();
    // First words, held until the test has seen them in Slack; then the rest in a second, so that the
    // next live update has reserved its slot (3 s on) when the answer is complete.
    fake.reply = () => ({
      text: "First words, then the rest of the answer arrives over one second.",
      chunkSize: 12,
      chunkDelayMs: 200,
      hold: held.promise,
    });
    const root = await mention("answer at Slack's pace");
    const live = await waitFor(() => botReplies(root)[0], { what: "the live message" });
    const firstUpdate = await waitFor(
      () => emulator.calls.find((c) => c.method === "chat.update" && c.args.ts === live.ts && c.ok),
      { what: "the first live update" },
    );
    held.release();
    await waitFor(
      () => markdownOf(emulator.workspace.message(CHANNEL, live.ts)).endsWith("over one second."),
      {
        what: "the final text",
      },
    );
    const updates = emulator.calls.filter((c) => c.method === "chat.update" && c.args.ts === live.ts && c.ok);
    const final = updates.at(-1);
    assert.ok(final && final !== firstUpdate);
    // The final text takes the next slot (3 s after the first update); behind an unused reservation it
    // would have waited for the one after (6 s).
    const after = final.at - firstUpdate.at;
    assert.ok(after < 4500, `the final text went out ${after} ms after the first live update`);
    assert.ok(after >= 2900, `and kept the pace (${after} ms)`);
    assert.equal(updates.length, 2, "no other update went out in between");
  });
});
