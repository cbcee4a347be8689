/**
 * Slack's agent session status for a thread, from what the session says is true: `processing` while a run
 * works (Slack then shows its Stop button), `active` when idle, `closed` after a reset. Pure.
 */
import type { SessionChange } from "../restate/session-effects.ts";

/** The statuses we set; Slack also knows `suspended`, which nothing of ours means. */
export type AgentStatus = "processing" | "active" | "closed";

/** A closed session stays closed until a run starts again (a mode change does not reopen it). */
export function agentStatusOf(
  change: Pick<SessionChange, "summary" | "closed">,
  previous: AgentStatus | undefined,
): AgentStatus {
  if (change.summary.activeRun) return "processing";
  if (change.closed || previous === "closed") return "closed";
  return "active";
}
