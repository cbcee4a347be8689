/**
 * Finding 5 (first half) and 6: what people write must not spill where others read. Another local user
 * reading the product's `info` log finds no text of a private thread (the operator's curl session keeps
 * its lines, as promised), and whoever reads a person's Home state finds previews, never a whole message
 * (the Home itself still shows them). The product as a person runs it: `node src/main.ts` with the
 * playground's emulated Slack and the embedded restate-server.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { adminQuery } from "../helpers/admin-query.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, type MainProcess, startMain } from "../helpers/main-process.ts";
import { type PlaygroundClient, playgroundClient } from "../helpers/playground-client.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";
import { tryAttack } from "./attack.ts";

const ALICE = "U0ALICE01";
const BOT = "U0AGENT01";
const PRIVATE = "G0PROJECT";
/** What the Home shows of a message, and so all it may keep. */
const PREVIEW_CHARS = 200;

export function registerLogsAttacks(): void {
  describe("messages stay out of logs and out of other people's state", () => {
    let main: MainProcess;
    let playground: PlaygroundClient;

    before(async () => {
      main = startMain({
        ...(await isolatedEnv()),
        LOG_LEVEL: "info",
        DEMO_ITERATION_MS: "1500",
        DEMO_DONE_PROBABILITY: "0",
        DEMO_MAX_ITERATIONS: "3",
        HOME_DEBOUNCE_MS: "50",
      });
      await main.waitForLine(/^Ready$/);
      // A fresh server answers queries once its partitions are up.
      await waitFor(async () => (await sessionKeys()) && true, { what: "the admin API to answer queries" });
      playground = playgroundClient(`http://127.0.0.1:${main.env.PLAYGROUND_PORT ?? ""}`);
    });
    after(() => main?.stop());

    /** Alice starts a session in the private channel; resolves with its key once it is running. */
    async function privateThread(text: string): Promise<string> {
      const known = new Set(await sessionKeys());
      await playground.act(ALICE, { type: "post", channel: PRIVATE, text: `<@${BOT}> ${text}` });
      return waitFor(async () => (await sessionKeys()).find((key) => !known.has(key)), {
        what: "the private thread's session",
      });
    }
    async function sessionKeys(): Promise<string[]> {
      const rows = await adminQuery<{ service_key: string }>(
        main.adminUrl,
        `SELECT DISTINCT service_key FROM state WHERE service_name = 'ChatService' AND service_key LIKE '%:${PRIVATE}:%'`,
      );
      return rows.map((row) => row.service_key);
    }
    const linesWith = (text: string) =>
      main
        .output()
        .split("\n")
        .filter((line) => line.includes(text));

    test("another local user reading the info log finds no text of a private thread; the operator's curl session keeps its text", async () => {
      const secret = `the door code is ${randomUUID()}`;
      const curlText = `curl says ${randomUUID()}`;
      let key = "";
      await tryAttack("read a private thread's text in the info log", {
        attempt: async () => {
          key = await privateThread(secret);
          const reads = sessionReads(ingressClient(main.ingressUrl));
          const runId = await waitFor(async () => (await reads.status(key)).activeRun?.id, {
            what: "the run",
          });
          await reads.idle(key, 60_000);
          await main.waitForLine(new RegExp(`^Agent run ${runId} done$`));
          return main.lines.map((line) => line.msg);
        },
        refused: (messages) => {
          // The log says what happened, in ids and counts, and nothing of what was written.
          for (const line of [
            `Running iteration 1 of agent for ${key} with 1 input items`,
            `Agent generated output for ${key} in iteration 3: 4 characters, done`,
          ])
            assert.ok(messages.includes(line), `missing log line: ${line}`);
        },
        changedAnything: async () => linesWith(secret).length > 0,
        twin: async () => {
          await ingressClient(main.ingressUrl).call("ChatService/ellie/process_user_message", {
            content: curlText,
            role: "user",
          });
          await main.waitForLine(
            new RegExp(
              `^Running iteration of agent for ellie with input items: message_history=\\['${curlText}'\\]$`,
            ),
          );
          assert.ok(linesWith(curlText).length > 0);
        },
      });
    });

    test("whoever reads a person's Home state finds previews of their messages, never a whole message; the Home still shows the preview", async () => {
      const opening = "Please summarise the quarterly numbers for the board";
      const secret = `tail secret ${randomUUID()}`;
      // The secret comes well after what a preview shows.
      const text = `${opening} ${"and the details that follow ".repeat(20)}${secret}`;
      let key = "";
      const homeState = async () =>
        (
          await adminQuery<{ value_utf8: string }>(
            main.adminUrl,
            `SELECT value_utf8 FROM state WHERE service_name = 'UserHome' AND service_key = 'T0001:${ALICE}' AND key = 'sessions'`,
          )
        )[0]?.value_utf8 ?? "";
      type Kept = { key: string; activeRun: { input: { content: string } } | null };
      await tryAttack("read a whole message from a person's Home state", {
        attempt: async () => {
          key = await privateThread(text);
          // Read while the run works, when the Home holds the running message itself.
          return waitFor(
            async () => {
              const kept = (JSON.parse((await homeState()) || "[]") as Kept[]).find((s) => s.key === key);
              return kept?.activeRun ? kept : undefined;
            },
            { what: "Alice's Home state to hold the running session" },
          );
        },
        refused: (kept) => {
          const content = kept.activeRun?.input.content ?? "";
          assert.ok(content.length <= PREVIEW_CHARS, `${content.length} characters kept`);
          assert.ok(content.startsWith(`${opening} and the details`) && content.endsWith("…"), content);
        },
        changedAnything: async () => (await homeState()).includes(secret),
        twin: async () => {
          await playground.act(ALICE, { type: "open_home" });
          await waitFor(
            async () =>
              JSON.stringify((await playground.state(ALICE)).home?.view.blocks ?? []).includes(opening),
            { what: "the preview in Alice's Home" },
          );
          await sessionReads(ingressClient(main.ingressUrl)).idle(key, 60_000);
        },
      });
    });
  });
}
