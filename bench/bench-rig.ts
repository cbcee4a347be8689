/**
 * Everything the benchmark runs, started on free ports: the product as a person runs it (`node
 * src/main.ts`: embedded restate-server, our services, the Bolt app over HTTP), the Slack emulator playing
 * Slack, and a trivial virtual object on its own endpoint for the floor. Tracks what the emulator receives
 * (posts per thread, 429s), which is where the benchmark reads "done".
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster } from "../src/cluster/local-cluster.ts";
import { createLogger } from "../src/logger.ts";
import { toSessionKey } from "../src/restate/keys.ts";
import { publicKeyOf } from "../src/runtime/request-identity.ts";
import { registerDeployment } from "../src/runtime/restate-admin.ts";
import type { AgentOutputPayload } from "../src/slack/post-metadata.ts";
import { eventEnvelope, type Json, mentionEvent, messageEvent } from "../src/slack-emulator/app-requests.ts";
import { type SlackEmulator, startSlackEmulator } from "../src/slack-emulator/emulator.ts";
import { adminQuery, clusterAdminQuery } from "../test/helpers/admin-query.ts";
import { freeClusterPorts, freePort } from "../test/helpers/free-ports.ts";

const root = new URL("..", import.meta.url).pathname;

export const ITERATIONS = 3;
export const PEOPLE = 20;

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
  productMemoryAfterGc(): Promise<MemoryAfterGc>;
  /** Our process's inspector (loopback), for the profiles. */
  readonly inspectorUrl: string;
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

/** The benchmark's definition of the product: what every layout runs with. */
const BENCH_SETTINGS: Readonly<Record<string, string>> = {
  // The demo agent without waits and with exactly 3 iterations; posting, fate reactions and Home updates
  // as in normal use (SLACK_POST_INTERVAL_MS, HOME_DEBOUNCE_MS default).
  DEMO_ITERATION_MS: "0",
  DEMO_DONE_PROBABILITY: "0",
  DEMO_MAX_ITERATIONS: String(ITERATIONS),
  LOG_LEVEL: "info",
  LOG_FORMAT: "json",
};

/** The product as a layout runs it, and what the benchmark reads of it. */
export interface RunningProduct {
  readonly ingressUrl: string;
  readonly adminUrl: string;
  /** Where the product keeps its keys (`adapter-key`, `request-identity.pem`). */
  readonly dataDir: string;
  /** One node only: our one process, its inspector, and restate-server (0 and "" on the cluster). */
  readonly productPid: number;
  readonly inspectorUrl: string;
  readonly restatePid: number;
  /** Where Slack's requests go. */
  readonly appUrl: string;
  query<Row>(sql: string): Promise<Row[]>;
  /** Warnings and errors the product logged since the last call. */
  problems(): string[];
  close(): Promise<void>;
}

/**
 * `env`: settings on top of the benchmark's definition (the LLM scenario's agent). `layout`: what
 * `npm start` runs (one node, the default), or the local 3-node cluster of `npm run cluster`.
 */
export async function startBenchRig(
  options: { env?: Record<string, string>; layout?: "one-node" | "cluster" } = {},
): Promise<BenchRig> {
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

  const env = { ...BENCH_SETTINGS, ...options.env };
  const product =
    options.layout === "cluster" ? await startThreeNodes(emulator, env) : await startOneNode(emulator, env);
  emulator.appUrl = product.appUrl;
  const { ingressUrl, adminUrl, dataDir, inspectorUrl } = product;
  const bot = workspace.bot;

  // The floor's trivial service, on the same server; if it cannot start, nothing started is left running.
  let trivial: Child | null = null;
  try {
    const identity = publicKeyOf(readFileSync(join(dataDir, "request-identity.pem"), "utf8"));
    const trivialPort = await freePort();
    trivial = await startChild(
      ["bench/trivial-service.ts"],
      { PORT: String(trivialPort), IDENTITY_KEYS: identity },
      /listening on/,
    );
    await registerDeployment({ adminUrl, endpointUrl: `http://127.0.0.1:${trivialPort}`, force: true });
  } catch (error) {
    trivial?.kill("SIGTERM");
    await product.close();
    await emulator.close();
    throw error;
  }

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
    productPid: product.productPid,
    productMemoryAfterGc: () => memoryAfterGc(inspectorUrl),
    inspectorUrl,
    restatePid: product.restatePid,
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
    query: <Row>(sql: string) => product.query<Row>(sql),
    takeFailures() {
      const reasons = Object.fromEntries(failures);
      failures.clear();
      return { reasons, productLog: product.problems() };
    },
    async close() {
      trivial?.kill("SIGTERM");
      await product.close();
      await emulator.close();
    },
  };
}

