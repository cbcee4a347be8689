/**
 * ChannelSettings: one virtual object per `<team>:<channel>`: the channel's default mode for sessions that
 * have none of their own, and the channel's sessions. Sessions do not ask for the default on every
 * message: a new session learns it in the answer to `add_session`, and every change is pushed to all the
 * channel's sessions (rare, and off the message path). One small state entry per session (`s:<key>`),
 * read lazily, so a channel with many sessions costs nothing per message.
 *
 * A listing lasts `listingRetentionMs` from the message that made it, and its answer says until when: the
 * session itself knows when it no longer hears of changes (then it asks the channel if it needs the
 * default, and its next message lists it again), so no timer and no message per session is needed.
 * Listings are kept in batches (`batches`, each session's key in `b:<start>`), and a batch whose every
 * listing has run out goes when a later session joins: what the channel keeps is bounded by the sessions
 * that joined within a retention of the latest one.
 */
import * as restate from "@restatedev/restate-sdk";
import type { CallerCheck } from "./caller.ts";
import { CHANNEL_SETTINGS, ChatServiceRef } from "./contracts.ts";
import type { Mode } from "./modes.ts";
import { SetModeSchema } from "./schemas.ts";

/** Sessions listed by `get_overview` (the newest). */
const RECENT_SESSIONS = 100;
const SESSION_PREFIX = "s:";
/** At most this many sessions in one batch of listings (a batch is rewritten as sessions join it). */
const BATCH_SESSIONS = 100;

/** Listings that began from `start` (epoch ms, also the batch's id) up to `end`; all run out at `until`. */
type ListingBatch = { readonly start: number; readonly end: number; readonly until: number };

/** The answer to `add_session`: the channel's default, and until when the channel tells the session of changes. */
export interface ChannelListing {
  readonly mode: Mode | null;
  readonly listedUntil: number;
}

