/**
 * The parts apart, as real processes of `src/main.ts`: one `ROLE=services` (our endpoint alone, registered
 * with an external restate-server that signs its requests) and one `ROLE=slack` (the Bolt app alone, over
 * HTTP against the emulator). A mention reaches the session through the adapter process, runs in the services
 * process, and the answer lands in the thread; neither process opens the other's port.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { freePorts } from "../helpers/free-ports.ts";
import { type MainProcess, startMain } from "../helpers/main-process.ts";
import { startTestRestate, type TestRestate } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

const ADAPTER_KEY = "roles-test-adapter-key-0123456789abcdef";

let restate: TestRestate;
let emulator: SlackEmulator;
let services: MainProcess;
let slack: MainProcess;
let ports: { services: number; bolt: number; unusedBolt: number; unusedServices: number };

before(async () => {
  restate = await startTestRestate({ requestIdentity: true });
  emulator = await startSlackEmulator();
  const [a, b, c, d] = (await freePorts(4)) as [number, number, number, number];
  ports = { services: a, bolt: b, unusedBolt: c, unusedServices: d };
  const shared = {
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_ADMIN_URL: restate.adminUrl,
    ADAPTER_KEY,
    SLACK_BOT_TOKEN: emulator.workspace.bot.botToken,
    SLACK_SIGNING_SECRET: emulator.workspace.bot.signingSecret,
    SLACK_API_URL: emulator.apiUrl,
    SLACK_BIND_ADDRESS: "127.0.0.1",
    DEMO_ITERATION_MS: "0",
    DEMO_MAX_ITERATIONS: "1",
    SLACK_POST_INTERVAL_MS: "50",
    LOG_FORMAT: "json",
  };
  services = startMain({
    ...shared,
    ROLE: "services",
    RESTATE_IDENTITY_KEYS: restate.identityKey ?? "",
    RESTATE_AUTO_REGISTER: "true",
    SERVICES_PORT: String(ports.services),
    PORT: String(ports.unusedBolt),
  });
  await services.waitForLine(/^Ready$/);
  slack = startMain({
    ...shared,
    ROLE: "slack",
    PORT: String(ports.bolt),
    SERVICES_PORT: String(ports.unusedServices),
  });
  await slack.waitForLine(/^Ready$/);
  emulator.appUrl = `http://127.0.0.1:${ports.bolt}/slack/events`;
});

after(async () => {
  await slack?.stop();
  await services?.stop();
  await emulator?.close();
  await restate?.stop();
});

const answers = async (url: string) =>
  fetch(url, { method: "POST", signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );

test("a mention reaches the services process through the Slack process, and is answered in its thread", async () => {
  assert.ok(services.lines.some((line) => /^ROLE=services: our services endpoint alone/.test(line.msg)));
  assert.ok(slack.lines.some((line) => /^ROLE=slack: the Slack adapter alone/.test(line.msg)));
  // Each process opened only its own port.
  assert.equal(
    await answers(`http://127.0.0.1:${ports.unusedBolt}/slack/events`),
    false,
    "no Bolt app in services",
  );
  assert.equal(await answers(`http://127.0.0.1:${ports.unusedServices}/`), false, "no endpoint in slack");
  const { message, answers: acks } = await emulator.userPosts({
    user: "U0ALICE01",
    channel: "C0GENERAL",
    text: "<@U0AGENT01> hello across processes",
  });
  assert.deepEqual(
    acks.map((a) => a.status),
    [200, 200],
  );
  await waitFor(() => emulator.thread("C0GENERAL", message.ts).some((m) => m.text === "Done") || undefined, {
    what: "the answer in the thread",
  });
});

test("a services process without the cluster's request identity, or a Slack process without ADAPTER_KEY, does not start", async () => {
  const lacking = startMain({
    ROLE: "services",
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_ADMIN_URL: restate.adminUrl,
    SLACK_MODE: "none",
    LOG_FORMAT: "json",
  });
  assert.equal(await lacking.exited, 1);
  assert.match(lacking.output(), /ADAPTER_KEY: missing: ROLE=services/);
  assert.match(lacking.output(), /RESTATE_IDENTITY_KEYS: missing: ROLE=services/);
});
