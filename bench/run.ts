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
import {
  ackLatency,
  ackLatencyWithWork,
  burst,
  firstPost,
  growSessions,
  interruptLatency,
  measureFloor,
  memoryPoint,
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
      firstPostSeconds: 0.5,
      interrupts: 5,
      handoffs: 5,
      throughput: 30,
      sessions: [30],
      burst: 3,
      llm: 1,
      longThread: 10,
    }
  : {
      floorSeconds: 4,
      ackSeconds: 5,
      firstPostSeconds: 5,
      interrupts: 50,
      handoffs: 50,
      throughput: 1000,
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
    const ackWithWork = await ackLatencyWithWork(rig, [50, 100, 200], P.ackSeconds);
    sessions += ackWithWork.reduce((sum, r) => sum + r.sent, 0);
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

    const at100 = ack.find((r) => r.rate === 100);
    const rssBase = memory.find((m) => m.sessions > 0)?.productRssAfterGcMiB ?? Number.NaN;
    const rssLast = memory.at(-1)?.productRssAfterGcMiB ?? Number.NaN;
    const heapBase = memory.find((m) => m.sessions > 0)?.productHeapUsedAfterGcMiB ?? Number.NaN;
    const heapLast = memory.at(-1)?.productHeapUsedAfterGcMiB ?? Number.NaN;
    const percent = (from: number, to: number) => `${Math.round(((to - from) / from) * 1000) / 10}%`;
    const memoryNotes = [
      `JS heap after a full GC: ${heapBase} -> ${heapLast} MiB (${percent(heapBase, heapLast)})`,
      `RSS after a full GC from after the load scenarios (${warm.sessions} sessions, ${warm.productRssAfterGcMiB} MiB) to ${memory.at(-1)?.sessions}: ${percent(warm.productRssAfterGcMiB, rssLast)}`,
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
        name: `our RSS after a full GC flat (+-10%) from ${memory.find((m) => m.sessions > 0)?.sessions} to ${memory.at(-1)?.sessions} sessions`,
        goal: "+-10%",
        actual: `${rssBase} -> ${rssLast} MiB (${Math.round(((rssLast - rssBase) / rssBase) * 1000) / 10}%)`,
        met: Math.abs(rssLast - rssBase) <= rssBase * 0.1,
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
      ackLatency: ack.map((r) => ({
        rate: r.rate,
        sent: r.sent,
        ...(r.failed > 0 ? { failures: r.failures } : {}),
        // Its `failed` is the events that failed (r.failed): counted, never dropped.
        ...r.latency,
        rawSendPaired: r.rawSend.latency,
        p50VsRawSend: Math.round((r.latency.p50 / r.rawSend.latency.p50) * 100) / 100,
      })),
      eventToFirstPost: firstPostLatency,
      interrupt,
      queueHandoff: handoff,
      throughput: sustained,
      memory: {
        points: memory,
        afterLoadScenarios: warm,
        notes: memoryNotes,
        restateLimits: restateLimits(rig.dataDir),
      },
      burst: burstResult,
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
      `6. memory: ${memory.map((m) => `${m.sessions} sessions: ours ${m.productRssMiB} MiB RSS (${m.productRssAfterGcMiB} MiB after a full GC, heap ${m.productHeapUsedAfterGcMiB} MiB), restate-server ${m.restateRssMiB} MiB RSS and ${m.restateDiskMiB} MiB disk`).join("; ")}`,
      `   restate-server limits: ${JSON.stringify(results.memory.restateLimits)}`,
      ...memoryNotes.map((note) => `   ${note}`),
      `7. burst of ${burstResult.messages} into one channel: ${burstResult.postsPerMessage} posts per message, ${burstResult.rateLimited} x 429, drained in ${burstResult.secondsToDrain} s`,
      ...[
        ...ack.map((r) => ({ name: `1a @${r.rate}/s`, r })),
        ...ackWithWork.map((r) => ({ name: `1b @${r.rate}/s`, r })),
      ]
        .filter(({ r }) => r.failed > 0)
        .flatMap(({ name, r }) => [
          `${name}: ${r.failed} of ${r.sent} events failed: ${JSON.stringify(r.failures.reasons)}`,
          ...r.failures.productLog.slice(0, 5).map((line) => `   ${line.slice(0, 300)}`),
        ]),
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
    await rig.close();
  }
}

await main();
