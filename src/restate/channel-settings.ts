/**
 * ChannelSettings: one virtual object per `<team>:<channel>`: the channel's default mode for sessions that
 * have none of their own, and the channel's sessions. Sessions do not ask for the default on every
 * message: a new session learns it in the answer to `add_session`, and every change is pushed to all the
 * channel's sessions (rare, and off the message path). One small state entry per session (`s:<key>`, the id of its
 * latest listing), read lazily, so a channel with many sessions costs nothing per message. A listing lasts
 * `listingRetentionMs`: then the entry goes and the session is told (`channel_unlisted`); until it
 * registers again (its next message does) it asks the channel for the default if it needs it before.
 */
import * as restate from "@restatedev/restate-sdk";
import type { CallerCheck } from "./caller.ts";
import { CHANNEL_SETTINGS, ChannelSettingsRef, ChatServiceRef } from "./contracts.ts";
import type { Mode } from "./modes.ts";
import { SetModeSchema } from "./schemas.ts";

/** Sessions listed by `get_overview` (the newest). */
const RECENT_SESSIONS = 100;
const SESSION_PREFIX = "s:";

export function createChannelSettings(options: {
  readonly journalRetentionMs: number;
  /** How long a session stays listed (for the default's pushes) after it last registered. */
  readonly listingRetentionMs: number;
  /** A channel's default is set in Slack: only the adapter may set it. */
  readonly caller: CallerCheck;
}) {
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
       * A session of this channel starts (called beside its first message's run, which never waits for the
       * answer): it is listed, and answered with the default. Exclusive like `set_mode`, so a session
       * hears of every change: one made before it was listed in this answer, one after by a push.
       */
      add_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, { key }: { key: string }): Promise<{ mode: Mode | null }> => {
          // An id, not the time: the clock is a durable step, a round trip the session would wait for.
          const listing = ctx.rand.uuidv4();
          ctx.set(`${SESSION_PREFIX}${key}`, listing);
          const recent = (await ctx.get<string[]>("recent")) ?? [];
          ctx.set("recent", [key, ...recent.filter((k) => k !== key)].slice(0, RECENT_SESSIONS));
          ctx
            .objectSendClient(ChannelSettingsRef, ctx.key)
            .unlist_session({ key, listing }, restate.rpc.sendOpts({ delay: options.listingRetentionMs }));
          return { mode: (await ctx.get<Mode>("mode")) ?? null };
        },
      ),

      /**
       * A listing's time is up (a timer set by `add_session`): unless the session registered again since,
       * its entry goes and it hears that it is no longer told of changes.
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
