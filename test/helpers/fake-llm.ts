/**
 * A fake OpenAI-compatible model server for tests: `POST /v1/chat/completions`, streamed (SSE) and not,
 * with tool calls, able to be slow, to hold an answer until the test releases it, and to fail. It counts
 * every call and records whether the client went away before the answer was complete (an aborted request).
 *
 * What it answers is decided by `reply(request)`, which the test sets; by default it echoes the last user
 * message. Only the wire format is faked: the AI SDK's provider talks to it over HTTP as it would to OpenAI.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatMessage {
  readonly role: string;
  readonly content?: string | null | { type: string; text?: string }[];
  readonly tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  readonly tool_call_id?: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: ChatMessage[];
  readonly stream?: boolean;
  readonly tools?: { type: string; function: { name: string; description?: string } }[];
}

export type Reply =
  | {
      readonly text?: string;
      readonly toolCalls?: readonly { name: string; args: Record<string, unknown> }[];
      /** Before the first byte of the answer. */
      readonly delayMs?: number;
      /** Between streamed chunks (a text is streamed in chunks of `chunkSize` characters). */
      readonly chunkDelayMs?: number;
      readonly chunkSize?: number;
      /** Held after the first chunk (streamed) or before the answer (not streamed) until released. */
      readonly hold?: Promise<void>;
    }
  | { readonly status: number; readonly error: string; readonly code?: string; readonly retryAfter?: number };

export interface RecordedCall {
  readonly request: ChatRequest;
  /** The text of the last user message in the request. */
  readonly lastUser: string;
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  /** When the client went away or the answer was complete (ms since the call arrived). */
  endedAfterMs: number | null;
  /** The same, as a time (epoch ms). */
  endedAt: number | null;
  /** The request's size by the fake's own measure (`requestTokens`). */
  readonly tokens: number;
  /** When the first streamed words were sent, and the whole answer (epoch ms); null until then. */
  firstChunkAt: number | null;
  finishedAt: number | null;
  readonly status: number;
}

export interface FakeLlm {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly calls: RecordedCall[];
  /** Decides each answer (`call` counts from 0 since the last `reset()`, which also restores the echo). */
  reply: (request: ChatRequest, call: number) => Reply;
  /**
   * The model's context window, in the fake's tokens: a request past it is refused with 400
   * `context_length_exceeded`, as OpenAI's API answers (null: no limit; `reset()` restores null).
   */
  contextLimit: number | null;
  reset(): void;
  /** Resolves when `count` calls have arrived. */
  waitForCalls(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function textOf(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("");
  return "";
}

/**
 * A request's size as the fake counts it: a token per 4 characters of its messages and tools as JSON
 * (OpenAI's rule of thumb; the product estimates its own way, so this checks it from outside).
 */
export function requestTokens(request: ChatRequest): number {
  return Math.ceil(JSON.stringify([request.messages, request.tools ?? []]).length / 4);
}

const echo = (request: ChatRequest): Reply => ({
  text: `You said: ${textOf(request.messages.filter((m) => m.role === "user").at(-1))}`,
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function chunksOf(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export async function startFakeLlm(options: { apiKey?: string } = {}): Promise<FakeLlm> {
  const apiKey = options.apiKey ?? "sk-test-fake-llm";
  const calls: RecordedCall[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `Unknown route ${req.method} ${req.url}` } }));
      return;
    }
    const request = (await readJson(req)) as ChatRequest;
    const started = Date.now();
    const index = calls.length;
    const tokens = requestTokens(request);
    const limit = fake.contextLimit;
    const planned =
      req.headers.authorization !== `Bearer ${apiKey}`
        ? ({ status: 401, error: "Incorrect API key provided.", code: "invalid_api_key" } as const)
        : limit !== null && tokens > limit
          ? ({
              status: 400,
              error: `This model's maximum context length is ${limit} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
              code: "context_length_exceeded",
            } as const)
          : fake.reply(request, index);
    const call: RecordedCall = {
      request,
      lastUser: textOf(request.messages.filter((m) => m.role === "user").at(-1)),
      tokens,
      aborted: false,
      endedAfterMs: null,
      endedAt: null,
      firstChunkAt: null,
      finishedAt: null,
      status: "status" in planned ? planned.status : 200,
    };
    calls.push(call);
    for (const waiter of waiters.filter((w) => calls.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    res.on("close", () => {
      if (!res.writableFinished) call.aborted = true;
      call.endedAfterMs ??= Date.now() - started;
      call.endedAt ??= Date.now();
    });

    if ("status" in planned) {
      res.writeHead(planned.status, {
        "content-type": "application/json",
        ...(planned.retryAfter !== undefined ? { "retry-after": String(planned.retryAfter) } : {}),
      });
      res.end(
        JSON.stringify({
          error: { message: planned.error, type: "invalid_request_error", code: planned.code ?? null },
        }),
      );
      return;
    }
    if (planned.delayMs) await sleep(planned.delayMs);
    const id = `chatcmpl-${index}`;
    const created = Math.floor(started / 1000);
    const toolCalls = (planned.toolCalls ?? []).map((toolCall, i) => ({
      id: `call_${index}_${i}`,
      type: "function" as const,
      function: { name: toolCall.name, arguments: JSON.stringify(toolCall.args) },
    }));
    const finishReason = toolCalls.length > 0 ? "tool_calls" : "stop";
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

    if (!request.stream) {
      if (planned.hold) await planned.hold;
      if (res.destroyed) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model: request.model,
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: planned.text ?? null,
                ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
              },
              finish_reason: finishReason,
            },
          ],
          usage,
        }),
      );
      return;
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (delta: Record<string, unknown>, finish: string | null = null, extra = {}) =>
      res.write(
        `data: ${JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created,
          model: request.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...extra,
        })}\n\n`,
      );
    send({ role: "assistant", content: "" });
    const pieces = chunksOf(planned.text ?? "", planned.chunkSize ?? 8);
    for (const [i, piece] of pieces.entries()) {
      if (res.destroyed) return;
      send({ content: piece });
      call.firstChunkAt ??= Date.now();
      if (i === 0 && planned.hold) await planned.hold;
      if (planned.chunkDelayMs) await sleep(planned.chunkDelayMs);
    }
    if (pieces.length === 0 && planned.hold) await planned.hold;
    if (res.destroyed) return;
    toolCalls.forEach((toolCall, i) => {
      send({ tool_calls: [{ index: i, ...toolCall }] });
    });
    send({}, finishReason, { usage });
    res.end("data: [DONE]\n\n");
    call.finishedAt = Date.now();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  const fake: FakeLlm = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    calls,
    reply: echo,
    contextLimit: null,
    reset() {
      fake.reply = echo;
      fake.contextLimit = null;
      calls.length = 0;
    },
    waitForCalls(count, timeoutMs = 20_000) {
      if (calls.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} model calls, got ${calls.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  return fake;
}
