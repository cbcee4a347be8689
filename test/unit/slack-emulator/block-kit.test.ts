/**
 * The emulator refuses Block Kit that Slack refuses, wherever it takes blocks: chat.postMessage,
 * chat.update, chat.postEphemeral and response_url posts answer `invalid_blocks`; views.publish,
 * views.open and views.update answer `invalid_arguments`, as Slack's views.* do. Driven with Slack's own
 * Web API client.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WebClient } from "@slack/web-api";
import type { SlackEmulator } from "../../../src/slack-emulator/emulator.ts";
import { emulatorPerFile, slackError } from "../../helpers/emulator-client.ts";

let emulator: SlackEmulator;
let bot: WebClient;
emulatorPerFile((started) => {
  ({ emulator, bot } = started);
});

type Block = Record<string, unknown>;
const plain = (text: string) => ({ type: "plain_text", text });
const mrkdwn = (text: string) => ({ type: "mrkdwn", text });
const option = (i: number, text: Block = plain(`option ${i}`)) => ({ text, value: `v${i}` });
const options = (n: number) => Array.from({ length: n }, (_, i) => option(i));
const section = (text = "x") => ({ type: "section", text: mrkdwn(text) });
const inActions = (...elements: Block[]): Block[] => [{ type: "actions", elements }];
const button = (id: string, text: Block = plain("Go")) => ({ type: "button", action_id: id, text });

/** Blocks Slack refuses, each with what is wrong, as Slack's docs state it. */
const REFUSED: readonly { why: string; blocks: Block[] }[] = [
  { why: "an unknown block type", blocks: [{ type: "fancy_banner", text: plain("hi") }] },
  { why: "an unknown element type", blocks: inActions({ type: "slider", action_id: "s" }) },
  { why: "a button's text is plain_text only", blocks: inActions(button("b", mrkdwn("*Go*"))) },
  { why: "a header's text is plain_text only", blocks: [{ type: "header", text: mrkdwn("*Title*") }] },
  {
    why: "a static select's option text is plain_text only",
    blocks: inActions({ type: "static_select", action_id: "s", options: [option(1, mrkdwn("*one*"))] }),
  },
  {
    why: "a placeholder is plain_text only",
    blocks: inActions({
      type: "static_select",
      action_id: "s",
      placeholder: mrkdwn("pick"),
      options: options(2),
    }),
  },
  {
    why: "an overflow menu has at most 5 options",
    blocks: inActions({ type: "overflow", action_id: "o", options: options(6) }),
  },
  {
    why: "an overflow menu has at least 2 options",
    blocks: inActions({ type: "overflow", action_id: "o", options: options(1) }),
  },
  {
    why: "radio buttons have at most 10 options",
    blocks: inActions({ type: "radio_buttons", action_id: "r", options: options(11) }),
  },
  {
    why: "a static select has at most 100 options",
    blocks: inActions({ type: "static_select", action_id: "s", options: options(101) }),
  },
  {
    why: "an actions block has at most 25 elements",
    blocks: inActions(...Array.from({ length: 26 }, (_, i) => button(`b${i}`))),
  },
  { why: "a section's text has at most 3000 characters", blocks: [section("x".repeat(3001))] },
  { why: "a message has at most 50 blocks", blocks: Array.from({ length: 51 }, () => section()) },
  { why: "a text object's text is not empty", blocks: [{ type: "context", elements: [mrkdwn("")] }] },
  { why: "a task card has a task_id", blocks: [{ type: "task_card", title: "t", status: "complete" }] },
  {
    why: "a task card's status is one Slack knows",
    blocks: [{ type: "task_card", task_id: "1", title: "t", status: "done" }],
  },
  {
    why: "a task card's output is rich text",
    blocks: [{ type: "task_card", task_id: "1", title: "t", output: "plain string" }],
  },
  { why: "a plan has a title", blocks: [{ type: "plan", tasks: [] }] },
  {
    why: "a table row has at most 20 cells",
    blocks: [{ type: "table", rows: [Array.from({ length: 21 }, () => ({ type: "raw_text", text: "x" }))] }],
  },
  {
    why: "a table has at most 100 rows",
    blocks: [{ type: "table", rows: Array.from({ length: 101 }, () => [{ type: "raw_text", text: "x" }]) }],
  },
  {
    why: "feedback buttons need both buttons",
    blocks: [
      {
        type: "context_actions",
        elements: [{ type: "feedback_buttons", positive_button: { text: plain("Good"), value: "p" } }],
      },
    ],
  },
  {
    why: "a context_actions block holds feedback or icon buttons only",
    blocks: [{ type: "context_actions", elements: [button("b")] }],
  },
];

/** The same kinds of blocks within Slack's limits, which Slack takes. */
const ACCEPTED: Block[] = [
  { type: "header", text: plain("Title") },
  section("a section"),
  ...inActions(
    button("go"),
    { type: "overflow", action_id: "more", options: options(5) },
    { type: "static_select", action_id: "pick", placeholder: plain("Pick"), options: options(100) },
  ),
  {
    type: "section",
    text: mrkdwn("choose"),
    accessory: { type: "radio_buttons", action_id: "r", options: [option(1, mrkdwn("*bold* is fine here"))] },
  },
  { type: "divider" },
  { type: "context", elements: [mrkdwn("_context_")] },
  { type: "task_card", task_id: "1", title: "current_time()", status: "in_progress" },
  {
    type: "plan",
    title: "Tool calls",
    tasks: [
      {
        type: "task_card",
        task_id: "2",
        title: "read_thread()",
        status: "complete",
        output: {
          type: "rich_text",
          elements: [{ type: "rich_text_section", elements: [{ type: "text", text: "ok" }] }],
        },
      },
    ],
  },
  {
    type: "table",
    rows: [
      [
        { type: "raw_text", text: "name" },
        { type: "raw_text", text: "score" },
      ],
    ],
    column_settings: [{ align: "left" }, { align: "right" }],
  },
  {
    type: "context_actions",
    elements: [
      {
        type: "feedback_buttons",
        action_id: "fb",
        positive_button: { text: plain("Good"), value: "positive" },
        negative_button: { text: plain("Bad"), value: "negative", accessibility_label: "Not helpful" },
      },
    ],
  },
];

