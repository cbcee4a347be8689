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
import { FATE_REACTIONS } from "../fates.ts";
import { BEST_EFFORT_GIVE_UP_MS, bestEffort, slackStep } from "../web-api.ts";
import { SLACK_THREAD } from "./slack-objects.ts";

/**
 * The reaction we put on each message of the thread (by message ts), while its fate can still change: a
 * message whose fate is final (done, stopped, failed) never changes again, so it is forgotten.
 */
type ThreadState = { reactions: Record<string, string> };

const FINAL_FATES: ReadonlySet<Fate> = new Set<Fate>(["done", "stopped", "failed"]);
type ThreadContext = restate.ObjectContext<ThreadState>;

export interface Refusal {
  readonly sessionKey: string;
  readonly origin: SessionOrigin;
  readonly input: UserInput;
  readonly reason: string;
}

export function createSlackThread(options: { client: WebClient; journalRetentionMs: number }) {
  const { client } = options;
  return restate.object({
    name: SLACK_THREAD,
    description: "The Slack side of a session: fate reactions and refusals.",
    options: { journalRetention: options.journalRetentionMs, ingressPrivate: true },
    handlers: {
      changed: async (ctx: ThreadContext, change: SessionChange): Promise<void> => {
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
