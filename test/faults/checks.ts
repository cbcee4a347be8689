/**
 * What the fault suite counts, always from outside our code: the history and runs as Restate holds them
 * (ingress and SQL introspection); the posts as the Slack emulator received them (keyed by the run id
 * and iteration in their metadata); the bot's reactions on each message and the Home last published to
 * each person, as the emulator holds them. Never our own counters or logs.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { AgentOutputPayload } from "../../src/slack/post-metadata.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { runEnds, runInvocations } from "../helpers/test-restate.ts";
import { BOT, ITERATIONS, type Rig } from "./fault-rig.ts";

export interface Message {
  readonly key: string;
  readonly channel: string;
  readonly ts: string;
  readonly text: string;
  /** Who wrote it: their Home must show the session. */
  readonly person: string;
}

/** A session of several messages in one thread (the first one starts it), in a mode set beforehand. */
export interface Session {
  readonly key: string;
  readonly channel: string;
  readonly mode: "INTERRUPT" | "INCORPORATE" | "QUEUE";
  /** In the order they were sent; the first is the thread's root. */
  readonly messages: readonly Message[];
}

export interface Figures {
  tried: number;
  lost: number;
  duplicated: number;
  /** Posts of one thread that arrived out of iteration order. */
  disordered: number;
  /** Messages whose last reaction from the bot is not their fate (or that carry more than one). */
  wrongFate: number;
  /** People whose last published Home does not show a session as it ended. */
  staleHome: number;
  /** Sessions whose Slack agent session is not `active` once they ended (left `processing`, say). */
  wrongStatus: number;
  crashed: number;
  readonly problems: string[];
}

export function emptyFigures(): Figures {
  return {
    tried: 0,
    lost: 0,
    duplicated: 0,
    disordered: 0,
    wrongFate: 0,
    staleHome: 0,
    wrongStatus: 0,
    crashed: 0,
    problems: [],
  };
}

/** Reactions and Homes follow the runs' ends by one-way sends and a debounce: how long they may take. */
const SETTLED_VIEWS_MS = 60_000;

const DONE = "white_check_mark";
const STOPPED = "black_square_for_stop";

/**
 * Each message carries exactly one reaction from the bot, and it is one of the fates allowed for it (the
 * reaction a finished message ends with). Waits for reactions still on their way, then counts.
 */
export async function checkFates(
  rig: Rig,
  expected: readonly { message: Message; allowed: readonly string[] }[],
  figures: Figures,
): Promise<void> {
  const wrong = () =>
    expected.filter(({ message, allowed }) => {
      const reactions = rig.emulator.botReactions(message.channel, message.ts);
      return !(reactions.length === 1 && allowed.includes(reactions[0] ?? ""));
    });
  const deadline = Date.now() + SETTLED_VIEWS_MS;
  while (wrong().length > 0 && Date.now() < deadline) await delay(200);
  for (const { message, allowed } of wrong()) {
    figures.wrongFate += 1;
    figures.problems.push(
      `${message.key} (${message.text}): reactions ${JSON.stringify(rig.emulator.botReactions(message.channel, message.ts))}, expected one of ${allowed.join(", ")}`,
    );
  }
}

/**
 * What a person's last published Home says about a session: missing, "running" (with a stop button or
 * queued messages), or ended ("Nothing running", nothing waiting).
 */
function homeShows(rig: Rig, person: string, key: string): "ended" | "running" | "missing" | "hidden" {
  const blocks = (rig.emulator.homeOf(person)?.view.blocks ?? []) as {
    accessory?: { action_id?: string };
    elements?: { action_id?: string; text?: string }[];
  }[];
  const at = blocks.findIndex((block) => block.accessory?.action_id === `home_mode:${key}`);
  if (at < 0) {
    const hidden = blocks.some((block) =>
      block.elements?.some((e) => / older sessions are not shown/.test(e.text ?? "")),
    );
    return hidden ? "hidden" : "missing";
  }
  const text = JSON.stringify(blocks);
  const state = blocks[at + 1]?.elements?.[0]?.text;
  if (
    state !== "Nothing running" ||
    text.includes(`home_stop:${key}`) ||
    text.includes(`home_remove:${key}:`)
  )
    return "running";
  return "ended";
}

