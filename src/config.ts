/**
 * The one place that reads settings. `parseConfig(env)` validates every variable with zod and returns a
 * frozen `Config`, or throws a `ConfigError` that lists every problem at once. It never touches
 * `process.env` itself: the caller passes the environment (after dotenv has loaded `.env`). The agent and
 * the Slack connection are unions on their kind, so each part carries exactly the settings it uses.
 */
import { randomBytes, randomInt } from "node:crypto";
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import type { Approver } from "./restate/approvals.ts";
import { MODES, type Mode, modeSchema } from "./restate/modes.ts";
import { PUBLIC_KEY_PATTERN } from "./runtime/request-identity.ts";
import { SECRET_MIN_LENGTH } from "./runtime/secret-file.ts";

export type LogFormat = "pretty" | "json";

/**
 * Which parts a process runs (`ROLE`): everything (`npm start`), the Slack adapter alone, or our services
 * endpoint alone. Apart, they run against an external Restate and share their keys through the settings.
 */
export const ROLES = ["all", "slack", "services"] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  readonly role: Role;
  readonly defaultMode: Mode;
  readonly queueMax: number;
  /**
   * `ADAPTER_KEY`: the key the Slack adapter signs its requests to the ingress with; null: `npm start`
   * makes one in the data folder (src/runtime/adapter-key.ts).
   */
  readonly adapterKey: string | null;
  /**
   * `TOKEN_KEY`: seals the Slack tokens kept in Restate (null: `npm start` makes one in the data folder);
   * `TOKEN_KEYS_PREVIOUS`: earlier keys, which still open what they sealed (rotation).
   */
  readonly tokenKeys: { readonly current: string | null; readonly previous: readonly string[] };
  readonly restate: {
    /** Start restate-server from node_modules (true) or use the one at the URLs below. */
    readonly embedded: boolean;
    /**
     * Where the ingress answers: one URL (a load balancer, or the embedded server), or a node URL each of a
     * cluster, tried in turn when one does not take the connection (src/runtime/ingress.ts).
     */
    readonly ingressUrls: readonly string[];
    readonly adminUrl: string;
    /** Ports the embedded server binds (taken from the URLs, plus the node-to-node port). */
    readonly ingressPort: number;
    readonly adminPort: number;
    readonly nodePort: number;
    readonly bindAddress: string;
    readonly dataDir: string;
    /** Register our services endpoint with the admin API at start-up. */
    readonly autoRegister: boolean;
    readonly idempotencyRetentionMs: number;
    readonly journalRetentionMs: number;
    /** How long a channel lists a session for its default's changes after the session last registered. */
    readonly channelListingRetentionMs: number;
    /** Public keys whose signatures our endpoint accepts (the embedded server's key is added by itself). */
    readonly identityKeys: readonly string[];
  };
  readonly services: {
    readonly port: number;
    readonly bindAddress: string;
    /** The URL restate-server uses to reach our endpoint. */
    readonly advertisedUrl: string;
  };
  /** The agent behind the sessions (`AGENT`). */
  readonly agent: AgentSettings;
  readonly log: {
    readonly level: "trace" | "debug" | "info" | "warn" | "error";
    readonly format: LogFormat;
  };
  /** How the Bolt app reaches Slack (`SLACK_MODE`); `none` runs no Bolt app. */
  readonly slack: SlackSettings;
  /**
   * Where the durable side's Web API calls go, and their pace. Its token is the Bolt app's (`botTokenOf`):
   * one app, one bot user.
   */
  readonly slackApi: {
    /** Base URL of Slack's Web API (a local emulator in tests and in the playground). */
    readonly url: string;
    /** Least time between two posts into one channel (Slack allows about one per second). */
    readonly postIntervalMs: number;
    /** How long Home updates are gathered before one views.publish. */
    readonly homeDebounceMs: number;
    /** Least time between two chat.update calls in one workspace (Slack allows about 50 a minute). */
    readonly updateIntervalMs: number;
    /** Agent-session status calls a workspace makes a minute at most (Slack's Tier 3: about 50). */
    readonly statusPerMinute: number;
    /** `WORKSPACE_DATA_GRACE`: how long a workspace the app left keeps its sessions' state. */
    readonly workspaceDataGraceMs: number;
  };
  /** Who decides on tool calls that need approval, how long a decision may take, and undo (`APPROVERS`, ...). */
  readonly approvals: {
    /** `APPROVERS`: only these people decide (a `team` of null: in any workspace); empty: the session's people. */
    readonly approvers: readonly Approver[];
    /** `APPROVAL_TIMEOUT`: a wait longer than this ends as denied (timed out). */
    readonly timeoutMs: number;
    /** `UNDO_ON_INTERRUPT`: an interrupted or stopped run's undoable effects are undone without asking. */
    readonly undoOnInterrupt: boolean;
  };
  /**
   * `ALLOW_PUBLIC_BIND`: the operator decided that the embedded server or our endpoint may bind beyond
   * loopback (without it such a bind stops start-up).
   */
  readonly allowPublicBind: boolean;
}

