/**
 * A session's history in ChatService's state, in chunks: `historyLength` and `history/<n>`, each chunk
 * holding `HISTORY_CHUNK` items. A new message reads and rewrites the last chunk only, never the earlier
 * ones, and a run is given the items from the compacted context's end on (`read(from)`), not the whole
 * transcript. One `HistoryStore` per handler keeps what it read, so each key is read at most once (every
 * read is a journal entry). Sessions written before chunks kept one `history` entry: it is moved into
 * chunks at the first write, and read as it is until then.
 */
import type * as restate from "@restatedev/restate-sdk";
import type { HistoryEntry } from "./session-state.ts";

/** Items per chunk: a message adds a few (the input, the answer, tool calls and results). */
export const HISTORY_CHUNK = 32;

type Store = Pick<restate.ObjectSharedContext, "get"> & Partial<Pick<restate.ObjectContext, "set" | "clear">>;

const chunkKey = (index: number) => `history/${index}`;
const LENGTH = "historyLength";
/** The single entry of sessions written before chunks. */
const LEGACY = "history";

export interface HistoryStore {
  length(): Promise<number>;
  /** Items from `from` (0: all of them) to the end. */
  read(from: number): Promise<HistoryEntry[]>;
  /** Adds items at the end (exclusive handlers only); returns the new length. */
  append(items: readonly HistoryEntry[]): Promise<number>;
  /** Forgets every item (exclusive handlers only). */
  clear(): Promise<void>;
}

/** `ctx`: an object's context (its typed state does not name the chunks, so it is taken as it is). */
export function historyOf(ctx: object): HistoryStore {
  const store = ctx as unknown as Store;
  const chunks = new Map<number, HistoryEntry[]>();
  let known: { length: number; legacy: HistoryEntry[] | null } | null = null;

  async function load() {
    if (known) return known;
    const length = await store.get<number>(LENGTH);
    if (length !== null) known = { length, legacy: null };
    else {
      const legacy = await store.get<HistoryEntry[]>(LEGACY);
      known = { length: legacy?.length ?? 0, legacy: legacy?.length ? legacy : null };
    }
    return known;
  }

  async function chunk(index: number): Promise<HistoryEntry[]> {
    const cached = chunks.get(index);
    if (cached) return cached;
    const { legacy, length } = await load();
    const items = legacy
      ? legacy.slice(index * HISTORY_CHUNK, (index + 1) * HISTORY_CHUNK)
      : index * HISTORY_CHUNK >= length
        ? [] // a chunk not begun yet: nothing to read
        : ((await store.get<HistoryEntry[]>(chunkKey(index))) ?? []);
    chunks.set(index, items);
    return items;
  }

  function writable(): Required<Store> {
    if (!store.set || !store.clear) throw new Error("The history is written by exclusive handlers only");
    return store as Required<Store>;
  }

  return {
    async length() {
      return (await load()).length;
    },
    async read(from) {
      const { length } = await load();
      const items: HistoryEntry[] = [];
      for (let index = Math.floor(from / HISTORY_CHUNK); index * HISTORY_CHUNK < length; index += 1) {
        items.push(...(await chunk(index)));
      }
      return items.slice(from - Math.floor(from / HISTORY_CHUNK) * HISTORY_CHUNK);
    },
    async append(added) {
      const state = await load();
      const out = writable();
      // An old single entry becomes chunks now: every chunk of it is written once, then never again.
      const dirty = new Set<number>();
      if (state.legacy) {
        for (let index = 0; index * HISTORY_CHUNK < state.length; index += 1) {
          await chunk(index);
          dirty.add(index);
        }
        out.clear(LEGACY);
        state.legacy = null;
      }
      let length = state.length;
      for (const item of added) {
        const index = Math.floor(length / HISTORY_CHUNK);
        (await chunk(index)).push(item);
        dirty.add(index);
        length += 1;
      }
      for (const index of dirty) out.set(chunkKey(index), chunks.get(index));
      if (length !== state.length || dirty.size > 0) out.set(LENGTH, length);
      state.length = length;
      return length;
    },
    async clear() {
      const { length, legacy } = await load();
      const out = writable();
      if (legacy) out.clear(LEGACY);
      else for (let index = 0; index * HISTORY_CHUNK < length; index += 1) out.clear(chunkKey(index));
      out.clear(LENGTH);
      chunks.clear();
      known = { length: 0, legacy: null };
    },
  };
}