/** The last Home published for each person of each session shows the session, ended, with nothing waiting. */
export async function checkHomes(
  rig: Rig,
  sessions: readonly { key: string; people: readonly string[] }[],
  figures: Figures,
): Promise<void> {
  const pairs = sessions.flatMap((session) =>
    [...new Set(session.people)].map((person) => ({ key: session.key, person })),
  );
  const stale = () =>
    pairs.filter(({ key, person }) => !["ended", "hidden"].includes(homeShows(rig, person, key)));
  const deadline = Date.now() + SETTLED_VIEWS_MS;
  while (stale().length > 0 && Date.now() < deadline) await delay(200);
  for (const { key, person } of stale()) {
    figures.staleHome += 1;
    figures.problems.push(`${key}: the Home of ${person} shows it ${homeShows(rig, person, key)}`);
  }
  for (const { key, person } of pairs) {
    // Past Slack's 100 blocks the oldest sessions are left out: said, not counted.
    if (homeShows(rig, person, key) === "hidden")
      figures.problems.push(`${key}: not on the Home of ${person} (too many newer sessions)`);
  }
}

/**
 * Each ended session's Slack agent session is `active` (never left `processing` by a crash, a stop or a
 * hand-over). Waits for status changes still on their way, then counts.
 */
export async function checkAgentStatuses(
  rig: Rig,
  sessions: readonly { key: string; channel: string; threadTs: string }[],
  figures: Figures,
): Promise<void> {
  const statusOf = (channel: string, threadTs: string) =>
    rig.emulator.workspace.agentSession(channel, threadTs)?.status ?? "none";
  const wrong = () => sessions.filter(({ channel, threadTs }) => statusOf(channel, threadTs) !== "active");
  const deadline = Date.now() + SETTLED_VIEWS_MS;
  while (wrong().length > 0 && Date.now() < deadline) await delay(200);
  for (const { key, channel, threadTs } of wrong()) {
    figures.wrongStatus += 1;
    figures.problems.push(`${key}: its Slack agent session is ${statusOf(channel, threadTs)}, not active`);
  }
}

/** Single-message sessions: every message ends done, and its writer's Home shows the session ended. */
export async function checkViews(rig: Rig, messages: readonly Message[], figures: Figures): Promise<void> {
  await checkFates(
    rig,
    messages.map((message) => ({ message, allowed: [DONE] })),
    figures,
  );
  await checkHomes(
    rig,
    messages.map((message) => ({ key: message.key, people: [message.person] })),
    figures,
  );
  await checkAgentStatuses(
    rig,
    messages.map((message) => ({ key: message.key, channel: message.channel, threadTs: message.ts })),
    figures,
  );
}

interface RunRow {
  readonly runId: string;
  readonly outcome: string;
}

/** Each run of a session and how it ended, from Restate's record of its invocation ("running" until it completes). */
async function runsOf(rig: Rig, key: string): Promise<RunRow[]> {
  const outcomes = await runEnds(rig.restate, key);
  return (await runInvocations(rig.restate, key)).map((run) => ({
    runId: run.runId,
    outcome: outcomes.get(run.runId) ?? "running",
  }));
}

/**
 * The runs of a session that must have posted every iteration: in a queue or incorporating, every run (none
 * is stopped); interrupted, only the last message's run (an earlier one may have been stopped, its outputs dropped).
 */
function fullyPosted(rig: Rig, session: Session, runs: readonly RunRow[]): readonly RunRow[] {
  if (session.mode !== "INTERRUPT") return runs;
  // Restate's record does not order runs reliably across a restart of restate-server, and a run whose
  // cancel came after its last step ends done with its outputs discarded. So the last message's run is the
  // done run that posted the most: it must have posted every iteration (if none did, the check fails).
  const posted = (run: RunRow) => postedIterations(rig, session, run.runId).length;
  const done = runs.filter((run) => run.outcome === "done");
  const last = [...done].sort((a, b) => posted(b) - posted(a))[0] ?? runs.at(-1);
  return last ? [last] : [];
}

function postedIterations(rig: Rig, session: Session, runId: string): number[] {
  return postedParts(rig, session.channel, session.messages[0]?.ts ?? "")
    .filter((part) => part.run_id === runId)
    .map((part) => part.iteration);
}

/**
 * Sessions of several messages: every message in the history once, in the order sent; every run that
 * ended done has each iteration posted exactly once, in order, and its output in the history; no run
 * posts an iteration twice; a queue runs each message; each message's fate is what its mode makes it;
 * every person's Home shows the session ended.
 */
