/**
 * Slack's own Web API client pointed at the emulator, as the bot, with no retries of its own: what the
 * emulator's unit tests drive it with. `slackError` reads the error name Slack (or the emulator) answered.
 */
import { after, before } from "node:test";
import { WebClient } from "@slack/web-api";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";

export function botClientOf(emulator: SlackEmulator): WebClient {
  return new WebClient(emulator.workspace.bot.botToken, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

/** The `error` of a refused call (`invalid_blocks`, ...), or "no error" when the call succeeded. */
export async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as { data?: { error?: string } }).data?.error ?? String((error as Error).message);
  }
  return "no error";
}

/** An emulator and the bot's client for the tests of one file: started before them, closed after them. */
export function emulatorPerFile(use: (started: { emulator: SlackEmulator; bot: WebClient }) => void): void {
  let started: SlackEmulator | undefined;
  before(async () => {
    started = await startSlackEmulator();
    use({ emulator: started, bot: botClientOf(started) });
  });
  after(() => started?.close());
}
