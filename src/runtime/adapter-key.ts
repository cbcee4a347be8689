/**
 * The key the Slack adapter signs its requests to the ingress with, and our services check them with
 * (src/restate/caller.ts). `ADAPTER_KEY` when given; otherwise made once in the data folder beside the
 * request identity key (`adapter-key`, mode 0600) and reused, so that invocations Restate replays after a
 * restart still verify. A process that runs only one side must be given `ADAPTER_KEY`.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Shortest key accepted (`ADAPTER_KEY`): 32 characters. */
export const ADAPTER_KEY_MIN_LENGTH = 32;

/** The adapter key stored in `dataDir`, made (256 random bits, hex) the first time. */
export function ensureAdapterKey(dataDir: string): { key: string; path: string } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, "adapter-key");
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  }
  // A key file another user can read is no key: tighten it whatever made it.
  chmodSync(path, 0o600);
  const key = readFileSync(path, "utf8").trim();
  if (key.length < ADAPTER_KEY_MIN_LENGTH) {
    throw new Error(
      `${path} holds no usable adapter key (under ${ADAPTER_KEY_MIN_LENGTH} characters): delete it to make a new one`,
    );
  }
  return { key, path };
}
