/**
 * Text for Slack messages: escaping and Slack's size limits. Pure functions.
 */

/** Slack asks for at most 4,000 characters in a message's text; stay a little under. */
export const MAX_MESSAGE_CHARS = 3900;

/**
 * Text into Slack: `&`, `<` and `>` escaped, as Slack specifies, and nothing else. Slack reads `<...>` as a
 * control sequence (`<!channel>`, `<!here>`, `<@U…>`, `<!subteam^…>`, `<url|label>`); escaped, it is shown
 * as written and pings nobody.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The text `escapeMrkdwn` was given (for what did not fit and goes out again, escaped afresh). */
export function unescapeMrkdwn(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** `cut`, moved back to the start of an escape like `&amp;` that it would split. */
function cutOutsideEscape(text: string, cut: number): number {
  const entity = text.lastIndexOf("&", cut);
  return entity > cut - 6 && entity >= 0 && text.indexOf(";", entity) >= cut ? entity : cut;
}

/**
 * The first message-sized piece of `text` and what is left (empty when it all fits). Cuts at a line break,
 * else at a space, else anywhere; never inside an escape like `&amp;`.
 */
export function splitForSlack(text: string, max = MAX_MESSAGE_CHARS): [string, string] {
  if (text.length <= max) return [text, ""];
  let cut = text.lastIndexOf("\n", max);
  if (cut < max / 2) cut = text.lastIndexOf(" ", max);
  if (cut < max / 2) cut = max;
  cut = cutOutsideEscape(text, cut);
  return [text.slice(0, cut).trimEnd(), text.slice(cut).trimStart()];
}

/** Shortens a text to `max` characters, keeping its lines; never cuts inside an escape like `&amp;`. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, cutOutsideEscape(text, max - 1))}…`;
}

/** Shortens a text for a one-line preview (Home, listings); never cuts inside an escape like `&amp;`. */
export function preview(text: string, max = 150): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, cutOutsideEscape(line, max - 1))}…`;
}
