/**
 * Installing the app into many workspaces through Slack's OAuth flow, with Bolt's own `InstallProvider`:
 * `/slack/install` shows an "Add to Slack" link (and sets the state cookie), `/slack/oauth_redirect`
 * checks the state (signed with `SLACK_STATE_SECRET`, bound to the cookie of the browser that began, so a
 * forged or reused state is refused), exchanges the code (`oauth.v2.access`) and keeps the installation,
 * sealed, in Restate (installations.ts). Served beside the events in HTTP mode, and by a small listener of
 * its own in Socket Mode (`SLACK_INSTALL_PORT`). Knows nothing of sessions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import * as restate from "@restatedev/restate-sdk";
import { InstallProvider } from "@slack/oauth";
import { WebClient } from "@slack/web-api";
import type { OAuthSettings } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { TokenRefresher } from "./durable/slack-installation.ts";
import { type Installations, installationStore } from "./installations.ts";
import { requiredScopes } from "./scopes.ts";
import type { TokenBox } from "./token-box.ts";
import { classifySlackFailure, SLACK_REQUEST_TIMEOUT_MS, toSlackLogger } from "./web-api.ts";

export const INSTALL_PATH = "/slack/install";
export const REDIRECT_PATH = "/slack/oauth_redirect";

/** Slack's consent page beside its Web API: `https://slack.com/api/` → `https://slack.com/oauth/v2/authorize`. */
export function authorizationUrlOf(apiUrl: string): string {
  return new URL("../oauth/v2/authorize", apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`).toString();
}

export function createInstaller(options: {
  readonly oauth: OAuthSettings;
  readonly apiUrl: string;
  readonly installations: Installations;
  readonly logger: Logger;
}): InstallProvider {
  const { oauth, apiUrl, logger } = options;
  const clientOptions = { slackApiUrl: apiUrl, timeout: SLACK_REQUEST_TIMEOUT_MS };
  // The workspace's address, for links to its messages: Bolt's installation does not carry it.
  const urlOf = async (botToken: string) =>
    (await new WebClient(botToken, clientOptions).auth.test()).url ?? null;
  return new InstallProvider({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    installationStore: installationStore(options.installations, { urlOf, logger }),
    installUrlOptions: { scopes: requiredScopes() },
    authorizationUrl: authorizationUrlOf(apiUrl),
    renderHtmlForInstallPath: installPage,
    clientOptions,
    logger: toSlackLogger(logger),
  });
}

/** The install page: a plain link, no image from Slack's servers (readable offline, nothing fetched). */
function installPage(addToSlackUrl: string): string {
  const href = addToSlackUrl.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>Install the agent</title></head>' +
    '<body style="font-family: sans-serif; text-align: center; padding: 2em">' +
    "<h1>Install the agent in your Slack workspace</h1>" +
    `<p><a href="${href}" style="font-size: 1.2em">Add to Slack</a></p></body></html>`
  );
}

/**
 * Token rotation's exchange (`oauth.v2.access`, `grant_type=refresh_token`): the refresh token opened here,
 * the new tokens sealed before they leave, so the step that runs this journals nothing in clear. Slack's
 * refusal (`invalid_refresh_token`, say) is final; a network failure or a 5xx is tried again.
 */
export function tokenRefresher(oauth: OAuthSettings, apiUrl: string, box: TokenBox): TokenRefresher {
  const client = new WebClient(undefined, {
    slackApiUrl: apiUrl,
    timeout: SLACK_REQUEST_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  return async (installation) => {
    if (!installation.refreshToken) throw new restate.TerminalError("the installation has no refresh token");
    let answer: Awaited<ReturnType<typeof client.oauth.v2.access>>;
    try {
      answer = await client.oauth.v2.access({
        client_id: oauth.clientId,
        client_secret: oauth.clientSecret,
        grant_type: "refresh_token",
        refresh_token: box.open(installation.refreshToken, installation.key),
      });
    } catch (error) {
      classifySlackFailure(error, "oauth.v2.access", []);
      throw error;
    }
    if (!answer.access_token || !answer.refresh_token || !answer.expires_in)
      throw new restate.TerminalError("Slack's refresh answer lacks the new tokens");
    return {
      botToken: box.seal(answer.access_token, installation.key),
      refreshToken: box.seal(answer.refresh_token, installation.key),
      expiresAt: Math.floor(Date.now() / 1000) + answer.expires_in,
    };
  };
}

/** A route of the install flow, in the shape of Bolt's `customRoutes`. */
export interface InstallRoute {
  readonly path: string;
  readonly method: string[];
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
}

export function installRoutes(installer: InstallProvider): InstallRoute[] {
  return [
    {
      path: INSTALL_PATH,
      method: ["GET"],
      handler: (request, response) => void installer.handleInstallPath(request, response),
    },
    {
      path: REDIRECT_PATH,
      method: ["GET"],
      handler: (request, response) => void installer.handleCallback(request, response),
    },
  ];
}

/** Socket Mode has no HTTP server: the install routes get one of their own. */
export async function serveInstallRoutes(
  routes: readonly InstallRoute[],
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const route = routes.find((r) => r.path === path && r.method.includes(request.method ?? ""));
    if (route) return route.handler(request, response);
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
