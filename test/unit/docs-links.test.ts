/**
 * Every relative link in the README, docs/ and bench/results/ resolves: to a file or folder of this
 * repository, and for `#anchor` links to a heading of the target page (GitHub's heading slugs). Reads
 * Markdown only; links inside code are not links. Must not follow links to the internet.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function markdownIn(folder: string): string[] {
  const path = join(ROOT, folder);
  if (!existsSync(path)) return [];
  return readdirSync(path)
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(path, name));
}

const PAGES = [join(ROOT, "README.md"), ...markdownIn("docs"), ...markdownIn("bench/results")];

/** The text without fenced code blocks and inline code, where brackets are not links. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "``");
}

/** Targets of inline links and images: `[text](target)`, `![alt](target "title")`. */
function linkTargets(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  // Link text may itself hold inline code (blanked above) or an image; the target ends at a space or `)`.
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (match[1]) targets.push(match[1]);
  }
  return targets;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = (match[1] ?? "")
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/[`*]/g, "")
      .trim();
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count === 0 ? base : `${base}-${count}`);
  }
  return slugs;
}

/** What is wrong with one link of `page`, or null when it resolves. */
function brokenLink(page: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // https:, mailto: ...: not ours to check
  const [pathPart = "", anchor] = target.split("#", 2);
  const file = pathPart === "" ? page : join(dirname(page), decodeURIComponent(pathPart));
  if (!existsSync(file)) return `no such file: ${relative(ROOT, file)}`;
  if (anchor === undefined) return null;
  if (!statSync(file).isFile() || !file.endsWith(".md")) return `an anchor into a page that is not Markdown`;
  const slugs = headingSlugs(readFileSync(file, "utf8"));
  return slugs.has(anchor) ? null : `no heading #${anchor} in ${relative(ROOT, file)}`;
}

test("GitHub's heading slugs: lower case, no punctuation, code kept as text, repeats numbered", () => {
  const slugs = headingSlugs(
    "# One Slack message, start to end\n## The services (a public API)\n## `process_user_message`\n" +
      "```\n# not a heading\n```\n## Notes\n## Notes\n",
  );
  assert.deepEqual(
    [...slugs],
    [
      "one-slack-message-start-to-end",
      "the-services-a-public-api",
      "process_user_message",
      "notes",
      "notes-1",
    ],
  );
});

test("links are read from prose only, not from code", () => {
  assert.deepEqual(
    linkTargets(
      'See [the docs](docs/a.md#x) and ![pic](b.png "title"); [`code`](src/c.ts).\n' +
        "`[not](a-link.md)`\n```\n[nor](this.md)\n```\n",
    ),
    ["docs/a.md#x", "b.png", "src/c.ts"],
  );
});

test("every relative link in the README, docs/ and bench/results/ resolves, anchors included", () => {
  assert.ok(PAGES.length > 1, "the README and the docs pages are found");
  const broken: string[] = [];
  let checked = 0;
  for (const page of PAGES) {
    for (const target of linkTargets(readFileSync(page, "utf8"))) {
      checked += 1;
      const problem = brokenLink(page, target);
      if (problem) broken.push(`${relative(ROOT, page)}: (${target}) ${problem}`);
    }
  }
  assert.ok(checked > 50, `links were found (${checked})`);
  assert.deepEqual(broken, []);
});
