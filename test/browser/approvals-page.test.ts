/**
 * Approvals in the playground, in a real browser: `npm run playground` with `DEMO_APPROVAL=true` and a demo
 * agent whose first iteration is its last, so every run asks before it posts its result into the channel
 * (`post_to_channel`). People approve and deny on the card in the thread, as in Slack; someone who never
 * wrote in the thread is refused. Assertions read words, never emoji: the page must stay readable on a
 * machine without an emoji font.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Locator, Page } from "playwright-core";
import {
  type BrowserPlayground,
  goTo,
  message,
  openPageAs,
  reactionOn,
  say,
  screenshot,
  startBrowserPlayground,
  WAIT,
} from "./browser.ts";

const ALICE = "Alice Archer (@alice)";
const BOB = "Bob Baker (@bob)";
const CAROL = "Carol Chen (@carol)";
/** The start of what the demo agent asks to post (src/agent/demo-agent.ts). */
const CHANNEL_POST = "The demo agent finished a run";
/** A decision's time as the card shows it (in UTC, to the minute). */
const AT = String.raw`at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC`;

let session: BrowserPlayground;

before(async () => {
  session = await startBrowserPlayground({
    DEMO_APPROVAL: "true",
    DEMO_ITERATION_MS: "200",
    DEMO_MAX_ITERATIONS: "1",
  });
});

after(async () => {
  await session?.close();
});

// A browser keeps at most six connections to one host, and every open page holds one for its event stream.
afterEach(async () => {
  for (const page of session.context.pages()) await page.close();
});

function openAs(person: string): Promise<Page> {
  return openPageAs(session.context, session.playground.url, person);
}

/** Mentions the bot in # general and opens the thread, where the run's approval card shows up. */
async function askInGeneral(page: Page, text: string): Promise<{ thread: Locator; card: Locator }> {
  await goTo(page, "# general");
  await say(page, "channel", `@agent ${text}`);
  return openThreadOf(page, text);
}

/** Opens the thread of the message that says `text` in the open channel; its card, once it asks. */
async function openThreadOf(page: Page, text: string): Promise<{ thread: Locator; card: Locator }> {
  const root = message(page.getByRole("main"), text);
  await root.getByRole("button", { name: /\d+ repl/ }).click({ timeout: WAIT });
  const thread = page.getByRole("complementary", { name: "Thread" });
  const card = message(thread, "The agent asks before it acts");
  await card.getByText("Post a message in #general").waitFor({ timeout: WAIT });
  return { thread, card };
}

/** Approve and Deny… on a card (not the message's own hover actions). */
function decisionButtons(card: Locator): Locator {
  return card.getByRole("button", { name: /^(Approve|Deny…)$/ });
}

/** The bot's posts at the top level of the open channel. */
function channelPosts(page: Page): Locator {
  return page.getByRole("main").getByRole("article", { name: "Message from Agent Sessions" }).filter({
    hasText: CHANNEL_POST,
  });
}

