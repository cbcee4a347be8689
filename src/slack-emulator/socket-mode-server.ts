/**
 * Slack's Socket Mode endpoint, emulated: `apps.connections.open` hands out a ws:// URL with a one-time
 * ticket; a connecting app gets `hello`; envelopes go out and must be acknowledged (`{envelope_id,
 * payload}`) within a timeout, or they are sent again with `retry_attempt` counting up, as Slack does.
 * An app may hold several connections at once (one per process, up to Slack's 10): each envelope goes to
 * one of them in turn, and a re-send goes to the next, so one process that dies loses nothing.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";

export type EnvelopeType = "events_api" | "slash_commands" | "interactive";

export interface SocketDelivery {
  readonly acked: boolean;
  /** Sends made, the first included. */
  readonly attempts: number;
  /** The ack's payload (a slash command's answer, a view_submission's response_action). */
  readonly response: Record<string, unknown> | undefined;
}

export interface SocketModeOptions {
  readonly ackTimeoutMs: number;
  readonly maxRetries: number;
  /** Told of every envelope sent (attempt 0 is the first send). */
  readonly onSend?: (sent: { type: EnvelopeType; attempt: number; payload: Record<string, unknown> }) => void;
}

/**
 * Slack's limit of simultaneous Socket Mode connections per app. Beyond it the emulator closes the oldest
 * (Slack is reported to refuse the new one instead, `too_many_websockets`); no test goes beyond it.
 */
export const MAX_SOCKET_CONNECTIONS = 10;

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  /** Open connections, oldest first. */
  private sockets: WebSocket[] = [];
  /** Which connection the next envelope goes to (turn by turn over `sockets`). */
  private turn = 0;
  private readonly pendingAcks = new Map<string, (payload: Record<string, unknown> | undefined) => void>();
  private connectedWaiters: (() => void)[] = [];

  private readonly options: SocketModeOptions;

  constructor(options: SocketModeOptions) {
    this.options = options;
  }

  /** A fresh URL for apps.connections.open. */
  newConnectionUrl(baseUrl: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${baseUrl.replace(/^http/, "ws")}/socket?ticket=${ticket}`;
  }

  get connected(): boolean {
    return this.sockets.some((ws) => ws.readyState === ws.OPEN);
  }

  /** How many connections the app holds now. */
  get connectionCount(): number {
    return this.sockets.filter((ws) => ws.readyState === ws.OPEN).length;
  }

  /** The next open connection in turn, or null when the app holds none. */
  private nextSocket(): WebSocket | null {
    const open = this.sockets.filter((ws) => ws.readyState === ws.OPEN);
    if (open.length === 0) return null;
    this.turn = (this.turn + 1) % open.length;
    return open[this.turn] ?? null;
  }

  waitForConnection(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /** For the HTTP server's `upgrade` event; answers false when the request is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/socket") return false;
    const ticket = url.searchParams.get("ticket") ?? "";
    if (!this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return true;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private accept(ws: WebSocket): void {
    this.sockets.push(ws);
    while (this.sockets.length > MAX_SOCKET_CONNECTIONS) this.sockets.shift()?.close();
    ws.on("message", (data) => {
      try {
        const message = JSON.parse(data.toString()) as {
          envelope_id?: string;
          payload?: Record<string, unknown>;
        };
        if (message.envelope_id) this.pendingAcks.get(message.envelope_id)?.(message.payload);
      } catch {
        // Not JSON: Slack ignores it too.
      }
    });
    ws.on("close", () => {
      this.sockets = this.sockets.filter((other) => other !== ws);
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.sockets.length,
        connection_info: { app_id: "emulator" },
        debug_info: {},
      }),
    );
    for (const waiter of this.connectedWaiters.splice(0)) waiter();
  }

  /** Sends an envelope and waits for its ack, re-sending it when none comes in time. */
  async deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    acceptsResponse: boolean,
  ): Promise<SocketDelivery> {
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt += 1) {
      const ws = this.nextSocket();
      if (!ws) return { acked: false, attempts: attempt, response: undefined };
      const envelopeId = randomUUID();
      const acked = new Promise<{ payload: Record<string, unknown> | undefined } | null>((resolve) => {
        const timer = setTimeout(() => {
          this.pendingAcks.delete(envelopeId);
          resolve(null);
        }, this.options.ackTimeoutMs);
        this.pendingAcks.set(envelopeId, (body) => {
          clearTimeout(timer);
          this.pendingAcks.delete(envelopeId);
          resolve({ payload: body });
        });
      });
      this.options.onSend?.({ type, attempt, payload });
      ws.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: acceptsResponse,
          ...(type === "events_api"
            ? { retry_attempt: attempt, retry_reason: attempt === 0 ? "" : "timeout" }
            : {}),
        }),
      );
      const result = await acked;
      if (result) return { acked: true, attempts: attempt + 1, response: result.payload };
    }
    return { acked: false, attempts: this.options.maxRetries + 1, response: undefined };
  }

  close(): void {
    for (const resolve of this.pendingAcks.values()) resolve(undefined);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }
}
