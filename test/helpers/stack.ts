/**
 * A whole running core for integration tests: real restate-server, our real services (in this process,
 * or in a child process that can be killed), the scripted agent and its step sink, and an ingress client.
 * Everything listens on free ports and is stopped by `close()`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Env, parseConfig } from "../../src/config.ts";
import type { RunProgress } from "../../src/restate/agent-session.ts";
import type { MessageReceipt, SessionStatus } from "../../src/restate/chat-service.ts";
import { type ServicesEndpoint, startServicesEndpoint } from "../../src/restate/endpoint.ts";
import { parseSessionKey } from "../../src/restate/keys.ts";
import { createServices, createWorkspaceClients } from "../../src/services.ts";
import { freePort } from "./free-ports.ts";
import { type IngressClient, ingressClient } from "./ingress.ts";
import { TEST_ADAPTER_KEY } from "./product-settings.ts";
import { createScriptedAgent } from "./scripted-agent.ts";
import { type HistoryLine, sessionReads } from "./session-reads.ts";
import { type StepSink, startStepSink } from "./step-sink.ts";
import { testLogger } from "./test-logger.ts";
import { type RunEnd, runEnds, startTestRestate, type TestRestate } from "./test-restate.ts";

export interface StackOptions {
  /** Extra settings (QUEUE_MAX, MODE, ...). */
  readonly env?: Env;
  /** Run the services in a child process that tests can kill (default: in this process). */
  readonly servicesInChild?: boolean;
  /** Child process only: gate every start of AgentSession.run on the sink (kind `run-start`). */
  readonly gateRunStart?: boolean;
}

export interface Stack {
  readonly restate: TestRestate;
  readonly sink: StepSink;
  /** The ingress as curl calls it. */
  readonly ingress: IngressClient;
  /** The ingress as our Slack adapter calls it: every request signed with the adapter key. */
  readonly adapter: IngressClient;
  /** The services child process (only with `servicesInChild`). */
  readonly services: ServicesChild | null;
  /** Sends a user message that must be accepted (not ignored); as the adapter for a Slack thread or a `user`. */
  sendMessage(key: string, content: string, user?: string): Promise<AcceptedReceipt>;
  status(key: string): Promise<SessionStatus>;
  history(key: string): Promise<HistoryLine[]>;
  /** A run's `progress` state as stored (null once the session has heard of its end and it is forgotten). */
  progress(sessionKey: string, runId: string): Promise<RunProgress | null>;
  /** How a run ended, once it has (see `runEnds`). */
  runEnd(sessionKey: string, runId: string): Promise<RunEnd | null>;
  setMode(key: string, mode: string | null): Promise<void>;
  close(): Promise<void>;
}

export type AcceptedReceipt = MessageReceipt & { readonly messageId: string; readonly runId: string };

export interface ServicesChild {
  readonly logFile: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

const servicesEntry = new URL("./services-process.ts", import.meta.url).pathname;

function spawnServicesChild(
  env: Record<string, string>,
  logFile: string,
): ServicesChild & { stop(): Promise<void> } {
  let child: ChildProcess | null = null;
  const log = createWriteStream(logFile, { flags: "a" });
  const start = async () => {
    const proc = spawn(process.execPath, [servicesEntry], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    proc.stderr?.pipe(log, { end: false });
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      proc.stdout?.on("data", (chunk: Buffer) => {
        log.write(chunk);
        seen += chunk.toString();
        if (seen.includes("listening on")) resolve();
      });
      proc.once("exit", (code) =>
        reject(new Error(`services process exited with ${code} before listening; see ${logFile}`)),
      );
    });
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGKILL");
    await exited;
  };
  return { logFile, start, kill, stop: kill };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sink = await startStepSink();
  const restate = await startTestRestate();
  const port = await freePort();
  const env: Record<string, string> = {
    // The durable core alone: sessions from curl, no Slack (unless a test says otherwise).
    SLACK_MODE: "none",
    ADAPTER_KEY: TEST_ADAPTER_KEY,
    ...Object.fromEntries(
      Object.entries(options.env ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_ADMIN_URL: restate.adminUrl,
    SERVICES_PORT: String(port),
    SINK_URL: sink.url,
    LOG_LEVEL: process.env.TEST_LOG === "1" ? "debug" : "info",
  };
  let endpoint: ServicesEndpoint | null = null;
  let child: (ServicesChild & { stop(): Promise<void> }) | null = null;
  const logDir = mkdtempSync(join(tmpdir(), "services-"));
  if (options.servicesInChild) {
    const logFile = join(logDir, "services.log");
    child = spawnServicesChild({ ...env, ...(options.gateRunStart ? { GATE_RUN_START: "1" } : {}) }, logFile);
    await child.start();
  } else {
    const config = parseConfig(env);
    endpoint = await startServicesEndpoint({
      services: createServices({
        config,
        agent: createScriptedAgent(sink.url),
        logger: testLogger(),
        adapterKey: TEST_ADAPTER_KEY,
        slack: createWorkspaceClients(config, null, testLogger()),
      }),
      port,
      host: "127.0.0.1",
      logger: testLogger(),
    });
  }
  await restate.register(`http://127.0.0.1:${port}`);
  const ingress = ingressClient(restate.ingressUrl);
  const adapter = ingressClient(restate.ingressUrl, { adapterKey: TEST_ADAPTER_KEY });
  // A Slack thread's session, or a message that says who wrote it, is written by the adapter (signed).
  const writerOf = (key: string, slackFacts = false) =>
    parseSessionKey(key) || slackFacts ? adapter : ingress;
  const path = (key: string, handler: string) => `ChatService/${encodeURIComponent(key)}/${handler}`;
  const reads = sessionReads(ingress);

  return {
    restate,
    sink,
    ingress,
    adapter,
    services: child,
    sendMessage: async (key, content, user) => {
      const receipt = await writerOf(key, user !== undefined).call<MessageReceipt>(
        path(key, "process_user_message"),
        {
          content,
          role: "user",
          ...(user ? { user } : {}),
        },
      );
      if (receipt.messageId === null || receipt.runId === null)
        throw new Error(`message was ${receipt.decision}`);
      return receipt as AcceptedReceipt;
    },
    status: reads.status,
    history: reads.history,
    progress: async (sessionKey, runId) => {
      const rows = await restate.query<{ value_utf8: string }>(
        `SELECT value_utf8 FROM state WHERE service_name = 'AgentSession' AND service_key = '${sessionKey}/${runId}' AND key = 'progress'`,
      );
      return rows[0] ? (JSON.parse(rows[0].value_utf8) as RunProgress) : null;
    },
    runEnd: async (sessionKey, runId) => (await runEnds(restate, sessionKey)).get(runId) ?? null,
    setMode: async (key, mode) => {
      const slack = parseSessionKey(key) !== null;
      await writerOf(key).call(path(key, "set_mode"), { mode, ...(slack ? { by: "U0OPERATOR" } : {}) });
    },
    async close() {
      await sink.close();
      await child?.stop();
      await endpoint?.close();
      await restate.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A session key no other test in this process uses. */
export function uniqueKey(prefix = "s"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
