/**
 * Slack's `mrkdwn` (and plain Markdown, for `markdown` blocks) as DOM nodes: *bold*, _italic_, ~strike~,
 * `code`, code blocks, quotes, links, mentions of people and channels, and emoji. Built from text nodes,
 * never from HTML strings.
 */
import { h } from "./dom.ts";
import { withEmoji } from "./emoji.ts";

export interface Names {
  /** A person's or the bot's display name by user id. */
  person(id: string): string | undefined;
  channel(id: string): string | undefined;
}

/** `https://acme.slack.com/archives/C123/p1700000000000100?thread_ts=...`: the channel and the thread it shows. */
export function parsePermalink(url: string): { channel: string; threadTs: string } | null {
  const match = /^https:\/\/[a-z0-9-]+\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?(.*))?$/.exec(
    url,
  );
  if (!match) return null;
  const threadTs = new URLSearchParams(match[4] ?? "").get("thread_ts");
  return { channel: match[1] ?? "", threadTs: threadTs ?? `${match[2]}.${match[3]}` };
}

/** Slack's three escapes back to characters, as Slack shows escaped text. */
export const decode = (text: string) =>
  text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/** `<...>` in mrkdwn: a link, a mention of a person or a channel, or a special mention. */
function angle(inner: string, names: Names): Node {
  const [target = "", label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return h("span", { class: "mention" }, `@${label ?? names.person(id) ?? id}`);
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    return h("span", { class: "mention" }, `#${label ?? names.channel(id) ?? id}`);
  }
  if (target.startsWith("!date^")) {
    // <!date^1700000000^{date_short} {time}|fallback>: shown in the reader's own time zone.
    const [, seconds = "", format = ""] = target.split("^");
    const date = new Date(Number(seconds) * 1000);
    if (Number.isNaN(date.getTime())) return document.createTextNode(decode(label ?? ""));
    const text = format
      .replaceAll("{time}", date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))
      .replaceAll("{time_secs}", date.toLocaleTimeString())
      .replace(/\{date[a-z_]*\}/g, date.toLocaleDateString([], { month: "short", day: "numeric" }));
    return h("time", { datetime: date.toISOString() }, text);
  }
  if (target.startsWith("!")) {
    const name = target.slice(1).split("^")[0] ?? "";
    return h("span", { class: "mention" }, `@${label ?? name}`);
  }
  const url = decode(target);
  const permalink = parsePermalink(url);
  if (permalink) {
    // A link to a message of this workspace opens it here, as Slack's client does.
    return h(
      "a",
      { href: url, class: "permalink", "data-channel": permalink.channel, "data-thread": permalink.threadTs },
      decode(label ?? url),
    );
  }
  const safe = /^(https?:|mailto:)/i.test(url) ? url : null;
  return safe
    ? h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, decode(label ?? url))
    : document.createTextNode(decode(label ?? url));
}

interface InlineRule {
  readonly pattern: RegExp;
  readonly make: (match: RegExpExecArray, names: Names) => Node;
}

/** Inline rules of mrkdwn; the first match in the text wins, then the rest is parsed again. */
const MRKDWN_RULES: readonly InlineRule[] = [
  { pattern: /<([^<>\s][^<>]*)>/, make: (m, names) => angle(m[1] ?? "", names) },
  { pattern: /`([^`\n]+)`/, make: (m) => h("code", {}, decode(m[1] ?? "")) },
  {
    pattern: /(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])/,
    make: (m, names) => h("strong", {}, ...inline(m[1] ?? "", names, MRKDWN_RULES)),
  },
  {
    pattern: /(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])/,
    make: (m, names) => h("em", {}, ...inline(m[1] ?? "", names, MRKDWN_RULES)),
  },
  {
    pattern: /(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])/,
    make: (m, names) => h("s", {}, ...inline(m[1] ?? "", names, MRKDWN_RULES)),
  },
];

/** Inline rules of Markdown (`markdown` blocks). */
const MARKDOWN_RULES: readonly InlineRule[] = [
  { pattern: /`([^`\n]+)`/, make: (m) => h("code", {}, m[1] ?? "") },
  {
    pattern: /\[([^\]\n]+)\]\(([^)\s]+)\)/,
    make: (m) => {
      const url = m[2] ?? "";
      return /^(https?:|mailto:)/i.test(url)
        ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, m[1] ?? "")
        : document.createTextNode(m[1] ?? "");
    },
  },
  {
    pattern: /<(https?:\/\/[^>\s]+)>/,
    make: (m) => h("a", { href: m[1] ?? "", target: "_blank", rel: "noopener noreferrer" }, m[1] ?? ""),
  },
  {
    pattern: /\*\*(?!\s)(.+?)(?<!\s)\*\*/,
    make: (m, names) => h("strong", {}, ...inline(m[1] ?? "", names, MARKDOWN_RULES)),
  },
  {
    pattern: /(?<![\w*])[*_](?!\s)([^*_\n]+?)(?<!\s)[*_](?![\w*])/,
    make: (m, names) => h("em", {}, ...inline(m[1] ?? "", names, MARKDOWN_RULES)),
  },
  {
    pattern: /~~(?!\s)(.+?)(?<!\s)~~/,
    make: (m, names) => h("s", {}, ...inline(m[1] ?? "", names, MARKDOWN_RULES)),
  },
];