describe("approvals in the playground", () => {
  test("a person not in the session is refused; the person who asked approves, and the bot posts in the channel", async () => {
    const alice = await openAs(ALICE);
    const { thread, card } = await askInGeneral(alice, "summarise this week for the channel");
    await card.getByText(`text: ${CHANNEL_POST}`).waitFor({ timeout: WAIT });
    await card.getByRole("button", { name: "Approve" }).waitFor();
    await card.getByRole("button", { name: "Deny…" }).waitFor();
    // The message that started the run is marked as waiting, in words as well as by its reaction.
    const asked = message(thread, "summarise this week for the channel");
    await reactionOn(asked, "raised_hand");
    await asked.getByText("raised hand").waitFor();
    await screenshot(alice, "approval-1-card");

    // Bob never wrote in Alice's thread: Slack shows him the buttons, the session refuses his click.
    const bob = await openAs(BOB);
    await goTo(bob, "# general");
    const bobs = await openThreadOf(bob, "summarise this week for the channel");
    await bobs.card.getByRole("button", { name: "Approve" }).click();
    // Told to Bob alone, through the click's response_url: its ephemeral carries no thread, so the whole
    // page is searched (the emulator shows it in the channel).
    const refusal = message(bob, "Could not approve");
    await refusal.getByText(/Only the people in this session may decide this/).waitFor({ timeout: WAIT });
    await refusal.getByText("Only visible to you").waitFor();
    await screenshot(bob, "approval-2-refused");
    assert.equal(await channelPosts(bob).count(), 0, "nothing posted on a refused click");
    await card.getByRole("button", { name: "Approve" }).waitFor();

    await card.getByRole("button", { name: "Approve" }).click();
    // The same card, now saying who decided and when.
    await card.getByText(new RegExp(`Approved by @alice ${AT}`)).waitFor({ timeout: WAIT });
    assert.equal(await decisionButtons(card).count(), 0, "no Approve or Deny once decided");
    await channelPosts(alice).first().waitFor({ timeout: WAIT });
    // The run's answer carries a note of what it did.
    const done = message(thread, "Posted the result at the top of this channel");
    await done.getByText("Done", { exact: true }).waitFor({ timeout: WAIT });
    await reactionOn(asked, "white_check_mark");
    await screenshot(alice, "approval-3-approved");
    assert.equal(await channelPosts(alice).count(), 1, "one post in the channel");
  });

  test("the person who asked denies with a reason; the card says so and nothing is posted", async () => {
    const alice = await openAs(ALICE);
    await goTo(alice, "# general");
    const before = await channelPosts(alice).count();
    const { thread, card } = await askInGeneral(alice, "tell the channel about the outage");

    await card.getByRole("button", { name: "Deny…" }).click();
    const modal = alice.getByRole("dialog", { name: "Deny" });
    await modal.getByText("Why (the agent reads it)").waitFor({ timeout: WAIT });
    await modal.getByText("(optional)").waitFor();
    await modal.getByRole("textbox").fill("the outage note goes out from the status page");
    await screenshot(alice, "approval-4-deny-modal");
    await modal.getByRole("button", { name: "Deny", exact: true }).click();
    await modal.waitFor({ state: "detached", timeout: WAIT });

    // The same card, now saying who decided and when.
    await card
      .getByText(new RegExp(`Denied by @alice ${AT}: the outage note goes out from the status page`))
      .waitFor({ timeout: WAIT });
    assert.equal(await decisionButtons(card).count(), 0, "no Approve or Deny once decided");
    // The run reads the denial and ends: once its answer is in, a post would have been made before it.
    const done = message(
      thread,
      "denied (by Slack user U0ALICE01): the outage note goes out from the status page",
    );
    await done.getByText("Done", { exact: true }).waitFor({ timeout: WAIT });
    await reactionOn(message(thread, "tell the channel about the outage"), "white_check_mark");
    await screenshot(alice, "approval-5-denied");
    assert.equal(await channelPosts(alice).count(), before, "nothing new posted in the channel");
  });

  test("a person not in the session may open Deny… but the session refuses the denial", async () => {
    const alice = await openAs(ALICE);
    const { card } = await askInGeneral(alice, "announce the offsite");
    const carol = await openAs(CAROL);
    await goTo(carol, "# general");
    const carols = await openThreadOf(carol, "announce the offsite");
    await carols.card.getByRole("button", { name: "Deny…" }).click();
    const modal = carol.getByRole("dialog", { name: "Deny" });
    await modal.getByRole("textbox").fill("not now");
    await modal.getByRole("button", { name: "Deny", exact: true }).click();
    // The app answers the submission by replacing the modal with its refusal.
    await carol
      .getByRole("dialog", { name: "Not done" })
      .getByText(/Could not deny: Only the people in this session may decide this/)
      .waitFor({ timeout: WAIT });
    await screenshot(carol, "approval-6-deny-refused");
    // The card still waits for someone who may decide.
    await card.getByRole("button", { name: "Approve" }).waitFor();
    await card.getByRole("button", { name: "Deny…" }).waitFor();
  });
});
