/**
 * `npm run bench`: measures the product against raw Restate on this machine and writes the figures as JSON
 * under bench/results/ (with the machine's cores, Node and Restate versions, and the date).
 *   --quick   a few seconds, only to prove the benchmark works (npm test runs it; no thresholds)
 *   --large   also grows to 100,000 sessions for the memory scenario
 *   --out DIR where to write the JSON
 * Targets are goals, printed as met or missed, never assertions.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release } from "node:os";
import { join } from "node:path";
import { restateServerBinary } from "../src/runtime/restate-server.ts";
import { startFakeLlm } from "../test/helpers/fake-llm.ts";
import { startBenchRig } from "./bench-rig.ts";
import { llmScenario } from "./llm-scenario.ts";
import { longThread } from "./long-thread.ts";
import { onCores, profiled } from "./profiles.ts";
import {
  ackLatency,
  ackLatencyWithWork,
  burst,
  firstPost,
  growSessions,
  interruptLatency,
  measureFloor,
  memoryPoint,
  type NewSessions,
  newSessions,
  queueHandoff,
  quiesce,
  throughput,
} from "./scenarios.ts";
import type { Latency } from "./stats.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const large = args.includes("--large");
const outIndex = args.indexOf("--out");
const outDir =
  outIndex >= 0 ? (args[outIndex + 1] ?? "bench/results") : new URL("./results", import.meta.url).pathname;

/** The long thread's window, ours and the fake model's (in its tokens). */
const LONG_THREAD_WINDOW = 8000;

const P = quick
  ? {
      floorSeconds: 0.5,
      ackSeconds: 0.4,
      newSessionsSeconds: 0.5,
      firstPostSeconds: 0.5,
      interrupts: 5,
      handoffs: 5,
      throughput: 30,
      throughputOnOneCore: 10,
      sessions: [30],
      burst: 3,
      llm: 1,
      longThread: 10,
    }
  : {
      floorSeconds: 4,
      ackSeconds: 5,
      newSessionsSeconds: 30,
      firstPostSeconds: 5,
      interrupts: 50,
      handoffs: 50,
      throughput: 1000,
      throughputOnOneCore: 300,
      sessions: large ? [100, 10_000, 100_000] : [100, 10_000],
      burst: 100,
      llm: 20,
      longThread: 1000,
    };

/**
 * New threads per second in the interrupt and hand-off scenarios (two messages each): well below the
 * system's throughput, so they show the latency of the path, not the wait behind a backlog.
 */
const LATENCY_THREADS_PER_SECOND = 4;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i] ?? 0) : String(cell).padStart(widths[i] ?? 0)))
    .join("  ");
}

/** An acknowledgement figure as the results file keeps it, with its paired raw sends. */
function ackFigures(r: Awaited<ReturnType<typeof ackLatency>>[number]) {
  return {
    rate: r.rate,
    sent: r.sent,
    ...(r.failed > 0 ? { failures: r.failures } : {}),
    // Its `failed` is the events that failed (r.failed): counted, never dropped.
    ...r.latency,
    rawSendPaired: r.rawSend.latency,
    p50VsRawSend: ratio(r),
  };
}

function newSessionsFigures(r: NewSessions) {
  return {
    rate: r.rate,
    seconds: P.newSessionsSeconds,
    sent: r.sent,
    answeredIn3s: r.answeredIn3s,
    secondsToSettle: r.secondsToSettle,
    ...(r.failed > 0 ? { failures: r.failures } : {}),
    ...r.latency,
  };
}

/** p50 / p99 of a latency, with its failures. */
function pq(l: Latency): string {
  return `${l.p50} / ${l.p99} ms${l.failed > 0 ? ` +${l.failed} failed` : ""}`;
}

const ratio = (r: { latency: Latency; rawSend: { latency: Latency } }) =>
  Math.round((r.latency.p50 / r.rawSend.latency.p50) * 100) / 100;

/** n counts the timed samples; samples that never finished follow it ("12 +3 failed" reads "12, and 3 failed"). */
function latencyCells(l: Latency): (string | number)[] {
  return [l.failed > 0 ? `${l.count} +${l.failed} failed` : l.count, l.p50, l.p95, l.p99, l.max];
}

