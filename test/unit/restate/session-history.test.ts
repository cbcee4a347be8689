import assert from "node:assert/strict";
import { test } from "node:test";
import { HISTORY_CHUNK, historyOf } from "../../../src/restate/session-history.ts";
import type { HistoryEntry } from "../../../src/restate/session-state.ts";

/** An object's state as a map, recording each handler's reads and writes. */
function objectState(initial: Record<string, unknown> = {}) {
  const state = new Map(Object.entries(structuredClone(initial)));
  const reads: string[] = [];
  const writes: string[] = [];
  const ctx = {
    async get(key: string) {
      reads.push(key);
      return state.has(key) ? structuredClone(state.get(key)) : null;
    },
    set(key: string, value: unknown) {
      writes.push(key);
      state.set(key, structuredClone(value));
    },
    clear(key: string) {
      writes.push(`-${key}`);
      state.delete(key);
    },
  };
  /** A new handler: a new store over the same state, with fresh records. */
  const handler = () => {
    reads.length = 0;
    writes.length = 0;
    return historyOf(ctx);
  };
  return { state, reads, writes, handler };
}

const item = (n: number): HistoryEntry => ({ role: n % 2 ? "assistant" : "user", content: `message ${n}` });
const items = (from: number, count: number) => Array.from({ length: count }, (_, i) => item(from + i));

test("a message reads and rewrites the last chunk only, however long the history", async () => {
  const session = objectState();
  const length = 10 * HISTORY_CHUNK + 4;
  for (let n = 0; n < length; n += 2) await session.handler().append(items(n, 2));
  const store = session.handler();
  await store.append(items(length, 2));
  assert.deepEqual(session.reads, ["historyLength", "history/10"]);
  assert.deepEqual(session.writes, ["history/10", "historyLength"]);
  assert.deepEqual(await session.handler().read(0), items(0, length + 2));
});

test("a run is given the items from the compacted context's end, reading only their chunks", async () => {
  const session = objectState();
  await session.handler().append(items(0, 3 * HISTORY_CHUNK + 5));
  const store = session.handler();
  assert.deepEqual(await store.read(2 * HISTORY_CHUNK + 3), items(2 * HISTORY_CHUNK + 3, HISTORY_CHUNK + 2));
  assert.deepEqual(session.reads, ["historyLength", "history/2", "history/3"]);
  assert.deepEqual(await session.handler().read(3 * HISTORY_CHUNK + 5), [], "nothing after the end");
});

test("a session written before chunks is read as it is, and moved into chunks at its first write", async () => {
  const legacy = items(0, HISTORY_CHUNK + 3);
  const session = objectState({ history: legacy });
  assert.equal(await session.handler().length(), HISTORY_CHUNK + 3);
  assert.deepEqual(await session.handler().read(0), legacy);
  await session.handler().append([item(99)]);
  assert.equal(session.state.has("history"), false, "the old entry is gone");
  assert.deepEqual(await session.handler().read(0), [...legacy, item(99)]);
  assert.equal(session.state.get("historyLength"), HISTORY_CHUNK + 4);
});

test("clearing forgets every chunk", async () => {
  const session = objectState();
  await session.handler().append(items(0, 2 * HISTORY_CHUNK + 1));
  await session.handler().clear();
  assert.deepEqual([...session.state.keys()], []);
  assert.deepEqual(await session.handler().read(0), []);
});
