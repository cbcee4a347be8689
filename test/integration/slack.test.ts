/**
 * The Slack adapter end to end over HTTP: the emulator sends correctly signed requests to the real Bolt
 * app, which forwards into a real restate-server running our services; what Slack would show is read back
 * from the emulator. Agent steps are scripted (and held when a race must be forced).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { type SinkCall, stepOf } from "../helpers/step-sink.ts";
import { runCompleted, runInvocations } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const CAROL = "U0CAROL03";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack({ env: { QUEUE_MAX: "5" } });
  stack.sink.setDefaultReply((call) =>
    call.iteration >= 2 ? { output: "all done", done: true } : { output: "step one", done: false },
  );
});
after(() => stack?.close());

const newChannel = () => stack.emulator.newChannel([ALICE, BOB, CAROL]);

const keyOf = (channel: string, ts: string) => toSessionKey("T0001", channel, ts);
const status = (key: string) => sessionReads(stack.ingress).status(key);
const history = (key: string) => sessionReads(stack.ingress).history(key);
const idle = (key: string) => sessionReads(stack.ingress).idle(key);
const stepsOf = (key: string) => (call: SinkCall) => call.kind === "step" && call.sessionKey === key;
const firstStepOf = (key: string) => stepOf(key, 1);

function botText(channel: string, threadTs: string): string {
  return stack.emulator
    .thread(channel, threadTs)
    .filter((message) => message.user === BOT)
    .map((message) => message.text)
    .join("\n\n");
}

async function repliesInclude(channel: string, threadTs: string, text: string) {
  return waitFor(() => botText(channel, threadTs).includes(text) || undefined, {
    what: `"${text}" in thread ${threadTs}`,
  });
}

async function reactionIs(channel: string, ts: string, reaction: string) {
  return waitFor(
    () => {
      const reactions = stack.emulator.botReactions(channel, ts);
      return reactions.length === 1 && reactions[0] === reaction ? true : undefined;
    },
    { what: `:${reaction}: (only) on ${ts}, have ${stack.emulator.botReactions(channel, ts)}` },
  );
}

/** Runs `action` while restate-server is frozen (SIGSTOP: it takes connections but answers nothing). */
async function whileRestateFrozen<T>(action: () => Promise<T>): Promise<T> {
  stack.restate.server.kill("SIGSTOP");
  try {
    return await action();
  } finally {
    stack.restate.server.kill("SIGCONT");
  }
}

function post(user: string, channel: string, text: string, threadTs?: string) {
  return stack.emulator.userPosts({ user, channel, text, ...(threadTs ? { threadTs } : {}) });
}