function inline(text: string, names: Names, rules: readonly InlineRule[]): Node[] {
  const nodes: Node[] = [];
  let rest = text;
  while (rest.length > 0) {
    let best: { match: RegExpExecArray; rule: InlineRule } | null = null;
    for (const rule of rules) {
      const match = rule.pattern.exec(rest);
      if (match && (best === null || match.index < best.match.index)) best = { match, rule };
    }
    if (!best) {
      nodes.push(document.createTextNode(withEmoji(rules === MRKDWN_RULES ? decode(rest) : rest)));
      break;
    }
    const before = rest.slice(0, best.match.index);
    if (before)
      nodes.push(document.createTextNode(withEmoji(rules === MRKDWN_RULES ? decode(before) : before)));
    nodes.push(best.rule.make(best.match, names));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return nodes;
}

/** Lines as nodes with line breaks; `> ` lines become quotes. */
function lines(text: string, names: Names, rules: readonly InlineRule[]): Node[] {
  const nodes: Node[] = [];
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length === 0) return;
    nodes.push(h("blockquote", {}, ...lines(quote.join("\n"), names, rules)));
    quote = [];
  };
  const all = text.split("\n");
  all.forEach((line, i) => {
    const quoted = /^(>|&gt;) ?(.*)$/.exec(line);
    if (quoted) {
      quote.push(quoted[2] ?? "");
      return;
    }
    flushQuote();
    nodes.push(...inline(line, names, rules));
    if (i < all.length - 1) nodes.push(h("br"));
  });
  flushQuote();
  return nodes;
}

/** Slack mrkdwn as nodes. */
export function mrkdwn(text: string, names: Names): Node[] {
  const nodes: Node[] = [];
  const parts = text.split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 1 && i < parts.length - 1) nodes.push(h("pre", {}, decode(part.replace(/^\n/, ""))));
    else nodes.push(...lines(i % 2 === 1 ? `\`\`\`${part}` : part, names, MRKDWN_RULES));
  });
  return nodes;
}

/** Markdown (as the `markdown` block carries it): headings, lists, quotes, code, emphasis, links. */
export function markdown(text: string, names: Names): Node[] {
  const out: Node[] = [];
  const source = text.split("\n");
  let i = 0;
  while (i < source.length) {
    const line = source[i] ?? "";
    if (line.startsWith("```")) {
      const code: string[] = [];
      i += 1;
      while (i < source.length && !(source[i] ?? "").startsWith("```")) code.push(source[i++] ?? "");
      i += 1;
      out.push(h("pre", {}, code.join("\n")));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      out.push(h("div", { class: "md-heading" }, ...inline(heading[2] ?? "", names, MARKDOWN_RULES)));
      i += 1;
      continue;
    }
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      const ordered = /^\s*\d+[.)]/.test(line);
      const items: Node[] = [];
      while (i < source.length && /^\s*([-*+]|\d+[.)])\s+/.test(source[i] ?? "")) {
        const item = (source[i] ?? "").replace(/^\s*([-*+]|\d+[.)])\s+/, "");
        items.push(h("li", {}, ...inline(item, names, MARKDOWN_RULES)));
        i += 1;
      }
      out.push(ordered ? h("ol", {}, ...items) : h("ul", {}, ...items));
      continue;
    }
    if (line.startsWith(">")) {
      const quoted: string[] = [];
      while (i < source.length && (source[i] ?? "").startsWith(">"))
        quoted.push((source[i++] ?? "").replace(/^> ?/, ""));
      out.push(h("blockquote", {}, ...markdown(quoted.join("\n"), names)));
      continue;
    }
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    const paragraph: string[] = [];
    while (
      i < source.length &&
      (source[i] ?? "").trim() !== "" &&
      !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s+)/.test(source[i] ?? "")
    )
      paragraph.push(source[i++] ?? "");
    out.push(h("p", {}, ...lines(paragraph.join("\n"), names, MARKDOWN_RULES)));
  }
  return out;
}
