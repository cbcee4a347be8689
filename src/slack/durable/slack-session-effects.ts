/**
 * The Slack side's `SessionEffects`: the one place where the durable core reaches Slack. A session change
 * fans out from here (fate reactions to SlackThread, dropping stopped runs' outputs at SlackChannel, Homes
 * to UserHome, as previews), outputs and live messages go to the channel's SlackChannel. All of these are one-way sends
 * or calls, journaled by the caller, so a crash never loses or doubles them. Showing streamed text and
 * ending a live message do I/O themselves, through the `LiveMessageUpdater` (best effort, never journaled).
 */
import { toChannelKey, toHomeKey } from "../../restate/keys.ts";
import type { SessionEffects } from "../../restate/session-effects.ts";
import type { LiveMessageUpdater } from "../live-updates.ts";
import { isEmptyOutput } from "../outbox.ts";
import { SlackChannelRef, SlackThreadRef, SlackWorkspaceRef, UserHomeRef } from "./slack-objects.ts";
import { toHomeSummary } from "./user-home.ts";

export function slackSessionEffects(liveMessages: LiveMessageUpdater): SessionEffects {
  return {
    began(ctx, { sessionKey, origin }) {
      // The workspace lists its sessions, to stop and later forget them if the app is uninstalled.
      ctx.objectSendClient(SlackWorkspaceRef, origin.team).register_session({ key: sessionKey });
    },
    changed(ctx, change) {
      const { origin } = change;
      ctx.objectSendClient(SlackThreadRef, change.sessionKey).changed(change);
      if (change.stoppedRunIds.length > 0) {
        ctx
          .objectSendClient(SlackChannelRef, toChannelKey(origin.team, origin.channel))
          .discard({ runIds: [...change.stoppedRunIds] });
      }
      // Each person's Home gets previews only: it shows no more, and keeps what it gets.
      const summary = toHomeSummary(change.summary);
      for (const person of new Set([...change.people, ...(change.approvers ?? [])])) {
        ctx.objectSendClient(UserHomeRef, toHomeKey(origin.team, person)).session_changed({ summary });
      }
    },
    refused(ctx, refusal) {
      ctx.objectSendClient(SlackThreadRef, refusal.sessionKey).refused(refusal);
    },
    output(ctx, output) {
      if (isEmptyOutput(output)) return;
      ctx
        .objectSendClient(SlackChannelRef, toChannelKey(output.origin.team, output.origin.channel))
        .enqueue(output);
    },
    openLiveMessage(ctx, { sessionKey, origin, runId, iteration }) {
      return ctx
        .objectClient(SlackChannelRef, toChannelKey(origin.team, origin.channel))
        .open_live({ sessionKey, threadTs: origin.threadTs, runId, iteration });
    },
    showStreamedText(origin, message, streamed, signal) {
      if (!signal.aborted) liveMessages.show(origin, message, streamed);
    },
    endLiveMessage(origin, message, outcome) {
      liveMessages.end(origin, message, outcome);
    },
  };
}
