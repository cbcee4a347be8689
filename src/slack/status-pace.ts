/**
 * The pace of a workspace's agent-session status calls (`agents.sessions.setStatus`, Slack's Tier 3: about
 * 50 a minute): a token bucket, so a few status changes at once go out at once and a burst beyond it is
 * spread out instead of running into 429s. Pure: the caller keeps the bucket and gives the time.
 */

export interface StatusBucket {
  /** Calls that may go out now (negative: already promised ahead of time). */
  readonly tokens: number;
  /** When `tokens` was counted (epoch ms). */
  readonly at: number;
}

/** How many calls may go out at once: a fifth of a minute's allowance, at least one. */
export function burstOf(perMinute: number): number {
  return Math.max(1, Math.round(perMinute / 5));
}

/** Takes a call's token: how long the call must wait (0 when a token is free now), and the bucket after it. */
export function takeStatusToken(
  bucket: StatusBucket | null,
  now: number,
  perMinute: number,
): { bucket: StatusBucket; waitMs: number } {
  const burst = burstOf(perMinute);
  const msPerToken = 60_000 / perMinute;
  const last = bucket ?? { tokens: burst, at: now };
  const tokens = Math.min(burst, last.tokens + Math.max(0, now - last.at) / msPerToken) - 1;
  return { bucket: { tokens, at: now }, waitMs: tokens >= 0 ? 0 : Math.ceil(-tokens * msPerToken) };
}
