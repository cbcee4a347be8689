/**
 * Where the CPU goes under load, for the benchmark's saturation scenarios: each process's CPU time (from
 * /proc), a V8 CPU profile of our process through its inspector, summarised by package, and a perf profile
 * of restate-server (Debian's linux-perf with the software clock, which works without hardware counters;
 * left out where perf is missing). And the same load with the whole rig held to fewer cores (taskset), to
 * see what a core buys.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchRig, openInspector } from "./bench-rig.ts";

const CLOCK_TICKS_PER_SECOND = 100;

/** A process's CPU time so far (user and system), in seconds. */
function cpuSecondsOf(pid: number): number {
  // Fields after the command (which may hold spaces) start at the 3rd: utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Share of one function or library in a profile. */
export interface Hotspot {
  readonly where: string;
  readonly percent: number;
}

export interface CpuProfile {
  readonly seconds: number;
  /** CPU seconds each process used over the window. */
  readonly cpuSeconds: {
    readonly restateServer: number;
    readonly ours: number;
    readonly benchAndSlack: number;
  };
  /** How many cores the three kept busy on average over the window. */
  readonly coresBusy: number;
  /** Our process: the share of its busy time by package (ours by file), from V8's sampling profiler. */
  readonly ours: readonly Hotspot[];
  readonly oursIdlePercent: number;
  /** restate-server: the share of its samples by library and symbol (perf), null without perf. */
  readonly restateServer: readonly Hotspot[] | null;
}

type V8Profile = {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
};

/** Self time by package (node_modules) or by our own file, as shares of the time not idle. */
function summariseV8(profile: V8Profile): { hotspots: Hotspot[]; idlePercent: number } {
  const where = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, functionName } = node.callFrame;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    // Without a file: V8's own entries, such as (idle), (program) and (garbage collector).
    const own = functionName.startsWith("(") ? functionName : `(${functionName})`;
    where.set(node.id, pkg ?? (url ? url.replace(/^.*\/(src|bench|test)\//, "$1/") : own));
  }
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const name = where.get(id) ?? "?";
    time.set(name, (time.get(name) ?? 0) + delta);
    total += delta;
  });
  const idle = time.get("(idle)") ?? 0;
  time.delete("(idle)");
  const busy = Math.max(1, total - idle);
  const hotspots = [...time.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, t]) => ({ where: name, percent: Math.round((t / busy) * 1000) / 10 }));
  return { hotspots, idlePercent: Math.round((idle / Math.max(1, total)) * 1000) / 10 };
}

function hasPerf(): boolean {
  return spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;
}

/** `perf report`'s lines (`12.34%  restate-server  [.] symbol`) as hotspots. */
function summarisePerf(file: string): Hotspot[] {
  const report = execFileSync(
    "perf",
    ["report", "-i", file, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none"],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] },
  );
  const hotspots: Hotspot[] = [];
  for (const line of report.split("\n")) {
    const match = /^\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(.+)$/.exec(line);
    if (!match) continue;
    const symbol = (match[3] ?? "").trim();
    hotspots.push({
      where: `${match[2]} ${symbol.length > 90 ? `${symbol.slice(0, 89)}…` : symbol}`,
      percent: Number(match[1]),
    });
    if (hotspots.length === 15) break;
  }
  return hotspots;
}

/** Runs `body` while profiling restate-server and our process, and measures each process's CPU time. */
export async function profiled<T>(
  rig: BenchRig,
  body: () => Promise<T>,
): Promise<{ result: T; profile: CpuProfile }> {
  const inspector = await openInspector(rig.inspectorUrl);
  const folder = mkdtempSync(join(tmpdir(), "bench-perf-"));
  const perfFile = join(folder, "restate.data");
  let perf: ChildProcess | null = null;
  let perfExited: Promise<unknown> = Promise.resolve();
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 1000 });
    if (hasPerf()) {
      perf = spawn(
        "perf",
        ["record", "-e", "cpu-clock", "-F", "499", "-p", String(rig.restatePid), "-o", perfFile],
        { stdio: "ignore" },
      );
      // Waited for from the start: a perf that cannot record (no permission, say) exits at once.
      perfExited = new Promise((resolve) => perf?.once("exit", resolve));
    }
    const before = {
      restate: cpuSecondsOf(rig.restatePid),
      ours: cpuSecondsOf(rig.productPid),
      bench: process.cpuUsage(),
      at: performance.now(),
    };
    await inspector.send("Profiler.start");
    const result = await body();
    const { profile } = (await inspector.send("Profiler.stop")) as { profile: V8Profile };
    const seconds = (performance.now() - before.at) / 1000;
    const bench = process.cpuUsage(before.bench);
    const cpuSeconds = {
      restateServer: Math.round((cpuSecondsOf(rig.restatePid) - before.restate) * 10) / 10,
      ours: Math.round((cpuSecondsOf(rig.productPid) - before.ours) * 10) / 10,
      benchAndSlack: Math.round(((bench.user + bench.system) / 1e6) * 10) / 10,
    };
    let restateServer: Hotspot[] | null = null;
    if (perf) {
      perf.kill("SIGINT");
      await perfExited;
      restateServer = perf.exitCode === 0 && existsSync(perfFile) ? summarisePerf(perfFile) : null;
    }
    const ours = summariseV8(profile);
    return {
      result,
      profile: {
        seconds: Math.round(seconds * 10) / 10,
        cpuSeconds,
        coresBusy:
          Math.round(
            ((cpuSeconds.restateServer + cpuSeconds.ours + cpuSeconds.benchAndSlack) / seconds) * 100,
          ) / 100,
        ours: ours.hotspots,
        oursIdlePercent: ours.idlePercent,
        restateServer,
      },
    };
  } finally {
    perf?.kill("SIGINT");
    inspector.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Runs `body` with restate-server, our process and the benchmark itself (the Slack emulator with it) held
 * to the first `cores` cores, then gives each process back the cores it had.
 */
export async function onCores<T>(rig: BenchRig, cores: number, body: () => Promise<T>): Promise<T> {
  const pids = [rig.restatePid, rig.productPid, process.pid];
  const cpuList = (pid: number) =>
    execFileSync("taskset", ["-c", "-p", String(pid)], { encoding: "utf8" })
      .split(":")
      .pop()
      ?.trim() ?? "";
  const pin = (pid: number, list: string) =>
    execFileSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" });
  const had = new Map(pids.map((pid) => [pid, cpuList(pid)]));
  try {
    for (const pid of pids) pin(pid, `0-${cores - 1}`);
    return await body();
  } finally {
    for (const [pid, list] of had) pin(pid, list);
  }
}
