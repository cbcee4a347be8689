/**
 * What approvals and undo look like in Slack: the approval card in the thread (what the agent wants to do,
 * its arguments, Approve and Deny), the same buttons on the Home, the modal that takes a denial's reason,
 * and the undo note with its Undo button. Pure functions; the listeners read the ids back from here
 * (approval-listeners.ts). The buttons carry the session's key and our id for the approval or run, never
 * anything that resolves a wait: a click decides only through ChatService, which checks the person.
 * What the model wrote (the action's title and arguments) is escaped, so it cannot ping or hide a link.
 */
import type { ActionsBlock, KnownBlock, ModalView } from "@slack/types";
import type { ApprovalDecision, UndoOffer } from "../restate/approvals.ts";
import type { ApprovalCard, ShownApproval } from "../restate/session-effects.ts";
import { escapeMrkdwn, preview, shorten } from "./text.ts";
import { toControlId, toSessionItemValue } from "./views/control-ids.ts";

export const APPROVAL_ACTIONS = {
  approve: "approval_approve",
  deny: "approval_deny",
  undo: "undo_run",
} as const;

/** The deny modal's callback id; its `private_metadata` names the session and the approval. */
export const DENY_MODAL_CALLBACK = "approval_deny_reason";
export const DENY_REASON_BLOCK = "reason";
export const DENY_REASON_ACTION = "reason_input";

/**
 * Text from the model, escaped, with channel links (`<#C123>`) let through: one shows a channel's name
 * and pings no one.
 */
function escapedWithChannels(text: string): string {
  return escapeMrkdwn(text).replace(/&lt;#([CG][A-Z0-9]{2,})&gt;/g, "<#$1>");
}

/** A time as the card shows it, in UTC (the same for everyone who reads it). */
export function shownTime(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

/** Approve and Deny for one approval, with action ids unique per session (a Home lists many). */
export function approvalButtons(sessionKey: string, approvalId: string): ActionsBlock {
  return {
    type: "actions",
    block_id: `approval-${approvalId}`,
    elements: [
      {
        type: "button",
        style: "primary",
        text: { type: "plain_text", text: "Approve" },
        action_id: toControlId(APPROVAL_ACTIONS.approve, sessionKey),
        value: approvalId,
      },
      {
        type: "button",
        style: "danger",
        text: { type: "plain_text", text: "Deny…" },
        action_id: toControlId(APPROVAL_ACTIONS.deny, sessionKey),
        value: approvalId,
      },
    ],
  };
}

/** The arguments, one per line, each shortened. */
function argumentLines(args: Readonly<Record<string, string>>): string {
  const lines = Object.entries(args).map(
    ([name, value]) => `*${escapeMrkdwn(name)}*: ${escapeMrkdwn(shorten(value, 600))}`,
  );
  return lines.length > 0 ? shorten(lines.join("\n"), 2900) : "_no arguments_";
}

/** One line on how a wait ended. */
export function decisionLine(decision: ApprovalDecision): string {
  const at = shownTime(decision.at);
  const reason = decision.reason ? `: ${escapeMrkdwn(preview(decision.reason, 300))}` : "";
  switch (decision.verdict) {
    case "approved":
      return `:white_check_mark: Approved by <@${decision.by}> at ${at}`;
    case "denied":
      return `:no_entry_sign: Denied by <@${decision.by}> at ${at}${reason}`;
    case "timed_out":
      return `:hourglass: Not approved in time (${at})${reason}: the agent did not do it`;
    case "superseded":
      return `:fast_forward: Superseded at ${at}: the run was interrupted, the agent did not do it`;
  }
}

/** The approval card: asking (with buttons) while it waits, then with who decided and when. */
export function renderApprovalCard(
  sessionKey: string,
  card: ApprovalCard,
): { text: string; blocks: KnownBlock[] } {
  const { approval, decision } = card;
  const title = escapedWithChannels(preview(approval.title, 300));
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: { type: "mrkdwn", text: `:raised_hand: *The agent asks before it acts:* ${title}` },
    },
    { type: "section", text: { type: "mrkdwn", text: argumentLines(approval.args) } },
    decision
      ? { type: "context", elements: [{ type: "mrkdwn", text: decisionLine(decision) }] }
      : approvalButtons(sessionKey, approval.id),
  ];
  // The fallback text is what notifications show: escaped like the blocks.
  const what = escapedWithChannels(preview(approval.title, 200));
  const text = decision
    ? `The agent asked: ${what}. ${decision.verdict.replace("_", " ")}`
    : `The agent asks for approval: ${what}`;
  return { text, blocks };
}

