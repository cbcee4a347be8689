/**
 * The emulator's test controls, consulted by the Web API server around each call: faults (429 with
 * Retry-After, 5xx, `ok:false`, a dropped connection before or after the work), random chaos, holds that
 * keep a call waiting until released, and Slack's rate limits (a per-channel post pace, a workspace-wide
 * chat.update limit, the stricter conversations.* limits of apps distributed outside the Marketplace).
 * It decides what happens to a call; it never does a method's work or touches the workspace.
 */
import type { EmulatorClock } from "./clock.ts";
import type { Json } from "./methods.ts";
import type { ApiCall } from "./web-api-server.ts";

export type FaultEffect =
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: number }
  | { readonly kind: "error"; readonly error: string }
  /** Closes the connection without an answer, before or after the call has done its work. */
  | { readonly kind: "drop"; readonly when: "before" | "after" };

export interface Fault {
  readonly method: string;
  readonly when?: (args: Readonly<Record<string, unknown>>) => boolean;
  readonly effect: FaultEffect;
  /** How many calls it hits (default 1). */
  times?: number;
}

export interface HeldCall {
  readonly arrived: Promise<ApiCall>;
  release(): void;
}

/** Random faults on a share of calls: what real Slack does on a bad day. */
export interface Chaos {
  readonly methods: readonly string[];
  /** Share of calls that fail, 0..1. */
  readonly rate: number;
  /** Seed of the random choices, so a run can be repeated. */
  readonly seed: number;
}

/** A sliding-window limit: at most `max` calls within any `windowMs`. */
export interface UpdateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** A small seeded random generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHAOS_EFFECTS: readonly FaultEffect[] = [
  { kind: "status", status: 429, retryAfter: 1 },
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "drop", when: "before" },
  { kind: "drop", when: "after" },
];

/**
 * Slack's limits since 2025 for commercially distributed apps outside the Marketplace: one call a minute
 * to each of these methods, and `limit` capped at 15 (also its default).
 */
export const NON_MARKETPLACE_LIMITS = {
  methods: ["conversations.history", "conversations.replies"],
  callsPerWindow: 1,
  windowMs: 60_000,
  pageSize: 15,
} as const;

/** The page size of conversations.replies/history: Slack's default and most for `limit`. */
export interface HistoryPageSize {
  readonly default: number;
  readonly max: number;
}

/** What happens to a call: refused with an answer, dropped, or done (with what follows the work). */
export type Verdict =
  | {
      readonly kind: "answer";
      readonly status: number;
      readonly body: Json;
      readonly headers: Record<string, string>;
    }
  | { readonly kind: "drop" }
  | { readonly kind: "work"; readonly afterWork: (call: ApiCall) => Promise<"answer" | "drop"> };

interface Hold {
  readonly method: string;
  readonly when?: (args: Json) => boolean;
  /** Hold the answer after the call has done its work (stored the post, say), rather than before. */
  readonly afterWork: boolean;
  readonly arrive: (call: ApiCall) => void;
  readonly gate: Promise<void>;
  readonly open: () => void;
  claimed: boolean;
}

export class TestControls {
  readonly faults: Fault[] = [];
  /** Faults chaos caused, by kind. */
  readonly chaosCounts: Record<string, number> = {};
  /** How many calls a rate limit refused. */
  rateLimited = 0;
  private readonly holds: Hold[] = [];
  private chaos: { config: Chaos; random: () => number } | null = null;
  private postIntervalMs: number | null;
  private readonly lastPostAt = new Map<string, number>();
  private updateLimit: UpdateLimit | null;
  private updatesAt: number[] = [];
  private nonMarketplace = false;
  /** The limit's window: Slack's minute, or shorter so that a test need not wait a minute per page. */
  private nonMarketplaceWindowMs: number = NON_MARKETPLACE_LIMITS.windowMs;
  private readonly historyCallsAt = new Map<string, number[]>();
  private readonly clock: EmulatorClock;

  constructor(options: { postIntervalMs?: number; updateLimit?: UpdateLimit; clock: EmulatorClock }) {
    this.postIntervalMs = options.postIntervalMs ?? null;
    this.updateLimit = options.updateLimit ?? null;
    this.clock = options.clock;
  }

  /** Makes the next matching call(s) fail the given way. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  /** Slack's per-channel pace for chat.postMessage (429 with Retry-After beyond it); `null` turns it off. */
  setPostInterval(ms: number | null): void {
    this.postIntervalMs = ms;
  }

  /** Slack's workspace-wide limit for chat.update (429 with Retry-After beyond it); `null` turns it off. */
  setUpdateLimit(limit: UpdateLimit | null): void {
    this.updateLimit = limit;
    this.updatesAt = [];
  }

  /**
   * Slack's limits for commercially distributed apps outside the Marketplace (off by default):
   * conversations.replies/history once a minute each (429 `ratelimited` with Retry-After beyond it) and at
   * most 15 messages a call.
   */
  setNonMarketplaceLimits(on: boolean, windowMs: number = NON_MARKETPLACE_LIMITS.windowMs): void {
    this.nonMarketplace = on;
    this.nonMarketplaceWindowMs = windowMs;
    this.historyCallsAt.clear();
  }

  get historyPageSize(): HistoryPageSize {
    const size = NON_MARKETPLACE_LIMITS.pageSize;
    return this.nonMarketplace ? { default: size, max: size } : { default: 1000, max: 1000 };
  }

