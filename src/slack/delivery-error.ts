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

/**
 * Whether an error from Bolt's processing is (or wraps, at any depth) a DeliveryError: Bolt wraps a failed
 * authorisation twice (its own AuthorizationError around @slack/oauth's, around ours).
 */
export function isDeliveryError(error: unknown, depth = 0): boolean {
  if (error instanceof DeliveryError) return true;
  if (depth > 5 || !error || typeof error !== "object") return false;
  const e = error as { original?: unknown; originals?: unknown[]; cause?: unknown };
  return [e.original, e.cause, ...(e.originals ?? [])].some(
    (inner) => inner !== undefined && inner !== error && isDeliveryError(inner, depth + 1),
  );
}
