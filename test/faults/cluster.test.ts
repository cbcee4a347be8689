/**
 * The product spread out (`npm run cluster`'s layout: 3 Restate nodes with replication 2, two ROLE=services
 * behind haproxy, two ROLE=slack) keeps every message while its parts die. Messages flow steadily into
 * threads in all three modes, and every run asks for approval before it posts its result, which a person
 * gives a moment later (so approvals are waiting at every kill). Meanwhile, in turn: SIGKILL and restart of
 * one Restate node, one services process, one Slack process, and of a Restate node while a run's post is
 * held inside its step. Counted from outside: the sessions' history and runs from Restate, the posts,
 * reactions, Homes and approved posts from the emulator's record. Slack's HTTP mode and Socket Mode each
 * get a run (CLUSTER_SLACK_MODE picks one). The figures are printed at the end.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { type LocalCluster, startLocalCluster } from "../../src/cluster/local-cluster.ts";
import { createLogger } from "../../src/logger.ts";
import { toSessionKey } from "../../src/restate/keys.ts";
import { TOOL_POST_EVENT } from "../../src/slack/post-to-channel-tool.ts";
import {
  eventEnvelope,
  type Json,
  mentionEvent,
  messageEvent,
} from "../../src/slack-emulator/app-requests.ts";
import type { SlackEmulator } from "../../src/slack-emulator/emulator.ts";
import type { EmMessage } from "../../src/slack-emulator/workspace.ts";
import { clusterAdminQuery } from "../helpers/admin-query.ts";
import { freeClusterPorts } from "../helpers/free-ports.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { TEST_ADAPTER_KEY } from "../helpers/product-settings.ts";
import {
  checkSessions,
  emptyFigures,
  formatTable,
  type Message,
  type Session,
  settleSessions,
} from "./checks.ts";
import { BOT, ITERATIONS, PEOPLE, type Rig } from "./fault-rig.ts";

const quick = process.env.FAULTS_SCALE === "quick";
const SCALE = {
  /** Threads per mode; each gets a message (the first a mention, the rest replies) every `everyMs`. */
  threadsPerMode: quick ? 1 : 2,
  everyMs: 2000,
  /** Between one failure's restart and the next kill. */
  betweenMs: quick ? 3000 : 8000,
};
const modes = (process.env.CLUSTER_SLACK_MODE ? [process.env.CLUSTER_SLACK_MODE] : ["http", "socket"]) as (
  | "http"
  | "socket"
)[];

/** One delivery as Slack makes it: retried until the app answers, and when. */
interface Delivery {
  readonly firstSentAt: number;
  ackedAt: number;
  /** Sends made, Socket Mode's re-sends of an envelope not acked in time included. */
  attempts: number;
}

/** A failure and what was seen from outside around it. */
interface FailureFigures {
  readonly what: string;
  readonly killedAt: number;
  /** The killed part answering again (restarted and ready). */
  backAt: number;
  /** Longest wait for an acknowledgement of a message first sent while the part was down or coming back. */
  longestAckMs: number;
  /**
   * How long the failure was felt: from the kill to the acknowledgement of the last message, first sent
   * since (and before the next kill), that Slack had to send again or waited over a second for; 0: none was.
   */
  feltMs: number;
  /** Messages first sent between this kill and the next (or the end). */
  sentSince: number;
}

