/**
 * SlackThread: the Slack side of one session (same key as its ChatService): each message's fate as a
 * reaction on it, and the explanation of a refused message. Every Slack call is a durable step; a reaction
 * or explanation that fails for good is logged and never fails anything else. The rest of a session change
 * (Homes, dropped outputs) is sent by slack-session-effects.ts, not from here.
 */
import * as restate from "@restatedev/restate-sdk";
import type { WebClient } from "@slack/web-api";
import type { Fate, SessionChange } from "../../restate/session-effects.ts";
import type { SessionOrigin, UserInput } from "../../restate/session-state.ts";
import { type AgentStatus, agentStatusOf } from "../agent-status.ts";
import { FATE_REACTIONS } from "../fates.ts";
import { BEST_EFFORT_GIVE_UP_MS, bestEffort, slackStep } from "../web-api.ts";
import { SLACK_THREAD } from "./slack-objects.ts";

/**
 * The reaction we put on each message of the thread (by message ts), while its fate can still change: a
 * message whose fate is final (done, stopped, failed) never changes again, so it is forgotten. And the
 * status of the thread's Slack agent session as we last set it.
 */
type ThreadState = { reactions: Record<string, string>; agentStatus: AgentStatus };

const FINAL_FATES: ReadonlySet<Fate> = new Set<Fate>(["done", "stopped", "failed"]);
type ThreadContext = restate.ObjectContext<ThreadState>;

export interface Refusal {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  readonly input: UserInput;
  readonly reason: string;
}

/** Warnings Slack returned with a status change (a missing event subscription, say), each logged once. */
const warned = new Set<string>();

export function createSlackThread(options: { client: WebClient; journalRetentionMs: number }) {
  const { client } = options;

  /**
   * Slack's agent session for the thread shows what is true now: `processing` while a run works (created
   * with the session's title and the person who started it), `active` when idle, `closed` after a reset.
   * Changes arrive here in the order the session made them, one at a time, so an interrupt's hand-over
   * (one change: the new run active) never lets the old run's `active` land after the new `processing`.
   * Set before the reactions: the Stop button should appear as soon as a run works.
   */
  async function showAgentStatus(ctx: ThreadContext, change: SessionChange): Promise<void> {
    const previous = (await ctx.get("agentStatus")) ?? undefined;
    const wanted = agentStatusOf(change, previous);
    if (previous === wanted) return;
    const { origin, summary } = change;
    const warnings = await bestEffort(ctx, `set the agent session ${wanted}`, () =>
      slackStep(
        ctx,
        `agent session ${wanted}`,
        "agents.sessions.setStatus",
        () =>
          client.agents.sessions
            .setStatus({
              channel_id: origin.channel,
              thread_ts: origin.threadTs,
              status: wanted,
              ...(summary.title ? { title: summary.title.slice(0, 200) } : {}),
              ...(change.people[0] ? { initiator_user_id: change.people[0] } : {}),
            })
            .then((answer) => answer.response_metadata?.warnings ?? (answer.warning ? [answer.warning] : [])),
        { giveUpAfterMs: BEST_EFFORT_GIVE_UP_MS },
      ),
    );
    // Given up (Slack down for long): not recorded, so the next change of the session tries again.
    if (warnings === undefined) return;
    for (const warning of warnings ?? []) {
      if (warned.has(warning)) continue;
      warned.add(warning);
      ctx.console.warn(`Slack warned when setting an agent session's status: ${warning}`);
    }
    ctx.set("agentStatus", wanted);
  }

  return restate.object({
    name: SLACK_THREAD,
    description: "The Slack side of a session: fate reactions and refusals.",
    options: { journalRetention: options.journalRetentionMs, ingressPrivate: true },
    handlers: {
      changed: async (ctx: ThreadContext, change: SessionChange): Promise<void> => {
        await showAgentStatus(ctx, change);
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
          await bestEffort(ctx, `add :${wanted}: to ${source.ts}`, () =>
            slackStep(
              ctx,
              `add :${wanted}: to ${source.ts}`,
              "reactions.add",
              () =>
                client.reactions
                  .add({ channel: source.channel, timestamp: source.ts, name: wanted })
                  .then(() => true),
              { alreadyDone: ["already_reacted"], giveUpAfterMs: BEST_EFFORT_GIVE_UP_MS },
            ),
          );
          if (had) {
            await bestEffort(ctx, `remove :${had}: from ${source.ts}`, () =>
              slackStep(
                ctx,
                `remove :${had}: from ${source.ts}`,
                "reactions.remove",
                () =>
                  client.reactions
                    .remove({ channel: source.channel, timestamp: source.ts, name: had })
                    .then(() => true),
                { alreadyDone: ["no_reaction"], giveUpAfterMs: BEST_EFFORT_GIVE_UP_MS },
              ),
            );
          }
          if (FINAL_FATES.has(fate)) delete reactions[source.ts];
          else reactions[source.ts] = wanted;
        }
        // Nothing left to remember (every message's fate is final): no state at all.
        if (Object.keys(reactions).length > 0) ctx.set("reactions", reactions);
        else ctx.clear("reactions");
      },

      refused: async (ctx: ThreadContext, refusal: Refusal): Promise<void> => {
        const { input, origin } = refusal;
        if (!input.by) return;
        const user = input.by;
        await bestEffort(ctx, "explain a refused message", () =>
          slackStep(
            ctx,
            "explain a refused message",
            "chat.postEphemeral",
            () =>
              client.chat
                .postEphemeral({
                  channel: origin.channel,
                  user,
                  thread_ts: origin.threadTs,
                  text: `Your message was not taken: ${refusal.reason}`,
                })
                .then(() => true),
            { giveUpAfterMs: BEST_EFFORT_GIVE_UP_MS },
          ),
        );
      },
    },
  });
}

export type SlackThread = ReturnType<typeof createSlackThread>;
