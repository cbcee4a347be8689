/**
 * The Slack side's `SessionEffects`: one-way sends to SlackThread (fates, Homes, refusals) and to the
 * channel's SlackChannel (outputs). Sends are journaled commands, so a crash of the caller never loses or
 * doubles them.
 */
import type { SessionEffects } from "../../restate/session-effects.ts";
import { channelObjectKey, SlackChannelRef, SlackThreadRef } from "./contracts.ts";

export const slackSessionEffects: SessionEffects = {
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
};
