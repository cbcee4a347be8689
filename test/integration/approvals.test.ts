/**
 * Approvals before the agent acts, and undo after an interrupted run acted, over HTTP with the real Bolt
 * app: the card in the thread, who may decide (first decision wins), a denial's reason through the modal,
 * the timeout, the modes while a run waits, the Home's buttons, and the undo note. The tool that acts is
 * the product's own `post_to_channel`, against the emulator, which counts what it posts and deletes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EFFECT_LANDING_GRACE_MS } from "../../src/restate/agent-session.ts";
import { toSessionKey } from "../../src/restate/keys.ts";
import { TOOL_POST_EVENT } from "../../src/slack/post-to-channel-tool.ts";
import type { EmMessage } from "../../src/slack-emulator/workspace.ts";
import { ALICE, BOB, BOT, CAROL } from "../helpers/people.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { type SinkCall, type StepReply, stepOf } from "../helpers/step-sink.ts";
import { waitFor } from "../helpers/wait.ts";

let stack: SlackStack;
before(async () => {
  stack = await startSlackStack();
  stack.sink.setDefaultReply(() => ({ output: "all done", done: true }));
});
after(() => stack?.close());

const keyOf = (channel: string, ts: string) => toSessionKey("T0001", channel, ts);
const stepOn =
  (content: string, iteration = 1) =>
  (call: SinkCall) =>
    call.kind === "step" && call.iteration === iteration && call.history.at(-1)?.content === content;

/** A step that asks to post `text` into `channel`. */
const posting = (channel: string, text: string, reply: Partial<StepReply> = {}): StepReply => ({
  output: "asked to post",
  done: true,
  tool: { name: "post_to_channel", input: { channel, text } },
  ...reply,
});

/** What the tests do and read in threads, on the stack `get` gives (each describe has its own). */
function threadKit(get: () => SlackStack) {
  const post = (user: string, channel: string, text: string, threadTs?: string) =>
    get().emulator.userPosts({ user, channel, text, ...(threadTs ? { threadTs } : {}) });
  /** The thread's message that carries a control `actionId` (the approval card, the undo note). */
  const carrying = (channel: string, threadTs: string, actionId: string): EmMessage | undefined =>
    get()
      .emulator.thread(channel, threadTs)
      .find((m) => JSON.stringify(m.blocks ?? []).includes(actionId));
  const cardIn = (channel: string, threadTs: string) =>
    waitFor(() => carrying(channel, threadTs, `approval_approve:${keyOf(channel, threadTs)}`), {
      what: "the approval card",
    });
  const textOf = (channel: string, ts: string) =>
    JSON.stringify(get().emulator.workspace.message(channel, ts));
  return {
    reads: () => sessionReads(get().ingress),
    post,
    carrying,
    cardIn,
    textOf,
    /** The tool's own posts into a channel (its metadata says so), as the emulator has them. */
    toolPosts: (channel: string) =>
      (get().emulator.workspace.messages.get(channel) ?? []).filter(
        (m) => (m.metadata as { event_type?: string } | undefined)?.event_type === TOOL_POST_EVENT,
      ),
    toolPostCalls: () =>
      get()
        .emulator.callsTo("chat.postMessage")
        .filter((c) => JSON.stringify(c.args).includes(TOOL_POST_EVENT) && c.ok).length,
    cardSays: (channel: string, ts: string, pattern: RegExp) =>
      waitFor(() => (pattern.test(textOf(channel, ts)) ? true : undefined), {
        what: `the card to say ${pattern}: ${textOf(channel, ts)}`,
      }),
    /** A message of the thread saying `pattern`. */
    noticeSays: (channel: string, threadTs: string, pattern: RegExp, timeoutMs?: number) =>
      waitFor(
        () =>
          get()
            .emulator.thread(channel, threadTs)
            .find((m) => pattern.test(JSON.stringify(m.blocks ?? []))),
        { what: `a message in the thread saying ${pattern}`, ...(timeoutMs ? { timeoutMs } : {}) },
      ),
    click: (user: string, channel: string, ts: string, actionId: string) =>
      get().emulator.interact({ user, on: { channel, ts }, actionId }),
    ephemeralSays: (user: string, pattern: RegExp) =>
      waitFor(
        () =>
          get()
            .emulator.ephemeralsFor(user)
            .find((e) => pattern.test(e.text ?? "")),
        {
          what: `an ephemeral to ${user} saying ${pattern}`,
        },
      ),
    /** A thread whose run asks to post `text` into its own channel; resolves once the card is up. */
    async waitingThread(text: string, ask = "post the summary", reply: Partial<StepReply> = {}) {
      const channel = get().emulator.newChannel([ALICE, BOB, CAROL]);
      const held = get().sink.hold(stepOn(ask));
      const { message } = await post(ALICE, channel, `<@${BOT}> ${ask}`);
      await held.arrived;
      held.release(posting(channel, text, reply));
      const card = await cardIn(channel, message.ts);
      return { channel, root: message.ts, key: keyOf(channel, message.ts), card };
    },
  };
}

