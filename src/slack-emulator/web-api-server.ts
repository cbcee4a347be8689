/**
 * The emulator's HTTP server, as Slack's side of the wire: the Web API at `/api/<method>` (form or JSON
 * bodies, Bearer token checked, every call recorded, the test controls consulted before and after the
 * work), `response_url`s at `/response/<id>`, and the Socket Mode upgrade. Anything else goes to a
 * `request` listener (the playground's page). It must not play the people or decide faults itself.
 */
import type { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import type { AppDelivery } from "./app-delivery.ts";
import { messageChangedEvent, messageEvent } from "./app-requests.ts";
import { readBody, sendJson } from "./http-io.ts";
import { APP_TOKEN_METHODS, type Json, METHODS, type MethodContext, SlackApiError } from "./methods.ts";
import type { OAuthApp } from "./oauth-app.ts";
import type { ResponseUrls } from "./response-urls.ts";
import type { SocketModeServer } from "./socket-mode-server.ts";
import type { TestControls } from "./test-controls.ts";
import type { EmulatedWorkspace } from "./workspace.ts";

export interface ApiCall {
  readonly method: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly at: number;
  /** HTTP status answered (0 when the connection was dropped before answering). */
  status: number;
  ok: boolean;
  error?: string;
  /** A warning Slack gave with an ok answer. */
  warning?: string;
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

/** A workspace the app is in, and the way its events reach the app. */
export interface WorkspaceSide {
  readonly workspace: EmulatedWorkspace;
  readonly delivery: AppDelivery;
}

export interface WebApiServerParts {
  /** The first workspace: its app token opens the socket, its response URLs are served. */
  readonly workspace: EmulatedWorkspace;
  /** Every workspace, the first included: a bot token is answered by the workspace it belongs to. */
  readonly sides: () => readonly WorkspaceSide[];
  readonly controls: TestControls;
  readonly responseUrls: ResponseUrls;
  readonly socket: SocketModeServer;
  readonly delivery: AppDelivery;
  /** Told of changes (`change`) and of requests that are not Slack's (`request`). */
  readonly events: EventEmitter;
  /** Send the app `message` events for the bot's own posts and edits, as Slack does (default true). */
  readonly echoBotMessages?: boolean;
  /** The app's OAuth flow (consent page, `oauth.v2.access`), when it installs through OAuth. */
  readonly oauth?: OAuthApp | null;
}

export class WebApiServer {
  readonly calls: ApiCall[] = [];
  private server: Server | null = null;
  private baseUrl = "";
  private readonly parts: WebApiServerParts;

  constructor(parts: WebApiServerParts) {
    this.parts = parts;
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(port: number, host: string): Promise<void> {
    const server = createServer((request, response) => {
      void this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendJson(response, 500, { ok: false, error: "fatal_error", detail: String(error) });
      });
    });
    server.on("upgrade", (request, socket, head) => {
      if (!this.parts.socket.handleUpgrade(request, socket, head)) socket.destroy();
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${address.port}`;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "POST" && url.pathname.startsWith("/api/")) {
      await this.api(url.pathname.slice("/api/".length), request, response);
      return;
    }
    if (this.parts.oauth && (await this.parts.oauth.handle(request, response, url))) return;
    if (request.method === "POST" && url.pathname.startsWith("/response/")) {
      await this.parts.responseUrls.handle(url.pathname.slice("/response/".length), request, response);
      return;
    }
    if (this.parts.events.listenerCount("request") > 0) {
      this.parts.events.emit("request", request, response, url);
      return;
    }
    sendJson(response, 404, { ok: false, error: "not_found" });
  }

  private async api(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { workspace, controls } = this.parts;
    const body = await readBody(request);
    let args: Record<string, unknown>;
    const contentType = request.headers["content-type"] ?? "";
    try {
      args = parseArgs(contentType, body);
    } catch {
      sendJson(response, 200, {
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
      if (typeof payload.warning === "string") call.warning = payload.warning;
      sendJson(response, status, payload, headers);
    };
    const drop = () => {
      call.status = 0;
      request.socket.destroy();
    };

    // The code exchange authenticates with the app's client id and secret, not with a token.
    if (method === "oauth.v2.access") {
      if (!this.parts.oauth) return answer(200, { ok: false, error: "invalid_client_id" });
      const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
      return answer(200, this.parts.oauth.access(args, basic));
    }
    const work = METHODS[method];
    if (!work) return answer(200, { ok: false, error: "unknown_method" });
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const token = bearer ?? (typeof args.token === "string" ? args.token : undefined);
    if (!token) return answer(200, { ok: false, error: "not_authed" });
    // Another workspace's token is refused by this one: each call is answered by the token's own workspace.
    // An org-wide install's token is every org workspace's: the one that has the call's channel answers.
    const accepting = this.parts.sides().filter((s) => s.workspace.refusalOfBotToken(token) === null);
    const channelArg = typeof args.channel === "string" ? args.channel : undefined;
    const side =
      (channelArg ? accepting.find((s) => s.workspace.channel(channelArg)) : undefined) ?? accepting[0];
    const refusal = APP_TOKEN_METHODS.has(method)
      ? token === workspace.bot.appToken
        ? null
        : "invalid_auth"
      : side
        ? null
        : workspace.refusalOfBotToken(token);
    if (refusal) {
      return answer(200, {
        ok: false,
        error: token.startsWith("xapp-") || token.startsWith("xox") ? refusal : "not_authed",
      });
    }

    const verdict = await controls.beforeWork(method, args, call);
    if (verdict.kind === "drop") return drop();
    if (verdict.kind === "answer") return answer(verdict.status, verdict.body, verdict.headers);
    let result: Json;
    try {
      result = work(this.methodContext(side ?? { workspace, delivery: this.parts.delivery }), args);
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      return answer(200, {
        ok: false,
        error: error.code,
        ...(error.detail ? { response_metadata: { messages: [error.detail] } } : {}),
      });
    }
    if ((await verdict.afterWork(call)) === "drop") {
      // The work is done but the caller never hears so.
      call.ok = true;
      return drop();
    }
    answer(200, { ok: true, ...result });
  }

  private methodContext({ workspace, delivery }: WorkspaceSide): MethodContext {
    const { events } = this.parts;
    return {
      workspace,
      historyPageSize: this.parts.controls.historyPageSize,
      socketUrl: () => this.parts.socket.newConnectionUrl(this.baseUrl),
      onBotMessage: (message, change) => {
        events.emit("change", {
          kind: change === "posted" ? "message" : "message_changed",
          channel: message.channel,
          ts: message.ts,
          threadTs: message.threadTs ?? null,
        });
        if (this.parts.echoBotMessages === false) return;
        const channel = workspace.channel(message.channel);
        if (!channel) return;
        const event =
          change === "posted"
            ? messageEvent(workspace, channel, message)
            : messageChangedEvent(workspace, channel, message);
        // Slack delivers these on its own time; nobody waits for them.
        void delivery.deliverEvent(event).catch(() => {});
      },
      onChange: (kind, detail) => events.emit("change", { kind, ...detail }),
    };
  }
}
