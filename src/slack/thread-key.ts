/**
 * A Slack thread is one session: `<team id>:<channel id>:<thread root ts>`.
 */

export function toThreadKey(team: string, channel: string, threadTs: string): string {
  return `${team}:${channel}:${threadTs}`;
}

/** Link to a message: `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`. */
export function messagePermalink(workspaceUrl: string, channel: string, ts: string): string {
  const base = workspaceUrl.endsWith("/") ? workspaceUrl : `${workspaceUrl}/`;
  return `${base}archives/${channel}/p${ts.replace(".", "")}`;
}
