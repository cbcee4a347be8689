/**
 * Starts the Bolt app: over HTTP (events, commands and interactivity at `/slack/events`, answered only after
 * processing, so a failure to reach Restate becomes a 500 that Slack retries) or in Socket Mode (envelopes
 * acknowledged only after processing). With one bot token it serves that token's workspace; with OAuth
 * every installed workspace, each request authorised from its installation (oauth.ts). Transport and
 * wiring only; listeners live in ./listeners.
 */
import type { Server } from "node:http";
import { App, type Context, HTTPReceiver } from "@slack/bolt";
import type { SlackConnection } from "../config.ts";
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Mode } from "../restate/modes.ts";
import { cannotListen } from "../runtime/ports.ts";
import { isDeliveryError } from "./delivery-error.ts";
import type { BotIdentity } from "./incoming-message.ts";
import { installationKeyOf } from "./installation.ts";
import type { Installations } from "./installations.ts";
import { registerListeners } from "./listeners/index.ts";
import { createInstaller, INSTALL_PATH, installRoutes, serveInstallRoutes } from "./oauth.ts";
import { createSessionsClient } from "./sessions-client.ts";
import { AckAfterProcessingReceiver } from "./socket-mode-receiver.ts";
import { ViewingContexts } from "./viewing-context.ts";
import { slackErrorCode, toSlackLogger } from "./web-api.ts";

export const EVENTS_PATH = "/slack/events";

export interface SlackAdapter {
  /** The bot of the one workspace a bot token serves; null with OAuth (each installation has its own). */
  readonly bot: BotIdentity | null;
  /** Where Slack (or the emulator) sends requests in HTTP mode. */
  readonly eventsUrl: string | null;
  stop(): Promise<void>;
}