const {
  reads,
  post,
  carrying,
  cardIn,
  textOf,
  toolPosts,
  toolPostCalls,
  cardSays,
  click,
  ephemeralSays,
  waitingThread,
} = threadKit(() => stack);

describe("a tool that needs approval", () => {
  test("waits on a card; Approve runs it once, and the card says who approved and when", async () => {
    const { channel, root, key, card } = await waitingThread("Team lunch is at noon");
    // Waiting: suspended, a raised hand on the message, the approval in get_status; nothing posted.
    await waitFor(
      () => stack.emulator.workspace.agentSession(channel, root)?.status === "suspended" || undefined,
      {
        what: "the agent session suspended",
      },
    );
    await waitFor(() => stack.emulator.botReactions(channel, root).includes("raised_hand") || undefined, {
      what: "the waiting reaction",
    });
    const status = await reads().status(key);
    assert.equal(status.activeRun?.approval?.tool, "post_to_channel");
    assert.deepEqual(status.activeRun?.approval?.args, { channel, text: "Team lunch is at noon" });
    assert.match(status.activeRun?.approval?.since ?? "", /^\d{4}-\d\d-\d\dT/);
    assert.doesNotMatch(JSON.stringify(status), /approval-1/, "the signal's name is in no answer");
    assert.equal(toolPosts(channel).length, 0, "nothing posted before approval");
    assert.match(JSON.stringify(card.blocks), /Team lunch is at noon/);

    const before = toolPostCalls();
    await click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await cardSays(channel, card.ts, /Approved by <@U0ALICE01> at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 1, "posted once");
    assert.equal(toolPosts(channel)[0]?.text, "Team lunch is at noon");
    assert.equal(toolPostCalls() - before, 1, "one chat.postMessage for the tool");
    assert.doesNotMatch(textOf(channel, card.ts), /approval_approve/, "the buttons are gone");
    // Its timeout, a durable timer a day away, is cancelled: nothing of the wait is left in Restate.
    await waitFor(
      async () => {
        const timers = await stack.restate.query<{ n: number }>(
          `SELECT count(*) AS n FROM sys_invocation WHERE target_handler_name = 'approval_timed_out' AND target_service_key = '${key}' AND status <> 'completed'`,
        );
        return Number(timers[0]?.n) === 0 ? true : undefined;
      },
      { what: "the approval's timer cancelled" },
    );
    await waitFor(
      () => stack.emulator.botReactions(channel, root).includes("white_check_mark") || undefined,
      {
        what: "the message done",
      },
    );
  });

  test("Deny takes a reason through a modal; the tool does not run and the model reads the reason", async () => {
    const { channel, root, key, card } = await waitingThread("Everyone is fired");
    await click(ALICE, channel, card.ts, `approval_deny:${key}`);
    const modal = await waitFor(() => stack.emulator.modalOf(ALICE), { what: "the deny modal" });
    await stack.emulator.submitModal({
      user: ALICE,
      viewId: modal.id,
      values: { reason: { reason_input: "not funny" } },
    });
    await cardSays(channel, card.ts, /Denied by <@U0ALICE01> at .*: not funny/);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 0);
    // The answer is posted after the run ended (at the channel's pace): waited for, then read.
    const answer = await waitFor(
      () =>
        stack.emulator
          .thread(channel, root)
          .find((m) => m.ts !== card.ts && /denied/.test(JSON.stringify(m.blocks ?? []))),
      { what: "the run's answer" },
    );
    assert.match(JSON.stringify(answer.blocks), /denied \(by Slack user U0ALICE01\): not funny/);
  });

  test("someone not in the session is refused and nothing changes; a double click decides once", async () => {
    const { channel, key, card } = await waitingThread("Standup moved to 10");
    await click(CAROL, channel, card.ts, `approval_approve:${key}`);
    await ephemeralSays(CAROL, /Could not approve: Only the people in this session may decide this/);
    assert.ok((await reads().status(key)).activeRun?.approval, "still waiting");

    const before = toolPostCalls();
    await Promise.all([
      click(ALICE, channel, card.ts, `approval_approve:${key}`),
      click(ALICE, channel, card.ts, `approval_approve:${key}`),
    ]);
    await ephemeralSays(ALICE, /Already decided. .*Approved by <@U0ALICE01>/);
    await reads().idle(key);
    assert.equal(toolPostCalls() - before, 1, "one decision, one post");
  });

  test("two people of the session racing: the first decision wins, the second learns who decided", async () => {
    const channel = stack.emulator.newChannel([ALICE, BOB, CAROL]);
    const held = stack.sink.hold(stepOn("ask both"));
    const { message } = await post(ALICE, channel, `<@${BOT}> ask both`);
    const key = keyOf(channel, message.ts);
    await held.arrived;
    // Bob joins the session while the run waits (incorporate: his message is taken in after the decision).
    await stack.adapter.call(`ChatService/${key}/set_mode`, { mode: "INCORPORATE", by: ALICE });
    held.release(posting(channel, "Offsite on Friday", { done: false }));
    const card = await cardIn(channel, message.ts);
    await post(BOB, channel, "and bring snacks", message.ts);
    await waitFor(
      async () => ((await reads().status(key)).activeRun?.incorporated.length ? true : undefined),
      {
        what: "Bob's message kept for the run",
      },
    );
    const next = stack.sink.hold(stepOn("and bring snacks", 2));
    await Promise.all([
      click(ALICE, channel, card.ts, `approval_deny:${key}`).then(async () => {
        const modal = await waitFor(() => stack.emulator.modalOf(ALICE), { what: "Alice's deny modal" });
        return stack.emulator.submitModal({ user: ALICE, viewId: modal.id, values: {} });
      }),
      click(BOB, channel, card.ts, `approval_approve:${key}`),
    ]);
    // Exactly one decision: whoever came second is told the first.
    await cardSays(channel, card.ts, /Approved by <@U0BOB0002>|Denied by <@U0ALICE01>/);
    const approved = /Approved by <@U0BOB0002>/.test(textOf(channel, card.ts));
    if (approved)
      await waitFor(
        () =>
          /Already decided/.test(JSON.stringify(stack.emulator.modalOf(ALICE)?.view)) ? true : undefined,
        {
          what: "Alice told in her modal",
        },
      );
    else await ephemeralSays(BOB, /Already decided. .*Denied by <@U0ALICE01>/);
    // The run goes on and takes Bob's message in at its next iteration.
    const second = await next.arrived;
    assert.equal(second.history.at(-1)?.content, "and bring snacks");
    next.release({ output: "noted", done: true });
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, approved ? 1 : 0);
  });

  test("a decision reaches the run only through our handler: no unsigned call, no private handler, no awakeable", async () => {
    const { channel, key, card } = await waitingThread("Nobody else may decide");
    const approvalId = (card.blocks as { elements?: { value?: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.value)?.value;
    assert.ok(approvalId);
    const decision = { by: ALICE, approvalId, approve: true, decidedAt: "1700000000.000100" };
    const unsigned = await stack.ingress.request(`ChatService/${key}/decide_approval`, decision);
    assert.equal(unsigned.status, 401, unsigned.text);
    const timedOut = await stack.ingress.request(`ChatService/${key}/approval_timed_out`, { approvalId });
    assert.notEqual(timedOut.status, 200, "a private handler is refused on the ingress");
    // The button's id is no promise: Restate's awakeable API refuses it.
    const awakeable = await stack.ingress.request(`restate/awakeables/${approvalId}/resolve`, {
      verdict: "approved",
    });
    assert.notEqual(awakeable.status, 200);
    const status = await reads().status(key);
    const run = await stack.ingress.request(
      `restate/awakeables/${status.activeRun?.invocationId}/resolve`,
      {},
    );
    assert.notEqual(run.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok((await reads().status(key)).activeRun?.approval, "still waiting");
    assert.equal(toolPosts(channel).length, 0);
    await click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 1);
  });

  test("the Home lists the waiting approval with the same buttons, and they work", async () => {
    const { channel, key, card } = await waitingThread("From the Home");
    await stack.emulator.openHome(ALICE);
    await waitFor(
      () =>
        JSON.stringify(stack.emulator.homeOf(ALICE)?.view ?? {}).includes(`approval_approve:${key}`) ||
        undefined,
      { what: "the approval on Alice's Home" },
    );
    assert.match(JSON.stringify(stack.emulator.homeOf(ALICE)?.view), /Waits for approval since/);
    await stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `approval_approve:${key}` });
    await cardSays(channel, card.ts, /Approved by <@U0ALICE01>/);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 1);
  });
});

