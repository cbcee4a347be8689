/**
 * One copy of the product in one role (`ROLE=slack` or `ROLE=services`): `node src/main.ts` as a child
 * process with its own settings, its log in a private file of the cluster's folder, ready once it logs
 * "Ready". It runs in a folder of its own, so no `.env` of the checkout adds to its settings, and dies with
 * us (as the Restate server does, runtime/restate-server.ts). It can be killed (SIGKILL, as a crash) and
 * started again with the same settings; an exit nobody asked for is logged.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ensurePrivateFolder } from "../runtime/private-folder.ts";
import { serverCommand } from "../runtime/restate-server.ts";

const root = new URL("../..", import.meta.url).pathname;

export interface RoleProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  killAndRestart(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startRoleProcess(options: {
  readonly name: string;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logger: Logger;
}): Promise<RoleProcess> {
  const logFile = join(options.dataDir, `${options.name}.log`);
  const folder = join(options.dataDir, options.name);
  ensurePrivateFolder(folder);
  /** Whether an exit now is ours to expect: a kill, a stop, or a start that fails (which says so itself). */
  let expected = true;
  // Only the given settings and what Node needs: nothing of the launching shell's Slack or Restate settings.
  // Its folder is its data folder too (a key file it makes, say).
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    ...options.env,
    RESTATE_DATA_DIR: folder,
    LOG_FORMAT: "json",
  };

  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const logFd = openSync(logFile, "a", 0o600);
    const start = readFileSync(logFile, "utf8").length;
    let child: ChildProcess;
    try {
      const command = serverCommand(process.execPath, [join(root, "src/main.ts")]);
      child = spawn(command.file, command.args, { cwd: folder, env, stdio: ["ignore", logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    expected = true;
    const exited = new Promise<void>((resolve) =>
      child.once("exit", (code, signal) => {
        if (!expected) options.logger.warn(`${options.name} exited (${code ?? signal}); see ${logFile}`);
        resolve();
      }),
    );
    for (let waited = 0; ; waited += 100) {
      const since = readFileSync(logFile, "utf8").slice(start);
      if (/"msg":"Ready"/.test(since)) break;
      if (child.exitCode !== null || waited > 60_000) {
        child.kill("SIGKILL");
        throw new StartupError(`${options.name} did not start; its log (${logFile}):\n${since.slice(-2000)}`);
      }
      await delay(100);
    }
    expected = false;
    return { child, exited };
  };

  let current = await launch();
  const kill = async (signal: NodeJS.Signals) => {
    const { child, exited } = current;
    expected = true;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    name: options.name,
    logFile,
    get pid() {
      return current.child.pid;
    },
    async killAndRestart({ downMs = 0 } = {}) {
      await kill("SIGKILL");
      if (downMs > 0) await delay(downMs);
      current = await launch();
    },
    async stop() {
      const timer = setTimeout(() => current.child.kill("SIGKILL"), 15_000);
      await kill("SIGTERM");
      clearTimeout(timer);
    },
  };
}
