/**
 * An event could not be handed to Restate (it is down, or did not answer). Only this kind of failure is
 * answered so that Slack delivers the event again (HTTP 500, or no Socket Mode ack): a retry can succeed,
 * and the idempotency key makes it harmless. Any other failure in processing an event means a payload we
 * cannot process, which a retry would not change (HTTP 400, or an ack).
 */
export class DeliveryError extends Error {
  constructor(cause: unknown) {
    super(`Could not hand the event to Restate: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "DeliveryError";
  }
}

/** Whether an error from Bolt's processing is (or wraps) a DeliveryError. */
export function isDeliveryError(error: unknown): boolean {
  const e = error as { original?: unknown; originals?: unknown[] } | undefined;
  if (error instanceof DeliveryError) return true;
  if (e?.original instanceof DeliveryError) return true;
  return (e?.originals ?? []).some((inner) => inner instanceof DeliveryError);
}