describe("threads are sessions", () => {
  test("a mention starts a session; the agent's outputs land in its thread and its fate shows as a reaction", async () => {
    const { message, answers } = await post(ALICE, GENERAL, `<@${BOT}> do something`);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
      "the message and the app_mention are both acknowledged",
    );
    const key = keyOf(GENERAL, message.ts);
    await repliesInclude(GENERAL, message.ts, "all done");
    assert.match(botText(GENERAL, message.ts), /step one[\s\S]*all done/, "iteration outputs in order");
    await reactionIs(GENERAL, message.ts, "white_check_mark");
    const session = await status(key);
    assert.equal(session.exists, true);
    assert.deepEqual(session.people, [ALICE]);
    assert.deepEqual(session.origin, {
      team: "T0001",
      channel: GENERAL,
      threadTs: message.ts,
      permalink: `https://acme.slack.com/archives/${GENERAL}/p${message.ts.replace(".", "")}`,
    });
    assert.deepEqual(await history(key), [
      { role: "user", content: "do something" },
      { role: "system", content: "all done" },
    ]);
    for (const reply of stack.emulator.thread(GENERAL, message.ts).filter((m) => m.user === BOT)) {
      assert.equal(reply.metadata?.event_type, "agent_output");
    }
  });

  test("replies in the thread reach the session without a mention; threads without a session get nothing", async () => {
    const { message } = await post(ALICE, GENERAL, `<@${BOT}> first`);
    const key = keyOf(GENERAL, message.ts);
    await idle(key);
    await post(BOB, GENERAL, "and a follow-up", message.ts);
    await waitFor(
      async () => (await history(key)).some((e) => e.content === "and a follow-up") || undefined,
      {
        what: "the follow-up in the history",
      },
    );
    assert.deepEqual((await status(key)).people, [ALICE, BOB]);

    const unrelated = await post(ALICE, GENERAL, "a normal message");
    const reply = await post(BOB, GENERAL, "a normal reply", unrelated.message.ts);
    assert.deepEqual(
      reply.answers.map((a) => a.status),
      [200],
    );
    const other = keyOf(GENERAL, unrelated.message.ts);
    // The reply went into Restate by a one-way send. A later command in the same thread is a call to the
    // same session, handled after it: once it is answered, the reply has been handled too.
    await post(BOB, GENERAL, "!agentmode queue", unrelated.message.ts);
    const answer = await waitFor(
      () => stack.emulator.ephemeralsFor(BOB).find((e) => e.threadTs === unrelated.message.ts),
      { what: "the answer to the command in the thread" },
    );
    assert.match(answer.text, /This thread has no agent session/);
    assert.equal((await status(other)).exists, false, "no session for a thread nobody mentioned the bot in");
    assert.equal(stack.sink.executions(stepsOf(other)), 0);
    // Ignoring it took no durable step (no clock read, no ledger): the signature is checked, nothing kept.
    const [ignored] = await stack.restate.query<{ id: string }>(
      `SELECT id FROM sys_invocation WHERE target_service_key = '${other}' AND target_handler_name = 'process_user_message' ORDER BY created_at LIMIT 1`,
    );
    const entries = await stack.restate.query<{ entry_type: string }>(
      `SELECT entry_type FROM sys_journal WHERE id = '${ignored?.id}' ORDER BY index`,
    );
    assert.deepEqual(
      entries.map((e) => e.entry_type),
      ["Command: Input", "Command: GetEagerState", "Command: Output"],
    );
  });

  test("a DM starts a session in a thread of its own", async () => {
    const dm = stack.emulator.workspace.directMessageWith(ALICE);
    const { message } = await post(ALICE, dm.id, "hello agent");
    await repliesInclude(dm.id, message.ts, "all done");
    const replies = stack.emulator.thread(dm.id, message.ts).filter((m) => m.user === BOT);
    assert.ok(
      replies.every((m) => m.threadTs === message.ts),
      "the bot answers in the DM's thread",
    );
    assert.equal((await status(keyOf(dm.id, message.ts))).exists, true);
  });

  test("thread broadcasts and file shares are forwarded (files noted); the mention is stripped", async () => {
    const { message } = await post(ALICE, GENERAL, `<@${BOT}>   summarise  this`);
    const key = keyOf(GENERAL, message.ts);
    await idle(key);
    await stack.emulator.userPosts({
      user: BOB,
      channel: GENERAL,
      text: "also to the channel",
      threadTs: message.ts,
      broadcast: true,
    });
    await stack.emulator.userPosts({
      user: BOB,
      channel: GENERAL,
      text: "see attached",
      threadTs: message.ts,
      files: [{ id: "F0001", name: "report.pdf" }],
    });
    await waitFor(
      async () => (await history(key)).some((e) => e.content.startsWith("see attached")) || undefined,
      {
        what: "the file share",
      },
    );
    const contents = (await history(key)).filter((e) => e.role === "user").map((e) => e.content);
    assert.deepEqual(contents, ["summarise  this", "also to the channel", "see attached\n[1 file attached]"]);
  });

  test("the bot's own messages, other bots' messages and edits are not forwarded", async () => {
    const { message } = await post(ALICE, GENERAL, `<@${BOT}> hi`);
    const key = keyOf(GENERAL, message.ts);
    await repliesInclude(GENERAL, message.ts, "all done");
    await idle(key);
    // The emulator echoed the bot's posts to the app as message events, as Slack does; none became input.
    assert.ok(stack.emulator.callsTo("chat.postMessage").length > 0);
    await stack.emulator.deliverEvent({
      type: "message",
      subtype: "bot_message",
      bot_id: "B0OTHER01",
      text: "I am another bot",
      ts: stack.emulator.workspace.nextTs(),
      thread_ts: message.ts,
      channel: GENERAL,
      channel_type: "channel",
    });
    const edit = await stack.emulator.userEdits({
      user: ALICE,
      channel: GENERAL,
      ts: message.ts,
      text: `<@${BOT}> hi, edited`,
    });
    assert.equal(edit.status, 200);
    // Those events were answered before anything in Restate looked at them. A later reply in the same
    // session is handled after anything they could have sent: once its run is over, they had their chance.
    const later = await post(BOB, GENERAL, "a later reply", message.ts);
    await reactionIs(GENERAL, later.message.ts, "white_check_mark");
    await idle(key);
    const users = (await history(key)).filter((e) => e.role === "user").map((e) => e.content);
    assert.deepEqual(users, ["hi", "a later reply"]);
    assert.equal(stack.sink.executions(firstStepOf(key)), 2, "one run for the mention, one for the reply");
  });
});

