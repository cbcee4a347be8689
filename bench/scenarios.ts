/**
 * The benchmark's scenarios. Each returns plain figures; run.ts prints and stores them.
 * Times: the benchmark's own clock for what it sends, the emulator's for what Slack receives (same
 * process), Restate's introspection (`sys_invocation`, `sys_journal`) for what happens inside runs
 * (same machine clock, millisecond resolution).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { ingressClient } from "../test/helpers/ingress.ts";
import {
  type BenchRig,
  ITERATIONS,
  type MemoryAfterGc,
  residentAnatomy,
  rssMiB,
  type Thread,
} from "./bench-rig.ts";
import {
  type Latency,
  type OpenLoopResult,
  openLoop,
  pairedOpenLoop,
  saturate,
  summarizeSamples,
} from "./stats.ts";

type Failures = ReturnType<BenchRig["takeFailures"]>;

const raw = async (url: string): Promise<boolean> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  await response.arrayBuffer();
  return response.ok;
};

export interface Floor {
  readonly sendLatency: OpenLoopResult;
  readonly callLatency: OpenLoopResult;
  readonly sendPerSecond: number;
  readonly callPerSecond: number;
}

/** Raw Restate: ingress send and call to a trivial virtual object on the same server. */
export async function measureFloor(rig: BenchRig, seconds: number): Promise<Floor> {
  const send = (i: number) => raw(`${rig.ingressUrl}/Trivial/k${i % 64}/noop/send`);
  const call = (i: number) => raw(`${rig.ingressUrl}/Trivial/k${i % 64}/noop`);
  await saturate(8, Math.min(1, seconds), call); // warm up connections and JIT
  const sendLatency = await openLoop(100, seconds, send);
  const callLatency = await openLoop(100, seconds, call);
  const sendPerSecond = (await saturate(32, seconds, send)).perSecond;
  const callPerSecond = (await saturate(32, seconds, call)).perSecond;
  return { sendLatency, callLatency, sendPerSecond, callPerSecond };
}

/** Waits until every thread has all its iterations posted (or the time is up); returns how many did. */
export async function settle(rig: BenchRig, threads: readonly Thread[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = threads.filter((t) => new Set(rig.posted(t.ts).iterations).size >= ITERATIONS).length;
    if (done === threads.length || Date.now() > deadline) return done;
    await delay(50);
  }
}

/**
 * Waits until Restate has nothing running or waiting to run (timers set for later do not count), so that
 * a latency scenario starts from a quiet system.
 */
export async function quiesce(rig: BenchRig, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [busy] = await rig.query<{ n: number }>(
      "SELECT count(*) AS n FROM sys_invocation WHERE status IN ('pending', 'ready', 'running', 'backing-off', 'suspended')",
    );
    if (Number(busy?.n ?? 0) === 0) return;
    await delay(200);
  }
}

/**
 * 1a. The acknowledgement path: a signed event in, HTTP 200 out, for events that reach Restate (one
 * ingress send with its idempotency key) but start no work: replies in threads that have no session.
 * The same shape as the raw send it is compared with.
 */
export async function ackLatency(rig: BenchRig, rates: readonly number[], seconds: number) {
  const results: (OpenLoopResult & { rawSend: OpenLoopResult; failures: Failures })[] = [];
  const channel = rig.newChannel();
  const rawSend = (i: number) => raw(`${rig.ingressUrl}/Trivial/k${i % 64}/noop/send`);
  const event = async () => {
    const root = rig.emulator.workspace.nextTs();
    const { ok } = await rig.reply(
      { channel, ts: root, key: "", sentAt: 0 },
      "a reply nobody asked the agent about",
    );
    return ok;
  };
  for (const rate of rates) {
    await quiesce(rig);
    rig.takeFailures();
    // Paired with raw sends at the same rate, slice by slice, so the ratio compares like with like.
    const { first, second } = await pairedOpenLoop(rate, seconds, rawSend, event);
    results.push({ ...second, rawSend: first, failures: rig.takeFailures() });
  }
  return results;
}

/**
 * 1b. The same at fixed rates with every event the mention of a new thread: each starts a session and a
 * 3-iteration run with its posts, reactions and Home updates, so this shows the whole system under load.
 */
export async function ackLatencyWithWork(rig: BenchRig, rates: readonly number[], seconds: number) {
  const results: NewSessions[] = [];
  for (const rate of rates) {
    await quiesce(rig);
    results.push(await newSessions(rig, rate, seconds));
  }
  return results;
}

