/**
 * `post_to_channel`: the built-in tool that acts. It posts a message as the bot into a channel of the
 * session's workspace, named by the model, and only after a person approved it, into a channel that person
 * is a member of (so the agent cannot reach further than the one who said yes). It posts once: the post
 * carries the call's id in its metadata, and a retry looks for it before posting. Its undo deletes the
 * message (already gone counts as undone). What the model wrote is escaped: it cannot ping or hide a link.
 */
import { setTimeout as delay } from "node:timers/promises";
import * as restate from "@restatedev/restate-sdk";
import type { WebClient } from "@slack/web-api";
import { z } from "zod";
import { defineTool } from "../agent/tools.ts";
import { escapeMrkdwn } from "./text.ts";
import {
  classifySlackFailure,
  LANDING_GRACE_MS,
  oldestSince,
  slackErrorCode,
  waitingOutLimits,
} from "./web-api.ts";
import type { WorkspaceClients } from "./workspace-clients.ts";

/** `metadata.event_type` of the messages this tool posts. */
export const TOOL_POST_EVENT = "agent_tool_post";

/** A channel as the model may name it: `#name` (Slack's rules for names) or a channel's id. */
const CHANNEL = /^(#?[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,20})$/;

const InputSchema = z.object({
  channel: z
    .string()
    .regex(CHANNEL, "must be a channel's name (#general) or id (C0123ABC)")
    .describe("The channel: its name with # (#general) or its id (C0123ABC)"),
  text: z.string().min(1).max(3000).describe("The message to post"),
});
type Input = z.infer<typeof InputSchema>;

/** Where the post landed: what its undo deletes. */
interface Posted {
  readonly channel: string;
  readonly ts: string;
}

/** A Slack call's failure as the tool reports it: Slack's answer ends the call, anything else is retried. */
async function slack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    classifySlackFailure(error, method, []);
    throw error;
  }
}

/** The channel's id: an id as given, a `#name` looked up among the channels the bot can see. */
async function channelId(client: WebClient, named: string): Promise<string> {
  const name = named.trim().replace(/^#/, "");
  if (/^[CG][A-Z0-9]+$/.test(name)) return name;
  let cursor: string | undefined;
  for (let page = 0; page < 20; page += 1) {
    const answer = await slack("conversations.list", () =>
      client.conversations.list({
        types: "public_channel,private_channel",
        exclude_archived: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      }),
    );
    const found = answer.channels?.find((c) => c.name === name);
    if (found?.id) return found.id;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  throw new restate.TerminalError(`There is no channel named #${name} that the bot can see.`);
}

async function isMember(client: WebClient, channel: string, user: string): Promise<boolean> {
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const answer = await slack("conversations.members", () =>
      client.conversations.members({ channel, limit: 200, ...(cursor ? { cursor } : {}) }),
    );
    if (answer.members?.includes(user)) return true;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) return false;
  }
  return false;
}

/**
 * Our earlier post for this call, if an earlier try made one (or the effect an undo looks for), looked for
 * only among the messages since the call's first try, so it stays a page or two also under Slack's limits.
 */
async function findPost(
  client: WebClient,
  channel: string,
  callId: string,
  since: number | null,
  signal?: AbortSignal,
): Promise<Posted | null> {
  let cursor: string | undefined;
  const waited = { ms: 0 };
  for (let page = 0; page < 50; page += 1) {
    const answer = await slack("conversations.history", () =>
      waitingOutLimits(
        () =>
          client.conversations.history({
            channel,
            include_all_metadata: true,
            ...(since === null ? {} : { oldest: oldestSince(since) }),
            limit: 200,
            ...(cursor ? { cursor } : {}),
          }),
        waited,
        signal,
      ),
    );
    for (const message of answer.messages ?? []) {
      const metadata = message.metadata as { event_type?: string; event_payload?: { call_id?: string } };
      if (
        metadata?.event_type === TOOL_POST_EVENT &&
        metadata.event_payload?.call_id === callId &&
        message.ts
      )
        return { channel, ts: message.ts };
    }
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) return null;
  }
  return null;
}

export function postToChannelTool(workspaces: WorkspaceClients) {
  return defineTool<Input>({
    name: "post_to_channel",
    description:
      "Posts a message as the bot into a channel of this Slack workspace (a person approves it first). Use it only when asked to post somewhere.",
    inputSchema: InputSchema,
    approval: {
      required: true,
      describe: ({ channel }) =>
        `Post a message in ${/^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : `#${channel.replace(/^#/, "")}`}`,
    },
    async execute(
      { channel, text },
      { origin, approvedBy, callId, signal, mayHaveRun, since },
    ): Promise<Posted> {
      if (!origin) throw new restate.TerminalError("This conversation is not a Slack thread.");
      if (!approvedBy) throw new restate.TerminalError("Posting needs a person's approval.");
      return workspaces.call(origin.team, async (client) => {
        const id = await channelId(client, channel);
        if (!(await isMember(client, id, approvedBy)))
          throw new restate.TerminalError(
            `<@${approvedBy}> approved, but is not a member of that channel: the agent posts only where the person who approved it is.`,
          );
        // Once: an earlier try of this call may have posted before it could record it, and its request may
        // still be on its way (from a process that lost its connection): it is given time to land first.
        if (mayHaveRun && since !== null)
          await delay(Math.max(0, since + LANDING_GRACE_MS - Date.now()), undefined, { signal });
        const earlier = mayHaveRun ? await findPost(client, id, callId, since, signal) : null;
        if (earlier) return earlier;
        signal.throwIfAborted();
        const posted = await slack("chat.postMessage", () =>
          client.chat.postMessage({
            channel: id,
            text: escapeMrkdwn(text),
            unfurl_links: false,
            unfurl_media: false,
            metadata: { event_type: TOOL_POST_EVENT, event_payload: { call_id: callId } },
          }),
        );
        return { channel: id, ts: posted.ts ?? "" };
      });
    },
    async undo({ channel }, { result, since }, { callId, origin }) {
      if (!origin) return "nothing_to_undo";
      return workspaces.call(origin.team, async (client) => {
        const posted =
          (result as Posted | null) ??
          (await findPost(client, await channelId(client, channel), callId, since));
        if (!posted?.ts) return "nothing_to_undo";
        try {
          await client.chat.delete({ channel: posted.channel, ts: posted.ts });
          return "undone";
        } catch (error) {
          if (slackErrorCode(error) === "message_not_found") return "nothing_to_undo";
          classifySlackFailure(error, "chat.delete", []);
          throw error;
        }
      });
    },
  });
}
