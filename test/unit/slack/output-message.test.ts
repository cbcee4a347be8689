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
  assert.match(JSON.stringify(interrupted.blocks?.[1]), /Stopped/);
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

test("no Markdown link hides its target: each shows its label and its target; other link forms are made inert", () => {
  const disguised =
    "see [https://good.example/login](https://evil.example/login) or [good.example](http://evil.example)";
  const rendered = renderOutputs([{ text: disguised, format: "markdown" }]);
  const expected =
    "see https://good.example/login (https://evil.example/login) or good.example (http://evil.example)";
  assert.equal(blockText(rendered.blocks, 0), expected);
  assert.equal(rendered.text, expected, "the text fallback too");
  assert.equal(slackMarkdown("[the docs](https://example.com/docs)"), "the docs (https://example.com/docs)");
  assert.equal(slackMarkdown("[10.0.0.1](https://evil.example)"), "10.0.0.1 (https://evil.example)");
  assert.equal(
    slackMarkdown("[example.com](https://example.com/)"),
    "https://example.com/",
    "label = target",
  );
  // Forms the pattern does not read show as written, inert, their target visible.
  for (const odd of [
    "[click](https://evil.example/a(b))",
    "[click][ref]\n[ref]: https://evil.example",
    "[two\nlines](https://evil.example)",
  ]) {
    const shown = slackMarkdown(odd);
    assert.doesNotMatch(shown, /\]\(|\]\[|^\[ref\]:/m, shown);
    assert.match(shown, /evil\.example/);
  }
  for (const untouched of [
    "`[https://good.example](https://evil.example)` is how a disguise is written",
    "```\n[https://good.example](https://evil.example)\n```",
  ])
    assert.equal(slackMarkdown(untouched), untouched);
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

test("ordinary Markdown is left as written: only &, < and > change, and links show their target", () => {
  const text =
    "# Plan\n\n**bold** _it_ `a && b`\n\n- [docs](https://example.com/?a=1&b=2)\n\n```\nx > 1\n```";
  const rendered = renderOutputs([{ text, format: "markdown" }]);
  assert.equal(
    blockText(rendered.blocks, 0),
    "# Plan\n\n**bold** _it_ `a &amp;&amp; b`\n\n- docs (https://example.com/?a=1&amp;b=2)\n\n```\nx &gt; 1\n```",
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

test("an answer carries the feedback buttons below it, with the block id it is given; other outputs do not", () => {
  const answer = renderOutputs([{ text: "Here it is", final: true }], "feedback-1");
  assert.deepEqual(
    answer.blocks?.map((b) => b.type),
    ["section", "context_actions"],
  );
  assert.equal((answer.blocks?.[1] as { block_id?: string } | undefined)?.block_id, "feedback-1");
  assert.equal(answer.text, "Here it is");
  assert.equal(renderOutputs([{ text: "step one" }], "feedback-2").blocks, undefined, "not an answer");
  assert.equal(
    renderOutputs([{ text: "Here it is", final: true }]).blocks,
    undefined,
    "no block id, no buttons",
  );
  // A long answer: the buttons go under its last message, not its first.
  const long = renderOutputs([{ text: `${"word ".repeat(1500)}end`, final: true }], "feedback-3");
  assert.ok(long.rest);
  assert.ok(!JSON.stringify(long.blocks).includes("context_actions"));
  const first = long.blocks?.[0] as { text?: { text: string } } | undefined;
  assert.ok((first?.text?.text.length ?? 0) <= 3000, "a section's size");
});

test("a Markdown answer's first table becomes a table block between the text around it; others stay code blocks", () => {
  const text =
    "Results:\n\n| name | score |\n|---|--:|\n| Alice <!here> | 10 |\n| Bob | 7 |\n\nAnd again:\n\n| a | b |\n|---|---|\n| 1 | 2 |";
  const rendered = renderOutputs([{ text, format: "markdown", final: true }], "feedback-t");
  const types = rendered.blocks?.map((b) => b.type);
  assert.deepEqual(types, ["markdown", "table", "markdown", "context_actions"]);
  const table = rendered.blocks?.[1] as unknown as {
    rows: { type: string; text: string }[][];
    column_settings: { align: string }[];
  };
  assert.deepEqual(
    table.rows.map((row) => row.map((cell) => cell.text)),
    [
      ["name", "score"],
      ["Alice &lt;!here&gt;", "10"],
      ["Bob", "7"],
    ],
    "raw text cells, escaped like all an agent writes",
  );
  assert.deepEqual(
    table.column_settings.map((c) => c.align),
    ["left", "right"],
  );
  assert.match(blockText(rendered.blocks, 2), /And again:\n\n```\na {2}b\n- {2}-\n1 {2}2\n```/);
  // Too wide for a table block (Slack allows 20 cells a row): a code block, as before.
  const wide = `| ${Array.from({ length: 21 }, (_, i) => `c${i}`).join(" | ")} |\n|${"---|".repeat(21)}\n| ${"x | ".repeat(21)}`;
  const fallback = renderOutputs([{ text: wide, format: "markdown" }]);
  assert.deepEqual(
    fallback.blocks?.map((b) => b.type),
    ["markdown"],
  );
});

test("tool calls are task cards above the text (a plan for several), and lines in the text fallback", () => {
  const one = renderOutputs([
    {
      text: "Checked.",
      format: "markdown",
      tasks: [{ id: "t1", title: "current_time()", status: "complete", output: '{"iso":"now"}' }],
    },
  ]);
  assert.deepEqual(
    one.blocks?.map((b) => b.type),
    ["task_card", "markdown"],
  );
  assert.match(one.text, /current_time\(\): done/);
  const two = renderLiveMessage("Looking", "growing", [
    { id: "t1", title: "current_time()", status: "complete" },
    { id: "t2", title: "read_thread()", status: "in_progress" },
  ]);
  const plan = two.blocks?.[0] as unknown as { type: string; title: string; tasks: { status: string }[] };
  assert.equal(plan.type, "plan");
  assert.equal(plan.title, "Tool calls (1 of 2 done)");
  assert.deepEqual(
    plan.tasks.map((t) => t.status),
    ["complete", "in_progress"],
  );
});
