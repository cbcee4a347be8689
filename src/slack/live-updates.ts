/**
 * Live messages: while a model streams an iteration, its words appear in the thread by `chat.update` of
 * the iteration's message. This runs inside the model's durable step, so it is best effort by design:
 * nothing here is journaled, an update that fails is skipped, and only the iteration's final text (posted
 * durably by SlackChannel) counts. Each update first reserves a slot at its workspace's SlackWorkspace (the
 * one pace for `chat.update` there), then sends the newest text; text that grows while it waits goes out
 * with the next slot, so a fast model costs no more calls than the pace allows. When the iteration ends
 * while an update waits for its slot, the slot is given back at once: the final text, which replaces
 * whatever the live update would have shown, then need not wait behind it.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { WebClient } from "@slack/web-api";
import type { LiveOutput } from "../agent/agent.ts";
import type { Logger } from "../logger.ts";
import type { LiveMessage } from "../restate/session-effects.ts";
import type { SessionOrigin } from "../restate/session-state.ts";
import { renderLive } from "./output-message.ts";
import { rateLimitWaitMs } from "./web-api.ts";

/** How long an ended live message ignores late words. */
const CLOSED_KEPT_MS = 60_000;

interface Stream {
  readonly origin: SessionOrigin;
  readonly ts: string;
  text: string;
  shown: string;
  /** No more updates (the iteration has its result, or gave up). */
  closed: boolean;
  /** Aborted when the stream closes: ends the wait for a slot. */
  readonly closing: AbortController;
  pumping: boolean;
}

export interface LiveUpdater {
  show(origin: SessionOrigin, message: LiveMessage, output: LiveOutput): void;
  end(origin: SessionOrigin, message: LiveMessage, outcome: "done" | "failed" | "interrupted"): void;
}

export function createLiveUpdater(options: {
  client: WebClient;
  /** Reserves the workspace's next `chat.update` slot; resolves to its time (epoch ms). */
  reserve: (team: string) => Promise<number>;
  /** Gives back a reserved slot that will not be used. */
  release: (team: string, slot: number) => Promise<void>;
  logger: Logger;
}): LiveUpdater {
  const { client, logger } = options;
  const streams = new Map<string, Stream>();

  async function update(stream: Stream, text: string, state: "growing" | "interrupted"): Promise<boolean> {
    const slot = await options.reserve(stream.origin.team);
    const wait = slot - Date.now();
    if (state === "growing") {
      if (wait > 0) await delay(wait, undefined, { signal: stream.closing.signal }).catch(() => {});
      if (stream.closed) {
        options
          .release(stream.origin.team, slot)
          .catch((error: unknown) => logger.debug(`Could not give back a slot: ${(error as Error).message}`));
        return false;
      }
    } else if (wait > 0) await delay(wait);
    const rendered = renderLive(text, state);
    try {
      await client.chat.update({
        channel: stream.origin.channel,
        ts: stream.ts,
        text: rendered.text,
        ...(rendered.blocks ? { blocks: rendered.blocks } : {}),
      });
      return true;
    } catch (error) {
      const limitedFor = rateLimitWaitMs(error);
      if (limitedFor !== undefined) {
        await delay(limitedFor);
        return true;
      }
      const e = error as { message?: string };
      logger.debug(
        `Live update of ${stream.ts} failed (${e.message ?? String(error)}); no more live updates`,
      );
      return false;
    }
  }

  async function pump(stream: Stream): Promise<void> {
    stream.pumping = true;
    try {
      while (!stream.closed && stream.text !== stream.shown) {
        const text = stream.text;
        if (!(await update(stream, text, "growing"))) break;
        stream.shown = text;
      }
    } catch (error) {
      logger.debug(`Live updates of ${stream.ts} stopped: ${(error as Error).message}`);
    } finally {
      stream.pumping = false;
    }
  }

  function streamOf(origin: SessionOrigin, message: LiveMessage): Stream {
    let stream = streams.get(message.ts);
    if (!stream) {
      stream = {
        origin,
        ts: message.ts,
        text: "",
        shown: "",
        closed: false,
        closing: new AbortController(),
        pumping: false,
      };
      streams.set(message.ts, stream);
    }
    return stream;
  }

  return {
    show(origin, message, output) {
      const stream = streamOf(origin, message);
      if (stream.closed) return;
      stream.text = output.text;
      if (!stream.pumping) void pump(stream);
    },
    end(origin, message, outcome) {
      const stream = streamOf(origin, message);
      if (stream.closed) return;
      stream.closed = true;
      stream.closing.abort();
      // Kept a while as closed: an interrupted step still streams until its attempt's signal aborts the
      // request, and its late words must not reopen the message after it was marked interrupted.
      setTimeout(() => streams.delete(message.ts), CLOSED_KEPT_MS).unref();
      if (outcome === "interrupted") {
        update(stream, stream.text, "interrupted").catch((error: unknown) =>
          logger.debug(`Could not mark ${stream.ts} interrupted: ${(error as Error).message}`),
        );
      }
    },
  };
}
