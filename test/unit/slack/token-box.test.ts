import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenBox } from "../../../src/slack/token-box.ts";

const KEY = "k".repeat(32);
const OTHER_KEY = "o".repeat(40);
const TOKEN = "xoxb-1234-5678-secretpart";

test("a sealed token holds no part of the token and opens to it again for its own installation", () => {
  const box = new TokenBox(KEY);
  const sealed = box.seal(TOKEN, "T1");
  assert.ok(TokenBox.isSealed(sealed));
  assert.ok(!sealed.includes("secretpart") && !sealed.includes("xoxb"));
  assert.notEqual(box.seal(TOKEN, "T1"), sealed, "each seal has its own IV");
  assert.equal(box.open(sealed, "T1"), TOKEN);
});

test("a sealed token moved to another installation, or altered, does not open", () => {
  const box = new TokenBox(KEY);
  const sealed = box.seal(TOKEN, "T1");
  assert.throws(() => box.open(sealed, "T2"), /does not open/);
  const parts = sealed.split(".");
  const body = Buffer.from(parts[3] ?? "", "base64url");
  body[0] = (body[0] ?? 0) ^ 1;
  parts[3] = body.toString("base64url");
  assert.throws(() => box.open(parts.join("."), "T1"), /does not open/);
  assert.throws(() => box.open(TOKEN, "T1"), /not a sealed token/);
});

test("rotation: the previous key still opens what it sealed, which is then stale; an unknown key is named", () => {
  const old = new TokenBox(OTHER_KEY);
  const sealedBefore = old.seal(TOKEN, "E1");
  const rotated = new TokenBox(KEY, [OTHER_KEY]);
  assert.equal(rotated.open(sealedBefore, "E1"), TOKEN);
  assert.ok(rotated.isStale(sealedBefore));
  assert.ok(!rotated.isStale(rotated.seal(TOKEN, "E1")));
  assert.throws(() => new TokenBox(KEY).open(sealedBefore, "E1"), /TOKEN_KEYS_PREVIOUS/);
});
