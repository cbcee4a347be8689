/**
 * Runs restate-server from node_modules as a child process, for `npm start` and the tests alike: writes its
 * configuration into the data folder, checks its ports, starts it, waits until ingress and admin answer.
 * The real binary is spawned, not the npm wrapper, so signals reach the server itself; it has its own
 * process group, so a Ctrl-C reaches only us and we stop it in order (on Linux it also gets SIGTERM if we
 * die without cleaning up). It runs under umask 077 in a data folder only its owner may enter, so what
 * people write (in RocksDB's files) is never readable by other local users. It knows nothing of our services.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { assertPortFree } from "./ports.ts";
import { ensurePrivateFolder, tightenedMessage } from "./private-folder.ts";

export interface EmbeddedRestateOptions {
  readonly dataDir: string;
  readonly bindAddress: string;
  readonly ingressPort: number;
  readonly adminPort: number;
  readonly nodePort: number;
  readonly logger: Logger;
  /** Retry policy for failing invocations; tests shorten it so recovery takes seconds. */
  readonly retryPolicy?: { readonly initialIntervalMs: number; readonly maxIntervalMs: number };
  /** How long to wait for the server to become healthy. */
  readonly startTimeoutMs?: number;
  /** Private key (PEM file) the server signs its requests to our endpoint with. */
  readonly requestIdentityKeyPath?: string;
  /** One node of a cluster (src/cluster/restate-cluster.ts); alone when absent. */
  readonly cluster?: ClusterNodeOptions;
}

/** What makes a server one node of a cluster (docs/production.md shows the same file for real machines). */
export interface ClusterNodeOptions {
  /** Unique in the cluster. */
  readonly nodeName: string;
  /** The same on every node. */
  readonly clusterName: string;
  /** Provisions the cluster on first start: at most one node may. */
  readonly autoProvision: boolean;
  /** On how many nodes each log record and partition is kept (2 of 3 survives the loss of one node). */
  readonly replication: number;
  /** Every node's address (`http://host:port/`), where each finds the metadata servers. */
  readonly metadataAddresses: readonly string[];
}

export interface EmbeddedRestate {
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Resolves with the exit code (or signal name) when the process ends, for whatever reason. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not stopped after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Sends a signal without waiting (the fault tests use SIGKILL). */
  kill(signal: NodeJS.Signals): void;
}

const NODE_NAME = "embedded";

/** Where the server binary of this platform lives inside node_modules. */
export function restateServerBinary(): string {
  const requireFromWrapper = createRequire(
    createRequire(import.meta.url).resolve("@restatedev/restate-server/package.json"),
  );
  const name = `@restatedev/restate-server-${platform()}-${arch()}`;
  try {
    return requireFromWrapper.resolve(`${name}/bin/restate-server`);
  } catch (error) {
    throw new StartupError(
      `The Restate server binary for ${platform()}-${arch()} (${name}) is not installed. Run npm install again, ` +
        "or set RESTATE_EMBEDDED=false and point RESTATE_INGRESS_URL and RESTATE_ADMIN_URL at a running server.",
      { cause: error },
    );
  }
}

