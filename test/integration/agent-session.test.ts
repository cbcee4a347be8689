/**
 * Slack's agent surface over HTTP: every session is a Slack agent session whose status follows what is
 * true (processing while a run works, active when idle, closed after a reset), and Slack's own Stop button
 * (`agent_session_stopped`) stops the run durably, only a run that started before the press.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { toSessionKey } from "../../src/restate/keys.ts";
import type { EmAgentSession } from "../../src/slack-emulator/workspace.ts";
import { ALICE, BOB, BOT, CAROL } from "../helpers/people.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import type { SinkCall } from "../helpers/step-sink.ts";
import { waitFor } from "../helpers/wait.ts";

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack();
  stack.sink.setDefaultReply(() => ({ output: "all done", done: true }));
});
after(() => stack?.close());

const newChannel = () => stack.emulator.newChannel([ALICE, BOB, CAROL]);
const keyOf = (channel: string, ts: string) => toSessionKey("T0001", channel, ts);
const reads = () => sessionReads(stack.ingress);
/** The first step of the run that works on `content` (its newest message). */
const stepOn = (content: string) => (call: SinkCall) =>
  call.kind === "step" && call.iteration === 1 && call.history.at(-1)?.content === content;

function agentSession(channel: string, threadTs: string): EmAgentSession | undefined {
  return stack.emulator.workspace.agentSession(channel, threadTs);
}

async function statusIs(channel: string, threadTs: string, status: string): Promise<EmAgentSession> {
  return waitFor(
    () => {
      const session = agentSession(channel, threadTs);
      return session?.status === status ? session : undefined;
    },
    { what: `the agent session ${status}, is ${agentSession(channel, threadTs)?.status}` },
  );
}

async function reactionIs(channel: string, ts: string, reaction: string) {
  return waitFor(
    () => {
      const reactions = stack.emulator.botReactions(channel, ts);
      return reactions.length === 1 && reactions[0] === reaction ? true : undefined;
    },
    { what: `:${reaction}: on ${ts}, have ${stack.emulator.botReactions(channel, ts)}` },
  );
}

function post(user: string, channel: string, text: string, threadTs?: string) {
  return stack.emulator.userPosts({ user, channel, text, ...(threadTs ? { threadTs } : {}) });
}

describe("every session is a Slack agent session", () => {
  test("processing while a run works (titled, begun by its author), active when idle, closed after a reset", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(stepOn("plan the offsite"));
    const { message } = await post(ALICE, channel, `<@${BOT}> plan the offsite`);
    await held.arrived;
    const working = await statusIs(channel, message.ts, "processing");
    assert.equal(working.initiator, ALICE);
    assert.match(working.title, /plan the offsite/);
    held.release({ output: "planned", done: true });
    await statusIs(channel, message.ts, "active");

    const key = keyOf(channel, message.ts);
    await stack.emulator.openHome(ALICE);
    await waitFor(
      () => JSON.stringify(stack.emulator.homeOf(ALICE)?.view ?? {}).includes(`home_reset:${key}`),
      {
        what: "the session on Alice's Home",
      },
    );
    await stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `home_reset:${key}` });
    await statusIs(channel, message.ts, "closed");
    // A new message opens it again. (A run that ends before its `processing` is set goes straight to
    // `active`: the status shows what is true when it is set.)
    const reopened = stack.sink.hold(stepOn("one more thing"));
    await post(ALICE, channel, "one more thing", message.ts);
    await reopened.arrived;
    await statusIs(channel, message.ts, "processing");
    reopened.release({ output: "done again", done: true });
    await statusIs(channel, message.ts, "active");
    assert.deepEqual(agentSession(channel, message.ts)?.statuses, [
      "processing",
      "active",
      "closed",
      "processing",
      "active",
    ]);
  });

  test("an interrupt hands over from run to run without showing active in between", async () => {
    const channel = newChannel();
    const first = stack.sink.hold(stepOn("draft the memo"));
    const { message } = await post(ALICE, channel, `<@${BOT}> draft the memo`);
    await first.arrived;
    await statusIs(channel, message.ts, "processing");
    const second = stack.sink.hold(stepOn("make it shorter"));
    await post(ALICE, channel, "make it shorter", message.ts);
    await second.arrived;
    first.release({ output: "too late", done: true });
    second.release({ output: "short memo", done: true });
    await statusIs(channel, message.ts, "active");
    await reads().idle(keyOf(channel, message.ts));
    assert.deepEqual(agentSession(channel, message.ts)?.statuses, ["processing", "active"]);
  });
});

