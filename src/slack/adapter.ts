/**
 * Starts the Bolt app: over HTTP (events, commands and interactivity at `/slack/events`, answered only after
 * processing, so a failure to reach Restate becomes a 500 that Slack retries) or in Socket Mode (envelopes
 * acknowledged only after processing). Transport and wiring only; listeners live in ./listeners.
 */
import { App, HTTPReceiver } from "@slack/bolt";
import type { SlackConnection } from "../config.ts";
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Mode } from "../restate/modes.ts";
import { cannotListen } from "../runtime/ports.ts";
import { isDeliveryError } from "./delivery-error.ts";
import type { BotIdentity } from "./incoming-message.ts";
import { registerListeners } from "./listeners/index.ts";
import { createSessionsClient } from "./sessions-client.ts";
import { AckAfterProcessingReceiver } from "./socket-mode-receiver.ts";
import { ViewingContexts } from "./viewing-context.ts";
import { slackErrorCode, toSlackLogger } from "./web-api.ts";

export const EVENTS_PATH = "/slack/events";

export interface SlackAdapter {
  readonly bot: BotIdentity;
  /** Where Slack (or the emulator) sends requests in HTTP mode. */
  readonly eventsUrl: string | null;
  stop(): Promise<void>;
}

export async function startSlackAdapter(options: {
  readonly connection: SlackConnection;
  readonly apiUrl: string;
  readonly ingressUrl: string;
  /** Signs the adapter's requests to the ingress (`ADAPTER_KEY`). */
  readonly adapterKey: string;
  readonly defaultMode: Mode;
  readonly logger: Logger;
}): Promise<SlackAdapter> {
  const { connection, logger } = options;
  const slackLogger = toSlackLogger(logger);
  // The playground's emulated workspace talks to the app over HTTP, as a real one does in HTTP mode.
  const receiver =
    connection.mode !== "socket"
      ? new HTTPReceiver({
          signingSecret: connection.signingSecret,
          endpoints: EVENTS_PATH,
          processBeforeResponse: true,
          logger: slackLogger,
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
    token: connection.botToken,
    receiver,
    logger: slackLogger,
    deferInitialization: true,
    // The adapter's own calls (ephemeral answers, modals) must answer within Slack's 3 seconds, not retry for minutes.
    clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 1 }, timeout: 5000 },
  });

  let bot: BotIdentity;
  try {
    await app.init();
    const auth = await app.client.auth.test();
    if (!auth.team_id || !auth.user_id || !auth.url)
      throw new Error("auth.test did not name the team, bot user and URL");
    bot = { teamId: auth.team_id, botUserId: auth.user_id, url: auth.url };
  } catch (error) {
    const code = slackErrorCode(error);
    throw new StartupError(
      code
        ? `Slack refused SLACK_BOT_TOKEN (${code}): check the token of the app's bot user (xoxb-...).`
        : `Cannot reach Slack's Web API at ${options.apiUrl} (SLACK_API_URL): ${(error as Error).message}`,
      { cause: error },
    );
  }

  registerListeners(app, {
    sessions: createSessionsClient(options.ingressUrl, options.adapterKey),
    bot,
    defaultMode: options.defaultMode,
    logger,
    viewing: new ViewingContexts(),
  });

  let eventsUrl: string | null = null;
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
      `Slack app (HTTP) for ${bot.url} listening on ${connection.bindAddress}:${connection.port}${EVENTS_PATH}`,
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
    logger.info(`Slack app (Socket Mode) for ${bot.url} connected`);
  }

  return {
    bot,
    eventsUrl,
    stop: async () => {
      await app.stop();
    },
  };
}
