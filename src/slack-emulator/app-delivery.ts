/**
 * How the emulator delivers Slack's requests to the app: signed HTTP posts to the app's request URL, or
 * envelopes over Socket Mode. Like Slack it waits 3 seconds for the app's answer; an answer later than
 * that is a failed delivery (status 0, `failure: "http_timeout"`), which a caller may retry with
 * `retryNum` and `retryReason` as Slack retries events. It must not build the requests themselves.
 */
import { Agent, request as httpRequest } from "node:http";
import { eventEnvelope, type Json, type SignOptions, signedHeaders } from "./app-requests.ts";
import type { EnvelopeType, SocketModeServer } from "./socket-mode-server.ts";
import type { EmulatedWorkspace } from "./workspace.ts";

/** How long Slack waits for the app to answer an event, a command or an interaction. */
export const SLACK_APP_ANSWER_TIMEOUT_MS = 3000;

/** What the app answered to a request the emulator sent it. */
export interface AppAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Over HTTP: why Slack counts the delivery as failed when no answer came in time. */
  readonly failure?: "http_timeout";
  /** Over Socket Mode: whether the envelope was acknowledged, and how many sends it took. */
  readonly acked?: boolean;
  readonly attempts?: number;
  /** Slack refused what the app answered (its blocks, say), with Slack's error name. */
  readonly refusedBySlack?: string;
}

/** Options of one delivery: signing, and a retry's number and reason (`x-slack-retry-*`). */
export type DeliveryOptions = SignOptions & {
  retryNum?: number;
  retryReason?: "http_timeout" | "http_error" | "connection_failed";
  /**
   * How long to wait for the answer, for a request that plays some other client than Slack (a generated
   * bad request, say); Slack's own deliveries keep Slack's 3 seconds.
   */
  timeoutMs?: number;
};

export class AppDelivery {
  /** Where the app takes HTTP requests (`.../slack/events`), or null for Socket Mode. */
  appUrl: string | null = null;
  private readonly workspace: EmulatedWorkspace;
  private readonly socket: SocketModeServer;
  private readonly agent: Agent | null;
  private readonly answerTimeoutMs: number;

  constructor(options: {
    workspace: EmulatedWorkspace;
    socket: SocketModeServer;
    keepAlive?: boolean;
    answerTimeoutMs?: number;
  }) {
    this.workspace = options.workspace;
    this.socket = options.socket;
    // An idle connection is dropped after 4 s, before the app's server closes it (Node's default: 5 s):
    // otherwise a delivery can go out on a connection the app is closing at that moment (ECONNRESET).
    this.agent = options.keepAlive ? new Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 }) : null;
    this.answerTimeoutMs = options.answerTimeoutMs ?? SLACK_APP_ANSWER_TIMEOUT_MS;
  }

  close(): void {
    this.agent?.destroy();
  }

  /**
   * Sends a signed request to the app over HTTP, on a connection of its own (as Slack's deliveries come):
   * a server that closes a connection after a refused request cannot take the next request down with it.
   */
  async postToApp(body: string, contentType: string, options: DeliveryOptions = {}): Promise<AppAnswer> {
    if (!this.appUrl) throw new Error("the app's URL is not set (appUrl)");
    const url = new URL(this.appUrl);
    const headers = {
      "content-type": contentType,
      "content-length": String(Buffer.byteLength(body)),
      ...signedHeaders(this.workspace.bot.signingSecret, body, options),
      ...(options.retryNum
        ? {
            "x-slack-retry-num": String(options.retryNum),
            "x-slack-retry-reason": options.retryReason ?? "http_error",
          }
        : {}),
    };
    const answer = await new Promise<{ status: number; text: string } | "timeout">((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers,
          agent: this.agent ?? false,
        },
        (response) => {
          let received = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            received += chunk;
          });
          response.on("end", () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, text: received });
          });
          response.on("error", reject);
        },
      );
      // Slack gives up on the answer after its timeout, whatever the app does later.
      const timer = setTimeout(() => {
        resolve("timeout");
        request.destroy();
      }, options.timeoutMs ?? this.answerTimeoutMs);
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
    if (answer === "timeout") return { status: 0, body: null, failure: "http_timeout" };
    let parsed: unknown = answer.text;
    try {
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      // plain text answer
    }
    return { status: answer.status, body: parsed };
  }

  /** Delivers a request over HTTP when the app has a request URL, over Socket Mode otherwise. */
  async toApp(
    type: EnvelopeType,
    payload: Json,
    form: string,
    contentType: string,
    options: DeliveryOptions = {},
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

  /** An interactivity payload (block_actions, message_action, view_submission), form-encoded as Slack sends it. */
  interaction(payload: Json): Promise<AppAnswer> {
    return this.toApp(
      "interactive",
      payload,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      "application/x-www-form-urlencoded",
    );
  }

  /** Delivers one Events API callback (the envelope is built around `event` unless one is given). */
  deliverEvent(event: Json, options: DeliveryOptions & { envelope?: Json } = {}): Promise<AppAnswer> {
    const envelope = options.envelope ?? eventEnvelope(this.workspace, event);
    return this.toApp("events_api", envelope, JSON.stringify(envelope), "application/json", options);
  }
}