  /** Random faults on a share of calls to these methods; `null` turns them off. */
  setChaos(chaos: Chaos | null): void {
    this.chaos = chaos ? { config: chaos, random: seededRandom(chaos.seed) } : null;
  }

  /**
   * Holds the next matching call until `release()`; `arrived` resolves when it comes in (or, with
   * `afterWork`, once it has done its work and only its answer is held back).
   */
  hold(method: string, when?: (args: Json) => boolean, options: { afterWork?: boolean } = {}): HeldCall {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let arrive!: (call: ApiCall) => void;
    const arrived = new Promise<ApiCall>((resolve) => {
      arrive = resolve;
    });
    this.holds.push({
      method,
      ...(when ? { when } : {}),
      afterWork: options.afterWork === true,
      arrive,
      gate,
      open,
      claimed: false,
    });
    return { arrived, release: () => open() };
  }

  /** Lets every held call go (the emulator is closing). */
  releaseAll(): void {
    for (const hold of this.holds) hold.open();
  }

  /** Decides a call's fate before its work: held, failed by a fault or chaos, refused by a rate limit. */
  async beforeWork(method: string, args: Json, call: ApiCall): Promise<Verdict> {
    const heldBefore = this.claimHold(method, args, false);
    if (heldBefore) {
      heldBefore.arrive(call);
      await heldBefore.gate;
    }
    const effect = this.faultFor(method, args);
    if (effect?.kind === "drop" && effect.when === "before") return { kind: "drop" };
    if (effect?.kind === "status") {
      const { status, retryAfter } = effect;
      return {
        kind: "answer",
        status,
        body: { ok: false, error: status === 429 ? "ratelimited" : "internal_error" },
        headers: retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
      };
    }
    if (effect?.kind === "error")
      return { kind: "answer", status: 200, body: { ok: false, error: effect.error }, headers: {} };
    const wait = this.rateLimitWait(method, args);
    if (wait > 0) {
      this.rateLimited += 1;
      return {
        kind: "answer",
        status: 429,
        body: { ok: false, error: "ratelimited" },
        headers: { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
      };
    }
    return {
      kind: "work",
      afterWork: async (done) => {
        this.countForRateLimits(method, args);
        // Claimed only now: a call whose work Slack refused (`already_reacted` from a retry) did no work to
        // hold an answer back from, so it must not use up a hold meant for a call that does.
        const heldAfter = this.claimHold(method, args, true);
        if (heldAfter) {
          // The work is done (the post is stored); the answer waits, so the caller cannot know it landed.
          heldAfter.arrive(done);
          await heldAfter.gate;
        }
        return effect?.kind === "drop" ? "drop" : "answer";
      },
    };
  }

  /** The first unclaimed hold of this kind that matches the call, now claimed by it. */
  private claimHold(method: string, args: Json, afterWork: boolean) {
    const hold = this.holds.find(
      (h) => !h.claimed && h.afterWork === afterWork && h.method === method && (!h.when || h.when(args)),
    );
    if (hold) hold.claimed = true;
    return hold;
  }

  private faultFor(method: string, args: Json): FaultEffect | undefined {
    const fault = this.faults.find(
      (f) => f.method === method && (f.times ?? 1) > 0 && (!f.when || f.when(args)),
    );
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      return fault.effect;
    }
    const chaos = this.chaos;
    if (!chaos?.config.methods.includes(method) || chaos.random() >= chaos.config.rate) return undefined;
    const effect: FaultEffect = CHAOS_EFFECTS[Math.floor(chaos.random() * CHAOS_EFFECTS.length)] ?? {
      kind: "status",
      status: 500,
    };
    const name =
      effect.kind === "status"
        ? String(effect.status)
        : effect.kind === "drop"
          ? `drop-${effect.when}`
          : effect.error;
    this.chaosCounts[name] = (this.chaosCounts[name] ?? 0) + 1;
    return effect;
  }

  /** Milliseconds until this call would be within Slack's limits (0: it is now). */
  private rateLimitWait(method: string, args: Json): number {
    if (method === "chat.update" && this.updateLimit) {
      const now = Date.now();
      const { max, windowMs } = this.updateLimit;
      this.updatesAt = this.updatesAt.filter((at) => at > now - windowMs);
      return this.updatesAt.length >= max ? (this.updatesAt[0] ?? now) + windowMs - now : 0;
    }
    if (method === "chat.postMessage" && this.postIntervalMs) {
      const last = this.lastPostAt.get(String(args.channel ?? "")) ?? 0;
      return last + this.postIntervalMs - Date.now();
    }
    if (this.nonMarketplace && (NON_MARKETPLACE_LIMITS.methods as readonly string[]).includes(method)) {
      const now = this.clock.now();
      const { callsPerWindow } = NON_MARKETPLACE_LIMITS;
      const windowMs = this.nonMarketplaceWindowMs;
      const recent = (this.historyCallsAt.get(method) ?? []).filter((at) => at > now - windowMs);
      this.historyCallsAt.set(method, recent);
      return recent.length >= callsPerWindow ? (recent[0] ?? now) + windowMs - now : 0;
    }
    return 0;
  }

  private countForRateLimits(method: string, args: Json): void {
    if (method === "chat.postMessage") this.lastPostAt.set(String(args.channel ?? ""), Date.now());
    if (method === "chat.update" && this.updateLimit) this.updatesAt.push(Date.now());
    if (this.nonMarketplace && (NON_MARKETPLACE_LIMITS.methods as readonly string[]).includes(method))
      this.historyCallsAt.get(method)?.push(this.clock.now());
  }
}
