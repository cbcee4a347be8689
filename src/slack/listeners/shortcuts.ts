/**
 * The message shortcut "Agent mode" (callback `agentmode_thread`) and its modal: the way to set a
 * thread's mode from inside the thread (Slack does not run slash commands there).
 */
import type { App } from "@slack/bolt";
import { toSessionKey } from "../../restate/keys.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import {
  buildModeModal,
  buildNoticeModal,
  MODAL_CALLBACK,
  MODAL_MODE_ACTION,
  MODAL_MODE_BLOCK,
  type ModalMetadata,
  modeFromOption,
} from "../views/agentmode-views.ts";
import { threadModeConfirmation } from "../views/confirmations.ts";
import type { ListenerDeps } from "./deps.ts";

export const SHORTCUT_CALLBACK = "agentmode_thread";

export function registerShortcutListeners(app: App, deps: ListenerDeps): void {
  const { sessions, bot, logger } = deps;

  app.shortcut(SHORTCUT_CALLBACK, async ({ shortcut, ack, client }) => {
    await ack();
    if (shortcut.type !== "message_action") return;
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

  app.view(MODAL_CALLBACK, async ({ ack, view, body, client }) => {
    const metadata = JSON.parse(view.private_metadata) as ModalMetadata;
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
