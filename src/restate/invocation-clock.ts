/**
 * The time of an invocation, read once. `ctx.date.now()` is a durable step: the handler waits for Restate
 * to journal it (a round trip) before it goes on. A handler that needs the time more than once (the
 * adapter signature's age, then when a run began) reads it once, at its first need; a replay gets the
 * journaled reading, as the first attempt did. Only for handlers that do not wait on anything long.
 */
import type * as restate from "@restatedev/restate-sdk";

const readings = new WeakMap<object, Promise<number>>();

export function invocationNow(ctx: Pick<restate.Context, "date">): Promise<number> {
  let reading = readings.get(ctx);
  if (!reading) {
    reading = ctx.date.now();
    readings.set(ctx, reading);
  }
  return reading;
}

export async function invocationNowIso(ctx: Pick<restate.Context, "date">): Promise<string> {
  return new Date(await invocationNow(ctx)).toISOString();
}
