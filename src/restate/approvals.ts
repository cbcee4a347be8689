/**
 * Approvals and undo as the session records them, in pure functions: what a waiting approval is, who may
 * decide it, what a decision looks like, and the bounded records of past decisions and undo offers that
 * answer a late click ("already approved by …"). ChatService applies these inside its handlers; the run
 * waits on a signal whose name only ChatService and the run know (never in a button, a log or an answer).
 * Must not import the Restate SDK or do I/O.
 */

/** What the agent asks to do, as people see it on the card. */
export interface ApprovalRequest {
  /** The tool call this approval is for (its id in the run). */
  readonly toolCallId: string;
  readonly tool: string;
  /** One line: what the agent wants to do ("Post a message in <#C123>"). */
  readonly title: string;
  /** The call's arguments, each as short readable text. */
  readonly args: Readonly<Record<string, string>>;
}

/** An approval the run waits for. `signal` is the run's signal that carries the decision: never shown. */
export interface PendingApproval extends ApprovalRequest {
  /** Our id for it, in the card's buttons; resolving anything needs ChatService, which checks the person. */
  readonly id: string;
  readonly signal: string;
  /** When the run started waiting (ISO). */
  readonly since: string;
  /** The invocation of its timeout (`approval_timed_out`, delayed), cancelled once it is decided. */
  readonly timer?: string;
}

export type ApprovalVerdict = "approved" | "denied" | "timed_out" | "superseded";

/** What the run gets back, and what the card shows. `by` is null for a timeout or a superseded wait. */
export interface ApprovalDecision {
  readonly verdict: ApprovalVerdict;
  readonly by: string | null;
  readonly at: string;
  readonly reason: string | null;
}

/** A decided approval, kept for late clicks. */
export interface DecidedApproval {
  readonly id: string;
  readonly runId: string;
  readonly title: string;
  readonly decision: ApprovalDecision;
}

/** One `APPROVERS` entry: a person, in one workspace (`team`) or in any (null). */
export interface Approver {
  readonly team: string | null;
  readonly user: string;
}

/** How long an interrupted run's effects can be undone: the run keeps them this long (AgentSession). */
export const UNDO_KEPT_MS = 7 * 24 * 3_600_000;

/** How many decided approvals and undo offers a session remembers (late clicks on older ones are "gone"). */
export const APPROVALS_REMEMBERED = 50;

/**
 * Who may decide: with `APPROVERS` set, only the people it names (for this workspace or any); otherwise
 * the session's people (everyone who wrote in it).
 */
export function mayDecide(
  approvers: readonly Approver[],
  people: readonly string[],
  team: string | null,
  user: string,
): boolean {
  if (approvers.length === 0) return people.includes(user);
  return approvers.some((a) => a.user === user && (a.team === null || a.team === team));
}

/** The newest first, bounded. */
export function remembered<T extends { readonly id: string }>(list: readonly T[], entry: T): T[] {
  return [entry, ...list.filter((e) => e.id !== entry.id)].slice(0, APPROVALS_REMEMBERED);
}

/** The approval as `get_status` and the Home show it: what, arguments, since when (no id, no signal). */
export function shownApproval(approval: PendingApproval): {
  tool: string;
  title: string;
  args: Record<string, string>;
  since: string;
} {
  return { tool: approval.tool, title: approval.title, args: { ...approval.args }, since: approval.since };
}

/** An approval with what it shows (its title and arguments) cut by `cut`: a preview of what was asked. */
export function previewedApproval<
  T extends { readonly title: string; readonly args: Readonly<Record<string, string>> },
>(approval: T, cut: (text: string) => string): T {
  return {
    ...approval,
    title: cut(approval.title),
    args: Object.fromEntries(Object.entries(approval.args).map(([name, value]) => [name, cut(value)])),
  };
}

/** The words of a decision as the model reads them in a tool result. */
export function decisionForModel(decision: ApprovalDecision): string {
  const why = decision.reason ? `: ${decision.reason}` : "";
  switch (decision.verdict) {
    case "approved":
      return "approved";
    case "denied":
      return `Not done: it was denied (by Slack user ${decision.by ?? "?"})${why}. Do not try it again unless asked.`;
    case "timed_out":
      return `Not done: nobody approved it in time${why}.`;
    case "superseded":
      return "Not done: the run was interrupted while it waited for approval.";
  }
}

/** An effect a run applied (or may have: `registered` means its step began), with how to find it again. */
export interface RegisteredEffect {
  /** The tool call's id: what the effect's own traces (a post's metadata) carry, so an undo can find it. */
  readonly id: string;
  readonly tool: string;
  readonly title: string;
  readonly input: unknown;
  /** When its step first began (epoch ms): where an undo looks for an effect with no recorded result. */
  readonly since?: number;
  readonly state: "registered" | "applied" | "failed" | "undone" | "undo_failed";
  readonly result?: unknown;
  readonly error?: string;
}

/** What an undo did to one effect. */
export interface UndoResult {
  readonly id: string;
  readonly title: string;
  readonly outcome: "undone" | "nothing_to_undo" | "failed";
  readonly error?: string;
}

/** A run's offer to undo what it did, as the session keeps it (and the undo note shows it). */
export interface UndoOffer {
  /** The run's id (the note's Undo button names it). */
  readonly id: string;
  readonly runKey: string;
  readonly effects: readonly { readonly id: string; readonly title: string }[];
  readonly state: "offered" | "undoing" | "done";
  /** When it was offered (epoch ms): the run's effects are kept `UNDO_KEPT_MS`, and Undo is refused after. */
  readonly offeredAt?: number;
  /** Who clicked Undo (null: automatic, `UNDO_ON_INTERRUPT`), and when. */
  readonly by?: string | null;
  readonly at?: string;
  readonly results?: readonly UndoResult[];
}

/** Whether an effect still needs undoing: it happened, or may have. */
export function needsUndo(effect: RegisteredEffect): boolean {
  return effect.state === "applied" || effect.state === "registered";
}
