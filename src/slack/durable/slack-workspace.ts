/**
 * SlackWorkspace: one virtual object per Slack workspace (key: team id) that paces `chat.update`, which
 * Slack allows about 50 times a minute for the whole workspace: two answers streaming at once already share
 * it. Every update (a live message's streamed text, and an iteration's final text) first reserves a slot
 * here; the pace lives in Restate state, so it survives crashes and is one for every copy of the app.
 * Reached by SlackChannel through its context and by the live message updater through the ingress
 * (src/slack/live-updates.ts says why).
 */
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import { SLACK_WORKSPACE } from "./slack-objects.ts";

/** A slot handed out by `reserve_update`: its time (epoch ms). */
const SlotSchema = z.object({ slot: z.number().int().nonnegative() });

type WorkspaceState = { nextUpdateAt: number };

export function createSlackWorkspace(options: { updateIntervalMs: number; journalRetentionMs: number }) {
  return restate.object({
    name: SLACK_WORKSPACE,
    description: "Paces chat.update across a workspace (Slack allows about 50 a minute).",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      /** The time (epoch ms) at which the caller may make its update; the caller waits until then. */
      reserve_update: async (ctx: restate.ObjectContext<WorkspaceState>): Promise<number> => {
        const now = await ctx.date.now();
        const slot = Math.max(now, (await ctx.get("nextUpdateAt")) ?? 0);
        ctx.set("nextUpdateAt", slot + options.updateIntervalMs);
        return slot;
      },
      /**
       * Gives back a slot that will not be used (a live message's update overtaken by the final text), so
       * that the next update need not wait behind it. Only the latest slot can be given back: one reserved
       * after it keeps its time, and then this changes nothing.
       */
      release_update: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SlotSchema) },
        async (ctx: restate.ObjectContext<WorkspaceState>, { slot }): Promise<void> => {
          if ((await ctx.get("nextUpdateAt")) === slot + options.updateIntervalMs)
            ctx.set("nextUpdateAt", slot);
        },
      ),
    },
  });
}

export type SlackWorkspace = ReturnType<typeof createSlackWorkspace>;
