/**
 * Attacks on the Restate ingress, which has no authentication of its own: a local user's curl that speaks
 * for Slack (forged `source`, `user`, `startsSession`, `by`), a request from a web page (an `Origin`
 * header; Debian's Chromium on another origin), and the chat.update reservation spam. Each is refused by
 * our handlers with its own error, and each has a legitimate twin: the same through the Slack adapter (a
 * signed Slack event from the emulator), or the plain curl call the seed documents.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { BROWSER_REFUSAL, SIGNED_WRITE_MAX_AGE_MS, signRequest } from "../../src/restate/caller.ts";
import type { SessionStatus } from "../../src/restate/chat-service.ts";
import { TOOL_POST_EVENT } from "../../src/slack/post-to-channel-tool.ts";
import { launchBrowser } from "../browser/browser.ts";
import { type IngressClient, ingressClient } from "../helpers/ingress.ts";
import { type LlmStack, startLlmStack } from "../helpers/llm-stack.ts";
import { TEST_ADAPTER_KEY } from "../helpers/product-settings.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";
import { tryAttack } from "./attack.ts";

const ALICE = "U0ALICE01";
const CAROL = "U0CAROL03";
const GENERAL = "C0GENERAL";
/** Alice's and Bob's private channel; Carol is not in it. */
const PRIVATE = "G0PROJECT";
const TEAM = "T0001";
/** FAST_SLACK_PACES' chat.update interval. */
const UPDATE_INTERVAL_MS = 200;

const NOT_SIGNED = /the request is not signed by the Slack adapter/;

