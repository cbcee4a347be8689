/**
 * The one reader of `Retry-After`: the seconds a server asks us to wait (the header's text, or the number
 * Slack's client already parsed from it) as milliseconds. Each caller decides what a missing answer means:
 * Slack's steps wait a second, the model's calls fall back to Restate's backoff. Pure; no clock.
 */

/** Milliseconds to wait, or undefined when the value is missing or not a number of seconds. */
export function retryAfterMs(seconds: string | number | null | undefined): number | undefined {
  if (seconds === undefined || seconds === null) return undefined;
  const value = typeof seconds === "number" ? seconds : Number(seconds);
  return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
}
