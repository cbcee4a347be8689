/**
 * The fault suite (`npm run test:faults`): nothing lost, nothing done twice, whatever breaks.
 * Every figure is observed from outside our code (Restate's state and introspection, the Slack emulator's
 * posts keyed by run id and iteration, the bot's reactions on each message and the Home last published to
 * each person). Kills happen at exact points: the emulator holds a Web API call (before or after it did
 * its work) while the test sends SIGKILL; a round that was meant to kill and did not fails. FAULTS_SCALE=quick runs fewer rounds
 * (what CI runs); the default is the full count. The table of figures is printed at the end.
 */
import assert from "node:assert/strict";
import { connect } from "node:http2";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { seededRandom } from "../../src/slack-emulator/emulator.ts";
import { TEST_ADAPTER_KEY } from "../helpers/product-settings.ts";
import { approvalRounds, formatApprovalFigures } from "./approval-rounds.ts";
import { generateBadRequests } from "./bad-requests.ts";
import {
  checkMessages,
  checkSessions,
  checkViews,
  emptyFigures,
  type Figures,
  formatTable,
  type Message,
  type Session,
  settle,
  settleSessions,
} from "./checks.ts";
import { BOT, PEOPLE, type Rig, startRig } from "./fault-rig.ts";

const quick = process.env.FAULTS_SCALE === "quick";
const SCALE = {
  deliveries: quick ? 6 : 30,
  kills: quick ? 5 : 20,
  /** Sessions per mode of several messages, each with a kill in its middle. */
  modeSessions: quick ? 2 : 5,
  chaosMessages: quick ? 8 : 30,
  outages: quick ? 2 : 5,
  badRequests: quick ? 250 : 1000,
  approvalRounds: quick ? 4 : 12,
};
const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

let rig: Rig;
const rows: (Figures & { scenario: string })[] = [];
before(async () => {
  rig = await startRig();
});
after(async () => {
  const notes = rows.flatMap((row) => row.problems.map((problem) => `  ${row.scenario}: ${problem}`));
  process.stdout.write(
    `\nFault suite (seed ${SEED}, ${quick ? "quick" : "full"}):\n${formatTable(rows)}\n${notes.length ? `\nNotes:\n${notes.join("\n")}\n` : ""}\n`,
  );
  await rig?.close();
});

function record(scenario: string, figures: Figures): void {
  rows.push({ scenario, ...figures });
  assert.equal(figures.lost, 0, `lost: ${figures.problems.join("\n")}`);
  assert.equal(figures.duplicated, 0, `duplicated: ${figures.problems.join("\n")}`);
  assert.equal(figures.disordered, 0, "posts out of order");
  assert.equal(figures.wrongFate, 0, `wrong fate reactions: ${figures.problems.join("\n")}`);
  assert.equal(figures.staleHome, 0, `Homes not showing how sessions ended: ${figures.problems.join("\n")}`);
  assert.equal(
    figures.wrongStatus,
    0,
    `agent sessions left in the wrong status: ${figures.problems.join("\n")}`,
  );
}

/** Counts, per message, everything the suite checks: history, runs, posts, fate reaction, Home. */
async function checkAll(messages: readonly Message[], figures: Figures): Promise<void> {
  await checkMessages(rig, messages, figures);
  await checkViews(rig, messages, figures);
}

const STATE_QUERY =
  "SELECT service_name, service_key, key, value_utf8 FROM state ORDER BY service_name, service_key, key";

/**
 * The state of everything, once background work (reactions, Home publishes, posts) has finished: no
 * invocation left that is not completed (a retry backing off for up to 30 s counts as unfinished), and the
 * state unchanged for a second.
 */
async function quiescentState(): Promise<Record<string, unknown>[]> {
  await waitUntil(
    async () => {
      const rows = await rig.restate.query<{ n: number }>(
        "SELECT count(*) AS n FROM sys_invocation WHERE status <> 'completed'",
      );
      return Number(rows[0]?.n ?? 0) === 0;
    },
    "every invocation to finish",
    120_000,
  );
  let previous = JSON.stringify(await rig.restate.query(STATE_QUERY));
  for (let i = 0; i < 60; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const current = JSON.stringify(await rig.restate.query(STATE_QUERY));
    if (current === previous) return JSON.parse(current) as Record<string, unknown>[];
    previous = current;
  }
  throw new Error("the state never stopped changing");
}

