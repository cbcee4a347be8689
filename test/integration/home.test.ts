/**
 * The App Home as docs/slack-setup.md (the checklist) and docs/architecture.md (UserHome) describe it: its
 * mode select sets a session's own mode, its reset control empties the session (run stopped, queue dropped,
 * history forgotten), and its publishes are debounced (changes within HOME_DEBOUNCE_MS share one
 * views.publish; opening the Home publishes at once). Runs the whole Slack stack against the emulator, with
 * the scripted agent held where a run must stay busy.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { type SlackStack, startSlackStack } from "../helpers/slack-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const BOT = "U0AGENT01";
/** Long enough that a handful of changes made one after another fall within it, even on a busy machine. */
const DEBOUNCE_MS = 3000;

let stack: SlackStack;
let reads: ReturnType<typeof sessionReads>;
before(async () => {
  stack = await startSlackStack({ env: { HOME_DEBOUNCE_MS: String(DEBOUNCE_MS) } });
  reads = sessionReads(stack.ingress);
});
after(() => stack?.close());

let people = 0;
/** A person of their own for each test, so that no other test's sessions touch their Home. */
function newPerson(): string {
  people += 1;
  const id = `U0HOME${String(people).padStart(3, "0")}`;
  stack.emulator.workspace.addUser({
    id,
    name: `home${people}`,
    realName: `Home Tester ${people}`,
    isBot: false,
  });
  return id;
}

const newChannel = (members: readonly string[]) => stack.emulator.newChannel(members);

const keyOf = (channel: string, ts: string) => toSessionKey("T0001", channel, ts);

function post(user: string, channel: string, text: string, threadTs?: string) {
  return stack.emulator.userPosts({ user, channel, text, ...(threadTs ? { threadTs } : {}) });
}

function homeText(user: string): string {
  return JSON.stringify(stack.emulator.homeOf(user)?.view ?? {});
}

async function reactionIs(channel: string, ts: string, reaction: string) {
  await waitFor(
    () => {
      const reactions = stack.emulator.botReactions(channel, ts);
      return reactions.length === 1 && reactions[0] === reaction ? true : undefined;
    },
    { what: `:${reaction}: (only) on ${ts}, have ${stack.emulator.botReactions(channel, ts)}` },
  );
}

function publishesFor(user: string) {
  return stack.emulator.callsTo("views.publish").filter((call) => call.args.user_id === user && call.ok);
}

