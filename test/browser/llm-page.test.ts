/**
 * The LLM agent in the playground, in a real browser: `npm run playground` with `AGENT=llm` against a fake
 * OpenAI-compatible model server (the only stand-in: a model cannot be reached from here). A person
 * mentions the bot and watches the answer stream into the thread and end as rendered Markdown, with the
 * tool call as one line.
 */
import { after, before, describe, test } from "node:test";
import { type FakeLlm, startFakeLlm } from "../helpers/fake-llm.ts";
import { fakeModelSettings } from "../helpers/product-settings.ts";
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

let fake: FakeLlm;
let session: BrowserPlayground;

before(async () => {
  fake = await startFakeLlm();
  session = await startBrowserPlayground({
    ...fakeModelSettings(fake),
    SLACK_UPDATE_INTERVAL_MS: "250",
  });
});

after(async () => {
  await session?.close();
  await fake?.close();
});

describe("the LLM agent in the playground", () => {
  test("a mention gets a streamed answer that ends as rendered Markdown, with its tool call as one line", async () => {
    fake.reply = (_request, call) =>
      call === 0
        ? { text: "Checking the clock.", toolCalls: [{ name: "current_time", args: {} }] }
        : {
            text: "## Lunch plan\n\n- **Pizza** at noon, in the big room\n- Salad for those who asked, and coffee after",
            chunkSize: 3,
            chunkDelayMs: 60,
          };
    const page = await openPageAs(session.context, session.playground.url, "Alice Archer (@alice)");
    await goTo(page, "# general");
    await say(page, "channel", "@agent plan a team lunch");
    const root = message(page.getByRole("main"), "plan a team lunch");
    await root.getByRole("button", { name: /\d+ repl/ }).click({ timeout: WAIT });
    const thread = page.getByRole("complementary", { name: "Thread" });

    await message(thread, "Checking the clock.").getByText("current_time").waitFor({ timeout: WAIT });
    await thread.getByText("▍").first().waitFor({ timeout: WAIT });
    await screenshot(page, "llm-1-streaming");
    const answer = message(thread, "Lunch plan");
    await answer.locator(".md-heading", { hasText: "Lunch plan" }).waitFor({ timeout: WAIT });
    await answer.locator("strong", { hasText: "Pizza" }).waitFor({ timeout: WAIT });
    await answer.getByText("coffee after").waitFor({ timeout: WAIT });
    await thread.getByText("▍").waitFor({ state: "detached", timeout: WAIT });
    await reactionOn(message(thread, "plan a team lunch"), "white_check_mark");
    await screenshot(page, "llm-2-answered");
  });
});
