/**
 * Every Restate service of the product, built from the configuration and an agent: the durable core
 * (sessions, runs, channel settings) and the Slack side that shows them (threads, channels, Homes).
 * The one list that the endpoint serves and registers.
 */
import type { Agent } from "./agent/agent.ts";
import { createDemoAgent } from "./agent/demo-agent.ts";
import { createLlmAgent } from "./agent/llm-agent.ts";
import { currentTimeTool } from "./agent/tools.ts";
import { botTokenOf, type Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import { createAgentSession } from "./restate/agent-session.ts";
import { callerCheck } from "./restate/caller.ts";
import { createChannelSettings } from "./restate/channel-settings.ts";
import { createChatService } from "./restate/chat-service.ts";
import { createSlackChannel } from "./slack/durable/slack-channel.ts";
import { createSlackInstallation, type TokenRefresher } from "./slack/durable/slack-installation.ts";
import { slackSessionEffects } from "./slack/durable/slack-session-effects.ts";
import { createSlackThread } from "./slack/durable/slack-thread.ts";
import { createSlackWorkspace } from "./slack/durable/slack-workspace.ts";
import { createUserHome } from "./slack/durable/user-home.ts";
import type { Installations } from "./slack/installations.ts";
import { createLiveMessageUpdater } from "./slack/live-updates.ts";
import { postToChannelTool } from "./slack/post-to-channel-tool.ts";
import { readThreadTool } from "./slack/thread-tool.ts";
import { createSlackWebClient } from "./slack/web-api.ts";
import { installedClients, singleTokenClients, type WorkspaceClients } from "./slack/workspace-clients.ts";

/** A failing agent step is tried this often (with backoff) before its run ends as failed. */
export const AGENT_STEP_MAX_ATTEMPTS = 10;

/**
 * Restate's timeouts for the runs, set so that Restate never cuts a healthy step. Restate asks a run that
 * has journaled nothing for the inactivity timeout to suspend, and aborts the attempt the abort timeout
 * later; a step still running then is lost and runs again, and one that always takes that long never ends
 * (measured in test/integration/restate-timeouts.test.ts). Our longest step is a model call, which
 * `LLM_CALL_TIMEOUT` bounds: the abort timeout is that and a minute more, so our own bound always comes
 * first (and its retry is ours, counted). The demo agent's steps are short: the server's defaults.
 */
export function agentSessionTimeouts(
  agent: Config["agent"],
): { inactivityMs: number; abortMs: number } | null {
  if (agent.kind !== "llm") return null;
  return { inactivityMs: 60_000, abortMs: agent.timeouts.callMs + 60_000 };
}

/**
 * The clients the durable side calls Slack with: the app's one token (`SLACK_BOT_TOKEN`, the playground, or
 * none without Slack), or with OAuth each workspace's, from its installation at the time of the call.
 */
export function createWorkspaceClients(
  config: Config,
  installations: Installations | null,
  logger: Logger,
): WorkspaceClients {
  const clientWith = (token: string | null) =>
    createSlackWebClient({ url: config.slackApi.url, token, logger });
  const token = botTokenOf(config.slack);
  if (token !== null || !installations) return singleTokenClients(clientWith(token));
  return installedClients(installations, clientWith);
}

export function createServices(deps: {
  readonly config: Config;
  readonly agent: Agent;
  readonly logger: Logger;
  /** The key the Slack adapter signs with (`ADAPTER_KEY`): Slack facts are accepted only with it. */
  readonly adapterKey: string;
  /** Which token each workspace's Slack calls use (`createWorkspaceClients`). */
  readonly slack: WorkspaceClients;
  /** With OAuth: token rotation's exchange (oauth.ts `tokenRefresher`); absent: tokens are not refreshed. */
  readonly refresher?: TokenRefresher | null;
}) {
  const { config, agent, logger, adapterKey, slack } = deps;
  const caller = callerCheck(adapterKey);
  const journalRetentionMs = config.restate.journalRetentionMs;
  const liveMessages = createLiveMessageUpdater({
    slack,
    ingressUrls: config.restate.ingressUrls,
    adapterKey,
    logger,
  });
  // Sessions that came from Slack report to the Slack side; sessions started with curl have no origin
  // and report nowhere.
  const effects = slackSessionEffects(liveMessages);
  return [
    createChatService({
      defaultMode: config.defaultMode,
      queueMax: config.queueMax,
      idempotencyRetentionMs: config.restate.idempotencyRetentionMs,
      journalRetentionMs,
      effects,
      caller,
      approvals: config.approvals,
      windowTokens: agent.contextWindow?.limitTokens ?? null,
    }),
    createAgentSession({
      agent,
      effects,
      journalRetentionMs,
      stepMaxAttempts: AGENT_STEP_MAX_ATTEMPTS,
      restateTimeouts: agentSessionTimeouts(config.agent),
    }),
    createChannelSettings({
      journalRetentionMs,
      listingRetentionMs: config.restate.channelListingRetentionMs,
      caller,
    }),
    createSlackThread({ slack, journalRetentionMs }),
    createSlackChannel({ slack, postIntervalMs: config.slackApi.postIntervalMs, journalRetentionMs }),
    createSlackWorkspace({
      updateIntervalMs: config.slackApi.updateIntervalMs,
      dataGraceMs: config.slackApi.workspaceDataGraceMs,
      statusPerMinute: config.slackApi.statusPerMinute,
      journalRetentionMs,
      caller,
    }),
    createSlackInstallation({ journalRetentionMs, caller, refresher: deps.refresher ?? null }),
    createUserHome({
      slack,
      debounceMs: config.slackApi.homeDebounceMs,
      defaultMode: config.defaultMode,
      journalRetentionMs,
      caller,
    }),
  ];
}

/**
 * The agent the settings ask for: the demo agent (`AGENT=demo`, which with `DEMO_APPROVAL` asks to post
 * its results), or the LLM agent with its built-in tools (the current time; with Slack configured, reading
 * the thread and posting into a channel, which needs approval). Add tools here.
 */
export function createAgent(config: Config, slack: WorkspaceClients): Agent {
  const settings = config.agent;
  const withSlack = config.slack.mode !== "none";
  if (settings.kind === "demo")
    return createDemoAgent({
      ...settings,
      ...(settings.approval && withSlack ? { postTool: postToChannelTool(slack) } : {}),
    });
  const tools = [currentTimeTool];
  if (withSlack) tools.push(readThreadTool(slack), postToChannelTool(slack));
  return createLlmAgent({ ...settings, tools });
}
