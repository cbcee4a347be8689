/**
 * `npm run register` as docs/operations.md ("Registering") describes it, against an external Restate
 * server: it registers our endpoint, refuses to overwrite a deployment whose handlers changed (runs in
 * flight stay on the code they started with), and a new version at a new URL is the way to upgrade. A real
 * restate-server; the endpoints are served in this process, `npm run register` runs as a person runs it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import * as restate from "@restatedev/restate-sdk";
import { parseConfig } from "../../src/config.ts";
import { type ServicesEndpoint, startServicesEndpoint } from "../../src/restate/endpoint.ts";
import { createAgent, createServices, createWorkspaceClients } from "../../src/services.ts";
import { freePort } from "../helpers/free-ports.ts";
import { isolatedEnv } from "../helpers/main-process.ts";
import { TEST_ADAPTER_KEY } from "../helpers/product-settings.ts";
import { testLogger } from "../helpers/test-logger.ts";
import { startTestRestate } from "../helpers/test-restate.ts";

const root = new URL("../..", import.meta.url).pathname;

/** Runs `npm run register` with these settings only; resolves with its exit code and output. */
function npmRunRegister(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Not spawnSync: the endpoints Restate must reach while registering are served by this process.
  const child = spawn("npm", ["run", "--silent", "register"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** The next version of the product, as far as Restate can tell: ChatService with a handler it did not have. */
const changedChatService = restate.object({
  name: "ChatService",
  handlers: {
    process_user_message: async () => ({ decision: "from the new version" }),
    get_status: restate.handlers.object.shared(async () => ({ version: 2 })),
    summarize: async () => "a handler the running version does not have",
  },
});

interface AdminService {
  readonly name: string;
  readonly handlers: readonly { readonly name: string }[];
  readonly deployment_id: string;
}

test("npm run register does not overwrite a deployment whose handlers changed; a new URL registers the new version", async (t) => {
  const restateServer = await startTestRestate();
  t.after(() => restateServer.stop());
  const port = await freePort();
  const env: Record<string, string> = {
    ...(await isolatedEnv()),
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restateServer.ingressUrl,
    RESTATE_ADMIN_URL: restateServer.adminUrl,
    SERVICES_PORT: String(port),
    SLACK_MODE: "none",
  };
  const config = parseConfig(env);
  const serve = (services: restate.EndpointOptions["services"], at: number) =>
    startServicesEndpoint({ services, port: at, host: "127.0.0.1", logger: testLogger() });
  const chatService = async () =>
    (await (await fetch(`${restateServer.adminUrl}/services/ChatService`)).json()) as AdminService;

  let endpoint: ServicesEndpoint = await serve(
    createServices({
      config,
      agent: createAgent(config, createWorkspaceClients(config, null, testLogger())),
      logger: testLogger(),
      adapterKey: TEST_ADAPTER_KEY,
      slack: createWorkspaceClients(config, null, testLogger()),
    }),
    port,
  );
  const first = await npmRunRegister(env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`Registered http://127\\.0\\.0\\.1:${port} with .* ChatService`));
  const running = await chatService();
  const runningHandlers = running.handlers.map((h) => h.name).sort();
  assert.ok(runningHandlers.includes("process_user_message"));
  const again = await npmRunRegister(env);
  assert.equal(again.code, 0, `the same version registers again without complaint: ${again.stderr}`);

  // The new version replaces the old one at the same URL: registering it there is refused.
  await endpoint.close();
  endpoint = await serve([changedChatService], port);
  t.after(() => endpoint.close());
  const refused = await npmRunRegister(env);
  assert.equal(refused.code, 1, `refused, not overwritten:\n${refused.stdout}`);
  assert.match(
    refused.stderr,
    new RegExp(
      `Not registered: http://127\\.0\\.0\\.1:${port} is already registered as ${running.deployment_id} with different handlers`,
    ),
  );
  assert.match(
    refused.stderr,
    /run the new version at a new URL \(SERVICES_ADVERTISED_URL\) and register that/i,
    "the refusal says how to upgrade",
  );
  const unchanged = await chatService();
  assert.equal(
    unchanged.deployment_id,
    running.deployment_id,
    "ChatService still runs on the old deployment",
  );
  assert.deepEqual(
    unchanged.handlers.map((h) => h.name).sort(),
    runningHandlers,
    "its handlers are the old ones",
  );

  // The documented upgrade: the new version at a new URL registers, and new calls go to it.
  const nextPort = await freePort();
  const next = await serve([changedChatService], nextPort);
  t.after(() => next.close());
  const upgraded = await npmRunRegister({ ...env, SERVICES_ADVERTISED_URL: `http://127.0.0.1:${nextPort}` });
  assert.equal(upgraded.code, 0, upgraded.stderr);
  const now = await chatService();
  assert.notEqual(now.deployment_id, running.deployment_id);
  assert.ok(now.handlers.some((h) => h.name === "summarize"));
  const answer = await fetch(`${restateServer.ingressUrl}/ChatService/ellie/summarize`, { method: "POST" });
  assert.equal(await answer.json(), "a handler the running version does not have");
});
