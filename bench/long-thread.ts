/**
 * The long thread: one session given `messages` messages one after another, through the ingress as the
 * seed's curl does (the LLM agent, the fake model: what the model sees is ours, its time is not). At each
 * checkpoint (the 10th, 100th, 1,000th message) it reports:
 * - model input: the answer request's size, in the fake's tokens (4 characters a token, the JSON counted);
 * - state bytes written: the sum of the sizes of ChatService's state entries for the session that the
 *   message changed (each change rewrites its entry whole);
 * - latency: the message sent until the session is idle again (its run done);
 * each the mean over the 10 messages up to the checkpoint.
 *
 * Alone: `node bench/long-thread.ts [--messages 1000] [--words 100] [--no-limit]` (prints JSON).
 */
import { SUMMARY_PROMPT_START } from "../src/agent/llm-agent.ts";
import { adminQuery } from "../test/helpers/admin-query.ts";
import type { FakeLlm } from "../test/helpers/fake-llm.ts";
import { ingressClient } from "../test/helpers/ingress.ts";
import { startLlmProduct } from "../test/helpers/llm-product.ts";

export interface LongThreadPoint {
  readonly messages: number;
  readonly modelInputTokens: number;
  readonly historyItems: number;
  readonly stateBytesWritten: number;
  readonly stateBytesTotal: number;
  readonly latencyMs: number;
}

export interface LongThreadFigures {
  readonly points: LongThreadPoint[];
  /** Requests the fake refused as past its window (0 expected). */
  readonly refused: number;
  /** Summaries asked for. */
  readonly summaries: number;
}

const VOCABULARY = "plan budget travel hiring roadmap launch review design metrics customer".split(" ");
const text = (n: number, words: number) =>
  `Message ${n}. ${Array.from({ length: words }, (_, i) => VOCABULARY[(i * 7 + n) % VOCABULARY.length]).join(" ")}`;

type StateRow = { key: string; value_utf8: string | null; length: number };

async function stateOf(adminUrl: string, key: string): Promise<Map<string, StateRow>> {
  const sql = `SELECT key, value_utf8, length(value) AS length FROM state WHERE service_name = 'ChatService' AND service_key = '${key}'`;
  // A server just started may not have its partitions ready for queries yet.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return new Map((await adminQuery<StateRow>(adminUrl, sql)).map((row) => [row.key, row]));
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export async function longThread(
  product: { ingressUrl: string; adminUrl: string },
  fake: FakeLlm,
  options: { messages: number; words: number; checkpoints: readonly number[]; key?: string },
): Promise<LongThreadFigures> {
  const client = ingressClient(product.ingressUrl);
  const key = options.key ?? `long-thread-${Date.now()}`;
  const summaryPrompt = new RegExp(`^${SUMMARY_PROMPT_START}`);
  fake.reply = (request) => {
    const first = request.messages[0]?.content;
    if (typeof first === "string" && summaryPrompt.test(first))
      return { text: "Earlier, the plan was discussed." };
    return { text: `Noted. ${text(0, 40)}` };
  };
  const points: LongThreadPoint[] = [];
  // Each figure is the mean over the 10 messages up to its checkpoint (where the last chunk stands varies).
  let window: { latency: number; written: number; tokens: number }[] = [];
  for (let n = 1; n <= options.messages; n += 1) {
    const measured = options.checkpoints.some((c) => n > c - 10 && n <= c);
    const before = measured ? await stateOf(product.adminUrl, key) : null;
    const calls = fake.calls.length;
    const sent = Date.now();
    await client.call(`ChatService/${key}/process_user_message`, {
      content: text(n, options.words),
      role: "user",
    });
    for (;;) {
      const status = await client.call<{ activeRun: unknown; queue: unknown[] }>(
        `ChatService/${key}/get_status`,
      );
      if (status.activeRun === null && status.queue.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const latency = Date.now() - sent;
    if (!before) continue;
    const after = await stateOf(product.adminUrl, key);
    let written = 0;
    for (const [name, row] of after)
      if (before.get(name)?.value_utf8 !== row.value_utf8) written += row.length;
    const answer = fake.calls
      .slice(calls)
      .find((c) => !summaryPrompt.test(String(c.request.messages[0]?.content)));
    window.push({ latency, written, tokens: answer?.tokens ?? 0 });
    if (!options.checkpoints.includes(n)) continue;
    const mean = (pick: (w: (typeof window)[number]) => number) =>
      Math.round(window.reduce((sum, w) => sum + pick(w), 0) / window.length);
    const status = await client.call<{ historyLength: number }>(`ChatService/${key}/get_status`);
    points.push({
      messages: n,
      modelInputTokens: mean((w) => w.tokens),
      historyItems: status.historyLength,
      stateBytesWritten: mean((w) => w.written),
      stateBytesTotal: [...after.values()].reduce((sum, row) => sum + row.length, 0),
      latencyMs: mean((w) => w.latency),
    });
    window = [];
  }
  const summaries = fake.calls.filter((c) =>
    summaryPrompt.test(String(c.request.messages[0]?.content)),
  ).length;
  return { points, refused: fake.calls.filter((c) => c.status === 400).length, summaries };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const messages = option("--messages", 1000);
  const contextTokens = option("--context-tokens", 8000);
  const product = await startLlmProduct({ LLM_CONTEXT_TOKENS: String(contextTokens) });
  if (!args.includes("--no-limit")) product.fake.contextLimit = contextTokens;
  try {
    const figures = await longThread(product.main, product.fake, {
      messages,
      words: option("--words", 100),
      checkpoints: [10, 100, 1000].filter((n) => n <= messages),
    });
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await product.close();
  }
}
