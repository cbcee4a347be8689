/**
 * What `/agentmode` and the "Agent mode" shortcut show: the channel listing (an ephemeral message with
 * controls) and the thread's mode modal. Pure functions within Slack's limits (50 blocks in a message).
 */

import type { KnownBlock, ModalView } from "@slack/types";
import { MODES, type Mode, type ModeChoice, parseModeChoice } from "../../restate/modes.ts";
import { AGENTMODE_USAGE } from "../agentmode-command.ts";
import { preview } from "../text.ts";
import { toControlId } from "./control-ids.ts";
import {
  FOLLOW_DEFAULT,
  MODE_HELP,
  MODE_LABELS,
  modeSelect,
  type SessionView,
  threadLink,
} from "./home-view.ts";

export const MAX_MESSAGE_BLOCKS = 50;

export const LISTING_ACTIONS = {
  channelMode: "channel_mode",
  sessionMode: "list_mode",
} as const;

export const MODAL_CALLBACK = "agentmode_modal";
export const MODAL_MODE_BLOCK = "mode";
export const MODAL_MODE_ACTION = "mode_choice";

const plain = (text: string) => ({ type: "plain_text" as const, text, emoji: true });

export interface ModalMetadata {
  readonly key: string;
  readonly channel: string;
  readonly threadTs: string;
}

/**
 * The ephemeral answer to `/agentmode`: the channel's default (with a select) and its sessions with their
 * modes (each with a select), newest first, as many as fit.
 */
export function buildChannelListing(input: {
  channelMode: Mode | null;
  defaultMode: Mode;
  sessions: readonly SessionView[];
}): KnownBlock[] {
  const effective = input.channelMode ?? input.defaultMode;
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text:
          `*Default mode in this channel: ${MODE_LABELS[effective]}*${input.channelMode ? "" : " (the app's default)"}\n` +
          `${MODE_HELP[effective]}.`,
      },
      accessory: {
        ...modeSelect(LISTING_ACTIONS.channelMode, {
          mode: effective,
          modeSource: input.channelMode ? "session" : "default",
        }),
        // For the channel itself, "no mode of its own" means the app's default.
        options: [
          { text: plain(`App default (${MODE_LABELS[input.defaultMode]})`), value: FOLLOW_DEFAULT },
          ...MODES.map((mode) => ({ text: plain(MODE_LABELS[mode]), value: mode })),
        ],
        ...(input.channelMode
          ? { initial_option: { text: plain(MODE_LABELS[input.channelMode]), value: input.channelMode } }
          : {
              initial_option: {
                text: plain(`App default (${MODE_LABELS[input.defaultMode]})`),
                value: FOLLOW_DEFAULT,
              },
            }),
      },
    },
  ];
  const sessions = input.sessions.filter((session) => session.exists);
  if (sessions.length === 0) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: "No agent sessions in this channel yet." }],
    });
  }
  let shown = 0;
  for (const session of sessions) {
    // Two blocks per session; two more at the end (the "not shown" note and the usage).
    if (blocks.length + 2 > MAX_MESSAGE_BLOCKS - 2) break;
    const running = session.activeRun ? `running, iteration ${session.activeRun.iteration}` : "idle";
    const waiting = session.queue.length > 0 ? `, ${session.queue.length} waiting` : "";
    blocks.push({ type: "divider" });
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*${threadLink(session)}*: ${running}${waiting}${session.activeRun ? `\n>${preview(session.activeRun.input.content, 150)}` : ""}`,
      },
      accessory: modeSelect(toControlId(LISTING_ACTIONS.sessionMode, session.key), session),
    });
    shown += 1;
  }
  if (shown < sessions.length) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `${sessions.length - shown} older sessions are not shown.` }],
    });
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: AGENTMODE_USAGE }] });
  return blocks;
}

/** The thread a submitted modal names (its `private_metadata`); null for metadata we did not write. */
export function parseModalMetadata(text: string | undefined): ModalMetadata | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? "");
  } catch {
    return null;
  }
  const { key, channel, threadTs } = (parsed ?? {}) as Record<string, unknown>;
  return typeof key === "string" && typeof channel === "string" && typeof threadTs === "string"
    ? { key, channel, threadTs }
    : null;
}

/** The shortcut's modal: the thread's mode as radio buttons. */
export function buildModeModal(
  metadata: ModalMetadata,
  status: Pick<SessionView, "mode" | "modeSource">,
): ModalView {
  const options = [
    { text: plain("Follow the channel default"), value: FOLLOW_DEFAULT },
    ...MODES.map((mode) => ({
      text: plain(MODE_LABELS[mode]),
      description: plain(MODE_HELP[mode]),
      value: mode,
    })),
  ];
  const initial = status.modeSource === "session" ? options.find((o) => o.value === status.mode) : options[0];
  return {
    type: "modal",
    callback_id: MODAL_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: plain("Agent mode"),
    submit: plain("Save"),
    close: plain("Cancel"),
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `What a new message in this thread does while the agent is working. Now: *${status.mode ? MODE_LABELS[status.mode] : "the channel default"}*.`,
        },
      },
      {
        type: "input",
        block_id: MODAL_MODE_BLOCK,
        label: plain("Mode for this thread"),
        element: {
          type: "radio_buttons",
          action_id: MODAL_MODE_ACTION,
          options,
          ...(initial ? { initial_option: initial } : {}),
        },
      },
    ],
  };
}

/** A modal that only says something (no session in the thread, a refused control on the Home). */
export function buildNoticeModal(title: string, text: string): ModalView {
  return {
    type: "modal",
    title: plain(title.slice(0, 24)),
    close: plain("Close"),
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
  };
}

/** The mode chosen in a select or radio group: a mode, or null for "follow the default" (`FOLLOW_DEFAULT`). */
export function modeFromOption(value: string | undefined): ModeChoice | undefined {
  return parseModeChoice(value);
}
