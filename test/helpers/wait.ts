/** Bounded polling: wait for a condition, never for a fixed time that hopes to be long enough. */
import { setTimeout as delay } from "node:timers/promises";

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${options.what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
      );
    }
    await delay(options.intervalMs ?? 25);
  }
}
