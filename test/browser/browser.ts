/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), and the playground started as a
 * person starts it (`npm run playground`) on free ports. Screenshots go to test-artifacts/ (not committed).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import type { StepSink } from "../helpers/step-sink.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const GATED_PLAYGROUND = "test/browser/gated-playground.ts";
export const ARTIFACTS = new URL("../../test-artifacts/playground/", import.meta.url).pathname;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH. The browser tests never download one.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export interface Playground {
  readonly url: string;
  readonly main: MainProcess;
  /**
   * Stops it as Ctrl-C does and starts it again on the same ports and data folder. `meanwhile` runs while
   * it is down (say, something else answering on its port, as a playground still starting does).
   */
  restart(meanwhile?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `npm run playground` on free ports. With a step sink (`gate`), the same playground runs the scripted
 * agent, whose steps the test answers and holds (test/browser/gated-playground.ts).
 */
export async function startPlayground(
  settings: Record<string, string> = {},
  gate?: StepSink,
): Promise<Playground> {
  const env: Record<string, string> = {
    ...(await isolatedEnv()),
    ...settings,
    ...(gate ? { SINK_URL: gate.url } : {}),
  };
  const start = async () => {
    const main = gate
      ? startMain(env, { entry: GATED_PLAYGROUND })
      : startMain(env, { viaNpm: true, script: "playground" });
    await main.waitForLine(/LOCAL PLAYGROUND/, "the playground banner");
    await main.waitForLine(/^Ready$/, "the product to be ready");
    return main;
  };
  let main = await start();
  return {
    url: `http://127.0.0.1:${env.PLAYGROUND_PORT}/`,
    get main() {
      return main;
    },
    async restart(meanwhile) {
      await main.interrupt();
      await meanwhile?.();
      main = await start();
    },
    async stop() {
      await main.interrupt();
    },
  };
}

/** A playground and a browser looking at it, started together, with one window size for every test. */
export interface BrowserPlayground {
  readonly playground: Playground;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function startBrowserPlayground(
  settings: Record<string, string> = {},
  gate?: StepSink,
): Promise<BrowserPlayground> {
  const [playground, browser] = await Promise.all([startPlayground(settings, gate), launchBrowser()]);
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return {
    playground,
    context,
    async close() {
      await context.close();
      await browser.close();
      await playground.stop();
    },
  };
}
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/** How long a person waits for something to appear. */
export const WAIT = 30_000;

/** Opens the playground in a new page as one of its people. A script error on the page fails the test. */
export async function openPageAs(context: BrowserContext, url: string, person: string): Promise<Page> {
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    throw new Error(`the page failed: ${error.message}`);
  });
  await page.goto(url);
  await page.getByLabel("You are").selectOption({ label: person });
  await page.getByText("Local playground").waitFor();
  return page;
}

export async function goTo(page: Page, channel: string): Promise<void> {
  await page.getByRole("navigation").getByRole("button", { name: channel, exact: true }).click();
  await page.getByRole("heading", { name: channel }).waitFor();
}

export function message(scope: Page | Locator, text: string): Locator {
  return scope.getByRole("article").filter({ hasText: text }).first();
}

export async function say(page: Page, where: "channel" | "thread", text: string): Promise<void> {
  const box =
    where === "thread"
      ? page.getByRole("complementary", { name: "Thread" }).getByRole("textbox")
      : page.getByRole("main").getByRole("textbox");
  await box.fill(text);
  await box.press("Enter");
}

export async function reactionOn(target: Locator, name: string): Promise<void> {
  await target.locator(`[data-reaction="${name}"]`).waitFor({ timeout: WAIT });
}
