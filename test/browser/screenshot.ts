/**
 * `npm run screenshot`: the README's picture of the playground, taken from the real page: a thread where
 * the agent answered, another message queued behind a running one, and the thread pane open.
 */
import { join } from "node:path";
import { launchBrowser, startPlayground } from "./browser.ts";

const OUT = new URL("../../src/playground/", import.meta.url).pathname;

const playground = await startPlayground({
  DEMO_ITERATION_MS: "1200",
  DEMO_DONE_PROBABILITY: "0",
  DEMO_MAX_ITERATIONS: "3",
});
const browser = await launchBrowser();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await page.goto(playground.url);
  await page.getByLabel("You are").selectOption({ label: "Alice Archer (@alice)" });
  await page.getByRole("navigation").getByRole("button", { name: "# general", exact: true }).click();
  const box = page.getByRole("main").getByRole("textbox");
  await box.fill("/agentmode queue");
  await box.press("Enter");
  await page.getByText("Default mode in this channel is now Queue").waitFor({ timeout: 30_000 });
  await box.fill("@agent draft the release notes for v2.3");
  await box.press("Enter");
  const root = page.getByRole("article").filter({ hasText: "draft the release notes" }).first();
  await root.locator('[data-reaction="eyes"]').waitFor({ timeout: 30_000 });
  await root.hover();
  await root.getByRole("button", { name: "Reply in thread" }).click();
  const reply = page.getByRole("complementary", { name: "Thread" }).getByRole("textbox");
  await reply.fill("and add a section on the new mode switch");
  await reply.press("Enter");
  await page
    .getByRole("complementary", { name: "Thread" })
    .getByRole("article")
    .filter({ hasText: "Done" })
    .first()
    .waitFor({ timeout: 60_000 });
  await page.mouse.move(0, 0);
  const path = join(OUT, "screenshot.png");
  await page.screenshot({ path });
  process.stdout.write(`Saved ${path}\n`);
} finally {
  await browser.close();
  await playground.stop();
}
