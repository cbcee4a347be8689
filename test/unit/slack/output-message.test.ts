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