async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function mentionNew(text: string, options?: { extraDeliveries?: number }): Promise<Message> {
  const channel = rig.newChannel();
  const { ts, key, person } = await rig.mention(channel, text, options);
  return { key, channel, ts, text, person };
}

/** The Web API calls a kill may hit, and whether the call has already done its work when it is held. */
const KILL_POINTS = [
  { method: "chat.postMessage", afterWork: false },
  { method: "chat.postMessage", afterWork: true },
  { method: "reactions.add", afterWork: false },
  { method: "reactions.add", afterWork: true },
  { method: "views.publish", afterWork: false },
  { method: "agents.sessions.setStatus", afterWork: false },
  { method: "agents.sessions.setStatus", afterWork: true },
] as const;

/** A kill, then a restart of what was killed; false when there was nothing to kill. */
type Kill = () => Promise<boolean>;

const killProduct: Kill = async () => {
  const killed = await rig.killProduct();
  await rig.startProduct();
  return killed;
};
const killRestate: Kill = async () => {
  await rig.killRestate();
  return true;
};

/**
 * A kill at a random kill point: holds the next matching Web API call, runs `during` (which sends what
 * should meet the kill), and when the call is held there, kills (and restarts); then releases the call.
 * A round that was meant to kill and did not fails the test.
 */
async function killAtRandomPoint<T>(
  kill: Kill,
  random: () => number,
  figures: Figures,
  round: string,
  during: () => Promise<T>,
): Promise<T> {
  const point = KILL_POINTS[Math.floor(random() * KILL_POINTS.length)] ?? KILL_POINTS[0];
  const held = rig.emulator.hold(point.method, undefined, { afterWork: point.afterWork });
  const sent = await during();
  // Generous: a call that takes this long to come is a fault of its own, and the round fails with it.
  let timer: NodeJS.Timeout | undefined;
  const arrived = await Promise.race([
    held.arrived.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), 60_000);
    }),
  ]);
  clearTimeout(timer);
  try {
    assert.ok(arrived, `${round}: no ${point.method} call came to kill at`);
    assert.ok(await kill(), `${round}: the kill found nothing to kill`);
    figures.crashed += 1;
  } finally {
    held.release();
  }
  return sent;
}

/**
 * Rounds of: a new message; a random kill point on the next matching Web API call; when the call is held
 * there, `kill` (which also restarts what it killed); then the call is released.
 */
async function killRounds(kill: Kill, figures: Figures, random: () => number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let round = 0; round < SCALE.kills; round += 1) {
    messages.push(
      await killAtRandomPoint(kill, random, figures, `round ${round}`, () =>
        mentionNew(`kill round ${round}`),
      ),
    );
  }
  return messages;
}

/**
 * Sessions of three messages in each mode, from three people: a mention and a reply, a kill at a random
 * point, and a reply after the restart.
 */
async function modeSessions(kill: Kill, figures: Figures, random: () => number): Promise<Session[]> {
  const sessions: Session[] = [];
  for (const mode of ["INTERRUPT", "INCORPORATE", "QUEUE"] as const) {
    for (let round = 0; round < SCALE.modeSessions; round += 1) {
      const channel = rig.newChannel();
      await rig.adapter.call(`ChannelSettings/${rig.emulator.workspace.team.id}:${channel}/set_mode`, {
        mode,
      });
      const name = `${mode.toLowerCase()} ${round}`;
      const [first, second] = await killAtRandomPoint(kill, random, figures, name, async () => {
        const mentioned = await rig.mention(channel, `${name}: first`);
        const first: Message = { ...mentioned, channel, text: `${name}: first` };
        const person = PEOPLE.find((p) => p !== first.person) ?? first.person;
        const text = `${name}: second`;
        const { ts } = await rig.reply(channel, first.ts, person, text);
        return [first, { key: first.key, channel, ts, text, person }] as const;
      });
      const person = PEOPLE.find((p) => p !== first.person && p !== second.person) ?? first.person;
      const text = `${name}: third`;
      const { ts } = await rig.reply(channel, first.ts, person, text);
      sessions.push({
        key: first.key,
        channel,
        mode,
        messages: [first, second, { key: first.key, channel, ts, text, person }],
      });
    }
  }
  return sessions;
}

