/**
 * Calls the Restate ingress the way curl does, keeping the HTTP status and body for assertions. Given the
 * adapter key, it signs every request as our Slack adapter does (src/restate/caller.ts), for tests that
 * act as the adapter.
 */
import { signRequest } from "../../src/restate/caller.ts";

export interface IngressResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  /** Restate's error message (`{"message": ...}`), or the raw text. */
  readonly message: string;
}

/** The handler a path such as `ChatService/<key>/handler[/send]` names, as a signature covers it. */
function targetOf(path: string) {
  const [service = "", key = "", handler = ""] = path.split("?")[0]?.split("/") ?? [];
  return { service, key: decodeURIComponent(key), handler };
}

export function ingressClient(baseUrl: string, options: { adapterKey?: string } = {}) {
  async function request<T>(
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<IngressResponse<T>> {
    const payload = body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body);
    const signature = options.adapterKey
      ? signRequest(options.adapterKey, targetOf(path), new TextEncoder().encode(payload ?? ""))
      : {};
    const response = await fetch(`${baseUrl}/${path}`, {
      method: "POST",
      // Like `curl -X POST`: no body, no content type.
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...signature,
        ...headers,
      },
      body: payload,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    const message =
      parsed && typeof parsed === "object" && typeof (parsed as { message?: unknown }).message === "string"
        ? (parsed as { message: string }).message
        : text;
    return { status: response.status, body: parsed as T, text, message };
  }
  return {
    request,
    /** Calls a handler and waits for its result; throws unless it answers 200. */
    async call<T>(path: string, body?: unknown): Promise<T> {
      const response = await request<T>(path, body);
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.text}`);
      return response.body;
    },
    /** One-way send (`/send`), as the Slack adapter does; resolves once Restate has accepted it. */
    async send(
      path: string,
      body: unknown,
      idempotencyKey?: string,
    ): Promise<{ invocationId: string; status: string }> {
      const response = await request<{ invocationId: string; status: string }>(
        `${path}/send`,
        body,
        idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
      );
      if (response.status !== 200 && response.status !== 202)
        throw new Error(`${path}/send answered ${response.status}: ${response.text}`);
      return response.body;
    },
  };
}

export type IngressClient = ReturnType<typeof ingressClient>;
