/**
 * Everything the benchmark runs, started on free ports: the product as a person runs it (`node
 * src/main.ts`: embedded restate-server, our services, the Bolt app over HTTP), the Slack emulator playing
 * Slack, and a trivial virtual object on its own endpoint for the floor. Tracks what the emulator receives
 * (posts per thread, 429s), which is where the benchmark reads "done".
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toSessionKey } from "../src/restate/keys.ts";
import { publicKeyOf } from "../src/runtime/request-identity.ts";
import { registerDeployment } from "../src/runtime/restate-admin.ts";
import type { AgentOutputPayload } from "../src/slack/post-metadata.ts";
import { eventEnvelope, type Json, mentionEvent, messageEvent } from "../src/slack-emulator/app-requests.ts";
import { type SlackEmulator, startSlackEmulator } from "../src/slack-emulator/emulator.ts";
import { adminQuery } from "../test/helpers/admin-query.ts";

const root = new URL("..", import.meta.url).pathname;

export const ITERATIONS = 3;
export const PEOPLE = 20;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A started child process: its output until it was ready, and its warnings and errors after that. */
type Child = ChildProcess & { output: () => string; problems: () => string[] };

/** Log lines at warn (40) or above, in pino's JSON format. */
const PROBLEM_LINE = /"level":(?:[4-9]\d)/;

function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let seen = "";
    let isReady = false;
    let partial = "";
    const problems: string[] = [];
    const keepProblems = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (PROBLEM_LINE.test(line) && problems.length < 200) problems.push(line);
    };
    const onData = (chunk: Buffer) => {
      if (isReady) return keepProblems(chunk);
      seen += chunk.toString();
      if (ready.test(seen)) {
        isReady = true;
        resolve(Object.assign(child, { output: () => seen, problems: () => problems.splice(0) }));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      if (!isReady) seen += chunk.toString();
      else if (problems.length < 200) problems.push(chunk.toString().trim());
    });
    child.once("exit", (code) =>
      reject(new Error(`${args.join(" ")} exited (${code}) before it was ready:\n${seen.slice(-3000)}`)),
    );
  });
}

export interface Thread {
  readonly channel: string;
  readonly ts: string;
  readonly key: string;
  /** When the benchmark sent its first event (performance.now()). */
  readonly sentAt: number;
}

export interface BenchRig {
  readonly emulator: SlackEmulator;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly productPid: number;
  /** Our process's memory after a full garbage collection (through its inspector). */
  productMemoryAfterGc(): Promise<{ rssMiB: number; heapUsedMiB: number; arrayBuffersMiB: number }>;
  readonly restatePid: number;
  /** A new public channel with everyone in it. */
  newChannel(): string;
  /** A person posts a message mentioning the bot; both events are delivered, signed, like Slack's. */
  mention(
    channel: string,
    threadTs?: string,
    options?: { onlyMention?: boolean; text?: string },
  ): Promise<{ thread: Thread; ok: boolean }>;
  /** A reply in a thread, without a mention. */
  reply(thread: Thread, text: string): Promise<{ ts: string; ok: boolean; sentAt: number }>;
  /** Resolves when the bot has put `reaction` on a message (or after `timeoutMs`, with false). */
  reacted(channel: string, ts: string, reaction: string, timeoutMs: number): Promise<boolean>;
  /** Iterations posted so far in a thread, and when (performance.now()) the first and last post arrived. */
  posted(threadTs: string): {
    iterations: number[];
    firstAt: number | null;
    lastAt: number | null;
    posts: number;
  };
  query<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
  /**
   * Why events failed since the last call (the answer or the connection error, with counts), and the
   * warnings and errors our process logged meanwhile: a failure in a figure comes with its reason.
   */
  takeFailures(): { reasons: Record<string, number>; productLog: string[] };
  close(): Promise<void>;
}