for (const slackMode of modes) {
  describe(`the cluster with Slack over ${slackMode === "http" ? "HTTP" : "Socket Mode"}`, () => {
    let cluster: LocalCluster;
    let emulator: SlackEmulator;
    let dataDir: string;
    let rig: Rig;
    const deliveries: Delivery[] = [];
    const failures: FailureFigures[] = [];
    let approver: ReturnType<typeof approveAsTheyCome> = { stop() {}, approved: () => 0 };

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "cluster-faults-"));
      cluster = await startLocalCluster({
        dataDir,
        ports: await freeClusterPorts(),
        slackMode,
        logger: createLogger({ level: "warn", format: "json" }),
        emulator: { postIntervalMs: 0, socketAckTimeoutMs: 1000 },
        retryPolicy: { initialIntervalMs: 50, maxIntervalMs: 500 },
        env: {
          ADAPTER_KEY: TEST_ADAPTER_KEY,
          DEMO_ITERATION_MS: "150",
          DEMO_DONE_PROBABILITY: "0",
          DEMO_MAX_ITERATIONS: String(ITERATIONS),
          DEMO_APPROVAL: "true",
          SLACK_POST_INTERVAL_MS: "100",
          SLACK_STATUS_PER_MINUTE: "6000",
          HOME_DEBOUNCE_MS: "100",
        },
      });
      emulator =
        cluster.emulator ?? assert.fail("the local cluster runs the emulator without Slack settings");
      // What the fault suite's checks read: the emulator's record, Restate's introspection, the ingress.
      rig = {
        emulator: emulator,
        restate: { query: (sql: string) => clusterAdminQuery(cluster.adminUrl, sql) },
        ingress: ingressClient(cluster.ingressUrl),
      } as unknown as Rig;
    });

    after(async () => {
      approver.stop();
      await cluster?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    /** Delivers envelopes as Slack does: each retried (with its retry number) until the app answers 200. */
    async function deliver(envelopes: readonly Json[]): Promise<void> {
      for (const envelope of envelopes) {
        const delivery: Delivery = { firstSentAt: Date.now(), ackedAt: 0, attempts: 0 };
        deliveries.push(delivery);
        for (let retry = 0; ; retry += 1) {
          const answer = await emulator
            .deliverEvent({}, { envelope, ...(retry > 0 ? { retryNum: retry } : {}) })
            .catch(() => ({ status: 0, attempts: 1 }));
          delivery.attempts += answer.attempts ?? 1;
          if (answer.status === 200) break;
          if (delivery.attempts > 120) throw new Error("an event was never accepted");
          await delay(250);
        }
        delivery.ackedAt = Date.now();
      }
    }

    /** A person writes in a channel (a new thread mentioning the bot) or in a thread; Slack delivers it. */
    async function write(channel: string, person: string, text: string, threadTs?: string): Promise<Message> {
      const { workspace } = emulator;
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel,
        user: person,
        text: threadTs ? text : `<@${BOT}> ${text}`,
        ...(threadTs ? { threadTs } : {}),
        clientMsgId: crypto.randomUUID(),
      });
      const stored = workspace.channel(channel);
      if (!stored) throw new Error(`no channel ${channel}`);
      await deliver([
        eventEnvelope(workspace, messageEvent(workspace, stored, message)),
        ...(threadTs ? [] : [eventEnvelope(workspace, mentionEvent(workspace, stored, message))]),
      ]);
      const root = threadTs ?? message.ts;
      return { key: toSessionKey(workspace.team.id, channel, root), channel, ts: message.ts, text, person };
    }

    /** A person approves each run's request a moment after its card appears, until told to stop. */
    function approveAsTheyCome(channels: readonly string[]): { stop(): void; approved: () => number } {
      const clicked = new Set<string>();
      let approved = 0;
      let stopped = false;
      void (async () => {
        while (!stopped) {
          for (const channel of channels) {
            for (const message of emulator.workspace.messages.get(channel) ?? []) {
              for (const reply of emulator.thread(channel, message.ts)) {
                const blocks = JSON.stringify(reply.blocks ?? []);
                const action = /"action_id":"(approval_approve:[^"]+)"/.exec(blocks)?.[1];
                if (!action || clicked.has(reply.ts)) continue;
                clicked.add(reply.ts);
                // Waiting a moment: some kills meet an approval still open.
                // An interrupted run's card has lost its buttons by then: nothing to click.
                setTimeout(async () => {
                  try {
                    const answer = await emulator.interact({
                      user: PEOPLE[0],
                      on: { channel, ts: reply.ts },
                      actionId: action,
                    });
                    if (answer.status === 200) approved += 1;
                  } catch {}
                }, 1500);
              }
            }
          }
          await delay(200);
        }
      })();
      return {
        stop: () => {
          stopped = true;
        },
        approved: () => approved,
      };
    }

    /**
     * Each thread's messages in order (the next sent once the last was acknowledged), the threads side by
     * side and staggered, one message per thread every `everyMs` (queued ones slower), until `until` resolves.
     */
    async function flow(
      sessions: { channel: string; mode: Session["mode"]; messages: Message[] }[],
      until: Promise<void>,
    ) {
      let flowing = true;
      void until.then(() => {
        flowing = false;
      });
      const threads = sessions.map(async (session, index) => {
        await delay((index * SCALE.everyMs) / sessions.length);
        for (let n = 0; flowing; n += 1) {
          const person = PEOPLE[n % PEOPLE.length] ?? PEOPLE[0];
          const text = `${session.mode.toLowerCase()} ${session.channel} #${n}`;
          const root = session.messages[0];
          session.messages.push(await write(session.channel, person, text, root?.ts));
          // A queued message waits for every run before it (about three seconds each, with its approval):
          // sent slower, so that the queue stays short of QUEUE_MAX, as people's do.
          await delay(session.mode === "QUEUE" ? 3 * SCALE.everyMs : SCALE.everyMs);
        }
      });
      await Promise.all(threads);
    }

    /** A kill and its restart, timed from outside. */
    async function fail(what: string, kill: () => Promise<void>): Promise<void> {
      const figures: FailureFigures = {
        what,
        killedAt: Date.now(),
        backAt: 0,
        longestAckMs: 0,
        feltMs: 0,
        sentSince: 0,
      };
      failures.push(figures);
      await kill();
      figures.backAt = Date.now();
    }

    test("every message lands once and every run finishes while a node, a services and a Slack process die", async () => {
      const channels: string[] = [];
      const sessions: { channel: string; mode: Session["mode"]; messages: Message[] }[] = [];
      for (const mode of ["INTERRUPT", "INCORPORATE", "QUEUE"] as const) {
        for (let t = 0; t < SCALE.threadsPerMode; t += 1) {
          const channel = `C0CL${mode.slice(0, 3)}${t}`;
          emulator.workspace.addChannel({
            id: channel,
            name: `cluster-${mode.toLowerCase()}-${t}`,
            kind: "public",
            members: [...PEOPLE, BOT],
          });
          // As /agentmode does (call throws unless Restate answers 200).
          await ingressClient(cluster.ingressUrl, { adapterKey: TEST_ADAPTER_KEY }).call(
            `ChannelSettings/${emulator.workspace.team.id}:${channel}/set_mode`,
            { mode },
          );
          channels.push(channel);
          sessions.push({ channel, mode, messages: [] });
        }
      }
      approver = approveAsTheyCome(channels);
      let failuresOver = () => {};
      const flowing = flow(
        sessions,
        new Promise<void>((resolve) => {
          failuresOver = resolve;
        }),
      );
      const [node1, node3] = [cluster.restate.nodes[0], cluster.restate.nodes[2]];
      assert.ok(node1 && node3);
      await delay(SCALE.betweenMs);
      // node-1 first: the Slack processes' list of nodes starts with it, so they must pass over it.
      await fail("Restate node-1", () => node1.killAndRestart({ downMs: 2000 }));
      await delay(SCALE.betweenMs);
      await fail("services-1", () =>
        (cluster.services[0] as (typeof cluster.services)[0]).killAndRestart({ downMs: 1000 }),
      );
      await delay(SCALE.betweenMs);
      await fail("slack-1", () =>
        (cluster.slack[0] as (typeof cluster.slack)[0]).killAndRestart({ downMs: 1000 }),
      );
      await delay(SCALE.betweenMs);
      // A run inside its step: its post is held at Slack while a node dies, then let through.
      const held = emulator.hold("chat.postMessage", (args) => channels.includes(String(args.channel)));
      await held.arrived;
      await fail("Restate node-3 during a step", () => node3.killAndRestart({ downMs: 2000 }));
      held.release();
      await delay(SCALE.betweenMs);
      failuresOver();
      await flowing;

      const done: Session[] = sessions.map((s) => ({ key: s.messages[0]?.key ?? "", ...s }));
      await settleSessions(rig, done, 180_000);
      approver.stop();
      const figures = emptyFigures();
      figures.crashed = failures.length;
      await checkSessions(rig, done, figures);

      // Each approved post made once, never twice (by the tool call's id).
      let postedTwice = 0;
      for (const channel of channels) {
        const ids = (emulator.workspace.messages.get(channel) ?? [])
          .map(
            (m: EmMessage) =>
              m.metadata as { event_type?: string; event_payload?: { call_id?: string } } | undefined,
          )
          .filter((m) => m?.event_type === TOOL_POST_EVENT)
          .map((m) => m?.event_payload?.call_id ?? "");
        postedTwice += ids.length - new Set(ids).size;
      }

      for (const failure of failures) {
        const during = deliveries.filter(
          (d) => d.firstSentAt >= failure.killedAt && d.firstSentAt <= failure.backAt + 5000 && d.ackedAt > 0,
        );
        failure.longestAckMs = Math.max(0, ...during.map((d) => d.ackedAt - d.firstSentAt));
        const next = failures[failures.indexOf(failure) + 1]?.killedAt ?? Number.POSITIVE_INFINITY;
        const since = deliveries.filter((d) => d.firstSentAt >= failure.killedAt && d.firstSentAt < next);
        failure.sentSince = since.length;
        const disturbed = since.filter((d) => d.attempts > 1 || d.ackedAt - d.firstSentAt > 1000);
        failure.feltMs = Math.max(0, ...disturbed.map((d) => d.ackedAt - failure.killedAt));
      }
      const sent = sessions.reduce((n, s) => n + s.messages.length, 0);
      process.stdout.write(
        [
          "",
          `Cluster faults, Slack over ${slackMode} (${quick ? "quick" : "full"}): ${sent} messages sent in ${sessions.length} threads, ${approver.approved()} approvals taken`,
          formatTable([{ scenario: "cluster, 4 failures", ...figures }]),
          `Approved posts made twice: ${postedTwice}; deliveries Slack had to send again: ${deliveries.filter((d) => d.attempts > 1).length} of ${deliveries.length}`,
          "failure                        | down for | sent since | longest ack | felt for",
          ...failures.map(
            (f) =>
              `${f.what.padEnd(30)} | ${`${f.backAt - f.killedAt} ms`.padStart(8)} | ${String(f.sentSince).padStart(10)} | ${`${f.longestAckMs} ms`.padStart(11)} | ${`${f.feltMs} ms`.padStart(8)}`,
          ),
          ...figures.problems.map((p) => `  ${p}`),
          "",
        ].join("\n"),
      );
      assert.ok(
        deliveries.every((d) => d.ackedAt > 0),
        "every message was acknowledged",
      );
      assert.ok(
        failures.every((f) => f.sentSince > 0),
        "messages flowed after every failure",
      );
      assert.equal(figures.lost, 0, figures.problems.join("\n"));
      assert.equal(figures.duplicated, 0, figures.problems.join("\n"));
      assert.equal(figures.disordered, 0, figures.problems.join("\n"));
      assert.equal(figures.wrongFate, 0, figures.problems.join("\n"));
      assert.equal(figures.staleHome, 0, figures.problems.join("\n"));
      assert.equal(figures.wrongStatus, 0, figures.problems.join("\n"));
      assert.equal(postedTwice, 0, "an approved post was made twice");
      assert.ok(approver.approved() > 0, "approvals were waiting");
    });
  });
}
