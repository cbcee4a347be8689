/**
 * Slack's agent session status for a thread, from what the session says is true: `processing` while a run
 * works (Slack then shows its Stop button), `suspended` while it waits for a person's approval, `active`
 * when idle, `closed` after a reset. Pure.
 */
import type { SessionChange } from "../restate/session-effects.ts";

export type AgentStatus = "processing" | "suspended" | "active" | "closed";

/** A closed session stays closed until a run starts again (a mode change does not reopen it). */
export function agentStatusOf(
  change: Pick<SessionChange, "summary" | "closed">,
  previous: AgentStatus | undefined,
): AgentStatus {
  if (change.summary.activeRun) return change.summary.activeRun.approval ? "suspended" : "processing";
  if (change.closed || previous === "closed") return "closed";
  return "active";
}
