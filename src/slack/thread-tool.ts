/**
 * The LLM agent's tool for reading its Slack thread: the earlier messages of the thread its session
 * belongs to (people's and the bot's), oldest first, so the model can refer to what was said before it
 * was mentioned. It reads only the thread the session recorded as its origin (the adapter said so, signed),
 * never a place parsed from the session's key, which any caller may choose.
 */
import { z } from "zod";
import { defineTool } from "../agent/tools.ts";
import type { WorkspaceClients } from "./workspace-clients.ts";

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
        client.conversations.replies({ channel, ts: threadTs, limit: 200 }),
      );
      const messages = (response.messages ?? []).slice(-(limit ?? 50));
      return messages.map((message) => ({
        ts: message.ts,
        from: message.bot_id ? "bot" : message.user ? `<@${message.user}>` : "unknown",
        text: message.text ?? "",
      }));
    },
  });
}
