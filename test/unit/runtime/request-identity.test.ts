import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ensureRequestIdentity,
  PUBLIC_KEY_PATTERN,
  publicKeyOf,
} from "../../../src/runtime/request-identity.ts";

test("the embedded server's signing key is made once, kept private, and named as restate-server names it", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "identity-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = ensureRequestIdentity(dir);
  const again = ensureRequestIdentity(dir);
  assert.equal(again.publicKey, first.publicKey, "reused, not regenerated");
  assert.match(first.publicKey, PUBLIC_KEY_PATTERN);
  assert.equal(statSync(first.privateKeyPath).mode & 0o777, 0o600);
  assert.equal(publicKeyOf(readFileSync(first.privateKeyPath, "utf8")), first.publicKey);
});

test("the public key is named exactly as restate-server names it", () => {
  // A test-only key: restate-server 1.7.12, given this file, logged
  // `Loaded request identity key kid="publickeyv1_3TGRtjN9BChgbwhnNHRoZT6Sc4DXbtL5UiNwS6pBsTCs"`.
  const pem = [
    "-----BEGIN PRIVATE KEY-----",
    "MC4CAQAwBQYDK2VwBCIEIAALZj9TX96Ca3D1ZvyAA2U0bDVfxhr6Ud2AvH09opZP",
    "-----END PRIVATE KEY-----",
  ].join("\n");
  assert.equal(publicKeyOf(pem), "publickeyv1_3TGRtjN9BChgbwhnNHRoZT6Sc4DXbtL5UiNwS6pBsTCs");
});