/** The Home's line for a waiting approval, with the same buttons as the card. */
export function homeApprovalBlocks(sessionKey: string, approval: ShownApproval): KnownBlock[] {
  return [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `:raised_hand: Waits for approval since ${shownTime(approval.since)}: ${escapedWithChannels(preview(approval.title, 200))}\n${argumentLines(approval.args)}`.slice(
          0,
          3000,
        ),
      },
    },
    approvalButtons(sessionKey, approval.id),
  ];
}

/** The modal that takes a denial's reason (optional). */
export function denyModal(meta: { sessionKey: string; approvalId: string }): ModalView {
  return {
    type: "modal",
    callback_id: DENY_MODAL_CALLBACK,
    private_metadata: toSessionItemValue(meta.sessionKey, meta.approvalId),
    title: { type: "plain_text", text: "Deny" },
    submit: { type: "plain_text", text: "Deny" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: "The agent will not do what it asked, and will read your reason." },
      },
      {
        type: "input",
        block_id: DENY_REASON_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Why (the agent reads it)" },
        element: {
          type: "plain_text_input",
          action_id: DENY_REASON_ACTION,
          multiline: true,
          max_length: 500,
        },
      },
    ],
  };
}

const UNDO_OUTCOMES = {
  undone: "undone",
  nothing_to_undo: "nothing left to undo",
  failed: "could not be undone",
};

/** The undo note: what an interrupted run did, with Undo while it is offered, then what the undo did. */
export function renderUndoNote(sessionKey: string, offer: UndoOffer): { text: string; blocks: KnownBlock[] } {
  const lines = offer.effects.map((effect) => {
    const result = offer.results?.find((r) => r.id === effect.id);
    const outcome = result
      ? ` — ${UNDO_OUTCOMES[result.outcome]}${result.error ? ` (${escapeMrkdwn(preview(result.error, 200))})` : ""}`
      : "";
    return `• ${escapedWithChannels(preview(effect.title, 200))}${outcome}`;
  });
  const who = offer.by ? `<@${offer.by}>` : "automatically";
  const heading =
    offer.state === "offered"
      ? ":leftwards_arrow_with_hook: The interrupted run had already done this:"
      : offer.state === "undoing"
        ? `:leftwards_arrow_with_hook: Undoing (asked ${offer.by ? `by ${who}` : who}):`
        : `:leftwards_arrow_with_hook: Undone ${offer.by ? `by ${who}` : who}${offer.at ? ` at ${shownTime(offer.at)}` : ""}:`;
  const blocks: KnownBlock[] = [
    { type: "section", text: { type: "mrkdwn", text: shorten(`${heading}\n${lines.join("\n")}`, 3000) } },
  ];
  if (offer.state === "offered")
    blocks.push({
      type: "actions",
      block_id: `undo-${offer.id}`,
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Undo" },
          action_id: toControlId(APPROVAL_ACTIONS.undo, sessionKey),
          value: offer.id,
        },
      ],
    });
  const text =
    offer.state === "offered"
      ? `The interrupted run had already done ${offer.effects.length} thing(s); Undo is offered`
      : `Undo ${offer.state === "done" ? "done" : "in progress"}`;
  return { text, blocks };
}
