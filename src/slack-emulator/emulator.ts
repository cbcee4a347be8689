/**
 * A local Slack: the Web API at `/api/<method>` (form or JSON bodies, Bearer token checked, every call
 * recorded, Slack's errors and limits), `response_url`s, and a Socket Mode endpoint; plus what people do
 * in Slack (post, mention, run a command, click, open the Home), turned into the requests Slack itself
 * would send to the app. Tests drive it directly; the playground puts a page on top of it.
 *
 * Test controls: faults (429 with Retry-After, 5xx, `ok:false`, a dropped connection before or after the
 * work is done), a per-channel post rate like Slack's, and holds that keep a call waiting until released.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import {
  eventEnvelope,
  interactionBase,
  type Json,
  mentionEvent,
  messageEvent,
  type SignOptions,
  signedHeaders,
  slashCommandForm,
} from "./app-requests.ts";
import { APP_TOKEN_METHODS, METHODS, type MethodContext, SlackApiError } from "./methods.ts";
import { type EnvelopeType, SocketModeServer } from "./socket-mode-server.ts";
import {
  createDefaultWorkspace,
  type EmChannel,
  type EmFile,
  type EmMessage,
  type Workspace,
} from "./workspace.ts";

export interface ApiCall {
  readonly method: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly at: number;
  /** HTTP status answered (0 when the connection was dropped before answering). */
  status: number;
  ok: boolean;
  error?: string;
}

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

/** What the app answered to a request the emulator sent it. */
export interface AppAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Over Socket Mode: whether the envelope was acknowledged, and how many sends it took. */
  readonly acked?: boolean;
  readonly attempts?: number;
}

/** A sliding-window limit: at most `max` calls within any `windowMs`. */
export interface UpdateLimit {
  readonly max: number;
  readonly windowMs: number;
}

export interface EmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly workspace?: Workspace;
  /** Least time between two posts into one channel; faster posts get 429 with Retry-After. Off by default. */
  readonly postIntervalMs?: number;
  /** Most chat.update calls in the workspace within any window (Slack: about 50 a minute); off by default. */
  readonly updateLimit?: UpdateLimit;
  /** Send the app `message` events for the bot's own posts and edits, as Slack does (default true). */
  readonly echoBotMessages?: boolean;
  /** Reuse connections to the app (keep-alive) instead of one connection per request. */
  readonly appKeepAlive?: boolean;
  /** Socket Mode: how long to wait for an ack before sending an envelope again, and how often. */
  readonly socketAckTimeoutMs?: number;
  readonly socketMaxRetries?: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

function parseArgs(contentType: string, body: string): Record<string, unknown> {
  if (contentType.includes("application/json")) {
    const parsed = body ? (JSON.parse(body) as unknown) : {};
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new SlackApiError("invalid_json");
    return parsed as Record<string, unknown>;
  }
  const form = parseQuery(body);
  return Object.fromEntries(
    Object.entries(form).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]),
  );
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}

export class SlackEmulator extends EventEmitter {
  readonly workspace: Workspace;
  readonly calls: ApiCall[] = [];
  readonly faults: Fault[] = [];
  /** How many calls the post rate refused. */
  rateLimited = 0;
  /** Where the app takes HTTP requests (`.../slack/events`), or null for Socket Mode. */
  appUrl: string | null = null;
  private server: Server | null = null;
  private baseUrl = "";
  private readonly socket: SocketModeServer;
  private readonly holds: {
    method: string;
    when?: (args: Json) => boolean;
    /** Hold the answer after the call has done its work (stored the post, say), rather than before. */
    afterWork: boolean;
    call?: ApiCall;
    arrive: (c: ApiCall) => void;
    gate: Promise<void>;
    open: () => void;
    claimed: boolean;
  }[] = [];
  private chaos: { config: Chaos; random: () => number } | null = null;
  /** Faults chaos caused, by kind. */
  readonly chaosCounts: Record<string, number> = {};
  private readonly lastPostAt = new Map<string, number>();
  private readonly responseUrls = new Map<string, { user: string; channel: string; ephemeralTs?: string }>();
  private readonly options: EmulatorOptions;
  private postIntervalMs: number | null;
  private updateLimit: UpdateLimit | null;
  private updatesAt: number[] = [];
  private readonly appAgent: Agent | null;

