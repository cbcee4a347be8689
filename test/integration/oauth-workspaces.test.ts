/**
 * One app installed in two workspaces through OAuth: each talks to the bot at once and is answered in its
 * own workspace with its own token; the two workspaces' sessions, Homes and tokens stay apart, and a signed
 * request from one workspace that names the other's session is refused. The emulator's second workspace has
 * the same channel and people ids as the first, so anything keyed without the team would collide.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { interactionBase } from "../../src/slack-emulator/app-requests.ts";
import type { People } from "../../src/slack-emulator/people.ts";
import type { WorkspaceSide } from "../../src/slack-emulator/web-api-server.ts";
import { install, type OAuthStack, startOAuthStack } from "../helpers/oauth-stack.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: OAuthStack;
let globex: WorkspaceSide & { people: People };
before(async () => {
  stack = await startOAuthStack();
  globex = stack.emulator.addWorkspace({ teamId: "T0002", domain: "globex", teamName: "Globex" });
  stack.sink.setDefaultReply((call) => ({
    output: `answer for ${call.sessionKey.split(":")[0]}`,
    done: true,
  }));
  assert.equal((await install(stack.appUrl, ALICE)).status, 200);
  assert.equal((await install(stack.appUrl, `T0002:${ALICE}`)).status, 200);
});
after(() => stack?.close());

const reads = () => sessionReads(stack.adapter);
const botSays = (messages: { user?: string; text: string }[], text: string) =>
  messages.some((m) => m.user === BOT && m.text.includes(text));

test("two workspaces talk to the bot at once, each answered in its own workspace with its own token", async () => {
  const [acme, other] = await Promise.all([
    stack.emulator.userPosts({ user: ALICE, channel: GENERAL, text: `<@${BOT}> hello from Acme` }),
    globex.people.posts({ user: ALICE, channel: GENERAL, text: `<@${BOT}> hello from Globex` }),
  ]);
  await waitFor(
    () => botSays(stack.emulator.thread(GENERAL, acme.message.ts), "answer for T0001") || undefined,
    {
      what: "Acme's answer in Acme",
    },
  );
  await waitFor(
    () => botSays(globex.workspace.messages.get(GENERAL) ?? [], "answer for T0002") || undefined,
    { what: "Globex's answer in Globex" },
  );
  // Each workspace holds only its own answer: a post made with the other's token would have landed there.
  assert.ok(!botSays(globex.workspace.messages.get(GENERAL) ?? [], "answer for T0001"));
  assert.ok(!botSays(stack.emulator.workspace.messages.get(GENERAL) ?? [], "answer for T0002"));
  const acmeKey = toSessionKey("T0001", GENERAL, acme.message.ts);
  const globexKey = toSessionKey("T0002", GENERAL, other.message.ts);
  assert.equal((await reads().status(acmeKey)).exists, true);
  assert.equal((await reads().status(globexKey)).exists, true);
  // Each person's Home lists only the sessions of the workspace it is shown in.
  await stack.emulator.openHome(ALICE);
  await globex.people.openHome(ALICE);
  await waitFor(
    () => JSON.stringify(globex.workspace.homes.get(ALICE)?.view ?? {}).includes(globexKey) || undefined,
    {
      what: "Globex's Home lists its session",
    },
  );
  assert.ok(!JSON.stringify(globex.workspace.homes.get(ALICE)?.view ?? {}).includes(acmeKey));
  await waitFor(
    () =>
      JSON.stringify(stack.emulator.workspace.homes.get(ALICE)?.view ?? {}).includes(acmeKey) || undefined,
    { what: "Acme's Home lists its session" },
  );
  assert.ok(!JSON.stringify(stack.emulator.workspace.homes.get(ALICE)?.view ?? {}).includes(globexKey));
});

test("a workspace's token is refused for the other's channels, as Slack refuses it", async () => {
  const [acmeToken, globexToken] = [
    stack.emulator.workspace.issuedBotTokens()[0],
    globex.workspace.issuedBotTokens()[0],
  ];
  assert.ok(acmeToken && globexToken && acmeToken !== globexToken);
  const onlyInAcme = stack.emulator.newChannel([ALICE]);
  const answer = await fetch(`${stack.emulator.apiUrl}chat.postMessage`, {
    method: "POST",
    headers: { authorization: `Bearer ${globexToken}`, "content-type": "application/json" },
    body: JSON.stringify({ channel: onlyInAcme, text: "from the wrong workspace" }),
  });
  assert.equal(((await answer.json()) as { error?: string }).error, "channel_not_found");
});

test("a signed request from one workspace naming the other's session is refused and changes nothing", async () => {
  const acme = await stack.emulator.userPosts({ user: ALICE, channel: GENERAL, text: `<@${BOT}> mine` });
  const acmeKey = toSessionKey("T0001", GENERAL, acme.message.ts);
  await waitFor(async () => ((await reads().status(acmeKey)).exists ? true : undefined), {
    what: "the session",
  });
  const before = await reads().status(acmeKey);
  // Globex's Alice presses a Home control that names Acme's thread (a crafted, correctly signed request).
  const payload = {
    type: "block_actions",
    ...interactionBase(globex.workspace, ALICE, globex.workspace.newTrigger(ALICE)),
    container: { type: "view", view_id: "V0CRAFTED2" },
    actions: [
      {
        block_id: "crafted",
        action_ts: globex.workspace.nextTs(),
        action_id: `home_mode:${acmeKey}`,
        type: "static_select",
        selected_option: { text: { type: "plain_text", text: "QUEUE" }, value: "QUEUE" },
      },
    ],
  };
  const answer = await globex.delivery.postToApp(
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    "application/x-www-form-urlencoded",
  );
  assert.equal(answer.status, 200);
  await waitFor(
    () =>
      JSON.stringify([...globex.workspace.modals.values()].map((m) => m.view)).includes(
        "does not name a thread of this workspace",
      ) || undefined,
    { what: "the refusal, in Globex" },
  );
  const after = await reads().status(acmeKey);
  assert.equal(after.mode, before.mode);
  assert.equal(after.modeSource, before.modeSource);
});
