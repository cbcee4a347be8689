/**
 * People's messages stay out of the log: the product as a person runs it (`node src/main.ts`, the
 * playground's emulated Slack, the embedded restate-server), a private thread with a phrase nobody else
 * may read, and a curl session beside it. At `info` the thread's text is in no line, not even as a
 * substring, while the curl session keeps the seed's lines with its text; at `debug` the thread's text is
 * there (for whoever debugs, on their own machine).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { adminQuery } from "../helpers/admin-query.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import { playgroundClient } from "../helpers/playground-client.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const BOT = "U0AGENT01";
/** The playground's private channel (Alice, Bob and the bot). */
const PRIVATE = "G0PROJECT";

interface Sessions {
  readonly main: MainProcess;
  /** The private thread's session key. */
  readonly key: string;
  /** What Alice and Bob wrote there (each holds a phrase of its own). */
  readonly secrets: readonly string[];
  /** What the operator sent with curl. */
  readonly curlText: string;
}

/**
 * Starts the product at `level`; Alice starts a session in the private channel, Bob's message joins its
 * running run (INCORPORATE), and the operator's curl session runs beside it; returns once both are idle.
 */
async function runSessions(
  level: "info" | "debug",
  t: { after(fn: () => unknown): void },
): Promise<Sessions> {
  const env = {
    ...(await isolatedEnv()),
    LOG_LEVEL: level,
    MODE: "INCORPORATE",
    DEMO_ITERATION_MS: "1500",
    DEMO_DONE_PROBABILITY: "0",
    DEMO_MAX_ITERATIONS: "3",
  };
  const main = startMain(env);
  t.after(() => main.stop());
  await main.waitForLine(/^Ready$/);
  const playground = playgroundClient(`http://127.0.0.1:${main.env.PLAYGROUND_PORT ?? ""}`);
  const ingress = ingressClient(main.ingressUrl);
  const secrets = [`launch code ${randomUUID()}`, `salary figure ${randomUUID()}`];
  await playground.act(ALICE, { type: "post", channel: PRIVATE, text: `<@${BOT}> the ${secrets[0]}` });
  const key = await waitFor(
    async () =>
      (
        await adminQuery<{ service_key: string }>(
          main.adminUrl,
          `SELECT DISTINCT service_key FROM state WHERE service_name = 'ChatService' AND service_key LIKE '%:${PRIVATE}:%'`,
        )
      )[0]?.service_key,
    { what: "the private thread's session" },
  );
  const threadTs = key.split(":")[2] ?? "";
  await playground.act(BOB, { type: "post", channel: PRIVATE, text: `and the ${secrets[1]}`, threadTs });
  const curlText = `curl says ${randomUUID()}`;
  await ingress.call("ChatService/ellie/process_user_message", { content: curlText, role: "user" });
  const reads = sessionReads(ingress, main.adapterKey());
  await reads.idle(key, 60_000);
  await reads.idle("ellie", 60_000);
  // Bob's message was taken in by the running run, not just queued for another one.
  assert.deepEqual(
    (await reads.history(key)).map((entry) => entry.content),
    [`the ${secrets[0]}`, `and the ${secrets[1]}`, "Done"],
  );
  await main.waitForLine(/^Agent generated output for ellie: Done$/);
  return { main, key, secrets, curlText };
}

test("at LOG_LEVEL=info a private thread's text is in no log line, its ids and counts are; a curl session keeps the seed's lines with its text", async (t) => {
  const { main, key, secrets, curlText } = await runSessions("info", t);
  const everything = main.output();
  for (const secret of secrets) {
    const where = everything.split("\n").filter((line) => line.includes(secret));
    assert.deepEqual(where, [], `"${secret}" was logged`);
  }
  const messages = main.lines.map((line) => line.msg);
  for (const line of [
    `Running iteration 1 of agent for ${key} with 1 input items`,
    `Incorporating new input 1 for ${key}`,
    `Agent generated output for ${key} in iteration 3: 4 characters, done`,
    `Running iteration of agent for ellie with input items: message_history=['${curlText}']`,
    "Agent generated output for ellie: Do another iteration",
    "Agent generated output for ellie: Done",
  ])
    assert.ok(messages.includes(line), `missing log line: ${line}\n${messages.join("\n")}`);
});

test("at LOG_LEVEL=debug the private thread's text is logged, for whoever debugs on their own machine", async (t) => {
  const { main, key, secrets } = await runSessions("debug", t);
  const messages = main.lines.map((line) => line.msg);
  assert.ok(
    messages.includes(`Incorporating new input for ${key}: and the ${secrets[1]}`),
    `the incorporated text at debug\n${messages.join("\n")}`,
  );
  assert.ok(
    messages.some(
      (line) =>
        line.startsWith(`Running iteration of agent for ${key} with input items: message_history=[`) &&
        line.includes(secrets[0] ?? "?"),
    ),
    "the history at debug",
  );
  assert.ok(messages.includes(`Agent generated output for ${key}: Done`), "the output at debug");
});
