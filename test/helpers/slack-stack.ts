/**
 * The whole product against the Slack emulator: a real restate-server, our services and the real Bolt app
 * (over HTTP with signed requests, or in Socket Mode), with the scripted agent so that tests decide what
 * each step answers and when. Everything on free ports, stopped by `close()`.
 */
import { type App, startApp } from "../../src/app.ts";
import { botTokenOf, type Env, parseConfig } from "../../src/config.ts";
import type { Logger } from "../../src/logger.ts";
import { postToChannelTool } from "../../src/slack/post-to-channel-tool.ts";
import { createSlackWebClient } from "../../src/slack/web-api.ts";
import { singleTokenClients } from "../../src/slack/workspace-clients.ts";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { freePorts } from "./free-ports.ts";
import { type IngressClient, ingressClient } from "./ingress.ts";
import { emulatedSlackSettings, externalRestateSettings, TEST_ADAPTER_KEY } from "./product-settings.ts";
import { createScriptedAgent } from "./scripted-agent.ts";
import { type StepSink, startStepSink } from "./step-sink.ts";
import { testLogger } from "./test-logger.ts";
import { startTestRestate, type TestRestate } from "./test-restate.ts";

export interface SlackStack {
  readonly emulator: SlackEmulator;
  readonly restate: TestRestate;
  readonly sink: StepSink;
  readonly app: App;
  /** The ingress as curl calls it. */
  readonly ingress: IngressClient;
  /** The ingress as our Slack adapter calls it: every request signed with the adapter key. */
  readonly adapter: IngressClient;
  close(): Promise<void>;
}

export async function startSlackStack(
  options: {
    socketMode?: boolean;
    env?: Env;
    emulator?: Parameters<typeof startSlackEmulator>[0];
    /** Where the product logs (silent by default). */
    logger?: Logger;
  } = {},
): Promise<SlackStack> {
  const emulator = await startSlackEmulator(options.emulator ?? {});
  const restate = await startTestRestate();
  const sink = await startStepSink();
  const [servicesPort, boltPort] = (await freePorts(2)) as [number, number];
  const bot = emulator.workspace.bot;
  const env: Record<string, string | undefined> = {
    ...externalRestateSettings(restate, servicesPort),
    ...emulatedSlackSettings(emulator),
    ...(options.socketMode ? { SLACK_APP_TOKEN: bot.appToken } : {}),
    PORT: String(boltPort),
    SLACK_POST_INTERVAL_MS: "50",
    SLACK_STATUS_PER_MINUTE: "6000",
    HOME_DEBOUNCE_MS: "50",
    ...options.env,
  };
  const config = parseConfig(env);
  const logger = options.logger ?? testLogger();
  // The product's tool that acts, for steps that ask for it (`tool` in a step reply).
  const client = createSlackWebClient({ url: config.slackApi.url, token: botTokenOf(config.slack), logger });
  const app = await startApp({
    config,
    logger,
    agent: createScriptedAgent(sink.url, [postToChannelTool(singleTokenClients(client))]),
  });
  emulator.appUrl = options.socketMode ? null : (app.slack?.eventsUrl ?? null);
  if (options.socketMode) await emulator.socketConnected();
  return {
    emulator,
    restate,
    sink,
    app,
    ingress: ingressClient(restate.ingressUrl),
    adapter: ingressClient(restate.ingressUrl, { adapterKey: TEST_ADAPTER_KEY }),
    async close() {
      await app.stop();
      await sink.close();
      await emulator.close();
      await restate.stop();
    },
  };
}
