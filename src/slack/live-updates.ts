/**
 * Live messages: while a model streams an iteration, the text it has streamed so far appears in the
 * iteration's live message by `chat.update`. This runs inside the model's durable step, so it is best effort:
 * nothing here is journaled, a failed update is skipped, and only the iteration's final text (posted durably
 * by SlackChannel) counts. Each update is paced by its workspace's SlackWorkspace (signed calls, with
 * slots at most a few intervals ahead); text that grows while an update waits goes out with the next slot.
 * Must not touch Restate state or anything a run depends on.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as clients from "@restatedev/restate-sdk-clients";
import type { StreamedText } from "../agent/agent.ts";
import type { Logger } from "../logger.ts";
import type { LiveMessage } from "../restate/session-effects.ts";
import type { SessionOrigin } from "../restate/session-state.ts";
import { connectIngress } from "../runtime/ingress.ts";
import { SLACK_WORKSPACE, SlackWorkspaceRef } from "./durable/slack-objects.ts";
import type { LiveSlot } from "./durable/slack-workspace.ts";
import { renderLiveMessage } from "./output-message.ts";
import { signedInput } from "./signed-calls.ts";
import { rateLimitWaitMs } from "./web-api.ts";
import type { WorkspaceClients } from "./workspace-clients.ts";

const NOTHING_YET: StreamedText = { text: "" };

/** How long an ended live message ignores late words. */
const CLOSED_KEPT_MS = 60_000;

/** One live message as this process updates it: what was streamed so far (text, tool calls) and what it shows. */
interface Updating {
  readonly origin: SessionOrigin;
  readonly ts: string;
  streamed: StreamedText;
  shown: StreamedText;
  /** No more updates (the iteration has its result, or gave up). */
  closed: boolean;
  /** Aborted when the message closes: ends the wait for a slot. */
  readonly closing: AbortController;
  pumping: boolean;
}

export interface LiveMessageUpdater {
  show(origin: SessionOrigin, message: LiveMessage, streamed: StreamedText): void;
  end(origin: SessionOrigin, message: LiveMessage, outcome: "done" | "failed" | "interrupted"): void;
}

export function createLiveMessageUpdater(options: {
  slack: WorkspaceClients;
  /** Our own Restate ingress (one URL, or a cluster's nodes). */
  ingressUrls: readonly string[];
  /** Signs the calls to SlackWorkspace, which accepts them from nobody else. */
  adapterKey: string;
  logger: Logger;
}): LiveMessageUpdater {
  const { slack, logger } = options;
  // The one place the process calls its own ingress: updates run inside the model's step (the closure of a
  // `ctx.run`), where no Restate context may be used, so they reach the workspace's pace as any outside
  // caller would. Durable code (SlackChannel) calls the same SlackWorkspace handlers through its context.
  const ingress = connectIngress(options.ingressUrls);
  const workspace = (team: string) => ingress.objectClient(SlackWorkspaceRef, team);
  const signed = <I>(team: string, handler: string, input: I | undefined) =>
    clients.rpc.opts<I, never>(
      signedInput(options.adapterKey, { service: SLACK_WORKSPACE, handler, key: team }, input),
    );
  const reserveOnce = async (team: string): Promise<LiveSlot> =>
    workspace(team).reserve_live_update(signed(team, "reserve_live_update", undefined));
  const release = async (team: string, slot: number) =>
    workspace(team).release_update({ slot }, signed(team, "release_update", { slot }));

  /** A slot for the update; while the workspace's slots are taken further ahead than allowed, asks again later. */
  async function reserve(live: Updating, abortable: boolean): Promise<number | null> {
    for (;;) {
      const answer = await reserveOnce(live.origin.team);
      if (answer.slot !== null) return answer.slot;
      const wait = answer.retryAt - Date.now();
      if (wait > 0)
        await delay(wait, undefined, abortable ? { signal: live.closing.signal } : {}).catch(() => {});
      if (abortable && live.closed) return null;
    }
  }
  const updating = new Map<string, Updating>();

  async function update(
    live: Updating,
    streamed: StreamedText,
    state: "growing" | "interrupted",
  ): Promise<boolean> {
    const slot = await reserve(live, state === "growing");
    if (slot === null) return false;
    const wait = slot - Date.now();
    if (state === "growing") {
      if (wait > 0) await delay(wait, undefined, { signal: live.closing.signal }).catch(() => {});
      if (live.closed) {
        // Overtaken by the final text, which replaces whatever this would have shown: its slot goes back,
        // so the final text need not wait behind it.
        release(live.origin.team, slot).catch((error: unknown) =>
          logger.debug(`Could not give back a slot: ${(error as Error).message}`),
        );
        return false;
      }
    } else if (wait > 0) await delay(wait);
    const rendered = renderLiveMessage(streamed.text, state, streamed.tasks);
    try {
      await slack.call(live.origin.team, (client) =>
        client.chat.update({
          channel: live.origin.channel,
          ts: live.ts,
          text: rendered.text,
          ...(rendered.blocks ? { blocks: rendered.blocks } : {}),
        }),
      );
      return true;
    } catch (error) {
      const limitedFor = rateLimitWaitMs(error);
      if (limitedFor !== undefined) {
        await delay(limitedFor);
        return true;
      }
      logger.debug(
        `Live update of ${live.ts} failed (${(error as { message?: string }).message ?? String(error)}); no more live updates`,
      );
      return false;
    }
  }

  async function pump(live: Updating): Promise<void> {
    live.pumping = true;
    try {
      while (!live.closed && live.streamed !== live.shown) {
        const streamed = live.streamed;
        if (!(await update(live, streamed, "growing"))) break;
        live.shown = streamed;
      }
    } catch (error) {
      logger.debug(`Live updates of ${live.ts} stopped: ${(error as Error).message}`);
    } finally {
      live.pumping = false;
    }
  }

  function updatingOf(origin: SessionOrigin, message: LiveMessage): Updating {
    let live = updating.get(message.ts);
    if (!live) {
      live = {
        origin,
        ts: message.ts,
        streamed: NOTHING_YET,
        shown: NOTHING_YET,
        closed: false,
        closing: new AbortController(),
        pumping: false,
      };
      updating.set(message.ts, live);
    }
    return live;
  }

  return {
    show(origin, message, streamed) {
      const live = updatingOf(origin, message);
      if (live.closed) return;
      live.streamed = streamed;
      if (!live.pumping) void pump(live);
    },
    end(origin, message, outcome) {
      const live = updatingOf(origin, message);
      if (live.closed) return;
      live.closed = true;
      live.closing.abort();
      // Kept a while as closed: an interrupted step still streams until its attempt's signal aborts the
      // request, and its late words must not reopen the message after it was marked interrupted.
      setTimeout(() => updating.delete(message.ts), CLOSED_KEPT_MS).unref();
      if (outcome === "interrupted") {
        update(live, live.streamed, "interrupted").catch((error: unknown) =>
          logger.debug(`Could not mark ${live.ts} interrupted: ${(error as Error).message}`),
        );
      }
    },
  };
}
