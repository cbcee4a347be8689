/**
 * The settings (environment variables) that point the product at the parts a test runs: the emulated Slack
 * workspace, an external test restate-server, the fake model. One place for them, so every stack a test
 * starts is configured the same way; each test adds only what it is about.
 */
import type { SlackEmulator } from "../../src/slack-emulator/emulator.ts";
import type { FakeLlm } from "./fake-llm.ts";
import type { TestRestate } from "./test-restate.ts";

/** Slack over HTTP from the emulator's workspace, the app bound to loopback. */
export function emulatedSlackSettings(emulator: SlackEmulator): Record<string, string> {
  const bot = emulator.workspace.bot;
  return {
    SLACK_BOT_TOKEN: bot.botToken,
    SLACK_SIGNING_SECRET: bot.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
    SLACK_BIND_ADDRESS: "127.0.0.1",
  };
}

/** Slack's paces shortened so that a test does not wait a second per post. */
export const FAST_SLACK_PACES: Readonly<Record<string, string>> = {
  SLACK_POST_INTERVAL_MS: "50",
  SLACK_UPDATE_INTERVAL_MS: "200",
  HOME_DEBOUNCE_MS: "50",
  SLACK_STATUS_PER_MINUTE: "6000",
};

/** The LLM agent against the fake model server. */
export function fakeModelSettings(fake: FakeLlm): Record<string, string> {
  return { AGENT: "llm", LLM_BASE_URL: fake.baseUrl, LLM_API_KEY: fake.apiKey, LLM_MODEL: "fake-model-1" };
}

/**
 * The key the Slack adapter signs with, in every stack a test starts (so none writes one into the working
 * folder); tests that act as the adapter sign with it (`ingressClient(url, { adapterKey })`).
 */
export const TEST_ADAPTER_KEY = "test-adapter-key-0123456789abcdef0123456789abcdef";

/** An external restate-server that our endpoint (on `servicesPort`) registers with at start. */
export function externalRestateSettings(restate: TestRestate, servicesPort: number): Record<string, string> {
  return {
    ADAPTER_KEY: TEST_ADAPTER_KEY,
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_ADMIN_URL: restate.adminUrl,
    RESTATE_AUTO_REGISTER: "true",
    SERVICES_PORT: String(servicesPort),
  };
}