/** `AGENT=demo` (the default): the demo agent that works for a while and then says it is done (`DEMO_*`). */
export interface DemoAgentSettings {
  readonly kind: "demo";
  readonly iterationMs: number;
  readonly doneProbability: number;
  readonly maxIterations: number;
  /** `DEMO_APPROVAL`: a Slack run's last iteration asks to post its result into the channel (post_to_channel). */
  readonly approval: boolean;
  /** `LLM_CONTEXT_TOKENS`: the demo agent's history is kept within it too (compacted without a model). */
  readonly contextTokens: number;
}

/** `AGENT=llm`: a model behind any OpenAI-compatible endpoint, through the AI SDK. */
export type AgentSettings = DemoAgentSettings | ({ readonly kind: "llm" } & LlmSettings);

/** Bounds of one model call: a hung call is given up and retried, a healthy stream never cut. */
export interface ModelTimeouts {
  /** Until its first chunk. */
  readonly firstChunkMs: number;
  /** Between two chunks. */
  readonly betweenChunksMs: number;
  /** In all (for an unstreamed answer, the only bound). */
  readonly callMs: number;
}

/** `AGENT=llm`'s settings (`LLM_*`). */
export interface LlmSettings {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly systemPrompt: string | null;
  /** Model steps (agent iterations) per run; the last one must answer without tools. */
  readonly maxSteps: number;
  /** Stream answers into Slack threads (false: one durable generate call per step, posted when done). */
  readonly stream: boolean;
  /** How long a model call may take (`LLM_FIRST_CHUNK_TIMEOUT`, `LLM_CHUNK_TIMEOUT`, `LLM_CALL_TIMEOUT`). */
  readonly timeouts: ModelTimeouts;
  /** `LLM_CONTEXT_TOKENS`: what one model call may take in all, the answer included (estimated). */
  readonly contextTokens: number;
}

/**
 * How the app holds its bot token: one workspace's from `SLACK_BOT_TOKEN`, or one per installation, from
 * Slack's OAuth flow (`SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET`, `SLACK_STATE_SECRET`), kept sealed in Restate.
 */
export type SlackAuth = TokenAuth | OAuthSettings;

export interface TokenAuth {
  readonly kind: "token";
  readonly botToken: string;
}

export interface OAuthSettings {
  readonly kind: "oauth";
  readonly clientId: string;
  readonly clientSecret: string;
  /** Signs the `state` of each install (Bolt's OAuth state, checked on the way back). */
  readonly stateSecret: string;
  /**
   * Where the install pages listen in Socket Mode (`SLACK_INSTALL_PORT`), which has no HTTP server of its
   * own; in HTTP mode they share `PORT` with the events.
   */
  readonly installPort: number;
  /** And the address they bind there (`SLACK_BIND_ADDRESS`). */
  readonly installBindAddress: string;
}

/** A real workspace over HTTP: Slack posts events, commands and interactivity to `PORT`. */
export interface HttpSlack {
  readonly mode: "http";
  readonly auth: SlackAuth;
  readonly signingSecret: string;
  readonly port: number;
  readonly bindAddress: string;
}

/** A real workspace over Socket Mode: the app connects out with its app-level token. */
export interface SocketSlack {
  readonly mode: "socket";
  readonly auth: SlackAuth;
  readonly appToken: string;
  /** Optional in Socket Mode (Slack does not sign socket envelopes). */
  readonly signingSecret: string | null;
}