describe("exactly once from Slack", () => {
  for (const order of ["message-first", "mention-first"] as const) {
    test(`a mention delivered as message and app_mention (${order}) and then retried by Slack gives one run`, async () => {
      const { message, envelopes, answers } = await stack.emulator.userPosts({
        user: ALICE,
        channel: GENERAL,
        text: `<@${BOT}> once please`,
        order,
      });
      assert.equal(envelopes.length, 2);
      assert.ok(answers.every((a) => a.status === 200));
      for (const envelope of envelopes) {
        const retry = await stack.emulator.deliverEvent({}, { envelope, retryNum: 1 });
        assert.equal(retry.status, 200);
      }
      const key = keyOf(GENERAL, message.ts);
      await repliesInclude(GENERAL, message.ts, "all done");
      await idle(key);
      assert.deepEqual(
        (await history(key)).map((e) => e.content),
        ["once please", "all done"],
      );
      assert.equal(stack.sink.executions(firstStepOf(key)), 1, "one run");
      assert.equal((await runInvocations(stack.restate, key)).length, 1);
    });
  }

  test("requests with a bad, stale or missing signature get 401 and reach nothing", async () => {
    const ts = stack.emulator.workspace.nextTs();
    const event = {
      type: "app_mention",
      user: ALICE,
      text: `<@${BOT}> forged`,
      ts,
      channel: GENERAL,
      event_ts: ts,
    };
    const envelope = JSON.stringify({
      type: "event_callback",
      team_id: "T0001",
      event,
      event_id: "EvFORGED",
    });
    const forged = await stack.emulator.postToApp(envelope, "application/json", { secret: "not-the-secret" });
    const stale = await stack.emulator.postToApp(envelope, "application/json", {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    const unsigned = await stack.emulator.postToApp(envelope, "application/json", { unsigned: true });
    assert.deepEqual([forged.status, stale.status, unsigned.status], [401, 401, 401]);
    assert.equal((await status(keyOf(GENERAL, ts))).exists, false);
  });

  test("when Restate cannot be reached the event request fails, and Slack's retry is accepted once", async () => {
    await stack.restate.server.stop();
    let first: Awaited<ReturnType<typeof post>>;
    try {
      first = await post(ALICE, GENERAL, `<@${BOT}> are you there`);
    } finally {
      await stack.restate.killAndRestart();
    }
    assert.ok(
      first.answers.every((a) => a.status === 500),
      `answers: ${first.answers.map((a) => a.status)}`,
    );
    const key = keyOf(GENERAL, first.message.ts);
    for (const envelope of first.envelopes) {
      assert.equal((await stack.emulator.deliverEvent({}, { envelope, retryNum: 1 })).status, 200);
    }
    await repliesInclude(GENERAL, first.message.ts, "all done");
    assert.deepEqual(
      (await history(key)).map((e) => e.content),
      ["are you there", "all done"],
    );
  });
  test("when Restate does not answer (frozen), Slack gets a 500 within its 3 seconds, and its retry later gives one run", async () => {
    const started = performance.now();
    // Its two events (message and app_mention) are delivered one after the other.
    const first = await whileRestateFrozen(() => post(ALICE, GENERAL, `<@${BOT}> still with me`));
    const perDelivery = (performance.now() - started) / first.answers.length;
    assert.ok(
      first.answers.every((a) => a.status === 500),
      `answers: ${first.answers.map((a) => a.status)}`,
    );
    // Not a performance figure: past 3 seconds Slack has given up on the request and sends it again anyway.
    assert.ok(perDelivery < 3000, `answered after ${Math.round(perDelivery)} ms`);
    const key = keyOf(GENERAL, first.message.ts);
    for (const envelope of first.envelopes) {
      assert.equal((await stack.emulator.deliverEvent({}, { envelope, retryNum: 1 })).status, 200);
    }
    await repliesInclude(GENERAL, first.message.ts, "all done");
    await idle(key);
    assert.deepEqual(
      (await history(key)).map((e) => e.content),
      ["still with me", "all done"],
    );
    assert.equal(stack.sink.executions(firstStepOf(key)), 1, "one run");
  });
});

describe("modes in a thread", () => {
  test("INTERRUPT: a reply stops the running answer and starts over; the first message shows it was stopped", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history.length === 1,
    );
    const first = await post(ALICE, channel, `<@${BOT}> write a poem`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    await reactionIs(channel, first.message.ts, "eyes");
    const second = await post(BOB, channel, "make it a haiku", first.message.ts);
    await reactionIs(channel, first.message.ts, "black_square_for_stop");
    await reactionIs(channel, second.message.ts, "white_check_mark");
    const stopped = await held.arrived;
    held.release({ output: "a long poem nobody asked for", done: true });
    // Whatever the stopped run does with its late answer, it has done once its invocation is over; a later
    // message's answer goes through the same channel's outbox after it.
    await runCompleted(stack.restate, key, stopped.runId);
    const third = await post(ALICE, channel, "and now a limerick", first.message.ts);
    await reactionIs(channel, third.message.ts, "white_check_mark");
    await idle(key);
    assert.ok(!botText(channel, first.message.ts).includes("nobody asked for"));
    assert.ok(
      !(await history(key)).some((e) => e.content.includes("nobody asked for")),
      "the late answer is not in the history either",
    );
    // The session learnt its channel's default with its first message: the interrupt asked no one.
    const handled = await stack.restate.query<{ id: string }>(
      `SELECT id FROM sys_invocation WHERE target_service_key = '${key}' AND target_handler_name = 'process_user_message' ORDER BY created_at`,
    );
    const calls = await stack.restate.query<{ id: string; entry_type: string }>(
      `SELECT id, entry_type FROM sys_journal WHERE id IN (${handled.map((h) => `'${h.id}'`).join(", ")}) AND entry_type = 'Command: Call'`,
    );
    assert.deepEqual(
      calls.map((c) => handled.findIndex((h) => h.id === c.id)),
      [0],
      "only the first message calls (its channel's add_session)",
    );
  });

  test("QUEUE via !agentmode: the thread's mode is set, the command is not forwarded, and a reply waits its turn", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history.length === 1,
    );
    const first = await post(ALICE, channel, `<@${BOT}> long task`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    await post(ALICE, channel, "!agentmode queue", first.message.ts);
    await waitFor(
      () =>
        stack.emulator.ephemeralsFor(ALICE).some((e) => e.text.includes("Mode for this thread: *Queue*")) ||
        undefined,
      {
        what: "the confirmation",
      },
    );
    assert.equal((await status(key)).mode, "QUEUE");
    const queued = await post(BOB, channel, "next task", first.message.ts);
    await reactionIs(channel, queued.message.ts, "hourglass_flowing_sand");
    assert.deepEqual(
      (await status(key)).queue.map((q) => q.content),
      ["next task"],
    );
    held.release({ output: "long task done", done: true });
    await reactionIs(channel, first.message.ts, "white_check_mark");
    await reactionIs(channel, queued.message.ts, "white_check_mark");
    const users = (await history(key)).filter((e) => e.role === "user").map((e) => e.content);
    assert.deepEqual(users, ["long task", "next task"], "!agentmode never reached the agent");
  });

  test("INCORPORATE via !agentmode: a reply is handed to the running agent", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history.length === 1,
    );
    const first = await post(ALICE, channel, `<@${BOT}> plan a trip`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    await post(BOB, channel, "!agentmode incorporate", first.message.ts);
    await waitFor(async () => ((await status(key)).mode === "INCORPORATE" ? true : undefined), {
      what: "the mode",
    });
    const extra = await post(BOB, channel, "with a stop in Lyon", first.message.ts);
    await reactionIs(channel, extra.message.ts, "twisted_rightwards_arrows");
    held.release({ output: "planning", done: false });
    const second = await stack.sink.waitForCall(
      (c) => c.sessionKey === key && c.iteration === 2,
      "the next iteration",
    );
    assert.ok(second.history.some((item) => item.content === "with a stop in Lyon"));
    await reactionIs(channel, extra.message.ts, "white_check_mark");
  });

  test("a message refused because the queue is full is explained to its sender in the thread", async () => {
    const channel = newChannel();
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history.length === 1,
    );
    const first = await post(ALICE, channel, `<@${BOT}> busy work`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    await post(ALICE, channel, "!agentmode queue", first.message.ts);
    await waitFor(async () => ((await status(key)).mode === "QUEUE" ? true : undefined), {
      what: "queue mode",
    });
    for (let i = 1; i <= 5; i += 1) await post(BOB, channel, `waiting ${i}`, first.message.ts);
    await waitFor(async () => ((await status(key)).queue.length === 5 ? true : undefined), {
      what: "a full queue",
    });
    const refused = await post(CAROL, channel, "one too many", first.message.ts);
    assert.deepEqual(
      refused.answers.map((a) => a.status),
      [200],
      "accepted by Restate: the refusal is the session's answer, not a delivery failure",
    );
    await waitFor(
      () =>
        stack.emulator
          .ephemeralsFor(CAROL)
          .some((e) => e.threadTs === first.message.ts && /queue is full \(5 of 5/.test(e.text)) || undefined,
      { what: "the explanation to Carol" },
    );
    const session = await status(key);
    assert.equal(session.queue.length, 5);
    assert.ok(!session.people.includes(CAROL), "a refused message changes nothing");
    await stack.adapter.call(`ChatService/${encodeURIComponent(key)}/reset`, { by: ALICE });
    held.release({ output: "x", done: true });
  });

  test("!agentmode with an unknown mode is answered with an error and changes nothing", async () => {
    const { message } = await post(ALICE, GENERAL, `<@${BOT}> hello`);
    const key = keyOf(GENERAL, message.ts);
    await idle(key);
    await post(ALICE, GENERAL, "!agentmode sometimes", message.ts);
    await waitFor(
      () =>
        stack.emulator.ephemeralsFor(ALICE).some((e) => e.text.includes('Unknown mode "sometimes"')) ||
        undefined,
      {
        what: "the error",
      },
    );
    assert.equal((await status(key)).modeSource, "default");
  });
});