export type NewSessions = OpenLoopResult & {
  failures: Failures;
  /** Events answered 200 within Slack's 3 seconds, of `sent`. */
  answeredIn3s: number;
  /** From the first event until every started run had posted all its iterations. */
  secondsToSettle: number;
};

/**
 * Every event the mention of a new thread, at `rate` for `seconds`; then waits until every started run has
 * posted. Slack gives up on an answer after 3 s: an event answered later (or not 200) counts as unanswered.
 */
export async function newSessions(rig: BenchRig, rate: number, seconds: number): Promise<NewSessions> {
  rig.takeFailures();
  const threads: Thread[] = [];
  const started = performance.now();
  const result = await openLoop(rate, seconds, async () => {
    const { thread, ok } = await rig.mention(rig.newChannel(), undefined, { onlyMention: true });
    // An event answered 500 started nothing (the rig plays no Slack retry): there is no run to wait for.
    if (ok) threads.push(thread);
    return ok;
  });
  const failures = rig.takeFailures();
  await settle(rig, threads, 300_000);
  return {
    ...result,
    failures,
    answeredIn3s: result.samples.filter((ms) => ms <= 3000).length,
    secondsToSettle: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** 2. Event to the first post in its thread (the emulator receiving chat.postMessage). */
export async function firstPost(rig: BenchRig, rate: number, seconds: number): Promise<Latency> {
  const threads: Thread[] = [];
  await openLoop(rate, seconds, async () => {
    const { thread, ok } = await rig.mention(rig.newChannel());
    threads.push(thread);
    return ok;
  });
  await settle(rig, threads, 60_000);
  // A thread that never got its first post is a failure, not a sample to leave out.
  return summarizeSamples(
    threads.map((t) => {
      const first = rig.posted(t.ts).firstAt;
      return first === null ? null : first - t.sentAt;
    }),
  );
}

interface RunRow {
  id: string;
  created_at: string;
  completed_at: string | null;
}

async function runsOf(rig: BenchRig, key: string): Promise<RunRow[]> {
  return rig.query<RunRow>(
    `SELECT id, created_at, completed_at FROM sys_invocation WHERE target_service_name = 'AgentSession' AND target_handler_name = 'run' AND target_service_key LIKE '${key}/%' ORDER BY created_at`,
  );
}

async function firstStepAt(rig: BenchRig, invocationId: string): Promise<number | null> {
  const rows = await rig.query<{ at: string | null }>(
    `SELECT min(appended_at) AS at FROM sys_journal WHERE id = '${invocationId}' AND entry_type = 'Command: Run'`,
  );
  return rows[0]?.at ? Date.parse(rows[0].at) : null;
}

/**
 * 3. Interrupt: a person replies as soon as the bot shows it is working (the :eyes: reaction on their
 * first message) and the run is still going. Measured until the new run's first step and until the old
 * run has stopped; and, within the session, from when it starts handling the reply.
 */
export async function interruptLatency(rig: BenchRig, count: number, threadsPerSecond: number) {
  // null: an interrupt that never finished (no new run, or an old run that never stopped), a failure.
  const toNewRun: (number | null)[] = [];
  const toOldStopped: (number | null)[] = [];
  const sessionPath: (number | null)[] = [];
  let interruptedWhileRunning = 0;
  // Open loop: a new thread every 1/threadsPerSecond s, whether or not earlier ones are done.
  const flows: Promise<{ thread: Thread; sentAt: number }>[] = [];
  for (let i = 0; i < count; i += 1) {
    flows.push(
      (async () => {
        const { thread } = await rig.mention(rig.newChannel(), undefined, { onlyMention: true });
        await rig.reacted(thread.channel, thread.ts, "eyes", 5000);
        const reply = await rig.reply(thread, "no, do this instead");
        return { thread, sentAt: reply.sentAt };
      })(),
    );
    await delay(1000 / threadsPerSecond);
  }
  const replies = await Promise.all(flows);
  await delay(2000);
  for (const { thread, sentAt } of replies) {
    const [old, fresh] = await runsOf(rig, thread.key);
    const stopped = old?.completed_at ? Date.parse(old.completed_at) : null;
    // Only replies that met a run still going are interrupts; a run that had already finished is not.
    if (stopped !== null && stopped < sentAt) continue;
    interruptedWhileRunning += 1;
    const first = fresh ? await firstStepAt(rig, fresh.id) : null;
    toNewRun.push(first === null ? null : first - sentAt);
    toOldStopped.push(stopped === null ? null : stopped - sentAt);
    const [handling] = await rig.query<{ running_at: string | null }>(
      `SELECT running_at FROM sys_invocation WHERE target_service_name = 'ChatService' AND target_handler_name = 'process_user_message' AND target_service_key = '${thread.key}' ORDER BY created_at DESC LIMIT 1`,
    );
    sessionPath.push(
      first === null || !handling?.running_at ? null : first - Date.parse(handling.running_at),
    );
  }
  return {
    count,
    threadsPerSecond,
    interruptedWhileRunning,
    toNewRunFirstStep: summarizeSamples(toNewRun),
    toOldRunStopped: summarizeSamples(toOldStopped),
    sessionHandlingToNewRunFirstStep: summarizeSamples(sessionPath),
  };
}

/** 4. Queue hand-off: a run's end until the next queued run's first step (threads in a QUEUE channel). */
export async function queueHandoff(rig: BenchRig, count: number, threadsPerSecond: number) {
  const channel = rig.newChannel();
  // As the Slack adapter sets it (signed with the key `npm start` made in the data folder).
  const adapterKey = readFileSync(join(rig.dataDir, "adapter-key"), "utf8").trim();
  const setMode = await ingressClient(rig.ingressUrl, { adapterKey }).request(
    `ChannelSettings/T0001:${channel}/set_mode`,
    { mode: "QUEUE" },
  );
  if (setMode.status !== 200) throw new Error(`setting the channel's mode failed: ${setMode.text}`);
  const flows: Promise<Thread>[] = [];
  for (let i = 0; i < count; i += 1) {
    flows.push(
      (async () => {
        const { thread } = await rig.mention(channel, undefined, { onlyMention: true });
        await rig.reply(thread, "and then this");
        return thread;
      })(),
    );
    await delay(1000 / threadsPerSecond);
  }
  const threads = await Promise.all(flows);
  await delay(2000);
  // null: a hand-off that never happened (the first run never ended, or the next never took a step).
  const handoffs: (number | null)[] = [];
  for (const thread of threads) {
    const [first, second] = await runsOf(rig, thread.key);
    const started = second ? await firstStepAt(rig, second.id) : null;
    handoffs.push(first?.completed_at && started !== null ? started - Date.parse(first.completed_at) : null);
  }
  return { threadsPerSecond, threads: threads.length, ...summarizeSamples(handoffs) };
}

/** Why each kind of invocation is there, for the report. */
export const INVOCATION_REASONS: Readonly<Record<string, string>> = {
  "ChatService/process_user_message":
    "the message itself: decides what it does (start, interrupt, incorporate, queue)",
  "AgentSession/run": "the agent run: the loop, one durable step per iteration",
  "ChatService/run_ended": "the run reports its end: history, fate, the queue moves on",
  "SlackChannel/enqueue": "each iteration's output into the channel's paced outbox",
  "SlackChannel/flush": "a paced post into the thread (several outputs coalesced into one when they wait)",
  "SlackThread/changed": "fate reactions on the messages whose fate changed",
  "SlackThread/apply_status": "the thread's Slack agent session status set, at the workspace's pace",
  "SlackWorkspace/pace_status":
    "a thread takes a turn in the workspace's pace of status calls (one-way; at most one waits per thread, so a change while it waits costs none)",
  "UserHome/session_changed": "a person's Home learns that one of their sessions changed",
  "UserHome/publish": "debounced views.publish of a person's Home",
  "ChatService/get_status": "someone reads a session's status",
  "AgentSession/get_progress": "a Home publish reads the iteration of each running run",
  "ChannelSettings/add_session":
    "a new session joins its channel (beside its first run, which does not wait): listed for /agentmode and for pushes of the channel's default, which it returns",
  "ChatService/channel_mode_changed": "a change of the channel's default, pushed to every session it lists",
  "ChannelSettings/get_mode":
    "a message while a run goes on, in a session its channel stopped listing (CHANNEL_LISTING_RETENTION without a message)",
  "SlackWorkspace/register_session":
    "a new session joins its workspace's list (one-way), to be stopped and forgotten when the app is uninstalled",
  "ChannelSettings/unlist_session":
    "the end of a listing made by an earlier version, which set a timer per session (listings now end by time, with no timer)",
  "ChatService/channel_unlisted":
    "the channel tells a session that an earlier version listed that its listing ended: its next message lists it again",
};

export interface Throughput {
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly invocationsPerMessage: number;
  readonly journalEntriesPerMessage: number;
  readonly byHandler: { handler: string; perMessage: number; entriesPerMessage: number; why: string }[];
}

/** 5. Messages fully processed (all iterations posted) per second, across `count` new threads. */
export async function throughput(rig: BenchRig, count: number, concurrency: number): Promise<Throughput> {
  const since = new Date(Date.now() - 5).toISOString();
  const threads: Thread[] = [];
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const { thread } = await rig.mention(rig.newChannel());
        threads.push(thread);
      }
    }),
  );
  await settle(rig, threads, 600_000);
  const end = Math.max(...threads.map((t) => rig.posted(t.ts).lastAt ?? 0));
  const seconds = (end - start) / 1000;
  // Home publishes are debounced: let the last ones happen before counting.
  await delay(2500);
  const rows = await rig.query<{ service: string; handler: string; n: number; entries: number }>(
    `SELECT target_service_name AS service, target_handler_name AS handler, count(*) AS n, sum(journal_size) AS entries FROM sys_invocation WHERE created_at >= '${since}' AND target_service_name != 'Trivial' GROUP BY target_service_name, target_handler_name ORDER BY n DESC`,
  );
  const total = rows.reduce((sum, row) => sum + Number(row.n), 0);
  // A scheduled invocation (a listing's end, days ahead) has no journal yet: no entries.
  const entries = rows.reduce((sum, row) => sum + Number(row.entries ?? 0), 0);
  const per = (n: number) => Math.round((n / count) * 100) / 100;
  return {
    messages: count,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round((count / seconds) * 10) / 10,
    invocationsPerMessage: per(total),
    journalEntriesPerMessage: per(entries),
    byHandler: rows.map((row) => ({
      handler: `${row.service}/${row.handler}`,
      perMessage: per(Number(row.n)),
      entriesPerMessage: per(Number(row.entries ?? 0)),
      why: INVOCATION_REASONS[`${row.service}/${row.handler}`] ?? "",
    })),
  };
}