describe("modes while a run waits for approval", () => {
  test("INTERRUPT: a new message supersedes the wait; the tool never runs, the new run starts", async () => {
    const { channel, root, key, card } = await waitingThread("Superseded post");
    const next = stack.sink.hold(stepOn("never mind"));
    await post(ALICE, channel, "never mind", root);
    await next.arrived;
    await cardSays(channel, card.ts, /Superseded at .* the agent did not do it/);
    next.release({ output: "ok", done: true });
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 0);
  });

  test("Stop from the Home cancels the wait like an interrupt", async () => {
    const { channel, key, card } = await waitingThread("Stopped post");
    await stack.emulator.openHome(ALICE);
    await waitFor(
      () =>
        JSON.stringify(stack.emulator.homeOf(ALICE)?.view ?? {}).includes(`home_stop:${key}`) || undefined,
      { what: "Stop on the Home" },
    );
    await stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `home_stop:${key}` });
    await cardSays(channel, card.ts, /Superseded/);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 0);
  });

  test("QUEUE: a new message waits behind the run, which goes on after the decision", async () => {
    const channel = stack.emulator.newChannel([ALICE, BOB, CAROL]);
    const held = stack.sink.hold(stepOn("queue me"));
    const { message } = await post(ALICE, channel, `<@${BOT}> queue me`);
    const key = keyOf(channel, message.ts);
    await held.arrived;
    await stack.adapter.call(`ChatService/${key}/set_mode`, { mode: "QUEUE", by: ALICE });
    held.release(posting(channel, "Queued behind an approval"));
    const card = await cardIn(channel, message.ts);
    const queued = stack.sink.hold(stepOn("after that"));
    await post(ALICE, channel, "after that", message.ts);
    await waitFor(async () => ((await reads().status(key)).queue.length === 1 ? true : undefined), {
      what: "the message queued",
    });
    await click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await queued.arrived;
    queued.release({ output: "next", done: true });
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 1);
  });
});