describe("/agentmode", () => {
  const run = (channel: string, text: string, user = ALICE) =>
    stack.emulator.slashCommand({ user, channel, command: "/agentmode", text });
  const answerText = (answer: { body: unknown }) => {
    const body = answer.body as { text?: string; blocks?: unknown } | null;
    return `${body?.text ?? ""}${body?.blocks ? JSON.stringify(body.blocks) : ""}`;
  };

  test("without arguments it lists the channel's default and its sessions, with controls", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> list me`);
    await idle(keyOf(channel, message.ts));
    const answer = await run(channel, "");
    assert.equal(answer.status, 200);
    const body = answer.body as { response_type: string; blocks: { accessory?: { action_id: string } }[] };
    assert.equal(body.response_type, "ephemeral");
    assert.ok(body.blocks.some((b) => b.accessory?.action_id === "channel_mode"));
    assert.ok(body.blocks.some((b) => b.accessory?.action_id === `list_mode:${keyOf(channel, message.ts)}`));
    assert.match(answerText(answer), /Default mode in this channel: Interrupt/);

    // The listing's control changes the thread's mode.
    const listing = stack.emulator.ephemeralsFor(ALICE).at(-1);
    assert.ok(listing);
    await stack.emulator.interact({
      user: ALICE,
      on: { channel, ts: listing.ts },
      actionId: `list_mode:${keyOf(channel, message.ts)}`,
      option: "QUEUE",
    });
    assert.equal((await status(keyOf(channel, message.ts))).mode, "QUEUE");
    // The listing is shown again in its place (through the action's response_url), with the new mode.
    await waitFor(
      () => {
        const shown = stack.emulator.ephemeralsFor(ALICE);
        const fresh = shown.at(-1);
        return !shown.some((e) => e.ts === listing.ts) &&
          JSON.stringify(fresh?.blocks).includes(
            '"initial_option":{"text":{"type":"plain_text","text":"Queue"',
          )
          ? true
          : undefined;
      },
      { what: "the listing shown again with the thread in Queue" },
    );
  });

  test("with Restate frozen it answers within Slack's 3 seconds that the service did not answer", async () => {
    const channel = newChannel();
    const answers: { text: string; took: number }[] = [];
    await whileRestateFrozen(async () => {
      // Setting the channel's mode (one call), and the listing (the overview, then each session's status).
      for (const text of ["queue", ""]) {
        const started = performance.now();
        const answer = await run(channel, text);
        assert.equal(answer.status, 200);
        answers.push({ text: answerText(answer), took: performance.now() - started });
      }
    });
    for (const { text, took } of answers) {
      assert.match(text, /did not answer in time; try again/);
      // Not a performance figure: past 3 seconds Slack shows its own timeout error instead of our answer.
      assert.ok(took < 3000, `answered after ${Math.round(took)} ms`);
    }
  });

  test("with a mode it sets the channel's default", async () => {
    const channel = newChannel();
    const answer = await run(channel, "Queue");
    assert.match(answerText(answer), /Default mode in this channel is now \*Queue\*/);
    const { message } = await post(ALICE, channel, `<@${BOT}> hi`);
    const session = await status(keyOf(channel, message.ts));
    assert.deepEqual([session.mode, session.modeSource], ["QUEUE", "channel"]);
  });

  test("with a mode and a thread link it sets that thread's mode, in every link form", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> thread one`);
    const key = keyOf(channel, message.ts);
    const reply = await post(BOB, channel, "a reply", message.ts);
    const root = `https://acme.slack.com/archives/${channel}/p${message.ts.replace(".", "")}`;
    const replyLink = `https://acme.slack.com/archives/${channel}/p${reply.message.ts.replace(".", "")}?thread_ts=${message.ts}&cid=${channel}`;
    for (const [link, mode] of [
      [root, "QUEUE"],
      [`<${replyLink}>`, "INCORPORATE"],
      [`<${root}|the thread>`, "INTERRUPT"],
    ] as const) {
      const answer = await run(channel, `${mode.toLowerCase()} ${link}`, CAROL);
      assert.match(answerText(answer), /Mode for that thread/, answerText(answer));
      assert.equal((await status(key)).mode, mode);
    }
  });

  test("bad input gets an ephemeral error with the usage and changes nothing", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> guarded`);
    const key = keyOf(channel, message.ts);
    const elsewhere = `https://acme.slack.com/archives/${GENERAL}/p${message.ts.replace(".", "")}`;
    const otherWorkspace = `https://evil.slack.com/archives/${channel}/p${message.ts.replace(".", "")}`;
    const noSession = `https://acme.slack.com/archives/${channel}/p1700000000000100`;
    const cases: [string, RegExp][] = [
      ["sometimes", /Unknown mode "sometimes"/],
      [`queue ${elsewhere}`, /That thread is in another channel/],
      [`queue ${otherWorkspace}`, /not to this workspace/],
      [`queue ${noSession}`, /This thread has no agent session/],
      ["queue not-a-link", /is not a link to a Slack thread/],
    ];
    for (const [text, expected] of cases) {
      const answer = await run(channel, text);
      assert.equal(answer.status, 200);
      assert.match(answerText(answer), expected, text);
      assert.match(answerText(answer), /Usage/, text);
    }
    const session = await status(key);
    assert.equal(session.modeSource, "default");
    assert.equal(
      (await stack.ingress.call<{ mode: string | null }>(`ChannelSettings/T0001:${channel}/get_mode`)).mode,
      null,
    );
  });

  test("inside a thread Slack itself refuses the command and points to !agentmode and the shortcut", async () => {
    const answer = await stack.emulator.slashCommand({
      user: ALICE,
      channel: GENERAL,
      command: "/agentmode",
      text: "queue",
      threadTs: "1700000000.000100",
    });
    assert.match(answer.refusedByClient ?? "", /!agentmode/);
  });
});

