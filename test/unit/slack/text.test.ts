import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeMrkdwn, preview, splitForSlack, unescapeMrkdwn } from "../../../src/slack/text.ts";

test("only &, < and > are escaped for mrkdwn", () => {
  assert.equal(escapeMrkdwn("a < b && c > d *bold*"), "a &lt; b &amp;&amp; c &gt; d *bold*");
});

test("a long text is cut at a line break or space, within the limit, and nothing is lost", () => {
  const text = `${"line of words\n".repeat(500)}tail`;
  let rest = text;
  const pieces: string[] = [];
  while (rest) {
    const [piece, remaining] = splitForSlack(rest, 1000);
    assert.ok(piece.length <= 1000);
    pieces.push(piece);
    rest = remaining;
  }
  assert.equal(pieces.join("\n"), text);
  assert.deepEqual(splitForSlack("short"), ["short", ""]);
});

test("a cut never splits an escape", () => {
  const text = `${"x".repeat(995)} &amp; y`;
  const [piece] = splitForSlack(text.replace(" ", ""), 998);
  assert.ok(!piece.endsWith("&am") && !piece.endsWith("&"), piece.slice(-6));
});

test("previews are one line and bounded", () => {
  assert.equal(preview("a\n\nb   c"), "a b c");
  assert.equal(preview("x".repeat(200), 10), `${"x".repeat(9)}…`);
});

test("unescaping gives back exactly what was escaped", () => {
  const text = "a < b && c > d &amp; &lt;!here&gt;";
  assert.equal(unescapeMrkdwn(escapeMrkdwn(text)), text);
});

test("a preview never cuts an escape in two", () => {
  const shown = preview(`${"x".repeat(7)}&amp;yyyy`, 10);
  assert.equal(shown, `${"x".repeat(7)}…`);
});
