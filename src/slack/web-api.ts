/**
 * Slack's Web API as the durable side uses it. The client never retries by itself and never waits out a
 * rate limit (`retries: 0`, `rejectRateLimitedCalls`), and every request has a timeout: Restate owns
 * retries, so a call is never repeated behind the journal's back and no step hangs forever.
 * `slackStep` runs one call as a durable step; `classifySlackFailure` says what each answer means.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as restate from "@restatedev/restate-sdk";
import { ErrorCode, LogLevel, type Logger as SlackLogger, WebClient } from "@slack/web-api";
import type { Logger } from "../logger.ts";
import { retryAfterMs } from "../retry-after.ts";

export const SLACK_REQUEST_TIMEOUT_MS = 10_000;

/** `ok:false` answers that Slack gives for a temporary condition: retried, not terminal. */
const RETRYABLE_PLATFORM_ERRORS = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "team_added_to_org",
]);

/** The Web API client of the durable side (and of nothing else: Bolt has its own). */
export function createSlackWebClient(options: {
  url: string;
  token: string | null;
  logger: Logger;
}): WebClient {
  return new WebClient(options.token ?? undefined, {
    slackApiUrl: options.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: SLACK_REQUEST_TIMEOUT_MS,
    logger: toSlackLogger(options.logger),
  });
}

/** Distinct warnings logged by one client, at most (then they are no longer remembered, and may repeat). */
const WARNINGS_REMEMBERED = 1000;

/**
 * @slack/logger's interface over our pino logger. The client logs at debug, warns on deprecations, and
 * warns with each warning Slack returns (`response_metadata.warnings`, such as an agent app's
 * `missing_agent_session_stopped_event_subscription`): each distinct warning is logged once, not once
 * per call. The client's debug line with each request's body is never passed on: it holds what people
 * wrote and, for `oauth.v2.access`, the app's client secret and the install's code.
 */
export function toSlackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const warned = new Set<string>();
  return {
    debug: (...messages: unknown[]) => {
      const text = messages.map(String).join(" ");
      if (!text.startsWith("http request body")) logger.debug(text);
    },
    info: (...messages: unknown[]) => logger.info(messages.map(String).join(" ")),
    warn: (...messages: unknown[]) => {
      // The client passes each of Slack's warnings with forEach's index and array: the warning alone counts.
      const text =
        typeof messages[1] === "number"
          ? `Slack warned: ${String(messages[0])}`
          : messages.map(String).join(" ");
      if (warned.has(text)) return;
      if (warned.size < WARNINGS_REMEMBERED) warned.add(text);
      logger.warn(text);
    },
    error: (...messages: unknown[]) => logger.error(messages.map(String).join(" ")),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Slack's final refusal of a call, as `classifySlackFailure` throws it: it keeps Slack's error name. */
export class SlackRefusal extends restate.TerminalError {
  readonly slackError: string;
  constructor(method: string, code: string) {
    super(`Slack refused ${method}: ${code}`, { errorCode: 400 });
    this.slackError = code;
  }
}

/** The `error` of an `ok:false` answer (also once classified), or undefined for any other failure. */
export function slackErrorCode(error: unknown): string | undefined {
  if (error instanceof SlackRefusal) return error.slackError;
  const e = error as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

/**
 * How long Slack asked us to wait, when the call failed because it was rate-limited (a second when Slack
 * named no wait); undefined for any other failure.
 */
export function rateLimitWaitMs(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: number };
  if (e?.code !== ErrorCode.RateLimitedError) return undefined;
  return retryAfterMs(e.retryAfter) ?? 1000;
}

/**
 * How long a request that may have reached Slack is given to land before a retry looks for it: our
 * client's timeout, and some more.
 */
export const LANDING_GRACE_MS = SLACK_REQUEST_TIMEOUT_MS + 5000;

/**
 * `oldest` for a lookup of what we posted since `sinceMs` (our clock): a minute earlier, for Slack's clock
 * against ours. No try sent it before, so only what came since is read (a page, most of the time, also at
 * the 15 messages a call that distributed apps outside the Marketplace get).
 */
export function oldestSince(sinceMs: number): string {
  return ((sinceMs - 60_000) / 1000).toFixed(6);
}

/** How long one lookup (reading a thread or a channel's history) waits out Slack's rate limits in all. */
export const LOOKUP_WAIT_LIMIT_MS = 5 * 60_000;

/**
 * One call of a lookup over pages, waiting out a 429 for as long as Slack asks, within the step (aborted
 * with `signal`), instead of failing it: the lookup then goes on from the page it reached, also under the
 * one-call-a-minute limit on `conversations.history` and `.replies` for distributed apps outside the
 * Marketplace (a failed step would start over from the first page and might never get past the second).
 * `waited` is shared by the lookup's calls; past `LOOKUP_WAIT_LIMIT_MS` in all, the 429 is thrown.
 */
export async function waitingOutLimits<T>(
  call: () => Promise<T>,
  waited: { ms: number },
  signal?: AbortSignal,
): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const wait = rateLimitWaitMs(error);
      if (wait === undefined || waited.ms + wait > LOOKUP_WAIT_LIMIT_MS) throw error;
      waited.ms += wait;
      await delay(wait, undefined, signal ? { signal } : {});
    }
  }
}