test("chat.postMessage and chat.update refuse blocks Slack refuses with invalid_blocks, and take them within Slack's limits", async () => {
  const posted = await bot.chat.postMessage({ channel: "C0GENERAL", text: "ok", blocks: ACCEPTED as never });
  assert.equal(posted.ok, true);
  for (const { why, blocks } of REFUSED) {
    assert.equal(
      await slackError(bot.chat.postMessage({ channel: "C0GENERAL", text: "t", blocks: blocks as never })),
      "invalid_blocks",
      `chat.postMessage: ${why}`,
    );
    assert.equal(
      await slackError(
        bot.chat.update({ channel: "C0GENERAL", ts: posted.ts ?? "", text: "t", blocks: blocks as never }),
      ),
      "invalid_blocks",
      `chat.update: ${why}`,
    );
  }
});

test("chat.postEphemeral refuses blocks Slack refuses with invalid_blocks", async () => {
  for (const { why, blocks } of REFUSED) {
    const call = bot.chat.postEphemeral({
      channel: "C0GENERAL",
      user: "U0ALICE01",
      text: "t",
      blocks: blocks as never,
    });
    assert.equal(await slackError(call), "invalid_blocks", why);
  }
  const shown = await bot.chat.postEphemeral({
    channel: "C0GENERAL",
    user: "U0ALICE01",
    text: "t",
    blocks: ACCEPTED as never,
  });
  assert.equal(shown.ok, true);
});

test("views.publish, views.open and views.update refuse views Slack refuses with invalid_arguments", async () => {
  const home = (blocks: Block[]) => ({ type: "home", blocks });
  const modal = (fields: Block) => ({
    type: "modal",
    title: plain("Agent mode"),
    blocks: [section()],
    ...fields,
  });
  for (const { why, blocks } of REFUSED.filter((r) => r.blocks.length <= 50)) {
    const published = bot.views.publish({ user_id: "U0ALICE01", view: home(blocks) as never });
    assert.equal(await slackError(published), "invalid_arguments", `views.publish: ${why}`);
  }
  const tooMany = home(Array.from({ length: 101 }, () => section()));
  assert.equal(
    await slackError(bot.views.publish({ user_id: "U0ALICE01", view: tooMany as never })),
    "invalid_arguments",
    "a view has at most 100 blocks",
  );
  assert.equal((await bot.views.publish({ user_id: "U0ALICE01", view: home(ACCEPTED) as never })).ok, true);

  const refusedModals: readonly [string, Block][] = [
    ["a modal's title is plain_text only", { title: mrkdwn("*Agent*") }],
    ["a modal's title has at most 24 characters", { title: plain("x".repeat(25)) }],
    ["a modal's submit is plain_text only", { submit: mrkdwn("*Save*") }],
    [
      "an input's label is plain_text only",
      {
        blocks: [
          { type: "input", label: mrkdwn("*Mode*"), element: { type: "plain_text_input", action_id: "i" } },
        ],
        submit: plain("Save"),
      },
    ],
  ];
  for (const [why, fields] of refusedModals) {
    const trigger = emulator.workspace.newTrigger("U0ALICE01");
    assert.equal(
      await slackError(bot.views.open({ trigger_id: trigger, view: modal(fields) as never })),
      "invalid_arguments",
      why,
    );
  }
  const trigger = emulator.workspace.newTrigger("U0ALICE01");
  const opened = await bot.views.open({
    trigger_id: trigger,
    view: modal({ submit: plain("Save") }) as never,
  });
  assert.equal(opened.ok, true);

  const viewId = opened.view?.id ?? "";
  for (const [why, fields] of refusedModals) {
    const update = bot.views.update({ view_id: viewId, view: modal(fields) as never });
    assert.equal(await slackError(update), "invalid_arguments", `views.update: ${why}`);
  }
  for (const { why, blocks } of REFUSED.filter((r) => r.blocks.length <= 50)) {
    const update = bot.views.update({ view_id: viewId, view: modal({ blocks }) as never });
    assert.equal(await slackError(update), "invalid_arguments", `views.update: ${why}`);
  }
  const stale = bot.views.update({ view_id: viewId, hash: "H-stale", view: modal({}) as never });
  assert.equal(await slackError(stale), "hash_conflict");
  const updated = await bot.views.update({
    view_id: viewId,
    hash: opened.view?.hash ?? "",
    view: modal({ title: plain("Updated") }) as never,
  });
  assert.equal(updated.ok, true);
});

test("a response_url post with blocks Slack refuses is answered 400 invalid_blocks and shows nothing", async () => {
  const url = emulator.responseUrls.create({ user: "U0BOB0002", channel: "C0GENERAL" });
  const before = emulator.ephemeralsFor("U0BOB0002").length;
  for (const { why, blocks } of REFUSED) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "t", blocks }),
    });
    assert.equal(response.status, 400, why);
    assert.equal(((await response.json()) as { error?: string }).error, "invalid_blocks", why);
  }
  assert.equal(emulator.ephemeralsFor("U0BOB0002").length, before, "no refused post was shown");
  const ok = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "t", blocks: ACCEPTED }),
  });
  assert.equal(ok.status, 200);
  assert.equal(emulator.ephemeralsFor("U0BOB0002").length, before + 1);
});
