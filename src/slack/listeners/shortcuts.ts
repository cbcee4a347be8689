/**
 * The message shortcut "Agent mode" (callback `agentmode_thread`) and its modal: the way to set a
 * thread's mode from inside the thread (Slack does not run slash commands there). The modal names its
 * thread in `private_metadata`; a submission is taken only for a thread of this workspace that the metadata
 * names consistently, and anything else is answered as an error in the modal, never as an error to Slack.
 */
import type { App } from "@slack/bolt";
import { parseSessionKey, toSessionKey } from "../../restate/keys.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import {
  buildModeModal,
  buildNoticeModal,
  MODAL_CALLBACK,
  MODAL_MODE_ACTION,
  MODAL_MODE_BLOCK,
  modeFromOption,
  parseModalMetadata,
} from "../views/agentmode-views.ts";
import { threadModeConfirmation } from "../views/confirmations.ts";
import { botOf, type ListenerDeps } from "./deps.ts";
import { servesTeam, teamOf } from "./this-workspace.ts";

export const SHORTCUT_CALLBACK = "agentmode_thread";

export function registerShortcutListeners(app: App, deps: ListenerDeps): void {
  const { sessions, logger } = deps;

  app.shortcut(SHORTCUT_CALLBACK, async ({ shortcut, ack, client, context }) => {
    await ack();
    if (shortcut.type !== "message_action") return;
    const bot = botOf(context);
    if (!servesTeam(bot, teamOf(shortcut))) {
      await client.views.open({
        trigger_id: shortcut.trigger_id,
        view: buildNoticeModal("Agent mode", "This app does not serve your workspace."),
      });
      return;
    }
    const channel = shortcut.channel.id;
    const threadTs = shortcut.message.thread_ts ?? shortcut.message.ts;
    const key = toSessionKey(bot.teamId, channel, threadTs);
    const status = await sessions.status(key);
    const view = status.exists
      ? buildModeModal({ key, channel, threadTs }, status)
      : buildNoticeModal(
          "Agent mode",
          "This thread has no agent session yet. Mention the agent in it to start one.",
        );
    await client.views.open({ trigger_id: shortcut.trigger_id, view });
  });

  app.view(MODAL_CALLBACK, async ({ ack, view, body, client, context }) => {
    const metadata = parseModalMetadata(view.private_metadata);
    const place = metadata ? parseSessionKey(metadata.key) : null;
    const bot = botOf(context);
    if (
      !metadata ||
      !place ||
      !servesTeam(bot, teamOf(body)) ||
      place.team !== bot.teamId ||
      place.channel !== metadata.channel ||
      place.threadTs !== metadata.threadTs
    ) {
      logger.info({ user: body.user.id }, "Refused a mode modal that names no thread of this workspace");
      await ack({
        response_action: "errors",
        errors: {
          [MODAL_MODE_BLOCK]: "This dialog names no thread of this workspace; open it again from the thread.",
        },
      });
      return;
    }
    const choice = view.state.values[MODAL_MODE_BLOCK]?.[MODAL_MODE_ACTION]?.selected_option?.value;
    const mode = modeFromOption(choice ?? undefined);
    if (mode === undefined) {
      await ack({ response_action: "errors", errors: { [MODAL_MODE_BLOCK]: "Choose a mode." } });
      return;
    }
    try {
      await sessions.setMode(metadata.key, mode, body.user.id);
    } catch (error) {
      if (!isRefusal(error)) logger.warn({ err: error }, "Setting a thread's mode from the modal failed");
      await ack({ response_action: "errors", errors: { [MODAL_MODE_BLOCK]: refusalMessage(error) } });
      return;
    }
    await ack();
    await client.chat
      .postEphemeral({
        channel: metadata.channel,
        user: body.user.id,
        thread_ts: metadata.threadTs,
        text: threadModeConfirmation(mode, "this"),
      })
      .catch((error: unknown) => logger.warn({ err: error }, "Could not confirm the mode in the thread"));
  });
}
