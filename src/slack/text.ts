/**
 * Text for Slack messages: escaping and Slack's size limits. Pure functions.
 */

/** Slack asks for at most 4,000 characters in a message's text; stay a little under. */
export const MAX_MESSAGE_CHARS = 3900;

/** Plain text into Slack's mrkdwn: `&`, `<` and `>` must be escaped, nothing else. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
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
  const entity = text.lastIndexOf("&", cut);
  if (entity > cut - 6 && text.indexOf(";", entity) >= cut) cut = entity;
  return [text.slice(0, cut).trimEnd(), text.slice(cut).trimStart()];
}

/** Shortens a text for a one-line preview (Home, listings). */
export function preview(text: string, max = 150): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
