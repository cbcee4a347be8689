import assert from "node:assert/strict";
import { test } from "node:test";
import { messagePermalink, parseThreadLink } from "../../../src/slack/permalink.ts";

const root = "https://acme.slack.com/archives/C0001/p1700000000000100";
const reply = "https://acme.slack.com/archives/C0001/p1700000000000200?thread_ts=1700000000.000100&cid=C0001";
const thread = { host: "acme.slack.com", channel: "C0001", threadTs: "1700000000.000100" };

test("permalinks are read exactly: ts from the p-id, the root from thread_ts, the channel must agree", () => {
  assert.deepEqual(parseThreadLink(root), thread);
  assert.deepEqual(parseThreadLink(reply), thread);
  assert.equal(
    parseThreadLink(
      "https://acme.slack.com/archives/C0001/p1700000000000200?thread_ts=1700000000.000100&cid=C0002",
    ),
    undefined,
  );
  assert.equal(parseThreadLink("https://acme.slack.com/archives/C0001/p17000000"), undefined);
  assert.equal(parseThreadLink("ftp://acme.slack.com/archives/C0001/p1700000000000100"), undefined);
  assert.equal(parseThreadLink("not a link"), undefined);
});

test("a session's permalink is the link to its thread's root, and reads back as that thread", () => {
  assert.equal(messagePermalink("https://acme.slack.com/", "C0001", "1700000000.000100"), root);
  assert.equal(messagePermalink("https://acme.slack.com", "C0001", "1700000000.000100"), root);
  assert.deepEqual(
    parseThreadLink(messagePermalink("https://acme.slack.com/", "C0001", "1700000000.000100")),
    thread,
  );
});