describe("the App Home's controls", () => {
  test("the mode select sets the session's own mode: a reply then waits in the queue instead of interrupting", async () => {
    const person = newPerson();
    const channel = newChannel([person]);
    const held = stack.sink.hold(
      (call) =>
        call.kind === "step" && call.iteration === 1 && call.history[0]?.content === "plan the offsite",
    );
    const first = await post(person, channel, `<@${BOT}> plan the offsite`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    assert.equal((await reads.status(key)).mode, "INTERRUPT", "the app default before the change");
    await stack.emulator.openHome(person);
    await waitFor(() => homeText(person).includes(`home_mode:${key}`) || undefined, {
      what: "the Home with the session's mode select",
    });

    await stack.emulator.interact({
      user: person,
      on: { home: true },
      actionId: `home_mode:${key}`,
      option: "QUEUE",
    });
    const changed = await reads.status(key);
    assert.equal(changed.mode, "QUEUE");
    assert.equal(changed.modeSource, "session", "the session's own mode, not the channel's");
    await waitFor(() => homeText(person).includes("Mode: *Queue*") || undefined, {
      what: "the Home showing the new mode",
    });

    const second = await post(person, channel, "and book a room", first.message.ts);
    await reactionIs(channel, second.message.ts, "hourglass_flowing_sand");
    const queued = await reads.status(key);
    assert.deepEqual(
      queued.queue.map((input) => input.content),
      ["and book a room"],
    );
    assert.equal(queued.activeRun?.input.content, "plan the offsite", "the first run was not interrupted");

    // "Channel default" gives the session's own mode up again.
    await stack.emulator.interact({
      user: person,
      on: { home: true },
      actionId: `home_mode:${key}`,
      option: "DEFAULT",
    });
    const followed = await reads.status(key);
    assert.notEqual(followed.modeSource, "session");
    assert.equal(followed.mode, "INTERRUPT");

    held.release({ output: "offsite planned", done: true });
    await reads.idle(key);
  });

  test("reset stops the run, drops the queue and forgets the history; the thread shows every message stopped", async () => {
    const person = newPerson();
    const channel = newChannel([person]);
    await stack.emulator.slashCommand({ user: person, channel, command: "/agentmode", text: "queue" });
    const held = stack.sink.hold(
      (call) =>
        call.kind === "step" && call.iteration === 1 && call.history[0]?.content === "write the report",
    );
    const first = await post(person, channel, `<@${BOT}> write the report`);
    const key = keyOf(channel, first.message.ts);
    await held.arrived;
    const second = await post(person, channel, "with a summary", first.message.ts);
    await reactionIs(channel, second.message.ts, "hourglass_flowing_sand");
    const before = await reads.status(key);
    assert.equal(before.historyLength, 1);
    assert.equal(before.queue.length, 1);
    const stoppedRun = before.activeRun?.id;
    assert.ok(stoppedRun);

    await stack.emulator.openHome(person);
    await waitFor(() => homeText(person).includes(`home_reset:${key}`) || undefined, {
      what: "the Home with the reset control",
    });
    await stack.emulator.interact({ user: person, on: { home: true }, actionId: `home_reset:${key}` });

    const after = await reads.status(key);
    assert.equal(after.activeRun, null, "the run is stopped");
    assert.deepEqual(after.queue, [], "the queue is dropped");
    assert.equal(after.historyLength, 0, "the history is forgotten");
    assert.deepEqual(await reads.history(key), []);
    assert.equal(after.mode, "QUEUE", "the mode stays");
    await reactionIs(channel, first.message.ts, "black_square_for_stop");
    await reactionIs(channel, second.message.ts, "black_square_for_stop");
    await waitFor(() => homeText(person).includes("Nothing running") || undefined, {
      what: "the Home showing nothing running",
    });

    // The stopped run's step answers late: nothing of it reaches the thread or the history, and the
    // dropped message never runs. The next message's run is the barrier: it starts from an empty history.
    held.release({ output: "too late to matter", done: true });
    const next = stack.sink.hold(
      (call) =>
        call.kind === "step" && call.sessionKey === key && call.history.at(-1)?.content === "start over",
    );
    await post(person, channel, `<@${BOT}> start over`, first.message.ts);
    const fresh = await next.arrived;
    assert.deepEqual(
      fresh.history.map((item) => item.content),
      ["start over"],
      "the next run sees nothing from before the reset",
    );
    next.release({ output: "fresh start", done: true });
    await reads.idle(key);
    const bot = stack.emulator.thread(channel, first.message.ts).filter((m) => m.user === BOT);
    assert.ok(!bot.some((m) => m.text.includes("too late to matter")), "the stopped run's output is dropped");
    assert.equal(
      stack.sink.executions(
        (call) => call.sessionKey === key && call.history.at(-1)?.content === "with a summary",
      ),
      0,
      "the dropped message never ran",
    );
  });
});

describe("the App Home's publishes", () => {
  test("changes within the debounce time share one views.publish; opening the Home publishes at once", async () => {
    const person = newPerson();
    const channel = newChannel([person]);
    await stack.emulator.slashCommand({ user: person, channel, command: "/agentmode", text: "queue" });
    const held = stack.sink.hold(
      (call) =>
        call.kind === "step" && call.iteration === 1 && call.history[0]?.content === "count the publishes",
    );
    // Three changes of the person's session one after another: the run starts, then two messages queue.
    const startedAt = Date.now();
    const first = await post(person, channel, `<@${BOT}> count the publishes`);
    const key = keyOf(channel, first.message.ts);
    await post(person, channel, "queued one", first.message.ts);
    await post(person, channel, "queued two", first.message.ts);
    await waitFor(async () => (await reads.status(key)).queue.length === 2 || undefined, {
      what: "both messages queued",
    });
    const changesTookMs = Date.now() - startedAt;
    assert.ok(changesTookMs < DEBOUNCE_MS, `the three changes were made within ${changesTookMs} ms`);

    const shown = await waitFor(
      () =>
        publishesFor(person).find((call) =>
          /queued one[\s\S]*queued two/.test(JSON.stringify(call.args.view)),
        ),
      { what: "a publish showing both queued messages" },
    );
    assert.equal(publishesFor(person).length, 1, "the three changes shared one publish");
    assert.ok(
      shown.at - startedAt >= DEBOUNCE_MS - 100,
      `the publish waited for the debounce time (${shown.at - startedAt} ms after the first change)`,
    );

    const openedAt = Date.now();
    await stack.emulator.openHome(person);
    const onOpen = await waitFor(() => publishesFor(person)[1], { what: "the publish for the opened Home" });
    assert.ok(
      onOpen.at - openedAt < DEBOUNCE_MS / 2,
      `opening published at once (${onOpen.at - openedAt} ms), not after the debounce time`,
    );

    held.release({ output: "counted", done: true });
    await reads.idle(key);
  });
});
