/**
 * Token rotation with OAuth: the bot token expires while a run works, and the run's post still lands,
 * once, with a token refreshed through SlackInstallation/refresh (one exchange, however many calls found
 * the token refused at once).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { install, type OAuthStack, secretsInClear, startOAuthStack } from "../helpers/oauth-stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: OAuthStack;
before(async () => {
  stack = await startOAuthStack({ tokenRotation: true });
  assert.equal((await install(stack.appUrl, ALICE)).status, 200);
});
after(() => stack?.close());

const refreshes = () =>
  stack.emulator.oauth?.exchanges.filter((e) => e.grant === "refresh_token" && e.ok).length ?? 0;

test("a token that expires during a run is refreshed once, and the run's answer lands once", async () => {
  const held = stack.sink.hold((call) => call.kind === "step" && call.iteration === 1);
  const { message } = await stack.emulator.userPosts({
    user: ALICE,
    channel: GENERAL,
    text: `<@${BOT}> work`,
  });
  await held.arrived;
  assert.equal(refreshes(), 0, "a fresh token is not refreshed");
  const [firstToken] = stack.emulator.workspace.issuedBotTokens();
  stack.emulator.workspace.expireIssuedTokens();
  held.release({ output: "answered after the rotation", done: true });
  const answers = () =>
    stack.emulator
      .thread(GENERAL, message.ts)
      .filter((m) => m.user === BOT && m.text.includes("after the rotation"));
  await waitFor(() => answers().length > 0 || undefined, {
    what: "the answer posted with a refreshed token",
  });
  await waitFor(
    () => stack.emulator.botReactions(GENERAL, message.ts).includes("white_check_mark") || undefined,
    {
      what: "the done reaction, also with the new token",
    },
  );
  assert.equal(answers().length, 1, "posted once");
  assert.equal(refreshes(), 1, "one exchange of the refresh token, however many calls were refused");
  const tokens = stack.emulator.workspace.issuedBotTokens();
  assert.equal(tokens.length, 2);
  assert.notEqual(tokens[1], firstToken);
  assert.ok(
    stack.emulator.calls.some((call) => call.error === "token_expired"),
    "Slack refused the old token",
  );
  // The exchange was a durable step: its journaled result holds the new tokens sealed, never in clear.
  assert.deepEqual(await secretsInClear(stack, stack.emulator.workspace.issuedBotTokens()), []);
});