/**
 * The local playground: emulated workspaces on `playgroundPort` (its page and Web API) send the app HTTP
 * requests on loopback. The app installs itself into each through the OAuth flow, with a client id,
 * secret, state secret and signing secret made up at start.
 */
export interface PlaygroundSlack extends Omit<HttpSlack, "mode" | "auth"> {
  readonly mode: "playground";
  readonly auth: OAuthSettings;
  readonly playgroundPort: number;
  /** Slack settings that were given but are not used in the playground, to say so at start. */
  readonly ignoredSettings: readonly string[];
}

/** Where the Bolt app takes Slack's requests from. */
export type SlackConnection = HttpSlack | SocketSlack | PlaygroundSlack;
export type SlackSettings = SlackConnection | { readonly mode: "none" };

/**
 * The one bot token of the app, which the durable side's Web API calls use too; null without Slack, and
 * with OAuth, where each workspace has its own (src/slack/installations.ts).
 */
export function botTokenOf(slack: SlackSettings): string | null {
  return slack.mode === "none" || slack.auth.kind !== "token" ? null : slack.auth.botToken;
}

/** Thrown when settings are missing or invalid; `problems` has one line per variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `90s`, `30m`, `24h`, `1d` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? "ms") as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

const port = z.coerce
  .number({ error: "must be a port number" })
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

const bool = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }))
  .transform((v) => v === "true" || v === "1" || v === "yes");

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `must be a duration such as 30m, 24h or 1d (got "${text}")` });
    return z.NEVER;
  }
  return ms;
});

/** One entry of `APPROVERS`: `U123`, or `T123:U123` for that workspace only (`E123:U123`: an org-wide install). */
const APPROVER_PATTERN = /^(?:[TE][A-Z0-9]+:)?[UW][A-Z0-9]+$/;

function parseApprover(entry: string): Approver {
  const [team, user] = entry.includes(":") ? entry.split(":") : [null, entry];
  return { team: team ?? null, user: user ?? "" };
}

const mode = modeSchema({ unknown: (got) => `must be one of ${MODES.join(", ")} (got "${got}")` });

/** `none`: the Restate side alone (curl); the others say where Slack is. */
export const SLACK_MODES = ["http", "socket", "playground", "none"] as const;
export type SlackMode = (typeof SLACK_MODES)[number];

/** Slack settings that belong to a real workspace. */
export const REAL_SLACK_SETTINGS = [
  "SLACK_BOT_TOKEN",
  "SLACK_SIGNING_SECRET",
  "SLACK_APP_TOKEN",
  "SLACK_API_URL",
  "SLACK_CLIENT_ID",
  "SLACK_CLIENT_SECRET",
  "SLACK_STATE_SECRET",
];

/** The settings of Slack's OAuth flow: all three, or none. */
const OAUTH_SETTINGS = ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"] as const;

