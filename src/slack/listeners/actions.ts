/**
 * Controls: the Home's mode selects and stop / remove / reset buttons, and the mode selects of the
 * `/agentmode` listing. The rules (who may stop, reset or remove) are ChatService's; a refusal is explained
 * where the person is: in a small modal on the Home tab, in an ephemeral message in a channel.
 */
import type { App, BlockAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { toChannelKey } from "../../restate/keys.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { buildNoticeModal, LISTING_ACTIONS, modeFromOption } from "../views/agentmode-views.ts";
import { controlIdPattern, sessionKeyOfControl } from "../views/control-ids.ts";
import { HOME_ACTIONS } from "../views/home-view.ts";
import { channelListing } from "./commands.ts";
import type { ListenerDeps } from "./deps.ts";

type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & { client: WebClient };

export function registerActionListeners(app: App, deps: ListenerDeps): void {
  const { sessions, bot, logger } = deps;

  /** Runs a control; a refusal (or an outage) is explained to the person who used it. */
  async function control(args: ActionArgs, what: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (error) {
      if (!isRefusal(error)) logger.warn({ err: error }, `${what} failed`);
      const text = `Could not ${what}: ${refusalMessage(error)}`;
      if (args.body.container?.type === "view") {
        await args.client.views
          .open({ trigger_id: args.body.trigger_id, view: buildNoticeModal("Not done", text) })
          .catch((e: unknown) => logger.warn({ err: e }, "Could not explain a refused control"));
      } else {
        await args.respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => {});
      }
      return false;
    }
  }

  const selected = (args: ActionArgs) =>
    args.action.type === "static_select" ? args.action.selected_option?.value : undefined;

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.mode) }, async (args) => {
    await args.ack();
    const mode = modeFromOption(selected(args as ActionArgs));
    if (mode === undefined) return;
    const key = sessionKeyOfControl(HOME_ACTIONS.mode, args.action.action_id);
    await control(args as ActionArgs, "change the mode", () =>
      sessions.setMode(key, mode, args.body.user.id),
    );
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.stop) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(HOME_ACTIONS.stop, args.action.action_id);
    await control(args as ActionArgs, "stop the run", () => sessions.stopRun(key, args.body.user.id));
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.reset) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(HOME_ACTIONS.reset, args.action.action_id);
    await control(args as ActionArgs, "reset the session", () => sessions.reset(key, args.body.user.id));
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.remove) }, async (args) => {
    await args.ack();
    const value = args.action.type === "button" ? args.action.value : undefined;
    const { key, id } = JSON.parse(value ?? "{}") as { key?: string; id?: string };
    if (!key || !id) return;
    await control(args as ActionArgs, "remove the message from the queue", () =>
      sessions.removeQueued(key, id, args.body.user.id),
    );
  });

  /** After a listing control: show the listing again, as it is now. */
  async function refreshListing(args: ActionArgs): Promise<void> {
    const channel = args.body.channel?.id;
    if (!channel) return;
    await args.respond({ ...(await channelListing(deps, channel)), replace_original: true });
  }

  app.action<BlockAction>({ action_id: LISTING_ACTIONS.channelMode }, async (args) => {
    await args.ack();
    const mode = modeFromOption(selected(args as ActionArgs));
    const channel = args.body.channel?.id;
    if (mode === undefined || !channel) return;
    const done = await control(args as ActionArgs, "change the channel's mode", () =>
      sessions.setChannelMode(toChannelKey(bot.teamId, channel), mode),
    );
    if (done) await refreshListing(args as ActionArgs);
  });

  // A control we do not know (an old Home after an upgrade, say) is acknowledged at once, not left to time out.
  const known = [
    HOME_ACTIONS.mode,
    HOME_ACTIONS.stop,
    HOME_ACTIONS.reset,
    HOME_ACTIONS.remove,
    LISTING_ACTIONS.sessionMode,
  ];
  app.action<BlockAction>(
    { action_id: new RegExp(`^(?!(${known.join("|")}):|${LISTING_ACTIONS.channelMode}$)`) },
    async ({ ack, action }) => {
      await ack();
      logger.debug(`Ignored an unknown control (${action.action_id})`);
    },
  );

  app.action<BlockAction>({ action_id: controlIdPattern(LISTING_ACTIONS.sessionMode) }, async (args) => {
    await args.ack();
    const mode = modeFromOption(selected(args as ActionArgs));
    if (mode === undefined) return;
    const key = sessionKeyOfControl(LISTING_ACTIONS.sessionMode, args.action.action_id);
    const done = await control(args as ActionArgs, "change the thread's mode", () =>
      sessions.setMode(key, mode, args.body.user.id),
    );
    if (done) await refreshListing(args as ActionArgs);
  });
}
