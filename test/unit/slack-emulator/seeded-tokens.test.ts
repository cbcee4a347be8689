import assert from "node:assert/strict";
import { test } from "node:test";
import { createDefaultWorkspace } from "../../../src/slack-emulator/workspace.ts";

test("with a token seed, an install's token still works after a restart, before the app installs again", () => {
  const before = createDefaultWorkspace({ tokenSeed: "seed-0123456789abcdef0123456789abcdef" });
  const token = before.issueBotToken(null);
  // A new emulator (the playground restarted) with the same seed: Slack remembers the install.
  const after = createDefaultWorkspace({ tokenSeed: "seed-0123456789abcdef0123456789abcdef" });
  assert.equal(after.refusalOfBotToken(token), null);
  assert.equal(after.issueBotToken(null), token, "installing again gives the same token");
  // Another seed (another data folder), or none, knows nothing of it.
  assert.equal(
    createDefaultWorkspace({ tokenSeed: "other-0123456789abcdef0123456789abcd" }).refusalOfBotToken(token),
    "invalid_auth",
  );
  assert.equal(createDefaultWorkspace().refusalOfBotToken(token), "invalid_auth");
});