describe("Slack's Stop button", () => {
  test("stops the run durably: stop reaction, status active, the queue moves on; anyone in the channel may press it", async () => {
    const channel = newChannel();
    const running = stack.sink.hold(stepOn("long report"));
    const { message } = await post(ALICE, channel, `<@${BOT}> long report`);
    const key = keyOf(channel, message.ts);
    await running.arrived;
    await post(ALICE, channel, "!agentmode queue", message.ts);
    await waitFor(async () => ((await reads().status(key)).mode === "QUEUE" ? true : undefined), {
      what: "the thread in QUEUE mode",
    });
    const queued = await post(ALICE, channel, "then the summary", message.ts);
    await reactionIs(channel, queued.message.ts, "hourglass_flowing_sand");
    const next = stack.sink.hold(stepOn("then the summary"));
    await statusIs(channel, message.ts, "processing");

    // Carol never wrote in the thread; Slack shows her the Stop button all the same. She presses it twice.
    const presses = await Promise.all([
      stack.emulator.pressStop(CAROL, channel, message.ts),
      stack.emulator.pressStop(CAROL, channel, message.ts),
    ]);
    assert.deepEqual(
      presses.map((answer) => answer.status),
      [200, 200],
    );
    await reactionIs(channel, message.ts, "black_square_for_stop");
    await next.arrived;
    // The queued message runs; neither press stopped it, though it began while they were on their way.
    running.release({ output: "never shown", done: true });
    const status = await reads().status(key);
    assert.equal(status.activeRun?.input.content, "then the summary");
    next.release({ output: "summary", done: true });
    await reactionIs(channel, queued.message.ts, "white_check_mark");
    await statusIs(channel, message.ts, "active");
    assert.deepEqual(agentSession(channel, message.ts)?.statuses, ["processing", "active"]);
    const texts = stack.emulator.thread(channel, message.ts).map((m) => m.text);
    assert.ok(!texts.includes("never shown"), "the stopped run posts nothing more");
  });

  test("a press that arrives late, after the next run started, does not stop that run", async () => {
    const channel = newChannel();
    const first = stack.sink.hold(stepOn("first errand"));
    const { message } = await post(ALICE, channel, `<@${BOT}> first errand`);
    const key = keyOf(channel, message.ts);
    await first.arrived;
    const pressedAt = stack.emulator.workspace.nextTs();
    first.release({ output: "first done", done: true });
    await reactionIs(channel, message.ts, "white_check_mark");
    const second = stack.sink.hold(stepOn("second errand"));
    await post(ALICE, channel, "second errand", message.ts);
    await second.arrived;
    // Slack delivers the press made during the first run only now (a retry of a slow delivery, say).
    const answer = await stack.emulator.deliverEvent({
      type: "agent_session_stopped",
      channel,
      thread_ts: message.ts,
      user: ALICE,
      streaming_message_ts: [],
      event_ts: pressedAt,
    });
    assert.equal(answer.status, 200);
    const stops = () =>
      stack.restate.query<{ n: number }>(
        `SELECT count(*) AS n FROM sys_invocation WHERE target_handler_name = 'stop_from_slack' AND target_service_key = '${key}' AND status = 'completed'`,
      );
    await waitFor(async () => ((await stops())[0]?.n === 1 ? true : undefined), {
      what: "the press handled",
    });
    assert.ok((await reads().status(key)).activeRun, "the second run goes on");
    second.release({ output: "second done", done: true });
    await reads().idle(key);
  });

  test("a press stops only a run that started before it, however old the run's message is", async () => {
    // A message written an hour ago (it waited in Slack's retries, or in Restate while we were down) starts
    // its run only now; a press from half an hour ago is older than the run.
    const channel = newChannel();
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const ts = `${hourAgo}.000100`;
    stack.emulator.workspace.addMessage({ ts, channel, user: ALICE, text: `<@${BOT}> an old errand` });
    const key = keyOf(channel, ts);
    const held = stack.sink.hold(stepOn("an old errand"));
    await stack.adapter.call(`ChatService/${encodeURIComponent(key)}/process_user_message`, {
      content: "an old errand",
      role: "user",
      user: ALICE,
      source: { team: "T0001", channel, ts, threadTs: ts },
      startsSession: true,
    });
    await held.arrived;
    const stop = (pressedAt: number) =>
      stack.adapter.call<{ stoppedRunId: string | null }>(
        `ChatService/${encodeURIComponent(key)}/stop_from_slack`,
        {
          by: BOB,
          pressedAt: `${pressedAt}.000000`,
        },
      );
    assert.equal((await stop(hourAgo + 1800)).stoppedRunId, null, "the press was older than the run");
    assert.ok(
      (await stop(Math.floor(Date.now() / 1000) + 1)).stoppedRunId,
      "a press after its start stops it",
    );
    held.release({ output: "never shown", done: true });
    await reads().idle(key);
  });

  test("a press on a thread without a session, or on an idle one, stops nothing and is answered 200; the idle one's status is set again", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> quick one`);
    await reactionIs(channel, message.ts, "white_check_mark");
    await statusIs(channel, message.ts, "active");
    const setBefore = agentSession(channel, message.ts)?.statuses.length ?? 0;
    const plain = await post(BOB, channel, "just chatting, no agent");
    for (const threadTs of [message.ts, plain.message.ts]) {
      const answer = await stack.emulator.deliverEvent({
        type: "agent_session_stopped",
        channel,
        thread_ts: threadTs,
        user: BOB,
        streaming_message_ts: [],
        event_ts: stack.emulator.workspace.nextTs(),
      });
      assert.equal(answer.status, 200);
    }
    const idle = await reads().status(keyOf(channel, message.ts));
    assert.equal(idle.activeRun, null);
    assert.equal(idle.historyLength, 2);
    assert.equal((await reads().status(keyOf(channel, plain.message.ts))).exists, false);
    // Slack showed a Stop button on an idle session, so it showed something else than we did: the status
    // is set again. A thread without a session gets none.
    await waitFor(
      () => (agentSession(channel, message.ts)?.statuses.length === setBefore + 1 ? true : undefined),
      {
        what: "the status set again",
      },
    );
    assert.equal(agentSession(channel, message.ts)?.statuses.at(-1), "active");
    assert.equal(agentSession(channel, plain.message.ts), undefined);
  });
});

describe("feedback on answers", () => {
  /** The answer's message in the thread: the bot's post that carries the feedback buttons. */
  async function answerWithButtons(channel: string, threadTs: string) {
    return waitFor(
      () =>
        stack.emulator
          .thread(channel, threadTs)
          .find((m) => m.user === BOT && JSON.stringify(m.blocks ?? []).includes("feedback_buttons")),
      { what: "the answer with its feedback buttons" },
    );
  }
  const click = (user: string, channel: string, ts: string, value: "positive" | "negative") =>
    stack.emulator.interact({ user, on: { channel, ts }, actionId: "answer_feedback", option: value });
  const feedbackOf = (key: string) =>
    stack.ingress.call<{ entries: { runId: string; user: string; value: string }[] }>(
      `ChatService/${encodeURIComponent(key)}/get_feedback`,
    );

  test("a click is recorded once per person per answer; a later click replaces theirs; the Home counts them", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> suggest a venue`);
    const key = keyOf(channel, message.ts);
    const answer = await answerWithButtons(channel, message.ts);
    const parts = (answer.metadata?.event_payload.parts ?? []) as { run_id: string }[];
    const runId = parts[0]?.run_id;
    assert.ok(runId);
    // Only the answer carries buttons, with a block id of its own.
    const feedbackBlock = (answer.blocks as { type: string; block_id?: string }[]).find(
      (b) => b.type === "context_actions",
    );
    assert.match(feedbackBlock?.block_id ?? "", /^feedback-/);

    // A double click, then a change of mind; Bob agrees with the first opinion.
    const answers = await Promise.all([
      click(ALICE, channel, answer.ts, "positive"),
      click(ALICE, channel, answer.ts, "positive"),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    assert.deepEqual(
      (await feedbackOf(key)).entries.map((e) => [e.runId, e.user, e.value]),
      [[runId, ALICE, "positive"]],
    );
    await click(ALICE, channel, answer.ts, "negative");
    await click(BOB, channel, answer.ts, "positive");
    assert.deepEqual(
      (await feedbackOf(key)).entries.map((e) => [e.user, e.value]),
      [
        [ALICE, "negative"],
        [BOB, "positive"],
      ],
    );
    await stack.emulator.openHome(ALICE);
    await waitFor(
      () =>
        JSON.stringify(stack.emulator.homeOf(ALICE)?.view ?? {}).includes("Feedback: 1 good, 1 bad") ||
        undefined,
      { what: "the feedback count on Alice's Home" },
    );
  });

  test("a click on a message that is not an answer is explained and records nothing", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> one answer please`);
    const key = keyOf(channel, message.ts);
    const answer = await answerWithButtons(channel, message.ts);
    // The same buttons on someone else's message (as a forged or copied block would put them).
    const other = stack.emulator.workspace.addMessage({
      ts: stack.emulator.workspace.nextTs(),
      channel,
      user: BOB,
      text: "not from the agent",
      threadTs: message.ts,
      blocks: answer.blocks ?? [],
    });
    const reply = await click(CAROL, channel, other.ts, "positive");
    assert.equal(reply.status, 200);
    await waitFor(
      () =>
        stack.emulator
          .ephemeralsFor(CAROL)
          .some((e) =>
            e.text.includes("Could not record your feedback: this message is not one of the agent's answers"),
          ) || undefined,
      { what: "the explanation" },
    );
    assert.deepEqual((await feedbackOf(key)).entries, []);
  });
});

describe("the split pane", () => {
  test("a message to the agent in its DM carries the channel the person has open; elsewhere nothing is added", async () => {
    const dm = stack.emulator.workspace.directMessageWith(ALICE).id;
    const answer = await stack.emulator.viewChannel(ALICE, "C0GENERAL");
    assert.equal(answer.status, 200);
    const seen = stack.sink.waitForCall(
      (call) =>
        call.kind === "step" && String(call.history.at(-1)?.content).startsWith("summarise this channel"),
      "the step on the DM message",
    );
    const { message } = await post(ALICE, dm, "summarise this channel");
    const call = await seen;
    assert.equal(
      call.history.at(-1)?.content,
      "summarise this channel\n\n(Context from Slack: while writing this, the person was looking at <#C0GENERAL>.)",
    );
    // A note for the agent, not the person's words: the session's title is what they wrote.
    assert.equal((await reads().status(keyOf(dm, message.ts))).title, "summarise this channel");
    // In a channel the context is the channel itself: nothing is added.
    const channel = newChannel();
    await stack.emulator.viewChannel(ALICE, channel);
    const inChannel = stack.sink.waitForCall(
      (c) => c.kind === "step" && String(c.history.at(-1)?.content).startsWith("and here"),
      "the step on the channel message",
    );
    await post(ALICE, channel, `<@${BOT}> and here`);
    assert.equal((await inChannel).history.at(-1)?.content, "and here");
  });
});

describe("an app that does not subscribe to agent_session_stopped", () => {
  let unsubscribed: SlackStack;
  const lines: string[] = [];
  before(async () => {
    unsubscribed = await startSlackStack({
      logger: pino({ level: "info", base: null }, { write: (line: string) => void lines.push(line) }),
    });
    unsubscribed.sink.setDefaultReply(() => ({ output: "done", done: true }));
    const { workspace } = unsubscribed.emulator;
    workspace.appEvents = new Set(["app_mention", "message.channels"]);
  });
  after(() => unsubscribed?.close());

  test("gets Slack's warning on every status change; the log says it once", async () => {
    for (const text of ["first", "second"]) {
      const { message } = await unsubscribed.emulator.userPosts({
        user: ALICE,
        channel: "C0GENERAL",
        text: `<@${BOT}> ${text}`,
      });
      await waitFor(
        () =>
          unsubscribed.emulator.workspace.agentSession("C0GENERAL", message.ts)?.status === "active"
            ? true
            : undefined,
        { what: `the ${text} session active` },
      );
    }
    const warned = unsubscribed.emulator
      .callsTo("agents.sessions.setStatus")
      .filter((call) => call.ok && call.warning === "missing_agent_session_stopped_event_subscription");
    assert.ok(warned.length >= 2, `${warned.length} warned status changes`);
    const logged = lines.filter((line) => line.includes("missing_agent_session_stopped_event_subscription"));
    assert.equal(logged.length, 1, logged.join("\n"));
    assert.match(logged[0] ?? "", /"level":40/, "a warning");
  });
});

describe("the pace of status calls", () => {
  let paced: SlackStack;
  before(async () => {
    // 60 a minute: 12 at once, then one a second.
    paced = await startSlackStack({ env: { SLACK_STATUS_PER_MINUTE: "60" } });
    paced.sink.setDefaultReply(() => ({ output: "done", done: true }));
  });
  after(() => paced?.close());

  test("a burst of status changes beyond the workspace's allowance is spread out, and every session ends as it is", async () => {
    // Eight runs held until each shows `processing` (8 of the 12 calls that may go at once), then all
    // released: of their 8 `active`, 4 go at once and 4 wait a second each.
    const texts = Array.from({ length: 8 }, (_, i) => `errand ${i}`);
    const holds = texts.map((text) =>
      paced.sink.hold((call) => call.kind === "step" && call.history.at(-1)?.content === text),
    );
    const roots = await Promise.all(
      texts.map((text) =>
        paced.emulator.userPosts({ user: ALICE, channel: "C0GENERAL", text: `<@${BOT}> ${text}` }),
      ),
    );
    const statusOf = (ts: string) => paced.emulator.workspace.agentSession("C0GENERAL", ts)?.status;
    await waitFor(
      () => (roots.every(({ message }) => statusOf(message.ts) === "processing") ? true : undefined),
      {
        what: "every session processing",
      },
    );
    for (const held of holds) held.release({ output: "done", done: true });
    await waitFor(
      () => (roots.every(({ message }) => statusOf(message.ts) === "active") ? true : undefined),
      {
        what: "every session active in the end",
      },
    );
    const calls = paced.emulator.callsTo("agents.sessions.setStatus").filter((c) => c.ok);
    assert.equal(calls.length, 16, "processing and active for each");
    const spread = (calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0);
    assert.ok(spread >= 3000, `the 4 calls beyond the 12 at once waited their turn (${spread} ms)`);
  });
});

describe("a thread's turn in the workspace's pace", () => {
  let slow: SlackStack;
  before(async () => {
    // 12 a minute: 2 at once, then one every 5 s.
    slow = await startSlackStack({ env: { SLACK_STATUS_PER_MINUTE: "12" } });
    slow.sink.setDefaultReply(() => ({ output: "done", done: true }));
  });
  after(() => slow?.close());

  test("a run that starts and ends while its thread's turn waits takes one turn, and Slack gets only what is true then", async () => {
    // Two runs held at `processing` take the two calls that may go at once.
    const fillers = ["filler 0", "filler 1"];
    const holds = fillers.map((text) =>
      slow.sink.hold((call) => call.kind === "step" && call.history.at(-1)?.content === text),
    );
    const roots = await Promise.all(
      fillers.map((text) =>
        slow.emulator.userPosts({ user: ALICE, channel: "C0GENERAL", text: `<@${BOT}> ${text}` }),
      ),
    );
    const statusOf = (ts: string) => slow.emulator.workspace.agentSession("C0GENERAL", ts)?.status;
    await waitFor(() => roots.every(({ message }) => statusOf(message.ts) === "processing") || undefined, {
      what: "both fillers processing",
    });
    // This run starts and ends within the 5 s its thread waits for a turn.
    const { message } = await slow.emulator.userPosts({
      user: ALICE,
      channel: "C0GENERAL",
      text: `<@${BOT}> quick one`,
    });
    await waitFor(() => (statusOf(message.ts) === "active" ? true : undefined), {
      what: "the quick session active",
    });
    const itsCalls = slow.emulator
      .callsTo("agents.sessions.setStatus")
      .filter((call) => call.ok && call.args.thread_ts === message.ts);
    assert.deepEqual(
      itsCalls.map((call) => call.args.status),
      ["active"],
      "one call, with the status of the end",
    );
    const [turns] = await slow.restate.query<{ n: number }>(
      "SELECT count(*) AS n FROM sys_invocation WHERE target_handler_name = 'pace_status'",
    );
    assert.equal(turns?.n, 3, "one turn per thread: the fillers' two and the quick one's");
    // Their ends wait their turns (5 s each); nothing more to see here.
    for (const held of holds) held.release({ output: "done", done: true });
  });
});
