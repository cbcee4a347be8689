/**
 * The emulator waits for the app as Slack does: 3 seconds for the answer to an event, a slash command or
 * an interaction over HTTP (a later answer is a failed delivery, `http_timeout`, which Slack retries with
 * `x-slack-retry-num` and `x-slack-retry-reason`), and 3 seconds for a Socket Mode ack before sending the
 * envelope again with `retry_attempt` and `retry_reason`. A stand-in app answers as slowly as told.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import {
  SLACK_APP_ANSWER_TIMEOUT_MS,
  type SlackEmulator,
  startSlackEmulator,
} from "../../../src/slack-emulator/emulator.ts";
import { waitFor } from "../../helpers/wait.ts";

/** How long the stand-in app takes to answer, and the headers of what it received. */
let answerAfterMs = 0;
let answerBody = "{}";
const received: IncomingHttpHeaders[] = [];
let app: Server;
let emulator: SlackEmulator;

before(async () => {
  app = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    setTimeout(() => {
      if (!response.destroyed)
        response.writeHead(200, { "content-type": "application/json" }).end(answerBody);
    }, answerAfterMs);
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  emulator = await startSlackEmulator();
  emulator.appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`;
});
after(async () => {
  await emulator?.close();
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
});

test("Slack waits 3 seconds for the app's answer, not 10", () => {
  assert.equal(SLACK_APP_ANSWER_TIMEOUT_MS, 3000);
});

test("an app that answers within 3 seconds has its answer taken", async () => {
  answerAfterMs = 200;
  const answer = await emulator.openHome("U0ALICE01");
  assert.equal(answer.status, 200);
  assert.equal(answer.failure, undefined);
});

test("an answer later than 3 seconds is a failed delivery (http_timeout), retried with Slack's retry headers", async () => {
  answerAfterMs = SLACK_APP_ANSWER_TIMEOUT_MS + 1500;
  const started = Date.now();
  const late = await emulator.userPosts({ user: "U0ALICE01", channel: "C0GENERAL", text: "slow app" });
  const waited = Date.now() - started;
  assert.deepEqual(
    late.answers.map((a) => [a.status, a.failure]),
    [[0, "http_timeout"]],
  );
  assert.ok(
    waited >= SLACK_APP_ANSWER_TIMEOUT_MS - 50 && waited < SLACK_APP_ANSWER_TIMEOUT_MS + 1400,
    `gave up after ${waited} ms`,
  );

  answerAfterMs = 0;
  const retry = await emulator.deliverEvent(
    {},
    { envelope: late.envelopes[0] ?? {}, retryNum: 1, retryReason: "http_timeout" },
  );
  assert.equal(retry.status, 200);
  const headers = received.at(-1) ?? {};
  assert.equal(headers["x-slack-retry-num"], "1");
  assert.equal(headers["x-slack-retry-reason"], "http_timeout");
});

test("a slash command answered after 3 seconds shows the person nothing", async () => {
  answerAfterMs = SLACK_APP_ANSWER_TIMEOUT_MS + 1500;
  const before = emulator.ephemeralsFor("U0BOB0002").length;
  const answer = await emulator.slashCommand({
    user: "U0BOB0002",
    channel: "C0GENERAL",
    command: "/agentmode",
    text: "",
  });
  assert.equal(answer.failure, "http_timeout");
  assert.equal(emulator.ephemeralsFor("U0BOB0002").length, before);
});

test("over Socket Mode an envelope not acked within Slack's 3 seconds is sent again with retry_attempt and retry_reason", async () => {
  const socketSlack = await startSlackEmulator();
  try {
    const opened = await fetch(`${socketSlack.apiUrl}apps.connections.open`, {
      method: "POST",
      headers: { authorization: `Bearer ${socketSlack.workspace.bot.appToken}` },
    });
    const { url } = (await opened.json()) as { url: string };
    const ws = new WebSocket(url);
    const envelopes: { at: number; envelope: Record<string, unknown> }[] = [];
    ws.on("message", (data) => {
      const envelope = JSON.parse(String(data)) as Record<string, unknown>;
      if (envelope.type !== "events_api") return;
      envelopes.push({ at: Date.now(), envelope });
      // The app acks only the second send.
      if (envelopes.length === 2) ws.send(JSON.stringify({ envelope_id: envelope.envelope_id }));
    });
    await socketSlack.socketConnected();
    const answer = await socketSlack.openHome("U0ALICE01");
    ws.close();
    assert.equal(answer.acked, true);
    assert.equal(answer.attempts, 2);
    const [first, second] = envelopes;
    const gap = (second?.at ?? 0) - (first?.at ?? 0);
    assert.ok(gap >= 2950 && gap < 4500, `sent again after ${gap} ms`);
    assert.equal(second?.envelope.retry_attempt, 1);
    assert.equal(second?.envelope.retry_reason, "timeout");
  } finally {
    await socketSlack.close();
  }
});

test("over Socket Mode the envelopes are spread over the app's connections, and one not acked goes to another", async () => {
  const socketSlack = await startSlackEmulator({ socketAckTimeoutMs: 300 });
  try {
    /** One connection of the app, as one process holds it; `acks` false plays a process that has hung. */
    const connect = async (name: string, acks: boolean) => {
      const opened = await fetch(`${socketSlack.apiUrl}apps.connections.open`, {
        method: "POST",
        headers: { authorization: `Bearer ${socketSlack.workspace.bot.appToken}` },
      });
      const ws = new WebSocket(((await opened.json()) as { url: string }).url);
      const got: { name: string; retry: unknown }[] = [];
      ws.on("message", (data) => {
        const envelope = JSON.parse(String(data)) as Record<string, unknown>;
        if (envelope.type === "hello") return;
        got.push({ name, retry: envelope.retry_attempt });
        if (acks) ws.send(JSON.stringify({ envelope_id: envelope.envelope_id }));
      });
      await new Promise((resolve) => ws.once("open", resolve));
      return { ws, got };
    };
    const one = await connect("one", true);
    const two = await connect("two", true);
    await waitFor(() => socketSlack.socketConnectionCount === 2 || undefined, { what: "two connections" });
    for (let i = 0; i < 4; i += 1) assert.equal((await socketSlack.openHome("U0ALICE01")).acked, true);
    assert.equal(one.got.length, 2, "each connection got half");
    assert.equal(two.got.length, 2, "each connection got half");
    // A third connection that never acks: what it is sent goes to another connection when its time is up.
    const hung = await connect("hung", false);
    await waitFor(() => socketSlack.socketConnectionCount === 3 || undefined, { what: "three connections" });
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await socketSlack.openHome("U0ALICE01"));
    assert.ok(answers.every((a) => a.acked));
    assert.equal(hung.got.length, 1, "the hung connection was sent one envelope");
    assert.equal(
      answers.filter((a) => a.attempts === 2).length,
      1,
      "which was acked elsewhere on its second send",
    );
    for (const { ws } of [one, two, hung]) ws.close();
  } finally {
    await socketSlack.close();
  }
});

test("a slash command answered with blocks Slack refuses shows the person Slack's error, not the answer", async () => {
  answerAfterMs = 0;
  const before = emulator.ephemeralsFor("U0CAROL03").length;
  answerBody = JSON.stringify({
    text: "t",
    blocks: [{ type: "header", text: { type: "mrkdwn", text: "*no*" } }],
  });
  const refused = await emulator.slashCommand({
    user: "U0CAROL03",
    channel: "C0GENERAL",
    command: "/agentmode",
    text: "",
  });
  assert.equal(refused.refusedBySlack, "invalid_blocks");
  assert.equal(emulator.ephemeralsFor("U0CAROL03").length, before);
  answerBody = JSON.stringify({
    text: "t",
    blocks: [{ type: "header", text: { type: "plain_text", text: "yes" } }],
  });
  const shown = await emulator.slashCommand({
    user: "U0CAROL03",
    channel: "C0GENERAL",
    command: "/agentmode",
    text: "",
  });
  assert.equal(shown.refusedBySlack, undefined);
  assert.equal(emulator.ephemeralsFor("U0CAROL03").length, before + 1);
  answerBody = "{}";
});
