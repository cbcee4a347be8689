/**
 * Runs the product as a person does (`npm start`, or `node src/main.ts`) in a child process on free ports
 * and a temporary data folder, and reads its JSON log lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts } from "./free-ports.ts";
import { waitFor } from "./wait.ts";

const root = new URL("../..", import.meta.url).pathname;

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface MainProcess {
  readonly process: ChildProcess;
  readonly env: Record<string, string>;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly dataDir: string;
  /** The key its Slack adapter signs with: `ADAPTER_KEY`, or the one `npm start` made in the data folder. */
  adapterKey(): string;
  /** JSON log lines so far. */
  readonly lines: LogLine[];
  /** Everything written to stdout and stderr so far. */
  output(): string;
  waitForLine(pattern: RegExp, what?: string): Promise<LogLine>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** What Ctrl-C in a terminal does: SIGINT to the whole process group (npm and node alike). */
  interrupt(): Promise<number | string>;
}

const dataDirs: string[] = [];
process.once("exit", () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Settings that put the embedded server and our endpoint on free ports in a fresh data folder
 * (removed when the test process exits).
 */
export async function isolatedEnv(): Promise<Record<string, string>> {
  const [ingress, admin, node, services, playground, bolt] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const dataDir = mkdtempSync(join(tmpdir(), "main-test-"));
  dataDirs.push(dataDir);
  return {
    RESTATE_INGRESS_URL: `http://127.0.0.1:${ingress}`,
    RESTATE_ADMIN_URL: `http://127.0.0.1:${admin}`,
    RESTATE_NODE_PORT: String(node),
    SERVICES_PORT: String(services),
    // Without Slack settings `npm start` runs the playground: its page and the Bolt app get free ports too.
    PLAYGROUND_PORT: String(playground),
    PORT: String(bolt),
    RESTATE_DATA_DIR: dataDir,
    LOG_FORMAT: "json",
  };
}

export function startMain(
  env: Record<string, string>,
  options: {
    viaNpm?: boolean;
    script?: "start" | "playground";
    /** Another entry point than src/main.ts (a test's own variant of it), run with node. */
    entry?: string;
  } = {},
): MainProcess {
  // Only the given settings: nothing from the developer's shell or a .env file leaks into the test.
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
  const child = options.viaNpm
    ? spawn("npm", ["run", options.script ?? "start", "--silent"], {
        cwd: root,
        env: { ...baseEnv, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true, // its own process group, like a terminal's foreground job
      })
    : spawn(process.execPath, [options.entry ?? "src/main.ts"], {
        cwd: root,
        env: { ...baseEnv, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
  const lines: LogLine[] = [];
  let raw = "";
  let pending = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    raw += text;
    pending += text;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        // not a log line (npm's banner, a stack trace): kept in output() only
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  return {
    process: child,
    env,
    ingressUrl: env.RESTATE_INGRESS_URL ?? "http://127.0.0.1:8080",
    adminUrl: env.RESTATE_ADMIN_URL ?? "http://127.0.0.1:9070",
    dataDir: env.RESTATE_DATA_DIR ?? ".restate",
    adapterKey: () =>
      env.ADAPTER_KEY ?? readFileSync(join(env.RESTATE_DATA_DIR ?? ".restate", "adapter-key"), "utf8").trim(),
    lines,
    output: () => raw,
    exited,
    waitForLine: (pattern, what) =>
      waitFor(
        () => {
          const line = lines.find((l) => pattern.test(l.msg));
          if (!line && hasExited) throw new Error(`exited before logging ${pattern}:\n${raw}`);
          return line;
        },
        { what: what ?? `a log line matching ${pattern}`, timeoutMs: 60_000 },
      ),
    async stop(signal = "SIGTERM") {
      if (!hasExited) child.kill(signal);
      return exited;
    },
    async interrupt() {
      if (!hasExited && child.pid) process.kill(options.viaNpm ? -child.pid : child.pid, "SIGINT");
      return exited;
    },
  };
}
