/**
 * `npm run bench -- --quick` still works: every scenario runs against the real stack and the results file
 * has every figure. No timing is checked here (figures are goals, reported by the benchmark itself).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const root = new URL("../..", import.meta.url).pathname;

test("the quick benchmark runs every scenario and writes its figures", async () => {
  const out = mkdtempSync(join(tmpdir(), "bench-test-"));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bench/run.ts", "--quick", "--out", out],
      { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const files = readdirSync(out).filter((name) => name.endsWith("-quick.json"));
    assert.equal(files.length, 1, `one results file in ${out}`);
    const results = JSON.parse(readFileSync(join(out, files[0] ?? ""), "utf8"));

    assert.equal(results.mode, "quick");
    assert.ok(results.machine.cores > 0 && /^v\d+/.test(results.machine.node));
    assert.match(results.machine.restate, /restate-server 1\.7/);
    assert.ok(results.floor.sendPerSecond > 0 && results.floor.callPerSecond > 0);
    for (const row of results.ackLatency) {
      assert.ok(row.count > 0, `acks measured at ${row.rate}/s`);
      assert.equal(row.failed, 0, `no failed event at ${row.rate}/s`);
    }
    // Each event a new session saturates two cores at 200/s: an event whose send into Restate does not
    // finish within the adapter's retry budget is answered 500 (Slack delivers it again), so failures are
    // reported there, not forbidden.
    for (const row of results.ackLatencyWithWork) {
      assert.ok(row.count > 0, `acks measured at ${row.rate}/s with work`);
      assert.ok(row.failed < row.sent, `most events acknowledged at ${row.rate}/s with work`);
    }
    assert.deepEqual(
      results.ackLatency.map((row: { rate: number }) => row.rate),
      [50, 100, 200],
    );
    assert.ok(results.eventToFirstPost.count > 0, "first posts measured");
    assert.ok(results.interrupt.count > 0, "interrupts tried");
    assert.ok(results.queueHandoff.count > 0, "hand-offs measured");
    assert.ok(
      results.throughput.invocationsPerMessage > 0 && results.throughput.journalEntriesPerMessage > 0,
    );
    assert.ok(results.throughput.byHandler.length > 0, "work per handler, with the reason for each");
    assert.ok(results.memory.points.length >= 2 && results.memory.points[0].productRssAfterGcMiB > 0);
    assert.equal(results.burst.completed, results.burst.messages, "every burst message fully processed");
    for (const figure of ["firstWord", "finalText", "interruptToAbort"])
      assert.ok(results.llm[figure].count > 0, `LLM figure ${figure} measured`);
    assert.ok(results.targets.length >= 6);
    assert.match(stdout, /Targets \(goals, not assertions\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
