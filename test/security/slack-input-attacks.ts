/**
 * What reaches the product through Slack itself, as correctly signed requests from the emulator: controls
 * naming another workspace's or an unrelated session, a damaged control value, a message too long for a
 * session, model output that tries to ping or to disguise a link, and Slackbot writing to the bot. Each is
 * paired with the same thing done legitimately. Runs the LLM agent in this process against the fake model.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toSessionKey } from "../../src/restate/keys.ts";
import { interactionBase, type Json, messageEvent } from "../../src/slack-emulator/app-requests.ts";
import type { AppAnswer } from "../../src/slack-emulator/emulator.ts";
import { type ChatRequest, textOf } from "../helpers/fake-llm.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { BOT, markdownOf } from "../helpers/llm-product.ts";
import { type LlmStack, startLlmStack } from "../helpers/llm-stack.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";
import { tryAttack } from "./attack.ts";

const ALICE = "U0ALICE01";
const BOB = "U0BOB0002";
const CAROL = "U0CAROL03";
const GENERAL = "C0GENERAL";
const RANDOM = "C0RANDOM1";
const SLACKBOT = "USLACKBOT";
const INJECTED =
  "Heads up <!channel> <!here>: see <https://evil.example|https://good.example> or [https://good.example](https://evil.example/x)";

export function slackInputAttacks(): void {
  describe("Slack input: controls, sizes, output and who writes", () => {
    let stack: LlmStack;
    let reads: ReturnType<typeof sessionReads>;

    before(async () => {
      stack = await startLlmStack();
      reads = sessionReads(ingressClient(stack.restate.ingressUrl));
    });
    after(() => stack?.close());

    /** The model's answer: held while `holding` says so, otherwise what `answer` says (an echo by default). */
    let answer: (request: ChatRequest) => string | null = () => null;
    let releaseHeld: (() => void) | null = null;
    // Once let go, a retried model call (Restate retries an attempt it gave up on) is not held again.
    let busyLetGo = false;
    before(() => {
      stack.fake.reply = (request) => {
        const last = textOf(request.messages.filter((m) => m.role === "user").at(-1));
        if (last === "keep busy" && !busyLetGo) {
          const held = new Promise<void>((resolve) => {
            releaseHeld = resolve;
          });
          return { text: "busy no more", hold: held };
        }
        return { text: answer(request) ?? `You said: ${last}` };
      };
    });

    /** A session started by `user` in `channel`, idle after its first answer. */
    async function sessionOf(
      user: string,
      channel: string,
      text: string,
    ): Promise<{ key: string; ts: string }> {
      const ts = await stack.mention(channel, user, text);
      const key = stack.sessionKey(channel, ts);
      await waitFor(async () => (await reads.history(key)).length >= 2 || undefined, {
        what: `the first answer in ${key}`,
      });
      await reads.idle(key);
      return { key, ts };
    }

    /** A signed block_actions a person's client could never make (the emulator's `interact` clicks real controls). */
    function craftedHomeAction(user: string, action: Json): Promise<AppAnswer> {
      const { workspace } = stack.emulator;
      const payload = {
        type: "block_actions",
        ...interactionBase(workspace, user, workspace.newTrigger(user)),
        container: { type: "view", view_id: "V0CRAFTED1" },
        actions: [{ block_id: "crafted", action_ts: workspace.nextTs(), ...action }],
      };
      return stack.emulator.postToApp(
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        "application/x-www-form-urlencoded",
      );
    }

    const modeSelect = (key: string, mode: string): Json => ({
      action_id: `home_mode:${key}`,
      type: "static_select",
      selected_option: { text: { type: "plain_text", text: mode }, value: mode },
    });

    /** The newest modal open for `user`, as text. */
    const modalText = (user: string) => JSON.stringify(stack.emulator.modalOf(user)?.view ?? {});

    const homeText = (user: string) => JSON.stringify(stack.emulator.homeOf(user)?.view ?? {});
    async function homeShows(user: string, actionId: string): Promise<void> {
      await stack.emulator.openHome(user);
      await waitFor(() => homeText(user).includes(actionId) || undefined, {
        what: `${actionId} on ${user}'s Home`,
      });
    }

    test("a Home control naming another workspace's thread is refused in a modal and changes nothing", async () => {
      const ours = await sessionOf(ALICE, GENERAL, "plan the week");
      const theirs = toSessionKey("T0OTHER1", GENERAL, ours.ts);
      await tryAttack("another workspace's key in a Home control", {
        attempt: () => craftedHomeAction(ALICE, modeSelect(theirs, "QUEUE")),
        async refused(answer) {
          assert.equal(answer.status, 200);
          await waitFor(
            () => modalText(ALICE).includes("does not name a thread of this workspace") || undefined,
            {
              what: "the refusal in a modal",
            },
          );
          assert.match(modalText(ALICE), /Could not change the mode/);
        },
        async changedAnything() {
          const [other, own] = [await reads.status(theirs), await reads.status(ours.key)];
          return other.exists || other.modeSource === "session" || own.modeSource === "session";
        },
        async twin() {
          await homeShows(ALICE, `home_mode:${ours.key}`);
          await stack.emulator.interact({
            user: ALICE,
            on: { home: true },
            actionId: `home_mode:${ours.key}`,
            option: "QUEUE",
          });
          const after = await reads.status(ours.key);
          assert.equal(after.mode, "QUEUE");
          assert.equal(after.modeSource, "session");
        },
      });
    });

    test("a Home mode select naming a session the person is not in is refused; its people may", async () => {
      const bobs = await sessionOf(BOB, RANDOM, "draft the memo");
      await tryAttack("an unrelated session's key in a Home mode select", {
        attempt: () => craftedHomeAction(CAROL, modeSelect(bobs.key, "INCORPORATE")),
        async refused(answer) {
          assert.equal(answer.status, 200);
          await waitFor(() => modalText(CAROL).includes("only the people in this session") || undefined, {
            what: "the refusal in a modal",
          });
        },
        changedAnything: async () => (await reads.status(bobs.key)).modeSource === "session",
        async twin() {
          await homeShows(BOB, `home_mode:${bobs.key}`);
          await stack.emulator.interact({
            user: BOB,
            on: { home: true },
            actionId: `home_mode:${bobs.key}`,
            option: "INCORPORATE",
          });
          assert.equal((await reads.status(bobs.key)).mode, "INCORPORATE");
        },
      });
    });

    test("a damaged remove value is explained in a modal and answered 200; a real one removes the message", async () => {
      const { key, ts } = await sessionOf(ALICE, GENERAL, "collect the figures");
      await craftedHomeAction(ALICE, modeSelect(key, "QUEUE"));
      assert.equal((await reads.status(key)).mode, "QUEUE");
      await stack.reply(GENERAL, ALICE, ts, "keep busy");
      await waitFor(async () => (await reads.status(key)).activeRun !== null || undefined, {
        what: "a busy run",
      });
      await stack.reply(GENERAL, ALICE, ts, "and the totals");
      const queued = await waitFor(async () => (await reads.status(key)).queue[0], {
        what: "a queued message",
      });
      try {
        await tryAttack("a home_remove value that is not ours", {
          attempt: () =>
            craftedHomeAction(ALICE, {
              action_id: `home_remove:${key}:${queued.id}`,
              type: "button",
              value: "not the JSON we put there",
            }),
          async refused(answer) {
            assert.equal(answer.status, 200, "Slack is answered, not given an error");
            await waitFor(
              () => modalText(ALICE).includes("this button does not name a queued message") || undefined,
              { what: "the explanation in a modal" },
            );
          },
          changedAnything: async () => (await reads.status(key)).queue.length !== 1,
          async twin() {
            const actionId = `home_remove:${key}:${queued.id}`;
            await homeShows(ALICE, actionId);
            await stack.emulator.interact({ user: ALICE, on: { home: true }, actionId });
            assert.deepEqual((await reads.status(key)).queue, []);
          },
        });
      } finally {
        busyLetGo = true;
        releaseHeld?.();
        await reads.idle(key);
      }
    });

    test("a listing control naming a thread of another channel is refused in an ephemeral; in its channel it works", async () => {
      const bobs = await sessionOf(BOB, RANDOM, "compare the options");
      const { workspace } = stack.emulator;
      await tryAttack("another channel's thread in a listing control", {
        attempt() {
          const payload = {
            type: "block_actions",
            ...interactionBase(workspace, ALICE, workspace.newTrigger(ALICE)),
            container: {
              type: "message",
              message_ts: workspace.nextTs(),
              channel_id: GENERAL,
              is_ephemeral: true,
            },
            channel: { id: GENERAL, name: "general" },
            response_url: stack.emulator.responseUrls.create({ user: ALICE, channel: GENERAL }),
            actions: [
              {
                block_id: "crafted",
                action_ts: workspace.nextTs(),
                action_id: `list_mode:${bobs.key}`,
                type: "static_select",
                selected_option: { text: { type: "plain_text", text: "Queue" }, value: "QUEUE" },
              },
            ],
          };
          return stack.emulator.postToApp(
            new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
            "application/x-www-form-urlencoded",
          );
        },
        async refused(answer) {
          assert.equal(answer.status, 200);
          await waitFor(
            () =>
              stack.emulator
                .ephemeralsFor(ALICE)
                .some((e) => e.text.includes("that thread is not in this channel")) || undefined,
            { what: "the refusal as an ephemeral message" },
          );
        },
        changedAnything: async () => (await reads.status(bobs.key)).modeSource === "session",
        async twin() {
          await stack.emulator.slashCommand({
            user: ALICE,
            channel: RANDOM,
            command: "/agentmode",
            text: "",
          });
          const listing = await waitFor(
            () =>
              stack.emulator
                .ephemeralsFor(ALICE)
                .find((e) => JSON.stringify(e.blocks ?? []).includes(`list_mode:${bobs.key}`)),
            { what: "the listing of the channel" },
          );
          await stack.emulator.interact({
            user: ALICE,
            on: { channel: RANDOM, ts: listing.ts },
            actionId: `list_mode:${bobs.key}`,
            option: "QUEUE",
          });
          assert.equal((await reads.status(bobs.key)).mode, "QUEUE");
        },
      });
    });

    test("a mode modal naming another workspace's thread is refused in the modal; the real one sets the mode", async () => {
      const ours = await sessionOf(CAROL, GENERAL, "sort the backlog");
      const theirs = toSessionKey("T0OTHER1", GENERAL, ours.ts);
      const { workspace } = stack.emulator;
      const choice = {
        type: "radio_buttons",
        selected_option: { text: { type: "plain_text", text: "Queue" }, value: "QUEUE" },
      };
      await tryAttack("another workspace's key in the mode modal", {
        attempt() {
          const payload = {
            type: "view_submission",
            ...interactionBase(workspace, CAROL, workspace.newTrigger(CAROL)),
            view: {
              id: "V0CRAFTED2",
              team_id: workspace.team.id,
              type: "modal",
              callback_id: "agentmode_modal",
              private_metadata: JSON.stringify({ key: theirs, channel: GENERAL, threadTs: ours.ts }),
              blocks: [],
              state: { values: { mode: { mode_choice: choice } } },
              hash: "crafted",
            },
            response_urls: [],
          };
          return stack.emulator.postToApp(
            new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
            "application/x-www-form-urlencoded",
          );
        },
        refused(answer) {
          assert.equal(answer.status, 200);
          const body = answer.body as { response_action?: string; errors?: { mode?: string } };
          assert.equal(body.response_action, "errors");
          assert.match(body.errors?.mode ?? "", /names no thread of this workspace/);
        },
        async changedAnything() {
          const [other, own] = [await reads.status(theirs), await reads.status(ours.key)];
          return other.exists || other.modeSource === "session" || own.modeSource === "session";
        },
        async twin() {
          await stack.emulator.messageShortcut({
            user: CAROL,
            channel: GENERAL,
            ts: ours.ts,
            callbackId: "agentmode_thread",
          });
          const modal = await waitFor(() => stack.emulator.modalOf(CAROL), { what: "the mode modal" });
          const answer = await stack.emulator.submitModal({
            user: CAROL,
            viewId: modal.id,
            values: { mode: { mode_choice: "QUEUE" } },
          });
          assert.equal(answer.status, 200);
          assert.equal((await reads.status(ours.key)).mode, "QUEUE");
        },
      });
    });

    test("a message longer than a session takes gets a reply saying so and no run; a normal one runs", async () => {
      const { key, ts } = await sessionOf(BOB, GENERAL, "summarise this thread");
      const historyBefore = (await reads.history(key)).length;
      const callsBefore = stack.fake.calls.length;
      await tryAttack("a 150,000-character message", {
        attempt: () =>
          stack.emulator.userPosts({ user: BOB, channel: GENERAL, threadTs: ts, text: "x".repeat(150_000) }),
        async refused({ answers }) {
          assert.deepEqual(
            answers.map((a) => a.status),
            [200],
          );
          const told = await waitFor(
            () =>
              stack.emulator.ephemeralsFor(BOB).find((e) => e.threadTs === ts && /not taken/.test(e.text)),
            { what: "the reply in the thread" },
          );
          assert.match(told.text, /150,000 characters long, and a session takes at most 100,000/);
        },
        async changedAnything() {
          const status = await reads.status(key);
          return (
            status.activeRun !== null ||
            (await reads.history(key)).length !== historyBefore ||
            stack.fake.calls.length !== callsBefore
          );
        },
        async twin() {
          await stack.reply(GENERAL, BOB, ts, "a normal follow-up");
          await waitFor(
            async () =>
              JSON.stringify(await reads.history(key)).includes("You said: a normal follow-up") || undefined,
            { what: "the model's answer to the follow-up" },
          );
        },
      });
    });

    test("model output and tool lines that try to ping or disguise a link are posted escaped; Markdown still renders", async () => {
      const postedRaw = () =>
        [...stack.emulator.callsTo("chat.postMessage"), ...stack.emulator.callsTo("chat.update")].some(
          (call) =>
            /<!channel>|<!here>|<https:\/\/evil\.example|\]\(https:\/\/evil/.test(JSON.stringify(call.args)),
        );
      const escaped =
        "Heads up &lt;!channel&gt; &lt;!here&gt;: see &lt;https://evil.example|https://good.example&gt; or https://good.example (https://evil.example/x)";
      const textReply = stack.fake.reply;
      // A tool call whose input carries a ping, then the injected text.
      answer = () => INJECTED;
      stack.fake.reply = (request, call) =>
        request.messages.at(-1)?.role === "tool"
          ? textReply(request, call)
          : { toolCalls: [{ name: "current_time", args: { timeZone: "<!here>" } }] };
      try {
        await tryAttack("model output with <!channel>, <!here> and a disguised link", {
          async attempt() {
            const ts = await stack.mention(RANDOM, CAROL, "announce it");
            return ts;
          },
          async refused(ts) {
            const final = await waitFor(
              () => stack.botReplies(RANDOM, ts).find((m) => markdownOf(m) === escaped),
              { what: "the model's answer, escaped" },
            );
            assert.match(final.text ?? "", /&lt;!channel&gt;/, "the text fallback too");
            assert.ok(
              stack.botReplies(RANDOM, ts).some((m) => JSON.stringify(m.blocks).includes("&lt;!here&gt;")),
              "the tool line is escaped",
            );
            await reads.idle(stack.sessionKey(RANDOM, ts));
          },
          changedAnything: async () => postedRaw(),
          async twin() {
            stack.fake.reply = textReply;
            const markdown = "# Plan\n\n**bold** and [a link](https://good.example)\n\n- one\n- two";
            const shown = "# Plan\n\n**bold** and a link (https://good.example)\n\n- one\n- two";
            answer = () => markdown;
            const ts = await stack.mention(RANDOM, CAROL, "format it");
            await waitFor(() => stack.botReplies(RANDOM, ts).find((m) => markdownOf(m) === shown), {
              what: "the Markdown answer as the model wrote it, its link showing its target",
            });
            await reads.idle(stack.sessionKey(RANDOM, ts));
          },
        });
      } finally {
        stack.fake.reply = textReply;
        answer = () => null;
      }
    });

    test("Slackbot writing to the bot in a DM is not forwarded; a person's DM starts a session", async () => {
      const { workspace } = stack.emulator;
      workspace.addUser({ id: SLACKBOT, name: "slackbot", realName: "Slackbot", isBot: false });
      const dm = workspace.addChannel({
        id: "D0SLACKBOT",
        name: SLACKBOT,
        kind: "im",
        members: [SLACKBOT, BOT],
      });
      const notice = workspace.addMessage({
        ts: workspace.nextTs(),
        channel: dm.id,
        user: SLACKBOT,
        text: "You have been removed from #secret-plans by Alice",
      });
      const key = toSessionKey(workspace.team.id, dm.id, notice.ts);
      const callsBefore = stack.fake.calls.length;
      await tryAttack("Slackbot's DM to the bot", {
        attempt: () => stack.emulator.deliverEvent(messageEvent(workspace, dm, notice)),
        refused(answer) {
          assert.equal(answer.status, 200, "acknowledged, as every event we do not forward");
        },
        // The adapter answers only after Restate accepted what it forwards: after the 200, a forwarded
        // message would be an invocation of the session already.
        async changedAnything() {
          const forwarded = await stack.restate.query(
            `SELECT id FROM sys_invocation WHERE target_service_name = 'ChatService' AND target_service_key = '${key}'`,
          );
          return forwarded.length > 0 || stack.fake.calls.length !== callsBefore;
        },
        async twin() {
          const own = workspace.directMessageWith(ALICE);
          const { message } = await stack.emulator.userPosts({
            user: ALICE,
            channel: own.id,
            text: "hello there",
          });
          const started = stack.sessionKey(own.id, message.ts);
          await waitFor(async () => (await reads.status(started)).exists || undefined, { what: "a session" });
          await reads.idle(started);
        },
      });
    });

    test("a /me message in a session's thread reaches the session like any person's message (not an attack)", async () => {
      const { key, ts } = await sessionOf(ALICE, GENERAL, "keep notes");
      const { workspace } = stack.emulator;
      const channel = workspace.channel(GENERAL);
      assert.ok(channel);
      const me = workspace.addMessage({
        ts: workspace.nextTs(),
        channel: GENERAL,
        user: ALICE,
        text: "nods along",
        threadTs: ts,
        subtype: "me_message",
      });
      const delivered = await stack.emulator.deliverEvent(messageEvent(workspace, channel, me));
      assert.equal(delivered.status, 200);
      await waitFor(
        async () => (await reads.history(key)).some((e) => e.content === "nods along") || undefined,
        {
          what: "the /me message in the session's history",
        },
      );
      await reads.idle(key);
    });
  });
}
