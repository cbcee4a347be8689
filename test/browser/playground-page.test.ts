/**
 * The playground in a real browser, used only as a person uses it: typing, clicking and reading the page.
 * Everything behind the page is real: the playground as `npm run playground` starts it (embedded Restate,
 * our services, the Bolt app over HTTP, the emulated Slack), with the scripted agent in place of the demo
 * agent: it answers as the demo agent does ("Do another iteration", then "Done"), and a test that must act
 * while the agent works holds its step until it is done acting, instead of hoping a slow run lasts long
 * enough.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { type HeldCall, type SinkCall, type StepSink, startStepSink } from "../helpers/step-sink.ts";
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

let session: BrowserPlayground;
let sink: StepSink;
/** Holds taken by the running test, released after it (a run still held would hold up the next test). */
const holds: HeldCall[] = [];

before(async () => {
  sink = await startStepSink();
  // As the demo agent with four iterations: three "Do another iteration", then "Done".
  sink.setDefaultReply((call) =>
    call.iteration >= 4 ? { output: "Done", done: true } : { output: "Do another iteration", done: false },
  );
  session = await startBrowserPlayground({}, sink);
});

after(async () => {
  await session?.close();
  await sink?.close();
});

// Each test's page is closed after it: a browser keeps at most six connections to one host, and every open
// page holds one for its event stream.
afterEach(async () => {
  for (const held of holds.splice(0)) held.release();
  for (const page of session.context.pages()) await page.close();
});

/** The newest message a person wrote that a step sees: what its run answers. */
const answering = (call: SinkCall) => call.history.findLast((item) => item.role === "user")?.content;

/** Holds the step of iteration `iteration` of the run that answers `text`, at the latest until the test ends. */
function holdStep(text: string, iteration = 1): HeldCall {
  const held = sink.hold(
    (call: SinkCall) => call.kind === "step" && call.iteration === iteration && answering(call) === text,
  );
  holds.push(held);
  return held;
}

