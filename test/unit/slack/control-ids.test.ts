import assert from "node:assert/strict";
import { test } from "node:test";
import { toSessionKey } from "../../../src/restate/keys.ts";
import {
  controlIdPattern,
  parseSessionItemValue,
  sessionKeyOfControl,
  toControlId,
  toSessionItemValue,
} from "../../../src/slack/views/control-ids.ts";

const key = toSessionKey("T0001", "C0001", "1700000000.000100");

test("a control's action id names its session, and the listener reads the same key back", () => {
  const id = toControlId("home_stop", key);
  assert.equal(id, "home_stop:T0001:C0001:1700000000.000100");
  assert.equal(sessionKeyOfControl("home_stop", id), key);
});

test("a control's pattern matches its ids for any session, and no other control's", () => {
  assert.match(toControlId("home_reset", key), controlIdPattern("home_reset"));
  assert.match(toControlId("home_remove", key, "message-1"), controlIdPattern("home_remove"));
  assert.doesNotMatch(toControlId("home_reset", key), controlIdPattern("home_remove"));
  assert.doesNotMatch("home_reset", controlIdPattern("home_reset"));
});

test("a remove button's value names its session and message; a value we did not make names nothing", () => {
  const value = toSessionItemValue(key, "message-1");
  assert.deepEqual(parseSessionItemValue(value), { key, id: "message-1" });
  for (const damaged of [undefined, "", "not json", "null", "[]", '{"key":"k"}', '{"key":1,"id":"x"}'])
    assert.equal(parseSessionItemValue(damaged), null, String(damaged));
});