function directorySize(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    total += stat.isDirectory() ? directorySize(full) : stat.size;
  }
  return total;
}

export interface MemoryPoint {
  readonly sessions: number;
  /** As the process happens to be: V8 grows its heap lazily, so this depends on when it last collected. */
  readonly productRssMiB: number;
  /** After a full garbage collection: what the process really holds. */
  readonly productRssAfterGcMiB: number;
  readonly productHeapUsedAfterGcMiB: number;
  /** The same, by where it lives (V8's heap, WebAssembly, the C allocator): the evidence for any growth. */
  readonly productAnatomyAfterGc: MemoryAfterGc & ReturnType<typeof residentAnatomy>;
  readonly restateRssMiB: number;
  readonly restateDiskMiB: number;
}

export async function memoryPoint(rig: BenchRig, sessions: number): Promise<MemoryPoint> {
  const productRssMiB = rssMiB(rig.productPid);
  const afterGc = await rig.productMemoryAfterGc();
  return {
    sessions,
    productRssMiB,
    productRssAfterGcMiB: afterGc.rssMiB,
    productHeapUsedAfterGcMiB: afterGc.heapUsedMiB,
    productAnatomyAfterGc: { ...afterGc, ...residentAnatomy(rig.productPid) },
    restateRssMiB: rssMiB(rig.restatePid),
    restateDiskMiB: Math.round((directorySize(rig.dataDir) / 1024 / 1024) * 10) / 10,
  };
}