describe("the Agent mode shortcut", () => {
  test("opens a modal on a thread's message, and submitting it sets the thread's mode", async () => {
    const channel = newChannel();
    const { message } = await post(ALICE, channel, `<@${BOT}> shortcut me`);
    const reply = await post(BOB, channel, "a reply", message.ts);
    const key = keyOf(channel, message.ts);
    await idle(key);
    await stack.emulator.messageShortcut({
      user: CAROL,
      channel,
      ts: reply.message.ts,
      callbackId: "agentmode_thread",
    });
    const modal = await waitFor(() => stack.emulator.modalOf(CAROL), { what: "the modal" });
    assert.equal(modal.view.callback_id, "agentmode_modal");
    const answer = await stack.emulator.submitModal({
      user: CAROL,
      viewId: modal.id,
      values: { mode: { mode_choice: "QUEUE" } },
    });
    assert.equal(answer.status, 200);
    assert.equal((await status(key)).mode, "QUEUE");
    await waitFor(
      () => stack.emulator.ephemeralsFor(CAROL).some((e) => e.text.includes("*Queue*")) || undefined,
      {
        what: "the confirmation in the thread",
      },
    );
  });

  test("on a thread without a session it says so", async () => {
    const plain = await post(ALICE, GENERAL, "no agent here");
    await stack.emulator.messageShortcut({
      user: ALICE,
      channel: GENERAL,
      ts: plain.message.ts,
      callbackId: "agentmode_thread",
    });
    const modal = await waitFor(() => stack.emulator.modalOf(ALICE), { what: "the notice" });
    assert.match(JSON.stringify(modal.view.blocks), /no agent session yet/);
  });
});

