import assert from "node:assert/strict";
import { test } from "node:test";
import { toSessionKey } from "../../../../src/restate/keys.ts";
import {
  ControlRefusal,
  teamOf,
  threadOfThisWorkspace,
} from "../../../../src/slack/listeners/this-workspace.ts";

const bot = { teamId: "T0001", botUserId: "UBOT", url: "https://acme.slack.com/" };
const ours = { team: { id: "T0001" }, user: { team_id: "T0001" } };

test("a control naming a thread of this workspace, from this workspace, names that thread", () => {
  const key = toSessionKey("T0001", "C1", "1700000000.000100");
  assert.deepEqual(threadOfThisWorkspace(key, ours, bot), {
    team: "T0001",
    channel: "C1",
    threadTs: "1700000000.000100",
  });
});

test("another workspace's key, a key that names no thread, or a request from elsewhere is refused", () => {
  const refusals = [
    [toSessionKey("T0002", "C1", "1700000000.000100"), ours],
    ["ellie", ours],
    ["", ours],
    [toSessionKey("T0002", "C1", "1700000000.000100"), { team: { id: "T0002" }, user: {} }],
  ] as const;
  for (const [key, body] of refusals)
    assert.throws(() => threadOfThisWorkspace(key, body, bot), ControlRefusal, `${key} from ${teamOf(body)}`);
});

test("the workspace is the request's team, or its user's when the team is not named (Enterprise Grid)", () => {
  assert.equal(teamOf({ team: null, user: { team_id: "T0001" } }), "T0001");
  assert.equal(teamOf({ team: { id: "T0003" }, user: { team_id: "T0001" } }), "T0003");
});
