/**
 * Who is calling a handler. The Restate ingress has no authentication and answers every `Origin` with
 * permissive CORS, so the boundaries are drawn here, from the request Restate hands the handler:
 * - Slack facts (where a message came from, who wrote it, who asks for a control) are accepted only from our
 *   Slack adapter, which signs its requests: HMAC-SHA256 with `ADAPTER_KEY` over the target (service,
 *   handler, key), a timestamp, a random nonce and the exact body. A signed request cannot be sent to
 *   another key or handler, or with another body.
 * - A write (`requireAdapter`) is taken once: the object keeps the signatures it took for as long as it
 *   accepts them (`SIGNED_WRITE_MAX_AGE_MS`, a day, so a message that waited in Restate while the services
 *   were down is still taken), and refuses the same request again. A read or a bounded request
 *   (`requireAdapterRead`) may repeat, within `SIGNATURE_MAX_AGE_MS`. Ages are compared with the
 *   invocation's journaled clock (`invocationNow`), so a replay decides as the first attempt did.
 * - No browser may call at all (`refuseBrowserRequests`, a hook around every handler): browsers send
 *   `Origin` (or `Sec-Fetch-Site`) on every cross-site request; curl and our clients never do.
 * Knows nothing of Slack's API or of our services' rules: it says who asks, the handlers decide.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import { invocationNow } from "./invocation-clock.ts";

export const SIGNATURE_HEADER = "x-adapter-signature";
export const TIMESTAMP_HEADER = "x-adapter-timestamp";
export const NONCE_HEADER = "x-adapter-nonce";
/** How old a signed read may be when its handler runs (Slack's own signatures allow 5 minutes). */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;
/** How old a signed write may be when its handler first runs; the object remembers it for as long. */
export const SIGNED_WRITE_MAX_AGE_MS = 24 * 60 * 60_000;
/** The state entry where an object keeps the signed writes it took (signature prefix to its timestamp). */
export const TAKEN_REQUESTS_STATE = "adapter_requests_taken";
const VERSION = "v1";

/** What a signature covers besides the body: the handler it is for, and when it was made. */
export interface SignedTarget {
  readonly service: string;
  readonly handler: string;
  /** The object's key; empty for a service. */
  readonly key: string;
}

function mac(
  secret: string,
  target: SignedTarget,
  timestamp: string,
  nonce: string,
  body: Uint8Array,
): Buffer {
  // A JSON array keeps the fields apart: no key or handler can be shifted into its neighbour.
  const head = JSON.stringify([VERSION, timestamp, nonce, target.service, target.handler, target.key]);
  return createHmac("sha256", secret).update(`${head}\n`).update(body).digest();
}

/**
 * The headers that make a request the adapter's. The nonce makes two identical requests (the same person
 * pressing Stop twice in one millisecond) two requests, each taken once.
 */
export function signRequest(
  secret: string,
  target: SignedTarget,
  body: Uint8Array,
  nowMs: number = Date.now(),
): Record<string, string> {
  const timestamp = String(nowMs);
  const nonce = randomBytes(12).toString("hex");
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: `${VERSION}=${mac(secret, target, timestamp, nonce, body).toString("hex")}`,
  };
}

export type Verdict =
  | { readonly ok: true; readonly signedAt: number; readonly signature: string }
  | { readonly ok: false; readonly reason: "unsigned" | "mismatch" | "stale"; readonly message: string };

/** Checks a request's signature and age (pure: the caller gives the time and the age it allows). */
export function verifyRequest(
  secret: string,
  request: {
    readonly target: SignedTarget;
    readonly headers: ReadonlyMap<string, string>;
    readonly body: Uint8Array;
  },
  nowMs: number,
  maxAgeMs: number = SIGNATURE_MAX_AGE_MS,
): Verdict {
  const verdict = verifySignature(secret, request);
  if (!verdict.ok) return verdict;
  const age = nowMs - verdict.signedAt;
  if (!Number.isFinite(age) || Math.abs(age) > maxAgeMs) {
    return {
      ok: false,
      reason: "stale",
      message: `the adapter signature is ${Math.round(age / 1000)} s old; at most ${maxAgeMs / 1000} s are accepted`,
    };
  }
  return verdict;
}

/** Checks a request's signature only, whatever its age (pure). */
function verifySignature(
  secret: string,
  request: {
    readonly target: SignedTarget;
    readonly headers: ReadonlyMap<string, string>;
    readonly body: Uint8Array;
  },
): Verdict {
  const signature = request.headers.get(SIGNATURE_HEADER);
  const timestamp = request.headers.get(TIMESTAMP_HEADER);
  const nonce = request.headers.get(NONCE_HEADER);
  if (!signature || !timestamp || !nonce) {
    return { ok: false, reason: "unsigned", message: "the request is not signed by the Slack adapter" };
  }
  const expected = `${VERSION}=${mac(secret, request.target, timestamp, nonce, request.body).toString("hex")}`;
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
  return {
    ok: true,
    signedAt: Number(timestamp),
    signature: expected.slice(VERSION.length + 1, VERSION.length + 33),
  };
}

