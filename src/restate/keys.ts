/**
 * The one place where keys of our virtual objects are built and read back. A session key is any string
 * (`ellie` from curl) or, for a Slack thread, `<team>:<channel>:<thread root ts>`; runs, channels and
 * Homes derive their keys from the same parts. Nothing else builds or splits a key by hand, so a format
 * change happens here alone. Only session keys may legitimately name no thread; the other keys are built
 * by our own code, so a malformed one is refused with a `TerminalError` (retrying cannot mend a key).
 */
import { TerminalError } from "@restatedev/restate-sdk";

/** Where a Slack session lives: its workspace, channel and the root of its thread. */
export interface SessionPlace {
  readonly team: string;
  readonly channel: string;
  readonly threadTs: string;
}

// Ids never hold `:` or `/`; a thread ts holds no `/`, which separates a run id from its session key.
const SESSION_KEY = /^([^:/]+):([^:/]+):([^/]+)$/;
const PAIR_KEY = /^([^:/]+):([^:/]+)$/;

/** ChatService (and SlackThread) key of a Slack thread: `T0001:C0001:1700000000.000100`. */
export function toSessionKey(team: string, channel: string, threadTs: string): string {
  return `${team}:${channel}:${threadTs}`;
}

/** The thread a session key names; null for keys that name none (`ellie`, a run's key). */
export function parseSessionKey(sessionKey: string): SessionPlace | null {
  const match = SESSION_KEY.exec(sessionKey);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return { team: match[1], channel: match[2], threadTs: match[3] };
}

/**
 * The workspace of any Slack key (a session's, a channel's, a Home's, a run's of a Slack session): its
 * team part, which is also the key of its installation (`installationKeyOf`).
 */
export function teamOfKey(key: string): string {
  const team = /^([^:/]+):/.exec(key)?.[1];
  if (!team) throw malformed(key, "<team>:...");
  return team;
}

/** ChannelSettings and SlackChannel key: `T0001:C0001`. */
export function toChannelKey(team: string, channel: string): string {
  return `${team}:${channel}`;
}

export function parseChannelKey(channelKey: string): { team: string; channel: string } {
  const [team, channel] = parsePair(channelKey, "<team>:<channel>");
  return { team, channel };
}

/** `T0001:C0001` for the Slack session `T0001:C0001:1700000000.000100`; null for keys that name no channel. */
export function channelKeyOf(sessionKey: string): string | null {
  const place = parseSessionKey(sessionKey);
  return place ? toChannelKey(place.team, place.channel) : null;
}

/** UserHome key: `T0001:U0001`. */
export function toHomeKey(team: string, user: string): string {
  return `${team}:${user}`;
}

export function parseHomeKey(homeKey: string): { team: string; user: string } {
  const [team, user] = parsePair(homeKey, "<team>:<user>");
  return { team, user };
}

/** AgentSession key of one run: each run has its own key, so a new run never waits behind an old one. */
export function toRunKey(sessionKey: string, runId: string): string {
  return `${sessionKey}/${runId}`;
}

/** The session and run a run key names (a session key from curl may itself hold `/`; a run id never does). */
export function parseRunKey(runKey: string): { sessionKey: string; runId: string } {
  const slash = runKey.lastIndexOf("/");
  if (slash <= 0 || slash === runKey.length - 1) throw malformed(runKey, "<session key>/<run id>");
  return { sessionKey: runKey.slice(0, slash), runId: runKey.slice(slash + 1) };
}

/**
 * Ingress idempotency key of a Slack message: Slack's retries and the two events of a mention carry the
 * same channel and ts, so they collapse into one request.
 */
export function toMessageIdempotencyKey(channel: string, ts: string): string {
  return `${channel}:${ts}`;
}

function parsePair(key: string, format: string): [string, string] {
  const match = PAIR_KEY.exec(key);
  if (!match?.[1] || !match[2]) throw malformed(key, format);
  return [match[1], match[2]];
}

function malformed(key: string, format: string): TerminalError {
  return new TerminalError(`"${key}" is not a key of the form ${format}`, { errorCode: 400 });
}
