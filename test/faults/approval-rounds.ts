/**
 * The fault suite's approvals scenario: demo runs that ask to post their result (`DEMO_APPROVAL=true`),
 * with kills at random points around the approval and the undo. Each round: a run waits for approval
 * (maybe a kill while it waits); a person approves; the tool's post is held before Slack takes it or after
 * (its answer then never comes), and then either a kill (the retried tool must find its post or make it,
 * never twice) or an interrupt (the run is cancelled during its effect's step: the undo note must offer it,
 * and Undo, with a kill around its `chat.delete`, must delete it once, also a post that lands late). Counted from the emulator's record, outside our code.
 */
import assert from "node:assert/strict";
import { TOOL_POST_EVENT } from "../../src/slack/post-to-channel-tool.ts";
import type { Json } from "../../src/slack-emulator/app-requests.ts";
import type { EmMessage } from "../../src/slack-emulator/workspace.ts";
import { waitFor } from "../helpers/wait.ts";
import { PEOPLE, type Rig } from "./fault-rig.ts";

export interface ApprovalFigures {
  rounds: number;
  crashed: number;
  interrupted: number;
  /** Tool calls that posted more than once (deleted posts included). */
  toolsRunTwice: number;
  /** Approvals clicked whose run never went past them (card not updated, or the approved post missing). */
  approvalsLost: number;
  /** Undos that deleted more than once, or whose post came back after it. */
  undosRunTwice: number;
  undone: number;
  problems: string[];
}

const callIdOf = (message: EmMessage): string | null => {
  const metadata = message.metadata as
    | { event_type?: string; event_payload?: { call_id?: string } }
    | undefined;
  return metadata?.event_type === TOOL_POST_EVENT ? (metadata.event_payload?.call_id ?? null) : null;
};
const isToolPost = (args: Json) => JSON.stringify(args).includes(TOOL_POST_EVENT);

