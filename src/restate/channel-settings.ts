/**
 * ChannelSettings: one virtual object per `<team>:<channel>`: the channel's default mode for sessions that
 * have none of their own, and the channel's sessions. Sessions do not ask for the default on every
 * message: a new session learns it when it registers here, and every change is pushed to all the channel's
 * sessions (rare, and off the message path). One small state entry per session (`s:<key>`, when it was
 * listed), read lazily, so a channel with many sessions costs nothing per message. A listing lasts
 * `listingRetentionMs`: then the entry goes and the session is told (`channel_unlisted`); until it
 * registers again (its next message does) it asks the channel for the default when it needs it.
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
       * A session of this channel starts (sent one-way, so its first message never waits here): it is
       * listed, and is told the default. Exclusive like `set_mode`, so a session hears of every change.
       */
      add_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, { key }: { key: string }): Promise<void> => {
          const listedAt = await ctx.date.now();
          ctx.set(`${SESSION_PREFIX}${key}`, listedAt);
          const recent = (await ctx.get<string[]>("recent")) ?? [];
          ctx.set("recent", [key, ...recent.filter((k) => k !== key)].slice(0, RECENT_SESSIONS));
          const mode = (await ctx.get<Mode>("mode")) ?? null;
          ctx.objectSendClient(ChatServiceRef, key).channel_mode_changed({ mode });
          ctx
            .objectSendClient(ChannelSettingsRef, ctx.key)
            .unlist_session({ key, listedAt }, restate.rpc.sendOpts({ delay: options.listingRetentionMs }));
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
          { key, listedAt }: { key: string; listedAt: number },
        ): Promise<void> => {
          const entry = `${SESSION_PREFIX}${key}`;
          if ((await ctx.get<number>(entry)) !== listedAt) return;
          ctx.clear(entry);
          ctx.objectSendClient(ChatServiceRef, key).channel_unlisted();
        },
      ),
    },
  });
}

export type ChannelSettings = ReturnType<typeof createChannelSettings>;
