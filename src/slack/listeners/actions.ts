/**
 * Controls: the Home's mode selects and stop / remove / reset buttons, and the mode selects of the
 * `/agentmode` listing. Each first checks what it names: a thread of this workspace (this-workspace.ts), a
 * value we made, and the same rule as the command it stands for (a thread's mode from the listing only for
 * a thread of that channel, as `/agentmode <mode> <link>`; from the Home only by the session's people).
 * ChatService's own rules (who may stop, reset or remove) come after. A refusal is explained where the
 * person is: in a small modal on the Home tab, in an ephemeral message in a channel; never as an error to Slack.
 */
import type { App, BlockAction } from "@slack/bolt";
import { toChannelKey } from "../../restate/keys.ts";
import type { ModeChoice } from "../../restate/modes.ts";
import { APPROVAL_ACTIONS } from "../approval-blocks.ts";
import { FEEDBACK_ACTION_ID } from "../output-message.ts";
import { LISTING_ACTIONS, modeFromOption } from "../views/agentmode-views.ts";
import { controlIdPattern, parseSessionItemValue, sessionKeyOfControl } from "../views/control-ids.ts";
import { HOME_ACTIONS } from "../views/home-view.ts";
import { channelListing } from "./commands.ts";
import { type ControlArgs, runControl } from "./control.ts";
import { botOf, type ListenerDeps } from "./deps.ts";
import { assertFromThisWorkspace, ControlRefusal, threadOfThisWorkspace } from "./this-workspace.ts";

type ActionArgs = ControlArgs;

export function registerActionListeners(app: App, deps: ListenerDeps): void {
  const { sessions, logger } = deps;

  const control = (args: ActionArgs, what: string, run: () => Promise<unknown>) =>
    runControl(args, logger, what, run);

  /** The mode picked in a select; refused when the value is none of the options we offer. */
  function chosenMode(args: ActionArgs): ModeChoice {
    const value = args.action.type === "static_select" ? args.action.selected_option?.value : undefined;
    const mode = modeFromOption(value);
    if (mode === undefined) throw new ControlRefusal("that is not one of the modes this control offers.");
    return mode;
  }

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.mode) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(HOME_ACTIONS.mode, args.action.action_id);
    const user = args.body.user.id;
    await control(args as ActionArgs, "change the mode", async () => {
      threadOfThisWorkspace(key, args.body, botOf(args.context));
      const mode = chosenMode(args as ActionArgs);
      // The Home steers the sessions a person is in; anyone else in the thread has `!agentmode` there.
      if (!(await sessions.status(key)).people.includes(user))
        throw new ControlRefusal(
          "only the people in this session may change its mode from the Home; in the thread, use `!agentmode`.",
        );
      await sessions.setMode(key, mode, user);
    });
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.stop) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(HOME_ACTIONS.stop, args.action.action_id);
    await control(args as ActionArgs, "stop the run", async () => {
      threadOfThisWorkspace(key, args.body, botOf(args.context));
      // The button names the run the Home showed; an older Home's button names only the session.
      const value = args.action.type === "button" ? args.action.value : undefined;
      await sessions.stopRun(key, args.body.user.id, value && value !== key ? value : undefined);
    });
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.reset) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(HOME_ACTIONS.reset, args.action.action_id);
    await control(args as ActionArgs, "reset the session", async () => {
      threadOfThisWorkspace(key, args.body, botOf(args.context));
      await sessions.reset(key, args.body.user.id);
    });
  });

  app.action<BlockAction>({ action_id: controlIdPattern(HOME_ACTIONS.remove) }, async (args) => {
    await args.ack();
    await control(args as ActionArgs, "remove the message from the queue", async () => {
      const named = parseSessionItemValue(args.action.type === "button" ? args.action.value : undefined);
      if (!named)
        throw new ControlRefusal("this button does not name a queued message; open the Home tab again.");
      threadOfThisWorkspace(named.key, args.body, botOf(args.context));
      await sessions.removeQueued(named.key, named.id, args.body.user.id);
    });
  });

  /** After a listing control: show the listing again, as it is now. */
  async function refreshListing(args: ActionArgs): Promise<void> {
    const channel = args.body.channel?.id;
    if (!channel) return;
    try {
      await args.respond({
        ...(await channelListing(deps, botOf(args.context), channel)),
        replace_original: true,
      });
    } catch (error) {
      logger.warn({ err: error }, "Could not show the listing again");
    }
  }

  app.action<BlockAction>({ action_id: LISTING_ACTIONS.channelMode }, async (args) => {
    await args.ack();
    const done = await control(args as ActionArgs, "change the channel's mode", async () => {
      assertFromThisWorkspace(args.body, botOf(args.context));
      const channel = args.body.channel?.id;
      if (!channel) throw new ControlRefusal("this control is not in a channel.");
      const mode = chosenMode(args as ActionArgs);
      await sessions.setChannelMode(toChannelKey(botOf(args.context).teamId, channel), mode);
    });
    if (done) await refreshListing(args as ActionArgs);
  });

  // A control we do not know (an old Home after an upgrade, say) is acknowledged at once, not left to time out.
  const known = [
    HOME_ACTIONS.mode,
    HOME_ACTIONS.stop,
    HOME_ACTIONS.reset,
    HOME_ACTIONS.remove,
    LISTING_ACTIONS.sessionMode,
    APPROVAL_ACTIONS.approve,
    APPROVAL_ACTIONS.deny,
    APPROVAL_ACTIONS.undo,
  ];
  app.action<BlockAction>(
    {
      action_id: new RegExp(
        `^(?!(${known.join("|")}):|${LISTING_ACTIONS.channelMode}$|${FEEDBACK_ACTION_ID}$)`,
      ),
    },
    async ({ ack, action }) => {
      await ack();
      logger.debug(`Ignored an unknown control (${action.action_id})`);
    },
  );

  app.action<BlockAction>({ action_id: controlIdPattern(LISTING_ACTIONS.sessionMode) }, async (args) => {
    await args.ack();
    const key = sessionKeyOfControl(LISTING_ACTIONS.sessionMode, args.action.action_id);
    const done = await control(args as ActionArgs, "change the thread's mode", async () => {
      const place = threadOfThisWorkspace(key, args.body, botOf(args.context));
      // As `/agentmode <mode> <link>`: only a thread of the channel the listing is in.
      if (place.channel !== args.body.channel?.id)
        throw new ControlRefusal("that thread is not in this channel: use `/agentmode` in its own channel.");
      const mode = chosenMode(args as ActionArgs);
      await sessions.setMode(key, mode, args.body.user.id);
    });
    if (done) await refreshListing(args as ActionArgs);
  });
}