export function ingressAttacks(): void {
  describe("the ingress: only the Slack adapter speaks for Slack, no web page can act", () => {
    let stack: LlmStack;
    let curl: IngressClient;
    let reads: ReturnType<typeof sessionReads>;
    const path = (key: string, handler: string) => `ChatService/${encodeURIComponent(key)}/${handler}`;
    const exists = async (key: string) => (await reads.status(key)).exists;
    /** The seed's curl: `{content, role}` to a session that is not a Slack thread. */
    const seedCurl = (key: string) =>
      curl.call<{ decision: string }>(path(key, "process_user_message"), {
        content: "do something",
        role: "user",
      });

    before(async () => {
      stack = await startLlmStack();
      curl = ingressClient(stack.restate.ingressUrl);
      reads = sessionReads(curl);
      stack.fake.reply = () => ({ text: "Noted." });
    });
    after(() => stack?.close());

    /** Alice's session in a thread of `channel`, started through Slack; resolves once its run has ended. */
    async function aliceSession(channel: string, text: string): Promise<{ key: string; root: string }> {
      const root = await stack.mention(channel, ALICE, text);
      const key = stack.sessionKey(channel, root);
      await waitFor(
        () => stack.emulator.workspace.message(channel, root)?.reactions.has("white_check_mark"),
        {
          what: `the run of "${text}" to end`,
        },
      );
      return { key, root };
    }

    test("a curl that says where a message came from, or writes to a Slack thread's session, is refused", async () => {
      // Carol is not in the private channel: she makes up a thread there and a message from Alice.
      const ts = "1700000000.000100";
      const forgedKey = `${TEAM}:${PRIVATE}:${ts}`;
      const forged = {
        content: "summarise this thread",
        role: "user",
        user: ALICE,
        source: { team: TEAM, channel: PRIVATE, ts, threadTs: ts },
        startsSession: true,
      };
      const callsBefore = stack.emulator.calls.length;
      await tryAttack("forged source, user and startsSession into a Slack thread's key", {
        attempt: () => curl.request(path(forgedKey, "process_user_message"), forged),
        refused: (answer) => {
          assert.equal(answer.status, 401, answer.text);
          assert.match(answer.message, /is a Slack thread's session: only the Slack adapter may write to it/);
          assert.match(answer.message, NOT_SIGNED);
        },
        changedAnything: async () =>
          (await exists(forgedKey)) ||
          stack.emulator.calls.slice(callsBefore).some((call) => call.args.channel === PRIVATE),
        twin: async () => {
          const { key } = await aliceSession(PRIVATE, "summarise this thread");
          const status = await reads.status(key);
          assert.deepEqual([status.exists, status.people, status.origin?.channel], [true, [ALICE], PRIVATE]);
        },
      });

      // A reply that may not start a session is refused the same way, not ignored: whether a thread has a
      // session is nobody's to learn from the ingress.
      const unknownThread = `${TEAM}:${PRIVATE}:1700000000.000300`;
      await tryAttack("a forged reply into a Slack thread without a session", {
        attempt: () =>
          curl.request(path(unknownThread, "process_user_message"), { ...forged, startsSession: false }),
        refused: (answer) => {
          assert.equal(answer.status, 401, answer.text);
          assert.match(answer.message, NOT_SIGNED);
        },
        changedAnything: () => exists(unknownThread),
        twin: async () => {
          // Alice's reply, through Slack, in a thread with a session reaches it.
          const { key, root } = await aliceSession(PRIVATE, "and one more thing");
          const before = (await reads.status(key)).historyLength;
          await stack.emulator.userPosts({ user: ALICE, channel: PRIVATE, text: "one more", threadTs: root });
          await waitFor(async () => (await reads.status(key)).historyLength > before || undefined, {
            what: "the reply in the session's history",
          });
        },
      });

      // The same facts sent to a key that names no thread: the run would post into the private channel.
      const plainKey = `ellie-forged-${process.pid}`;
      await tryAttack("forged source into a session that is not a Slack thread", {
        attempt: () => curl.request(path(plainKey, "process_user_message"), forged),
        refused: (answer) => {
          assert.equal(answer.status, 401, answer.text);
          assert.match(
            answer.message,
            /source, user and startsSession .* only the Slack adapter may send them/,
          );
        },
        changedAnything: () => exists(plainKey),
        twin: async () => {
          // The seed's curl: `{content, role}` to any key that is not a Slack thread.
          const receipt = await seedCurl(plainKey);
          assert.equal(receipt.decision, "started");
          assert.equal((await reads.status(plainKey)).origin, null);
        },
      });
    });

    test("a waiting approval is decided only through the adapter: a forged decision and Restate's awakeable API are refused", async () => {
      const RANDOM = "C0RANDOM1";
      const toolPosts = () =>
        (stack.emulator.workspace.messages.get(RANDOM) ?? []).filter((m) =>
          JSON.stringify(m.metadata ?? {}).includes(TOOL_POST_EVENT),
        ).length;
      // The model asks to post into #random, then answers once the tool's result is in.
      stack.fake.reply = (request) =>
        request.messages.some((m) => m.role === "tool")
          ? { text: "Done." }
          : {
              toolCalls: [
                { name: "post_to_channel", args: { channel: "#random", text: "hello from the agent" } },
              ],
            };
      /** Alice asks; resolves with the session and our id for its approval, once the card is up. */
      const waiting = async (text: string) => {
        const root = await stack.mention(GENERAL, ALICE, text);
        const key = stack.sessionKey(GENERAL, root);
        const card = await waitFor(
          () =>
            stack.emulator
              .thread(GENERAL, root)
              .find((m) => JSON.stringify(m.blocks ?? []).includes("approval_approve")),
          { what: "the approval card" },
        );
        const approvalId = /"value":"([^"]+)"/.exec(JSON.stringify(card.blocks))?.[1] ?? "";
        return { key, card, approvalId };
      };
      const stillWaits = async (key: string) => Boolean((await reads.status(key)).activeRun?.approval);

      const first = await waiting("post hello in random");
      const decision = {
        by: ALICE,
        approvalId: first.approvalId,
        approve: true,
        decidedAt: "1700000000.000100",
      };
      const postsBefore = toolPosts();
      await tryAttack("a forged decision on a waiting approval", {
        attempt: () => curl.request(path(first.key, "decide_approval"), decision),
        refused: (answer) => {
          assert.equal(answer.status, 401, answer.text);
          assert.match(answer.message, NOT_SIGNED);
        },
        changedAnything: async () => !(await stillWaits(first.key)) || toolPosts() !== postsBefore,
        twin: async () => {
          // The same decision, signed by the Slack adapter.
          const adapter = ingressClient(stack.restate.ingressUrl, { adapterKey: TEST_ADAPTER_KEY });
          const answer = await adapter.call<{ outcome: string }>(
            path(first.key, "decide_approval"),
            decision,
          );
          assert.equal(answer.outcome, "decided");
          await reads.idle(first.key);
          assert.equal(toolPosts(), postsBefore + 1);
        },
      });

      const second = await waiting("post hello in random again");
      const { activeRun } = await reads.status(second.key);
      const ids = [second.approvalId, activeRun?.invocationId ?? ""];
      await tryAttack("resolving a waiting approval through Restate's awakeable API", {
        attempt: () =>
          Promise.all(
            ids.map((id) => curl.request(`restate/awakeables/${id}/resolve`, { verdict: "approved" })),
          ),
        refused: (answers) => {
          for (const answer of answers) {
            assert.equal(answer.status, 400, answer.text);
            assert.match(answer.text, /awakeable/i);
          }
        },
        changedAnything: async () => !(await stillWaits(second.key)) || toolPosts() !== postsBefore + 1,
        twin: async () => {
          await stack.emulator.interact({
            user: ALICE,
            on: { channel: GENERAL, ts: second.card.ts },
            actionId: `approval_approve:${second.key}`,
          });
          await reads.idle(second.key);
          assert.equal(toolPosts(), postsBefore + 2);
        },
      });
      stack.fake.reply = () => ({ text: "Noted." });
    });

    test("stop_run, reset, set_mode and remove_queued with a forged by (or none) on a Slack session are refused", async () => {
      const { key, root } = await aliceSession(GENERAL, "remember the milk");
      const before = await reads.status(key);
      const historyBefore = await reads.history(key);
      const forgeries: [string, unknown][] = [
        ["stop_run", { by: ALICE }],
        ["reset", { by: ALICE }],
        ["reset", undefined],
        ["set_mode", { mode: "QUEUE", by: ALICE }],
        ["remove_queued", { id: "x", by: ALICE }],
      ];
      await tryAttack("controls of a Slack session with a forged by", {
        attempt: () =>
          Promise.all(forgeries.map(([handler, body]) => curl.request(path(key, handler), body))),
        refused: (answers) => {
          for (const [index, answer] of answers.entries()) {
            const what = JSON.stringify(forgeries[index]);
            assert.equal(answer.status, 401, `${what}: ${answer.text}`);
            assert.match(
              answer.message,
              /is a Slack thread's session: only the Slack adapter may control it/,
            );
            assert.match(answer.message, NOT_SIGNED, what);
          }
        },
        changedAnything: async () => {
          const now: SessionStatus = await reads.status(key);
          return (
            now.mode !== before.mode ||
            now.modeSource !== before.modeSource ||
            JSON.stringify(await reads.history(key)) !== JSON.stringify(historyBefore)
          );
        },
        twin: async () => {
          // Alice herself, through Slack: `!agentmode` in the thread, then reset from her Home.
          await stack.reply(GENERAL, ALICE, root, "!agentmode queue");
          await waitFor(async () => ((await reads.status(key)).mode === "QUEUE" ? true : undefined), {
            what: "the thread's mode set through Slack",
          });
          await stack.emulator.interact({ user: ALICE, on: { home: true }, actionId: `home_reset:${key}` });
          await waitFor(async () => ((await reads.history(key)).length === 0 ? true : undefined), {
            what: "the session reset from Alice's Home",
          });
        },
      });
      // The seed's operator calls on a session that is not a Slack thread keep working, without a body.
      const plain = `ellie-controls-${process.pid}`;
      await seedCurl(plain);
      assert.equal((await curl.request(path(plain, "stop_run"))).status, 200);
      assert.equal((await curl.request(path(plain, "reset"))).status, 200);
      // And an operator may still read a Slack session's status.
      assert.equal((await curl.request(path(key, "get_status"))).status, 200);
    });

    test("a curl reading what people wrote in a Slack thread is refused; the adapter reads it, curl reads its own sessions", async () => {
      const { key } = await aliceSession(PRIVATE, "the launch date is secret");
      await tryAttack("read a private thread's history with curl", {
        attempt: () => curl.request(path(key, "get_history")),
        refused: (answer) => {
          assert.equal(answer.status, 401, answer.text);
          assert.match(answer.message, /only the Slack adapter may read what people wrote in it/);
          assert.match(answer.message, NOT_SIGNED);
          assert.ok(!answer.text.includes("launch date"));
        },
        // A read changes nothing whatever happens: what counts is that the text did not come back.
        changedAnything: async () =>
          (await curl.request(path(key, "get_history"))).text.includes("launch date"),
        twin: async () => {
          const adapter = ingressClient(stack.restate.ingressUrl, { adapterKey: TEST_ADAPTER_KEY });
          const asAdapter = await adapter.call<{ entries: { content: string }[] }>(path(key, "get_history"));
          assert.equal(asAdapter.entries[0]?.content, "the launch date is secret");
          const plain = `ellie-reads-${process.pid}`;
          await seedCurl(plain);
          const own = await curl.call<{ entries: { content: string }[] }>(path(plain, "get_history"));
          assert.equal(own.entries[0]?.content, "do something");
        },
      });
    });

    test("a captured adapter request replayed to another session, again, or a day later, is refused", async () => {
      const mine = await aliceSession(GENERAL, "first errand");
      const other = await aliceSession(GENERAL, "second errand");
      const body = { by: ALICE };
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      const signedFor = (key: string, at: number) =>
        signRequest(TEST_ADAPTER_KEY, { service: "ChatService", handler: "reset", key }, bytes, at);
      // What someone who can watch loopback traffic saw: Alice resetting her first session (it was taken),
      // and one of her requests from two days ago.
      const captured = signedFor(mine.key, Date.now());
      assert.equal((await curl.request(path(mine.key, "reset"), body, captured)).status, 200);
      await stack.reply(GENERAL, ALICE, mine.root, "after the reset");
      await waitFor(async () => ((await reads.history(mine.key)).length >= 2 ? true : undefined), {
        what: "the first session in use again",
      });
      const old = signedFor(mine.key, Date.now() - 2 * SIGNED_WRITE_MAX_AGE_MS);
      const before = [await reads.history(mine.key), await reads.history(other.key)];
      await tryAttack("a captured adapter request replayed to another key, again, and an old one replayed", {
        attempt: () =>
          Promise.all([
            curl.request(path(other.key, "reset"), body, captured),
            curl.request(path(mine.key, "reset"), body, captured),
            curl.request(path(mine.key, "reset"), body, old),
          ]),
        refused: ([toOther, again, late]) => {
          assert.equal(toOther?.status, 401, toOther?.text);
          assert.match(toOther?.message ?? "", /the adapter signature does not match this request/);
          assert.equal(again?.status, 409, again?.text);
          assert.match(again?.message ?? "", /this signed request was already taken \(a replay\)/);
          assert.equal(late?.status, 401, late?.text);
          assert.match(
            late?.message ?? "",
            /the adapter signature is \d+ s old; at most 86400 s are accepted/,
          );
        },
        changedAnything: async () =>
          JSON.stringify([await reads.history(mine.key), await reads.history(other.key)]) !==
          JSON.stringify(before),
        twin: async () => {
          const answer = await curl.request(path(mine.key, "reset"), body, signedFor(mine.key, Date.now()));
          assert.equal(answer.status, 200, answer.text);
          assert.deepEqual(await reads.history(mine.key), []);
          // A message the adapter signed an hour ago (it waited in Restate while the services were down)
          // is still taken, once.
          const message = { content: "sent before the outage", role: "user", user: ALICE };
          const hourAgo = signRequest(
            TEST_ADAPTER_KEY,
            { service: "ChatService", handler: "process_user_message", key: mine.key },
            new TextEncoder().encode(JSON.stringify(message)),
            Date.now() - 60 * 60_000,
          );
          const taken = await curl.request(path(mine.key, "process_user_message"), message, hourAgo);
          assert.equal(taken.status, 200, taken.text);
          assert.equal(
            (await curl.request(path(mine.key, "process_user_message"), message, hourAgo)).status,
            409,
          );
        },
      });
    });

    test("a request that carries an Origin header is refused on every kind of handler", async () => {
      const key = `ellie-origin-${process.pid}`;
      const fromPage = { origin: "https://evil.example" };
      await tryAttack("a request with an Origin header", {
        attempt: () =>
          Promise.all([
            curl.request(
              path(key, "process_user_message"),
              { content: "do something", role: "user" },
              fromPage,
            ),
            curl.request(path(key, "reset"), undefined, fromPage),
            curl.request(path(key, "get_history"), undefined, fromPage),
          ]),
        refused: (answers) => {
          for (const answer of answers) {
            assert.equal(answer.status, 403, answer.text);
            assert.match(answer.message, /browsers may not call this service/);
            assert.match(answer.message, /https:\/\/evil\.example/);
          }
        },
        changedAnything: () => exists(key),
        twin: async () => {
          const receipt = await seedCurl(key);
          assert.equal(receipt.decision, "started");
          assert.equal((await curl.request(path(key, "get_history"))).status, 200);
        },
      });
    });

    test("nobody but our own process moves a workspace's chat.update slots or publishes someone's Home", async () => {
      const nextUpdateAt = async () => {
        // Restate's SQL answers only once its partitions are up: asked right after start, it may not be yet.
        const rows = await waitFor(
          () =>
            stack.restate
              .query<{ value_utf8: string }>(
                `SELECT value_utf8 FROM state WHERE service_name = 'SlackWorkspace' AND service_key = '${TEAM}' AND key = 'nextUpdateAt'`,
              )
              .catch(() => undefined),
          { what: "Restate's state to be queryable" },
        );
        return rows[0] ? Number(rows[0].value_utf8) : 0;
      };
      const publishesFor = (user: string) =>
        stack.emulator.callsTo("views.publish").filter((call) => call.args.user_id === user).length;
      const slotBefore = await nextUpdateAt();
      const publishesBefore = publishesFor(CAROL);
      await tryAttack("300 reservations of chat.update slots, and Home publishes, through the ingress", {
        attempt: async () => {
          const answers = [];
          for (let i = 0; i < 100; i += 1) {
            answers.push(
              ...(await Promise.all([
                curl.request(`SlackWorkspace/${TEAM}/reserve_update`),
                curl.request(`SlackWorkspace/${TEAM}/reserve_live_update`),
                curl.request(`SlackWorkspace/${TEAM}/release_update`, { slot: 0 }),
              ])),
            );
          }
          answers.push(await curl.request(`UserHome/${TEAM}:${CAROL}/opened`));
          return answers;
        },
        refused: (answers) => {
          assert.equal(answers.length, 301);
          for (const [index, answer] of answers.entries()) {
            if (index % 3 === 0 && index < 300) {
              assert.equal(answer.status, 400, answer.text);
              assert.match(answer.message, /not public/);
            } else {
              assert.equal(answer.status, 401, answer.text);
              assert.match(answer.message, /only our live message updater|only the Slack adapter may say/);
              assert.match(answer.message, NOT_SIGNED);
            }
          }
        },
        changedAnything: async () =>
          (await nextUpdateAt()) > Math.max(slotBefore, Date.now()) + 10 * UPDATE_INTERVAL_MS ||
          publishesFor(CAROL) !== publishesBefore,
        twin: async () => {
          // A streamed answer still shows its text live, at the workspace's pace.
          stack.fake.reply = () => ({
            text: "A streamed answer, word by word, slowly enough to be updated live in the thread",
            chunkSize: 3,
            chunkDelayMs: 30,
          });
          const started = Date.now();
          const root = await stack.mention(GENERAL, ALICE, "stream something");
          const final = await waitFor(
            () =>
              stack.botReplies(GENERAL, root).find((m) => JSON.stringify(m.blocks).includes("in the thread")),
            { what: "the streamed answer's final text" },
          );
          assert.ok(Date.now() - started < 15_000, "the answer was not pushed out by the spam");
          const updates = stack.emulator.callsTo("chat.update").filter((c) => c.ok && c.args.ts === final.ts);
          assert.ok(updates.length >= 2, `updated live and at the end (${updates.length} updates)`);
          // At the workspace's pace: any three updates span two intervals (with room for one late arrival,
          // which shortens the gap after it).
          for (let i = 2; i < updates.length; i += 1) {
            const span = (updates[i]?.at ?? 0) - (updates[i - 2]?.at ?? 0);
            assert.ok(span >= 2 * UPDATE_INTERVAL_MS - 150, `updates ${i - 2} to ${i} within ${span} ms`);
          }
          stack.fake.reply = () => ({ text: "Noted." });
          // Carol opens her Home in Slack: it is published.
          await stack.emulator.openHome(CAROL);
          await waitFor(() => publishesFor(CAROL) > publishesBefore || undefined, { what: "Carol's Home" });
        },
      });
    });

    describe("Chromium on another origin", () => {
      let browser: Browser;
      let page: Server;
      let pageUrl: string;
      before(async () => {
        browser = await launchBrowser();
        // Any other site the developer has open: here a page on another local port.
        page = createServer((_request, response) => {
          response.writeHead(200, { "content-type": "text/html" });
          response.end("<!doctype html><title>another site</title>");
        });
        await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
        pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
      });
      after(async () => {
        await browser?.close();
        await new Promise((resolve) => page?.close(resolve));
      });

      test("a page's JSON POST and GET to the ingress are refused", async () => {
        const key = `ellie-browser-${process.pid}`;
        const context = await browser.newContext();
        const tab = await context.newPage();
        await tab.goto(pageUrl);
        const base = stack.restate.ingressUrl;
        await tryAttack("a web page's JSON POST and GET to the ingress", {
          attempt: () =>
            tab.evaluate(
              async ({ base, key }) => {
                const url = (handler: string) => `${base}/ChatService/${encodeURIComponent(key)}/${handler}`;
                const post = await fetch(url("process_user_message"), {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify({ content: "do something", role: "user" }),
                });
                const get = await fetch(url("get_history"));
                return [
                  { status: post.status, text: await post.text() },
                  { status: get.status, text: await get.text() },
                ];
              },
              { base, key },
            ),
          refused: (answers) => {
            for (const answer of answers) {
              assert.equal(answer.status, 403, answer.text);
              assert.ok(answer.text.includes(BROWSER_REFUSAL), answer.text);
            }
          },
          changedAnything: () => exists(key),
          twin: async () => {
            const receipt = await seedCurl(key);
            assert.equal(receipt.decision, "started");
            const history = await fetch(`${base}/${path(key, "get_history")}`);
            assert.equal(history.status, 200);
          },
        });
        await context.close();
      });
    });
  });
}
