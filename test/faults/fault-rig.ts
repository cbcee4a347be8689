/**
 * The fault suite's rig: the real product (`node src/main.ts`: services endpoint and Bolt app in one
 * process) against a real restate-server (signing its requests) and the Slack emulator. Either process
 * can be killed with SIGKILL and started again on the same ports and data. Events are delivered the way
 * Slack delivers them: a failed delivery is retried (with `X-Slack-Retry-Num`) on a compressed schedule.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { toSessionKey } from "../../src/restate/keys.ts";
import {
  eventEnvelope,
  type Json,
  mentionEvent,
  messageEvent,
} from "../../src/slack-emulator/app-requests.ts";
import { type SlackEmulator, startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { freePorts } from "../helpers/free-ports.ts";
import { type IngressClient, ingressClient } from "../helpers/ingress.ts";
import {
  emulatedSlackSettings,
  externalRestateSettings,
  TEST_ADAPTER_KEY,
} from "../helpers/product-settings.ts";
import { startTestRestate, type TestRestate } from "../helpers/test-restate.ts";

const root = new URL("../..", import.meta.url).pathname;

export const BOT = "U0AGENT01";
export const PEOPLE = ["U0ALICE01", "U0BOB0002", "U0CAROL03"] as const;
/** Iterations of every demo run (and so posts per message): DEMO_MAX_ITERATIONS with no early stop. */
export const ITERATIONS = 3;

export interface Rig {
  readonly emulator: SlackEmulator;
  readonly restate: TestRestate;
  readonly ingress: IngressClient;
  /** The ingress as our Slack adapter calls it (signed). */
  readonly adapter: IngressClient;
  readonly logDir: string;
  /** The product process: SIGKILL it (false when it was not running: no kill happened), start it again. */
  killProduct(): Promise<boolean>;
  startProduct(): Promise<void>;
  /** SIGKILL restate-server and start it again on its data folder. */
  killRestate(): Promise<void>;
  /** A new channel with everyone in it. */
  newChannel(): string;
  /** A person mentions the bot at the top of a channel: delivered (and retried) until the app takes it. */
  mention(
    channel: string,
    text: string,
    options?: { extraDeliveries?: number },
  ): Promise<{ ts: string; key: string; person: string }>;
  /** A person replies in a thread (no mention): delivered (and retried) until the app takes it. */
  reply(channel: string, threadTs: string, person: string, text: string): Promise<{ ts: string }>;
  /** Delivers envelopes like Slack: retried until answered 200, up to ~40 s. */
  deliver(envelopes: readonly Json[]): Promise<void>;
  /** Everything the product and restate-server logged. */
  logs(): string;
  close(): Promise<void>;
}

/** `env`: settings beside the rig's own (`DEMO_APPROVAL`, say). */
export async function startRig(options: { env?: Record<string, string> } = {}): Promise<Rig> {
  const emulator = await startSlackEmulator();
  const restate = await startTestRestate({ requestIdentity: true });
  const [servicesPort, boltPort] = (await freePorts(2)) as [number, number];
  const logDir = mkdtempSync(join(tmpdir(), "faults-"));
  const productLog: WriteStream = createWriteStream(join(logDir, "product.log"), { flags: "a" });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    ...externalRestateSettings(restate, servicesPort),
    RESTATE_IDENTITY_KEYS: restate.identityKey ?? "",
    ...emulatedSlackSettings(emulator),
    PORT: String(boltPort),
    DEMO_ITERATION_MS: "150",
    DEMO_DONE_PROBABILITY: "0",
    DEMO_MAX_ITERATIONS: String(ITERATIONS),
    SLACK_POST_INTERVAL_MS: "100",
    SLACK_STATUS_PER_MINUTE: "6000",
    HOME_DEBOUNCE_MS: "100",
    // The most talkative level: the secrets check greps every line.
    LOG_LEVEL: "debug",
    LOG_FORMAT: "json",
    ...options.env,
  };
  emulator.appUrl = `http://127.0.0.1:${boltPort}/slack/events`;

  let product: ChildProcess | null = null;
  const startProduct = async () => {
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    product = child;
    child.stderr?.pipe(productLog, { end: false });
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        productLog.write(chunk);
        seen += chunk.toString();
        if (seen.includes('"msg":"Ready"')) resolve();
      });
      child.once("exit", (code) =>
        reject(new Error(`the product exited (${code}) before it was ready; see ${logDir}/product.log`)),
      );
    });
  };
  const killProduct = async () => {
    const child = product;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    return true;
  };

  await startProduct();
  const ingress = ingressClient(restate.ingressUrl);
  let channels = 0;

  const deliver = async (envelopes: readonly Json[]) => {
    for (const envelope of envelopes) {
      for (let attempt = 0; ; attempt += 1) {
        const answer = await emulator
          .deliverEvent({}, { envelope, ...(attempt > 0 ? { retryNum: attempt } : {}) })
          .catch(() => ({ status: 0 }));
        if (answer.status === 200) break;
        if (attempt >= 80) throw new Error(`an event was never accepted (last answer ${answer.status})`);
        await delay(500);
      }
    }
  };

  return {
    emulator,
    restate,
    ingress,
    adapter: ingressClient(restate.ingressUrl, { adapterKey: TEST_ADAPTER_KEY }),
    logDir,
    killProduct,
    startProduct,
    async killRestate() {
      await restate.killAndRestart();
    },
    newChannel() {
      channels += 1;
      const id = `C0FAULT${String(channels).padStart(3, "0")}`;
      emulator.workspace.addChannel({
        id,
        name: `faults-${channels}`,
        kind: "public",
        members: [...PEOPLE, BOT],
      });
      return id;
    },
    async mention(channel, text, options = {}) {
      const { workspace } = emulator;
      const person = PEOPLE[channels % PEOPLE.length] ?? PEOPLE[0];
      // Store the message as Slack does, then deliver its events (message and app_mention) like Slack.
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel,
        user: person,
        text: `<@${BOT}> ${text}`,
        clientMsgId: crypto.randomUUID(),
      });
      const stored = workspace.channel(channel);
      if (!stored) throw new Error(`no channel ${channel}`);
      const envelopes = [
        eventEnvelope(workspace, messageEvent(workspace, stored, message)),
        eventEnvelope(workspace, mentionEvent(workspace, stored, message)),
      ];
      await deliver(envelopes);
      // Slack's own retries of deliveries it thinks failed: the same envelopes again, marked as retries.
      for (let extra = 0; extra < (options.extraDeliveries ?? 0); extra += 1) {
        const envelope = envelopes[extra % envelopes.length];
        if (envelope) await emulator.deliverEvent({}, { envelope, retryNum: 1 + extra });
      }
      return { ts: message.ts, key: toSessionKey(workspace.team.id, channel, message.ts), person };
    },
    async reply(channel, threadTs, person, text) {
      const { workspace } = emulator;
      const message = workspace.addMessage({
        ts: workspace.nextTs(),
        channel,
        user: person,
        text,
        threadTs,
        clientMsgId: crypto.randomUUID(),
      });
      const stored = workspace.channel(channel);
      if (!stored) throw new Error(`no channel ${channel}`);
      await deliver([eventEnvelope(workspace, messageEvent(workspace, stored, message))]);
      return { ts: message.ts };
    },
    deliver,
    logs() {
      const read = (path: string) => {
        try {
          return readFileSync(path, "utf8");
        } catch {
          return "";
        }
      };
      return read(join(logDir, "product.log")) + read(join(restate.dataDir, "restate-server.log"));
    },
    async close() {
      await killProduct();
      productLog.end();
      await emulator.close();
      await restate.stop();
    },
  };
}
