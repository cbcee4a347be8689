/**
 * ChannelSettings: one virtual object per `<team>:<channel>`, holding the channel's default mode for
 * sessions that have none of their own. Read with a shared handler, so reading never waits.
 */
import * as restate from "@restatedev/restate-sdk";
import { CHANNEL_SETTINGS } from "./contracts.ts";
import type { Mode } from "./modes.ts";
import { SetModeSchema } from "./schemas.ts";

type ChannelState = { mode: Mode };

export function createChannelSettings(options: { readonly journalRetentionMs: number }) {
  return restate.object({
    name: CHANNEL_SETTINGS,
    description: "A channel's default mode for sessions without a mode of their own.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      get_mode: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext<ChannelState>): Promise<{ mode: Mode | null }> => ({
          mode: (await ctx.get("mode")) ?? null,
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
    },
  });
}

export type ChannelSettings = ReturnType<typeof createChannelSettings>;
