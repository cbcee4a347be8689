/**
 * Our Restate services, built from the configuration and an agent. The one list that the endpoint
 * serves and registers.
 */
import type { Agent } from "../agent/agent.ts";
import type { Config } from "../config.ts";
import { createAgentSession } from "./agent-session.ts";
import { createChannelSettings } from "./channel-settings.ts";
import { createChatService } from "./chat-service.ts";

/** A failing agent step is tried this often (with backoff) before its run ends as failed. */
export const AGENT_STEP_MAX_ATTEMPTS = 10;

export function createServices(deps: { readonly config: Config; readonly agent: Agent }) {
  const { config, agent } = deps;
  const journalRetentionMs = config.restate.journalRetentionMs;
  return [
    createChatService({
      defaultMode: config.defaultMode,
      queueMax: config.queueMax,
      idempotencyRetentionMs: config.restate.idempotencyRetentionMs,
      journalRetentionMs,
    }),
    createAgentSession({ agent, journalRetentionMs, stepMaxAttempts: AGENT_STEP_MAX_ATTEMPTS }),
    createChannelSettings({ journalRetentionMs }),
  ];
}
