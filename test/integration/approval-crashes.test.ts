/**
 * A wait for approval lives in Restate, not in any process: the product (`node src/main.ts`, its services
 * and its Bolt app in one process) and restate-server are each killed with SIGKILL while a run waits, then
 * started again, and the card still works; the tool then runs exactly once. The restarted process is also
 * what a deploy does: the approval is decided on services that started after the run began waiting.
 * The agent is the demo agent with `DEMO_APPROVAL=true` (its last iteration asks to post its result).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TOOL_POST_EVENT } from "../../src/slack/post-to-channel-tool.ts";
import { type Rig, startRig } from "../faults/fault-rig.ts";
import { sessionReads } from "../helpers/session-reads.ts";
import { waitFor } from "../helpers/wait.ts";

let rig: Rig;
before(async () => {
  rig = await startRig({ env: { DEMO_APPROVAL: "true" } });
});
after(() => rig?.close());

const toolPosts = (channel: string) =>
  (rig.emulator.workspace.messages.get(channel) ?? []).filter(
    (m) => (m.metadata as { event_type?: string } | undefined)?.event_type === TOOL_POST_EVENT,
  );

async function waitingCard(channel: string, threadTs: string, key: string) {
  const approve = `approval_approve:${key}`;
  const card = await waitFor(
    () =>
      rig.emulator.thread(channel, threadTs).find((m) => JSON.stringify(m.blocks ?? []).includes(approve)),
    { what: "the approval card", timeoutMs: 30_000 },
  );
  await waitFor(
    async () => ((await sessionReads(rig.ingress).status(key)).activeRun?.approval ? true : undefined),
    { what: "the run waiting" },
  );
  return card;
}

const crashes = [
  {
    name: "our process (services and Slack app)",
    crash: async () => {
      assert.equal(await rig.killProduct(), true, "the product was running and was killed");
      await rig.startProduct();
    },
  },
  { name: "restate-server", crash: () => rig.killRestate() },
  {
    name: "both, one after the other",
    crash: async () => {
      assert.equal(await rig.killProduct(), true);
      await rig.killRestate();
      await rig.startProduct();
    },
  },
];

describe("SIGKILL while a run waits for approval", () => {
  for (const { name, crash } of crashes) {
    test(`of ${name}: after the restart the card works and the tool runs once`, async () => {
      const channel = rig.newChannel();
      const { ts, key, person } = await rig.mention(channel, "report when done");
      const card = await waitingCard(channel, ts, key);

      await crash();

      await rig.emulator.interact({
        user: person,
        on: { channel, ts: card.ts },
        actionId: `approval_approve:${key}`,
      });
      await waitFor(
        () =>
          /Approved by/.test(JSON.stringify(rig.emulator.workspace.message(channel, card.ts)))
            ? true
            : undefined,
        { what: "the card approved", timeoutMs: 30_000 },
      );
      await waitFor(
        async () => ((await sessionReads(rig.ingress).status(key)).activeRun ? undefined : true),
        {
          what: "the run finished",
          timeoutMs: 30_000,
        },
      );
      assert.equal(toolPosts(channel).length, 1, "posted once");
      assert.match(toolPosts(channel)[0]?.text ?? "", /The demo agent finished a run/);
    });
  }
});