describe("fault suite", () => {
  test("every event delivered three times (a Slack retry and the app_mention/message overlap) gives one entry, one run", async () => {
    const figures = emptyFigures();
    const messages: Message[] = [];
    for (let i = 0; i < SCALE.deliveries; i += 1)
      messages.push(await mentionNew(`deliver me thrice ${i}`, { extraDeliveries: 1 }));
    await settle(rig, messages);
    await checkAll(messages, figures);
    record("every event delivered 3 times", figures);
  });

  test("kill -9 of our process at random points during runs, restarted each time", async () => {
    const figures = emptyFigures();
    const messages = await killRounds(killProduct, figures, seededRandom(SEED));
    await settle(rig, messages);
    await checkAll(messages, figures);
    record(`kill -9 of our process (${SCALE.kills} points)`, figures);
    assert.ok(figures.crashed >= Math.ceil(SCALE.kills / 2), `only ${figures.crashed} kills happened`);
    assert.equal(figures.crashed, SCALE.kills, "every round killed");
  });

  test("kill -9 of restate-server at random points during runs, restarted on its data", async () => {
    const figures = emptyFigures();
    const messages = await killRounds(killRestate, figures, seededRandom(SEED + 1));
    await settle(rig, messages);
    await checkAll(messages, figures);
    record(`kill -9 of restate-server (${SCALE.kills} points)`, figures);
    assert.ok(figures.crashed >= Math.ceil(SCALE.kills / 2), `only ${figures.crashed} kills happened`);
    assert.equal(figures.crashed, SCALE.kills, "every round killed");
  });

  for (const [index, [name, kill]] of (
    [
      ["our process", killProduct],
      ["restate-server", killRestate],
    ] as const
  ).entries()) {
    test(`kill -9 of ${name} in sessions of several messages, in each mode: every message once, each fate right`, async () => {
      const figures = emptyFigures();
      const sessions = await modeSessions(kill, figures, seededRandom(SEED + 10 + index));
      await settleSessions(rig, sessions);
      await checkSessions(rig, sessions, figures);
      record(`kill -9 of ${name}, 3 modes x ${SCALE.modeSessions} sessions of 3`, figures);
      assert.equal(figures.crashed, 3 * SCALE.modeSessions, "every session met a kill");
    });
  }

  test("a crash between a post reaching Slack and its journal entry does not post twice", async () => {
    const figures = emptyFigures();
    const messages: Message[] = [];
    for (const [index, kill] of [killProduct, killRestate].entries()) {
      const channel = rig.newChannel();
      // The post is stored by Slack, but its answer never reaches us: exactly the gap the journal cannot close.
      const held = rig.emulator.hold("chat.postMessage", (args) => args.channel === channel, {
        afterWork: true,
      });
      const lookupsBefore = rig.emulator
        .callsTo("conversations.replies")
        .filter((c) => c.args.channel === channel).length;
      const { ts, key, person } = await rig.mention(channel, `post once ${index}`);
      messages.push({ key, channel, ts, text: `post once ${index}`, person });
      await held.arrived;
      assert.ok(await kill(), "the kill found something to kill");
      figures.crashed += 1;
      held.release();
      await settle(rig, [messages.at(-1) as Message]);
      const lookups = rig.emulator
        .callsTo("conversations.replies")
        .filter((c) => c.args.channel === channel).length;
      assert.ok(lookups > lookupsBefore, "the retried post looked for its earlier copy first");
    }
    await checkAll(messages, figures);
    record("crash between a post and its journal entry", figures);
  });

  test("restate-server dying while a retried post waits to look for its first try: only one attempt posts", async () => {
    const figures = emptyFigures();
    const channel = rig.newChannel();
    // The first try's connection drops before Slack did anything, so the retry must wait (the landing
    // grace), look for the post, then post. restate-server dies during that wait: the attempt that was
    // waiting lives on in our process without a connection, while Restate starts another one after its
    // restart. Only one of them may post.
    rig.emulator.inject({
      method: "chat.postMessage",
      when: (args) => args.channel === channel,
      effect: { kind: "drop", when: "before" },
    });
    const { ts, key, person } = await rig.mention(channel, "post once across a dead server");
    const message: Message = { key, channel, ts, text: "post once across a dead server", person };
    await waitUntil(
      () =>
        rig.emulator.callsTo("chat.postMessage").some((c) => c.args.channel === channel && c.status === 0),
      "the first try dropped",
    );
    // The exact point: the retry attempt is running (and so waiting out the grace before it looks).
    await waitUntil(async () => {
      const rows = await rig.restate.query<{ n: number }>(
        `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'SlackChannel' AND target_service_key LIKE '%:${channel}' AND retry_count >= 1 AND status = 'running'`,
      );
      return Number(rows[0]?.n ?? 0) > 0;
    }, "the retry waiting to look for its post");
    await rig.killRestate();
    figures.crashed += 1;
    await settle(rig, [message], 90_000);
    await checkAll([message], figures);
    record("restate-server dying during a retried post", figures);
  });

  test("Slack answering 429, 5xx or dropping the connection for 30% of calls: every post once, in order", async () => {
    const figures = emptyFigures();
    rig.emulator.setChaos({
      methods: [
        "chat.postMessage",
        "reactions.add",
        "reactions.remove",
        "views.publish",
        "conversations.replies",
      ],
      rate: 0.3,
      seed: SEED + 2,
    });
    const messages: Message[] = [];
    try {
      for (let i = 0; i < SCALE.chaosMessages; i += 1) messages.push(await mentionNew(`chaos ${i}`));
      await settle(rig, messages, 180_000);
    } finally {
      rig.emulator.setChaos(null);
    }
    await checkAll(messages, figures);
    figures.problems.push(`faults injected: ${JSON.stringify(rig.emulator.chaosCounts)}`);
    record("30% of Slack calls failing", figures);
    assert.ok(Object.values(rig.emulator.chaosCounts).reduce((a, b) => a + b, 0) > 0, "faults were injected");
  });

  test("Restate unreachable when an event arrives: the request fails, Slack's retry is accepted once", async () => {
    const figures = emptyFigures();
    const messages: Message[] = [];
    for (let i = 0; i < SCALE.outages; i += 1) {
      const channel = rig.newChannel();
      await rig.restate.server.stop();
      const { workspace } = rig.emulator;
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel,
        user: "U0ALICE01",
        text: `<@${BOT}> outage ${i}`,
        clientMsgId: crypto.randomUUID(),
      });
      const { eventEnvelope, mentionEvent } = await import("../../src/slack-emulator/app-requests.ts");
      const stored = workspace.channel(channel);
      assert.ok(stored);
      const envelope = eventEnvelope(workspace, mentionEvent(workspace, stored, message));
      const failed = await rig.emulator.deliverEvent({}, { envelope });
      assert.equal(failed.status, 500, "the event request fails while Restate is down");
      await rig.killRestate();
      figures.crashed += 1;
      await rig.deliver([envelope]);
      messages.push({
        key: toSessionKey(workspace.team.id, channel, message.ts),
        channel,
        ts: message.ts,
        text: `outage ${i}`,
        person: "U0ALICE01",
      });
    }
    await settle(rig, messages);
    await checkAll(messages, figures);
    record("Restate unreachable when an event arrives", figures);
  });

  test("generated bad requests: the process stays up, nothing changes, each gets a 4xx or a harmless 200", async () => {
    const stateBefore = await quiescentState();
    const requests = generateBadRequests(SCALE.badRequests, SEED + 3, rig.emulator.workspace.team.id);
    const answers: { kind: string; status: number; error?: string }[] = [];
    const queue = [...requests];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let request = queue.shift(); request; request = queue.shift()) {
          const signing = request.signing;
          const answer = await rig.emulator
            .postToApp(request.body, request.contentType, {
              // Not Slack's delivery, so not Slack's 3 s: Bolt answers a request no listener takes with
              // a 404 after its own 3 s.
              timeoutMs: 10_000,
              ...(signing === "unsigned" ? { unsigned: true } : {}),
              ...(signing === "forged" ? { secret: "not-the-signing-secret" } : {}),
              ...(signing === "stale" ? { timestamp: Math.floor(Date.now() / 1000) - 600 } : {}),
              ...(signing === "tampered" ? { secret: "x" } : {}),
            })
            .catch((error: unknown) => ({
              status: -1,
              body: (error as NodeJS.ErrnoException).code ?? String(error),
            }));
          answers.push({
            kind: request.kind,
            status: answer.status,
            ...(answer.status === -1 ? { error: String(answer.body) } : {}),
          });
        }
      }),
    );
    const figures = emptyFigures();
    figures.tried = answers.length;
    const byKind = new Map<string, Set<number>>();
    for (const answer of answers)
      byKind.set(answer.kind, (byKind.get(answer.kind) ?? new Set()).add(answer.status));
    figures.problems.push(
      ...[...byKind.entries()].map(([kind, statuses]) => `${kind}: ${[...statuses].join(", ")}`),
    );
    // An oversized upload may be cut by the server (after its 413) before the client reads the answer.
    const cutUpload = (a: { kind: string; error?: string }) =>
      a.kind === "oversized body" && (a.error === "EPIPE" || a.error === "ECONNRESET");
    const harmful = answers.filter(
      (a) => !(a.status === 200 || (a.status >= 400 && a.status < 500) || cutUpload(a)),
    );
    for (const [kind, statuses] of byKind) {
      if (/signature|unsigned|tampered/.test(kind))
        assert.deepEqual([...statuses], [401], `${kind} is refused`);
    }
    assert.deepEqual(harmful, [], "every bad request gets a 4xx or a harmless 200");

    // Still up, and nothing changed in any session.
    const alive = await mentionNew("still there?");
    await settle(rig, [alive]);
    await checkAll([alive], figures);
    // The check's own session moves what it touches: its channel, its person's Home and the workspace's
    // pace of status calls (one bucket for the whole workspace). Everything else must be as it was.
    const stateAfter = await rig.restate.query(
      `SELECT service_name, service_key, key, value_utf8 FROM state WHERE service_key NOT LIKE '%${alive.channel}%' AND service_name NOT IN ('UserHome', 'SlackWorkspace') ORDER BY service_name, service_key, key`,
    );
    const comparable = stateBefore.filter(
      (row) => row.service_name !== "UserHome" && row.service_name !== "SlackWorkspace",
    );
    assert.deepEqual(stateAfter, comparable, "no session changed");
    figures.tried = answers.length;
    record(`bad requests (${answers.length})`, figures);
  });

  test("security: signed requests only, loopback only, no secrets in logs or in Restate", async () => {
    const { bot } = rig.emulator.workspace;
    // Our endpoint refuses calls that Restate did not sign.
    const servicesUrl = (
      await rig.restate.query<{ endpoint: string }>("SELECT endpoint FROM sys_deployment")
    )[0]?.endpoint;
    assert.ok(servicesUrl, "a deployment is registered");
    const session = connect(servicesUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/invoke/ChatService/get_status",
        "content-type": "application/vnd.restate.invocation.v5",
      });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.end();
    });
    const discovery = await new Promise<number>((resolve, reject) => {
      const stream = session.request({
        ":method": "GET",
        ":path": "/discover",
        accept: "application/vnd.restate.endpointmanifest.v3+json",
      });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.end();
    });
    session.close();
    assert.equal(status, 401, "an unsigned invocation is refused");
    assert.equal(discovery, 401, "unsigned discovery is refused");

    // Everything listens on loopback only.
    const listening = (await import("node:fs")).readFileSync("/proc/net/tcp", "utf8");
    const ports = [
      new URL(servicesUrl).port,
      new URL(rig.restate.ingressUrl).port,
      new URL(rig.restate.adminUrl).port,
    ].map(Number);
    for (const port of ports) {
      const hex = port.toString(16).toUpperCase().padStart(4, "0");
      const lines = listening
        .split("\n")
        .filter((line) => new RegExp(`^\\s*\\d+: [0-9A-F]{8}:${hex} 00000000:0000 0A `).test(line));
      assert.ok(lines.length > 0, `something listens on ${port}`);
      for (const line of lines)
        assert.match(line, new RegExp(`: 0100007F:${hex} `), `port ${port} listens on 127.0.0.1 only`);
    }

    // No token or secret in any log we produced (debug level), in any state, journal or input.
    const secrets = {
      "bot token": bot.botToken,
      "signing secret": bot.signingSecret,
      "app token": bot.appToken,
      "adapter key": TEST_ADAPTER_KEY,
    };
    const logs = rig.logs();
    assert.ok(logs.length > 10_000, "the logs were captured");
    for (const [name, secret] of Object.entries(secrets))
      assert.ok(!logs.includes(secret), `the ${name} is in a log`);
    const state = await rig.restate.query<{ value_utf8: string | null }>("SELECT value_utf8 FROM state");
    const journal = await rig.restate.query<{ raw: string | null; entry_json: string | null }>(
      "SELECT raw, entry_json FROM sys_journal",
    );
    const stored = [
      ...state.map((row) => row.value_utf8 ?? ""),
      ...journal.map(
        (row) => `${Buffer.from(row.raw ?? "", "hex").toString("latin1")}${row.entry_json ?? ""}`,
      ),
    ].join("\n");
    assert.ok(stored.length > 1000, "state and journals were read");
    for (const [name, secret] of Object.entries(secrets))
      assert.ok(!stored.includes(secret), `the ${name} is stored in Restate`);

    // Handlers meant for our own objects refuse calls from the ingress.
    for (const path of [
      "ChatService/x/run_ended",
      "ChatService/x/fail_run",
      "AgentSession/x%2Fy/run",
      "ChannelSettings/T:C/add_session",
      "SlackThread/x/changed",
      "SlackThread/x/refused",
      "SlackChannel/T:C/enqueue",
      "SlackChannel/T:C/discard",
      "SlackChannel/T:C/flush",
      "UserHome/T:U/session_changed",
      "UserHome/T:U/publish",
      "SlackWorkspace/T/reserve_update",
      "ChatService/x/approval_pending",
      "ChatService/x/approval_timed_out",
      "ChatService/x/undo_offered",
      "ChatService/x/undo_finished",
      "AgentSession/x%2Fy/undo_effects",
      "AgentSession/x%2Fy/forget_effects",
      "SlackChannel/T:C/post_notice",
    ]) {
      const response = await rig.ingress.request(path, {});
      assert.equal(response.status, 400, `${path} answered ${response.status}`);
      assert.match(response.message, /not public/, path);
    }
    const figures = emptyFigures();
    figures.tried = 1;
    record("security checks", figures);
  });
});

describe("approvals and undos under faults", () => {
  let approvals: Rig;
  before(async () => {
    approvals = await startRig({ env: { DEMO_APPROVAL: "true" } });
  });
  after(() => approvals?.close());

  test("kills at random points around approvals and undos: no tool run twice, no approval lost, no undo run twice", async () => {
    const figures = await approvalRounds(approvals, {
      rounds: SCALE.approvalRounds,
      random: seededRandom(SEED + 20),
    });
    process.stdout.write(`\n${formatApprovalFigures(figures)}\n`);
    assert.equal(figures.toolsRunTwice, 0, figures.problems.join("\n"));
    assert.equal(figures.approvalsLost, 0, figures.problems.join("\n"));
    assert.equal(figures.undosRunTwice, 0, figures.problems.join("\n"));
    assert.ok(figures.crashed >= figures.rounds, "every round met a kill");
  });
});