  constructor(options: EmulatorOptions = {}) {
    super();
    this.options = options;
    this.postIntervalMs = options.postIntervalMs ?? null;
    this.updateLimit = options.updateLimit ?? null;
    this.appAgent = options.appKeepAlive ? new Agent({ keepAlive: true, maxSockets: 64 }) : null;
    this.workspace = options.workspace ?? createDefaultWorkspace();
    this.socket = new SocketModeServer({
      ackTimeoutMs: options.socketAckTimeoutMs ?? 3000,
      maxRetries: options.socketMaxRetries ?? 3,
      onSend: (sent) => this.emit("envelope", sent),
    });
  }

  get url(): string {
    return this.baseUrl;
  }

  /** What SLACK_API_URL should be. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          send(response, 500, { ok: false, error: "fatal_error", detail: String(error) });
      });
    });
    server.on("upgrade", (request, socket, head) => {
      if (!this.socket.handleUpgrade(request, socket, head)) socket.destroy();
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://${this.options.host ?? "127.0.0.1"}:${port}`;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    this.appAgent?.destroy();
    this.socket.close();
    for (const hold of this.holds) hold.open();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------- Web API ----------

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "POST" && url.pathname.startsWith("/api/")) {
      await this.api(url.pathname.slice("/api/".length), request, response);
      return;
    }
    if (request.method === "POST" && url.pathname.startsWith("/response/")) {
      await this.responseUrl(url.pathname.slice("/response/".length), request, response);
      return;
    }
    if (this.listenerCount("request") > 0) {
      this.emit("request", request, response, url);
      return;
    }
    send(response, 404, { ok: false, error: "not_found" });
  }

  private async api(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    let args: Record<string, unknown>;
    const contentType = request.headers["content-type"] ?? "";
    try {
      args = parseArgs(contentType, body);
    } catch {
      send(response, 200, {
        ok: false,
        error: contentType.includes("application/json") ? "invalid_json" : "invalid_form_data",
      });
      return;
    }
    const call: ApiCall = { method, args, at: Date.now(), status: 200, ok: false };
    this.calls.push(call);
    const answer = (status: number, payload: Json, headers: Record<string, string> = {}) => {
      call.status = status;
      call.ok = payload.ok === true;
      if (typeof payload.error === "string") call.error = payload.error;
      send(response, status, payload, headers);
    };

    const method_ = METHODS[method];
    if (!method_) return answer(200, { ok: false, error: "unknown_method" });
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const token = bearer ?? (typeof args.token === "string" ? args.token : undefined);
    if (!token) return answer(200, { ok: false, error: "not_authed" });
    const expected = APP_TOKEN_METHODS.has(method)
      ? this.workspace.bot.appToken
      : this.workspace.bot.botToken;
    if (token !== expected) {
      return answer(200, {
        ok: false,
        error: token.startsWith("xapp-") || token.startsWith("xoxb-") ? "invalid_auth" : "not_authed",
      });
    }

    const hold = this.holds.find((h) => !h.claimed && h.method === method && (!h.when || h.when(args)));
    if (hold) {
      hold.claimed = true;
      hold.call = call;
      if (!hold.afterWork) {
        hold.arrive(call);
        await hold.gate;
      }
    }

    let fault: Fault | undefined = this.faults.find(
      (f) => f.method === method && (f.times ?? 1) > 0 && (!f.when || f.when(args)),
    );
    if (fault) fault.times = (fault.times ?? 1) - 1;
    if (
      !fault &&
      this.chaos?.config.methods.includes(method) &&
      this.chaos.random() < this.chaos.config.rate
    ) {
      const effect = CHAOS_EFFECTS[Math.floor(this.chaos.random() * CHAOS_EFFECTS.length)] ?? {
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
      fault = { method, effect };
    }
    if (fault?.effect.kind === "drop" && fault.effect.when === "before") {
      call.status = 0;
      request.socket.destroy();
      return;
    }
    if (fault?.effect.kind === "status") {
      const retryAfter = fault.effect.retryAfter;
      return answer(
        fault.effect.status,
        { ok: false, error: fault.effect.status === 429 ? "ratelimited" : "internal_error" },
        retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
      );
    }
    if (fault?.effect.kind === "error") return answer(200, { ok: false, error: fault.effect.error });

    // Slack's answer to a call beyond a rate limit: 429 with the seconds to wait.
    const tooFast = (wait: number) => {
      this.rateLimited += 1;
      return answer(
        429,
        { ok: false, error: "ratelimited" },
        { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
      );
    };
    if (method === "chat.update" && this.updateLimit) {
      const now = Date.now();
      const { max, windowMs } = this.updateLimit;
      this.updatesAt = this.updatesAt.filter((at) => at > now - windowMs);
      const wait = this.updatesAt.length >= max ? (this.updatesAt[0] ?? now) + windowMs - now : 0;
      if (wait > 0) {
        return tooFast(wait);
      }
    }
    if (method === "chat.postMessage" && this.postIntervalMs) {
      const channel = String(args.channel ?? "");
      const last = this.lastPostAt.get(channel) ?? 0;
      const wait = last + this.postIntervalMs - Date.now();
      if (wait > 0) {
        return tooFast(wait);
      }
    }

    let result: Json;
    try {
      result = METHODS[method]?.(this.methodContext(), args) ?? {};
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      return answer(200, {
        ok: false,
        error: error.code,
        ...(error.detail ? { response_metadata: { messages: [error.detail] } } : {}),
      });
    }
    if (method === "chat.postMessage") this.lastPostAt.set(String(args.channel ?? ""), Date.now());
    if (method === "chat.update" && this.updateLimit) this.updatesAt.push(Date.now());
    if (hold?.afterWork) {
      // The work is done (the post is stored); the answer waits, so the caller cannot know it landed.
      hold.arrive(call);
      await hold.gate;
    }
    if (fault?.effect.kind === "drop" && fault.effect.when === "after") {
      call.status = 0;
      call.ok = true;
      request.socket.destroy();
      return;
    }
    answer(200, { ok: true, ...result });
  }

  private methodContext(): MethodContext {
    return {
      workspace: this.workspace,
      socketUrl: () => this.socket.newConnectionUrl(this.baseUrl),
      onBotMessage: (message, change) => {
        this.emit("change", {
          kind: change === "posted" ? "message" : "message_changed",
          channel: message.channel,
          ts: message.ts,
          threadTs: message.threadTs ?? null,
        });
        if (this.options.echoBotMessages === false) return;
        const channel = this.workspace.channel(message.channel);
        if (!channel) return;
        const event =
          change === "posted"
            ? messageEvent(this.workspace, channel, message)
            : {
                type: "message",
                subtype: "message_changed",
                hidden: true,
                channel: channel.id,
                channel_type: messageEvent(this.workspace, channel, message).channel_type,
                ts: this.workspace.nextTs(),
                event_ts: this.workspace.nextTs(),
                message: messageEvent(this.workspace, channel, message),
              };
        // Slack delivers these on its own time; nobody waits for them.
        void this.deliverEvent(event).catch(() => {});
      },
      onChange: (kind, detail) => this.emit("change", { kind, ...detail }),
    };
  }

  private async responseUrl(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = this.responseUrls.get(id);
    if (!target) return send(response, 404, { ok: false, error: "expired_url" });
    let body: Json;
    try {
      body = JSON.parse(await readBody(request)) as Json;
    } catch {
      return send(response, 400, { ok: false, error: "invalid_payload" });
    }
    if (body.delete_original === true || body.delete_original === "true") {
      this.removeEphemeral(target);
      return send(response, 200, { ok: true });
    }
    if (body.replace_original === true || body.replace_original === "true") this.removeEphemeral(target);
    const ts = this.addEphemeral(target.user, target.channel, body);
    if (body.replace_original === true || body.replace_original === "true") target.ephemeralTs = ts;
    send(response, 200, { ok: true });
  }

  private removeEphemeral(target: { ephemeralTs?: string }): void {
    const index = this.workspace.ephemerals.findIndex((e) => e.ts === target.ephemeralTs);
    if (index < 0) return;
    const [removed] = this.workspace.ephemerals.splice(index, 1);
    this.emit("change", { kind: "ephemeral_removed", ts: removed?.ts, user: removed?.user });
  }

  private addEphemeral(user: string, channel: string, body: Json, threadTs?: string): string {
    const ts = this.workspace.nextTs();
    const ephemeral = {
      ts,
      channel,
      user,
      text: typeof body.text === "string" ? body.text : "",
      ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
      ...(threadTs ? { threadTs } : {}),
    };
    this.workspace.ephemerals.push(ephemeral);
    this.emit("change", { kind: "ephemeral", ...ephemeral });
    return ts;
  }

  // ---------- Test controls ----------

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
    const entry = {
      method,
      ...(when ? { when } : {}),
      afterWork: options.afterWork === true,
      arrive,
      gate,
      open,
      claimed: false,
    };
    this.holds.push(entry);
    return { arrived, release: () => open() };
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  // ---------- Requests to the app ----------

  /**
   * Sends a signed request to the app over HTTP, on a connection of its own (as Slack's deliveries come):
   * a server that closes a connection after a refused request cannot take the next request down with it.
   */
  async postToApp(
    body: string,
    contentType: string,
    options: SignOptions & { retryNum?: number } = {},
  ): Promise<AppAnswer> {
    if (!this.appUrl) throw new Error("the app's URL is not set (appUrl)");
    const url = new URL(this.appUrl);
    const headers = {
      "content-type": contentType,
      "content-length": String(Buffer.byteLength(body)),
      ...signedHeaders(this.workspace.bot.signingSecret, body, options),
      ...(options.retryNum
        ? { "x-slack-retry-num": String(options.retryNum), "x-slack-retry-reason": "http_error" }
        : {}),
    };
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers,
          agent: this.appAgent ?? false,
          timeout: 10_000,
        },
        (response) => {
          let received = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            received += chunk;
          });
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text: received }));
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error("the app did not answer within 10 s")));
      request.on("error", reject);
      request.end(body);
    });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // plain text answer
    }
    return { status, body: parsed };
  }

  private async toApp(
    type: EnvelopeType,
    payload: Json,
    form: string,
    contentType: string,
    options: SignOptions & { retryNum?: number },
  ): Promise<AppAnswer> {
    if (this.appUrl) return this.postToApp(form, contentType, options);
    const delivery = await this.socket.deliver(type, payload, type !== "events_api");
    return {
      status: delivery.acked ? 200 : 0,
      body: delivery.response ?? null,
      acked: delivery.acked,
      attempts: delivery.attempts,
    };
  }

  /** Delivers one Events API callback (the envelope is built around `event` unless one is given). */
  deliverEvent(
    event: Json,
    options: SignOptions & { retryNum?: number; envelope?: Json } = {},
  ): Promise<AppAnswer> {
    const envelope = options.envelope ?? eventEnvelope(this.workspace, event);
    return this.toApp("events_api", envelope, JSON.stringify(envelope), "application/json", options);
  }

  /** Waits until an app in Socket Mode has connected. */
  socketConnected(): Promise<void> {
    return this.socket.waitForConnection();
  }

  // ---------- What people do ----------

  private channelFor(user: string, channelId: string): EmChannel {
    const channel = this.workspace.channel(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    if (!channel.members.has(user)) throw new Error(`${user} is not in ${channelId}`);
    return channel;
  }

  /**
   * A person posts a message. Slack then sends the app a `message` event (the bot is in the channel) and,
   * when the bot is mentioned, an `app_mention` too; `order` says which goes first.
   */
  async userPosts(input: {
    user: string;
    channel: string;
    text: string;
    threadTs?: string;
    files?: EmFile[];
    broadcast?: boolean;
    order?: "message-first" | "mention-first";
  }): Promise<{ message: EmMessage; envelopes: Json[]; answers: AppAnswer[] }> {
    const channel = this.channelFor(input.user, input.channel);
    const subtype = input.files
      ? "file_share"
      : input.broadcast && input.threadTs
        ? "thread_broadcast"
        : undefined;
    const message = this.workspace.addMessage({
      ts: this.workspace.nextTs(),
      channel: channel.id,
      user: input.user,
      text: input.text,
      clientMsgId: randomUUID(),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      ...(subtype ? { subtype } : {}),
      ...(input.files ? { files: input.files } : {}),
    });
    this.emit("change", { kind: "message", channel: channel.id, ts: message.ts });
    const envelopes: Json[] = [];
    if (channel.members.has(this.workspace.bot.userId))
      envelopes.push(eventEnvelope(this.workspace, messageEvent(this.workspace, channel, message)));
    if (input.text.includes(`<@${this.workspace.bot.userId}>`) && channel.kind !== "im") {
      envelopes.push(eventEnvelope(this.workspace, mentionEvent(this.workspace, channel, message)));
    }
    if (input.order === "mention-first") envelopes.reverse();
    const answers: AppAnswer[] = [];
    for (const envelope of envelopes) answers.push(await this.deliverEvent({}, { envelope }));
    return { message, envelopes, answers };
  }

  /** A person edits their message: Slack sends `message_changed`. */
  async userEdits(input: { user: string; channel: string; ts: string; text: string }): Promise<AppAnswer> {
    const channel = this.channelFor(input.user, input.channel);
    const message = this.workspace.message(channel.id, input.ts);
    if (!message) throw new Error(`no message ${input.ts}`);
    message.text = input.text;
    message.edited = { user: input.user, ts: this.workspace.nextTs() };
    return this.deliverEvent({
      type: "message",
      subtype: "message_changed",
      hidden: true,
      channel: channel.id,
      channel_type: messageEvent(this.workspace, channel, message).channel_type,
      ts: this.workspace.nextTs(),
      event_ts: this.workspace.nextTs(),
      message: messageEvent(this.workspace, channel, message),
    });
  }

  /**
   * A person runs a slash command. In a thread Slack refuses it without telling the app; elsewhere the
   * app's answer (its ack body) is shown to that person alone, and `response_url` works for 30 minutes.
   */
  async slashCommand(input: {
    user: string;
    channel: string;
    command: string;
    text: string;
    threadTs?: string;
  }): Promise<AppAnswer & { refusedByClient?: string }> {
    if (input.threadTs) {
      return {
        status: 0,
        body: null,
        refusedByClient: `${input.command} is not supported in threads. Sorry! You can use \`!agentmode\` in the thread, or the message shortcut *Agent mode*.`,
      };
    }
    const channel = this.channelFor(input.user, input.channel);
    const responseId = randomUUID();
    this.responseUrls.set(responseId, { user: input.user, channel: channel.id });
    const form = slashCommandForm(this.workspace, {
      user: input.user,
      channel,
      command: input.command,
      text: input.text,
      responseUrl: `${this.baseUrl}/response/${responseId}`,
      triggerId: this.workspace.newTrigger(input.user),
    });
    const answer = await this.toApp(
      "slash_commands",
      form,
      new URLSearchParams(form).toString(),
      "application/x-www-form-urlencoded",
      {},
    );
    const body = answer.body;
    if (answer.status === 200 && body && typeof body === "object") {
      const ts = this.addEphemeral(input.user, channel.id, body as Json);
      const target = this.responseUrls.get(responseId);
      if (target) target.ephemeralTs = ts;
    } else if (answer.status === 200 && typeof body === "string" && body) {
      this.addEphemeral(input.user, channel.id, { text: body });
    }
    return answer;
  }

  /** A person opens the app's Home tab. */
  openHome(user: string): Promise<AppAnswer> {
    const dm = this.workspace.directMessageWith(user);
    return this.deliverEvent({
      type: "app_home_opened",
      user,
      channel: dm.id,
      tab: "home",
      event_ts: this.workspace.nextTs(),
    });
  }

  private findElement(blocks: unknown, actionId: string): { element: Json; blockId: string } | undefined {
    for (const block of (blocks as Json[] | undefined) ?? []) {
      const candidates = [
        block.accessory,
        block.element,
        ...((block.elements as unknown[] | undefined) ?? []),
      ];
      for (const element of candidates) {
        if (element && typeof element === "object" && (element as Json).action_id === actionId) {
          return { element: element as Json, blockId: String(block.block_id ?? randomUUID().slice(0, 5)) };
        }
      }
    }
    return undefined;
  }

  /**
   * A person clicks a button or picks an option on their Home or on a message (an ephemeral one included).
   * `option` is the value of the option picked in a select.
   */
  async interact(input: {
    user: string;
    on: { home: true } | { channel: string; ts: string };
    actionId: string;
    option?: string;
  }): Promise<AppAnswer> {
    const { workspace } = this;
    let blocks: unknown;
    let container: Json;
    let extra: Json = {};
    let responseUrl: string | undefined;
    if ("home" in input.on) {
      const home = workspace.homes.get(input.user);
      if (!home) throw new Error(`${input.user} has no Home published`);
      blocks = home.view.blocks;
      container = { type: "view", view_id: home.id };
      extra = { view: { id: home.id, type: "home", blocks, hash: home.hash, state: { values: {} } } };
    } else {
      const { channel, ts } = input.on;
      const ephemeral = workspace.ephemerals.find((e) => e.ts === ts && e.user === input.user);
      const message = ephemeral ?? workspace.message(channel, ts);
      if (!message) throw new Error(`no message ${ts} for ${input.user}`);
      blocks = message.blocks;
      container = { type: "message", message_ts: ts, channel_id: channel, is_ephemeral: Boolean(ephemeral) };
      const id = randomUUID();
      this.responseUrls.set(id, { user: input.user, channel, ephemeralTs: ts });
      responseUrl = `${this.baseUrl}/response/${id}`;
      extra = {
        channel: { id: channel, name: workspace.channel(channel)?.name ?? channel },
        ...(ephemeral ? {} : { message: { type: "message", ts, text: message.text, blocks } }),
        response_url: responseUrl,
      };
    }
    const found = this.findElement(blocks, input.actionId);
    if (!found) throw new Error(`no element with action_id ${input.actionId}`);
    const { element, blockId } = found;
    const action: Json = {
      action_id: input.actionId,
      block_id: blockId,
      type: element.type,
      action_ts: workspace.nextTs(),
    };
    if (element.type === "button") action.value = element.value;
    if (element.type === "static_select" || element.type === "radio_buttons") {
      const option = ((element.options as Json[] | undefined) ?? []).find((o) => o.value === input.option);
      if (!option) throw new Error(`no option ${input.option} in ${input.actionId}`);
      action.selected_option = option;
    }
    const payload = {
      type: "block_actions",
      ...interactionBase(workspace, input.user, workspace.newTrigger(input.user)),
      container,
      ...extra,
      actions: [action],
    };
    return this.toApp(
      "interactive",
      payload,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      "application/x-www-form-urlencoded",
      {},
    );
  }

  /** A person runs a message shortcut on a message. */
  messageShortcut(input: {
    user: string;
    channel: string;
    ts: string;
    callbackId: string;
  }): Promise<AppAnswer> {
    const { workspace } = this;
    const message = workspace.message(input.channel, input.ts);
    if (!message) throw new Error(`no message ${input.ts}`);
    const id = randomUUID();
    this.responseUrls.set(id, { user: input.user, channel: input.channel });
    const payload = {
      type: "message_action",
      ...interactionBase(workspace, input.user, workspace.newTrigger(input.user)),
      callback_id: input.callbackId,
      action_ts: workspace.nextTs(),
      channel: { id: input.channel, name: workspace.channel(input.channel)?.name ?? input.channel },
      message_ts: message.ts,
      message: {
        type: "message",
        ts: message.ts,
        text: message.text,
        ...(message.user ? { user: message.user } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      },
      response_url: `${this.baseUrl}/response/${id}`,
    };
    return this.toApp(
      "interactive",
      payload,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      "application/x-www-form-urlencoded",
      {},
    );
  }

  /** The modal open for `user` (the newest), if any. */
  modalOf(user: string) {
    return [...this.workspace.modals.values()].filter((m) => m.user === user).at(-1);
  }

  /**
   * A person submits a modal with values `{ blockId: { actionId: optionValue } }`. The modal closes unless
   * the app answers with `response_action: errors`, which is returned.
   */
  async submitModal(input: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, string>>;
  }): Promise<AppAnswer> {
    const stored = this.workspace.modals.get(input.viewId);
    if (!stored || stored.user !== input.user) throw new Error(`no modal ${input.viewId} for ${input.user}`);
    const values: Json = {};
    for (const [blockId, byAction] of Object.entries(input.values)) {
      const block: Json = {};
      for (const [actionId, value] of Object.entries(byAction)) {
        const found = this.findElement(stored.view.blocks, actionId);
        if (found?.element.type === "plain_text_input") {
          block[actionId] = { type: "plain_text_input", value };
          continue;
        }
        const option = ((found?.element.options as Json[] | undefined) ?? []).find((o) => o.value === value);
        block[actionId] = { type: found?.element.type ?? "radio_buttons", selected_option: option ?? null };
      }
      values[blockId] = block;
    }
    const payload = {
      type: "view_submission",
      ...interactionBase(this.workspace, input.user, this.workspace.newTrigger(input.user)),
      view: {
        id: stored.id,
        team_id: this.workspace.team.id,
        ...stored.view,
        state: { values },
        hash: stored.hash,
        root_view_id: stored.rootViewId,
        app_id: this.workspace.bot.appId,
        bot_id: this.workspace.bot.botId,
      },
      response_urls: [],
    };
    const answer = await this.toApp(
      "interactive",
      payload,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      "application/x-www-form-urlencoded",
      {},
    );
    const body = answer.body as Json | null;
    if (answer.status === 200 && body?.response_action !== "errors") this.closeModal(input.user, stored.id);
    return answer;
  }

  /** A person closes a modal (the X or Cancel). Slack would send `view_closed` only for views with `notify_on_close`; ours have none, and the emulator sends nothing. */
  closeModal(user: string, viewId: string): void {
    const stored = this.workspace.modals.get(viewId);
    if (!stored || stored.user !== user) return;
    this.workspace.modals.delete(viewId);
    this.emit("change", { kind: "modal", user, view_id: viewId, opened: false });
  }

  /** A person dismisses an ephemeral message shown to them. */
  dismissEphemeral(user: string, ts: string): void {
    if (this.workspace.ephemerals.some((e) => e.ts === ts && e.user === user))
      this.removeEphemeral({ ephemeralTs: ts });
  }

  // ---------- What people see ----------

  /** Messages of a thread (root first), as stored. */
  thread(channel: string, threadTs: string): EmMessage[] {
    return this.workspace.thread(channel, threadTs);
  }

  /** Reaction names the bot put on a message. */
  botReactions(channel: string, ts: string): string[] {
    const message = this.workspace.message(channel, ts);
    if (!message) return [];
    return [...message.reactions.entries()]
      .filter(([, users]) => users.has(this.workspace.bot.userId))
      .map(([name]) => name);
  }

  ephemeralsFor(user: string) {
    return this.workspace.ephemerals.filter((e) => e.user === user);
  }

  homeOf(user: string) {
    return this.workspace.homes.get(user);
  }
}

export async function startSlackEmulator(options: EmulatorOptions = {}): Promise<SlackEmulator> {
  return new SlackEmulator(options).start();
}
