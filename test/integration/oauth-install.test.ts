/**
 * Installing through Slack's OAuth flow, end to end: the app's install page, the emulator's consent page,
 * the redirect back with a code, Bolt's state check (a forged or reused state refused), the installation
 * kept in Restate with its tokens sealed, and a message in the installed workspace answered with the
 * installed token. No token string may appear in Restate's state, its journals or the product's log.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { signedWrite } from "../../src/slack/signed-calls.ts";
import {
  allowInstall,
  beginInstall,
  botAnswered,
  OAUTH_CLIENT as CLIENT,
  type OAuthStack,
  secretsInClear,
  startOAuthStack,
} from "../helpers/oauth-stack.ts";
import { TEST_ADAPTER_KEY } from "../helpers/product-settings.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let stack: OAuthStack;
before(async () => {
  stack = await startOAuthStack();
  stack.sink.setDefaultReply(() => ({ output: "installed and answering", done: true }));
});
after(() => stack?.close());

/** The installation as kept (its record, for a signed save of it). */
const installRecord = async () => {
  const rows = await stack.restate.query<{ value_utf8: string }>(
    "SELECT value_utf8 FROM state WHERE service_name = 'SlackInstallation' AND service_key = 'T0001' AND key = 'installation'",
  );
  const { version: _version, installedAt: _installedAt, ...record } = JSON.parse(rows[0]?.value_utf8 ?? "{}");
  return record as Record<string, unknown>;
};

const installVersion = async (): Promise<number | null> => {
  const rows = await stack.restate.query<{ value_utf8: string }>(
    "SELECT value_utf8 FROM state WHERE service_name = 'SlackInstallation' AND service_key = 'T0001' AND key = 'installation'",
  );
  return rows[0] ? (JSON.parse(rows[0].value_utf8) as { version: number }).version : null;
};

describe("installing through OAuth", () => {
  let installedVersion: number | null = null;
  let callback: URL;
  let cookie: string;

  test("Add to Slack, allow, and back: the installation is kept in Restate, its token sealed", async () => {
    const begun = await beginInstall(stack.appUrl);
    assert.equal(begun.authorizeUrl.searchParams.get("client_id"), CLIENT.id);
    assert.match(begun.authorizeUrl.searchParams.get("scope") ?? "", /chat:write/);
    cookie = begun.cookie;
    callback = await allowInstall(begun.authorizeUrl, ALICE);
    assert.equal(callback.pathname, "/slack/oauth_redirect");
    const back = await fetch(callback, { headers: { cookie } });
    assert.equal(back.status, 200, await back.clone().text());
    installedVersion = await installVersion();
    assert.ok(installedVersion !== null);
    const rows = await stack.restate.query<{ value_utf8: string }>(
      "SELECT value_utf8 FROM state WHERE service_name = 'SlackInstallation' AND key = 'installation'",
    );
    const kept = JSON.parse(rows[0]?.value_utf8 ?? "{}");
    assert.equal(kept.key, "T0001");
    assert.equal(kept.botUserId, BOT);
    assert.equal(kept.installerUserId, ALICE);
    assert.equal(kept.url, "https://acme.slack.com/");
    assert.match(kept.botToken, /^st1\./);
  });

  test("a forged state, and the same callback again, are refused before any code is exchanged", async () => {
    const exchanges = stack.emulator.oauth?.exchanges.length ?? 0;
    // Forged: a state the app never signed, in a browser with a cookie of its own making.
    const forged = new URL(callback);
    forged.searchParams.set("state", "forged-state");
    const refusedForged = await fetch(forged, { headers: { cookie: "slack-app-oauth-state=forged-state" } });
    assert.notEqual(refusedForged.status, 200);
    // Reused: the browser no longer has the cookie (the callback deleted it); a replay with it is refused too.
    assert.notEqual((await fetch(callback)).status, 200);
    assert.equal(stack.emulator.oauth?.exchanges.length, exchanges, "no code was exchanged");
    const replayed = await fetch(callback, { headers: { cookie } });
    assert.notEqual(replayed.status, 200, "the code works once");
    assert.equal(await installVersion(), installedVersion, "the installation is as it was");
  });

  test("Restate out of reach while an event is authorised: answered 500 in time, and Slack's retry is taken", async () => {
    // Nothing has read the installation since it was saved: this event's authorisation must ask Restate.
    stack.restate.server.kill("SIGSTOP");
    let first: Awaited<ReturnType<typeof stack.emulator.userPosts>>;
    const started = performance.now();
    try {
      first = await stack.emulator.userPosts({
        user: ALICE,
        channel: GENERAL,
        text: `<@${BOT}> while frozen`,
      });
    } finally {
      stack.restate.server.kill("SIGCONT");
    }
    const perDelivery = (performance.now() - started) / first.answers.length;
    assert.ok(
      first.answers.every((a) => a.status === 500),
      `answers: ${first.answers.map((a) => a.status)}`,
    );
    assert.ok(perDelivery < 3000, `answered after ${Math.round(perDelivery)} ms`);
    for (const envelope of first.envelopes)
      assert.equal((await stack.emulator.deliverEvent({}, { envelope, retryNum: 1 })).status, 200);
    await botAnswered(stack, GENERAL, first.message.ts, "installed and answering");
  });

  test("a signed remove or save of an installation, sent again, is refused as a replay", async () => {
    const key = "T0001";
    const record = { ...(await installRecord()) };
    const target = { service: "SlackInstallation", handler: "save", key };
    const signedSave = signedWrite(TEST_ADAPTER_KEY, target, record);
    const save = () =>
      fetch(`${stack.restate.ingressUrl}/SlackInstallation/${key}/save`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedSave.headers },
        body: JSON.stringify(record),
      });
    assert.equal((await save()).status, 200);
    assert.equal((await save()).status, 409, "the same signed save again");
    assert.ok((await installVersion()) !== null);
    // A remove keeps the ledger of what it took: sent again (after a reinstall, say), it removes nothing.
    const other = "T0REPLAY";
    const signedRemove = signedWrite(
      TEST_ADAPTER_KEY,
      { service: "SlackInstallation", handler: "remove", key: other },
      undefined,
    );
    const remove = () =>
      fetch(`${stack.restate.ingressUrl}/SlackInstallation/${other}/remove`, {
        method: "POST",
        headers: signedRemove.headers,
      });
    assert.equal((await remove()).status, 200);
    assert.equal((await remove()).status, 409, "the same signed remove again");
  });

  test("a mention in the installed workspace is answered with the installed token", async () => {
    const { message } = await stack.emulator.userPosts({
      user: ALICE,
      channel: GENERAL,
      text: `<@${BOT}> hello`,
    });
    await botAnswered(stack, GENERAL, message.ts, "installed and answering");
    const key = toSessionKey("T0001", GENERAL, message.ts);
    assert.ok(key.startsWith("T0001:"));
    const posts = stack.emulator.calls.filter((call) => call.method === "chat.postMessage" && call.ok);
    assert.ok(posts.length > 0);
  });

  test("no token appears in clear in Restate's state, its journals or the log", async () => {
    const tokens = stack.emulator.workspace.issuedBotTokens();
    assert.equal(tokens.length, 1);
    assert.deepEqual(await secretsInClear(stack, [...tokens, CLIENT.secret]), []);
    // The check can see into journals: what a person wrote is there (a run's input), as it must be.
    assert.ok(
      (await secretsInClear(stack, ["installed and answering"])).some((where) =>
        where.endsWith("in a journal"),
      ),
      "the journals' payloads were read",
    );
  });
});
