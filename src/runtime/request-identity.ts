/**
 * Restate's request identity: the server signs every request to our services endpoint with an ed25519
 * private key, and the endpoint (the SDK) accepts only requests signed by a key it knows, given in the
 * format `publickeyv1_<base58 of the raw public key>` that restate-server logs at start-up.
 * For the embedded server we make the key pair ourselves (once, in the data folder), so `npm start` is
 * signed end to end by default.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PRIVATE_FOLDER_MODE } from "./private-folder.ts";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export const PUBLIC_KEY_PATTERN = /^publickeyv1_[1-9A-HJ-NP-Za-km-z]+$/;

function base58(bytes: Uint8Array): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
  let out = "";
  while (value > 0n) {
    out = BASE58[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** The `publickeyv1_...` form of the public half of an ed25519 private key (PEM). */
export function publicKeyOf(privateKeyPem: string): string {
  const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || !jwk.x) throw new Error("the request identity key must be an ed25519 key");
  return `publickeyv1_${base58(Buffer.from(jwk.x, "base64url"))}`;
}

/**
 * The embedded server's signing key: made once in `dataDir` (created private when missing; the caller makes
 * an existing one private first, see private-folder.ts), then reused.
 */
export function ensureRequestIdentity(dataDir: string): { privateKeyPath: string; publicKey: string } {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  const privateKeyPath = join(dataDir, "request-identity.pem");
  if (!existsSync(privateKeyPath)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(privateKeyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  return { privateKeyPath, publicKey: publicKeyOf(readFileSync(privateKeyPath, "utf8")) };
}
