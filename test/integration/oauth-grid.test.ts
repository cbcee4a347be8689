/**
 * Enterprise Grid: an org-wide install serves every workspace of the org with one token, and a thread in a
 * channel shared by two of its workspaces is one session whichever workspace an event comes from: its key
 * starts with the org's enterprise id (the installation's key), not the team of the event.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import type { People } from "../../src/slack-emulator/people.ts";
import type { WorkspaceSide } from "../../src/slack-emulator/web-api-server.ts";
import { createDefaultWorkspace } from "../../src/slack-emulator/workspace.ts";
import { install, type OAuthStack, startOAuthStack } from "../helpers/oauth-stack.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";
const ORG = { id: "E0001", name: "Initech" };

let stack: OAuthStack;
let sales: WorkspaceSide & { people: People };
before(async () => {
  stack = await startOAuthStack({
    workspace: createDefaultWorkspace({
      teamId: "T0001",
      domain: "initech-eng",
      teamName: "Engineering",
      enterprise: ORG,
    }),
  });
  sales = stack.emulator.addWorkspace({
    teamId: "T0002",
    domain: "initech-sales",
    teamName: "Sales",
    enterprise: ORG,
  });
  stack.emulator.shareChannel(GENERAL, sales);
  stack.sink.setDefaultReply((call) => ({ output: `answered ${call.history.length} messages`, done: true }));
  // The org's admin installs the app for the whole org.
  assert.equal((await install(stack.appUrl, `${ORG.id}:${ALICE}`)).status, 200);
});
after(() => stack?.close());

test("an org-wide install is kept under the org's id and serves each of its workspaces", async () => {
  const rows = await stack.restate.query<{ service_key: string }>(
    "SELECT service_key FROM state WHERE service_name = 'SlackInstallation' AND key = 'installation'",
  );
  assert.deepEqual(
    rows.map((r) => r.service_key),
    [ORG.id],
  );
  const onlyInSales = sales.workspace.addChannel({
    id: "C0SALES01",
    name: "sales",
    kind: "public",
    members: [BOB, BOT],
  });
  const { message } = await sales.people.posts({ user: BOB, channel: onlyInSales.id, text: `<@${BOT}> hi` });
  await waitFor(
    () =>
      (sales.workspace.messages.get(onlyInSales.id) ?? []).some(
        (m) => m.user === BOT && m.threadTs === message.ts,
      ) || undefined,
    { what: "the answer in Sales" },
  );
});

test("a thread of a channel shared by two workspaces of the org is one session, whichever side writes", async () => {
  const fromEngineering = await stack.emulator.userPosts({
    user: ALICE,
    channel: GENERAL,
    text: `<@${BOT}> plan it`,
  });
  const key = toSessionKey(ORG.id, GENERAL, fromEngineering.message.ts);
  const reads = sessionReads(stack.adapter);
  await waitFor(
    async () =>
      ((await reads.status(key)).activeRun === null && (await reads.status(key)).exists) || undefined,
    {
      what: "the first answer",
    },
  );
  await sales.people.posts({
    user: BOB,
    channel: GENERAL,
    text: "and sales wants this too",
    threadTs: fromEngineering.message.ts,
  });
  await waitFor(
    async () =>
      (await reads.history(key)).some((line) => line.content.includes("sales wants")) ? true : undefined,
    { what: "Sales' reply in the same session" },
  );
  const history = await reads.history(key);
  assert.ok(history.some((line) => line.content.includes("plan it")));
  for (const team of ["T0001", "T0002"])
    assert.equal((await reads.status(toSessionKey(team, GENERAL, fromEngineering.message.ts))).exists, false);
});
