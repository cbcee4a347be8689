import assert from "node:assert/strict";
import { test } from "node:test";
import { formatHistoryForLog } from "../../../src/restate/agent-session.ts";

test("the working history is logged as one line of quoted items, roles other than user named", () => {
  assert.equal(
    formatHistoryForLog([
      { role: "user", content: "do something" },
      { role: "system", content: "Do another iteration" },
    ]),
    "message_history=['do something', 'system: Do another iteration']",
  );
  assert.equal(formatHistoryForLog([]), "message_history=[]");
  assert.equal(
    formatHistoryForLog([{ role: "user", content: "it's a \\ test" }]),
    "message_history=['it\\'s a \\\\ test']",
  );
});
