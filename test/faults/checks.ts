/**
 * What the fault suite counts, always from outside our code: the history and runs as Restate holds them
 * (ingress and SQL introspection), and the posts as the Slack emulator received them (keyed by the run id
 * and iteration in their metadata). Never our own counters or logs.
 */
import type { AgentOutputPayload } from "../../src/slack/durable/slack-channel.ts";
import { BOT, ITERATIONS, type Rig } from "./rig.ts";

export interface Message {
  readonly key: string;
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
}

export interface Figures {
  tried: number;
  lost: number;
  duplicated: number;
  /** Posts of one thread that arrived out of iteration order. */
  disordered: number;
  crashed: number;
  readonly problems: string[];
}

export function emptyFigures(): Figures {
  return { tried: 0, lost: 0, duplicated: 0, disordered: 0, crashed: 0, problems: [] };
}

/** The agent's outputs posted in a thread, as the emulator received them (continuations of long ones left out). */
export function postedParts(rig: Rig, channel: string, ts: string): AgentOutputPayload["parts"][number][] {
  return rig.emulator
    .thread(channel, ts)
    .filter((post) => post.user === BOT && post.metadata?.event_type === "agent_output")
    .flatMap((post) => {
      const payload = post.metadata?.event_payload as unknown as AgentOutputPayload | undefined;
      return (payload?.parts ?? []).filter((part) => !part.continued);
    });
}

/** Each message ends in exactly one run outcome, and each of its run's iterations is posted exactly once. */
export async function checkMessages(rig: Rig, messages: readonly Message[], figures: Figures): Promise<void> {
  for (const message of messages) {
    figures.tried += 1;
    const path = `ChatService/${encodeURIComponent(message.key)}`;
    const { entries } = await rig.ingress.call<{ entries: { role: string; content: string }[] }>(
      `${path}/get_history`,
    );
    const inputs = entries.filter((entry) => entry.role === "user");
    const outputs = entries.filter((entry) => entry.role === "system");
    const runs = (
      await rig.restate.query<{ n: number }>(
        `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'AgentSession' AND target_handler_name = 'run' AND target_service_key LIKE '${message.key}/%'`,
      )
    )[0]?.n;

    const parts = postedParts(rig, message.channel, message.ts);
    const iterations = parts.map((part) => part.iteration);
    const distinctRuns = new Set(parts.map((part) => part.run_id));

    let lost = inputs.length === 0 || outputs.length === 0;
    let duplicated = inputs.length > 1 || outputs.length > 1 || Number(runs) > 1 || distinctRuns.size > 1;
    const expected = Array.from({ length: ITERATIONS }, (_, i) => i + 1);
    for (const iteration of expected) {
      const count = iterations.filter((i) => i === iteration).length;
      if (count === 0) lost = true;
      if (count > 1) duplicated = true;
    }
    if (lost) figures.lost += 1;
    if (duplicated) figures.duplicated += 1;
    if (iterations.some((iteration, index) => index > 0 && iteration < (iterations[index - 1] ?? 0)))
      figures.disordered += 1;
    if (lost || duplicated) {
      const posts = rig.emulator
        .thread(message.channel, message.ts)
        .filter((post) => post.user === BOT)
        .map((post) => {
          const payload = post.metadata?.event_payload as unknown as AgentOutputPayload | undefined;
          return `${post.ts}:${payload?.post_id}:${JSON.stringify(payload?.parts.map((p) => p.iteration))}`;
        });
      figures.problems.push(
        `${message.key}: history ${JSON.stringify(entries.map((e) => e.role))}, ${runs} runs, posted iterations ${JSON.stringify(iterations)}, posts ${posts.join(" ")}`,
      );
    }
  }
}

/** Waits until each message's run has ended and all its iterations are posted (or the time is up). */
export async function settle(rig: Rig, messages: readonly Message[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const message of messages) {
    for (;;) {
      const posted = postedParts(rig, message.channel, message.ts);
      const { activeRun } = await rig.ingress
        .call<{ activeRun: unknown }>(`ChatService/${encodeURIComponent(message.key)}/get_status`)
        .catch(() => ({ activeRun: true }));
      if ((posted.length >= ITERATIONS && !activeRun) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export function formatTable(rows: readonly (Figures & { scenario: string })[]): string {
  const header = ["scenario", "tried", "lost", "duplicated", "out of order", "crashed"];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.tried),
    String(row.lost),
    String(row.duplicated),
    String(row.disordered),
    String(row.crashed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? "").length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}