export async function checkSessions(rig: Rig, sessions: readonly Session[], figures: Figures): Promise<void> {
  const fates: { message: Message; allowed: readonly string[] }[] = [];
  for (const session of sessions) {
    figures.tried += session.messages.length;
    const entries = await sessionReads(rig.ingress).history(session.key);
    const inputs = entries.filter((entry) => entry.role === "user").map((entry) => entry.content);
    const outputs = entries.filter((entry) => entry.role === "system");
    const sent = session.messages.map((message) => message.text);
    const runs = await runsOf(rig, session.key);
    const done = runs.filter((run) => run.outcome === "done");
    const complete = fullyPosted(rig, session, runs);
    const parts = postedParts(rig, session.channel, session.messages[0]?.ts ?? "");
    const problems: string[] = [];
    let lost = false;
    let duplicated = false;
    let disordered = false;
    for (const text of sent) {
      const count = inputs.filter((input) => input === text).length;
      if (count === 0) lost = true;
      if (count > 1) duplicated = true;
    }
    if (!lost && !duplicated && JSON.stringify(inputs) !== JSON.stringify(sent)) disordered = true;
    if (entries.at(-1)?.role !== "system") lost = true;
    // A run that ended just as it was interrupted ends done, but its output no longer counts.
    const outputsExpected =
      session.mode === "INTERRUPT" ? outputs.length >= 1 : outputs.length === runs.length;
    if (!outputsExpected || outputs.length > done.length)
      problems.push(`${outputs.length} outputs for ${runs.length} runs, ${done.length} done`);
    if (session.mode === "QUEUE" && runs.length !== sent.length) lost = true;
    if (runs.some((run) => !["done", "interrupted"].includes(run.outcome))) lost = true;
    if (complete.some((run) => run.outcome !== "done")) lost = true;
    for (const run of runs) {
      const iterations = postedIterations(rig, session, run.runId);
      if (new Set(iterations).size !== iterations.length) duplicated = true;
      if (iterations.some((iteration, index) => index > 0 && iteration < (iterations[index - 1] ?? 0)))
        disordered = true;
      if (complete.includes(run) && new Set(iterations).size !== ITERATIONS) lost = true;
    }
    if (problems.length > 0) lost = true;
    if (lost) figures.lost += 1;
    if (duplicated) figures.duplicated += 1;
    if (disordered) figures.disordered += 1;
    if (lost || duplicated || disordered) {
      figures.problems.push(
        `${session.key} (${session.mode}): history ${JSON.stringify(entries.map((e) => (e.role === "user" ? e.content : e.role)))}, runs ${JSON.stringify(runs)}, posted ${JSON.stringify(parts.map((p) => [p.run_id.slice(-6), p.iteration]))} ${problems.join("; ")}`,
      );
    }
    for (const [index, message] of session.messages.entries()) {
      const last = index === session.messages.length - 1;
      // Interrupted, an earlier message is stopped; unless its run had ended before the next one came.
      fates.push({ message, allowed: session.mode === "INTERRUPT" && !last ? [STOPPED, DONE] : [DONE] });
    }
  }
  await checkFates(rig, fates, figures);
  await checkHomes(
    rig,
    sessions.map((session) => ({ key: session.key, people: session.messages.map((m) => m.person) })),
    figures,
  );
  await checkAgentStatuses(
    rig,
    sessions.map((session) => ({
      key: session.key,
      channel: session.channel,
      threadTs: session.messages[0]?.ts ?? "",
    })),
    figures,
  );
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
    const entries = await sessionReads(rig.ingress).history(message.key);
    const inputs = entries.filter((entry) => entry.role === "user");
    const outputs = entries.filter((entry) => entry.role === "system");
    const runs = (await runInvocations(rig.restate, message.key)).length;

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

/** Waits until each session is idle and its last message's run has posted all its iterations. */
export async function settleSessions(
  rig: Rig,
  sessions: readonly Session[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const session of sessions) {
    for (;;) {
      const { activeRun, queue } = await sessionReads(rig.ingress)
        .status(session.key)
        .catch(() => ({ activeRun: true, queue: [true] }));
      const runs = await runsOf(rig, session.key).catch(() => []);
      const ended = runs.length > 0 && runs.every((run) => run.outcome !== "running");
      const posted = fullyPosted(rig, session, runs).every(
        (run) => new Set(postedIterations(rig, session, run.runId)).size >= ITERATIONS,
      );
      if ((!activeRun && queue.length === 0 && ended && posted) || Date.now() > deadline) break;
      await delay(200);
    }
  }
}

/** Waits until each message's run has ended and all its iterations are posted (or the time is up). */
export async function settle(rig: Rig, messages: readonly Message[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const message of messages) {
    for (;;) {
      const posted = postedParts(rig, message.channel, message.ts);
      const { activeRun } = await sessionReads(rig.ingress)
        .status(message.key)
        .catch(() => ({ activeRun: true }));
      if ((posted.length >= ITERATIONS && !activeRun) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export function formatTable(rows: readonly (Figures & { scenario: string })[]): string {
  const header = [
    "scenario",
    "tried",
    "lost",
    "duplicated",
    "out of order",
    "wrong fate",
    "stale Home",
    "wrong status",
    "crashed",
  ];
  const lines = rows.map((row) => [
    row.scenario,
    String(row.tried),
    String(row.lost),
    String(row.duplicated),
    String(row.disordered),
    String(row.wrongFate),
    String(row.staleHome),
    String(row.wrongStatus),
    String(row.crashed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? "").length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ");
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}
