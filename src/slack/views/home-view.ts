/**
 * The App Home: a person's sessions, newest first, with what runs and what waits, and controls to stop,
 * remove, change the mode and reset. A pure function of the sessions' statuses, within Slack's limits
 * (100 blocks in a Home view, 3,000 characters in a section, 75 in a button).
 */

import type { HomeView, KnownBlock, PlainTextOption } from "@slack/types";
import { MODES, type Mode, type ModeSource } from "../../restate/modes.ts";
import type { ShownApproval } from "../../restate/session-effects.ts";
import type { SessionOrigin, UserInput } from "../../restate/session-state.ts";
import { homeApprovalBlocks } from "../approval-blocks.ts";
import { preview } from "../text.ts";
import { toControlId, toSessionItemValue } from "./control-ids.ts";

export const MAX_HOME_BLOCKS = 100;
/** Characters of a message the Home shows (and so all a person's Home keeps of it). */
export const HOME_PREVIEW_CHARS = 200;

/**
 * What the views show of a session (a `SessionStatus` is one). `mode` is null when the session follows
 * its channel's default and that default was not looked up (idle sessions on the Home).
 */
export interface SessionView {
  readonly key: string;
  readonly exists: boolean;
  readonly title: string | null;
  readonly origin: SessionOrigin | null;
  readonly mode: Mode | null;
  readonly modeSource: ModeSource;
  readonly activeRun: {
    /** The run's id: the Stop button stops this run only, never one that came after it. */
    readonly id?: string;
    readonly startedAt: string;
    readonly iteration: number;
    readonly input: UserInput;
    /** What the run waits for a person to approve (the Home offers the card's buttons when it has the id). */
    readonly approval?: (Omit<ShownApproval, "id"> & { readonly id?: string }) | null | undefined;
  } | null;
  readonly queue: readonly UserInput[];
  /** People's feedback on its answers, when there is any. */
  readonly feedback?: { readonly positive: number; readonly negative: number } | undefined;
}
/** Queued messages listed per session; the rest are counted. */
const QUEUED_SHOWN = 5;

export const HOME_ACTIONS = {
  mode: "home_mode",
  stop: "home_stop",
  reset: "home_reset",
  remove: "home_remove",
} as const;

/** Option value meaning "no mode of its own": follow the channel default, then MODE. */
export const FOLLOW_DEFAULT = "DEFAULT";

export const MODE_LABELS: Readonly<Record<Mode, string>> = {
  INTERRUPT: "Interrupt",
  INCORPORATE: "Incorporate",
  QUEUE: "Queue",
};

export const MODE_HELP: Readonly<Record<Mode, string>> = {
  INTERRUPT: "a new message stops the running answer and starts over with everything said so far",
  INCORPORATE: "a new message is handed to the running agent, which takes it in at its next step",
  QUEUE: "a new message waits and runs after the current answer",
};

const plain = (text: string) => ({ type: "plain_text" as const, text, emoji: true });

/** A date that each reader sees in their own time zone. */
export function slackDate(iso: string, format = "{date_short_pretty} {time}"): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^${format}|${iso}>`;
}

function modeOptions(current: Mode | null): PlainTextOption[] {
  return [
    {
      text: plain(current ? `Channel default (${MODE_LABELS[current]})` : "Channel default"),
      value: FOLLOW_DEFAULT,
    },
    ...MODES.map((mode) => ({ text: plain(MODE_LABELS[mode]), value: mode })),
  ];
}

/** The mode select of one session: its own mode, or "channel default" when it follows it. */
export function modeSelect(actionId: string, status: Pick<SessionView, "mode" | "modeSource">) {
  const options = modeOptions(status.mode);
  const initial = status.modeSource === "session" ? options.find((o) => o.value === status.mode) : options[0];
  return {
    type: "static_select" as const,
    action_id: actionId,
    placeholder: plain("Mode"),
    options,
    ...(initial ? { initial_option: initial } : {}),
  };
}

/** "Thread in #channel", the word Thread linking to it (Slack shows no channel mention inside a link's label). */
export function threadLink(status: Pick<SessionView, "origin">): string {
  const origin = status.origin;
  if (!origin) return "A session";
  const place = origin.channel.startsWith("D") ? "in your DM with the agent" : `in <#${origin.channel}>`;
  return origin.permalink ? `<${origin.permalink}|Thread> ${place}` : `Thread ${place}`;
}

