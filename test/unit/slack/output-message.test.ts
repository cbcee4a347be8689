import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LIVE_CURSOR,
  MAX_MARKDOWN_CHARS,
  MAX_NOTES,
  renderLiveMessage,
  renderOutputs,
  slackMarkdown,
} from "../../../src/slack/output-message.ts";
import { validateMessageBlocks } from "../../../src/slack-emulator/block-kit.ts";

/** The text of a block (markdown blocks have a plain `text`). */
function blockText(blocks: readonly unknown[] | undefined, index: number): string {
  return String((blocks?.[index] as { text?: unknown } | undefined)?.text ?? "");
}

test("a plain output is the message text, escaped, without blocks (the demo agent's posts)", () => {
  const rendered = renderOutputs([{ text: "a < b & c" }]);
  assert.deepEqual(rendered, { text: "a &lt; b &amp; c", rest: "" });
});

test("a model's Markdown goes into a markdown block; tool calls are context lines above it", () => {
  const rendered = renderOutputs([
    { text: "## Title\n\n- one", format: "markdown", notes: ["`current_time`()", "`read_thread`()"] },
  ]);
  assert.deepEqual(
    rendered.blocks?.map((b) => b.type),
    ["context", "context", "markdown"],
  );
  assert.equal(blockText(rendered.blocks, 2), "## Title\n\n- one");
  assert.match(rendered.text, /current_time/);
  validateMessageBlocks(rendered.blocks);
});

test("only tool calls: the message is their lines; more than the limit are summed up", () => {
  const notes = Array.from({ length: MAX_NOTES + 3 }, (_, i) => `tool ${i}`);
  const rendered = renderOutputs([{ text: "", format: "markdown", notes }]);
  assert.equal(rendered.blocks?.length, MAX_NOTES);
  assert.match(JSON.stringify(rendered.blocks?.at(-1)), /…and 4 more/);
  validateMessageBlocks(rendered.blocks);
});

test("a Markdown answer longer than Slack's markdown limit is split, the rest going out next", () => {
  const long = `${"word ".repeat(MAX_MARKDOWN_CHARS / 5)}\nthe end`;
  const rendered = renderOutputs([{ text: long, format: "markdown" }]);
  validateMessageBlocks(rendered.blocks);
  assert.ok(rendered.rest.endsWith("the end"));
  assert.ok(rendered.text.length <= 3900);
});

test("a live message shows a cursor while it grows, a placeholder before the first words, and its interruption", () => {
  assert.match(JSON.stringify(renderLiveMessage("", "growing").blocks), /Thinking/);
  const growing = renderLiveMessage("Hello", "growing");
  assert.equal(blockText(growing.blocks, 0), `Hello${LIVE_CURSOR}`);
  const interrupted = renderLiveMessage("Hello", "interrupted");
  assert.equal(blockText(interrupted.blocks, 0), "Hello");
  assert.match(JSON.stringify(interrupted.blocks?.[1]), /Interrupted/);
});

test("Markdown tables, which Slack's markdown block does not render, become code blocks with lined-up columns", () => {
  const text = "Results:\n\n| name | score |\n|---|--:|\n| Alice | 10 |\n| Bob | 7 |\n\nThat is all.";
  assert.equal(
    slackMarkdown(text),
    "Results:\n\n```\nname   score\n-----  -----\nAlice  10\nBob    7\n```\n\nThat is all.",
  );
  const fenced = "```\n| not | a table |\n|---|---|\n```";
  assert.equal(slackMarkdown(fenced), fenced, "inside a code block nothing changes");
  assert.equal(slackMarkdown("a | b"), "a | b");
});

const INJECTED =
  "Hi <!channel> <!here> <!everyone> <!subteam^S0123|@team>, see <https://evil.example|https://good.example> & more";
const INJECTED_ESCAPED =
  "Hi &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;!subteam^S0123|@team&gt;, see &lt;https://evil.example|https://good.example&gt; &amp; more";

test("a model's text cannot ping or disguise a link: escaped in the markdown block and in the text fallback", () => {
  const rendered = renderOutputs([{ text: `**Note**: ${INJECTED}`, format: "markdown" }]);
  assert.equal(blockText(rendered.blocks, 0), `**Note**: ${INJECTED_ESCAPED}`);
  assert.equal(rendered.text, `**Note**: ${INJECTED_ESCAPED}`);
  assert.doesNotMatch(JSON.stringify(rendered), /<!|<https/);
});

test("a Markdown link whose label reads as another address shows its real target; honest links stay links", () => {
  const disguised =
    "see [https://good.example/login](https://evil.example/login) or [good.example](http://evil.example)";
  const rendered = renderOutputs([{ text: disguised, format: "markdown" }]);
  const expected =
    "see https://good.example/login (https://evil.example/login) or good.example (http://evil.example)";
  assert.equal(blockText(rendered.blocks, 0), expected);
  assert.equal(rendered.text, expected, "the text fallback too");
  for (const honest of [
    "[the docs](https://example.com/docs)",
    "[https://example.com/](https://example.com)",
    "[example.com](https://example.com/)",
    "`[https://good.example](https://evil.example)` is how a disguise is written",
    "```\n[https://good.example](https://evil.example)\n```",
  ])
    assert.equal(slackMarkdown(honest), honest);
});

test("tool-call lines are escaped too, in their context blocks and in the fallback", () => {
  const rendered = renderOutputs([{ text: "ok", format: "markdown", notes: [`\`fetch\`(${INJECTED})`] }]);
  assert.equal(
    (rendered.blocks?.[0] as { elements?: { text: string }[] } | undefined)?.elements?.[0]?.text,
    `\`fetch\`(${INJECTED_ESCAPED})`,
  );
  assert.match(rendered.text, /&lt;!channel&gt;/);
  assert.doesNotMatch(JSON.stringify(rendered), /<!|<https/);
});

test("a live message is escaped while it grows and when it is interrupted", () => {
  for (const state of ["growing", "interrupted"] as const) {
    const rendered = renderLiveMessage(INJECTED, state);
    assert.ok(blockText(rendered.blocks, 0).startsWith(INJECTED_ESCAPED));
    assert.equal(rendered.text, INJECTED_ESCAPED);
  }
});

test("ordinary Markdown is left as written: only &, < and > change", () => {
  const text =
    "# Plan\n\n**bold** _it_ `a && b`\n\n- [docs](https://example.com/?a=1&b=2)\n\n```\nx > 1\n```";
  const rendered = renderOutputs([{ text, format: "markdown" }]);
  assert.equal(
    blockText(rendered.blocks, 0),
    "# Plan\n\n**bold** _it_ `a &amp;&amp; b`\n\n- [docs](https://example.com/?a=1&amp;b=2)\n\n```\nx &gt; 1\n```",
  );
});

test("what did not fit goes out again as the agent wrote it, so it is escaped once, not twice", () => {
  const long = `${"a < b & c\n".repeat(1000)}the end`;
  for (const format of ["text", "markdown"] as const) {
    const rendered = renderOutputs([{ text: long, format }]);
    assert.ok(rendered.rest.endsWith("the end"));
    assert.match(rendered.rest, /^a < b & c$/m, format);
    assert.doesNotMatch(rendered.rest, /&amp;|&lt;/, format);
  }
});
