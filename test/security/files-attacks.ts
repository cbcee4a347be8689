/**
 * Binds and files, against `npm start` as a person runs it: a bind beyond loopback is refused with what it
 * would expose, and after a message was processed another local user can read nothing of the data folder
 * (it is 0700, the server's files 0600), while its owner can. Runs the product in child processes on free
 * ports; touches no other area's stack.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";
import { tryAttack } from "./attack.ts";

/** Settings of a product that runs the Restate side alone, with quick demo runs, in a data folder it makes. */
async function productEnv(): Promise<Record<string, string>> {
  const env = await isolatedEnv();
  // The test's folder (mkdtemp makes it 0700) opened as a home folder or a checkout usually is, so only the
  // data folder's own mode stands between another user and what is inside.
  const parent = env.RESTATE_DATA_DIR ?? assert.fail("isolatedEnv gives a data folder");
  chmodSync(parent, 0o755);
  return {
    ...env,
    RESTATE_DATA_DIR: join(parent, ".restate"),
    SLACK_MODE: "none",
    DEMO_ITERATION_MS: "100",
    DEMO_DONE_PROBABILITY: "0",
    DEMO_MAX_ITERATIONS: "2",
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** The mode of `path`, or null when it is gone (RocksDB removes files it has compacted). */
function modeOf(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Every file and folder under `root` (itself included), with its mode. */
function entriesUnder(root: string): { path: string; mode: number; isFolder: boolean }[] {
  const found: { path: string; mode: number; isFolder: boolean }[] = [];
  const add = (path: string, isFolder: boolean) => {
    const mode = modeOf(path);
    if (mode !== null) found.push({ path, mode, isFolder });
  };
  add(root, true);
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    add(join(entry.parentPath, entry.name), entry.isDirectory());
  }
  return found;
}

/** What the owner reads of the files under `root`, in bytes. */
function bytesReadByOwner(root: string): number {
  let bytes = 0;
  for (const { path, isFolder } of entriesUnder(root)) {
    if (isFolder) continue;
    try {
      bytes += readFileSync(path).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return bytes;
}

const NOBODY = 65534;
/** Reading as another local user needs root (to become `nobody`) and setpriv (util-linux). */
function canActAsAnotherUser(): boolean {
  return process.getuid?.() === 0 && spawnSync("setpriv", ["--help"], { stdio: "ignore" }).status === 0;
}

/** What another local user gets: for each path, `read`, or the error `ls` (a folder) or `cat` (a file) gave them. */
function readAsAnotherUser(paths: { path: string; isFolder: boolean }[]): Map<string, string> {
  const outcomes = new Map<string, string>();
  for (const { path, isFolder } of paths) {
    const asNobody = ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", "--"];
    const result = spawnSync("setpriv", [...asNobody, isFolder ? "ls" : "cat", "--", path], {
      encoding: "utf8",
    });
    outcomes.set(path, result.status === 0 ? "read" : result.stderr.trim() || `exit ${result.status}`);
  }
  return outcomes;
}

export function registerFilesAttacks(): void {
  describe("binds and files: the network and other local users get nothing", () => {
    let product: MainProcess | undefined;
    /** The product started as a person does, with loopback binds said out loud; once. */
    let started: Promise<MainProcess> | undefined;
    const startProduct = () => {
      started ??= (async () => {
        const env = {
          ...(await productEnv()),
          RESTATE_BIND_ADDRESS: "127.0.0.1",
          SERVICES_BIND_ADDRESS: "127.0.0.1",
        };
        product = startMain(env, { viaNpm: true });
        await product.waitForLine(/^Ready$/);
        return product;
      })();
      return started;
    };
    after(async () => {
      await product?.stop();
    });

    test("npm start with RESTATE_BIND_ADDRESS=0.0.0.0 stops before listening and names what it would expose; with 127.0.0.1 it starts", async () => {
      const env: Record<string, string> = {
        ...(await productEnv()),
        RESTATE_BIND_ADDRESS: "0.0.0.0",
        SERVICES_BIND_ADDRESS: "0.0.0.0",
      };
      await tryAttack("a bind beyond loopback", {
        async attempt() {
          const refused = startMain(env, { viaNpm: true });
          let exitCode: number | string | undefined;
          void refused.exited.then((code) => {
            exitCode = code;
          });
          // Bounded either way: a product that starts after all is stopped and reported as started.
          const code = await waitFor(
            () => exitCode ?? (refused.lines.some((line) => line.msg === "Ready") ? "started" : undefined),
            { what: "npm start to stop or be ready", timeoutMs: 60_000 },
          );
          if (code === "started") await refused.stop();
          return { code, output: refused.output() };
        },
        refused({ code, output }) {
          assert.equal(code, 1, output);
          assert.match(
            output,
            /RESTATE_BIND_ADDRESS: 0\.0\.0\.0 is not a loopback address: the Restate ingress, admin API and node port need no credentials, so anyone who reaches them can read and steer every session/,
          );
          assert.match(output, /ALLOW_PUBLIC_BIND=true/);
          // Every problem at once: our endpoint's bind too.
          assert.match(
            output,
            /SERVICES_BIND_ADDRESS: 0\.0\.0\.0 is not a loopback address: whoever reaches our services endpoint talks to it as Restate does/,
          );
        },
        async changedAnything() {
          // Nothing was started: no data folder, nothing on the ingress, admin or services port.
          return (
            existsSync(env.RESTATE_DATA_DIR ?? "") ||
            (await answers(`${env.RESTATE_INGRESS_URL}/restate/health`)) ||
            (await answers(`${env.RESTATE_ADMIN_URL}/health`)) ||
            (await answers(`http://127.0.0.1:${env.SERVICES_PORT}/discover`))
          );
        },
        async twin() {
          const running = await startProduct();
          assert.ok(
            await answers(`${running.ingressUrl}/restate/health`),
            "the ingress answers on 127.0.0.1",
          );
        },
      });
    });

    test("after a message was processed another local user can read nothing in the data folder, and its owner can read all of it", async () => {
      const running = await startProduct();
      const ingress = ingressClient(running.ingressUrl);
      const key = `files-${randomBytes(4).toString("hex")}`;
      const secret = `a private plan ${randomBytes(8).toString("hex")}`;
      await ingress.call(`ChatService/${key}/process_user_message`, { content: secret, role: "user" });
      // The run has ended and its history is stored: the message has been through state and journals.
      await waitFor(
        async () =>
          (await sessionReads(ingress).history(key)).at(-1)?.content === "Done" ? true : undefined,
        {
          what: `the run of ${key} to be recorded`,
        },
      );
      const entries = entriesUnder(running.dataDir);
      // Modes as another user finds them, and, where the test may become another user, what `cat` and `ls` get.
      const attempt = async () => ({
        openToOthers: entries.filter(({ mode }) => (mode & 0o077) !== 0),
        asAnotherUser: canActAsAnotherUser() ? readAsAnotherUser(entries) : null,
      });
      let got: Awaited<ReturnType<typeof attempt>> | undefined;
      await tryAttack("another local user reads the data folder", {
        async attempt() {
          got = await attempt();
          return got;
        },
        refused({ openToOthers, asAnotherUser }) {
          // The folder is 0700 and every file in it, the server's RocksDB files included, is 0600.
          assert.deepEqual(
            openToOthers.map(({ path, mode }) => `${path} ${mode.toString(8)}`),
            [],
            "entries open to group or others",
          );
          assert.equal(statSync(running.dataDir).mode & 0o777, 0o700);
          if (asAnotherUser) {
            assert.equal(asAnotherUser.size, entries.length, "every entry was tried as another user");
            for (const [path, outcome] of asAnotherUser) assert.match(outcome, /Permission denied/, path);
          }
        },
        async changedAnything() {
          // What this attack aims at is reading: did another user get an entry, or could they have?
          const { openToOthers, asAnotherUser } = got ?? assert.fail("attempted first");
          return (
            openToOthers.length > 0 ||
            [...(asAnotherUser?.values() ?? [])].some((outcome) => outcome === "read")
          );
        },
        async twin() {
          // The owner reads every file, and the data are really there: the session answers with its history.
          assert.ok(bytesReadByOwner(running.dataDir) > 0, "the owner read the server's files");
          const history = await sessionReads(ingress).history(key);
          assert.equal(history[0]?.content, secret);
        },
      });
    });
  });
}
