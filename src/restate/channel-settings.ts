/**
 * ChannelSettings: one virtual object per `<team>:<channel>`: the channel's default mode for sessions that
 * have none of their own, and the channel's sessions (newest first), for listing them. Reads are shared
 * handlers, so reading never waits.
 */
import * as restate from "@restatedev/restate-sdk";
import { CHANNEL_SETTINGS } from "./contracts.ts";
import type { Mode } from "./modes.ts";
import { SetModeSchema } from "./schemas.ts";

type ChannelState = { mode: Mode; sessions: string[] };

/** Sessions remembered per channel. */
const SESSIONS_REMEMBERED = 100;

export function createChannelSettings(options: { readonly journalRetentionMs: number }) {
  return restate.object({
    name: CHANNEL_SETTINGS,
    description: "A channel's default mode for sessions without a mode of their own, and its sessions.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      get_mode: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext<ChannelState>): Promise<{ mode: Mode | null }> => ({
          mode: (await ctx.get("mode")) ?? null,
        }),
      ),
      get_overview: restate.handlers.object.shared(
        async (
          ctx: restate.ObjectSharedContext<ChannelState>,
        ): Promise<{ mode: Mode | null; sessions: string[] }> => ({
          mode: (await ctx.get("mode")) ?? null,
          sessions: (await ctx.get("sessions")) ?? [],
        }),
      ),
      set_mode: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SetModeSchema) },
        async (ctx: restate.ObjectContext<ChannelState>, { mode }): Promise<{ mode: Mode | null }> => {
          if (mode) ctx.set("mode", mode);
          else ctx.clear("mode");
          return { mode };
        },
      ),
      /** Called by a session of this channel when it starts. */
      add_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext<ChannelState>, { key }: { key: string }): Promise<void> => {
          const sessions = (await ctx.get("sessions")) ?? [];
          ctx.set("sessions", [key, ...sessions.filter((k) => k !== key)].slice(0, SESSIONS_REMEMBERED));
        },
      ),
    },
  });
}

export type ChannelSettings = ReturnType<typeof createChannelSettings>;