/** `env`: settings on top of the benchmark's definition (the LLM scenario's agent). */
export async function startBenchRig(options: { env?: Record<string, string> } = {}): Promise<BenchRig> {
  const emulator = await startSlackEmulator({ appKeepAlive: true });
  const { workspace } = emulator;
  for (let i = 0; i < PEOPLE; i += 1) {
    workspace.addUser({
      id: `U0BENCH${String(i).padStart(2, "0")}`,
      name: `person${i}`,
      realName: `Person ${i}`,
      isBot: false,
    });
  }
  const people = [...workspace.users.values()].filter((user) => !user.isBot).map((user) => user.id);

  const posts = new Map<
    string,
    { iterations: number[]; firstAt: number | null; lastAt: number | null; posts: number }
  >();
  const reactionWaiters = new Map<string, () => void>();
  emulator.on(
    "change",
    (change: { kind: string; channel: string; ts: string; name?: string; added?: boolean }) => {
      if (change.kind === "reaction" && change.added)
        reactionWaiters.get(`${change.channel}:${change.ts}:${change.name}`)?.();
    },
  );
  emulator.on("change", (change: { kind: string; channel: string; ts: string; threadTs: string | null }) => {
    if (change.kind !== "message" || !change.threadTs) return;
    const message = workspace.message(change.channel, change.ts);
    if (message?.metadata?.event_type !== "agent_output") return;
    const payload = message.metadata.event_payload as unknown as AgentOutputPayload;
    const entry = posts.get(change.threadTs) ?? { iterations: [], firstAt: null, lastAt: null, posts: 0 };
    const now = performance.now();
    entry.iterations.push(...payload.parts.filter((part) => !part.continued).map((part) => part.iteration));
    entry.firstAt ??= now;
    entry.lastAt = now;
    entry.posts += 1;
    posts.set(change.threadTs, entry);
  });

  const [ingress, admin, node, services, bolt, trivialPort] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const dataDir = mkdtempSync(join(tmpdir(), "bench-"));
  const bot = workspace.bot;
  // The inspector (loopback, idle unless asked) lets the memory scenario collect garbage before it measures.
  const product = await startChild(
    ["--inspect=127.0.0.1:0", "src/main.ts"],
    {
      RESTATE_INGRESS_URL: `http://127.0.0.1:${ingress}`,
      RESTATE_ADMIN_URL: `http://127.0.0.1:${admin}`,
      RESTATE_NODE_PORT: String(node),
      RESTATE_DATA_DIR: dataDir,
      SERVICES_PORT: String(services),
      SLACK_BOT_TOKEN: bot.botToken,
      SLACK_SIGNING_SECRET: bot.signingSecret,
      SLACK_API_URL: emulator.apiUrl,
      PORT: String(bolt),
      SLACK_BIND_ADDRESS: "127.0.0.1",
      // The benchmark's definition: the demo agent without waits and with exactly 3 iterations; posting,
      // fate reactions and Home updates as in normal use (SLACK_POST_INTERVAL_MS, HOME_DEBOUNCE_MS default).
      DEMO_ITERATION_MS: "0",
      DEMO_DONE_PROBABILITY: "0",
      DEMO_MAX_ITERATIONS: String(ITERATIONS),
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      ...options.env,
    },
    /"msg":"Ready"/,
  );
  emulator.appUrl = `http://127.0.0.1:${bolt}/slack/events`;
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(product.output())?.[1] ?? "";
  const ingressUrl = `http://127.0.0.1:${ingress}`;
  const adminUrl = `http://127.0.0.1:${admin}`;
  const restatePid = Number(readFileSync(join(dataDir, "restate-server.pid"), "utf8"));

  const identity = publicKeyOf(readFileSync(join(dataDir, "request-identity.pem"), "utf8"));
  const trivial = await startChild(
    ["bench/trivial-service.ts"],
    { PORT: String(trivialPort), IDENTITY_KEYS: identity },
    /listening on/,
  );
  await registerDeployment({ adminUrl, endpointUrl: `http://127.0.0.1:${trivialPort}`, force: true });

  let channels = 0;
  let next = 0;
  const person = () => {
    next += 1;
    return people[next % people.length] ?? "U0ALICE01";
  };
  const failures = new Map<string, number>();
  const deliver = async (envelope: Json) => {
    let reason: string;
    try {
      const { status } = await emulator.deliverEvent({}, { envelope });
      if (status === 200) return true;
      reason = `HTTP ${status}`;
    } catch (error) {
      reason = (error as Error).message;
    }
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
    return false;
  };

  return {
    emulator,
    ingressUrl,
    adminUrl,
    dataDir,
    productPid: product.pid ?? 0,
    productMemoryAfterGc: () => memoryAfterGc(inspectorUrl),
    restatePid,
    newChannel() {
      channels += 1;
      const id = `C0B${String(channels).padStart(6, "0")}`;
      workspace.addChannel({
        id,
        name: `bench-${channels}`,
        kind: "public",
        members: [...people, bot.userId],
      });
      return id;
    },
    async mention(channel, threadTs, options = {}) {
      const stored = workspace.channel(channel);
      if (!stored) throw new Error(`no channel ${channel}`);
      const sentAt = performance.now();
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel,
        user: person(),
        text: `<@${bot.userId}> ${options.text ?? "please do the thing"}`,
        clientMsgId: crypto.randomUUID(),
        ...(threadTs ? { threadTs } : {}),
      });
      const thread: Thread = {
        channel,
        ts: threadTs ?? message.ts,
        key: toSessionKey(workspace.team.id, channel, threadTs ?? message.ts),
        sentAt,
      };
      const mentionOk = await deliver(eventEnvelope(workspace, mentionEvent(workspace, stored, message)));
      const messageOk = options.onlyMention
        ? true
        : await deliver(eventEnvelope(workspace, messageEvent(workspace, stored, message)));
      return { thread, ok: mentionOk && messageOk };
    },
    async reply(thread, text) {
      const stored = workspace.channel(thread.channel);
      if (!stored) throw new Error(`no channel ${thread.channel}`);
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel: thread.channel,
        user: person(),
        text,
        clientMsgId: crypto.randomUUID(),
        threadTs: thread.ts,
      });
      const sentAt = Date.now();
      const ok = await deliver(eventEnvelope(workspace, messageEvent(workspace, stored, message)));
      return { ts: message.ts, ok, sentAt };
    },
    reacted(channel, ts, reaction, timeoutMs) {
      if (emulator.botReactions(channel, ts).includes(reaction)) return Promise.resolve(true);
      const key = `${channel}:${ts}:${reaction}`;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          reactionWaiters.delete(key);
          resolve(false);
        }, timeoutMs);
        reactionWaiters.set(key, () => {
          clearTimeout(timer);
          reactionWaiters.delete(key);
          resolve(true);
        });
      });
    },
    posted(threadTs) {
      return posts.get(threadTs) ?? { iterations: [], firstAt: null, lastAt: null, posts: 0 };
    },
    query: <Row>(sql: string) => adminQuery<Row>(adminUrl, sql),
    takeFailures() {
      const reasons = Object.fromEntries(failures);
      failures.clear();
      return { reasons, productLog: product.problems() };
    },
    async close() {
      trivial.kill("SIGTERM");
      const exited = new Promise((resolve) => product.once("exit", resolve));
      product.kill("SIGTERM");
      await exited;
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a full garbage collection in a Node process through its inspector, then reads its memory. */
async function memoryAfterGc(
  url: string,
): Promise<{ rssMiB: number; heapUsedMiB: number; arrayBuffersMiB: number }> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot reach the inspector at ${url}`));
  });
  const answers = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) answers.get(message.id)?.(message.result);
  };
  let id = 0;
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      id += 1;
      answers.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("HeapProfiler.collectGarbage");
    const answer = (await send("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result: { value: string } };
    const usage = JSON.parse(answer.result.value) as { rss: number; heapUsed: number; arrayBuffers: number };
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    return {
      rssMiB: mib(usage.rss),
      heapUsedMiB: mib(usage.heapUsed),
      arrayBuffersMiB: mib(usage.arrayBuffers),
    };
  } finally {
    socket.close();
  }
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : Number.NaN;
}