export async function startSlackAdapter(options: {
  readonly connection: SlackConnection;
  readonly apiUrl: string;
  /** The Restate ingress: one URL, or a cluster's nodes. */
  readonly ingressUrls: readonly string[];
  /** Signs the adapter's requests to the ingress (`ADAPTER_KEY`). */
  readonly adapterKey: string;
  readonly defaultMode: Mode;
  readonly logger: Logger;
  /** The installations, with OAuth (`SLACK_CLIENT_ID`, ...). */
  readonly installations: Installations | null;
}): Promise<SlackAdapter> {
  const { connection, logger, installations } = options;
  const slackLogger = toSlackLogger(logger);
  const oauth = connection.auth.kind === "oauth" ? connection.auth : null;
  if (oauth && !installations) throw new Error("OAuth needs the installations");
  const installer =
    oauth && installations ? createInstaller({ oauth, apiUrl: options.apiUrl, installations, logger }) : null;
  const routes = installer ? installRoutes(installer) : [];
  // The playground's emulated workspace talks to the app over HTTP, as a real one does in HTTP mode.
  const receiver =
    connection.mode !== "socket"
      ? new HTTPReceiver({
          signingSecret: connection.signingSecret,
          endpoints: EVENTS_PATH,
          processBeforeResponse: true,
          logger: slackLogger,
          customRoutes: routes,
          // 500 (Slack retries) only when the event could not be handed to Restate; 400 for a payload we
          // cannot process, which a retry would not change.
          processEventErrorHandler: async ({ error, response, logger: boltLogger }) => {
            if (response.headersSent) return false;
            const status = isDeliveryError(error) ? 500 : 400;
            boltLogger.warn(`Answering ${status} to an event: ${(error as Error).message}`);
            response.writeHead(status);
            response.end();
            return false;
          },
        })
      : new AckAfterProcessingReceiver({
          appToken: connection.appToken,
          logger: slackLogger,
          slackApiUrl: options.apiUrl,
        });

  const app = new App({
    ...(connection.auth.kind === "token"
      ? { token: connection.auth.botToken }
      : { authorize: (source) => (installer as NonNullable<typeof installer>).authorize(source) }),
    receiver,
    logger: slackLogger,
    deferInitialization: true,
    // The adapter's own calls (ephemeral answers, modals) must answer within Slack's 3 seconds, not retry for minutes.
    clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 1 }, timeout: 5000 },
  });

  let bot: BotIdentity | null = null;
  try {
    await app.init();
    if (!oauth) {
      const auth = await app.client.auth.test();
      if (!auth.team_id || !auth.user_id || !auth.url)
        throw new Error("auth.test did not name the team, bot user and URL");
      bot = { teamId: auth.team_id, botUserId: auth.user_id, url: auth.url };
    }
  } catch (error) {
    const code = slackErrorCode(error);
    throw new StartupError(
      code
        ? `Slack refused SLACK_BOT_TOKEN (${code}): check the token of the app's bot user (xoxb-...).`
        : `Cannot reach Slack's Web API at ${options.apiUrl} (SLACK_API_URL): ${(error as Error).message}`,
      { cause: error },
    );
  }

  // Who the bot is in the request's workspace, for every listener (listeners/deps.ts `botOf`).
  const oneBot = bot;
  app.use(async ({ context, next }) => {
    const identity = oneBot ?? (installations ? await installedBot(context, installations) : null);
    if (identity) context.bot = identity;
    await next();
  });
  registerListeners(app, {
    sessions: createSessionsClient(options.ingressUrls, options.adapterKey),
    defaultMode: options.defaultMode,
    logger,
    viewing: new ViewingContexts(),
    installations,
  });

  let eventsUrl: string | null = null;
  let installServer: Server | null = null;
  if (connection.mode !== "socket") {
    try {
      await app.start({ port: connection.port, host: connection.bindAddress });
    } catch (error) {
      throw cannotListen(error, {
        port: connection.port,
        host: connection.bindAddress,
        what: "the Slack app (PORT)",
      });
    }
    const host = connection.bindAddress === "0.0.0.0" ? "127.0.0.1" : connection.bindAddress;
    eventsUrl = `http://${host}:${connection.port}${EVENTS_PATH}`;
    logger.info(
      `Slack app (HTTP) for ${bot ? bot.url : "every installed workspace"} listening on ${connection.bindAddress}:${connection.port}${EVENTS_PATH}` +
        (oauth ? `; people install it at ${INSTALL_PATH}` : ""),
    );
  } else {
    try {
      await app.start();
    } catch (error) {
      throw new StartupError(
        `Socket Mode could not connect (check SLACK_APP_TOKEN): ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    logger.info(`Slack app (Socket Mode) for ${bot ? bot.url : "every installed workspace"} connected`);
    if (oauth) {
      const { installPort: port, installBindAddress: host } = oauth;
      try {
        installServer = await serveInstallRoutes(routes, port, host);
      } catch (error) {
        await app.stop();
        throw cannotListen(error, { port, host, what: "the install pages (SLACK_INSTALL_PORT)" });
      }
      logger.info(`People install the app at ${INSTALL_PATH} on ${host}:${port}`);
    }
  }

  return {
    bot,
    eventsUrl,
    stop: async () => {
      installServer?.closeAllConnections();
      await new Promise((resolve) => (installServer ? installServer.close(resolve) : resolve(undefined)));
      await app.stop();
    },
  };
}

/**
 * The bot in the workspace an authorised request comes from (OAuth): the installation it was authorised
 * with (an org-wide install's for every workspace of the org); null for a request Bolt did not authorise
 * (`app_uninstalled` and `tokens_revoked` come without).
 */
async function installedBot(context: Context, installations: Installations): Promise<BotIdentity | null> {
  if (!context.botToken) return null;
  const key = installationKeyOf({
    isEnterpriseInstall: context.isEnterpriseInstall,
    enterpriseId: context.enterpriseId,
    teamId: context.teamId,
  });
  const record = await installations.find(key);
  if (!record) return null;
  return {
    teamId: key,
    servedTeams: [context.teamId, context.enterpriseId].filter((team): team is string => !!team),
    botUserId: context.botUserId ?? record.botUserId,
    url: record.url ?? "https://slack.com/",
  };
}