/** A secret of ours (a key, the OAuth state secret): at least 32 characters. */
const secret = z
  .string()
  .trim()
  .min(SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`);

const EnvSchema = z.object({
  ROLE: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(ROLES, { error: (issue) => `must be one of ${ROLES.join(", ")} (got "${issue.input}")` }))
    .default("all"),
  MODE: mode.default("INTERRUPT"),
  QUEUE_MAX: z.coerce.number().int().min(1, "must be at least 1").default(20),
  ADAPTER_KEY: secret.optional(),
  TOKEN_KEY: secret.optional(),
  TOKEN_KEYS_PREVIOUS: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(z.array(secret))
    .default([]),
  RESTATE_EMBEDDED: bool.default(true),
  // One URL, or a comma-separated list of a cluster's nodes (RESTATE_EMBEDDED=false).
  RESTATE_INGRESS_URL: z
    .string()
    .default("http://localhost:8080")
    .transform((text) =>
      text
        .split(",")
        .map((url) => url.trim().replace(/\/+$/, ""))
        .filter(Boolean),
    )
    .superRefine((urls, ctx) => {
      if (urls.length === 0) ctx.addIssue({ code: "custom", message: "must name at least one URL" });
      for (const url of urls.filter((u) => !httpUrl.safeParse(u).success))
        ctx.addIssue({
          code: "custom",
          message: `must be an http:// or https:// URL${urls.length > 1 ? ` (got "${url}")` : ""}`,
        });
    }),
  RESTATE_ADMIN_URL: httpUrl.default("http://localhost:9070"),
  RESTATE_NODE_PORT: port.default(5122),
  RESTATE_BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
  RESTATE_DATA_DIR: z.string().min(1).default(".restate"),
  RESTATE_AUTO_REGISTER: bool.optional(),
  RESTATE_IDEMPOTENCY_RETENTION: duration.default(24 * 3_600_000),
  RESTATE_JOURNAL_RETENTION: duration.default(3_600_000),
  CHANNEL_LISTING_RETENTION: duration.default(7 * 24 * 3_600_000),
  RESTATE_IDENTITY_KEYS: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(PUBLIC_KEY_PATTERN, "must be keys like publickeyv1_... separated by commas")),
    )
    .default([]),
  SERVICES_PORT: port.default(9080),
  SERVICES_BIND_ADDRESS: z.string().min(1).default("127.0.0.1"),
  SERVICES_ADVERTISED_URL: httpUrl.optional(),
  ALLOW_PUBLIC_BIND: bool.default(false),
  DEMO_ITERATION_MS: z.coerce.number().int().min(0, "must be 0 or more").default(3000),
  DEMO_DONE_PROBABILITY: z.coerce.number().min(0).max(1, "must be between 0 and 1").default(0.1),
  DEMO_MAX_ITERATIONS: z.coerce.number().int().min(1, "must be at least 1").default(10),
  DEMO_APPROVAL: bool.default(false),
  APPROVERS: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            APPROVER_PATTERN,
            "must be Slack user ids (U...), each optionally with its workspace (T...:U..., or E...:U... for an org-wide install), separated by commas",
          ),
      ),
    )
    .default([]),
  APPROVAL_TIMEOUT: duration.default(24 * 3_600_000),
  UNDO_ON_INTERRUPT: bool.default(false),
  AGENT: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(["demo", "llm"], { error: (issue) => `must be demo or llm (got "${issue.input}")` }))
    .default("demo"),
  LLM_BASE_URL: httpUrl.optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().optional(),
  LLM_SYSTEM_PROMPT: z.string().optional(),
  LLM_MAX_STEPS: z.coerce.number().int().min(1, "must be at least 1").default(10),
  LLM_STREAM: bool.default(true),
  LLM_FIRST_CHUNK_TIMEOUT: duration.default(300_000),
  LLM_CHUNK_TIMEOUT: duration.default(120_000),
  LLM_CALL_TIMEOUT: duration.default(900_000),
  LLM_CONTEXT_TOKENS: z.coerce
    .number()
    .int()
    .min(2000, "must be at least 2000 (tokens)")
    .max(10_000_000)
    .default(32_000),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  LOG_FORMAT: z.enum(["pretty", "json", "auto"]).default("auto"),
  SLACK_MODE: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(
      z.enum(SLACK_MODES, {
        error: (issue) => `must be one of ${SLACK_MODES.join(", ")} (got "${issue.input}")`,
      }),
    )
    .optional(),
  PLAYGROUND_PORT: port.default(3030),
  SLACK_BOT_TOKEN: z.string().startsWith("xoxb-", "must be a bot token (xoxb-...)").optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, "looks too short to be a signing secret").optional(),
  SLACK_APP_TOKEN: z.string().startsWith("xapp-", "must be an app-level token (xapp-...)").optional(),
  SLACK_CLIENT_ID: z
    .string()
    .regex(/^\d+\.\d+$/, "must be the app's client id (digits.digits)")
    .optional(),
  SLACK_CLIENT_SECRET: z.string().min(8, "looks too short to be a client secret").optional(),
  SLACK_STATE_SECRET: secret.optional(),
  SLACK_INSTALL_PORT: port.optional(),
  SLACK_API_URL: httpUrl.default("https://slack.com/api/"),
  PORT: port.default(3000),
  SLACK_BIND_ADDRESS: z.string().min(1).default("0.0.0.0"),
  SLACK_POST_INTERVAL_MS: z.coerce.number().int().min(0, "must be 0 or more").default(1000),
  HOME_DEBOUNCE_MS: z.coerce.number().int().min(0, "must be 0 or more").default(1000),
  SLACK_UPDATE_INTERVAL_MS: z.coerce.number().int().min(0, "must be 0 or more").default(1300),
  SLACK_STATUS_PER_MINUTE: z.coerce.number().int().min(1, "must be 1 or more").default(50),
  WORKSPACE_DATA_GRACE: duration.default(30 * 24 * 3_600_000),
});

