/**
 * The app leaving a workspace: `app_uninstalled`, and `tokens_revoked` naming a bot token. The installation
 * is removed (SlackInstallation/remove), which stops the workspace's runs, empties their queues and, after
 * `WORKSPACE_DATA_GRACE`, forgets their state (SlackWorkspace). Bolt gives these events no authorisation
 * (the token is gone), so the workspace is read from the event's envelope. With one bot token there is no
 * installation to remove: the event is logged, since nothing will work until the token is replaced.
 */
import type { App } from "@slack/bolt";
import { DeliveryError } from "../delivery-error.ts";
import { installationKeyOf } from "../installation.ts";
import type { ListenerDeps } from "./deps.ts";

/** The parts of an event's envelope that say which installation it concerns. */
interface Envelope {
  readonly team_id?: string;
  readonly enterprise_id?: string | null;
  readonly is_enterprise_install?: boolean;
  readonly authorizations?: readonly { readonly is_enterprise_install?: boolean }[];
}

export function registerInstallListeners(app: App, deps: ListenerDeps): void {
  const { installations, logger } = deps;

  async function leave(body: Envelope, why: string): Promise<void> {
    const key = installationKeyOf({
      isEnterpriseInstall: body.is_enterprise_install ?? body.authorizations?.[0]?.is_enterprise_install,
      enterpriseId: body.enterprise_id ?? undefined,
      teamId: body.team_id,
    });
    if (!installations) {
      logger.warn(`Slack says ${why} in ${key}: SLACK_BOT_TOKEN no longer works; replace it and restart`);
      return;
    }
    const removed = await installations.remove(key).catch((error: unknown) => {
      throw new DeliveryError(error);
    });
    logger.warn(
      removed
        ? `Slack says ${why} in ${key}: installation removed, its runs stop and its queues empty; its sessions' state goes after WORKSPACE_DATA_GRACE`
        : `Slack says ${why} in ${key}, which had no installation here`,
    );
  }

  app.event("app_uninstalled", async ({ body }) => leave(body as Envelope, "the app was uninstalled"));
  app.event("tokens_revoked", async ({ event, body }) => {
    // Only the bot's token matters here: a person's revoked token changes nothing for the app.
    if ((event.tokens.bot ?? []).length === 0) return;
    await leave(body as Envelope, "the bot's token was revoked");
  });
}