/** 6. More sessions, in batches that the system digests before the next one. */
export async function growSessions(rig: BenchRig, count: number, batch: number): Promise<void> {
  for (let made = 0; made < count; made += batch) {
    const size = Math.min(batch, count - made);
    const threads: Thread[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < size) {
          next += 1;
          threads.push((await rig.mention(rig.newChannel(), undefined, { onlyMention: true })).thread);
        }
      }),
    );
    await settle(rig, threads, 600_000);
  }
}

/** 7. A burst of messages into one channel with the emulator enforcing Slack's ~1 post/s per channel. */
export async function burst(rig: BenchRig, count: number) {
  const channel = rig.newChannel();
  rig.emulator.setPostInterval(1000);
  const limitedBefore = rig.emulator.rateLimited;
  try {
    const start = performance.now();
    const threads: Thread[] = [];
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        await delay(i); // all within ~count ms, as a burst does
        threads.push((await rig.mention(channel)).thread);
      }),
    );
    const done = await settle(rig, threads, count * 3000 + 30_000);
    const posts = threads.reduce((sum, t) => sum + rig.posted(t.ts).posts, 0);
    const last = Math.max(...threads.map((t) => rig.posted(t.ts).lastAt ?? 0));
    return {
      messages: count,
      completed: done,
      postsPerMessage: Math.round((posts / count) * 100) / 100,
      rateLimited: rig.emulator.rateLimited - limitedBefore,
      secondsToDrain: Math.round(((last - start) / 1000) * 10) / 10,
    };
  } finally {
    rig.emulator.setPostInterval(null);
  }
}
