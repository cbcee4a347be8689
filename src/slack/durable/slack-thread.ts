/**
 * SlackThread: the Slack side of one session (same key as its ChatService): each message's fate as a
 * reaction on it, the explanation of a refused message, and the thread's notices: approval cards and undo
 * notes, posted once (through the channel's pace, SlackChannel/post_notice) and updated as they change. Every Slack call is a durable step; a reaction
 * or explanation that fails for good is logged and never fails anything else. The rest of a session change
 * (Homes, dropped outputs) is sent by slack-session-effects.ts, not from here.
 */
import * as restate from "@restatedev/restate-sdk";
import type { KnownBlock } from "@slack/types";
import { teamOfKey, toChannelKey } from "../../restate/keys.ts";
import type { Fate, SessionChange } from "../../restate/session-effects.ts";
import type { SessionOrigin, UserInput } from "../../restate/session-state.ts";
import { type AgentStatus, agentStatusOf } from "../agent-status.ts";
import { renderApprovalCard, renderUndoNote } from "../approval-blocks.ts";
import { FATE_REACTIONS } from "../fates.ts";
import { bestEffortStep } from "../web-api.ts";
import type { WorkspaceClients } from "../workspace-clients.ts";
import { SLACK_THREAD, SlackChannelRef, SlackWorkspaceRef } from "./slack-objects.ts";

/**
 * The reaction we put on each message of the thread (by message ts), while its fate can still change: a
 * message whose fate is final (done, stopped, failed) never changes again, so it is forgotten. And the
 * thread's Slack agent session: the status it shows, the status wanted, and where it is.
 */
type ThreadState = {
  reactions: Record<string, string>;
  /** The status Slack shows, as we last set it (absent: unknown). */
  agentStatus: AgentStatus;
  /** The status the session's state calls for, and where to set it. */
  agentStatusWanted: AgentStatus;
  agentTarget: { channel: string; threadTs: string; title: string | null; initiator: string | null };
  /** The thread's notices that may still change (approval cards, undo notes): notice id -> message ts. */
  notices: Record<string, string>;
  /** An `apply_status` is on its way from the workspace: a change meanwhile only updates what it sets. */
  statusPaced: true;
};

const FINAL_FATES: ReadonlySet<Fate> = new Set<Fate>(["done", "stopped", "failed"]);
type ThreadContext = restate.ObjectContext<ThreadState>;

export interface Refusal {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  readonly input: UserInput;
  readonly reason: string;
}