/** The limits restate-server runs with (its defaults, with our configuration applied). */
function restateLimits(dataDir: string): Record<string, string> {
  const dump = execFileSync(
    restateServerBinary(),
    ["--dump-config", "--config-file", join(dataDir, "restate.toml")],
    {
      encoding: "utf8",
    },
  );
  const pick = (section: string, key: string) => {
    const start = section ? dump.indexOf(`[${section}]`) : 0;
    const match = new RegExp(`^${key} = (.+)$`, "m").exec(dump.slice(Math.max(0, start)));
    return match?.[1]?.replaceAll('"', "") ?? "?";
  };
  return {
    "rocksdb-total-memory-size": pick("", "rocksdb-total-memory-size"),
    "worker.invoker.memory-limit": pick("worker.invoker", "memory-limit"),
    "admin.query-engine.memory-size": pick("admin.query-engine", "memory-size"),
  };
}

async function main(): Promise<void> {
  const started = new Date();
  log(`Starting (${quick ? "quick" : large ? "large" : "full"})`);
  const rig = await startBenchRig();
  let closed = false;
  const closeRig = async () => {
    if (closed) return;
    closed = true;
    await rig.close();
  };
  try {
    const restateVersion = execFileSync(restateServerBinary(), ["--version"], { encoding: "utf8" }).trim();
    log("Floor: raw Restate");
    const floor = await measureFloor(rig, P.floorSeconds);

    log("Memory at start, then the first sessions");
    const memory = [await memoryPoint(rig, 0)];
    let sessions = 0;
    const first = P.sessions[0] ?? 100;
    await growSessions(rig, first, 50);
    sessions += first;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    memory.push(await memoryPoint(rig, sessions));

    log("1a. Event acknowledgement at 50, 100, 200 events/s (events that start no work)");
    const ack = await ackLatency(rig, [50, 100, 200], P.ackSeconds);
    log("1b. The same with every event starting a session");
    const ackWithWork = await ackLatencyWithWork(rig, [50, 200], P.ackSeconds);
    sessions += ackWithWork.reduce((sum, r) => sum + r.sent, 0);
    await quiesce(rig);
    log(`1c. 100 new sessions a second for ${P.newSessionsSeconds} s, profiled`);
    const sustainedNew = await profiled(rig, () => newSessions(rig, 100, P.newSessionsSeconds));
    sessions += sustainedNew.result.sent;
    await quiesce(rig);
    log("2. Event to first post");
    const firstPostLatency = await firstPost(rig, 10, P.firstPostSeconds);
    sessions += Math.round(10 * P.firstPostSeconds);
    await quiesce(rig);
    log("3. Interrupt");
    const interrupt = await interruptLatency(rig, P.interrupts, LATENCY_THREADS_PER_SECOND);
    sessions += P.interrupts;
    await quiesce(rig);
    log("4. Queue hand-off");
    const handoff = await queueHandoff(rig, P.handoffs, LATENCY_THREADS_PER_SECOND);
    sessions += P.handoffs;
    log(`5. Throughput across ${P.throughput} threads`);
    const sustained = await throughput(rig, P.throughput, 16);
    sessions += P.throughput;
    await quiesce(rig);
    log(`5b. Throughput across ${P.throughputOnOneCore} threads with the whole rig on one core`);
    const onOneCore = await onCores(rig, 1, () => throughput(rig, P.throughputOnOneCore, 16));
    sessions += P.throughputOnOneCore;
    // What a core buys, from one core to the machine's: the step, and the machine's figure plus that step
    // (an estimate for one more core; a third core adds at most what the second did).
    const perCore = Math.round((sustained.perSecond - onOneCore.perSecond) * 10) / 10;
    const cores = {
      oneCore: onOneCore.perSecond,
      allCores: sustained.perSecond,
      addedByACore: perCore,
      oneMoreCoreEstimate: Math.round((sustained.perSecond + perCore) * 10) / 10,
    };
    log(`7. Burst of ${P.burst} messages into one channel`);
    const burstResult = await burst(rig, P.burst);
    sessions += P.burst;
    await quiesce(rig);
    // After the load scenarios: the process has seen its peak concurrency, so what grows from here is what
    // sessions themselves cost.
    const warm = await memoryPoint(rig, sessions);
    for (const target of P.sessions.slice(1)) {
      log(`6. Growing to ${target} sessions`);
      if (target > sessions) await growSessions(rig, target - sessions, 500);
      sessions = Math.max(sessions, target);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      memory.push(await memoryPoint(rig, sessions));
    }

    log(
      "8. LLM agent (a fake OpenAI-compatible server): streamed words into Slack, interrupt during a model call",
    );
    const fake = await startFakeLlm();
    const llmRig = await startBenchRig({
      env: {
        AGENT: "llm",
        LLM_BASE_URL: fake.baseUrl,
        LLM_API_KEY: fake.apiKey,
        LLM_MODEL: "bench-model",
        LLM_CONTEXT_TOKENS: String(LONG_THREAD_WINDOW),
      },
    });
    let llm: Awaited<ReturnType<typeof llmScenario>>;
    let long: Awaited<ReturnType<typeof longThread>>;
    try {
      // Threads spaced by the workspace's chat.update pace (SLACK_UPDATE_INTERVAL_MS, default 1300 ms).
      llm = await llmScenario(llmRig, fake, P.llm, 1400);
      log(`9. One thread of ${P.longThread} messages: model input, state written, latency`);
      fake.reset();
      fake.contextLimit = LONG_THREAD_WINDOW;
      long = await longThread(llmRig, fake, {
        messages: P.longThread,
        words: 100,
        checkpoints: [10, 100, 1000].filter((n) => n <= P.longThread),
      });
    } finally {
      await llmRig.close();
      await fake.close();
    }
    const limits = restateLimits(rig.dataDir);
    await closeRig();

    log("10. The same figures on the local 3-node cluster (npm run cluster's layout), on this machine");
    const clusterRig = await startBenchRig({ layout: "cluster" });
    let onCluster: Awaited<ReturnType<typeof clusterFigures>>;
    try {
      onCluster = await clusterFigures(clusterRig);
    } finally {
      await clusterRig.close();
    }

    const at100 = ack.find((r) => r.rate === 100);
    const rssBase = memory.find((m) => m.sessions > 0)?.productRssAfterGcMiB ?? Number.NaN;
    const rssLast = memory.at(-1)?.productRssAfterGcMiB ?? Number.NaN;
    const heapBase = memory.find((m) => m.sessions > 0)?.productHeapUsedAfterGcMiB ?? Number.NaN;
    const heapLast = memory.at(-1)?.productHeapUsedAfterGcMiB ?? Number.NaN;
    const percent = (from: number, to: number) => `${Math.round(((to - from) / from) * 1000) / 10}%`;
    const cold = memory.find((m) => m.sessions > 0) ?? warm;
    const last = memory.at(-1) ?? warm;
    const anatomy = (pick: (a: (typeof warm)["productAnatomyAfterGc"]) => number) =>
      `${pick(cold.productAnatomyAfterGc)} -> ${pick(warm.productAnatomyAfterGc)} -> ${pick(last.productAnatomyAfterGc)} MiB`;
    const memoryNotes = [
      `JS heap after a full GC: ${heapBase} -> ${heapLast} MiB (${percent(heapBase, heapLast)})`,
      `RSS after a full GC from after the load scenarios (${warm.sessions} sessions, ${warm.productRssAfterGcMiB} MiB) to ${last.sessions}: ${percent(warm.productRssAfterGcMiB, rssLast)}`,
      `where it lives, at ${cold.sessions} -> ${warm.sessions} (after the load scenarios) -> ${last.sessions} sessions: V8 heap held ${anatomy((a) => a.heapTotalMiB)}; WebAssembly memory (the Restate SDK's core) ${anatomy((a) => a.wasmMiB)}; the C allocator's main heap ${anatomy((a) => a.mallocHeapMiB)}; other anonymous memory ${anatomy((a) => a.anonymousMiB)}; files ${anatomy((a) => a.filesMiB)}`,
    ];
    const messagesGoal = floor.callPerSecond / Math.max(1, sustained.invocationsPerMessage) / 2;
    const targets = [
      {
        name: "ack p50 <= 1.5 x raw send p50 (100 events/s, paired slices)",
        goal: `<= ${Math.round((at100?.rawSend.latency.p50 ?? Number.NaN) * 1.5 * 100) / 100} ms`,
        actual: `${at100?.latency.p50} ms`,
        met: (at100?.latency.p50 ?? Infinity) <= (at100?.rawSend.latency.p50 ?? 0) * 1.5,
      },
      {
        name: "ack p99 < 50 ms (100 events/s)",
        goal: "< 50 ms",
        actual: `${at100?.latency.p99} ms`,
        met: (at100?.latency.p99 ?? Infinity) < 50,
      },
      {
        name: "interrupt p50 <= 25 ms (to the new run's first step)",
        goal: "<= 25 ms",
        actual: `${interrupt.toNewRunFirstStep.p50} ms`,
        met: interrupt.toNewRunFirstStep.p50 <= 25,
      },
      {
        name: "queue hand-off p50 <= 25 ms (a run's end to the next run's first step)",
        goal: "<= 25 ms",
        actual: `${handoff.p50} ms`,
        met: handoff.p50 <= 25,
      },
      {
        name: `100 new sessions a second for ${P.newSessionsSeconds} s: every event answered 200 within 3 s`,
        goal: `${sustainedNew.result.sent} of ${sustainedNew.result.sent}`,
        actual: `${sustainedNew.result.answeredIn3s} of ${sustainedNew.result.sent}`,
        met: sustainedNew.result.answeredIn3s === sustainedNew.result.sent,
      },
      {
        name: "invocations per three-iteration message <= 8",
        goal: "<= 8",
        actual: String(sustained.invocationsPerMessage),
        met: sustained.invocationsPerMessage <= 8,
      },
      {
        name: "journal entries per three-iteration message <= 70",
        goal: "<= 70",
        actual: String(sustained.journalEntriesPerMessage),
        met: sustained.journalEntriesPerMessage <= 70,
      },
      {
        name: "messages/s >= 50% of raw calls/s / invocations per message",
        goal: `>= ${Math.round(messagesGoal * 10) / 10}/s`,
        actual: `${sustained.perSecond}/s`,
        met: sustained.perSecond >= messagesGoal,
      },
      {
        name: "no 429 in the burst",
        goal: "0",
        actual: String(burstResult.rateLimited),
        met: burstResult.rateLimited === 0,
      },
      {
        // From after the load scenarios: by then the process has seen its peak concurrency, whose
        // high-water marks (WebAssembly memory, the allocator) stay; from here growth is what sessions cost.
        name: `our RSS after a full GC flat (+-10%) from ${warm.sessions} sessions (after the load scenarios) to ${last.sessions}`,
        goal: "+-10%",
        actual: `${warm.productRssAfterGcMiB} -> ${rssLast} MiB (${percent(warm.productRssAfterGcMiB, rssLast)}; from ${cold.sessions} sessions before the load: ${rssBase} MiB, ${percent(rssBase, rssLast)})`,
        met: Math.abs(rssLast - warm.productRssAfterGcMiB) <= warm.productRssAfterGcMiB * 0.1,
      },
    ];

    const results = {
      date: started.toISOString(),
      mode: quick ? "quick" : large ? "large" : "full",
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? "?",
        os: `${platform()} ${release()}`,
        node: process.version,
        restate: restateVersion,
      },
      definition: {
        agent: "demo, DEMO_ITERATION_MS=0, exactly 3 iterations, every iteration posted",
        slack:
          "fate reactions and Home updates on, SLACK_POST_INTERVAL_MS=1000, HOME_DEBOUNCE_MS=1000 (defaults)",
        threads: "one channel per thread except in the burst and queue scenarios",
        longThread: `one curl session, messages of 100 words one after another, LLM_CONTEXT_TOKENS=${LONG_THREAD_WINDOW} and the fake model refusing past ${LONG_THREAD_WINDOW} of its tokens; each figure the mean of the 10 messages up to its point`,
        llm: "AGENT=llm against a fake OpenAI-compatible server on this machine (8 characters every 15 ms), threads 1.4 s apart (the default chat.update pace)",
      },
      floor: {
        sendLatencyAt100PerSecond: floor.sendLatency.latency,
        callLatencyAt100PerSecond: floor.callLatency.latency,
        sendPerSecond: floor.sendPerSecond,
        callPerSecond: floor.callPerSecond,
      },
      ackLatencyWithWork: ackWithWork.map((r) => ({
        rate: r.rate,
        sent: r.sent,
        ...(r.failed > 0 ? { failures: r.failures } : {}),
        // Its `failed` is the events that failed (r.failed): counted, never dropped.
        ...r.latency,
      })),
      ackLatency: ack.map(ackFigures),
      newSessionsSustained: { ...newSessionsFigures(sustainedNew.result), profile: sustainedNew.profile },
      eventToFirstPost: firstPostLatency,
      interrupt,
      queueHandoff: handoff,
      throughput: sustained,
      throughputOnOneCore: onOneCore,
      cores,
      memory: {
        points: memory,
        afterLoadScenarios: warm,
        notes: memoryNotes,
        restateLimits: limits,
      },
      burst: burstResult,
      cluster: {
        layout:
          "npm run cluster: 3 restate-server nodes (replication 2), 2 services copies and 2 Bolt copies behind haproxy, on the same machine",
        floor: {
          sendLatencyAt100PerSecond: onCluster.floor.sendLatency.latency,
          callLatencyAt100PerSecond: onCluster.floor.callLatency.latency,
          sendPerSecond: onCluster.floor.sendPerSecond,
          callPerSecond: onCluster.floor.callPerSecond,
        },
        ackLatencyAt100: onCluster.ack && ackFigures(onCluster.ack),
        newSessionsSustained: newSessionsFigures(onCluster.sustainedNew),
        eventToFirstPost: onCluster.firstPostLatency,
        interrupt: onCluster.interrupt,
        queueHandoff: onCluster.handoff,
        throughput: onCluster.sustained,
      },
      llm,
      longThread: long,
      targets,
    };

    const out = [
      "",
      `Benchmark ${results.mode}, ${results.date}, ${results.machine.cores} cores, Node ${results.machine.node}, ${restateVersion}`,
      "",
      row(["latency (ms)", "n", "p50", "p95", "p99", "max"], [48, 6, 8, 8, 8, 8]),
      row(["raw Restate send @100/s", ...latencyCells(floor.sendLatency.latency)], [48, 6, 8, 8, 8, 8]),
      row(["raw Restate call @100/s", ...latencyCells(floor.callLatency.latency)], [48, 6, 8, 8, 8, 8]),
      ...ack.flatMap((r) => [
        row(
          [`1a. raw Restate send @${r.rate}/s (paired)`, ...latencyCells(r.rawSend.latency)],
          [48, 6, 8, 8, 8, 8],
        ),
        row([`1a. Slack event ack @${r.rate}/s`, ...latencyCells(r.latency)], [48, 6, 8, 8, 8, 8]),
      ]),
      ...ackWithWork.map((r) =>
        row(
          [`1b. ack, each event a new session @${r.rate}/s`, ...latencyCells(r.latency)],
          [48, 6, 8, 8, 8, 8],
        ),
      ),
      row(
        [
          `1c. ack, 100 new sessions/s for ${P.newSessionsSeconds} s`,
          ...latencyCells(sustainedNew.result.latency),
        ],
        [48, 6, 8, 8, 8, 8],
      ),
      row(["2. event to first post", ...latencyCells(firstPostLatency)], [48, 6, 8, 8, 8, 8]),
      row(
        [
          `3. interrupt to new run's first step @${LATENCY_THREADS_PER_SECOND} threads/s`,
          ...latencyCells(interrupt.toNewRunFirstStep),
        ],
        [48, 6, 8, 8, 8, 8],
      ),
      row(
        ["3. interrupt to old run stopped", ...latencyCells(interrupt.toOldRunStopped)],
        [48, 6, 8, 8, 8, 8],
      ),
      row(
        [
          "3. (session handling to new run's step)",
          ...latencyCells(interrupt.sessionHandlingToNewRunFirstStep),
        ],
        [48, 6, 8, 8, 8, 8],
      ),
      row(
        [`4. queue hand-off @${LATENCY_THREADS_PER_SECOND} threads/s`, ...latencyCells(handoff)],
        [48, 6, 8, 8, 8, 8],
      ),
      row(["8. LLM: model's first words to Slack", ...latencyCells(llm.firstWord)], [48, 6, 8, 8, 8, 8]),
      row(["8. LLM: model's last words to final text", ...latencyCells(llm.finalText)], [48, 6, 8, 8, 8, 8]),
      row(
        ["8. LLM: interrupt to model request aborted", ...latencyCells(llm.interruptToAbort)],
        [48, 6, 8, 8, 8, 8],
      ),
      "",
      row(["9. one thread: messages", "model in", "state w", "state", "ms"], [24, 10, 10, 10, 8]),
      ...long.points.map((p) =>
        row(
          [
            `   ${p.messages}`,
            `${p.modelInputTokens} tok`,
            `${p.stateBytesWritten} B`,
            `${p.stateBytesTotal} B`,
            String(p.latencyMs),
          ],
          [24, 10, 10, 10, 8],
        ),
      ),
      `   ${long.summaries} summaries, ${long.refused} requests refused as too long`,
      "",
      `raw Restate at saturation: ${floor.sendPerSecond} sends/s, ${floor.callPerSecond} calls/s`,
      `5. ${sustained.messages} messages fully processed in ${sustained.seconds} s: ${sustained.perSecond} messages/s; ${sustained.invocationsPerMessage} invocations and ${sustained.journalEntriesPerMessage} journal entries per message`,
      ...sustained.byHandler.map(
        (h) =>
          `     ${h.handler.padEnd(34)} ${String(h.perMessage).padStart(6)} inv, ${String(h.entriesPerMessage).padStart(6)} entries  ${h.why}`,
      ),
      `5b. on one core: ${onOneCore.perSecond} messages/s (${onOneCore.messages} messages); a core adds ${cores.addedByACore}/s, so one more core: about ${cores.oneMoreCoreEstimate}/s`,
      `1c. 100 new sessions/s for ${P.newSessionsSeconds} s: ${sustainedNew.result.answeredIn3s} of ${sustainedNew.result.sent} answered 200 within 3 s, all runs posted after ${sustainedNew.result.secondsToSettle} s; CPU over ${sustainedNew.profile.seconds} s: restate-server ${sustainedNew.profile.cpuSeconds.restateServer} s, ours ${sustainedNew.profile.cpuSeconds.ours} s, bench and Slack emulator ${sustainedNew.profile.cpuSeconds.benchAndSlack} s (${sustainedNew.profile.coresBusy} cores busy)`,
      `   ours (${sustainedNew.profile.oursIdlePercent}% idle), busy time by package: ${sustainedNew.profile.ours.map((h) => `${h.where} ${h.percent}%`).join(", ")}`,
      `   restate-server by symbol: ${sustainedNew.profile.restateServer?.map((h) => `${h.where} ${h.percent}%`).join(", ") ?? "(no perf on this machine)"}`,
      `6. memory: ${memory.map((m) => `${m.sessions} sessions: ours ${m.productRssMiB} MiB RSS (${m.productRssAfterGcMiB} MiB after a full GC, heap ${m.productHeapUsedAfterGcMiB} MiB), restate-server ${m.restateRssMiB} MiB RSS and ${m.restateDiskMiB} MiB disk`).join("; ")}`,
      `   restate-server limits: ${JSON.stringify(results.memory.restateLimits)}`,
      ...memoryNotes.map((note) => `   ${note}`),
      `7. burst of ${burstResult.messages} into one channel: ${burstResult.postsPerMessage} posts per message, ${burstResult.rateLimited} x 429, drained in ${burstResult.secondsToDrain} s`,
      ...[
        ...ack.map((r) => ({ name: `1a @${r.rate}/s`, r })),
        ...ackWithWork.map((r) => ({ name: `1b @${r.rate}/s`, r })),
        { name: "1c @100/s", r: sustainedNew.result },
      ]
        .filter(({ r }) => r.failed > 0)
        .flatMap(({ name, r }) => [
          `${name}: ${r.failed} of ${r.sent} events failed: ${JSON.stringify(r.failures.reasons)}`,
          ...r.failures.productLog.slice(0, 5).map((line) => `   ${line.slice(0, 300)}`),
        ]),
      "",
      row(["10. one node and the 3-node cluster (p50 / p99)", "one node", "cluster"], [52, 24, 24]),
      ...[
        ["raw Restate send @100/s", pq(floor.sendLatency.latency), pq(onCluster.floor.sendLatency.latency)],
        ["raw Restate call @100/s", pq(floor.callLatency.latency), pq(onCluster.floor.callLatency.latency)],
        ["raw calls/s at saturation", String(floor.callPerSecond), String(onCluster.floor.callPerSecond)],
        [
          "Slack event ack @100/s (x paired raw send)",
          at100 ? `${pq(at100.latency)} (${ratio(at100)}x)` : "-",
          onCluster.ack ? `${pq(onCluster.ack.latency)} (${ratio(onCluster.ack)}x)` : "-",
        ],
        [
          "100 new sessions/s: answered 200 in 3 s",
          `${sustainedNew.result.answeredIn3s} of ${sustainedNew.result.sent}`,
          `${onCluster.sustainedNew.answeredIn3s} of ${onCluster.sustainedNew.sent}`,
        ],
        ["100 new sessions/s: ack", pq(sustainedNew.result.latency), pq(onCluster.sustainedNew.latency)],
        ["event to first post", pq(firstPostLatency), pq(onCluster.firstPostLatency)],
        [
          "interrupt to new run's first step",
          pq(interrupt.toNewRunFirstStep),
          pq(onCluster.interrupt.toNewRunFirstStep),
        ],
        ["queue hand-off", pq(handoff), pq(onCluster.handoff)],
        [
          "messages/s (invocations, entries per message)",
          `${sustained.perSecond} (${sustained.invocationsPerMessage}, ${sustained.journalEntriesPerMessage})`,
          `${onCluster.sustained.perSecond} (${onCluster.sustained.invocationsPerMessage}, ${onCluster.sustained.journalEntriesPerMessage})`,
        ],
      ].map((cells) => row(cells, [52, 24, 24])),
      "",
      "Targets (goals, not assertions):",
      ...targets.map((t) => `  ${t.met ? "met   " : "MISSED"} ${t.name}: ${t.actual} (goal ${t.goal})`),
      "",
    ].join("\n");
    process.stdout.write(out);
    mkdirSync(outDir, { recursive: true });
    const file = join(
      outDir,
      `${started.toISOString().replaceAll(":", "-").slice(0, 19)}${quick ? "-quick" : ""}.json`,
    );
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`Wrote ${file}`);
  } finally {
    await closeRig();
  }
}

/**
 * 10. The main figures again on the local 3-node cluster, each measured as on one node: the floor, the
 * acknowledgement paired with raw sends, new sessions, first post, interrupt, hand-off and throughput.
 */
async function clusterFigures(rig: Awaited<ReturnType<typeof startBenchRig>>) {
  const floor = await measureFloor(rig, P.floorSeconds);
  await growSessions(rig, Math.min(100, P.sessions[0] ?? 100), 50);
  const [ack] = await ackLatency(rig, [100], P.ackSeconds);
  await quiesce(rig);
  const sustainedNew = await newSessions(rig, 100, P.newSessionsSeconds);
  await quiesce(rig);
  const firstPostLatency = await firstPost(rig, 10, P.firstPostSeconds);
  await quiesce(rig);
  const interrupt = await interruptLatency(rig, P.interrupts, LATENCY_THREADS_PER_SECOND);
  await quiesce(rig);
  const handoff = await queueHandoff(rig, P.handoffs, LATENCY_THREADS_PER_SECOND);
  await quiesce(rig);
  const sustained = await throughput(rig, P.throughputOnOneCore, 16);
  return { floor, ack, sustainedNew, firstPostLatency, interrupt, handoff, sustained };
}

await main();
