/**
 * What `npm start` refuses with the embedded server, as docs/architecture.md ("Trust boundaries") says: the
 * embedded server signs its requests, so our services endpoint refuses calls that are unsigned or signed
 * with another key (request identity), and the Bolt app refuses Slack requests with a missing, wrong or
 * stale signature. The product runs as a person starts it (`node src/main.ts` with Slack settings) against
 * the Slack emulator.
 */
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:http2";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { publicKeyOf } from "../../src/runtime/request-identity.ts";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import { emulatedSlackSettings } from "../helpers/product-settings.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const GENERAL = "C0GENERAL";

let emulator: SlackEmulator;
let main: MainProcess;
let servicesUrl: string;

before(async () => {
  emulator = await startSlackEmulator();
  const env: Record<string, string> = {
    ...(await isolatedEnv()),
    ...emulatedSlackSettings(emulator),
    DEMO_ITERATION_MS: "0",
    DEMO_MAX_ITERATIONS: "1",
  };
  main = startMain(env);
  await main.waitForLine(/^Ready$/);
  emulator.appUrl = `http://127.0.0.1:${env.PORT}/slack/events`;
  servicesUrl = `http://127.0.0.1:${env.SERVICES_PORT}`;
});
after(async () => {
  await main?.stop();
  await emulator?.close();
});

/** A request-identity token (Restate's scheme v1: an EdDSA JWT for the request's path) signed with `key`. */
function identityToken(key: KeyObject, path: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const kid = publicKeyOf(key.export({ type: "pkcs8", format: "pem" }).toString());
  const unsigned = `${encode({ alg: "EdDSA", typ: "JWT", kid })}.${encode({ aud: path, nbf: now - 60, exp: now + 60 })}`;
  return `${unsigned}.${sign(null, Buffer.from(unsigned), key).toString("base64url")}`;
}

/** Calls our services endpoint directly (HTTP/2, as Restate does); resolves with the answer's status. */
function callEndpoint(
  path: string,
  init: { method: "GET" | "POST"; token?: string; accept?: string },
): Promise<number> {
  const session = connect(servicesUrl);
  return new Promise<number>((resolve, reject) => {
    const stream = session.request({
      ":method": init.method,
      ":path": path,
      ...(init.method === "POST" ? { "content-type": "application/vnd.restate.invocation.v5" } : {}),
      ...(init.accept ? { accept: init.accept } : {}),
      ...(init.token ? { "x-restate-signature-scheme": "v1", "x-restate-jwt-v1": init.token } : {}),
    });
    stream.on("response", (headers) => {
      resolve(Number(headers[":status"]));
      stream.close();
    });
    stream.on("error", reject);
    stream.end();
    // destroy, not close: close would wait for answers whose bodies this check does not read.
  }).finally(() => session.destroy());
}

test("our services endpoint refuses calls the embedded server did not sign: unsigned, or signed with another key", async () => {
  const discover = "/discover";
  const accept = "application/vnd.restate.endpointmanifest.v3+json";
  const serverKey = createPrivateKey(readFileSync(join(main.dataDir, "request-identity.pem"), "utf8"));
  const { privateKey: otherKey } = generateKeyPairSync("ed25519");

  assert.equal(await callEndpoint(discover, { method: "GET", accept }), 401, "unsigned discovery is refused");
  assert.equal(
    await callEndpoint(discover, { method: "GET", accept, token: identityToken(otherKey, discover) }),
    401,
    "discovery signed with another key is refused",
  );
  assert.equal(
    await callEndpoint(discover, { method: "GET", accept, token: identityToken(serverKey, discover) }),
    200,
    "the same request signed with the embedded server's key is taken",
  );

  const invoke = "/invoke/ChatService/get_status";
  assert.equal(await callEndpoint(invoke, { method: "POST" }), 401, "an unsigned invocation is refused");
  assert.equal(
    await callEndpoint(invoke, { method: "POST", token: identityToken(otherKey, invoke) }),
    401,
    "an invocation signed with another key is refused",
  );

  // Restate's own signed calls still get through: the walk-through works.
  const ingress = ingressClient(main.ingressUrl);
  const receipt = await ingress.call<{ decision: string }>("ChatService/ellie/process_user_message", {
    content: "do something",
    role: "user",
  });
  assert.equal(receipt.decision, "started");
});

test("the Slack app refuses requests with a missing, wrong or stale signature, and they reach nothing", async () => {
  const ts = emulator.workspace.nextTs();
  const envelope = JSON.stringify({
    type: "event_callback",
    team_id: "T0001",
    event_id: "EvFORGED01",
    event: { type: "app_mention", user: ALICE, text: `<@${BOT}> forged`, ts, channel: GENERAL, event_ts: ts },
  });
  const unsigned = await emulator.postToApp(envelope, "application/json", { unsigned: true });
  const wrong = await emulator.postToApp(envelope, "application/json", { secret: "not-the-signing-secret" });
  const stale = await emulator.postToApp(envelope, "application/json", {
    timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
  });
  assert.deepEqual([unsigned.status, wrong.status, stale.status], [401, 401, 401]);

  // A signed mention afterwards is answered: the refused ones were decided on, and started nothing.
  const { message } = await emulator.userPosts({ user: ALICE, channel: GENERAL, text: `<@${BOT}> hello` });
  await waitFor(() => emulator.thread(GENERAL, message.ts).some((m) => m.text === "Done") || undefined, {
    what: "the answer to the signed mention",
  });
  const forgedSession = await ingressClient(main.ingressUrl).call<{ exists: boolean }>(
    `ChatService/${encodeURIComponent(toSessionKey("T0001", GENERAL, ts))}/get_status`,
  );
  assert.equal(forgedSession.exists, false);
  assert.deepEqual(emulator.thread(GENERAL, ts), []);
});
