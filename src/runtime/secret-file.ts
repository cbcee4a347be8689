/**
 * A secret kept in the data folder when no setting gives it (the adapter key, the token key): made once
 * (256 random bits, hex) in a file only its owner may read, and reused, so that what it signed or sealed
 * before a restart still verifies or opens. Knows nothing of what the secret is for.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Shortest secret accepted, from a setting or a file: 32 characters. */
export const SECRET_MIN_LENGTH = 32;

/** The secret in `dataDir/fileName`, made the first time; `what` names it in the error of a damaged file. */
export function ensureSecretFile(
  dataDir: string,
  fileName: string,
  what: string,
): { key: string; path: string } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, fileName);
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  }
  // A key file another user can read is no key: tighten it whatever made it.
  chmodSync(path, 0o600);
  const key = readFileSync(path, "utf8").trim();
  if (key.length < SECRET_MIN_LENGTH) {
    throw new Error(
      `${path} holds no usable ${what} (under ${SECRET_MIN_LENGTH} characters): delete it to make a new one`,
    );
  }
  return { key, path };
}
