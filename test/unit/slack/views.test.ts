import assert from "node:assert/strict";
import { test } from "node:test";
import type { SessionStatus } from "../../../src/restate/chat-service.ts";
import { MODES } from "../../../src/restate/modes.ts";
import type { UserInput } from "../../../src/restate/session-state.ts";
import {
  buildChannelListing,
  buildModeModal,
  buildNoticeModal,
  modeFromOption,
  parseModalMetadata,
} from "../../../src/slack/views/agentmode-views.ts";
import { channelModeConfirmation, threadModeConfirmation } from "../../../src/slack/views/confirmations.ts";
import { buildHomeView, FOLLOW_DEFAULT, MAX_HOME_BLOCKS } from "../../../src/slack/views/home-view.ts";
import { validateMessageBlocks, validateView } from "../../../src/slack-emulator/block-kit.ts";

const input = (id: string, content: string, by = "U1"): UserInput => ({
  id,
  content,
  role: "user",
  at: "2026-11-25T10:00:00.000Z",
  by,
  source: null,
});

function session(
  n: number,
  options: { running?: boolean; queued?: number; long?: boolean } = {},
): SessionStatus {
  const ts = `1700000000.${String(n).padStart(6, "0")}`;
  return {
    key: `T1:C1:${ts}`,
    exists: true,
    createdAt: "2026-11-25T10:00:00.000Z",
    title: options.long ? "t".repeat(5000) : `session ${n}`,
    origin: {
      team: "T1",
      channel: "C1",
      threadTs: ts,
      permalink: `https://acme.slack.com/archives/C1/p${ts.replace(".", "")}`,
    },
    people: ["U1"],
    mode: "QUEUE",
    modeSource: n % 2 === 0 ? "session" : "channel",
    activeRun: options.running
      ? {
          id: `run-${n}`,
          invocationId: "inv",
          startedAt: "2026-11-25T10:00:00.000Z",
          iteration: 3,
          approval: null,
          input: input("m", options.long ? "m".repeat(5000) : "what runs"),
          inputs: [],
          incorporated: [],
        }
      : null,
    queue: Array.from({ length: options.queued ?? 0 }, (_, i) =>
      input(`q${n}-${i}`, options.long ? "q".repeat(5000) : `waiting ${i}`, "U2"),
    ),
    historyLength: 3,
  };
}

test("the Home lists sessions with what runs and what waits, and controls for each", () => {
  const view = buildHomeView([session(1, { running: true, queued: 2 }), session(2)]);
  validateView(view);
  const json = JSON.stringify(view);
  assert.match(json, /Running, iteration 3/);
  assert.match(json, /waiting 0[\s\S]*waiting 1/);
  assert.match(json, /home_remove:T1:C1:1700000000.000001:q1-0/);
  assert.match(json, /home_stop:T1:C1:1700000000.000001/);
  assert.doesNotMatch(json, /home_stop:T1:C1:1700000000.000002/, "no stop button without a run");
  assert.match(json, /home_reset:T1:C1:1700000000.000002/);
  assert.match(json, /session 2/);
});

test("the Home stays within Slack's limits however many sessions, queued runs and long texts there are", () => {
  const many = Array.from({ length: 40 }, (_, n) => session(n, { running: true, queued: 20, long: true }));
  const view = buildHomeView(many);
  assert.ok(view.blocks.length <= MAX_HOME_BLOCKS);
  validateView(view);
  assert.match(JSON.stringify(view), /older sessions are not shown/);
  assert.match(JSON.stringify(view), /and 15 more waiting/);
});

test("an empty Home explains how to start and what the modes do", () => {
  const view = buildHomeView([]);
  validateView(view);
  assert.match(JSON.stringify(view), /no agent sessions yet[\s\S]*Interrupt[\s\S]*Incorporate[\s\S]*Queue/);
});

test("the /agentmode listing fits a message and has a control per session", () => {
  const blocks = buildChannelListing({
    channelMode: null,
    defaultMode: "INTERRUPT",
    sessions: Array.from({ length: 30 }, (_, n) =>
      session(n, { running: n % 3 === 0, queued: 2, long: true }),
    ),
  });
  validateMessageBlocks(blocks);
  const json = JSON.stringify(blocks);
  assert.match(json, /"action_id":"channel_mode"/);
  assert.match(json, /list_mode:T1:C1:1700000000.000000/);
  assert.match(json, /Default mode in this channel: Interrupt\* \(the app's default\)/);
});

test("the mode modal preselects the thread's own mode, or 'follow the channel default'", () => {
  const own = buildModeModal(
    { key: "k", channel: "C1", threadTs: "1.2" },
    { mode: "QUEUE", modeSource: "session" },
  );
  validateView(own);
  assert.match(JSON.stringify(own), /"initial_option":\{"text":\{"type":"plain_text","text":"Queue"/);
  const inherited = buildModeModal(
    { key: "k", channel: "C1", threadTs: "1.2" },
    { mode: "QUEUE", modeSource: "channel" },
  );
  assert.match(
    JSON.stringify(inherited),
    /"initial_option":\{"text":\{"type":"plain_text","text":"Follow the channel default"/,
  );
  validateView(buildNoticeModal("A long title that Slack would cut", "text"));
});

test("every option a mode select offers reads back as the mode it shows, or as following the default", () => {
  assert.equal(modeFromOption(FOLLOW_DEFAULT), null);
  for (const mode of MODES) assert.equal(modeFromOption(mode), mode);
  assert.equal(modeFromOption("FAST"), undefined);
  assert.equal(modeFromOption(undefined), undefined);
});

test("a mode change is confirmed in words that say where it applies and what the mode now is", () => {
  assert.equal(threadModeConfirmation("QUEUE", "this"), "Mode for this thread: *Queue*.");
  assert.equal(threadModeConfirmation("INCORPORATE", "that"), "Mode for that thread: *Incorporate*.");
  assert.equal(threadModeConfirmation(null, "this"), "This thread now follows the channel's default mode.");
  assert.equal(threadModeConfirmation(null, "that"), "That thread now follows the channel's default mode.");
  assert.equal(
    channelModeConfirmation("INTERRUPT", "QUEUE"),
    "Default mode in this channel is now *Interrupt*. Threads with a mode of their own keep it.",
  );
  assert.equal(
    channelModeConfirmation(null, "QUEUE"),
    "This channel now follows the app's default mode (*Queue*).",
  );
});

test("the mode modal's metadata reads back as the thread it names; metadata we did not write names none", () => {
  const metadata = { key: "T0001:C1:1.2", channel: "C1", threadTs: "1.2" };
  assert.deepEqual(
    parseModalMetadata(buildModeModal(metadata, { mode: null, modeSource: "default" }).private_metadata),
    metadata,
  );
  for (const damaged of [undefined, "", "{", "null", '{"key":"T0001:C1:1.2"}'])
    assert.equal(parseModalMetadata(damaged), null, String(damaged));
});