describe("App Home", () => {
  test("shows queued runs with their text; remove and stop work from it", async () => {
    const channel = newChannel();
    await stack.emulator.slashCommand({ user: ALICE, channel, command: "/agentmode", text: "queue" });
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history.length === 1,
    );
    const first = await post(ALICE, channel, `<@${BOT}> first job`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    await post(ALICE, channel, "second job", first.message.ts);
    await post(BOB, channel, "third job", first.message.ts);
    await stack.emulator.openHome(ALICE);
    const home = await waitFor(
      () => {
        const view = JSON.stringify(stack.emulator.homeOf(ALICE)?.view ?? {});
        return view.includes("second job") && view.includes("third job") ? view : undefined;
      },
      { what: "the Home listing both queued jobs" },
    );
    assert.match(home, /Running, iteration 1/);

    const queued = (await status(key)).queue;
    const second = queued.find((q) => q.content === "second job");
    assert.ok(second);
    await stack.emulator.interact({
      user: ALICE,
      on: { home: true },
      actionId: `home_remove:${key}:${second.id}`,
    });
    assert.deepEqual(
      (await status(key)).queue.map((q) => q.content),
      ["third job"],
    );
    await waitFor(
      () => !JSON.stringify(stack.emulator.homeOf(ALICE)?.view).includes("second job") || undefined,
      {
        what: "the Home without the removed job",
      },
    );
    await reactionIs(
      channel,
      stack.emulator.thread(channel, first.message.ts)[1]?.ts ?? "",
      "black_square_for_stop",
    );

    const next = stack.sink.hold(
      (call) =>
        call.kind === "step" && call.sessionKey === key && call.history.at(-1)?.content === "third job",
    );
    // A double click on Stop: the button names the run the Home showed, so the second click does not stop
    // the queued run that starts after the first.
    await Promise.all([
      stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `home_stop:${key}` }),
      stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `home_stop:${key}` }),
    ]);
    await reactionIs(channel, first.message.ts, "black_square_for_stop");
    await next.arrived;
    assert.equal((await status(key)).activeRun?.input.content, "third job", "the next run goes on");
    next.release({ output: "third done", done: true });
    held.release({ output: "too late", done: true });
    await idle(key);
    assert.match(botText(channel, first.message.ts), /third done/, "the next run finished");
  });

  test("with no sessions it explains how to start one and what the modes do", async () => {
    await stack.emulator.openHome(CAROL);
    const home = await waitFor(() => stack.emulator.homeOf(CAROL), { what: "Carol's Home" });
    assert.match(
      JSON.stringify(home.view),
      /no agent sessions yet[\s\S]*Interrupt[\s\S]*Incorporate[\s\S]*Queue/,
    );
  });

  test("someone outside the session cannot stop it: the control is refused and explained", async () => {
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history[0]?.content === "private work",
    );
    const first = await post(ALICE, GENERAL, `<@${BOT}> private work`);
    const key = keyOf(GENERAL, first.message.ts);
    await held.arrived;
    await stack.emulator.openHome(ALICE);
    const aliceHome = await waitFor(
      () => {
        const home = stack.emulator.homeOf(ALICE);
        return home && JSON.stringify(home.view).includes(`home_stop:${key}`) ? home : undefined;
      },
      { what: "Alice's Home with the running session" },
    );
    // Carol gets hold of Alice's Home controls (a stale or shared view): the rules still apply.
    stack.emulator.workspace.homes.set(CAROL, { ...aliceHome, user: CAROL });
    const refusals = () =>
      stack.emulator
        .callsTo("views.open")
        .filter((c) => /Only the people in this session may/.test(JSON.stringify(c.args))).length;
    const refusedBefore = refusals();
    await stack.emulator.interact({ user: CAROL, on: { home: true }, actionId: `home_stop:${key}` });
    await stack.emulator.interact({ user: CAROL, on: { home: true }, actionId: `home_reset:${key}` });
    const notice = await waitFor(() => stack.emulator.modalOf(CAROL), { what: "the explanation" });
    assert.match(JSON.stringify(notice.view), /Only the people in this session may/);
    // Both controls are answered before the session decides: both refusals explained, then the state.
    await waitFor(() => refusals() === refusedBefore + 2 || undefined, {
      what: "both the stop and the reset refused",
    });
    const session = await status(key);
    assert.ok(session.activeRun, "the run is still going");
    assert.equal(session.historyLength, 1);
    held.release({ output: "done", done: true });
    await idle(key);
  });
});