type ParsedEnv = z.infer<typeof EnvSchema>;

/**
 * Which Slack mode the settings mean: `SLACK_MODE` when given; otherwise Slack settings mean a real
 * workspace (Socket Mode with an app token, else HTTP) and their absence means the playground.
 */
function slackModeOf(present: Readonly<Record<string, unknown>>): SlackMode | undefined {
  if ("SLACK_MODE" in present) return EnvSchema.shape.SLACK_MODE.safeParse(present.SLACK_MODE).data;
  const has = (name: string) => name in present;
  const connects = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", ...OAUTH_SETTINGS];
  if (!connects.some(has)) return "playground";
  return has("SLACK_APP_TOKEN") ? "socket" : "http";
}

/** What is missing for the Slack mode, judged by which settings are present (valid or not). */
function slackPresenceProblems(
  present: Readonly<Record<string, unknown>>,
  mode: SlackMode | undefined,
): string[] {
  const has = (name: string) => name in present;
  const explicit = "SLACK_MODE" in present;
  const problems: string[] = [];
  if (mode === "http" || mode === "socket") {
    const oauthGiven = OAUTH_SETTINGS.filter(has);
    if (oauthGiven.length > 0) {
      for (const name of OAUTH_SETTINGS.filter((name) => !has(name)))
        problems.push(
          `${name}: missing: Slack's OAuth flow needs ${OAUTH_SETTINGS.join(", ")} (${oauthGiven.join(", ")} given)`,
        );
      if (has("SLACK_BOT_TOKEN"))
        problems.push(
          "SLACK_BOT_TOKEN: set together with OAuth: choose one, a bot token for one workspace or OAuth (SLACK_CLIENT_ID, ...) for many",
        );
    } else if (!has("SLACK_BOT_TOKEN")) {
      problems.push(
        explicit
          ? `SLACK_BOT_TOKEN: missing: SLACK_MODE=${mode} needs the bot token (xoxb-...), or OAuth (${OAUTH_SETTINGS.join(", ")})`
          : `SLACK_BOT_TOKEN: missing: other Slack settings are set, but not the bot token (xoxb-...) nor OAuth (${OAUTH_SETTINGS.join(", ")})`,
      );
    }
    if (mode === "http" && !has("SLACK_SIGNING_SECRET")) {
      problems.push(
        explicit
          ? "SLACK_SIGNING_SECRET: missing: SLACK_MODE=http needs it to verify Slack's requests"
          : "SLACK_SIGNING_SECRET: missing: HTTP mode needs it to verify Slack's requests (or set SLACK_APP_TOKEN for Socket Mode)",
      );
    }
    if (mode === "socket" && !has("SLACK_APP_TOKEN")) {
      problems.push("SLACK_APP_TOKEN: missing: SLACK_MODE=socket needs an app-level token (xapp-...)");
    }
  }
  return problems;
}

/** `AGENT=llm` needs its model's address, key and name. */
function llmPresenceProblems(present: Readonly<Record<string, unknown>>): string[] {
  if (EnvSchema.shape.AGENT.safeParse(present.AGENT).data !== "llm") return [];
  const needs: [string, string][] = [
    ["LLM_BASE_URL", "the model server's OpenAI-compatible API, e.g. https://api.openai.com/v1"],
    ["LLM_API_KEY", "its API key (any value for a local server that takes none, such as Ollama)"],
    ["LLM_MODEL", "the model's name, e.g. gpt-4.1-mini"],
  ];
  return needs
    .filter(([name]) => !(name in present))
    .map(([name, what]) => `${name}: missing: AGENT=llm needs ${what}`);
}

