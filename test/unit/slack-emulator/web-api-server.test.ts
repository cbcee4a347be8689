/**
 * The emulator refuses what Slack refuses, with Slack's error names, so that tests cannot pass on
 * payloads real Slack would reject. Driven with Slack's own Web API client.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WebClient } from "@slack/web-api";
import { type SlackEmulator, startSlackEmulator } from "../../../src/slack-emulator/emulator.ts";
import { emulatorPerFile, slackError } from "../../helpers/emulator-client.ts";

let emulator: SlackEmulator;
let bot: WebClient;
emulatorPerFile((started) => {
  ({ emulator, bot } = started);
});

const button = (id: string, text = "ok") => ({
  type: "button",
  action_id: id,
  text: { type: "plain_text", text },
});

test("Block Kit over Slack's limits is invalid_blocks in a message and invalid_arguments in a view", async () => {
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
  const cases: unknown[][] = [
    Array.from({ length: 51 }, () => section("x")),
    [section("x".repeat(3001))],
    [{ type: "actions", elements: [button("a", "b".repeat(76))] }],
    [{ type: "actions", elements: [button("same"), button("same")] }],
  ];
  for (const blocks of cases) {
    assert.equal(
      await slackError(bot.chat.postMessage({ channel: "C0GENERAL", text: "t", blocks: blocks as never })),
      "invalid_blocks",
    );
  }
  const home = { type: "home", blocks: Array.from({ length: 101 }, () => section("x")) };
  assert.equal(
    await slackError(bot.views.publish({ user_id: "U0ALICE01", view: home as never })),
    "invalid_arguments",
    "views.* answer invalid_arguments for a view Slack refuses",
  );
  const ok = await bot.chat.postMessage({
    channel: "C0GENERAL",
    text: "t",
    blocks: Array.from({ length: 50 }, () => section("x")) as never,
  });
  assert.equal(ok.ok, true);
});

test("posting where the bot cannot, or into a thread that does not exist, is refused", async () => {
  emulator.workspace.addChannel({ id: "C0NOBOT01", name: "nobot", kind: "public", members: ["U0ALICE01"] });
  assert.equal(
    await slackError(bot.chat.postMessage({ channel: "C0NOBOT01", text: "hi" })),
    "not_in_channel",
  );
  assert.equal(
    await slackError(bot.chat.postMessage({ channel: "C0MISSING", text: "hi" })),
    "channel_not_found",
  );
  assert.equal(
    await slackError(
      bot.chat.postMessage({ channel: "C0GENERAL", text: "hi", thread_ts: "1700000000.000100" }),
    ),
    "thread_not_found",
  );
  assert.equal(await slackError(bot.chat.postMessage({ channel: "C0GENERAL", text: "" })), "no_text");
});

test("tokens are checked and unknown methods are unknown_method", async () => {
  const stranger = new WebClient("xoxb-wrong", { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
  assert.equal(await slackError(stranger.auth.test()), "invalid_auth");
  const anonymous = new WebClient(undefined, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
  assert.equal(await slackError(anonymous.auth.test()), "not_authed");
  assert.equal(await slackError(bot.apiCall("chat.teleport", {})), "unknown_method");
  const response = await fetch(`${emulator.apiUrl}chat.postMessage`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${emulator.workspace.bot.botToken}`,
      "content-type": "application/json",
    },
    body: "{not json",
  });
  assert.deepEqual(await response.json(), { ok: false, error: "invalid_json" });
});

test("reactions answer already_reacted and no_reaction, as Slack does", async () => {
  const { ts } = await bot.chat.postMessage({ channel: "C0GENERAL", text: "react to me" });
  const target = { channel: "C0GENERAL", timestamp: ts ?? "", name: "eyes" };
  await bot.reactions.add(target);
  assert.equal(await slackError(bot.reactions.add(target)), "already_reacted");
  await bot.reactions.remove(target);
  assert.equal(await slackError(bot.reactions.remove(target)), "no_reaction");
  assert.equal(await slackError(bot.reactions.add({ ...target, timestamp: "1.2" })), "message_not_found");
});

test("a hold after the work is taken by the first call that did its work, not by one Slack refused", async () => {
  const { ts } = await bot.chat.postMessage({ channel: "C0GENERAL", text: "react to me, once" });
  const target = { channel: "C0GENERAL", timestamp: ts ?? "", name: "eyes" };
  await bot.reactions.add(target);
  const held = emulator.hold("reactions.add", undefined, { afterWork: true });
  // A retry of a reaction that already landed is refused, and passes the hold by.
  assert.equal(await slackError(bot.reactions.add(target)), "already_reacted");
  const landing = bot.reactions.add({ ...target, name: "white_check_mark" });
  const call = await held.arrived;
  assert.equal(call.method, "reactions.add");
  held.release();
  assert.equal((await landing).ok, true);
});

test("a trigger id works once and only for three seconds", async () => {
  const modal = { type: "modal", title: { type: "plain_text", text: "Hi" }, blocks: [] };
  const trigger = emulator.workspace.newTrigger("U0ALICE01");
  assert.equal((await bot.views.open({ trigger_id: trigger, view: modal as never })).ok, true);
  assert.equal(
    await slackError(bot.views.open({ trigger_id: trigger, view: modal as never })),
    "invalid_trigger_id",
  );
  const old = emulator.workspace.newTrigger("U0ALICE01");
  const entry = emulator.workspace.triggers.get(old);
  if (entry) entry.expiresAt = Date.now() - 1;
  assert.equal(
    await slackError(bot.views.open({ trigger_id: old, view: modal as never })),
    "expired_trigger_id",
  );
});

test("faults and the post rate answer 429 with Retry-After, 5xx, or a dropped connection", async () => {
  emulator.inject({ method: "chat.postMessage", effect: { kind: "status", status: 429, retryAfter: 3 } });
  const limited = await bot.chat
    .postMessage({ channel: "C0GENERAL", text: "x" })
    .catch((e: unknown) => e as { code: string; retryAfter: number });
  assert.equal((limited as { retryAfter: number }).retryAfter, 3);
  emulator.inject({ method: "chat.postMessage", effect: { kind: "status", status: 503 } });
  assert.match(await slackError(bot.chat.postMessage({ channel: "C0GENERAL", text: "x" })), /503/);
  emulator.inject({ method: "chat.postMessage", effect: { kind: "drop", when: "after" } });
  const before = emulator.workspace.messages.get("C0GENERAL")?.length ?? 0;
  await assert.rejects(bot.chat.postMessage({ channel: "C0GENERAL", text: "landed" }));
  assert.equal(
    emulator.workspace.messages.get("C0GENERAL")?.length,
    before + 1,
    "the post landed although no answer came",
  );

  const paced = await startSlackEmulator({ postIntervalMs: 1000 });
  try {
    const client = new WebClient(paced.workspace.bot.botToken, {
      slackApiUrl: paced.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    await client.chat.postMessage({ channel: "C0GENERAL", text: "one" });
    const second = await client.chat
      .postMessage({ channel: "C0GENERAL", text: "two" })
      .catch((e: unknown) => e as { retryAfter: number });
    assert.equal((second as { retryAfter: number }).retryAfter, 1);
    assert.equal(paced.rateLimited, 1);
    await client.chat.postMessage({ channel: "C0RANDOM1", text: "another channel is not limited" });
  } finally {
    await paced.close();
  }
});

test("conversations.replies returns the thread with metadata when asked, in pages", async () => {
  const { ts } = await bot.chat.postMessage({ channel: "C0GENERAL", text: "root" });
  for (let i = 0; i < 5; i += 1) {
    await bot.chat.postMessage({
      channel: "C0GENERAL",
      thread_ts: ts ?? "",
      text: `reply ${i}`,
      metadata: { event_type: "agent_output", event_payload: { post_id: `p${i}` } },
    });
  }
  const first = await bot.conversations.replies({
    channel: "C0GENERAL",
    ts: ts ?? "",
    limit: 4,
    include_all_metadata: true,
  });
  assert.equal(first.messages?.length, 4);
  assert.equal(
    (first.messages?.[1]?.metadata as { event_payload?: { post_id?: string } })?.event_payload?.post_id,
    "p0",
  );
  const second = await bot.conversations.replies({
    channel: "C0GENERAL",
    ts: ts ?? "",
    cursor: first.response_metadata?.next_cursor ?? "",
  });
  assert.equal(second.messages?.length, 2);
  const bare = await bot.conversations.replies({ channel: "C0GENERAL", ts: ts ?? "" });
  assert.equal(bare.messages?.[1]?.metadata, undefined);
});

test("streaming: start, append and stop grow one reply; outside a DM it needs its recipient; a stopped stream takes no more", async () => {
  const { ts: root } = await bot.chat.postMessage({ channel: "C0GENERAL", text: "question" });
  const threadTs = root ?? "";
  assert.equal(
    await slackError(bot.chat.startStream({ channel: "C0GENERAL", thread_ts: threadTs })),
    "invalid_arguments",
    "a channel needs recipient_user_id and recipient_team_id",
  );
  const team = emulator.workspace.team.id;
  const started = await bot.chat.startStream({
    channel: "C0GENERAL",
    thread_ts: threadTs,
    recipient_user_id: "U0ALICE01",
    recipient_team_id: team,
    markdown_text: "**Hello**",
  });
  const ts = started.ts ?? "";
  await bot.chat.appendStream({ channel: "C0GENERAL", ts, markdown_text: ", world" });
  const stopped = await bot.chat.stopStream({
    channel: "C0GENERAL",
    ts,
    markdown_text: ".",
    metadata: { event_type: "agent_output", event_payload: { post_id: "s1" } },
  });
  assert.equal(stopped.message?.text, "**Hello**, world.");
  const message = emulator.workspace.message("C0GENERAL", ts);
  assert.deepEqual(message?.blocks, [{ type: "markdown", text: "**Hello**, world." }]);
  assert.equal(message?.threadTs, threadTs);
  assert.equal(message?.metadata?.event_payload.post_id, "s1");
  const replies = await bot.conversations.replies({ channel: "C0GENERAL", ts: threadTs });
  assert.equal((replies.messages?.[1] as { streaming_state?: string })?.streaming_state, "completed");
  assert.equal(
    await slackError(bot.chat.appendStream({ channel: "C0GENERAL", ts, markdown_text: "more" })),
    "message_not_in_streaming_state",
  );
  assert.equal(
    await slackError(bot.chat.appendStream({ channel: "C0GENERAL", ts: threadTs, markdown_text: "x" })),
    "message_not_in_streaming_state",
    "a message that was posted, not streamed",
  );
  // In a DM the person is the recipient already.
  const dm = emulator.workspace.directMessageWith("U0ALICE01");
  const { ts: dmRoot } = await bot.chat.postMessage({ channel: dm.id, text: "hi" });
  const inDm = await bot.chat.startStream({ channel: dm.id, thread_ts: dmRoot ?? "" });
  assert.ok(inDm.ts);
  assert.equal(
    await slackError(
      bot.chat.appendStream({ channel: dm.id, ts: inDm.ts ?? "", markdown_text: "x".repeat(12_001) }),
    ),
    "msg_too_long",
  );
});
