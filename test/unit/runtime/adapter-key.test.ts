import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig } from "../../../src/config.ts";
import { ensureAdapterKey } from "../../../src/runtime/adapter-key.ts";

test("without ADAPTER_KEY a key is made once in the data folder, readable by its owner only, and reused", (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "adapter-key-")), "data");
  t.after(() => rmSync(join(dataDir, ".."), { recursive: true, force: true }));
  const first = ensureAdapterKey(dataDir);
  assert.match(first.key, /^[0-9a-f]{64}$/);
  assert.equal(first.path, join(dataDir, "adapter-key"));
  assert.equal(statSync(first.path).mode & 0o777, 0o600);
  assert.equal(ensureAdapterKey(dataDir).key, first.key);
  assert.equal(readFileSync(first.path, "utf8").trim(), first.key);
});

test("a key file another user could read is tightened to 0600; a file too short to be a key is refused", (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "adapter-key-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const path = join(dataDir, "adapter-key");
  writeFileSync(path, `${"a".repeat(40)}\n`, { mode: 0o644 });
  assert.equal(ensureAdapterKey(dataDir).key, "a".repeat(40));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileSync(path, "short\n");
  assert.throws(() => ensureAdapterKey(dataDir), /no usable adapter key/);
});

test("ADAPTER_KEY is taken when long enough, and refused with a hint when short", () => {
  assert.equal(parseConfig({ SLACK_MODE: "none" }).adapterKey, null);
  const key = "x".repeat(32);
  assert.equal(parseConfig({ SLACK_MODE: "none", ADAPTER_KEY: key }).adapterKey, key);
  assert.throws(
    () => parseConfig({ SLACK_MODE: "none", ADAPTER_KEY: "too-short" }),
    /ADAPTER_KEY: must be at least 32 characters/,
  );
});
