/**
 * chat.delete, conversations.members and conversations.list on the emulator, as Slack's reference describes
 * them: a bot deletes only its own messages (`cant_delete_message`), in conversations it is in
 * (`channel_not_found`), and a deleted message leaves history, except a thread root with replies, which stays
 * as a tombstone; a bot sees every public channel but private ones and DMs only when it is in them; lists are
 * cursor-paged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatDeleteResponse, WebClient } from "@slack/web-api";
import type { SlackEmulator } from "../../../src/slack-emulator/emulator.ts";
import { emulatorPerFile, slackError } from "../../helpers/emulator-client.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";

let emulator: SlackEmulator;
let bot: WebClient;
emulatorPerFile((started) => {
  ({ emulator, bot } = started);
});

/** The changes the emulator reports while `during` runs. */
async function changesDuring(during: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const changes: Record<string, unknown>[] = [];
  const listener = (change: Record<string, unknown>) => changes.push(change);
  emulator.on("change", listener);
  try {
    await during();
  } finally {
    emulator.off("change", listener);
  }
  return changes;
}

async function botPosts(channel: string, text: string, threadTs?: string): Promise<string> {
  const posted = await bot.chat.postMessage({ channel, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  return posted.ts ?? "";
}

async function historyOf(channel: string) {
  return (await bot.conversations.history({ channel })).messages ?? [];
}

/** Every page of a cursor-paged call, `limit` at a time. */
async function allPages<T>(
  call: (page: { limit: number; cursor?: string }) => Promise<{
    items: T[];
    response_metadata?: { next_cursor?: string };
  }>,
  limit: number,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await call({ limit, ...(cursor ? { cursor } : {}) });
    pages += 1;
    items.push(...page.items);
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && pages < 100);
  return { items, pages };
}

test("chat.delete takes the bot's message out of history, reports message_deleted and records the deletion", async () => {
  const channel = emulator.newChannel([ALICE]);
  const kept = await botPosts(channel, "kept");
  const ts = await botPosts(channel, "deleted soon");
  let answer: ChatDeleteResponse | undefined;
  const changes = await changesDuring(async () => {
    answer = await bot.chat.delete({ channel, ts });
  });
  assert.deepEqual([answer?.ok, answer?.channel, answer?.ts], [true, channel, ts]);
  assert.deepEqual(changes, [{ kind: "message_deleted", channel, ts, threadTs: null, tombstone: false }]);
  assert.deepEqual(
    (await historyOf(channel)).map((m) => m.ts),
    [kept],
  );
  const [deletion] = emulator.deletedFrom(channel);
  assert.deepEqual(
    [emulator.deletedFrom(channel).length, deletion?.ts, deletion?.tombstone, deletion?.message.text],
    [1, ts, false, "deleted soon"],
  );
  assert.equal(await slackError(bot.chat.delete({ channel, ts })), "message_not_found", "deleted already");
});

test("chat.delete refuses what Slack refuses: others' messages, unknown or unseen channels, unknown messages", async () => {
  const channel = emulator.newChannel([ALICE]);
  const { message } = await emulator.userPosts({ user: ALICE, channel, text: "mine, not the bot's" });
  assert.equal(await slackError(bot.chat.delete({ channel, ts: message.ts })), "cant_delete_message");
  assert.equal(
    await slackError(bot.chat.delete({ channel: "C0NOWHERE", ts: message.ts })),
    "channel_not_found",
  );
  const secret = emulator.workspace.addChannel({
    id: "G0SECRET1",
    name: "secret",
    kind: "private",
    members: [ALICE, BOB],
  });
  const { message: hidden } = await emulator.userPosts({ user: ALICE, channel: secret.id, text: "psst" });
  assert.equal(
    await slackError(bot.chat.delete({ channel: secret.id, ts: hidden.ts })),
    "channel_not_found",
    "a private channel the bot is not in",
  );
  assert.equal(await slackError(bot.chat.delete({ channel, ts: "1.000001" })), "message_not_found");
  assert.equal(emulator.deletedFrom(channel).length, 0);
  assert.ok(
    (await historyOf(channel)).some((m) => m.ts === message.ts),
    "the refused message stays",
  );
});

test("a deleted thread root with replies stays as a tombstone until its last reply goes; a reply leaves its thread", async () => {
  const channel = emulator.newChannel([ALICE]);
  const root = await botPosts(channel, "root");
  const first = await botPosts(channel, "first reply", root);
  const second = await botPosts(channel, "second reply", root);
  const thread = async () =>
    ((await bot.conversations.replies({ channel, ts: root })).messages ?? []).map((m) => m.ts);

  await bot.chat.delete({ channel, ts: first });
  assert.deepEqual(await thread(), [root, second]);
  assert.equal((await historyOf(channel))[0]?.reply_count, 1);

  const changes = await changesDuring(() => bot.chat.delete({ channel, ts: root }));
  assert.deepEqual(changes, [
    { kind: "message_deleted", channel, ts: root, threadTs: null, tombstone: true },
  ]);
  const [tombstone] = await historyOf(channel);
  assert.deepEqual(
    [tombstone?.ts, tombstone?.subtype, tombstone?.text, tombstone?.user, tombstone?.reply_count],
    [root, "tombstone", "This message was deleted.", "USLACKBOT", 1],
  );
  assert.deepEqual(await thread(), [root, second], "the reply still hangs on the tombstone");
  assert.equal(
    await slackError(bot.chat.delete({ channel, ts: root })),
    "cant_delete_message",
    "the tombstone is Slack's, not the bot's",
  );

  const last = await changesDuring(() => bot.chat.delete({ channel, ts: second }));
  assert.deepEqual(last, [
    { kind: "message_deleted", channel, ts: second, threadTs: root, tombstone: false },
    { kind: "message_deleted", channel, ts: root, threadTs: null, tombstone: false },
  ]);
  assert.deepEqual(await historyOf(channel), []);
  assert.equal(await slackError(bot.conversations.replies({ channel, ts: root })), "thread_not_found");
  assert.deepEqual(
    emulator.deletedFrom(channel).map((d) => [d.ts, d.tombstone]),
    [
      [first, false],
      [root, true],
      [second, false],
      [root, false],
    ],
  );
});

test("conversations.members lists a public channel for anyone, a private one only to a member, paged", async () => {
  const publicWithoutBot = emulator.workspace.addChannel({
    id: "C0NOBOT01",
    name: "no-bot",
    kind: "public",
    members: [ALICE, BOB],
  });
  const members = await bot.conversations.members({ channel: publicWithoutBot.id });
  assert.deepEqual(members.members, [ALICE, BOB]);
  assert.equal(members.response_metadata?.next_cursor, "");
  assert.deepEqual(
    (await bot.conversations.members({ channel: "G0PROJECT" })).members?.toSorted(),
    [ALICE, BOB, emulator.workspace.bot.userId].toSorted(),
    "a private channel the bot is in",
  );
  emulator.workspace.addChannel({ id: "G0CLOSED1", name: "closed", kind: "private", members: [ALICE] });
  assert.equal(await slackError(bot.conversations.members({ channel: "G0CLOSED1" })), "channel_not_found");
  assert.equal(await slackError(bot.conversations.members({ channel: "C0NOWHERE" })), "channel_not_found");

  const { items, pages } = await allPages(async (page) => {
    const answer = await bot.conversations.members({ channel: "C0GENERAL", ...page });
    return { items: answer.members ?? [], ...answer };
  }, 2);
  assert.deepEqual(items, (await bot.conversations.members({ channel: "C0GENERAL" })).members);
  assert.equal(pages, 2, "four members, two a page");
  assert.equal(
    await slackError(bot.conversations.members({ channel: "C0GENERAL", cursor: "bm90IGEgY3Vyc29y" })),
    "invalid_cursor",
  );
});

test("conversations.list gives public channels by default, private ones the bot is in and DMs only when asked", async () => {
  emulator.workspace.addChannel({ id: "G0HIDDEN1", name: "hidden", kind: "private", members: [ALICE] });
  const dm = emulator.workspace.directMessageWith(ALICE);
  emulator.workspace.addChannel({
    id: "G0MPIM001",
    name: "mpdm-alice--bob--agent-1",
    kind: "mpim",
    members: [ALICE, BOB, emulator.workspace.bot.userId],
  });
  const list = async (types?: string) =>
    (await bot.conversations.list(types ? { types } : {})).channels ?? [];

  const byDefault = await list();
  assert.ok(byDefault.length > 0);
  assert.ok(byDefault.every((c) => c.is_channel && !c.is_private && !c.is_im && !c.is_mpim));
  const general = byDefault.find((c) => c.id === "C0GENERAL");
  assert.deepEqual([general?.name, general?.is_member, general?.is_general], ["general", true, true]);
  const noBot = emulator.workspace.addChannel({
    id: "C0ELSEWHERE",
    name: "elsewhere",
    kind: "public",
    members: [BOB],
  });
  assert.equal(
    (await list()).find((c) => c.id === noBot.id)?.is_member,
    false,
    "a public channel the bot is not in is listed",
  );

  const privates = await list("private_channel");
  assert.deepEqual(
    privates.map((c) => [c.id, c.is_private, c.is_member]),
    [["G0PROJECT", true, true]],
    "not G0HIDDEN1, which the bot is not in",
  );
  const direct = await list("im,mpim");
  assert.deepEqual(
    direct.map((c) => [c.id, c.is_im, c.is_mpim]).toSorted(),
    [
      [dm.id, true, false],
      ["G0MPIM001", false, true],
    ].toSorted(),
  );
  assert.equal(direct.find((c) => c.id === dm.id)?.user, ALICE);
  assert.equal(
    await slackError(bot.conversations.list({ types: "public_channel,secret_room" })),
    "invalid_types",
  );

  const { items, pages } = await allPages(async (page) => {
    const answer = await bot.conversations.list({ types: "public_channel,private_channel", ...page });
    return { items: answer.channels ?? [], ...answer };
  }, 1);
  const expected = (await list("public_channel,private_channel")).map((c) => c.id);
  assert.deepEqual(
    items.map((c) => c.id),
    expected,
  );
  assert.equal(pages, expected.length, "one channel a page");
});