export async function approvalRounds(
  rig: Rig,
  options: { rounds: number; random: () => number },
): Promise<ApprovalFigures> {
  const figures: ApprovalFigures = {
    rounds: 0,
    crashed: 0,
    interrupted: 0,
    toolsRunTwice: 0,
    approvalsLost: 0,
    undosRunTwice: 0,
    undone: 0,
    problems: [],
  };
  const { emulator } = rig;
  const kill = async () => {
    if (options.random() < 0.5) {
      assert.ok(await rig.killProduct(), "the product was running");
      await rig.startProduct();
    } else await rig.killRestate();
    figures.crashed += 1;
  };
  const textOf = (channel: string, ts: string) =>
    JSON.stringify(emulator.workspace.message(channel, ts) ?? {});
  const noticeWith = (channel: string, threadTs: string, pattern: RegExp, what: string) =>
    waitFor(
      () => emulator.thread(channel, threadTs).find((m) => pattern.test(JSON.stringify(m.blocks ?? []))),
      {
        what,
        timeoutMs: 60_000,
      },
    );
  const idle = (key: string) =>
    waitFor(
      async () =>
        (await rig.ingress.call<{ activeRun: unknown }>(`ChatService/${key}/get_status`)).activeRun
          ? undefined
          : true,
      {
        what: `${key} idle`,
        timeoutMs: 60_000,
      },
    );

  for (let round = 0; round < options.rounds; round += 1) {
    figures.rounds += 1;
    const channel = rig.newChannel();
    const { ts, key, person } = await rig.mention(channel, `approval round ${round}`);
    const card = await noticeWith(channel, ts, new RegExp(`approval_approve:${key}`), "the approval card");
    if (options.random() < 0.4) await kill();

    // Approve; the tool's post is held, before Slack takes it or after (its answer then never came).
    const landed = options.random() < 0.5;
    const posted = emulator.hold("chat.postMessage", (args) => args.channel === channel && isToolPost(args), {
      afterWork: landed,
    });
    await emulator.interact({
      user: person,
      on: { channel, ts: card.ts },
      actionId: `approval_approve:${key}`,
    });
    await posted.arrived;
    const interrupt = options.random() < 0.5;
    if (!interrupt) {
      await kill();
      posted.release();
    } else {
      figures.interrupted += 1;
      const other = PEOPLE.find((p) => p !== person) ?? person;
      // Interrupt while the effect's step waits for its answer; the new run later asks again: denied.
      const runOf = async () =>
        (await rig.ingress.call<{ activeRun: { id: string } | null }>(`ChatService/${key}/get_status`))
          .activeRun?.id;
      const waiting = await runOf();
      await rig.reply(channel, ts, other, `never mind ${round}`);
      // Released only once the session has taken the interrupt: the cancel meets the effect's step in flight.
      await waitFor(async () => ((await runOf()) !== waiting ? true : undefined), {
        what: "the interrupt taken",
      });
      posted.release();
      const note = await noticeWith(channel, ts, new RegExp(`undo_run:${key}`), "the undo note");
      const deleting = emulator.hold("chat.delete", (args) => args.channel === channel, {
        afterWork: options.random() < 0.5,
      });
      await emulator.interact({ user: person, on: { channel, ts: note.ts }, actionId: `undo_run:${key}` });
      await deleting.arrived;
      await kill();
      deleting.release();
      await waitFor(() => (/Undone by/.test(textOf(channel, note.ts)) ? true : undefined), {
        what: "the undo note done",
        timeoutMs: 60_000,
      });
      figures.undone += 1;
      // The interrupting message's run asks again, in the same thread: denied, so the round ends.
      const next = await waitFor(
        () =>
          emulator
            .thread(channel, ts)
            .find((m) => m.ts !== card.ts && JSON.stringify(m.blocks ?? []).includes(`approval_deny:${key}`)),
        { what: "the next run's approval card", timeoutMs: 60_000 },
      );
      await emulator.interact({
        user: person,
        on: { channel, ts: next.ts },
        actionId: `approval_deny:${key}`,
      });
      const modal = await waitFor(() => emulator.modalOf(person), { what: "the deny modal" });
      await emulator.submitModal({ user: person, viewId: modal.id, values: {} });
    }
    await idle(key);
    // The card is updated by its own invocation, after the decision: given time to land (a kill may have
    // sent its update into a retry), it must show it.
    const shown = await waitFor(() => (/Approved by/.test(textOf(channel, card.ts)) ? true : undefined), {
      what: "the card approved",
      timeoutMs: 60_000,
    }).catch(() => false);
    if (!shown) {
      figures.approvalsLost += 1;
      figures.problems.push(`${key}: the card does not show the approval`);
    }
    // Every post the tool made for this channel, deleted ones included, by call id.
    const live = (emulator.workspace.messages.get(channel) ?? []).filter((m) => callIdOf(m));
    const deleted = emulator.deletedFrom(channel).filter((d) => callIdOf(d.message));
    const posts = new Map<string, number>();
    for (const m of [...live, ...deleted.map((d) => d.message)])
      posts.set(callIdOf(m) ?? "", (posts.get(callIdOf(m) ?? "") ?? 0) + 1);
    for (const [callId, count] of posts) {
      if (count > 1) {
        figures.toolsRunTwice += count - 1;
        figures.problems.push(`${key}: call ${callId} posted ${count} times`);
      }
    }
    if (!interrupt && live.length !== 1) {
      figures.approvalsLost += 1;
      figures.problems.push(`${key}: ${live.length} posts kept after an approval, not 1`);
    }
    if (interrupt) {
      if (deleted.length > 1 || live.length > 0) {
        figures.undosRunTwice += Math.max(deleted.length - 1, 0) + live.length;
        figures.problems.push(`${key}: ${deleted.length} deletions, ${live.length} posts left after undo`);
      }
    }
  }
  return figures;
}

export function formatApprovalFigures(f: ApprovalFigures): string {
  return [
    `Approvals under faults: ${f.rounds} rounds, ${f.crashed} kills, ${f.interrupted} interrupted during the effect, ${f.undone} undone`,
    `  tools run twice: ${f.toolsRunTwice}, approvals lost: ${f.approvalsLost}, undos run twice: ${f.undosRunTwice}`,
    ...f.problems.map((p) => `  ${p}`),
  ].join("\n");
}
