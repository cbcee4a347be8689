/**
 * Who is calling a handler. The Restate ingress has no authentication and answers every `Origin` with
 * permissive CORS, so the boundaries are drawn here, from the request Restate hands the handler:
 * - Slack facts (where a message came from, who wrote it, who asks for a control) are accepted only from our
 *   Slack adapter, which signs its requests: HMAC-SHA256 with `ADAPTER_KEY` over the target (service,
 *   handler, key), a timestamp and the exact body. A signed request cannot be replayed to another key or
 *   handler, with another body, nor later than `SIGNATURE_MAX_AGE_MS` (compared with `ctx.date.now()`, so
 *   a replay of the invocation decides the same). Restate does not pass the idempotency key on, so within
 *   that window a captured request could be sent again as it is.
 * - No browser may call at all (`refuseBrowserRequests`, a hook around every handler): browsers send
 *   `Origin` (or `Sec-Fetch-Site`) on every cross-site request; curl and our clients never do.
 * Knows nothing of Slack's API or of our services' rules: it says who asks, the handlers decide.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";

export const SIGNATURE_HEADER = "x-adapter-signature";
export const TIMESTAMP_HEADER = "x-adapter-timestamp";
/** How old a signed request may be when its handler first runs (Slack's own signatures allow 5 minutes). */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;
const VERSION = "v1";

/** What a signature covers besides the body: the handler it is for, and when it was made. */
export interface SignedTarget {
  readonly service: string;
  readonly handler: string;
  /** The object's key; empty for a service. */
  readonly key: string;
}

function mac(secret: string, target: SignedTarget, timestamp: string, body: Uint8Array): Buffer {
  // A JSON array keeps the fields apart: no key or handler can be shifted into its neighbour.
  const head = JSON.stringify([VERSION, timestamp, target.service, target.handler, target.key]);
  return createHmac("sha256", secret).update(`${head}\n`).update(body).digest();
}

/** The headers that make a request the adapter's. */
export function signRequest(
  secret: string,
  target: SignedTarget,
  body: Uint8Array,
  nowMs: number = Date.now(),
): Record<string, string> {
  const timestamp = String(nowMs);
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `${VERSION}=${mac(secret, target, timestamp, body).toString("hex")}`,
  };
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "unsigned" | "mismatch" | "stale"; readonly message: string };

/** Checks a request's signature (pure: the caller gives the time). */
export function verifyRequest(
  secret: string,
  request: {
    readonly target: SignedTarget;
    readonly headers: ReadonlyMap<string, string>;
    readonly body: Uint8Array;
  },
  nowMs: number,
): Verdict {
  const signature = request.headers.get(SIGNATURE_HEADER);
  const timestamp = request.headers.get(TIMESTAMP_HEADER);
  if (!signature || !timestamp) {
    return { ok: false, reason: "unsigned", message: "the request is not signed by the Slack adapter" };
  }
  const expected = `${VERSION}=${mac(secret, request.target, timestamp, request.body).toString("hex")}`;
  const given = Buffer.from(signature);
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return {
      ok: false,
      reason: "mismatch",
      message:
        "the adapter signature does not match this request (another key, handler or body, or ADAPTER_KEY)",
    };
  }
  const age = nowMs - Number(timestamp);
  if (!Number.isFinite(age) || Math.abs(age) > SIGNATURE_MAX_AGE_MS) {
    return {
      ok: false,
      reason: "stale",
      message: `the adapter signature is ${Math.round(age / 1000)} s old; at most ${SIGNATURE_MAX_AGE_MS / 1000} s are accepted`,
    };
  }
  return { ok: true };
}

/** Checks, inside a handler, that our Slack adapter sent the request. */
export interface CallerCheck {
  /** Throws a 401 `TerminalError` that starts with `why` unless the request is the adapter's. */
  requireAdapter(ctx: Pick<restate.Context, "request" | "date">, why: string): Promise<void>;
}

export function callerCheck(adapterKey: string): CallerCheck {
  return {
    async requireAdapter(ctx, why) {
      const request = ctx.request();
      const { service, handler, key } = request.target;
      const verdict = verifyRequest(
        adapterKey,
        {
          target: { service, handler, key: key ?? "" },
          headers: request.headers,
          body: request.body,
        },
        // Journaled: a replay of this invocation (after a crash, say) decides as the first attempt did.
        await ctx.date.now(),
      );
      if (!verdict.ok) throw new restate.TerminalError(`${why}: ${verdict.message}`, { errorCode: 401 });
    },
  };
}

/** The message a browser's request is refused with. */
export const BROWSER_REFUSAL =
  "browsers may not call this service: the request carries an Origin (a web page); use curl or the Slack app";

/**
 * A hook around every handler of every object: a request a browser made (it carries `Origin` or
 * `Sec-Fetch-Site`, as every browser request to another site does, a plain GET included) is refused with
 * a 403 before any handler code runs. Calls between our own objects carry no such header.
 */
export const refuseBrowserRequests: restate.HooksProvider = ({ request }) => ({
  interceptor: {
    handler: async (next) => {
      const origin = request.headers.get("origin") ?? request.headers.get("sec-fetch-site");
      if (origin !== undefined) {
        throw new restate.TerminalError(`${BROWSER_REFUSAL} (${origin})`, { errorCode: 403 });
      }
      await next();
    },
  },
});
