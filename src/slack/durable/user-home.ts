/**
 * UserHome: one virtual object per person (`<team>:<user>`) that keeps their App Home current. Each change
 * of one of their sessions arrives with the session's summary, so a publish asks only what a summary cannot
 * know (a running run's iteration). Changes within the debounce time share one `views.publish`; opening the
 * Home publishes at once. A failed publish is logged; it never changes a session. A Home keeps only what it
 * shows of a message (`toHomeSummary`): another person's Home is no copy of what they wrote.
 */
import * as restate from "@restatedev/restate-sdk";
import { previewedApproval } from "../../restate/approvals.ts";
import { type CallerCheck, leavingNoTrace } from "../../restate/caller.ts";
import { AgentSessionRef } from "../../restate/contracts.ts";
import { parseHomeKey } from "../../restate/keys.ts";
import { type Mode, resolveMode } from "../../restate/modes.ts";
import type { SessionSummary } from "../../restate/session-effects.ts";
import type { UserInput } from "../../restate/session-state.ts";
import { preview } from "../text.ts";
import { buildHomeView, HOME_PREVIEW_CHARS, type SessionView } from "../views/home-view.ts";
import { bestEffortStep } from "../web-api.ts";
import type { WorkspaceClients } from "../workspace-clients.ts";
import { USER_HOME, UserHomeRef } from "./slack-objects.ts";

type HomeState = {
  /** The person's sessions, most recently changed first. */
  sessions: SessionSummary[];
  publishScheduled: boolean;
};
type HomeContext = restate.ObjectContext<HomeState>;

/** Sessions remembered per person. */
const SESSIONS_REMEMBERED = 50;
/** Sessions considered for one publish (the view shows as many of them as fit Slack's 100 blocks). */
const SESSIONS_SHOWN = 20;

/** A session's summary as a Home keeps it: each message cut to the preview the Home shows of it. */
export function toHomeSummary(summary: SessionSummary): SessionSummary {
  const cut = (input: UserInput): UserInput => ({
    ...input,
    content: preview(input.content, HOME_PREVIEW_CHARS),
  });
  return {
    ...summary,
    title: summary.title === null ? null : preview(summary.title, HOME_PREVIEW_CHARS),
    activeRun: summary.activeRun
      ? {
          ...summary.activeRun,
          input: cut(summary.activeRun.input),
          ...(summary.activeRun.approval
            ? {
                approval: previewedApproval(summary.activeRun.approval, (text) =>
                  preview(text, HOME_PREVIEW_CHARS),
                ),
              }
            : {}),
        }
      : null,
    queue: summary.queue.map(cut),
  };
}

export function createUserHome(options: {
  slack: WorkspaceClients;
  debounceMs: number;
  defaultMode: Mode;
  journalRetentionMs: number;
  /** Only the adapter says that someone opened their Home. */
  caller: CallerCheck;
}) {
  const { slack } = options;

  /** The views of the sessions: their summaries, plus the iteration of running runs (only the run knows it). */
  async function sessionViews(
    ctx: HomeContext,
    summaries: readonly SessionSummary[],
  ): Promise<SessionView[]> {
    const running = summaries.filter((s) => s.activeRun !== null);
    const progress = await restate.RestatePromise.all(
      running.map((s) => ctx.objectClient(AgentSessionRef, s.activeRun?.key ?? "").get_progress()),
    );
    const iterationOf = new Map(running.map((s, i) => [s.key, progress[i]?.iteration ?? 0]));
    return summaries.map((s) => {
      const { mode, source } = resolveMode(s.mode, s.channelMode, options.defaultMode);
      return {
        key: s.key,
        exists: true,
        title: s.title,
        origin: s.origin,
        mode,
        modeSource: source,
        activeRun: s.activeRun
          ? {
              id: s.activeRun.id,
              startedAt: s.activeRun.startedAt,
              iteration: iterationOf.get(s.key) ?? 0,
              input: s.activeRun.input,
              ...(s.activeRun.approval ? { approval: s.activeRun.approval } : {}),
            }
          : null,
        queue: s.queue,
        feedback: s.feedback,
      };
    });
  }

  async function publish(ctx: HomeContext): Promise<void> {
    const { team, user } = parseHomeKey(ctx.key);
    const summaries = ((await ctx.get("sessions")) ?? []).slice(0, SESSIONS_SHOWN);
    const view = buildHomeView(await sessionViews(ctx, summaries));
    await bestEffortStep(
      ctx,
      { what: `publish the Home of ${user}`, name: "publish the Home", method: "views.publish" },
      () => slack.call(team, (client) => client.views.publish({ user_id: user, view }).then(() => true)),
    );
  }

  return restate.object({
    name: USER_HOME,
    description: "A person's App Home: the sessions they are in, published when something changes.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      /** One of the person's sessions changed: publish soon (changes within the debounce time share one publish). */
      session_changed: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: HomeContext, { summary }: { summary: SessionSummary }): Promise<void> => {
          const sessions = (await ctx.get("sessions")) ?? [];
          ctx.set(
            "sessions",
            [toHomeSummary(summary), ...sessions.filter((s) => s.key !== summary.key)].slice(
              0,
              SESSIONS_REMEMBERED,
            ),
          );
          if (await ctx.get("publishScheduled")) return;
          ctx.set("publishScheduled", true);
          ctx
            .objectSendClient(UserHomeRef, ctx.key)
            .publish(restate.rpc.sendOpts({ delay: options.debounceMs }));
        },
      ),

      publish: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: HomeContext): Promise<void> => {
          ctx.set("publishScheduled", false);
          await publish(ctx);
        },
      ),

      /** The person opened the Home tab (sent, signed, by the Slack adapter): publish now. */
      opened: async (ctx: HomeContext): Promise<void> =>
        leavingNoTrace(ctx, async () => {
          await options.caller.requireAdapter(
            ctx,
            "only the Slack adapter may say that someone opened their Home",
          );
          await publish(ctx);
        }),
    },
  });
}

export type UserHome = ReturnType<typeof createUserHome>;