describe("posting back", () => {
  test("a 429 is retried after its Retry-After and the reply is posted once", async () => {
    const channel = newChannel();
    stack.emulator.inject({
      method: "chat.postMessage",
      when: (args) => args.channel === channel,
      effect: { kind: "status", status: 429, retryAfter: 1 },
    });
    const { message } = await post(ALICE, channel, `<@${BOT}> rate limit me`);
    await repliesInclude(channel, message.ts, "all done");
    const calls = stack.emulator.callsTo("chat.postMessage").filter((c) => c.args.channel === channel);
    assert.equal(calls[0]?.status, 429);
    assert.ok(calls.length >= 2);
    const replies = stack.emulator.thread(channel, message.ts).filter((m) => m.user === BOT);
    const parts = replies.flatMap((m) => (m.metadata?.event_payload.parts as { iteration: number }[]) ?? []);
    assert.deepEqual(
      parts.map((p) => p.iteration),
      [1, 2],
      "each output posted exactly once",
    );
  });

  test("a permanent error ends the run as failed instead of retrying forever", async () => {
    const channel = newChannel();
    let refusing = true;
    stack.emulator.inject({
      method: "chat.postMessage",
      when: (args) => refusing && args.channel === channel,
      effect: { kind: "error", error: "not_in_channel" },
      times: 100,
    });
    const refused = () =>
      stack.emulator
        .callsTo("chat.postMessage")
        .filter((c) => c.args.channel === channel && c.error === "not_in_channel").length;
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 2 && call.history[0]?.content === "doomed",
    );
    const { message } = await post(ALICE, channel, `<@${BOT}> doomed`);
    const key = keyOf(channel, message.ts);
    const doomed = await stack.sink.waitForCall(firstStepOf(key), "the doomed run's first step");
    await reactionIs(channel, message.ts, "x");
    await idle(key);
    const refusedWhenFailed = refused();
    assert.ok(refusedWhenFailed > 0, "the post was tried and refused");
    assert.equal(stack.emulator.thread(channel, message.ts).filter((m) => m.user === BOT).length, 0);
    // From here Slack would take the posts: only the product's own decision keeps the failed run out.
    refusing = false;
    held.release({ output: "never shown", done: true });
    await runCompleted(stack.restate, key, doomed.runId);
    const later = await post(BOB, channel, "try again", message.ts);
    await reactionIs(channel, later.message.ts, "white_check_mark");
    await repliesInclude(channel, message.ts, "all done");
    assert.ok(!botText(channel, message.ts).includes("never shown"), "the failed run posts nothing more");
    assert.equal(refused(), refusedWhenFailed, "the refused post was not tried again after the run failed");
  });

  test("a reaction that landed although its answer was lost does not fail the run", async () => {
    const channel = newChannel();
    stack.emulator.inject({
      method: "reactions.add",
      when: (args) => args.channel === channel && args.name === "eyes",
      effect: { kind: "drop", when: "after" },
    });
    const { message } = await post(ALICE, channel, `<@${BOT}> react`);
    await repliesInclude(channel, message.ts, "all done");
    await reactionIs(channel, message.ts, "white_check_mark");
    const adds = stack.emulator
      .callsTo("reactions.add")
      .filter((c) => c.args.channel === channel && c.args.name === "eyes");
    assert.deepEqual(
      adds.map((c) => c.error ?? (c.status === 0 ? "dropped" : "ok")),
      ["dropped", "already_reacted"],
    );
  });

  test("a message's fate reaction outlasts a run of Slack failures", async () => {
    const channel = newChannel();
    // More failures in a row than a count of attempts would allow (it used to give up after five).
    const failures = 8;
    stack.emulator.inject({
      method: "reactions.add",
      when: (args) => args.channel === channel && args.name === "white_check_mark",
      effect: { kind: "status", status: 429, retryAfter: 0 },
      times: failures,
    });
    const { message } = await post(ALICE, channel, `<@${BOT}> react through it`);
    await reactionIs(channel, message.ts, "white_check_mark");
    const adds = stack.emulator
      .callsTo("reactions.add")
      .filter((c) => c.args.channel === channel && c.args.name === "white_check_mark");
    assert.deepEqual(
      adds.map((c) => c.status),
      [...Array(failures).fill(429), 200],
    );
  });

  test("blocks Slack refuses (invalid_blocks) are sent again as text alone: the answer is not lost", async () => {
    const channel = newChannel();
    stack.emulator.inject({
      method: "chat.postMessage",
      when: (args) =>
        args.channel === channel && JSON.stringify(args.blocks ?? "").includes("context_actions"),
      effect: { kind: "error", error: "invalid_blocks" },
      times: 5,
    });
    const { message } = await post(ALICE, channel, `<@${BOT}> newer blocks please`);
    await repliesInclude(channel, message.ts, "all done");
    const answer = stack.emulator.thread(channel, message.ts).find((m) => m.text.includes("all done"));
    assert.ok(answer, "the answer is in the thread");
    assert.deepEqual(
      (answer.blocks as { type: string }[]).map((b) => b.type),
      ["section"],
      "as text, without the blocks Slack refused",
    );
    const refused = stack.emulator
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.error === "invalid_blocks");
    assert.equal(refused.length, 1, "refused once, then sent as text");
    await reactionIs(channel, message.ts, "white_check_mark");
  });

  test("a long output is split to fit Slack's limits", async () => {
    const long = `${"word ".repeat(1500)}end`;
    const held = stack.sink.hold(
      (call) => call.kind === "step" && call.iteration === 1 && call.history[0]?.content === "be verbose",
    );
    const { message } = await post(ALICE, GENERAL, `<@${BOT}> be verbose`);
    await held.arrived;
    held.release({ output: long, done: true });
    await repliesInclude(GENERAL, message.ts, "end");
    const replies = stack.emulator.thread(GENERAL, message.ts).filter((m) => m.user === BOT);
    assert.ok(replies.length >= 2);
    assert.ok(replies.every((m) => m.text.length <= 4000));
    assert.deepEqual(
      replies.map((m) => JSON.stringify(m.blocks ?? []).includes("feedback_buttons")),
      replies.map((_, i) => i === replies.length - 1),
      "the feedback buttons under the answer's last message only",
    );
    assert.equal(
      replies
        .map((m) => m.text)
        .join(" ")
        .replace(/\s+/g, " "),
      long.replace(/\s+/g, " ").trim(),
    );
  });
});
