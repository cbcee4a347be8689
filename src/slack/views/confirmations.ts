/**
 * What a person reads after changing a mode, wherever they changed it (`!agentmode` in a thread, the
 * shortcut's modal, `/agentmode` with or without a thread link). Pure text in Slack's mrkdwn: the
 * listeners only send it, so one change reads the same from every place.
 */
import type { Mode, ModeChoice } from "../../restate/modes.ts";
import { MODE_LABELS } from "./home-view.ts";

/** A thread's mode was set: `this` thread from inside it, `that` thread from a link in the channel. */
export function threadModeConfirmation(mode: ModeChoice, thread: "this" | "that"): string {
  if (mode) return `Mode for ${thread} thread: *${MODE_LABELS[mode]}*.`;
  return `${thread === "this" ? "This" : "That"} thread now follows the channel's default mode.`;
}

/** A channel's default was set, or cleared so that it follows the app's default (`MODE`). */
export function channelModeConfirmation(mode: ModeChoice, appDefault: Mode): string {
  return mode
    ? `Default mode in this channel is now *${MODE_LABELS[mode]}*. Threads with a mode of their own keep it.`
    : `This channel now follows the app's default mode (*${MODE_LABELS[appDefault]}*).`;
}
