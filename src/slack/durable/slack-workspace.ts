/**
 * SlackWorkspace: one virtual object per Slack workspace (key: team id) that paces `chat.update`, which
 * Slack allows about 50 times a minute for the whole workspace: two answers streaming at once already share
 * it. Every update (a live message's streamed text, and an iteration's final text) first reserves a slot
 * here; the pace lives in Restate state, so it survives crashes and is one for every copy of the app.
 * No ingress caller may move the slots: SlackChannel reserves through its context (`reserve_update`, private);
 * the live message updater runs inside a model step, where only the ingress can be called, so its calls
 * are signed by the adapter key and its reservations reach at most `LIVE_SLOTS_AHEAD` intervals ahead
 * (a flood of live updates then waits, and never pushes a final text far out).
 * It also lists the workspace's sessions (in chunks, each registered once when it began), so that when the
 * app leaves the workspace (uninstalled, tokens revoked) their runs stop and their queues empty at once, and
 * their state goes after `WORKSPACE_DATA_GRACE` (a durable timer: object state has no retention of its own),
 * unless the app was installed again meanwhile.
 */
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import type { CallerCheck } from "../../restate/caller.ts";
import { ChatServiceRef } from "../../restate/contracts.ts";
import { type StatusBucket, takeStatusToken } from "../status-pace.ts";
import { SLACK_WORKSPACE, SlackThreadRef, SlackWorkspaceRef } from "./slack-objects.ts";

/** A slot handed out by `reserve_update`: its time (epoch ms). */
const SlotSchema = z.object({ slot: z.number().int().nonnegative() });

/** How many intervals ahead a live update may reserve; beyond that it is told when to ask again. */
export const LIVE_SLOTS_AHEAD = 3;

/** `reserve_live_update`'s answer: a slot (epoch ms), or none yet and when to ask again. */
export type LiveSlot = { readonly slot: number } | { readonly slot: null; readonly retryAt: number };

type WorkspaceState = {
  nextUpdateAt: number;
  statusBucket: StatusBucket;
  /** How many sessions are listed; session `n` is in chunk `sessions/<floor(n / SESSION_CHUNK)>`. */
  sessionCount: number;
  /** When the app left the workspace, while its sessions' state waits for its grace to run out. */
  leftAt: number;
} & Record<`sessions/${number}`, string[]>;

/** Sessions per chunk of the list: a new session rewrites one chunk, not the whole list. */
const SESSION_CHUNK = 500;
type WorkspaceContext = restate.ObjectContext<WorkspaceState>;

