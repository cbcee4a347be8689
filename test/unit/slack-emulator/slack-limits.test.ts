/**
 * Slack's limits beyond Block Kit, as the emulator applies them: reactions only with emoji Slack knows
 * (`invalid_name`), a response_url for 30 minutes and 5 uses (then 404 `expired_url`), and, when a test
 * switches them on, the limits for apps distributed outside the Marketplace on conversations.replies and
 * conversations.history (one call a minute each, 15 messages a call, 429 `ratelimited` with Retry-After).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WebClient } from "@slack/web-api";
import { FATE_REACTIONS } from "../../../src/slack/fates.ts";
import {
  RESPONSE_URL_LIMITS,
  type SlackEmulator,
  startSlackEmulator,
} from "../../../src/slack-emulator/emulator.ts";
import { emulatorPerFile, slackError } from "../../helpers/emulator-client.ts";

let emulator: SlackEmulator;
let bot: WebClient;
emulatorPerFile((started) => {
  ({ emulator, bot } = started);
});

test("reactions.add refuses an emoji name Slack does not know with invalid_name; standard and custom emoji work", async () => {
  const { ts } = await bot.chat.postMessage({ channel: "C0GENERAL", text: "react to me" });
  const on = { channel: "C0GENERAL", timestamp: ts ?? "" };
  for (const name of ["white_check_mak", "eyes!", "not_an_emoji", "party_parrot"])
    assert.equal(await slackError(bot.reactions.add({ ...on, name })), "invalid_name", name);
  for (const name of [...Object.values(FATE_REACTIONS), "thumbsup::skin-tone-3", ":tada:"])
    assert.equal((await bot.reactions.add({ ...on, name })).ok, true, `${name} is a standard emoji`);
  emulator.workspace.customEmoji.add("party_parrot");
  assert.equal(
    (await bot.reactions.add({ ...on, name: "party_parrot" })).ok,
    true,
    "a custom emoji of the workspace",
  );
  assert.equal(emulator.callsTo("reactions.add").filter((c) => c.error === "invalid_name").length, 4);
});

async function respond(url: string, text: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  return { status: response.status, ...((await response.json()) as { error?: string }) };
}

test("a response_url works 5 times, then answers 404 expired_url", async () => {
  const url = emulator.responseUrls.create({ user: "U0ALICE01", channel: "C0GENERAL" });
  for (let use = 1; use <= RESPONSE_URL_LIMITS.maxUses; use += 1)
    assert.equal((await respond(url, `use ${use}`)).status, 200, `use ${use}`);
  assert.deepEqual(await respond(url, "a sixth use"), { status: 404, ok: false, error: "expired_url" });
  const shown = emulator.ephemeralsFor("U0ALICE01").map((e) => e.text);
  assert.ok(shown.includes("use 5") && !shown.includes("a sixth use"));
});

test("a response_url expires after 30 minutes on the emulator's clock", async () => {
  const url = emulator.responseUrls.create({ user: "U0ALICE01", channel: "C0GENERAL" });
  emulator.advanceClock(RESPONSE_URL_LIMITS.lifetimeMs - 60_000);
  assert.equal((await respond(url, "29 minutes on")).status, 200);
  emulator.advanceClock(60_000);
  assert.deepEqual(await respond(url, "30 minutes on"), { status: 404, ok: false, error: "expired_url" });
});

test("a shorter response_url lifetime can be set for a test", async () => {
  const short = await startSlackEmulator({ responseUrlLifetimeMs: 1000 });
  try {
    const url = short.responseUrls.create({ user: "U0ALICE01", channel: "C0GENERAL" });
    assert.equal((await respond(url, "in time")).status, 200);
    short.advanceClock(1000);
    assert.equal((await respond(url, "too late")).error, "expired_url");
  } finally {
    await short.close();
  }
});

test("outside the Marketplace, conversations.replies and history are once a minute each and 15 messages a call", async () => {
  const { ts } = await bot.chat.postMessage({ channel: "C0RANDOM1", text: "root" });
  const threadTs = ts ?? "";
  for (let i = 0; i < 20; i += 1)
    await bot.chat.postMessage({ channel: "C0RANDOM1", thread_ts: threadTs, text: `r${i}` });
  for (let i = 0; i < 16; i += 1) await bot.chat.postMessage({ channel: "C0RANDOM1", text: `m${i}` });
  // Off by default: Marketplace and internal apps keep Slack's usual limits.
  assert.equal(
    (await bot.conversations.replies({ channel: "C0RANDOM1", ts: threadTs, limit: 100 })).messages?.length,
    21,
  );
  assert.equal((await bot.conversations.replies({ channel: "C0RANDOM1", ts: threadTs })).ok, true);

  emulator.setNonMarketplaceLimits(true);
  const first = await bot.conversations.replies({ channel: "C0RANDOM1", ts: threadTs, limit: 100 });
  assert.equal(first.messages?.length, 15, "limit is capped at 15");
  assert.equal(first.has_more, true);
  const second = await bot.conversations
    .replies({ channel: "C0RANDOM1", ts: threadTs })
    .catch((error: unknown) => error as { code?: string; retryAfter?: number });
  assert.equal((second as { code?: string }).code, "slack_webapi_rate_limited_error");
  const retryAfter = (second as { retryAfter?: number }).retryAfter ?? 0;
  assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After ${retryAfter} s is the rest of the minute`);
  assert.equal(emulator.callsTo("conversations.replies").at(-1)?.status, 429);
  assert.equal(emulator.callsTo("conversations.replies").at(-1)?.error, "ratelimited");

  const history = await bot.conversations.history({ channel: "C0RANDOM1" });
  assert.equal(history.messages?.length, 15, "history's own minute; 15 messages by default");
  await assert.rejects(bot.conversations.history({ channel: "C0RANDOM1" }), {
    code: "slack_webapi_rate_limited_error",
  });

  emulator.advanceClock(60_000);
  const nextMinute = await bot.conversations.replies({
    channel: "C0RANDOM1",
    ts: threadTs,
    cursor: first.response_metadata?.next_cursor ?? "",
  });
  assert.equal(nextMinute.messages?.length, 6, "a minute later the rest of the thread comes");
  emulator.setNonMarketplaceLimits(false);
  assert.equal(
    (await bot.conversations.replies({ channel: "C0RANDOM1", ts: threadTs })).messages?.length,
    21,
  );
});
