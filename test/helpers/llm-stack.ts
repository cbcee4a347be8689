/**
 * The LLM agent in this process against the Slack emulator and the fake model server, on a test
 * restate-server whose retries come quickly (50 ms to 500 ms apart), so that a failure retried ten times
 * takes seconds. For promises that need the agent's own options (a short stall timeout); settings that a
 * person sets belong in tests of `node src/main.ts` (llm-product.ts).
 */
import { createLlmAgent, type LlmAgentOptions } from "../../src/agent/llm-agent.ts";
import { currentTimeTool } from "../../src/agent/tools.ts";
import { type App, startApp } from "../../src/app.ts";
import { botTokenOf, parseConfig } from "../../src/config.ts";
import { postToChannelTool } from "../../src/slack/post-to-channel-tool.ts";
import { createSlackWebClient } from "../../src/slack/web-api.ts";
import { singleTokenClients } from "../../src/slack/workspace-clients.ts";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { type FakeLlm, startFakeLlm } from "./fake-llm.ts";
import { freePorts } from "./free-ports.ts";
import { type ThreadActions, threadActions } from "./llm-product.ts";
import {
  emulatedSlackSettings,
  externalRestateSettings,
  FAST_SLACK_PACES,
  fakeModelSettings,
} from "./product-settings.ts";
import { testLogger } from "./test-logger.ts";
import { startTestRestate, type TestRestate } from "./test-restate.ts";

export interface LlmStack extends ThreadActions {
  readonly emulator: SlackEmulator;
  readonly fake: FakeLlm;
  readonly restate: TestRestate;
  readonly app: App;
  close(): Promise<void>;
}

/** `env`: settings beside the stack's own (`LLM_*_TIMEOUT`, say). */
export async function startLlmStack(
  options: { env?: Record<string, string> } & Partial<Pick<LlmAgentOptions, "maxAttempts">> = {},
): Promise<LlmStack> {
  const { env, ...agentOptions } = options;
  const emulator = await startSlackEmulator();
  const fake = await startFakeLlm();
  const restate = await startTestRestate();
  const [servicesPort, boltPort] = (await freePorts(2)) as [number, number];
  const config = parseConfig({
    ...externalRestateSettings(restate, servicesPort),
    ...emulatedSlackSettings(emulator),
    PORT: String(boltPort),
    ...FAST_SLACK_PACES,
    ...fakeModelSettings(fake),
    ...env,
  });
  if (config.agent.kind !== "llm") throw new Error("AGENT=llm gives LLM settings");
  // The product's tool that acts (it asks for approval first), against the emulator.
  const client = createSlackWebClient({
    url: config.slackApi.url,
    token: botTokenOf(config.slack),
    logger: testLogger(),
  });
  const tools = [currentTimeTool, postToChannelTool(singleTokenClients(client))];
  const agent = createLlmAgent({ ...config.agent, tools, ...agentOptions });
  const app = await startApp({ config, logger: testLogger(), agent });
  emulator.appUrl = app.slack?.eventsUrl ?? null;
  return {
    emulator,
    fake,
    restate,
    app,
    ...threadActions(emulator),
    async close() {
      await app.stop();
      await fake.close();
      await emulator.close();
      await restate.stop();
    },
  };
}
