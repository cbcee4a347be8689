/**
 * Keys of our virtual objects. A session key is any string (`ellie` from curl, or
 * `<team>:<channel>:<thread ts>` for a Slack thread); runs and channel settings derive their keys from it.
 */

/** AgentSession key of one run: each run has its own key, so a new run never waits behind an old one. */
export function toRunKey(sessionKey: string, runId: string): string {
  return `${sessionKey}/${runId}`;
}

/** `T0001:C0001` for the Slack session `T0001:C0001:1700000000.000100`; null for keys that name no channel. */
export function channelKeyOf(sessionKey: string): string | null {
  const match = /^([^:/]+):([^:/]+):[^/]+$/.exec(sessionKey);
  return match ? `${match[1]}:${match[2]}` : null;
}
