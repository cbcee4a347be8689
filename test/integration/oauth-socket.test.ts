/**
 * OAuth in Socket Mode, where Bolt has no HTTP server: the install pages are served by the adapter's own
 * small listener (`SLACK_INSTALL_PORT`), events arrive over the socket and are authorised from the
 * installation like HTTP ones.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { botAnswered, install, type OAuthStack, startOAuthStack } from "../helpers/oauth-stack.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: OAuthStack;
before(async () => {
  stack = await startOAuthStack({ socketMode: true });
  stack.sink.setDefaultReply(() => ({ output: "answered over the socket", done: true }));
});
after(() => stack?.close());

test("in Socket Mode the install pages have a listener of their own, and the installed workspace is answered", async () => {
  assert.equal(stack.app.slack?.eventsUrl, null, "no HTTP events endpoint in Socket Mode");
  assert.equal((await fetch(`${stack.appUrl}/slack/events`, { method: "POST" })).status, 404);
  assert.equal((await install(stack.appUrl, ALICE)).status, 200);
  let envelopes = 0;
  stack.emulator.on("envelope", () => {
    envelopes += 1;
  });
  const { message } = await stack.emulator.userPosts({ user: ALICE, channel: GENERAL, text: `<@${BOT}> hi` });
  await botAnswered(stack, GENERAL, message.ts, "over the socket");
  assert.ok(envelopes > 0, "the event came over the socket");
});
