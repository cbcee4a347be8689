/**
 * The LLM agent's tool for reading its Slack thread: the earlier messages of the thread its session
 * belongs to (people's and the bot's), oldest first, so the model can refer to what was said before it
 * was mentioned. It reads only the thread the session recorded as its origin (the adapter said so, signed),
 * never a place parsed from the session's key, which any caller may choose.
 */
import { z } from "zod";
import { defineTool } from "../agent/tools.ts";
import { waitingOutLimits } from "./web-api.ts";
import type { WorkspaceClients } from "./workspace-clients.ts";

/** What the model reads when the thread has more messages than one call returned. */
const PARTIAL_THREAD_NOTE = (read: number) =>
  `[Only ${read} messages from the start of this thread were read: Slack returned no more in one call (apps outside the Slack Marketplace get 15 messages a call, one call a minute). Later messages are missing here.]`;

export function readThreadTool(workspaces: WorkspaceClients) {
  return defineTool({
    name: "read_thread",
    description:
      "Reads the messages of the Slack thread this conversation happens in (oldest first), including messages written before the bot was mentioned.",
    inputSchema: z.object({
      limit: z
        .number()
        .int()
        .min(1)
        .max(200)
        .optional()
        .describe("How many of the latest messages (default 50)"),
    }),
    execute: async ({ limit }, { origin, signal }) => {
      if (!origin) throw new Error("This conversation is not a Slack thread.");
      const { channel, threadTs } = origin;
      signal.throwIfAborted();
      const response = await workspaces.call(origin.team, (client) =>
        waitingOutLimits(
          () => client.conversations.replies({ channel, ts: threadTs, limit: 200 }),
          { ms: 0 },
          signal,
        ),
      );
      const messages = (response.messages ?? []).slice(-(limit ?? 50)).map((message) => ({
        ts: message.ts,
        from: message.bot_id ? "bot" : message.user ? `<@${message.user}>` : "unknown",
        text: message.text ?? "",
      }));
      // One page, read once: apps outside the Marketplace get 15 messages a call and a call a minute, so
      // a long thread is not paged through; the model is told what it did not get.
      if (response.has_more)
        messages.push({ ts: undefined, from: "note", text: PARTIAL_THREAD_NOTE(messages.length) });
      return messages;
    },
  });
}
