/**
 * SlackChannel: one virtual object per Slack channel that posts agents' outputs into their threads at
 * Slack's pace (about one post a second per channel), from a durable outbox whose rules live in outbox.ts.
 * Exactly once: a post that may have reached Slack before a crash is found on retry by the `post_id` in its
 * metadata, looked up only when an earlier attempt got as far as the post (`postOnce`). A post Slack refuses
 * for good ends the runs it carried as failed. What to post and when is the outbox's to say, not this file's.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as restate from "@restatedev/restate-sdk";
import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { ChatServiceRef } from "../../restate/contracts.ts";
import { parseChannelKey, teamOfKey } from "../../restate/keys.ts";
import type { LiveMessage, RunOutput } from "../../restate/session-effects.ts";
import {
  addOutput,
  type ChannelPosting,
  discardRuns,
  IDLE_POSTING,
  isDiscarded,
  mayPostAtOnce,
  nextPost,
  runsOf,
  slotIsFree,
} from "../outbox.ts";
import { LIVE_PLACEHOLDER, renderLiveMessage, textOnly } from "../output-message.ts";
import { AGENT_OUTPUT_EVENT, type AgentOutputPayload } from "../post-metadata.ts";
import {
  classifySlackFailure,
  LANDING_GRACE_MS,
  mayHaveLanded,
  oldestSince,
  rateLimitWaitMs,
  slackStep,
  waitingOutLimits,
} from "../web-api.ts";
import type { WorkspaceClients } from "../workspace-clients.ts";
import { SLACK_CHANNEL, SlackChannelRef, SlackWorkspaceRef } from "./slack-objects.ts";

type ChannelState = { posting: ChannelPosting };
type ChannelContext = restate.ObjectContext<ChannelState>;

type PostResult =
  | { kind: "posted"; ts: string | null; at: number }
  | { kind: "rate-limited"; retryAfterMs: number; at: number };

async function findOwnPost(
  client: WebClient,
  channel: string,
  threadTs: string,
  postId: string,
  notBefore: number,
  signal: AbortSignal,
): Promise<string | null> {
  let cursor: string | undefined;
  const waited = { ms: 0 };
  for (let page = 0; page < 50; page += 1) {
    const response = await waitingOutLimits(
      () =>
        client.conversations.replies({
          channel,
          ts: threadTs,
          include_all_metadata: true,
          oldest: oldestSince(notBefore),
          limit: 200,
          ...(cursor ? { cursor } : {}),
        }),
      waited,
      signal,
    );
    for (const message of response.messages ?? []) {
      const metadata = message.metadata as
        | { event_type?: string; event_payload?: { post_id?: string } }
        | undefined;
      if (
        metadata?.event_type === AGENT_OUTPUT_EVENT &&
        metadata.event_payload?.post_id === postId &&
        message.ts
      ) {
        return message.ts;
      }
    }
    cursor = response.response_metadata?.next_cursor || undefined;
    if (!cursor) return null;
  }
  return null;
}

export function createSlackChannel(options: {
  slack: WorkspaceClients;
  postIntervalMs: number;
  journalRetentionMs: number;
}) {
  const { slack, postIntervalMs } = options;

  /**
   * Posts `text` into the thread once, even across crashes and retries. Returns the message's ts and when
   * Slack had it (the pace counts from there), both journaled with the step.
   *
   * Each try is a marker step and a post step. If the marker runs (rather than being replayed), no earlier
   * attempt got as far as this post, so it posts at once. Otherwise an earlier attempt may have posted:
   * possibly with its request still on its way to Slack, so the retry first gives it `LANDING_GRACE_MS`
   * from when it was sent, then looks for its `post_id` in the thread. A 429 means nothing landed: it is a
   * journaled answer, followed by a durable sleep for its Retry-After and a fresh try.
   */
  async function postOnce(
    ctx: ChannelContext,
    post: {
      channel: string;
      threadTs: string;
      text: string;
      blocks?: KnownBlock[] | undefined;
      payload: AgentOutputPayload;
      now: number;
    },
  ): Promise<{ ts: string | null; at: number }> {
    const id = post.payload.post_id;
    let sentAt = post.now;
    for (let attempt = 1; ; attempt += 1) {
      let firstToPost = false;
      await ctx.run(`about to post ${id} (${attempt})`, () => {
        firstToPost = true;
      });
      const notBefore = sentAt;
      // An attempt whose connection to Restate is gone (restate-server died) keeps running its closure while
      // Restate starts a new attempt: it must not post alongside the new one. Its end aborts this signal.
      const attemptOver = ctx.request().attemptCompletedSignal;
      const result = await ctx.run(
        `post ${id} (${attempt})`,
        (): Promise<PostResult> =>
          slack.call(teamOfKey(ctx.key), async (client) => {
            if (!firstToPost) {
              await delay(Math.max(0, notBefore + LANDING_GRACE_MS - Date.now()), undefined, {
                signal: attemptOver,
              });
              const found = await findOwnPost(
                client,
                post.channel,
                post.threadTs,
                id,
                notBefore,
                attemptOver,
              );
              if (found) return { kind: "posted", ts: found, at: Date.now() };
            }
            attemptOver.throwIfAborted();
            try {
              const response = await client.chat.postMessage({
                channel: post.channel,
                thread_ts: post.threadTs,
                text: post.text,
                ...(post.blocks ? { blocks: post.blocks } : {}),
                unfurl_links: false,
                unfurl_media: false,
                metadata: {
                  event_type: AGENT_OUTPUT_EVENT,
                  event_payload: { ...post.payload, parts: post.payload.parts.map((part) => ({ ...part })) },
                },
              });
              return { kind: "posted", ts: response.ts ?? null, at: Date.now() };
            } catch (error) {
              const wait = rateLimitWaitMs(error);
              if (wait !== undefined) return { kind: "rate-limited", retryAfterMs: wait, at: Date.now() };
              // A network failure, a timeout or a 5xx may have posted all the same: the next try looks first.
              if (mayHaveLanded(error)) firstToPost = false;
              classifySlackFailure(error, "chat.postMessage", []);
              throw error;
            }
          }),
        { initialRetryInterval: 200, maxRetryInterval: 30_000 },
      );
      if (result.kind === "posted") return result;
      ctx.console.info(`Slack asked to wait ${result.retryAfterMs} ms before posting into ${post.channel}`);
      await ctx.sleep(result.retryAfterMs);
      sentAt = result.at + result.retryAfterMs;
    }
  }

  /**
   * Posts what the outbox says is next and returns the state after it (the rest of the outbox, and the next
   * slot). A post Slack refuses for good ends the runs whose output it carried as failed.
   */
  async function postNext(ctx: ChannelContext, state: ChannelPosting, now: number): Promise<ChannelPosting> {
    // A new block id for the feedback buttons of every message (Slack keeps a click's state by block id).
    const next = nextPost(state.outbox, `feedback-${ctx.rand.uuidv4()}`);
    if (!next) return state;
    const { group } = next;
    const { team, channel } = parseChannelKey(ctx.key);
    /** Posts (or, for a live message, updates) the message; the next slot counts from when Slack had it. */
    const send = async (message: { text: string; blocks?: KnownBlock[] | undefined }): Promise<number> => {
      if (group.updateTs && (await updateOnce(ctx, team, channel, group.updateTs, message))) {
        return Math.max(state.nextSlotAt, now);
      }
      const payload: AgentOutputPayload = {
        post_id: ctx.rand.uuidv4(),
        session_key: group.sessionKey,
        parts: group.parts.map((part) => ({
          run_id: part.runId,
          iteration: part.iteration,
          continued: part.continued === true,
          final: part.final === true,
        })),
      };
      const posted = await postOnce(ctx, { channel, threadTs: group.threadTs, ...message, payload, now });
      return posted.at + postIntervalMs;
    };
    try {
      let nextSlotAt: number;
      try {
        nextSlotAt = await send(next.message);
      } catch (error) {
        // Blocks Slack refuses (a block type newer than a workspace knows, say): the text alone, rather
        // than no answer at all. Nothing was posted: `invalid_blocks` is an answer, not a lost request.
        if (!(error instanceof restate.TerminalError && /invalid_blocks/.test(error.message))) throw error;
        ctx.console.warn(
          `Slack refused the blocks of a message in ${team}:${channel}; sending its text alone`,
        );
        nextSlotAt = await send(textOnly(next.message));
      }
      return { ...state, outbox: next.posted, nextSlotAt };
    } catch (error) {
      if (!(error instanceof restate.TerminalError)) throw error;
      ctx.console.warn(`Could not post into ${team}:${channel} thread ${group.threadTs}: ${error.message}`);
      for (const runId of runsOf(group)) {
        ctx
          .objectSendClient(ChatServiceRef, group.sessionKey)
          .fail_run({ runId, reason: `its reply could not be posted (${error.message})` });
      }
      return { ...state, outbox: next.refused, nextSlotAt: now + postIntervalMs };
    }
  }

  /**
   * Posts one message of its own (not from the outbox) when the channel's pace allows, once (`postOnce`),
   * and moves the pace on from when Slack had it. Returns its ts.
   */
  async function postAtPace(
    ctx: ChannelContext,
    state: ChannelPosting,
    post: { threadTs: string; text: string; blocks?: KnownBlock[] | undefined; payload: AgentOutputPayload },
  ): Promise<string | null> {
    const now = await ctx.date.now();
    if (state.nextSlotAt > now) await ctx.sleep(state.nextSlotAt - now);
    const { channel } = parseChannelKey(ctx.key);
    const posted = await postOnce(ctx, { channel, ...post, now: Math.max(now, state.nextSlotAt) });
    ctx.set("posting", {
      ...((await ctx.get("posting")) ?? IDLE_POSTING),
      nextSlotAt: posted.at + postIntervalMs,
    });
    return posted.ts;
  }

  /** Schedules the next flush when outputs still wait, at the time the pace allows. */
  function flushLater(ctx: ChannelContext, state: ChannelPosting, now: number): ChannelPosting {
    if (state.outbox.length === 0) return state;
    ctx
      .objectSendClient(SlackChannelRef, ctx.key)
      .flush(restate.rpc.sendOpts({ delay: Math.max(0, state.nextSlotAt - now) }));
    return { ...state, flushScheduled: true };
  }

  /**
   * Replaces a live message with an iteration's final text, at the workspace's pace for `chat.update`.
   * Updating is idempotent, so a retry just updates again. False when the message is gone (deleted by
   * someone): the text is then posted as a new message instead.
   */
  async function updateOnce(
    ctx: ChannelContext,
    team: string,
    channel: string,
    ts: string,
    rendered: { text: string; blocks?: KnownBlock[] | undefined },
  ): Promise<boolean> {
    const slot = await ctx.objectClient(SlackWorkspaceRef, team).reserve_update();
    const now = await ctx.date.now();
    if (slot > now) await ctx.sleep(slot - now);
    try {
      await slackStep(ctx, `update ${ts}`, "chat.update", () =>
        slack.call(team, (client) =>
          client.chat
            .update({
              channel,
              ts,
              text: rendered.text,
              ...(rendered.blocks ? { blocks: rendered.blocks } : {}),
            })
            .then(() => true),
        ),
      );
      return true;
    } catch (error) {
      if (
        error instanceof restate.TerminalError &&
        /message_not_found|cant_update_message/.test(error.message)
      ) {
        ctx.console.warn(`Live message ${ts} in ${channel} is gone; posting the answer as a new message`);
        return false;
      }
      throw error;
    }
  }

  return restate.object({
    name: SLACK_CHANNEL,
    description:
      "Posts agent outputs into a channel's threads at Slack's pace, coalescing when they come fast.",
    options: { journalRetention: options.journalRetentionMs, ingressPrivate: true },
    handlers: {
      /**
       * An output to post. When nothing waits and the channel's pace allows, it is posted right here;
       * otherwise it joins the outbox (with earlier outputs of its thread, to go out as one message).
       */
      enqueue: async (ctx: ChannelContext, output: RunOutput): Promise<void> => {
        const added = addOutput((await ctx.get("posting")) ?? IDLE_POSTING, output);
        if ("dropped" in added) {
          if (added.dropped === "stopped run")
            ctx.console.debug(`Dropping output of stopped run ${output.runId}`);
          return;
        }
        let { state } = added;
        if (!state.flushScheduled) {
          const now = await ctx.date.now();
          if (mayPostAtOnce(state, now)) state = await postNext(ctx, state, now);
          state = flushLater(ctx, state, now);
        }
        ctx.set("posting", state);
      },

      /**
       * Posts the message an iteration of a streaming agent shows itself in (at the channel's pace, once
       * even across retries, like every post) and returns it; null for a run that was stopped already.
       */
      open_live: async (
        ctx: ChannelContext,
        at: { sessionKey: string; threadTs: string; runId: string; iteration: number },
      ): Promise<LiveMessage | null> => {
        const state = (await ctx.get("posting")) ?? IDLE_POSTING;
        if (isDiscarded(state, at.runId)) return null;
        const placeholder = renderLiveMessage("", "growing");
        const ts = await postAtPace(ctx, state, {
          threadTs: at.threadTs,
          text: LIVE_PLACEHOLDER,
          blocks: placeholder.blocks,
          payload: {
            post_id: ctx.rand.uuidv4(),
            session_key: at.sessionKey,
            parts: [{ run_id: at.runId, iteration: at.iteration, continued: false }],
          },
        });
        return ts ? { ts } : null;
      },

      /**
       * Posts a notice into a thread (an approval card, an undo note) at the channel's pace, once even
       * across retries, like every post; returns its ts (null when Slack refused it for good: logged).
       */
      post_notice: async (
        ctx: ChannelContext,
        notice: {
          sessionKey: string;
          threadTs: string;
          noticeId: string;
          text: string;
          blocks: KnownBlock[];
        },
      ): Promise<{ ts: string | null }> => {
        try {
          const ts = await postAtPace(ctx, (await ctx.get("posting")) ?? IDLE_POSTING, {
            threadTs: notice.threadTs,
            text: notice.text,
            blocks: notice.blocks,
            payload: { post_id: notice.noticeId, session_key: notice.sessionKey, parts: [] },
          });
          return { ts };
        } catch (error) {
          if (!(error instanceof restate.TerminalError)) throw error;
          ctx.console.warn(`Could not post notice ${notice.noticeId} into ${ctx.key}: ${error.message}`);
          return { ts: null };
        }
      },

      discard: async (ctx: ChannelContext, { runIds }: { runIds: string[] }): Promise<void> => {
        ctx.set("posting", discardRuns((await ctx.get("posting")) ?? IDLE_POSTING, runIds));
      },

      flush: async (ctx: ChannelContext): Promise<void> => {
        let state: ChannelPosting = {
          ...((await ctx.get("posting")) ?? IDLE_POSTING),
          flushScheduled: false,
        };
        if (state.outbox.length > 0) {
          const now = await ctx.date.now();
          if (slotIsFree(state, now)) state = await postNext(ctx, state, now);
          state = flushLater(ctx, state, now);
        }
        ctx.set("posting", state);
      },
    },
  });
}

export type SlackChannel = ReturnType<typeof createSlackChannel>;