/**
 * Roles apart (`ROLE=slack` or `services`) share what one process would make for itself: an external Restate
 * instead of the embedded one, the adapter key both sides use, the token key that seals and opens Slack
 * tokens (OAuth), and, for the services, the public key of the Restate cluster's request identity. Each
 * missing one stops start-up, named.
 */
function roleProblems(present: Readonly<Record<string, unknown>>): string[] {
  const role = EnvSchema.shape.ROLE.safeParse(present.ROLE).data;
  const has = (name: string) => name in present;
  const problems: string[] = [];
  const ingressUrls = EnvSchema.shape.RESTATE_INGRESS_URL.safeParse(present.RESTATE_INGRESS_URL).data ?? [];
  const embedded = EnvSchema.shape.RESTATE_EMBEDDED.safeParse(present.RESTATE_EMBEDDED).data !== false;
  if (embedded && ingressUrls.length > 1)
    problems.push(
      "RESTATE_INGRESS_URL: a list of URLs is a cluster's nodes: set RESTATE_EMBEDDED=false (the embedded server has one ingress)",
    );
  if (role === undefined || role === "all") return problems;
  if (embedded)
    problems.push(
      `RESTATE_EMBEDDED: ROLE=${role} runs against an external Restate (the cluster's): set RESTATE_EMBEDDED=false and RESTATE_INGRESS_URL (its load balancer, or its nodes' URLs)`,
    );
  if (!has("ADAPTER_KEY"))
    problems.push(
      `ADAPTER_KEY: missing: ROLE=${role} needs the key the Slack processes sign with and the services check, the same in every process`,
    );
  if (OAUTH_SETTINGS.some(has) && !has("TOKEN_KEY"))
    problems.push(
      `TOKEN_KEY: missing: with OAuth, ROLE=${role} needs the key that seals Slack tokens in Restate, the same in every process`,
    );
  if (role === "services" && !has("RESTATE_IDENTITY_KEYS"))
    problems.push(
      "RESTATE_IDENTITY_KEYS: missing: ROLE=services accepts only requests signed by the Restate cluster; give its request identity's public key (publickeyv1_...)",
    );
  if (role === "slack" && slackModeOf(present) === "none")
    problems.push(
      "SLACK_MODE: ROLE=slack runs the Slack adapter: give it Slack settings (or the playground), not none",
    );
  return problems;
}

/** Whether a bind address reaches only this machine: 127.0.0.0/8, ::1 (in any spelling) or `localhost`. */
export function isLoopbackAddress(address: string): boolean {
  const host = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost") return true;
  const loopback = new BlockList();
  loopback.addSubnet("127.0.0.0", 8, "ipv4");
  loopback.addAddress("::1", "ipv6");
  if (isIPv4(host)) return loopback.check(host, "ipv4");
  return isIPv6(host) && loopback.check(host, "ipv6");
}

/**
 * Binding beyond loopback is a decision: a non-loopback `RESTATE_BIND_ADDRESS` (embedded server) or
 * `SERVICES_BIND_ADDRESS` stops start-up, with what it would expose, unless `ALLOW_PUBLIC_BIND` says so.
 * `SLACK_BIND_ADDRESS` is not checked: Slack itself must reach the Bolt app, which verifies every
 * request's signature.
 */
function exposureProblems(present: Readonly<Record<string, unknown>>): string[] {
  if (EnvSchema.shape.ALLOW_PUBLIC_BIND.safeParse(present.ALLOW_PUBLIC_BIND).data === true) return [];
  const shape = EnvSchema.shape;
  const problems: string[] = [];
  const restateBind = shape.RESTATE_BIND_ADDRESS.safeParse(present.RESTATE_BIND_ADDRESS).data;
  const embedded = shape.RESTATE_EMBEDDED.safeParse(present.RESTATE_EMBEDDED).data;
  if (embedded !== false && restateBind !== undefined && !isLoopbackAddress(restateBind)) {
    problems.push(
      `RESTATE_BIND_ADDRESS: ${restateBind} is not a loopback address: the Restate ingress, admin API and node port ` +
        "need no credentials, so anyone who reaches them can read and steer every session, read all state and " +
        "register services of their own. Keep 127.0.0.1 (put a reverse proxy that checks Host and authenticates " +
        "in front), or set ALLOW_PUBLIC_BIND=true if only trusted machines can reach this address (docs/security.md)",
    );
  }
  const servicesBind = shape.SERVICES_BIND_ADDRESS.safeParse(present.SERVICES_BIND_ADDRESS).data;
  if (servicesBind !== undefined && !isLoopbackAddress(servicesBind)) {
    const signed =
      embedded !== false || "RESTATE_IDENTITY_KEYS" in present
        ? "it runs every handler, private ones too, for any request signed with a request identity key"
        : "without RESTATE_IDENTITY_KEYS it runs every handler, private ones too, for anyone, unsigned";
    problems.push(
      `SERVICES_BIND_ADDRESS: ${servicesBind} is not a loopback address: whoever reaches our services endpoint ` +
        `talks to it as Restate does (${signed}), and it should answer the Restate server alone. Keep 127.0.0.1, ` +
        "or set ALLOW_PUBLIC_BIND=true if an external Restate server must reach it and only it can (docs/security.md)",
    );
  }
  return problems;
}