function sessionBlocks(status: SessionView): KnownBlock[] {
  const key = status.key;
  const blocks: KnownBlock[] = [{ type: "divider" }];
  const about = status.activeRun?.input.content ?? status.title;
  blocks.push({
    type: "section",
    text: {
      type: "mrkdwn",
      text: `*${threadLink(status)}*${about ? `\n>${preview(about, HOME_PREVIEW_CHARS)}` : ""}`,
    },
    accessory: modeSelect(toControlId(HOME_ACTIONS.mode, key), status),
  });
  const run = status.activeRun;
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: run
          ? run.approval
            ? `:raised_hand: Waiting for approval, iteration ${run.iteration}, since ${slackDate(run.startedAt, "{time}")}`
            : `:eyes: Running, iteration ${run.iteration}, since ${slackDate(run.startedAt, "{time}")}`
          : "Nothing running",
      },
      {
        type: "mrkdwn",
        text: status.mode
          ? `Mode: *${MODE_LABELS[status.mode]}*${status.modeSource === "session" ? "" : " (default)"}`
          : "Mode: channel default",
      },
      ...(status.feedback && status.feedback.positive + status.feedback.negative > 0
        ? [
            {
              type: "mrkdwn" as const,
              text: `Feedback: ${status.feedback.positive} good, ${status.feedback.negative} bad`,
            },
          ]
        : []),
    ],
  });
  const approvalId = run?.approval?.id;
  if (run?.approval && approvalId)
    blocks.push(...homeApprovalBlocks(key, { ...run.approval, id: approvalId }));
  for (const [index, queued] of status.queue.slice(0, QUEUED_SHOWN).entries()) {
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `:hourglass_flowing_sand: ${index + 1}. ${preview(queued.content, HOME_PREVIEW_CHARS)}\n${queued.by ? `<@${queued.by}>, ` : ""}${slackDate(queued.at)}`,
      },
      accessory: {
        type: "button",
        action_id: toControlId(HOME_ACTIONS.remove, key, queued.id),
        text: plain("Remove"),
        value: toSessionItemValue(key, queued.id),
      },
    });
  }
  if (status.queue.length > QUEUED_SHOWN) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `…and ${status.queue.length - QUEUED_SHOWN} more waiting` }],
    });
  }
  const controls: KnownBlock = {
    type: "actions",
    elements: [
      ...(run
        ? [
            {
              type: "button" as const,
              action_id: toControlId(HOME_ACTIONS.stop, key),
              text: plain("Stop run"),
              style: "danger" as const,
              value: run.id ?? key,
            },
          ]
        : []),
      {
        type: "button",
        action_id: toControlId(HOME_ACTIONS.reset, key),
        text: plain("Reset session"),
        value: key,
        confirm: {
          title: plain("Reset this session?"),
          text: plain(
            "This stops the running answer, drops the waiting messages and forgets the conversation.",
          ),
          confirm: plain("Reset"),
          deny: plain("Cancel"),
          style: "danger",
        },
      },
    ],
  };
  blocks.push(controls);
  return blocks;
}

function emptyHome(): KnownBlock[] {
  return [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text:
          "You have no agent sessions yet. *Mention the agent* in a channel (or write to it here in Messages) " +
          "to start one: every thread is its own session, and every message in the thread goes to it.",
      },
    },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: [
          "*What a new message does while the agent is still working* depends on the thread's mode:",
          ...MODES.map((mode) => `• *${MODE_LABELS[mode]}*: ${MODE_HELP[mode]}`),
          "Change it with `/agentmode` in a channel, `!agentmode <mode>` in a thread, or the message shortcut *Agent mode*.",
        ].join("\n"),
      },
    },
  ];
}

/** The Home of `userId`: their sessions (statuses newest first), as many as fit. */
export function buildHomeView(sessions: readonly SessionView[]): HomeView {
  const blocks: KnownBlock[] = [{ type: "header", text: plain("Your agent sessions") }];
  const existing = sessions.filter((session) => session.exists);
  if (existing.length === 0) {
    blocks.push(...emptyHome());
    return { type: "home", blocks };
  }
  let shown = 0;
  for (const session of existing) {
    const next = sessionBlocks(session);
    // Leave room for the closing note.
    if (blocks.length + next.length > MAX_HOME_BLOCKS - 1) break;
    blocks.push(...next);
    shown += 1;
  }
  if (shown < existing.length) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `${existing.length - shown} older sessions are not shown.` }],
    });
  }
  return { type: "home", blocks };
}
