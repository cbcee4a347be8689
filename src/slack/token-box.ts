/**
 * Slack tokens sealed for keeping in Restate: AES-256-GCM under the token key (`TOKEN_KEY`, or a 0600 file
 * in the data folder), which never enters Restate. Restate's state and journals are readable by whoever
 * reaches its admin API, so a token is sealed before it is sent to Restate and opened only in the step
 * that calls Slack. A sealed token is bound to its installation: one moved to another key does not open.
 * Keys in `TOKEN_KEYS_PREVIOUS` still open what they sealed, so the key can be rotated (docs/security.md).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "st1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed token: `st1.<key id>.<iv>.<ciphertext and tag>` (base64url), safe to keep and to log. */
export type SealedToken = string;

interface Key {
  readonly id: string;
  readonly bytes: Buffer;
}

/** A setting of any length (at least 32 characters) made into a 256-bit key and a short public id. */
function deriveKey(secret: string): Key {
  const bytes = Buffer.from(hkdfSync("sha256", secret, "slack-token-box", VERSION, 32));
  const id = createHmac("sha256", bytes).update("key id").digest("hex").slice(0, 8);
  return { id, bytes };
}

export class TokenBox {
  private readonly current: Key;
  private readonly keys: ReadonlyMap<string, Key>;

  constructor(currentKey: string, previousKeys: readonly string[] = []) {
    this.current = deriveKey(currentKey);
    const all = [this.current, ...previousKeys.map(deriveKey)];
    this.keys = new Map(all.map((key) => [key.id, key]));
  }

  /** Whether `token` looks sealed (as opposed to a token in clear). */
  static isSealed(token: string): boolean {
    return token.startsWith(`${VERSION}.`);
  }

  /** `token` sealed under the current key, for the installation named by `boundTo` (its team or enterprise). */
  seal(token: string, boundTo: string): SealedToken {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.bytes, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString("base64url"), body.toString("base64url")].join(".");
  }

  /** The token in clear; throws when no known key sealed it, or it was sealed for another installation. */
  open(sealed: SealedToken, boundTo: string): string {
    const [version, keyId, iv, body] = sealed.split(".");
    if (version !== VERSION || !keyId || !iv || !body) throw new Error("not a sealed token");
    const key = this.keys.get(keyId);
    if (!key) {
      throw new Error(
        `this token was sealed with a token key not configured here (key id ${keyId}): set TOKEN_KEY or TOKEN_KEYS_PREVIOUS to it`,
      );
    }
    const bytes = Buffer.from(body, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new Error("a sealed token does not open: damaged, or sealed for another installation");
    }
  }

  /** Whether `sealed` was sealed with a previous key (and should be sealed again with the current one). */
  isStale(sealed: SealedToken): boolean {
    return sealed.split(".")[1] !== this.current.id;
  }
}