/** A made-up secret for the playground, where the emulator and the Bolt app share it. */
const localSecret = (prefix: string) => `${prefix}${randomBytes(16).toString("hex")}`;

/** The Slack settings for the mode (the settings are valid and complete for it). */
function slackSettings(
  e: ParsedEnv,
  mode: SlackMode,
  present: Readonly<Record<string, unknown>>,
): SlackSettings {
  const { SLACK_SIGNING_SECRET: secret, SLACK_APP_TOKEN: appToken } = e;
  switch (mode) {
    case "none":
      return { mode: "none" };
    case "playground":
      // Only the emulator on this machine sends the app requests: it binds loopback, whatever SLACK_BIND_ADDRESS says.
      return {
        mode: "playground",
        auth: {
          kind: "oauth",
          clientId: `${randomInt(1e9, 1e10)}.${randomInt(1e9, 1e10)}`,
          clientSecret: localSecret(""),
          stateSecret: localSecret("playground-state-"),
          installPort: e.PORT,
          installBindAddress: "127.0.0.1",
        },
        signingSecret: localSecret(""),
        port: e.PORT,
        bindAddress: "127.0.0.1",
        playgroundPort: e.PLAYGROUND_PORT,
        ignoredSettings: REAL_SLACK_SETTINGS.filter((name) => name in present),
      };
    case "socket":
      return {
        mode: "socket",
        auth: slackAuth(e),
        appToken: appToken ?? "",
        signingSecret: secret ?? null,
      };
    case "http":
      return {
        mode: "http",
        auth: slackAuth(e),
        signingSecret: secret ?? "",
        port: e.PORT,
        bindAddress: e.SLACK_BIND_ADDRESS,
      };
  }
}

/** A bot token, or OAuth when its settings are given (presence checked: all three, and no bot token). */
function slackAuth(e: ParsedEnv): SlackAuth {
  if (e.SLACK_CLIENT_ID === undefined) return { kind: "token", botToken: e.SLACK_BOT_TOKEN ?? "" };
  return {
    kind: "oauth",
    clientId: e.SLACK_CLIENT_ID,
    clientSecret: e.SLACK_CLIENT_SECRET ?? "",
    stateSecret: e.SLACK_STATE_SECRET ?? "",
    installPort: e.SLACK_INSTALL_PORT ?? e.PORT,
    installBindAddress: e.SLACK_BIND_ADDRESS,
  };
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable the product reads (documented in .env.example and docs/settings.md). */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvSchema.shape);

function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === "https:" ? 443 : 80;
}

function loopbackFor(bindAddress: string): string {
  return bindAddress === "0.0.0.0" || bindAddress === "::" ? "127.0.0.1" : bindAddress;
}

/**
 * Validates the environment and builds the configuration.
 * Empty values (`FOO=` in a .env file) count as unset.
 * @param isTty whether stdout is a terminal, for `LOG_FORMAT=auto`.
 */
