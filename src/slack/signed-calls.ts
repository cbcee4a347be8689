/**
 * The adapter's side of `src/restate/caller.ts`: options for an ingress call that sign it with
 * `ADAPTER_KEY`. The body is serialised here, once, so the bytes signed are the bytes sent (the call's
 * input serde hands them over unchanged). Used by the sessions client and the live message updater, the
 * only parts of the process that call the ingress; holds no key of its own.
 */
import type * as clients from "@restatedev/restate-sdk-clients";
import { NONCE_HEADER, type SignedTarget, signRequest } from "../restate/caller.ts";

const NO_BODY = new Uint8Array(0);

/** The call's input as JSON bytes, and the headers that sign them for `target`. */
export function signedInput<I>(
  adapterKey: string,
  target: SignedTarget,
  input: I | undefined,
): { input: clients.Serde<I>; headers: Record<string, string> } {
  const body = input === undefined ? NO_BODY : new TextEncoder().encode(JSON.stringify(input));
  return {
    input: {
      contentType: "application/json",
      serialize: () => body,
      deserialize: (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as I,
    },
    headers: signRequest(adapterKey, target, body),
  };
}

/**
 * A signed write's options. The handler takes each signed write once and refuses it again as a replay, so
 * the request carries its nonce as idempotency key: a retry after a lost answer is then the same request,
 * answered as the first was, not a refused replay.
 */
export function signedWrite<I>(
  adapterKey: string,
  target: SignedTarget,
  input: I | undefined,
): { input: clients.Serde<I>; headers: Record<string, string>; idempotencyKey: string } {
  const signed = signedInput(adapterKey, target, input);
  return { ...signed, idempotencyKey: signed.headers[NONCE_HEADER] ?? "" };
}