type TakenRequests = Record<string, number>;
/** Invocations (by context) whose signed write began their object's ledger: it may be all the object holds. */
const startedLedger = new WeakSet<object>();
type HandlerContext = Pick<restate.Context, "request" | "date">;

/** Checks, inside a handler, that our Slack adapter sent the request. */
export interface CallerCheck {
  /**
   * A write, in an exclusive handler: the adapter's, signed at most `SIGNED_WRITE_MAX_AGE_MS` ago, and
   * not taken by this object before. Throws a 401 (409 for a repeat) `TerminalError` that starts with `why`.
   */
  requireAdapter(
    ctx: HandlerContext & Pick<restate.ObjectContext, "get" | "set">,
    why: string,
  ): Promise<void>;
  /**
   * A write whose repeat changes nothing by its own rules (Slack's Stop, bounded by when it was pressed):
   * the adapter's, signed at most `SIGNED_WRITE_MAX_AGE_MS` ago; not recorded, so it may come again.
   */
  requireAdapterRepeatable(ctx: HandlerContext, why: string): Promise<void>;
  /** A read, or a request whose repeats are bounded: the adapter's, signed within `SIGNATURE_MAX_AGE_MS`. */
  requireAdapterRead(ctx: HandlerContext, why: string): Promise<void>;
  /**
   * The adapter's signature, and its age by this process's clock rather than the journaled one (a durable
   * step): enough before deciding to ignore a request, which changes nothing whichever way a replay
   * decides. Throws the 401 of `requireAdapter`; a request that goes on to change something must still
   * pass `requireAdapter`.
   */
  requireAdapterSignature(ctx: Pick<restate.Context, "request">, why: string): void;
}

export function callerCheck(adapterKey: string): CallerCheck {
  const signed = (ctx: Pick<restate.Context, "request">) => {
    const request = ctx.request();
    const { service, handler, key } = request.target;
    return { target: { service, handler, key: key ?? "" }, headers: request.headers, body: request.body };
  };
  const refuse = (why: string, verdict: Verdict) => {
    if (!verdict.ok) throw new restate.TerminalError(`${why}: ${verdict.message}`, { errorCode: 401 });
    return verdict;
  };

  async function verify(ctx: HandlerContext, why: string, maxAgeMs: number) {
    // Journaled: a replay of this invocation (after a crash, say) decides as the first attempt did.
    const now = await invocationNow(ctx);
    return { now, ...refuse(why, verifyRequest(adapterKey, signed(ctx), now, maxAgeMs)) };
  }

  return {
    async requireAdapterRepeatable(ctx, why) {
      await verify(ctx, why, SIGNED_WRITE_MAX_AGE_MS);
    },
    async requireAdapter(ctx, why) {
      const { now, signature, signedAt } = await verify(ctx, why, SIGNED_WRITE_MAX_AGE_MS);
      const taken = ((await ctx.get(TAKEN_REQUESTS_STATE)) ?? {}) as TakenRequests;
      if (taken[signature] !== undefined) {
        throw new restate.TerminalError(`${why}: this signed request was already taken (a replay)`, {
          errorCode: 409,
        });
      }
      if (Object.keys(taken).length === 0) startedLedger.add(ctx);
      // Keep only what could still be accepted: an older request is refused as stale anyway.
      const kept: TakenRequests = { [signature]: signedAt };
      for (const [seen, at] of Object.entries(taken))
        if (Math.abs(now - at) <= SIGNED_WRITE_MAX_AGE_MS) kept[seen] = at;
      ctx.set(TAKEN_REQUESTS_STATE, kept);
    },
    async requireAdapterRead(ctx, why) {
      await verify(ctx, why, SIGNATURE_MAX_AGE_MS);
    },
    requireAdapterSignature(ctx, why) {
      // Aged too: a captured request must not tell, days later, whether its thread has a session now.
      refuse(why, verifyRequest(adapterKey, signed(ctx), Date.now(), SIGNED_WRITE_MAX_AGE_MS));
    },
  };
}

/**
 * Runs the body of a handler that takes signed writes. A request it refuses or ignores on an object that
 * holds nothing else leaves nothing behind, its entry in the ledger of taken writes included (bad input
 * changes nothing; sending it again changes nothing either, so there is nothing to guard against).
 */
export async function leavingNoTrace<T>(
  ctx: Pick<restate.ObjectContext, "stateKeys" | "clear">,
  body: () => Promise<T>,
): Promise<T> {
  const forgetIfAlone = async () => {
    // Only an object whose ledger this request began can hold nothing else (no state read otherwise).
    if (!startedLedger.has(ctx)) return;
    const keys = await ctx.stateKeys();
    if (keys.length === 1 && keys[0] === TAKEN_REQUESTS_STATE) ctx.clear(TAKEN_REQUESTS_STATE);
  };
  try {
    const result = await body();
    await forgetIfAlone();
    return result;
  } catch (error) {
    if (error instanceof restate.TerminalError && !(error instanceof restate.CancelledError))
      await forgetIfAlone();
    throw error;
  }
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
