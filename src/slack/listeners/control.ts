/**
 * How every control (a button, a select) answers the person who used it: a refusal by our rules or the
 * session's, or an outage, is explained where the person is (a small modal on the Home tab; an ephemeral
 * in the thread of a message in a thread, or at the channel's top for a top-level message such as the
 * `/agentmode` listing), never as an error to Slack.
 */
import type { BlockAction, Context, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { Logger } from "../../logger.ts";
import { isRefusal, refusalMessage } from "../sessions-client.ts";
import { buildNoticeModal } from "../views/agentmode-views.ts";
import { ControlRefusal } from "./this-workspace.ts";

export type ControlArgs = SlackActionMiddlewareArgs<BlockAction> & { client: WebClient; context: Context };

/** Tells the person who used a control something, where they are. */
export async function tellPerson(
  args: ControlArgs,
  logger: Logger,
  title: string,
  text: string,
): Promise<void> {
  const { body, client } = args;
  const container = (body.container ?? {}) as { type?: string; channel_id?: string };
  const threadTs = body.message?.thread_ts as string | undefined;
  // `respond` would put the answer at the channel's top: in a thread, the ephemeral goes into it.
  const answer =
    container.type === "view"
      ? client.views.open({ trigger_id: body.trigger_id, view: buildNoticeModal(title, text) })
      : container.type === "message" && container.channel_id && threadTs
        ? client.chat.postEphemeral({
            channel: container.channel_id,
            user: body.user.id,
            text,
            thread_ts: threadTs,
          })
        : args.respond({ response_type: "ephemeral", replace_original: false, text });
  await Promise.resolve(answer).catch((e: unknown) => logger.warn({ err: e }, "Could not answer a control"));
}

/** Runs a control; a refusal (or an outage) is explained to the person. Resolves whether it was done. */
export async function runControl(
  args: ControlArgs,
  logger: Logger,
  what: string,
  run: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    const refused = error instanceof ControlRefusal || isRefusal(error);
    if (refused)
      logger.info({ user: args.body.user.id, action: args.action.action_id }, `Refused a control (${what})`);
    else logger.warn({ err: error }, `${what} failed`);
    const reason = error instanceof ControlRefusal ? error.message : refusalMessage(error);
    await tellPerson(args, logger, "Not done", `Could not ${what}: ${reason}`);
    return false;
  }
}
