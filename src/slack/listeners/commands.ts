/**
 * `/agentmode`: the channel's default and sessions, the channel default, or one thread's mode by link.
 * Every answer is an ephemeral message, sent with the acknowledgement (within Slack's 3 seconds); a thread
 * link must point into this channel (nobody steers a conversation they cannot see) and this workspace.
 */
import type { App, RespondArguments } from "@slack/bolt";
import type { SessionStatus } from "../../restate/chat-service.ts";
import { toChannelKey, toSessionKey } from "../../restate/keys.ts";
import { AGENTMODE_USAGE, parseAgentModeCommand } from "../agentmode-command.ts";
import type { BotIdentity } from "../incoming-message.ts";
import { isRefusal, refusalMessage, startDeadline } from "../sessions-client.ts";
import { buildChannelListing } from "../views/agentmode-views.ts";
import { channelModeConfirmation, threadModeConfirmation } from "../views/confirmations.ts";
import { botOf, type ListenerDeps } from "./deps.ts";

/** Sessions whose status a listing reads (the newest of the channel). */
const LISTED_SESSIONS = 10;

const ephemeral = (text: string): RespondArguments => ({ response_type: "ephemeral", text });

/** The listing of a channel, as an ephemeral message (also used to refresh it after a control is used). */
export async function channelListing(
  deps: ListenerDeps,
  bot: BotIdentity,
  channel: string,
): Promise<RespondArguments> {
  // The overview, then the sessions' statuses: one deadline for both, as Slack waits 3 s for the whole.
  const deadline = startDeadline();
  const overview = await deps.sessions.channelOverview(toChannelKey(bot.teamId, channel), deadline);
  const statuses: SessionStatus[] = await Promise.all(
    overview.sessions.slice(0, LISTED_SESSIONS).map((key) => deps.sessions.status(key, deadline)),
  );
  return {
    response_type: "ephemeral",
    text: "Agent mode in this channel",
    blocks: buildChannelListing({
      channelMode: overview.mode,
      defaultMode: deps.defaultMode,
      sessions: statuses,
    }),
  };
}

export function registerCommandListeners(app: App, deps: ListenerDeps): void {
  const { sessions } = deps;

  app.command("/agentmode", async ({ command, ack, context }) => {
    const bot = botOf(context);
    const workspaceHost = new URL(bot.url).host;
    const parsed = parseAgentModeCommand(command.text ?? "");
    try {
      switch (parsed.kind) {
        case "help":
          await ack(await channelListing(deps, bot, command.channel_id));
          return;
        case "channel":
          await sessions.setChannelMode(toChannelKey(bot.teamId, command.channel_id), parsed.mode);
          await ack(ephemeral(channelModeConfirmation(parsed.mode, deps.defaultMode)));
          return;
        case "thread": {
          const { link } = parsed;
          if (link.host !== workspaceHost) {
            await ack(
              ephemeral(`That link is not to this workspace (${workspaceHost}).\n${AGENTMODE_USAGE}`),
            );
            return;
          }
          if (link.channel !== command.channel_id) {
            await ack(
              ephemeral(
                `That thread is in another channel: use the command in <#${link.channel}>.\n${AGENTMODE_USAGE}`,
              ),
            );
            return;
          }
          await sessions.setMode(
            toSessionKey(bot.teamId, link.channel, link.threadTs),
            parsed.mode,
            command.user_id,
          );
          await ack(ephemeral(threadModeConfirmation(parsed.mode, "that")));
          return;
        }
        case "error":
          await ack(ephemeral(`${parsed.message}\n${AGENTMODE_USAGE}`));
          return;
      }
    } catch (error) {
      deps.logger.warn({ err: error }, "/agentmode failed");
      await ack(
        ephemeral(
          isRefusal(error)
            ? `${refusalMessage(error)}\n${AGENTMODE_USAGE}`
            : `Sorry: ${refusalMessage(error)}.`,
        ),
      );
    }
  });
}
