/**
 * The emulator's agent sessions, as Slack's reference describes `agents.sessions.setStatus` and `rename`:
 * created on first use with title and initiator (ignored afterwards), a status Slack knows, `channel_id` and
 * `thread_ts` for a thread's session, `session_not_found` when renaming one that does not exist. Slack's
 * Stop button exists only while a session is processing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WebClient } from "@slack/web-api";
import type { SlackEmulator } from "../../../src/slack-emulator/emulator.ts";
import { emulatorPerFile, slackError } from "../../helpers/emulator-client.ts";

const ALICE = "U0ALICE01";
const CAROL = "U0CAROL03";

let emulator: SlackEmulator;
let bot: WebClient;
emulatorPerFile((started) => {
  ({ emulator, bot } = started);
});

async function thread(): Promise<string> {
  const { message } = await emulator.userPosts({ user: ALICE, channel: "C0GENERAL", text: "hello" });
  return message.ts;
}

test("setStatus creates a thread's session with its title and initiator, then only changes its status", async () => {
  const ts = await thread();
  const set = (status: string, extra: Record<string, string> = {}) =>
    bot.agents.sessions.setStatus({ channel_id: "C0GENERAL", thread_ts: ts, status, ...extra });
  await set("processing", { title: "Plan the offsite", initiator_user_id: ALICE });
  await set("active", { title: "Another title", initiator_user_id: CAROL });
  const session = emulator.workspace.agentSession("C0GENERAL", ts);
  assert.deepEqual(
    [session?.title, session?.initiator, session?.statuses],
    ["Plan the offsite", ALICE, ["processing", "active"]],
  );
  await bot.agents.sessions.rename({ channel_id: "C0GENERAL", thread_ts: ts, title: "Offsite, renamed" });
  assert.equal(emulator.workspace.agentSession("C0GENERAL", ts)?.title, "Offsite, renamed");
});

test("setStatus and rename refuse what Slack refuses", async () => {
  const ts = await thread();
  const refused = async (args: Record<string, unknown>) =>
    slackError(bot.agents.sessions.setStatus(args as never));
  assert.equal(
    await refused({ channel_id: "C0GENERAL", thread_ts: ts, status: "done" }),
    "invalid_arguments",
  );
  assert.equal(await refused({ channel_id: "C0GENERAL", status: "active" }), "invalid_arguments");
  assert.equal(await refused({ channel_id: "C0NOPE", thread_ts: ts, status: "active" }), "channel_not_found");
  assert.equal(
    await refused({ channel_id: "C0GENERAL", thread_ts: "1.000001", status: "active" }),
    "thread_not_found",
  );
  assert.equal(
    await refused({ channel_id: "C0GENERAL", thread_ts: ts, status: "active", title: "x".repeat(201) }),
    "invalid_arguments",
  );
  assert.equal(
    await slackError(bot.agents.sessions.rename({ channel_id: "C0GENERAL", thread_ts: ts, title: "t" })),
    "session_not_found",
  );
});

test("Slack's Stop button is there only while the session is processing", async () => {
  const ts = await thread();
  assert.throws(() => emulator.pressStop(ALICE, "C0GENERAL", ts), /no Stop button/);
  await bot.agents.sessions.setStatus({ channel_id: "C0GENERAL", thread_ts: ts, status: "active" });
  assert.throws(() => emulator.pressStop(ALICE, "C0GENERAL", ts), /no Stop button: .* is active/);
});
