/**
 * Approvals and undo in Slack: Approve, Deny (with a reason, through a modal) and Undo, on the thread's
 * cards and on the Home. Each click checks that it names a thread of this workspace, then goes to the
 * session (ChatService), which checks the person and keeps the first decision; a click that came second,
 * or one the session refuses, is told so where the person is (an ephemeral in the thread, a small modal
 * on the Home). The card itself is updated by the durable side, for everyone, once the decision is made.
 */
import type { App, BlockAction } from "@slack/bolt";
import type { ApprovalDecision } from "../../restate/approvals.ts";
import {
  APPROVAL_ACTIONS,
  DENY_MODAL_CALLBACK,
  DENY_REASON_ACTION,
  DENY_REASON_BLOCK,
  decisionLine,
  denyModal,
  shownTime,
} from "../approval-blocks.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { buildNoticeModal } from "../views/agentmode-views.ts";
import { controlIdPattern, parseSessionItemValue, sessionKeyOfControl } from "../views/control-ids.ts";
import { type ControlArgs, runControl, tellPerson } from "./control.ts";
import { botOf, type ListenerDeps } from "./deps.ts";
import { ControlRefusal, threadOfThisWorkspace } from "./this-workspace.ts";

type ActionArgs = ControlArgs;

/** Now as a Slack timestamp (a modal's submission carries none of its own). */
const slackNow = () => (Date.now() / 1000).toFixed(6);

/** The words for a decision that came first, told to whoever clicked second. */
function alreadyDecided(decision: ApprovalDecision): string {
  return `Already decided. ${decisionLine(decision)}`;
}

export function registerApprovalListeners(app: App, deps: ListenerDeps): void {
  const { sessions, logger } = deps;

  const tell = (args: ActionArgs, title: string, text: string) => tellPerson(args, logger, title, text);
  const click = (args: ActionArgs, what: string, run: () => Promise<void>) =>
    runControl(args, logger, what, run);

  const buttonValue = (args: ActionArgs) =>
    (args.action.type === "button" ? args.action.value : undefined) ?? "";

  app.action<BlockAction>({ action_id: controlIdPattern(APPROVAL_ACTIONS.approve) }, async (args) => {
    await args.ack();
    const a = args as ActionArgs;
    await click(a, "approve", async () => {
      const key = sessionKeyOfControl(APPROVAL_ACTIONS.approve, a.action.action_id);
      threadOfThisWorkspace(key, a.body, botOf(a.context));
      const clickedAt = (a.action as { action_ts?: string }).action_ts;
      const answer = await sessions.decideApproval(key, {
        by: a.body.user.id,
        approvalId: buttonValue(a),
        approve: true,
        decidedAt: clickedAt && /^\d+\.\d+$/.test(clickedAt) ? clickedAt : slackNow(),
      });
      if (answer.outcome === "already") await tell(a, "Already decided", alreadyDecided(answer.decision));
    });
  });

  // Deny asks for a reason first; the decision is made when the modal is submitted.
  app.action<BlockAction>({ action_id: controlIdPattern(APPROVAL_ACTIONS.deny) }, async (args) => {
    await args.ack();
    const a = args as ActionArgs;
    await click(a, "deny", async () => {
      const key = sessionKeyOfControl(APPROVAL_ACTIONS.deny, a.action.action_id);
      threadOfThisWorkspace(key, a.body, botOf(a.context));
      await a.client.views.open({
        trigger_id: a.body.trigger_id,
        view: denyModal({ sessionKey: key, approvalId: buttonValue(a) }),
      });
    });
  });

  app.view(DENY_MODAL_CALLBACK, async ({ ack, view, body, context }) => {
    const named = parseSessionItemValue(view.private_metadata);
    const notice = (title: string, text: string) =>
      ack({ response_action: "update", view: buildNoticeModal(title, text) });
    try {
      if (!named) throw new ControlRefusal("this dialog names no approval; use the card's buttons again.");
      threadOfThisWorkspace(named.key, body, botOf(context));
      const reason = view.state.values[DENY_REASON_BLOCK]?.[DENY_REASON_ACTION]?.value ?? "";
      const answer = await sessions.decideApproval(named.key, {
        by: body.user.id,
        approvalId: named.id,
        approve: false,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        decidedAt: slackNow(),
      });
      if (answer.outcome === "already") await notice("Already decided", alreadyDecided(answer.decision));
      else await ack();
    } catch (error) {
      if (!(error instanceof ControlRefusal) && !isRefusal(error)) logger.warn({ err: error }, "deny failed");
      const reason = error instanceof ControlRefusal ? error.message : refusalMessage(error);
      await notice("Not done", `Could not deny: ${reason}`);
    }
  });

  app.action<BlockAction>({ action_id: controlIdPattern(APPROVAL_ACTIONS.undo) }, async (args) => {
    await args.ack();
    const a = args as ActionArgs;
    await click(a, "undo", async () => {
      const key = sessionKeyOfControl(APPROVAL_ACTIONS.undo, a.action.action_id);
      threadOfThisWorkspace(key, a.body, botOf(a.context));
      const answer = await sessions.undoRun(key, a.body.user.id, buttonValue(a));
      if (answer.outcome === "already") {
        const who = answer.by ? `<@${answer.by}>` : "automatically";
        await tell(
          a,
          "Already undone",
          `Already undone, ${who}${answer.at ? ` at ${shownTime(answer.at)}` : ""}.`,
        );
      }
    });
  });
}
