import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_CONTENT_LENGTH } from "../../../src/restate/schemas.ts";
import {
  classifyMessage,
  SLACKBOT_USER,
  type SlackMessageEvent,
} from "../../../src/slack/incoming-message.ts";

const bot = { teamId: "T0001", botUserId: "UBOT", url: "https://acme.slack.com/" };
const base = { channel: "C1", user: "U1", ts: "1700000000.000200" };
const message = (fields: Partial<SlackMessageEvent>): SlackMessageEvent => ({
  type: "message",
  ...base,
  ...fields,
});

test("a mention starts a session keyed by team, channel and thread root, with the mention stripped", () => {
  const result = classifyMessage(message({ text: "<@UBOT> do  something" }), bot);
  assert.equal(result.kind, "forward");
  if (result.kind !== "forward") return;
  assert.equal(result.key, "T0001:C1:1700000000.000200");
  assert.equal(result.idempotencyKey, "C1:1700000000.000200");
  assert.equal(result.message.content, "do  something");
  assert.equal(result.message.startsSession, true);
  assert.equal(result.message.user, "U1");
  assert.deepEqual(result.message.source, {
    team: "T0001",
    channel: "C1",
    ts: "1700000000.000200",
    threadTs: "1700000000.000200",
    permalink: "https://acme.slack.com/archives/C1/p1700000000000200",
  });
});

test("the message and app_mention copies of one message make the identical request", () => {
  const text = "<@UBOT|agent> look at this";
  const files = [{ id: "F1", name: "a.png", mode: "hosted" }];
  const asMessage = classifyMessage(
    message({ text, thread_ts: "1700000000.000100", subtype: "file_share", files }),
    bot,
  );
  const asMention = classifyMessage(
    { type: "app_mention", ...base, text, thread_ts: "1700000000.000100", files: [{ id: "F1" }] },
    bot,
  );
  assert.deepEqual(asMessage, asMention);
  assert.equal(asMessage.kind === "forward" && asMessage.message.content, "look at this\n[1 file attached]");
});

test("a reply in a thread without a mention joins an existing session only", () => {
  const result = classifyMessage(message({ text: "more", thread_ts: "1700000000.000100" }), bot);
  assert.ok(result.kind === "forward" && result.message.startsSession === false);
  assert.equal(result.kind === "forward" && result.key, "T0001:C1:1700000000.000100");
});

test("in a DM every message may start a session, top level or in a thread", () => {
  const top = classifyMessage(message({ channel: "D1", text: "hi" }), bot);
  assert.ok(top.kind === "forward" && top.message.startsSession && top.key === "T0001:D1:1700000000.000200");
  const reply = classifyMessage(message({ channel: "D1", text: "hi", thread_ts: "1700000000.000100" }), bot);
  assert.ok(reply.kind === "forward" && reply.message.startsSession);
});

test("what is not forwarded: channel chatter, bots (us included), edits, deletions, joins, empty mentions", () => {
  const ignored: SlackMessageEvent[] = [
    message({ text: "just chatting" }),
    message({ text: "<@UBOT> hi", bot_id: "B2" }),
    message({ text: "hello", user: "UBOT", thread_ts: "1700000000.000100" }),
    message({ subtype: "message_changed" }),
    message({ subtype: "message_deleted" }),
    message({ subtype: "channel_join", text: "<@U1> has joined" }),
    message({ subtype: "bot_message", text: "<@UBOT>" }),
    message({ text: "<@UBOT>   " }),
    { type: "message", text: "<@UBOT> no user", ts: "1.2", channel: "C1" },
  ];
  for (const event of ignored)
    assert.equal(classifyMessage(event, bot).kind, "ignore", JSON.stringify(event));
});

test("!agentmode in a thread is a command, not a message; outside a thread it is ignored", () => {
  const command = classifyMessage(message({ text: "!agentmode Queue", thread_ts: "1700000000.000100" }), bot);
  assert.deepEqual(command, {
    kind: "agentmode",
    key: "T0001:C1:1700000000.000100",
    channel: "C1",
    threadTs: "1700000000.000100",
    user: "U1",
    args: "Queue",
  });
  assert.equal(classifyMessage(message({ text: "<@UBOT> !agentmode queue" }), bot).kind, "ignore");
});

test("Slackbot's messages (no bot_id, yet no person) are not forwarded, not even in a DM", () => {
  const notice = message({ channel: "D1", user: SLACKBOT_USER, text: "You were removed from #secret" });
  assert.deepEqual(classifyMessage(notice, bot), { kind: "ignore", reason: "Slackbot's message" });
  const inThread = message({ user: SLACKBOT_USER, text: "<@UBOT> hi", thread_ts: "1700000000.000100" });
  assert.equal(classifyMessage(inThread, bot).kind, "ignore");
  assert.equal(classifyMessage(message({ channel: "D1", text: "hi" }), bot).kind, "forward", "a person's DM");
});

test("a /me message in a session's thread is forwarded like any other message of a person", () => {
  const me = classifyMessage(
    message({ subtype: "me_message", text: "waves", thread_ts: "1700000000.000100" }),
    bot,
  );
  const plain = classifyMessage(message({ text: "waves", thread_ts: "1700000000.000100" }), bot);
  assert.deepEqual(me, plain);
});

test("a message longer than a session takes is sent on as its beginning and its length, to be refused", () => {
  const text = `<@UBOT> ${"x".repeat(MAX_CONTENT_LENGTH + 50_000 - 1)}y`;
  const result = classifyMessage(message({ text }), bot);
  assert.ok(result.kind === "forward");
  assert.equal(result.message.writtenLength, MAX_CONTENT_LENGTH + 50_000);
  assert.ok(result.message.content.length <= 200);
  assert.equal(result.idempotencyKey, "C1:1700000000.000200", "Slack's retries collapse into one refusal");
  const fits = classifyMessage(message({ text: `<@UBOT> ${"x".repeat(MAX_CONTENT_LENGTH)}` }), bot);
  assert.ok(fits.kind === "forward" && fits.message.writtenLength === undefined);
  assert.equal(fits.message.content.length, MAX_CONTENT_LENGTH);
});
