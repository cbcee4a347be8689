/**
 * The product with the LLM agent as a person runs it (`node src/main.ts`, `AGENT=llm`: embedded
 * restate-server, our services, the Bolt app over HTTP) against the Slack emulator and the fake model
 * server, with the small readers a test of it needs: mention the bot, reply, read the bot's messages.
 * `close()` stops all three.
 */

import { toSessionKey } from "../../src/restate/keys.ts";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import type { EmMessage } from "../../src/slack-emulator/workspace.ts";
import { type FakeLlm, startFakeLlm } from "./fake-llm.ts";
import { isolatedEnv, type MainProcess, startMain } from "./main-process.ts";
import { emulatedSlackSettings, FAST_SLACK_PACES, fakeModelSettings } from "./product-settings.ts";

export const BOT = "U0AGENT01";

/** What a person does in the emulated workspace, and what they read back from the bot. */
export interface ThreadActions {
  /** A person mentions the bot at the top of `channel`; resolves with the new thread's ts. */
  mention(channel: string, user: string, text: string): Promise<string>;
  reply(channel: string, user: string, threadTs: string, text: string): Promise<string>;
  /** The bot's messages in a thread, oldest first. */
  botReplies(channel: string, threadTs: string): EmMessage[];
  sessionKey(channel: string, threadTs: string): string;
}

export function threadActions(emulator: SlackEmulator): ThreadActions {
  const post = async (channel: string, user: string, text: string, threadTs?: string) =>
    (await emulator.userPosts({ user, channel, text, ...(threadTs ? { threadTs } : {}) })).message.ts;
  return {
    mention: (channel, user, text) => post(channel, user, `<@${BOT}> ${text}`),
    reply: (channel, user, threadTs, text) => post(channel, user, text, threadTs),
    botReplies: (channel, threadTs) => emulator.thread(channel, threadTs).filter((m) => m.botId),
    sessionKey: (channel, threadTs) => toSessionKey(emulator.workspace.team.id, channel, threadTs),
  };
}

export interface LlmProduct extends ThreadActions {
  readonly emulator: SlackEmulator;
  readonly fake: FakeLlm;
  readonly main: MainProcess;
  /** SIGKILLs our process, runs `meanwhile`, and starts it again on the same data and settings. */
  crash(meanwhile?: () => void): Promise<void>;
  close(): Promise<void>;
}

export function markdownOf(message: EmMessage | undefined): string {
  const blocks = (message?.blocks ?? []) as { type: string; text?: string }[];
  return blocks
    .filter((b) => b.type === "markdown")
    .map((b) => b.text ?? "")
    .join("\n");
}

/** The task cards of a message (a lone card, or a plan's), as title and status. */
export function tasksOf(message: EmMessage | undefined): { title: string; status: string; output: string }[] {
  type Card = { type?: string; title?: string; status?: string; tasks?: Card[]; output?: unknown };
  const blocks = (message?.blocks ?? []) as Card[];
  const words = (value: unknown) => JSON.stringify(value ?? "").replace(/^"|"$/g, "");
  return blocks
    .flatMap((b) => (b.type === "plan" ? (b.tasks ?? []) : b.type === "task_card" ? [b] : []))
    .map((card) => ({ title: card.title ?? "", status: card.status ?? "", output: words(card.output) }));
}

export function contextOf(message: EmMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as { type: string; elements?: { text?: string }[] }[];
  return blocks
    .filter((b) => b.type === "context")
    .map((b) => (b.elements ?? []).map((e) => e.text).join(" "));
}

export async function startLlmProduct(settings: Record<string, string> = {}): Promise<LlmProduct> {
  const emulator = await startSlackEmulator();
  const fake = await startFakeLlm();
  const env: Record<string, string> = {
    ...(await isolatedEnv()),
    ...emulatedSlackSettings(emulator),
    ...FAST_SLACK_PACES,
    ...fakeModelSettings(fake),
    ...settings,
  };
  let main = startMain(env);
  try {
    await main.waitForLine(/^Ready$/);
  } catch (error) {
    await main.stop("SIGKILL");
    await fake.close();
    await emulator.close();
    throw error;
  }
  emulator.appUrl = `http://127.0.0.1:${env.PORT}/slack/events`;
  return {
    emulator,
    fake,
    get main() {
      return main;
    },
    ...threadActions(emulator),
    async crash(meanwhile) {
      main.process.kill("SIGKILL");
      await main.exited;
      meanwhile?.();
      main = startMain(env);
      await main.waitForLine(/^Ready$/);
    },
    async close() {
      await main.stop();
      await fake.close();
      await emulator.close();
    },
  };
}
