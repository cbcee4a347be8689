/**
 * Slack's own Web API client pointed at the emulator, as the bot, with no retries of its own: what the
 * emulator's unit tests drive it with. `slackError` reads the error name Slack (or the emulator) answered.
 */
import { WebClient } from "@slack/web-api";
import type { SlackEmulator } from "../../src/slack-emulator/emulator.ts";

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