export function createChannelSettings(options: {
  readonly journalRetentionMs: number;
  /** How long a session stays listed (for the default's pushes) after it last registered. */
  readonly listingRetentionMs: number;
  /** A channel's default is set in Slack: only the adapter may set it. */
  readonly caller: CallerCheck;
}) {
  /** A batch takes sessions for an eighth of a retention (or until it is full), so it goes soon after they run out. */
  const batchSpan = Math.max(1, Math.ceil(options.listingRetentionMs / 8));

  /** A new batch from `start` (after the newest's: a batch's start is its id). */
  const opened = (start: number, until: number): ListingBatch => ({ start, end: start + batchSpan, until });

  /** Batches whose listings have all run out by `at` go, with their sessions' entries. */
  async function dropRunOut(ctx: restate.ObjectContext, batches: ListingBatch[], at: number) {
    const kept: ListingBatch[] = [];
    for (const batch of batches) {
      if (batch.until > at) {
        kept.push(batch);
        continue;
      }
      for (const key of (await ctx.get<string[]>(`b:${batch.start}`)) ?? [])
        ctx.clear(`${SESSION_PREFIX}${key}`);
      ctx.clear(`b:${batch.start}`);
    }
    return kept;
  }

  /** A session listed again leaves the batch it was in, so that batch's end never unlists it. */
  async function leaveOwnBatch(ctx: restate.ObjectContext, key: string): Promise<void> {
    const previous = await ctx.get<number | string>(`${SESSION_PREFIX}${key}`);
    if (typeof previous !== "number") return;
    const members = (await ctx.get<string[]>(`b:${previous}`)) ?? [];
    const others = members.filter((k) => k !== key);
    if (others.length === members.length) return;
    ctx.set(`b:${previous}`, others);
  }

  return restate.object({
    name: CHANNEL_SETTINGS,
    description: "A channel's default mode for sessions without a mode of their own, and its sessions.",
    options: { journalRetention: options.journalRetentionMs, enableLazyState: true },
    handlers: {
      get_mode: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<{ mode: Mode | null }> => ({
          mode: (await ctx.get<Mode>("mode")) ?? null,
        }),
      ),

      /** The default and the newest sessions, for `/agentmode`. */
      get_overview: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<{ mode: Mode | null; sessions: string[] }> => ({
          mode: (await ctx.get<Mode>("mode")) ?? null,
          sessions: (await ctx.get<string[]>("recent")) ?? [],
        }),
      ),

      /** Sets (or with null clears) the default, and tells every session of the channel. */
      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        // Not `leavingNoTrace`: a cleared default on an empty channel keeps its ledger entry, so the same
        // request cannot be replayed later to clear a default set since.
        async (ctx: restate.ObjectContext, { mode }): Promise<{ mode: Mode | null }> => {
          await options.caller.requireAdapter(
            ctx,
            "a channel's default mode is set in Slack: only the Slack adapter may set it",
          );
          if (mode) ctx.set("mode", mode);
          else ctx.clear("mode");
          for (const name of await ctx.stateKeys()) {
            if (!name.startsWith(SESSION_PREFIX)) continue;
            ctx
              .objectSendClient(ChatServiceRef, name.slice(SESSION_PREFIX.length))
              .channel_mode_changed({ mode });
          }
          return { mode };
        },
      ),

      /**
       * A session of this channel starts, or its listing ran out and a new message came (called beside the
       * message's outcome, which never waits for the answer): it is listed from the time of its message
       * (`at`, epoch ms; the clock would be a durable step, a round trip), and answered with the default
       * and until when it is listed. Exclusive like `set_mode`, so a session hears of every change: one
       * made before it was listed in this answer, one after by a push.
       */
      add_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          // `at` is absent only in calls made by an earlier version: then the clock.
          { key, at: given }: { key: string; at?: number },
        ): Promise<ChannelListing> => {
          const at = given ?? (await ctx.date.now());
          const listedUntil = at + options.listingRetentionMs;
          const batches = await dropRunOut(ctx, (await ctx.get<ListingBatch[]>("batches")) ?? [], at);
          await leaveOwnBatch(ctx, key);
          // The newest batch takes the session while it is open and not full; else a new one begins.
          const newest = batches.at(-1);
          const newestMembers = newest ? ((await ctx.get<string[]>(`b:${newest.start}`)) ?? []) : [];
          const joins = newest && at < newest.end && newestMembers.length < BATCH_SESSIONS ? newest : null;
          const batch: ListingBatch = joins
            ? { ...joins, until: Math.max(joins.until, listedUntil) }
            : opened(Math.max(at, newest ? newest.start + 1 : at), listedUntil);
          ctx.set(`b:${batch.start}`, [...(joins ? newestMembers : []), key]);
          ctx.set("batches", [...batches.filter((b) => b.start !== batch.start), batch]);
          ctx.set(`${SESSION_PREFIX}${key}`, batch.start);
          const recent = (await ctx.get<string[]>("recent")) ?? [];
          ctx.set("recent", [key, ...recent.filter((k) => k !== key)].slice(0, RECENT_SESSIONS));
          return { mode: (await ctx.get<Mode>("mode")) ?? null, listedUntil };
        },
      ),

      /**
       * A listing's time is up, for listings made by earlier versions (which set a timer per session):
       * unless the session registered again since, its entry goes and it hears that it is no longer told
       * of changes.
       */
      unlist_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          // `listedAt`: the listing's time, which timers set by earlier versions carry instead of its id.
          { key, listing, listedAt }: { key: string; listing?: string; listedAt?: number },
        ): Promise<void> => {
          const entry = `${SESSION_PREFIX}${key}`;
          if ((await ctx.get<string | number>(entry)) !== (listing ?? listedAt)) return;
          ctx.clear(entry);
          ctx.objectSendClient(ChatServiceRef, key).channel_unlisted();
        },
      ),
    },
  });
}

export type ChannelSettings = ReturnType<typeof createChannelSettings>;