/**
 * Turns a failed Web API call into what Restate should do with it:
 * - 429: retried by Restate after the `Retry-After` Slack gave;
 * - a 5xx or network failure: retried with backoff;
 * - `ok:false` that means "already done" (`already_reacted`, `no_reaction`, ...): returns `"ok"`;
 * - any other `ok:false` (`channel_not_found`, `not_in_channel`, `invalid_auth`, ...): a `TerminalError`.
 */
export function classifySlackFailure(error: unknown, method: string, alreadyDone: readonly string[]): "ok" {
  const limitedFor = rateLimitWaitMs(error);
  if (limitedFor !== undefined) {
    throw new restate.RetryableError(`Slack rate-limited ${method}`, { retryAfter: limitedFor });
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e?.code) {
    case ErrorCode.PlatformError: {
      const code = slackErrorCode(error) ?? "unknown_error";
      if (alreadyDone.includes(code)) return "ok";
      if (RETRYABLE_PLATFORM_ERRORS.has(code)) throw new Error(`Slack answered ${code} to ${method}`);
      throw new SlackRefusal(method, code);
    }
    case ErrorCode.HTTPError:
      if ((e.statusCode ?? 500) >= 500) throw new Error(`Slack answered HTTP ${e.statusCode} to ${method}`);
      throw new restate.TerminalError(`Slack answered HTTP ${e.statusCode} to ${method}`, { errorCode: 400 });
    default:
      // Network errors and timeouts: the call may or may not have happened; retried with backoff.
      throw new Error(`${method} failed: ${e?.message ?? String(error)}`);
  }
}

/**
 * Whether a failed call may have done its work all the same: no answer (network failure, timeout) or a
 * 5xx. A 429 and an `ok:false` answer mean Slack did nothing.
 */
export function mayHaveLanded(error: unknown): boolean {
  const e = error as { code?: string; statusCode?: number };
  if (e?.code === ErrorCode.RateLimitedError || e?.code === ErrorCode.PlatformError) return false;
  if (e?.code === ErrorCode.HTTPError) return (e.statusCode ?? 500) >= 500;
  return true;
}

export interface SlackStepOptions {
  /** `ok:false` errors that mean the work is already done. */
  readonly alreadyDone?: readonly string[];
  /** Stop retrying temporary failures (and throw a TerminalError) after this long; never when unset. */
  readonly giveUpAfterMs?: number;
}

/**
 * How long a best-effort step (a reaction, an explanation, a Home) keeps retrying 429s, 5xx and dropped
 * connections before it is logged and given up. A time, not a count of attempts: a reaction is how a
 * person sees where their message stands, so a burst of Slack failures must not lose it (5 attempts
 * at a 30% failure rate lost one message in a few hundred), but a Slack outage must not hold a thread's
 * later reactions forever either.
 */
const BEST_EFFORT_GIVE_UP_MS = 10 * 60_000;

/**
 * One Web API call as a durable step. `call` must return only what needs journaling (a ts, say), not the
 * whole response. Returns null when Slack answered "already done".
 */
export function slackStep<T>(
  ctx: restate.Context,
  name: string,
  method: string,
  call: () => Promise<T>,
  options: SlackStepOptions = {},
): Promise<T | null> {
  return ctx.run(
    name,
    async () => {
      try {
        return await call();
      } catch (error) {
        classifySlackFailure(error, method, options.alreadyDone ?? []);
        return null;
      }
    },
    options.giveUpAfterMs === undefined
      ? { initialRetryInterval: 200, maxRetryInterval: 30_000 }
      : { maxRetryDuration: options.giveUpAfterMs, initialRetryInterval: 200, maxRetryInterval: 30_000 },
  );
}

/**
 * A best-effort Slack call as a durable step (a reaction, an explanation, a Home, an agent status): it
 * retries temporary failures for up to `BEST_EFFORT_GIVE_UP_MS`, then is logged as `what` and given up.
 * Resolves to the call's result, null when Slack answered "already done", undefined when given up.
 */
export async function bestEffortStep<T>(
  ctx: restate.Context,
  step: {
    readonly what: string;
    readonly name?: string;
    readonly method: string;
    readonly alreadyDone?: readonly string[];
  },
  call: () => Promise<T>,
): Promise<T | null | undefined> {
  try {
    return await slackStep(ctx, step.name ?? step.what, step.method, call, {
      giveUpAfterMs: BEST_EFFORT_GIVE_UP_MS,
      ...(step.alreadyDone ? { alreadyDone: step.alreadyDone } : {}),
    });
  } catch (error) {
    if (error instanceof restate.CancelledError) throw error;
    ctx.console.warn(`Could not ${step.what}: ${(error as Error).message}`);
    return undefined;
  }
}