export function parseConfig(env: Env, isTty = false): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = EnvSchema.safeParse(present);
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`)),
    ...slackPresenceProblems(present, slackModeOf(present)),
    ...llmPresenceProblems(present),
    ...exposureProblems(present),
    ...roleProblems(present),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  const slackMode = slackModeOf(present) ?? "none";
  const slack = slackSettings(e, slackMode, present);
  const servicesHost = loopbackFor(e.SERVICES_BIND_ADDRESS);
  const config: Config = {
    role: e.ROLE,
    defaultMode: e.MODE,
    queueMax: e.QUEUE_MAX,
    adapterKey: e.ADAPTER_KEY ?? null,
    tokenKeys: { current: e.TOKEN_KEY ?? null, previous: e.TOKEN_KEYS_PREVIOUS },
    restate: {
      embedded: e.RESTATE_EMBEDDED,
      ingressUrls: e.RESTATE_INGRESS_URL,
      adminUrl: e.RESTATE_ADMIN_URL.replace(/\/+$/, ""),
      ingressPort: portOf(e.RESTATE_INGRESS_URL[0] ?? ""),
      adminPort: portOf(e.RESTATE_ADMIN_URL),
      nodePort: e.RESTATE_NODE_PORT,
      bindAddress: e.RESTATE_BIND_ADDRESS,
      dataDir: e.RESTATE_DATA_DIR,
      autoRegister: e.RESTATE_AUTO_REGISTER ?? e.RESTATE_EMBEDDED,
      idempotencyRetentionMs: e.RESTATE_IDEMPOTENCY_RETENTION,
      journalRetentionMs: e.RESTATE_JOURNAL_RETENTION,
      channelListingRetentionMs: e.CHANNEL_LISTING_RETENTION,
      identityKeys: e.RESTATE_IDENTITY_KEYS,
    },
    services: {
      port: e.SERVICES_PORT,
      bindAddress: e.SERVICES_BIND_ADDRESS,
      advertisedUrl: (e.SERVICES_ADVERTISED_URL ?? `http://${servicesHost}:${e.SERVICES_PORT}`).replace(
        /\/+$/,
        "",
      ),
    },
    agent:
      e.AGENT === "llm"
        ? {
            kind: "llm",
            baseUrl: (e.LLM_BASE_URL ?? "").replace(/\/+$/, ""),
            apiKey: e.LLM_API_KEY ?? "",
            model: e.LLM_MODEL ?? "",
            systemPrompt: e.LLM_SYSTEM_PROMPT ?? null,
            maxSteps: e.LLM_MAX_STEPS,
            stream: e.LLM_STREAM,
            timeouts: {
              firstChunkMs: e.LLM_FIRST_CHUNK_TIMEOUT,
              betweenChunksMs: e.LLM_CHUNK_TIMEOUT,
              callMs: e.LLM_CALL_TIMEOUT,
            },
            contextTokens: e.LLM_CONTEXT_TOKENS,
          }
        : {
            kind: "demo",
            iterationMs: e.DEMO_ITERATION_MS,
            doneProbability: e.DEMO_DONE_PROBABILITY,
            maxIterations: e.DEMO_MAX_ITERATIONS,
            approval: e.DEMO_APPROVAL,
            contextTokens: e.LLM_CONTEXT_TOKENS,
          },
    log: {
      level: e.LOG_LEVEL,
      format: e.LOG_FORMAT === "auto" ? (isTty ? "pretty" : "json") : e.LOG_FORMAT,
    },
    slack,
    slackApi: {
      url:
        slack.mode === "playground"
          ? `http://127.0.0.1:${slack.playgroundPort}/api/`
          : e.SLACK_API_URL.endsWith("/")
            ? e.SLACK_API_URL
            : `${e.SLACK_API_URL}/`,
      postIntervalMs: e.SLACK_POST_INTERVAL_MS,
      homeDebounceMs: e.HOME_DEBOUNCE_MS,
      updateIntervalMs: e.SLACK_UPDATE_INTERVAL_MS,
      statusPerMinute: e.SLACK_STATUS_PER_MINUTE,
      workspaceDataGraceMs: e.WORKSPACE_DATA_GRACE,
    },
    approvals: {
      approvers: e.APPROVERS.map(parseApprover),
      timeoutMs: e.APPROVAL_TIMEOUT,
      undoOnInterrupt: e.UNDO_ON_INTERRUPT,
    },
    allowPublicBind: e.ALLOW_PUBLIC_BIND,
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === "object") deepFreeze(inner);
  }
  return Object.freeze(value);
}
