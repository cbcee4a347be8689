/**
 * Scenario 8: the LLM agent against a fake OpenAI-compatible server on this machine (the model's own time
 * is not ours to measure). Threads one after another, spaced by the workspace's chat.update pace, so each
 * figure is the path, not a wait for a slot:
 * - first word: the model sends its first words until Slack (the emulator) has them in the live message;
 * - final text: the model's last words until the message holds the final text (no cursor);
 * - interrupt: a new message in the thread during a slow model call until the model's connection closes.
 * Times are wall-clock (Date.now()) on both sides: the fake and the emulator run in this process.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { FakeLlm } from "../test/helpers/fake-llm.ts";
import type { BenchRig } from "./bench-rig.ts";
import { type Latency, summarize } from "./stats.ts";

export interface LlmFigures {
  readonly firstWord: Latency;
  readonly finalText: Latency;
  readonly interruptToAbort: Latency;
}

const ANSWER =
  "Here is a short answer, streamed in small pieces as a model would send it: **first** a sentence, " +
  "then a list:\n\n- one item\n- another item\n\nand a closing line that ends the answer.";

async function until<T>(
  probe: () => T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`LLM scenario: timed out waiting for ${what}`);
    await delay(5);
  }
}

export async function llmScenario(
  rig: BenchRig,
  fake: FakeLlm,
  count: number,
  paceMs: number,
): Promise<LlmFigures> {
  const { emulator } = rig;
  const changes = new Map<string, { at: number; blocks: string }[]>();
  emulator.on("change", (change: { kind: string; channel: string; ts: string }) => {
    if (change.kind !== "message_changed") return;
    const message = emulator.workspace.message(change.channel, change.ts);
    const list = changes.get(change.ts) ?? [];
    list.push({ at: Date.now(), blocks: JSON.stringify(message?.blocks ?? []) });
    changes.set(change.ts, list);
  });
  const liveMessageOf = (channel: string, threadTs: string) =>
    emulator.thread(channel, threadTs).find((m) => m.botId)?.ts;

  const firstWord: number[] = [];
  const finalText: number[] = [];
  fake.reset();
  fake.reply = () => ({ text: ANSWER, chunkSize: 8, chunkDelayMs: 15 });
  for (let i = 0; i < count; i += 1) {
    const before = fake.calls.length;
    const channel = rig.newChannel();
    const { thread } = await rig.mention(channel, undefined, { text: `question ${i}` });
    const call = await until(() => fake.calls[before], "the model call");
    const firstAt = await until(() => call.firstChunkAt, "the first words");
    const finishedAt = await until(() => call.finishedAt, "the whole answer");
    const ts = await until(() => liveMessageOf(channel, thread.ts), "the live message");
    const seen = await until(() => {
      const list = changes.get(ts) ?? [];
      const first = list.find((c) => c.at >= firstAt && !c.blocks.includes("Thinking"));
      const final = list.find((c) => c.blocks.includes("closing line that ends") && !c.blocks.includes("▍"));
      return first && final ? { first, final } : undefined;
    }, "the final text in Slack");
    firstWord.push(seen.first.at - firstAt);
    finalText.push(seen.final.at - finishedAt);
    await delay(paceMs);
  }

  const interruptToAbort: number[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  fake.reply = (request) =>
    JSON.stringify(request.messages.at(-1)?.content ?? "").includes("stop that")
      ? { text: "Stopped." }
      : { text: "A long answer that takes its time", chunkSize: 4, hold: held };
  for (let i = 0; i < count; i += 1) {
    const before = fake.calls.length;
    const { thread } = await rig.mention(rig.newChannel(), undefined, { text: `a long essay ${i}` });
    const call = await until(() => fake.calls[before], "the slow model call");
    await until(() => call.firstChunkAt, "its first words");
    const { sentAt } = await rig.reply(thread, "stop that");
    const endedAt = await until(() => call.aborted && call.endedAt, "the model request aborted");
    interruptToAbort.push(endedAt - sentAt);
    await until(() => fake.calls.length >= before + 2, "the new run's model call");
    await delay(paceMs);
  }
  release();
  return {
    firstWord: summarize(firstWord),
    finalText: summarize(finalText),
    interruptToAbort: summarize(interruptToAbort),
  };
}
