/**
 * The local cluster's load balancer: Debian's haproxy, with one front door for each thing that has several
 * copies behind it. Restate reaches our ROLE=services processes through it over HTTP/2 (our endpoint speaks
 * nothing else: `proto h2` on both sides); Slack reaches the ROLE=slack processes (HTTP mode); people and
 * scripts reach the Restate nodes' ingress and admin API. A copy that stops answering is taken out within a
 * second, and a connection that could not be made is tried on another copy (never a request that was sent).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StartupError } from "../errors.ts";
import { assertPortFree } from "../runtime/ports.ts";
import { serverCommand } from "../runtime/restate-server.ts";

export interface Frontend {
  readonly name: string;
  readonly port: number;
  /** host:port of each copy. */
  readonly servers: readonly string[];
  /** HTTP/2 without TLS (h2c) to the copies and from the callers: our services endpoint. */
  readonly h2?: boolean;
  /** A GET that answers 200 when the copy can serve (else a TCP connect is the check). */
  readonly healthPath?: string;
}

export interface LoadBalancer {
  readonly configFile: string;
  /** Resolves once the front door on `port` has a copy in service (it answers other than 503). */
  serving(port: number): Promise<void>;
  stop(): Promise<void>;
}

export function haproxyBinary(): string {
  for (const candidate of ["/usr/sbin/haproxy", "haproxy"]) {
    if (spawnSync(candidate, ["-v"], { stdio: "ignore" }).status === 0) return candidate;
  }
  throw new StartupError(
    "The local cluster needs haproxy as its load balancer: install it (Debian: apt-get install haproxy).",
  );
}

export function haproxyConfig(frontends: readonly Frontend[]): string {
  const lines = [
    "# Written by src/cluster/load-balancer.ts at every start of the local cluster.",
    "global",
    "  maxconn 4096",
    // Without it a second haproxy on the same ports would share them silently (SO_REUSEPORT).
    "  noreuseport",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    // Restate holds an invocation's HTTP/2 stream open while the handler runs, a model call included (a
    // wait for approval is suspended, not held): longer than any step may take (Restate's abort timeout,
    // LLM_CALL_TIMEOUT + 1 minute, set by our services), or a long model call would be cut and retried.
    "  timeout client 2h",
    "  timeout server 2h",
    "  timeout http-request 10s",
    // A connection that could not be made was never a request: try another copy. Nothing else is retried.
    "  retries 3",
    "  option redispatch",
    "  retry-on conn-failure",
  ];
  for (const frontend of frontends) {
    const proto = frontend.h2 ? " proto h2" : "";
    lines.push(
      "",
      `frontend ${frontend.name}`,
      `  bind 127.0.0.1:${frontend.port}${proto}`,
      `  default_backend ${frontend.name}_copies`,
      `backend ${frontend.name}_copies`,
      "  balance roundrobin",
      ...(frontend.healthPath
        ? [`  option httpchk GET ${frontend.healthPath}`, "  http-check expect status 200"]
        : []),
      ...frontend.servers.map(
        (server, index) =>
          `  server ${frontend.name}${index + 1} ${server}${proto} check inter 300ms fall 2 rise 2`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function startLoadBalancer(options: {
  readonly dataDir: string;
  readonly frontends: readonly Frontend[];
}): Promise<LoadBalancer> {
  const binary = haproxyBinary();
  for (const frontend of options.frontends)
    await assertPortFree(frontend.port, "127.0.0.1", `the local cluster's ${frontend.name} front door`);
  const configFile = join(options.dataDir, "haproxy.cfg");
  writeFileSync(configFile, haproxyConfig(options.frontends), { mode: 0o600 });
  const check = spawnSync(binary, ["-c", "-q", "-f", configFile], { encoding: "utf8" });
  if (check.status !== 0) throw new StartupError(`haproxy refused ${configFile}:\n${check.stderr}`);
  const logFd = openSync(join(options.dataDir, "haproxy.log"), "a", 0o600);
  let child: ChildProcess;
  try {
    // -db: stay in the foreground, so that it is our child and dies with us (serverCommand).
    const command = serverCommand(binary, ["-db", "-f", configFile]);
    child = spawn(command.file, command.args, { stdio: ["ignore", logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Ready when every front door takes connections.
  for (const frontend of options.frontends) {
    await until(
      async () => (await answerOn(frontend.port)) !== "refused",
      10_000,
      () => child.exitCode !== null,
      `haproxy did not open port ${frontend.port} (${frontend.name})`,
    );
  }
  return {
    configFile,
    async serving(port) {
      await until(
        async () => ![503, "refused", "failed"].includes(await answerOn(port)),
        30_000,
        () => false,
        `no copy behind port ${port} came into service`,
      );
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** What a GET on a local port answers: its status, "refused" (nothing listens) or "failed" (anything else). */
async function answerOn(port: number): Promise<number | "refused" | "failed"> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED" ? "refused" : "failed";
  }
}

/** Polls `done` until it holds; fails with `what` after `timeoutMs`, or at once when `gaveUp` says so. */
async function until(
  done: () => Promise<boolean>,
  timeoutMs: number,
  gaveUp: () => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline || gaveUp()) throw new StartupError(what);
    await delay(50);
  }
}