describe("undo after an interrupted run acted", () => {
  test("the note lists what the run did; Undo deletes it once, and a second click does nothing", async () => {
    const channel = stack.emulator.newChannel([ALICE, BOB, CAROL]);
    const held = stack.sink.hold(stepOn("post then think"));
    const { message } = await post(ALICE, channel, `<@${BOT}> post then think`);
    const key = keyOf(channel, message.ts);
    await held.arrived;
    held.release(posting(channel, "This will be taken back", { done: false }));
    const card = await cardIn(channel, message.ts);
    const thinking = stack.sink.hold(stepOf(key, 2));
    await click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await thinking.arrived;
    assert.equal(toolPosts(channel).length, 1);

    const next = stack.sink.hold(stepOn("stop, wrong channel"));
    await post(ALICE, channel, "stop, wrong channel", message.ts);
    await next.arrived;
    next.release({ output: "sorry", done: true });
    thinking.release({ output: "too late", done: true });
    const note = await waitFor(() => carrying(channel, message.ts, `undo_run:${key}`), {
      what: "the undo note",
    });
    assert.match(JSON.stringify(note.blocks), /had already done this/);

    await click(CAROL, channel, note.ts, `undo_run:${key}`);
    await ephemeralSays(CAROL, /Could not undo: Only the people in this session may undo/);
    assert.equal(toolPosts(channel).length, 1, "Carol's click changed nothing");

    // A double click: one undo, and the other click learns it was taken.
    await Promise.all([
      click(ALICE, channel, note.ts, `undo_run:${key}`),
      click(ALICE, channel, note.ts, `undo_run:${key}`),
    ]);
    await cardSays(channel, note.ts, /Undone by <@U0ALICE01>.*undone/);
    await ephemeralSays(ALICE, /Already undone, <@U0ALICE01>/);
    assert.equal(toolPosts(channel).length, 0, "the post is gone");
    assert.equal(stack.emulator.deletedFrom(channel).length, 1, "deleted once");
    assert.doesNotMatch(textOf(channel, note.ts), /undo_run/, "no Undo button once it is done");
  });

  test("a run that finishes keeps its effects and offers no undo", async () => {
    const { channel, root, key, card } = await waitingThread("Kept for good");
    await click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await reads().idle(key);
    assert.equal(toolPosts(channel).length, 1);
    assert.equal(carrying(channel, root, `undo_run:${key}`), undefined);
  });
});