export function createSlackWorkspace(options: {
  updateIntervalMs: number;
  /** `WORKSPACE_DATA_GRACE`: how long a left workspace's sessions are kept before they are forgotten. */
  dataGraceMs: number;
  /** Agent-session status calls a minute (status-pace.ts). */
  statusPerMinute: number;
  journalRetentionMs: number;
  caller: CallerCheck;
}) {
  const { updateIntervalMs, caller } = options;
  const fromUpdater = (ctx: WorkspaceContext) =>
    // A read-kind check: a repeated reservation is bounded (LIVE_SLOTS_AHEAD), and a ledger of every live
    // update's signature would grow with the workspace's traffic.
    caller.requireAdapterRead(
      ctx,
      "only our live message updater may reserve or give back chat.update slots",
    );

  return restate.object({
    name: SLACK_WORKSPACE,
    description: "Paces chat.update across a workspace (Slack allows about 50 a minute).",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      /** A session of the workspace began (ChatService, through its effects; sent once per session). */
      register_session: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: WorkspaceContext, { key }: { key: string }): Promise<void> => {
          const count = (await ctx.get("sessionCount")) ?? 0;
          const chunkKey = `sessions/${Math.floor(count / SESSION_CHUNK)}` as const;
          ctx.set(chunkKey, [...((await ctx.get(chunkKey)) ?? []), key]);
          ctx.set("sessionCount", count + 1);
        },
      ),
      /**
       * The app left the workspace: every session stops and empties now (a chunk of the list at a time, each
       * its own invocation, so a large workspace makes no huge journal), and is forgotten after the grace.
       */
      left: restate.handlers.object.exclusive({ ingressPrivate: true }, async (ctx: WorkspaceContext) => {
        const leftAt = await ctx.date.now();
        ctx.set("leftAt", leftAt);
        const self = ctx.objectSendClient(SlackWorkspaceRef, ctx.key);
        self.leave_sessions({ leftAt, chunk: 0, forget: false });
        self.forget_left({ leftAt }, restate.rpc.sendOpts({ delay: options.dataGraceMs }));
        ctx.console.info(
          `The app left ${ctx.key}: its ${(await ctx.get("sessionCount")) ?? 0} sessions stop; their state goes in ${options.dataGraceMs / 1000} s`,
        );
      }),
      /** The app was installed (again): a pending forgetting is called off; old threads start afresh. */
      rejoined: restate.handlers.object.exclusive({ ingressPrivate: true }, async (ctx: WorkspaceContext) => {
        ctx.clear("leftAt");
      }),
      /** The grace after the app left ran out (and it was not installed again): every session goes. */
      forget_left: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: WorkspaceContext, { leftAt }: { leftAt: number }): Promise<void> => {
          if ((await ctx.get("leftAt")) !== leftAt) return;
          ctx.objectSendClient(SlackWorkspaceRef, ctx.key).leave_sessions({ leftAt, chunk: 0, forget: true });
        },
      ),
      /**
       * One chunk of the sessions' list, then the next: each session told the app left (`forget: false`), or
       * its state forgotten (`forget: true`; after the last chunk, the list too). Stops as soon as the app
       * was installed again: sessions that begin after a reinstall are listed after the old ones.
       */
      leave_sessions: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: WorkspaceContext,
          { leftAt, chunk, forget }: { leftAt: number; chunk: number; forget: boolean },
        ): Promise<void> => {
          if ((await ctx.get("leftAt")) !== leftAt) return;
          for (const key of (await ctx.get(`sessions/${chunk}`)) ?? []) {
            if (!forget) {
              ctx.objectSendClient(ChatServiceRef, key).workspace_left();
              continue;
            }
            ctx.objectSendClient(ChatServiceRef, key).forget();
            ctx.objectSendClient(SlackThreadRef, key).forget();
          }
          const count = (await ctx.get("sessionCount")) ?? 0;
          if ((chunk + 1) * SESSION_CHUNK < count) {
            ctx
              .objectSendClient(SlackWorkspaceRef, ctx.key)
              .leave_sessions({ leftAt, chunk: chunk + 1, forget });
          } else if (forget) {
            ctx.clearAll();
            ctx.console.info(`Forgot the ${count} sessions of ${ctx.key}, which the app left`);
          }
        },
      ),
      /** The time (epoch ms) at which the caller may make its update; the caller waits until then. */
      reserve_update: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: WorkspaceContext): Promise<number> => {
          const now = await ctx.date.now();
          const slot = Math.max(now, (await ctx.get("nextUpdateAt")) ?? 0);
          ctx.set("nextUpdateAt", slot + updateIntervalMs);
          return slot;
        },
      ),
      /**
       * A thread's agent session wants a new status (sent one-way: no thread waits on the workspace): its
       * `apply_status` is sent at the time the workspace's pace of status calls allows, at once or later.
       */
      pace_status: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: WorkspaceContext, { thread }: { thread: string }): Promise<void> => {
          const { bucket, waitMs } = takeStatusToken(
            await ctx.get("statusBucket"),
            await ctx.date.now(),
            options.statusPerMinute,
          );
          ctx.set("statusBucket", bucket);
          ctx
            .objectSendClient(SlackThreadRef, thread)
            .apply_status(restate.rpc.sendOpts(waitMs > 0 ? { delay: waitMs } : {}));
        },
      ),
      /**
       * A slot for a live message's update (signed by the adapter key), no further than `LIVE_SLOTS_AHEAD`
       * intervals ahead: beyond that nothing is reserved and the answer says when to ask again.
       */
      reserve_live_update: restate.handlers.object.exclusive(
        {},
        async (ctx: WorkspaceContext): Promise<LiveSlot> => {
          await fromUpdater(ctx);
          const now = await ctx.date.now();
          const next = Math.max(now, (await ctx.get("nextUpdateAt")) ?? 0);
          const limit = now + LIVE_SLOTS_AHEAD * updateIntervalMs;
          if (next > limit) return { slot: null, retryAt: next - LIVE_SLOTS_AHEAD * updateIntervalMs };
          ctx.set("nextUpdateAt", next + updateIntervalMs);
          return { slot: next };
        },
      ),
      /**
       * Gives back a slot that will not be used (a live message's update overtaken by the final text), so
       * that the next update need not wait behind it. Only the latest slot can be given back: one reserved
       * after it keeps its time, and then this changes nothing.
       */
      release_update: restate.handlers.object.exclusive(
        { input: restate.serde.schema(SlotSchema) },
        async (ctx: WorkspaceContext, { slot }): Promise<void> => {
          await fromUpdater(ctx);
          if ((await ctx.get("nextUpdateAt")) === slot + updateIntervalMs) ctx.set("nextUpdateAt", slot);
        },
      ),
    },
  });
}

export type SlackWorkspace = ReturnType<typeof createSlackWorkspace>;
