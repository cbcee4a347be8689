/**
 * A real restate-server for tests, started with our own runtime code on free ports and a temporary data
 * folder, with a short retry interval so that recovery after a kill takes seconds.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureRequestIdentity } from "../../src/runtime/request-identity.ts";
import { registerDeployment } from "../../src/runtime/restate-admin.ts";
import { type EmbeddedRestate, startEmbeddedRestate } from "../../src/runtime/restate-server.ts";
import { adminQuery } from "./admin-query.ts";
import { freePorts } from "./free-ports.ts";
import { testLogger } from "./test-logger.ts";
import { waitFor } from "./wait.ts";

export interface TestRestate {
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly server: EmbeddedRestate;
  /** The key the server signs its requests with (`publickeyv1_...`), when started with `requestIdentity`. */
  readonly identityKey: string | null;
  register(endpointUrl: string): Promise<void>;
  /** Runs SQL against Restate's introspection tables (sys_invocation, sys_journal, state, ...). */
  query<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
  /** Waits until the journal of `invocationId` has an entry of `entryType` (e.g. "Command: Sleep"). */
  waitForJournalEntry(invocationId: string, entryType: string): Promise<void>;
  /** SIGKILL, then start again on the same data folder and ports. */
  killAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestRestate(settings: { requestIdentity?: boolean } = {}): Promise<TestRestate> {
  const dataDir = mkdtempSync(join(tmpdir(), "restate-test-"));
  const identity = settings.requestIdentity ? ensureRequestIdentity(dataDir) : null;
  const [ingressPort, adminPort, nodePort] = (await freePorts(3)) as [number, number, number];
  const options = {
    dataDir,
    bindAddress: "127.0.0.1",
    ingressPort,
    adminPort,
    nodePort,
    logger: testLogger(),
    retryPolicy: { initialIntervalMs: 50, maxIntervalMs: 500 },
    ...(identity ? { requestIdentityKeyPath: identity.privateKeyPath } : {}),
  };
  let server = await startEmbeddedRestate(options);
  const handle: TestRestate = {
    ingressUrl: server.ingressUrl,
    adminUrl: server.adminUrl,
    dataDir,
    identityKey: identity?.publicKey ?? null,
    get server() {
      return server;
    },
    async register(endpointUrl) {
      await registerDeployment({ adminUrl: server.adminUrl, endpointUrl, force: true });
    },
    query: <Row>(sql: string) => adminQuery<Row>(server.adminUrl, sql),
    async waitForJournalEntry(invocationId, entryType) {
      await waitFor(
        async () =>
          (
            await handle.query(
              `SELECT index FROM sys_journal WHERE id = '${invocationId}' AND entry_type = '${entryType}'`,
            )
          ).length > 0,
        { what: `${entryType} in the journal of ${invocationId}` },
      );
    },
    async killAndRestart() {
      server.kill("SIGKILL");
      await server.exited;
      server = await startEmbeddedRestate(options);
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface RunInvocation {
  readonly id: string;
  /** The run id: the part of the AgentSession key after the session key. */
  readonly runId: string;
  readonly status: string;
}

/** The AgentSession runs of a session as Restate's introspection lists them, oldest first. */
export async function runInvocations(
  restate: Pick<TestRestate, "query">,
  sessionKey: string,
): Promise<RunInvocation[]> {
  const rows = await restate.query<{ id: string; target_service_key: string; status: string }>(
    `SELECT id, target_service_key, status FROM sys_invocation WHERE target_service_name = 'AgentSession' AND target_handler_name = 'run' AND target_service_key LIKE '${sessionKey}/%' ORDER BY created_at`,
  );
  return rows.map((row) => ({
    id: row.id,
    runId: row.target_service_key.slice(sessionKey.length + 1),
    status: row.status,
  }));
}

/** Waits until a run's invocation has completed: whatever it was going to send, it has sent. */
export async function runCompleted(
  restate: Pick<TestRestate, "query">,
  sessionKey: string,
  runId: string,
): Promise<void> {
  await waitFor(
    async () =>
      (await runInvocations(restate, sessionKey)).some((r) => r.runId === runId && r.status === "completed"),
    { what: `run ${runId} of ${sessionKey} to complete` },
  );
}

/** How a run ended, as Restate records its invocation; null while it has not completed. */
export type RunEnd = "done" | "interrupted" | "failed";

/**
 * The end of each completed run of a session, by run id, from Restate's record of its invocation (kept as
 * long as its journal): a run's own `progress` is forgotten once the session has heard of its end.
 */
export async function runEnds(
  restate: Pick<TestRestate, "query">,
  sessionKey: string,
): Promise<Map<string, RunEnd>> {
  const rows = await restate.query<{
    target_service_key: string;
    completion_result: string | null;
    completion_failure: string | null;
  }>(
    `SELECT target_service_key, completion_result, completion_failure FROM sys_invocation WHERE target_service_name = 'AgentSession' AND target_handler_name = 'run' AND target_service_key LIKE '${sessionKey}/%' AND status = 'completed'`,
  );
  return new Map(
    rows.map((row) => [
      row.target_service_key.slice(sessionKey.length + 1),
      row.completion_result === "success"
        ? "done"
        : /\b409\b|cancel/i.test(row.completion_failure ?? "")
          ? "interrupted"
          : "failed",
    ]),
  );
}