describe("with APPROVERS, a short APPROVAL_TIMEOUT and UNDO_ON_INTERRUPT", () => {
  let strict: SlackStack;
  before(async () => {
    strict = await startSlackStack({
      env: { APPROVERS: `T0001:${CAROL}`, APPROVAL_TIMEOUT: "3s", UNDO_ON_INTERRUPT: "true" },
    });
    strict.sink.setDefaultReply(() => ({ output: "all done", done: true }));
  });
  after(() => strict?.close());
  const kit = threadKit(() => strict);

  test("only the named approvers decide, even over the session's own people", async () => {
    const { channel, key, card } = await kit.waitingThread("Needs Carol", "approvers only");
    await kit.click(ALICE, channel, card.ts, `approval_approve:${key}`);
    await kit.ephemeralSays(ALICE, /Only the approvers this app names/);
    // Carol never wrote in the thread, yet as an approver her Home lists the approval: she decides there.
    await strict.emulator.openHome(CAROL);
    await waitFor(
      () =>
        JSON.stringify(strict.emulator.homeOf(CAROL)?.view ?? {}).includes(`approval_approve:${key}`) ||
        undefined,
      { what: "the approval on Carol's Home" },
    );
    await strict.emulator.interact({ user: CAROL, on: { home: true }, actionId: `approval_approve:${key}` });
    await kit.reads().idle(key);
    await kit.cardSays(channel, card.ts, /Approved by <@U0CAROL03>/);
  });

  test("post_to_channel posts only where the person who approved is a member", async () => {
    // #project-x is private: Alice, Bob and the bot are in it, Carol (the approver) is not.
    const { channel, root, key, card } = await kit.waitingThread("Secret plans", "post in project-x", {
      tool: { name: "post_to_channel", input: { channel: "#project-x", text: "Secret plans" } },
    });
    await kit.click(CAROL, channel, card.ts, `approval_approve:${key}`);
    await kit.reads().idle(key);
    await kit.noticeSays(channel, root, /is not a member of that channel/);
    assert.equal(kit.toolPosts("G0PROJECT").length, 0, "nothing posted in the private channel");
  });

  test("a wait longer than APPROVAL_TIMEOUT ends as denied (timed out), by a durable timer", async () => {
    const { channel, root, key } = await kit.waitingThread("Too late", "nobody answers");
    await kit.reads().idle(key);
    await kit.noticeSays(channel, root, /Not approved in time/);
    await kit.noticeSays(channel, root, /nobody approved it in time/);
    assert.equal(kit.toolPosts(channel).length, 0);
  });

  test("a post still on its way when the run is cancelled is undone once it has landed", async () => {
    const { channel, root, key, card } = await kit.waitingThread("Landing late", "late post");
    // Slack has not taken the post yet when the interrupt cancels the run: the run ends without its result.
    const posting = strict.emulator.hold(
      "chat.postMessage",
      (args) => args.channel === channel && JSON.stringify(args).includes(TOOL_POST_EVENT),
    );
    await kit.click(CAROL, channel, card.ts, `approval_approve:${key}`);
    await posting.arrived;
    const next = strict.sink.hold(stepOn("cancel that"));
    await kit.post(ALICE, channel, "cancel that", root);
    await next.arrived;
    next.release({ output: "ok", done: true });
    await kit.noticeSays(channel, root, /Undoing \(asked automatically\)|Undoing/);
    // Now it lands, after the run has ended; the undo waited for it: the grace it gives a post still
    // landing is a durable sleep, so the note comes only after it, whenever the post landed.
    posting.release();
    await kit.noticeSays(channel, root, /Undone automatically.* undone/, EFFECT_LANDING_GRACE_MS + 20_000);
    assert.equal(kit.toolPosts(channel).length, 0, "the late post is gone");
    assert.equal(strict.emulator.deletedFrom(channel).length, 1);
  });

  test("UNDO_ON_INTERRUPT undoes an interrupted run's effects at once", async () => {
    const { channel, root, key, card } = await kit.waitingThread("Rolled back", "auto undo", { done: false });
    const thinking = strict.sink.hold(stepOf(key, 2));
    await kit.click(CAROL, channel, card.ts, `approval_approve:${key}`);
    await thinking.arrived;
    const next = strict.sink.hold(stepOn("no, stop"));
    await kit.post(ALICE, channel, "no, stop", root);
    await next.arrived;
    next.release({ output: "stopped", done: true });
    thinking.release({ output: "too late", done: true });
    await waitFor(() => (strict.emulator.deletedFrom(channel).length === 1 ? true : undefined), {
      what: "the post deleted",
    });
    await kit.noticeSays(channel, root, /Undone automatically/);
  });
});