export function createSlackThread(options: { slack: WorkspaceClients; journalRetentionMs: number }) {
  const { slack } = options;

  /**
   * Slack's agent session for the thread shows what is true now: `processing` while a run works (created
   * with the session's title and the person who started it), `active` when idle, `closed` after a reset.
   * Changes arrive here in the order the session made them, one at a time, so an interrupt's hand-over
   * (one change: the new run active) never lets the old run's `active` land after the new `processing`.
   * The status wanted is recorded, then set by `apply_status`, which the workspace sends back at the pace
   * of its status calls (SlackWorkspace/pace_status), so that the thread's reactions never wait for it. It
   * sets the status wanted when it runs (the latest), so a thread asks for its turn only when none is on
   * its way: a run's start and end in quick succession take one turn of the workspace, not two. A change
   * that says Slack may show something else (Slack's Stop pressed on an idle session) sets the status again.
   */
  async function wantAgentStatus(ctx: ThreadContext, change: SessionChange): Promise<void> {
    const applied = (await ctx.get("agentStatus")) ?? undefined;
    const previous = (await ctx.get("agentStatusWanted")) ?? applied;
    const wanted = agentStatusOf(change, previous);
    // Wanted already: set, or a delayed `apply_status` will set it.
    if (previous === wanted && !change.reassertStatus) return;
    const { origin, summary } = change;
    ctx.set("agentStatusWanted", wanted);
    ctx.set("agentTarget", {
      channel: origin.channel,
      threadTs: origin.threadTs,
      title: summary.title ? summary.title.slice(0, 200) : null,
      initiator: change.people[0] ?? null,
    });
    if (change.reassertStatus) ctx.clear("agentStatus");
    if (await ctx.get("statusPaced")) return;
    // One-way: the workspace sends `apply_status` back when its pace allows (a burst of threads never
    // waits in line on the workspace, in Restate or in our process).
    ctx.set("statusPaced", true);
    ctx.objectSendClient(SlackWorkspaceRef, origin.team).pace_status({ thread: ctx.key });
  }

  /** Sets the status wanted now, unless it is what Slack already shows. */
  async function applyAgentStatus(ctx: ThreadContext): Promise<void> {
    ctx.clear("statusPaced");
    const wanted = await ctx.get("agentStatusWanted");
    const target = await ctx.get("agentTarget");
    if (!wanted || !target || wanted === (await ctx.get("agentStatus"))) return;
    // A warning Slack gives (a missing event subscription) is logged, once, by the client (web-api.ts).
    const set = await bestEffortStep(
      ctx,
      {
        what: `set the agent session ${wanted}`,
        name: `agent session ${wanted}`,
        method: "agents.sessions.setStatus",
      },
      () =>
        slack.call(teamOfKey(ctx.key), (client) =>
          client.agents.sessions
            .setStatus({
              channel_id: target.channel,
              thread_ts: target.threadTs,
              status: wanted,
              ...(target.title ? { title: target.title } : {}),
              ...(target.initiator ? { initiator_user_id: target.initiator } : {}),
            })
            .then(() => true),
        ),
    );
    // Given up (Slack down for long, or a call that may have landed): what Slack shows is unknown, so the
    // next change sets its status whatever it is.
    if (set === undefined) {
      ctx.clear("agentStatus");
      ctx.clear("agentStatusWanted");
    } else ctx.set("agentStatus", wanted);
  }

  /** Each message's fate as one reaction on it, the new one added before the old one goes. */
  async function showFates(ctx: ThreadContext, change: SessionChange): Promise<void> {
    // Only each message's latest fate counts (a run can start and end within one change).
    const latest = new Map<string, { input: UserInput; fate: Fate }>();
    for (const { input, fate } of change.fates)
      if (input.source) latest.set(input.source.ts, { input, fate });
    if (latest.size === 0) return;
    const reactions = (await ctx.get("reactions")) ?? {};

    for (const { input, fate } of latest.values()) {
      const source = input.source;
      if (!source) continue;
      const wanted = FATE_REACTIONS[fate];
      const had = reactions[source.ts];
      if (had === wanted) continue;
      // Add the new reaction before removing the old one, so the message always shows where it stands.
      const where = { channel: source.channel, timestamp: source.ts };
      await bestEffortStep(
        ctx,
        {
          what: `add :${wanted}: to ${source.ts}`,
          method: "reactions.add",
          alreadyDone: ["already_reacted"],
        },
        () =>
          slack.call(teamOfKey(ctx.key), (client) =>
            client.reactions.add({ ...where, name: wanted }).then(() => true),
          ),
      );
      if (had) {
        await bestEffortStep(
          ctx,
          {
            what: `remove :${had}: from ${source.ts}`,
            method: "reactions.remove",
            alreadyDone: ["no_reaction"],
          },
          () =>
            slack.call(teamOfKey(ctx.key), (client) =>
              client.reactions.remove({ ...where, name: had }).then(() => true),
            ),
        );
      }
      if (FINAL_FATES.has(fate)) delete reactions[source.ts];
      else reactions[source.ts] = wanted;
    }
    // Nothing left to remember (every message's fate is final): no state at all.
    if (Object.keys(reactions).length > 0) ctx.set("reactions", reactions);
    else ctx.clear("reactions");
  }

  /**
   * Posts a notice the first time it is seen, and updates it after (a final state is the last update).
   * An update that fails for good is logged: the decision itself is already made and recorded.
   */
  async function showNotice(
    ctx: ThreadContext,
    change: SessionChange,
    notice: { id: string; text: string; blocks: KnownBlock[]; final: boolean },
  ): Promise<void> {
    const { origin } = change;
    const notices = (await ctx.get("notices")) ?? {};
    const ts = notices[notice.id];
    if (!ts) {
      const posted = await ctx
        .objectClient(SlackChannelRef, toChannelKey(origin.team, origin.channel))
        .post_notice({
          sessionKey: change.sessionKey,
          threadTs: origin.threadTs,
          noticeId: notice.id,
          text: notice.text,
          blocks: notice.blocks,
        });
      if (notice.final || !posted.ts) return;
      notices[notice.id] = posted.ts;
    } else {
      await bestEffortStep(ctx, { what: `update notice ${notice.id}`, method: "chat.update" }, () =>
        slack.call(teamOfKey(ctx.key), (client) =>
          client.chat
            .update({ channel: origin.channel, ts, text: notice.text, blocks: notice.blocks })
            .then(() => true),
        ),
      );
      if (notice.final) delete notices[notice.id];
    }
    if (Object.keys(notices).length > 0) ctx.set("notices", notices);
    else ctx.clear("notices");
  }

  /** The change's approval cards and undo note, each shown as it now stands. */
  async function showNotices(ctx: ThreadContext, change: SessionChange): Promise<void> {
    for (const card of change.approvals ?? []) {
      const rendered = renderApprovalCard(change.sessionKey, card);
      await showNotice(ctx, change, {
        id: `approval-${card.approval.id}`,
        ...rendered,
        final: card.decision !== null,
      });
    }
    const { undo } = change;
    if (undo) {
      const rendered = renderUndoNote(change.sessionKey, undo);
      await showNotice(ctx, change, { id: `undo-${undo.id}`, ...rendered, final: undo.state === "done" });
    }
  }

  return restate.object({
    name: SLACK_THREAD,
    description: "The Slack side of a session: fate reactions and refusals.",
    options: { journalRetention: options.journalRetentionMs, ingressPrivate: true },
    handlers: {
      changed: async (ctx: ThreadContext, change: SessionChange): Promise<void> => {
        await showFates(ctx, change);
        if (change.approvals || change.undo) await showNotices(ctx, change);
        await wantAgentStatus(ctx, change);
      },

      /** The app left the workspace and its grace ran out (SlackWorkspace/forget_left): nothing is kept. */
      forget: restate.handlers.object.exclusive({ ingressPrivate: true }, async (ctx: ThreadContext) => {
        ctx.clearAll();
      }),

      /** Sets the status wanted, at the time the workspace's pace allowed (sent by SlackWorkspace/pace_status). */
      apply_status: async (ctx: ThreadContext): Promise<void> => applyAgentStatus(ctx),

      refused: async (ctx: ThreadContext, refusal: Refusal): Promise<void> => {
        const { input, origin } = refusal;
        if (!input.by) return;
        const user = input.by;
        await bestEffortStep(ctx, { what: "explain a refused message", method: "chat.postEphemeral" }, () =>
          slack.call(teamOfKey(ctx.key), (client) =>
            client.chat
              .postEphemeral({
                channel: origin.channel,
                user,
                thread_ts: origin.threadTs,
                text: `Your message was not taken: ${refusal.reason}`,
              })
              .then(() => true),
          ),
        );
      },
    },
  });
}

export type SlackThread = ReturnType<typeof createSlackThread>;
