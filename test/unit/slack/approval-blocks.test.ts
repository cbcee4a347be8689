import assert from "node:assert/strict";
import { test } from "node:test";
import { denyModal, renderApprovalCard, renderUndoNote } from "../../../src/slack/approval-blocks.ts";
import { parseSessionItemValue } from "../../../src/slack/views/control-ids.ts";

const KEY = "T1:C1:1700000000.000100";
const approval = {
  id: "a1",
  tool: "post_to_channel",
  title: "Post a message in <#C0GENERAL>",
  args: { channel: "C0GENERAL", text: "<!channel> see <https://evil|https://good>" },
  since: "2026-12-01T10:00:00.000Z",
};

test("the card asks with Approve and Deny, naming the session and our id only; what the model wrote is escaped", () => {
  const { blocks, text } = renderApprovalCard(KEY, { approval, decision: null });
  const json = JSON.stringify(blocks);
  assert.match(json, /approval_approve:T1:C1:1700000000.000100/);
  assert.match(json, /approval_deny:T1:C1:1700000000.000100/);
  assert.match(json, /"value":"a1"/);
  assert.match(
    json,
    /&lt;!channel&gt; see &lt;https:\/\/evil\|https:\/\/good&gt;/,
    "no ping, no hidden link",
  );
  assert.match(json, /Post a message in <#C0GENERAL>/, "a channel link stays a link");
  assert.match(text, /asks for approval/);
  // The fallback text (what a notification shows) is escaped like the blocks.
  const planted = renderApprovalCard(KEY, {
    approval: { ...approval, title: "Post in #x <!channel>" },
    decision: null,
  });
  assert.match(planted.text, /&lt;!channel&gt;/);
  assert.doesNotMatch(planted.text, /<!channel>/);
});

test("a decided card shows who and when, without buttons", () => {
  const decision = {
    verdict: "denied" as const,
    by: "U1",
    at: "2026-12-01T10:05:00.000Z",
    reason: "<@U2> no",
  };
  const json = JSON.stringify(renderApprovalCard(KEY, { approval, decision }).blocks);
  assert.doesNotMatch(json, /approval_approve|approval_deny/);
  assert.match(json, /Denied by <@U1> at 2026-12-01 10:05 UTC: &lt;@U2&gt; no/);
});

test("the deny modal carries the session and the approval, and nothing else reads as one", () => {
  const modal = denyModal({ sessionKey: KEY, approvalId: "a1" });
  assert.deepEqual(parseSessionItemValue(modal.private_metadata), { key: KEY, id: "a1" });
  assert.equal(parseSessionItemValue("{}"), null);
  assert.equal(parseSessionItemValue("not json"), null);
});

test("the undo note offers Undo while it is offered, then says what each undo did", () => {
  const offer = { id: "r1", runKey: `${KEY}/r1`, effects: [{ id: "c1", title: "Post a message in <#C1>" }] };
  const offered = JSON.stringify(renderUndoNote(KEY, { ...offer, state: "offered" }).blocks);
  assert.match(offered, /undo_run:T1:C1:1700000000.000100/);
  const done = JSON.stringify(
    renderUndoNote(KEY, {
      ...offer,
      state: "done",
      by: "U1",
      at: "2026-12-01T10:06:00.000Z",
      results: [{ id: "c1", title: "x", outcome: "failed", error: "cant_delete_message" }],
    }).blocks,
  );
  assert.doesNotMatch(done, /undo_run/);
  assert.match(done, /Undone by <@U1> at 2026-12-01 10:06 UTC/);
  assert.match(done, /could not be undone \(cant_delete_message\)/);
});
