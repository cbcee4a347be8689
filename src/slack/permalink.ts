/**
 * Slack's message links, both ways: the permalink a session records for its thread, and reading a thread
 * link a person pastes into `/agentmode`. Pure string work against Slack's URL format; no Web API calls
 * (`chat.getPermalink` would cost a request per message for a format Slack documents).
 */

/** The thread a link points into. */
export interface ThreadLink {
  readonly host: string;
  readonly channel: string;
  /** Root of the thread the link points into. */
  readonly threadTs: string;
}

/** Link to a message: `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`. */
export function messagePermalink(workspaceUrl: string, channel: string, ts: string): string {
  const base = workspaceUrl.endsWith("/") ? workspaceUrl : `${workspaceUrl}/`;
  return `${base}archives/${channel}/p${ts.replace(".", "")}`;
}

/** Slack ts from a permalink's `p1700000000000100` segment. */
function tsFromPermalinkId(id: string): string | undefined {
  const match = /^p(\d{10})(\d{6})$/.exec(id);
  return match ? `${match[1]}.${match[2]}` : undefined;
}

/**
 * A thread permalink, in either form (`.../archives/C1/p1700000000000100`, or a reply's
 * `...?thread_ts=1700000000.000100&cid=C1`), bare or wrapped by Slack as `<url>` or `<url|label>`.
 */
export function parseThreadLink(text: string): ThreadLink | undefined {
  const unwrapped = text.trim().replace(/^<([^>|]+)(?:\|[^>]*)?>$/, "$1");
  let url: URL;
  try {
    url = new URL(unwrapped);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const match = /^\/archives\/([A-Z0-9]+)\/(p\d{16})\/?$/.exec(url.pathname);
  if (!match?.[1] || !match[2]) return undefined;
  const messageTs = tsFromPermalinkId(match[2]);
  if (!messageTs) return undefined;
  const threadTs = url.searchParams.get("thread_ts") ?? messageTs;
  if (!/^\d+\.\d+$/.test(threadTs)) return undefined;
  const channel = url.searchParams.get("cid") ?? match[1];
  if (channel !== match[1]) return undefined;
  return { host: url.host, channel, threadTs };
}
