import assert from "node:assert/strict";
import { test } from "node:test";
import type { SessionSummary } from "../../../src/restate/session-effects.ts";
import type { UserInput } from "../../../src/restate/session-state.ts";
import { toHomeSummary } from "../../../src/slack/durable/user-home.ts";
import { buildHomeView, HOME_PREVIEW_CHARS, type SessionView } from "../../../src/slack/views/home-view.ts";

const input = (id: string, content: string): UserInput => ({
  id,
  content,
  role: "user",
  at: "2026-11-25T10:00:00.000Z",
  by: "U1",
  source: { team: "T1", channel: "G1", ts: `1700000000.00000${id}` },
});

const long = (word: string) => `${word}  \n\t`.repeat(1000);

function summary(running: string, queued: readonly string[]): SessionSummary {
  return {
    key: "T1:G1:1700000000.000001",
    title: long("title"),
    origin: { team: "T1", channel: "G1", threadTs: "1700000000.000001", permalink: null },
    mode: "QUEUE",
    channelMode: null,
    activeRun: {
      id: "r1",
      key: "T1:G1:1700000000.000001/r1",
      startedAt: "2026-11-25T10:00:00.000Z",
      input: input("1", running),
    },
    queue: queued.map((content, i) => input(String(i + 2), content)),
  };
}

function homeOf(s: SessionSummary) {
  const view: SessionView = {
    key: s.key,
    exists: true,
    title: s.title,
    origin: s.origin,
    mode: "QUEUE",
    modeSource: "session",
    activeRun: s.activeRun
      ? { startedAt: s.activeRun.startedAt, iteration: 2, input: s.activeRun.input }
      : null,
    queue: s.queue,
  };
  return buildHomeView([view]);
}

test("a Home keeps each message of a session cut to the preview it shows, never the whole text", () => {
  const full = summary(long("secret"), [long("first"), long("second")]);
  const kept = toHomeSummary(full);
  const texts = [kept.title ?? "", kept.activeRun?.input.content ?? "", ...kept.queue.map((q) => q.content)];
  for (const text of texts) assert.ok(text.length <= HOME_PREVIEW_CHARS, `${text.length} characters kept`);
  assert.ok(kept.activeRun?.input.content.startsWith("secret secret"));
  assert.ok(kept.activeRun?.input.content.endsWith("…"), "a cut message says it was cut");
  // Everything but the text stays: ids, authors, the messages' places, the run.
  assert.deepEqual(
    kept.queue.map(({ id, by, source }) => ({ id, by, source })),
    full.queue.map(({ id, by, source }) => ({ id, by, source })),
  );
  assert.equal(kept.activeRun?.key, full.activeRun?.key);
});

test("the Home built from the kept previews shows exactly what the full texts would show", () => {
  const full = summary(long("secret"), [long("first"), "short and sweet"]);
  assert.deepEqual(homeOf(toHomeSummary(full)), homeOf(full));
  // Cutting what is already cut changes nothing: a Home may receive a summary twice.
  assert.deepEqual(toHomeSummary(toHomeSummary(full)), toHomeSummary(full));
});

test("a short message is kept as written, only its spacing made one line as the Home shows it", () => {
  const kept = toHomeSummary(summary("do  something\nnow", []));
  assert.equal(kept.activeRun?.input.content, "do something now");
});
