/**
 * The Slack side's `SessionEffects`: one-way sends to SlackThread (fates, Homes, refusals) and to the
 * channel's SlackChannel (outputs, and the live messages of streaming agents). Sends and calls are
 * journaled commands, so a crash of the caller never loses or doubles them. Live updates go through the
 * `LiveUpdater`, the one effect that does I/O itself (best effort, from inside the model's step).
 */
import type { SessionEffects } from "../../restate/session-effects.ts";
import type { LiveUpdater } from "../live-updates.ts";
import { channelObjectKey, SlackChannelRef, SlackThreadRef } from "./slack-objects.ts";

export function slackSessionEffects(live: LiveUpdater): SessionEffects {
  return {
    changed(ctx, change) {
      ctx.objectSendClient(SlackThreadRef, change.sessionKey).changed(change);
    },
    refused(ctx, refusal) {
      ctx.objectSendClient(SlackThreadRef, refusal.sessionKey).refused(refusal);
    },
    output(ctx, output) {
      ctx
        .objectSendClient(SlackChannelRef, channelObjectKey(output.origin.team, output.origin.channel))
        .enqueue(output);
    },
    openLive(ctx, { sessionKey, origin, runId, iteration }) {
      return ctx
        .objectClient(SlackChannelRef, channelObjectKey(origin.team, origin.channel))
        .open_live({ sessionKey, threadTs: origin.threadTs, runId, iteration });
    },
    live(origin, message, output, signal) {
      if (!signal.aborted) live.show(origin, message, output);
    },
    endLive(origin, message, outcome) {
      live.end(origin, message, outcome);
    },
  };
}