function loopbackFor(bindAddress: string): string {
  return bindAddress === "0.0.0.0" || bindAddress === "::" ? "127.0.0.1" : bindAddress;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** How much of an object's state the server sends with each invocation (`eager-state-size-limit`). */
export const EAGER_STATE_SIZE_LIMIT = "1.0 MiB";

/** The server's configuration file: ports and addresses from our settings, nothing left to its defaults that matters. */
export function restateConfigToml(options: EmbeddedRestateOptions): string {
  const bind = urlHost(options.bindAddress);
  const { cluster } = options;
  const lines = [
    "# Written by src/runtime/restate-server.ts at every start from our settings: change the settings, not this file.",
    ...(cluster
      ? [
          'roles = ["metadata-server", "admin", "worker", "log-server", "http-ingress"]',
          `cluster-name = ${JSON.stringify(cluster.clusterName)}`,
          `auto-provision = ${cluster.autoProvision}`,
          `default-replication = ${cluster.replication}`,
        ]
      : []),
    'listen-mode = "tcp"',
    `bind-address = "${bind}:${options.nodePort}"`,
    `advertised-address = "http://${urlHost(loopbackFor(options.bindAddress))}:${options.nodePort}/"`,
    "disable-telemetry = true",
    'log-format = "compact"',
    "log-disable-ansi-codes = true",
    'shutdown-timeout = "10s"',
    "",
    "[ingress]",
    `bind-address = "${bind}:${options.ingressPort}"`,
    "",
    "[admin]",
    `bind-address = "${bind}:${options.adminPort}"`,
  ];
  if (cluster) {
    lines.push(
      "",
      "[metadata-client]",
      `addresses = [${cluster.metadataAddresses.map((a) => JSON.stringify(a)).join(", ")}]`,
      "",
      "[bifrost]",
      'default-provider = "replicated"',
    );
  }
  lines.push(
    "",
    "[worker.invoker]",
    // An object's state goes with each of its invocations, up to this much (the server's default: 32 MiB);
    // beyond it the SDK reads the rest when asked. A long thread's history chunks then stay at the server
    // unless a handler reads them (docs/llm-agent.md#what-the-model-sees).
    `eager-state-size-limit = "${EAGER_STATE_SIZE_LIMIT}"`,
  );
  if (options.requestIdentityKeyPath) {
    lines.push(`request-identity-private-key-pem-file = ${JSON.stringify(options.requestIdentityKeyPath)}`);
  }
  if (options.retryPolicy) {
    lines.push(
      "",
      "[default-retry-policy]",
      `initial-interval = "${options.retryPolicy.initialIntervalMs}ms"`,
      `max-interval = "${options.retryPolicy.maxIntervalMs}ms"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A restate-server from an earlier run that died without stopping it (SIGKILL, power loss) holds the data folder. */
async function stopLeftover(pidFile: string, logger: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let command = "";
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // not Linux, or already gone: nothing we can verify, so leave it alone
  }
  if (!command.includes("restate-server")) return;
  logger.warn({ pid }, "Stopping a restate-server left running by an earlier run on this data folder");
  process.kill(pid, "SIGTERM");
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) await delay(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log)";
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

let setprivAvailable: boolean | undefined;
/** `setpriv --pdeathsig` (util-linux) makes the kernel send SIGTERM to the server when we die. */
function hasSetpriv(): boolean {
  if (setprivAvailable === undefined) {
    setprivAvailable =
      platform() === "linux" && spawnSync("setpriv", ["--help"], { stdio: "ignore" }).status === 0;
  }
  return setprivAvailable;
}

/**
 * The command that starts the server: under umask 077, so the files it creates get no permission for group
 * or others (RocksDB creates them 0644 otherwise), set by a shell that then execs (the pid stays the
 * server's); with `setpriv --pdeathsig` where available.
 */
export function serverCommand(binary: string, args: readonly string[]): { file: string; args: string[] } {
  const server = hasSetpriv() ? ["setpriv", "--pdeathsig", "TERM", "--", binary, ...args] : [binary, ...args];
  return {
    file: "/bin/sh",
    args: ["-c", 'umask 077 && exec "$@"', "restate-server", ...server],
  };
}

/**
 * The server's environment: ours without any `RESTATE_*` variable. restate-server reads those as its own
 * configuration, over the file we write, and some of our settings share the prefix (`RESTATE_BIND_ADDRESS`
 * would move its node port back to 5122); the file alone configures it.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("RESTATE_")));
}

export async function startEmbeddedRestate(options: EmbeddedRestateOptions): Promise<EmbeddedRestate> {
  const { logger } = options;
  const dataDir = resolve(options.dataDir);
  const folder = ensurePrivateFolder(dataDir);
  if (folder.tightenedFrom !== null) logger.warn(tightenedMessage(folder));
  const pidFile = join(dataDir, "restate-server.pid");
  const logFile = join(dataDir, "restate-server.log");
  const configFile = join(dataDir, "restate.toml");
  await stopLeftover(pidFile, logger);

  const host = options.bindAddress;
  await assertPortFree(options.ingressPort, host, "the Restate ingress (RESTATE_INGRESS_URL)");
  await assertPortFree(options.adminPort, host, "the Restate admin API (RESTATE_ADMIN_URL)");
  await assertPortFree(options.nodePort, host, "the Restate node (RESTATE_NODE_PORT)");

  writeFileSync(configFile, restateConfigToml(options), { mode: 0o600 });
  const binary = restateServerBinary();
  const nodeName = options.cluster?.nodeName ?? NODE_NAME;
  const args = ["--config-file", configFile, "--base-dir", dataDir, "--node-name", nodeName, "--no-logo"];
  const logFd = openSync(logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    // The server's log may quote what people write (a failing invocation's input): a log from an older run is narrowed too.
    fchmodSync(logFd, 0o600);
    const command = serverCommand(binary, args);
    child = spawn(command.file, command.args, {
      stdio: ["ignore", logFd, logFd],
      detached: true,
      env: serverEnvironment(process.env),
    });
  } finally {
    closeSync(logFd);
  }
  const spawnError = new Promise<Error>((resolveError) => child.once("error", resolveError));
  const pid = child.pid;
  if (pid === undefined) throw new StartupError(`Could not start ${binary}: ${(await spawnError).message}`);
  writeFileSync(pidFile, `${pid}\n`, { mode: 0o600 });

  const exited = new Promise<number | string>((resolveExit) => {
    child.once("exit", (code, signal) => {
      if (existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() === String(pid))
        rmSync(pidFile, { force: true });
      resolveExit(code ?? signal ?? "unknown");
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const clientHost = urlHost(loopbackFor(host));
  const ingressUrl = `http://${clientHost}:${options.ingressPort}`;
  const adminUrl = `http://${clientHost}:${options.adminPort}`;

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (hasExited) {
      throw new StartupError(
        `restate-server exited during start-up (${await exited}). Its last log lines (${logFile}):\n${lastLines(logFile, 15)}`,
      );
    }
    if ((await answers(`${adminUrl}/health`)) && (await answers(`${ingressUrl}/restate/health`))) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new StartupError(
        `restate-server did not become healthy in time. Its last log lines (${logFile}):\n${lastLines(logFile, 15)}`,
      );
    }
    await delay(50);
  }

  const kill = (signal: NodeJS.Signals) => {
    if (!hasExited) child.kill(signal);
  };
  return {
    ingressUrl,
    adminUrl,
    pid,
    dataDir,
    exited,
    kill,
    async stop(graceMs = 15_000) {
      if (hasExited) return;
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
