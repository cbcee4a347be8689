/**
 * Latency statistics and load driving for the benchmark. Open-loop: requests start at their scheduled
 * times whatever happened to earlier ones, and latency counts from the scheduled time, so a slow answer
 * cannot hide the queueing it causes (no coordinated omission).
 */
import { setTimeout as delay } from "node:timers/promises";

export interface Latency {
  /** Samples that finished and were timed. */
  readonly count: number;
  /** Samples that never finished (in time): counted here, never dropped, and not in the percentiles. */
  readonly failed: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Latency of samples where `null` is one that never finished: a failure, not a sample left out. */
export function summarizeSamples(samples: readonly (number | null)[]): Latency {
  const finished = samples.filter((sample): sample is number => sample !== null);
  return summarize(finished, samples.length - finished.length);
}

export function summarize(samples: readonly number[], failed = 0): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    count: sorted.length,
    failed,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

export interface OpenLoopResult {
  readonly rate: number;
  readonly sent: number;
  readonly failed: number;
  readonly latency: Latency;
  /** Requests completed per second over the run. */
  readonly achieved: number;
  /** Every latency measured (ms), for merging runs. */
  readonly samples: readonly number[];
}

/**
 * Starts `send(i)` at `rate` per second for `seconds`, each at its scheduled time; latency is measured
 * from the schedule. Failed requests are counted, not timed.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  send: (i: number) => Promise<boolean>,
): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const start = performance.now() + 20;
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await delay(wait);
    pending.push(
      send(i).then(
        (ok) => {
          if (ok) latencies.push(performance.now() - scheduled);
          else failed += 1;
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  return {
    rate,
    sent: total,
    failed,
    latency: summarize(latencies, failed),
    achieved: Math.round((latencies.length / elapsed) * 10) / 10,
    samples: latencies,
  };
}

/**
 * Two open loops at the same rate in alternating one-second slices, `seconds` of each: both see the same
 * machine (these machines are shared and drift within minutes), so their ratio means something.
 */
export async function pairedOpenLoop(
  rate: number,
  seconds: number,
  first: (i: number) => Promise<boolean>,
  second: (i: number) => Promise<boolean>,
): Promise<{ first: OpenLoopResult; second: OpenLoopResult }> {
  const slices = Math.max(1, Math.round(seconds));
  const runs = { first: [] as OpenLoopResult[], second: [] as OpenLoopResult[] };
  let offset = 0;
  for (let slice = 0; slice < slices; slice += 1) {
    const base = offset;
    runs.first.push(await openLoop(rate, seconds / slices, (i) => first(base + i)));
    runs.second.push(await openLoop(rate, seconds / slices, (i) => second(base + i)));
    offset += Math.round((rate * seconds) / slices);
  }
  const merge = (parts: OpenLoopResult[]): OpenLoopResult => {
    const samples = parts.flatMap((p) => p.samples);
    const failed = parts.reduce((n, p) => n + p.failed, 0);
    return {
      rate,
      sent: parts.reduce((n, p) => n + p.sent, 0),
      failed,
      latency: summarize(samples, failed),
      achieved: Math.round((parts.reduce((n, p) => n + p.achieved, 0) / parts.length) * 10) / 10,
      samples,
    };
  };
  return { first: merge(runs.first), second: merge(runs.second) };
}

/** As many requests as `concurrency` keeps in flight, for `seconds`: throughput at saturation. */
export async function saturate(
  concurrency: number,
  seconds: number,
  send: (i: number) => Promise<boolean>,
): Promise<{ perSecond: number; latency: Latency; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const i = next;
        next += 1;
        const began = performance.now();
        const ok = await send(i).catch(() => false);
        if (ok) latencies.push(performance.now() - began);
        else failed += 1;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return {
    perSecond: Math.round((latencies.length / elapsed) * 10) / 10,
    latency: summarize(latencies, failed),
    failed,
  };
}
