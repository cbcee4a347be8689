import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { StartupError } from "../../../src/errors.ts";
import { ensurePrivateFolder, tightenedMessage } from "../../../src/runtime/private-folder.ts";

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** A parent anyone may enter, as a home folder or a checkout usually is (mkdtemp's own folder is 0700). */
function openParent(t: { after(fn: () => void): void }): string {
  const parent = mkdtempSync(join(tmpdir(), "private-folder-"));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  chmodSync(parent, 0o755);
  return parent;
}

test("a new data folder, and any parent made for it, is created 0700", (t) => {
  const dataDir = join(openParent(t), "deep", ".restate");
  const folder = ensurePrivateFolder(dataDir);
  assert.deepEqual(folder, { path: dataDir, tightenedFrom: null });
  assert.equal(modeOf(dataDir), 0o700);
  assert.equal(modeOf(join(dataDir, "..")), 0o700);
});

test("an existing data folder open to other users is tightened to 0700, and says from what", (t) => {
  const dataDir = join(openParent(t), ".restate");
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  const folder = ensurePrivateFolder(dataDir);
  assert.equal(folder.tightenedFrom, 0o755);
  assert.equal(modeOf(dataDir), 0o700);
  assert.match(tightenedMessage(folder), /was open to other users \(mode 0755\); it is now 0700/);
  // Once private, nothing more to say.
  assert.equal(ensurePrivateFolder(dataDir).tightenedFrom, null);
});

test("a data folder that is a file stops start-up", (t) => {
  const path = join(openParent(t), "not-a-folder");
  writeFileSync(path, "");
  assert.throws(
    () => ensurePrivateFolder(path),
    (error: unknown) =>
      error instanceof StartupError &&
      error.message.startsWith(`Cannot make the data folder ${path} (RESTATE_DATA_DIR)`),
  );
});

test("another user's open folder is not changed: start-up stops and says why", {
  skip: process.getuid?.() !== 0 && "only root can give a folder to another user",
}, (t) => {
  const dataDir = join(openParent(t), "theirs");
  mkdirSync(dataDir);
  chmodSync(dataDir, 0o755);
  chownSync(dataDir, 65534, 65534);
  assert.throws(
    () => ensurePrivateFolder(dataDir),
    (error: unknown) =>
      error instanceof StartupError &&
      /is open to other users \(mode 0755\) and belongs to another user/.test(error.message),
  );
  assert.equal(modeOf(dataDir), 0o755);
});