/** Answers 404 to every request on `port` for `ms`, then frees the port. */
async function answerNotFound(port: string, ms: number): Promise<void> {
  const server = createServer((_request, response) => {
    response.writeHead(404, { "content-type": "text/plain" });
    response.end("not yet");
  });
  await new Promise<void>((resolve) => server.listen(Number(port), "127.0.0.1", resolve));
  await new Promise((resolve) => setTimeout(resolve, ms));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function openAs(person: string): Promise<Page> {
  return openPageAs(session.context, session.playground.url, person);
}

async function openHome(page: Page): Promise<Locator> {
  await page.getByRole("navigation").getByRole("button", { name: "Agent Sessions" }).click();
  await page.getByRole("tab", { name: "Home" }).click();
  const home = page.getByTestId("home");
  await home.waitFor({ timeout: WAIT });
  return home;
}

describe("the playground in a browser", () => {
  test("mention the bot in a channel: its replies arrive in the thread, with the reactions", async () => {
    const page = await openAs("Alice Archer (@alice)");
    await goTo(page, "# general");
    const last = holdStep("plan a team lunch", 4);
    await say(page, "channel", "@agent plan a team lunch");

    const root = message(page.getByRole("main"), "plan a team lunch");
    await root.getByText("@agent").waitFor();
    await reactionOn(root, "eyes");
    await root.getByRole("button", { name: /\d+ repl/ }).click({ timeout: WAIT });
    const thread = page.getByRole("complementary", { name: "Thread" });
    await message(thread, "Do another iteration").waitFor({ timeout: WAIT });
    await last.arrived;
    last.release({ output: "Done", done: true });
    await message(thread, "Done").waitFor({ timeout: WAIT });
    await reactionOn(message(thread, "plan a team lunch"), "white_check_mark");
    await screenshot(page, "1-replies-in-thread");
  });

  test("interrupt mode: a reply while the agent works marks the earlier message interrupted", async () => {
    const page = await openAs("Alice Archer (@alice)");
    await goTo(page, "# general");
    const first = holdStep("count to ten");
    const second = holdStep("no, count to five");
    await say(page, "channel", "@agent count to ten");
    const root = message(page.getByRole("main"), "count to ten");
    await first.arrived;
    await reactionOn(root, "eyes");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    await say(page, "thread", "no, count to five");
    await second.arrived;

    const thread = page.getByRole("complementary", { name: "Thread" });
    await reactionOn(message(thread, "count to ten"), "black_square_for_stop");
    await reactionOn(message(thread, "no, count to five"), "eyes");
    await screenshot(page, "2-interrupted");
  });

  test("Slack's Stop button under a working thread stops the run; the status and the reaction say so", async () => {
    // Carol never wrote in Bob's thread: Slack shows her its Stop button all the same.
    const bob = await openAs("Bob Baker (@bob)");
    await goTo(bob, "# general");
    const held = holdStep("compile the quarterly figures");
    await say(bob, "channel", "@agent compile the quarterly figures");
    await held.arrived;
    const carol = await openAs("Carol Chen (@carol)");
    await goTo(carol, "# general");
    const root = message(carol.getByRole("main"), "compile the quarterly figures");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    const thread = carol.getByRole("complementary", { name: "Thread" });
    await thread.getByText("Agent working").waitFor({ timeout: WAIT });
    await screenshot(carol, "2b-agent-working");
    await thread.getByRole("button", { name: "Stop the agent" }).click();
    await reactionOn(message(thread, "compile the quarterly figures"), "black_square_for_stop");
    await thread.getByText("Agent session active").waitFor({ timeout: WAIT });
    assert.equal(
      await thread.getByRole("button", { name: "Stop the agent" }).count(),
      0,
      "no Stop once idle",
    );
    // The reaction reads as words too, for a machine without an emoji font.
    await thread.getByText("black square for stop").first().waitFor({ timeout: WAIT });
  });

  test("the split pane: the agent's conversation shows its prompts; a prompt is sent and answered in its thread", async () => {
    const page = await openAs("Carol Chen (@carol)");
    await page.getByRole("navigation").getByRole("button", { name: "Agent Sessions" }).click();
    await page.getByRole("tab", { name: "Messages" }).click();
    const intro = page.getByTestId("agent-intro");
    await intro.getByText("A durable agent in your threads").waitFor({ timeout: WAIT });
    const done = holdStep("Help me plan a task step by step.", 4);
    await intro.getByRole("button", { name: "Plan a task" }).click();
    const prompt = message(page.getByRole("main"), "Help me plan a task step by step.");
    await reactionOn(prompt, "eyes");
    await done.arrived;
    done.release({ output: "Done", done: true });
    await reactionOn(prompt, "white_check_mark");
  });

  test("queue mode: the Home lists the queued runs; remove one, stop the run, the next one runs", async () => {
    const page = await openAs("Bob Baker (@bob)");
    await goTo(page, "# random");
    await say(page, "channel", "/agentmode queue");
    await page.getByText("Default mode in this channel is now Queue").waitFor({ timeout: WAIT });
    await page.getByText("Only visible to you").first().waitFor();

    const first = holdStep("first task");
    const third = holdStep("third task");
    await say(page, "channel", "@agent first task");
    const root = message(page.getByRole("main"), "first task");
    await first.arrived;
    await reactionOn(root, "eyes");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    await say(page, "thread", "second task");
    await say(page, "thread", "third task");
    const thread = page.getByRole("complementary", { name: "Thread" });
    await reactionOn(message(thread, "second task"), "hourglass_flowing_sand");
    await reactionOn(message(thread, "third task"), "hourglass_flowing_sand");

    const home = await openHome(page);
    await home.getByText("1. second task").waitFor({ timeout: WAIT });
    await home.getByText("2. third task").waitFor({ timeout: WAIT });
    await home.getByText(/Running, iteration \d/).waitFor();
    await screenshot(page, "3-home-with-queue");

    await home.getByRole("article").or(home).getByText("1. second task").waitFor();
    const secondRow = home.locator(".bk-section").filter({ hasText: "second task" });
    await secondRow.getByRole("button", { name: "Remove" }).click();
    await home.getByText("second task").waitFor({ state: "detached", timeout: WAIT });
    await home.getByText("1. third task").waitFor({ timeout: WAIT });

    await home.getByRole("button", { name: "Stop run" }).click();
    // The stopped run's message is marked stopped; the one still waiting starts.
    await goTo(page, "# random");
    await message(page.getByRole("main"), "first task").getByRole("button", { name: /repl/ }).click();
    await reactionOn(message(thread, "first task"), "black_square_for_stop");
    await third.arrived;
    await reactionOn(message(thread, "third task"), "eyes");
    await reactionOn(message(thread, "second task"), "black_square_for_stop");
    const again = await openHome(page);
    // The tab shows the last view published until the Home is published again: wait for the one without
    // the queued third task (it runs now), not the one from before the stop, which would also count it once.
    await again.getByText("1. third task").waitFor({ state: "detached", timeout: WAIT });
    await again.getByText(/Running, iteration \d/).waitFor({ timeout: WAIT });
    assert.equal(
      await again.getByText("third task").count(),
      1,
      `the third task is the running run now; the Home shows:\n${await again.textContent()}`,
    );
  });

  test("the shortcut's modal changes a thread's mode", async () => {
    const other = await openAs("Bob Baker (@bob)");
    await goTo(other, "# general");
    const page = await openAs("Carol Chen (@carol)");
    await goTo(page, "# general");
    // Held at its second step: the first one's answer opens the thread the test replies in.
    const running = holdStep("write a haiku", 2);
    await say(page, "channel", "@agent write a haiku");
    const root = message(page.getByRole("main"), "write a haiku");
    await running.arrived;
    await reactionOn(root, "eyes");
    await root.hover();
    await root.getByRole("button", { name: "More actions" }).click();
    // Someone else writes meanwhile: the page redraws its messages, and the open menu stays open.
    await say(other, "channel", "lunch at noon?");
    await message(page.getByRole("main"), "lunch at noon?").waitFor({ timeout: WAIT });
    await root.getByRole("menuitem", { name: "Agent mode" }).click({ timeout: 2000 });

    const modal = page.getByRole("dialog", { name: "Agent mode" });
    await modal.waitFor({ timeout: WAIT });
    await screenshot(page, "4-mode-modal");
    await modal.getByText("Incorporate", { exact: true }).click();
    await modal.getByRole("button", { name: "Save" }).click();
    await modal.waitFor({ state: "detached", timeout: WAIT });

    await root.getByRole("button", { name: /repl/ }).click({ timeout: WAIT });
    const thread = page.getByRole("complementary", { name: "Thread" });
    await thread.getByText("Mode for this thread: Incorporate").waitFor({ timeout: WAIT });
    await say(page, "thread", "make it about autumn");
    await reactionOn(message(thread, "make it about autumn"), "twisted_rightwards_arrows");
  });

  test("/agentmode with a bad mode answers with an ephemeral error; in a thread Slack refuses the command", async () => {
    const page = await openAs("Alice Archer (@alice)");
    await goTo(page, "# general");
    await say(page, "channel", "/agentmode fast");
    const answer = message(page.getByRole("main"), 'Unknown mode "fast"');
    await answer.waitFor({ timeout: WAIT });
    await answer.getByText("Only visible to you").waitFor();
    await screenshot(page, "5-bad-mode");

    await say(page, "channel", "@agent a thread for a command");
    const root = message(page.getByRole("main"), "a thread for a command");
    await root.hover();
    await root.getByRole("button", { name: "Reply in thread" }).click();
    await say(page, "thread", "/agentmode queue");
    const thread = page.getByRole("complementary", { name: "Thread" });
    const refusal = message(thread, "/agentmode is not supported in threads");
    await refusal.waitFor({ timeout: WAIT });
    await refusal.getByText("!agentmode").waitFor();
    await refusal.getByText("Agent mode").waitFor();
  });
});

describe("two workspaces", () => {
  test("the app is installed in both; each workspace shows its own threads and its own Home", async () => {
    const page = await openAs("Alice Archer (@alice)");
    const workspace = page.getByLabel("Workspace");
    assert.deepEqual(await workspace.locator("option").allTextContents(), ["Acme", "Globex"]);
    await workspace.selectOption({ label: "Globex" });
    await goTo(page, "# general");
    await say(page, "channel", "@agent only in Globex");
    const root = message(page.getByRole("main"), "only in Globex");
    await root.getByRole("button", { name: /\d+ repl/ }).click({ timeout: WAIT });
    await message(page.getByRole("complementary", { name: "Thread" }), "Done").waitFor({ timeout: WAIT });
    const globexHome = await openHome(page);
    await globexHome.getByText("only in Globex").first().waitFor({ timeout: WAIT });
    await screenshot(page, "9-second-workspace");

    await workspace.selectOption({ label: "Acme" });
    await goTo(page, "# general");
    assert.equal(
      await message(page.getByRole("main"), "only in Globex").count(),
      0,
      "Acme's channel does not show it",
    );
    const acmeHome = await openHome(page);
    await acmeHome.waitFor();
    assert.equal(await acmeHome.getByText("only in Globex").count(), 0, "Acme's Home does not list it");
  });
});

describe("a restart of the playground", () => {
  test("forgets the workspace, not the sessions: the page says so and the Home still lists them", async () => {
    const page = await openAs("Carol Chen (@carol)");
    await goTo(page, "# random");
    const running = holdStep("remember this session");
    await say(page, "channel", "@agent remember this session");
    await running.arrived;
    await reactionOn(message(page.getByRole("main"), "remember this session"), "eyes");
    const home = await openHome(page);
    await home.getByText("remember this session").waitFor({ timeout: WAIT });

    // While it is down, its port first answers like a playground still starting (404 for the event stream,
    // longer than the browser's own retry): the page must keep trying and find the new playground.
    await session.playground.restart(() => answerNotFound(new URL(session.playground.url).port, 4000));
    await page.getByRole("alert").getByText("The playground restarted").waitFor({ timeout: 60_000 });
    const after = page.getByTestId("home");
    await after.getByText("remember this session").waitFor({ timeout: WAIT });
    await screenshot(page, "6-after-restart");
    await goTo(page, "# random");
    assert.equal(
      await message(page.getByRole("main"), "remember this session").count(),
      0,
      "the messages are gone",
    );
  });
});