/** What `npm start` runs: one process with the embedded restate-server, our services and the Bolt app. */
async function startOneNode(emulator: SlackEmulator, env: Record<string, string>): Promise<RunningProduct> {
  const [ingress, admin, node, services, bolt] = await Promise.all(Array.from({ length: 5 }, freePort));
  const dataDir = mkdtempSync(join(tmpdir(), "bench-"));
  const { bot } = emulator.workspace;
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
      ...env,
    },
    /"msg":"Ready"/,
  );
  const adminUrl = `http://127.0.0.1:${admin}`;
  return {
    ingressUrl: `http://127.0.0.1:${ingress}`,
    adminUrl,
    dataDir,
    productPid: product.pid ?? 0,
    inspectorUrl: /Debugger listening on (ws:\/\/\S+)/.exec(product.output())?.[1] ?? "",
    restatePid: Number(readFileSync(join(dataDir, "restate-server.pid"), "utf8")),
    appUrl: `http://127.0.0.1:${bolt}/slack/events`,
    query: <Row>(sql: string) => adminQuery<Row>(adminUrl, sql),
    problems: () => product.problems(),
    async close() {
      const exited = new Promise((resolve) => product.once("exit", resolve));
      product.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What `npm run cluster` runs: three restate-server nodes (replication 2), two copies of our services and
 * two of the Bolt app, each behind haproxy. The emulator plays Slack as a real Slack app's settings would.
 */
async function startThreeNodes(
  emulator: SlackEmulator,
  env: Record<string, string>,
): Promise<RunningProduct> {
  const ports = await freeClusterPorts();
  const dataDir = mkdtempSync(join(tmpdir(), "bench-cluster-"));
  const { bot } = emulator.workspace;
  const cluster = await startLocalCluster({
    dataDir,
    ports,
    slackMode: "http",
    slackSettings: {
      SLACK_BOT_TOKEN: bot.botToken,
      SLACK_SIGNING_SECRET: bot.signingSecret,
      SLACK_API_URL: emulator.apiUrl,
    },
    logger: createLogger({ level: "warn", format: "json" }),
    env,
  });
  return {
    ingressUrl: cluster.ingressUrl,
    adminUrl: cluster.adminUrl,
    dataDir,
    productPid: 0,
    inspectorUrl: "",
    restatePid: 0,
    appUrl: `http://127.0.0.1:${ports.slack}/slack/events`,
    query: <Row>(sql: string) => clusterAdminQuery<Row>(cluster.adminUrl, sql),
    // The role processes log to their own files in dataDir (the bench reads only what Slack answers).
    problems: () => [],
    async close() {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Node process's memory after a full garbage collection, in MiB, by where it lives. */
export interface MemoryAfterGc {
  readonly rssMiB: number;
  /** V8's heap: what JavaScript objects use, and what V8 holds for them. */
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  /** Memory outside the V8 heap that V8 knows of (WebAssembly memories among it). */
  readonly externalMiB: number;
  readonly arrayBuffersMiB: number;
  /** The linear memory of every WebAssembly instance (the Restate SDK's core runs as one): it never shrinks. */
  readonly wasmMiB: number;
}

/** A session with a Node process's inspector: Chrome DevTools Protocol requests and their answers. */
export async function openInspector(
  url: string,
): Promise<{ send(method: string, params?: object): Promise<unknown>; close(): void }> {
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
  return { send, close: () => socket.close() };
}

/** Runs a full garbage collection in a Node process through its inspector, then reads its memory. */
async function memoryAfterGc(url: string): Promise<MemoryAfterGc> {
  const { send, close } = await openInspector(url);
  try {
    await send("HeapProfiler.collectGarbage");
    const answer = (await send("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    })) as { result: { value: string } };
    const usage = JSON.parse(answer.result.value) as NodeJS.MemoryUsage;
    // Every WebAssembly.Memory alive in the process, found by its prototype, and the size of each.
    const prototype = (await send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype" })) as {
      result: { objectId: string };
    };
    const memories = (await send("Runtime.queryObjects", {
      prototypeObjectId: prototype.result.objectId,
    })) as { objects: { objectId: string } };
    const wasm = (await send("Runtime.callFunctionOn", {
      objectId: memories.objects.objectId,
      functionDeclaration: "function () { return this.reduce((sum, m) => sum + m.buffer.byteLength, 0); }",
      returnByValue: true,
    })) as { result: { value: number } };
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    return {
      rssMiB: mib(usage.rss),
      heapUsedMiB: mib(usage.heapUsed),
      heapTotalMiB: mib(usage.heapTotal),
      externalMiB: mib(usage.external),
      arrayBuffersMiB: mib(usage.arrayBuffers),
      wasmMiB: mib(wasm.result.value),
    };
  } finally {
    close();
  }
}

/**
 * Where a process's resident memory lives (Linux, from /proc/<pid>/smaps), in MiB: the C allocator's main
 * heap (`[heap]`, grown by brk), other anonymous mappings (V8's heap, WebAssembly memories, the allocator's
 * other arenas) and files (the executable and libraries).
 */
export function residentAnatomy(pid: number): {
  mallocHeapMiB: number;
  anonymousMiB: number;
  filesMiB: number;
} {
  let mapping = "";
  const kb = { heap: 0, anonymous: 0, files: 0 };
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      mapping = head[1] ?? "";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const size = Number(rss[1]);
    if (mapping === "[heap]") kb.heap += size;
    else if (mapping.startsWith("/")) kb.files += size;
    else kb.anonymous += size;
  }
  const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
  return { mallocHeapMiB: mib(kb.heap), anonymousMiB: mib(kb.anonymous), filesMiB: mib(kb.files) };
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : Number.NaN;
}
