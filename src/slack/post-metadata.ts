/**
 * The metadata on every message the agent posts (Slack's message metadata): which session, post and run
 * iterations it shows. SlackChannel writes it and finds its own posts by it; the feedback listener reads
 * which answer a click is about from it. Types and a name only.
 */

/** `metadata.event_type` of every message the agent posts. */
export const AGENT_OUTPUT_EVENT = "agent_output";

/** The posts' metadata, as Slack stores it. */
export interface AgentOutputPayload {
  readonly post_id: string;
  readonly session_key: string;
  readonly parts: readonly {
    readonly run_id: string;
    readonly iteration: number;
    readonly continued: boolean;
    /** The run's answer (absent in posts made before feedback existed, and in live messages). */
    readonly final?: boolean;
  }[];
}
