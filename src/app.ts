/**
 * Starts the product's parts in order and stops them in reverse: our services endpoint, the Restate
 * server (embedded, or a check that the external one answers), the registration of our endpoint.
 * Listening happens here, never at import time; `main.ts` owns the process (settings, signals, exit).
 */
import { resolve } from "node:path";
import type { Agent } from "./agent/agent.ts";
import { type Config, isLoopbackAddress, type PlaygroundSlack } from "./config.ts";
import { StartupError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { readAppManifest } from "./playground/app-manifest.ts";
import { install } from "./playground/auto-install.ts";
import { attachPlayground } from "./playground/server.ts";
import { startServicesEndpoint } from "./restate/endpoint.ts";
import { ensureAdapterKey } from "./runtime/adapter-key.ts";
import { cannotListen } from "./runtime/ports.ts";
import { ensurePrivateFolder, tightenedMessage } from "./runtime/private-folder.ts";
import { ensureRequestIdentity } from "./runtime/request-identity.ts";
import { assertRestateReachable, registerDeployment } from "./runtime/restate-admin.ts";
import { type EmbeddedRestate, startEmbeddedRestate } from "./runtime/restate-server.ts";
import { ensureSecretFile } from "./runtime/secret-file.ts";
import { createAgent, createServices, createWorkspaceClients } from "./services.ts";
import { type SlackAdapter, startSlackAdapter } from "./slack/adapter.ts";
import { Installations } from "./slack/installations.ts";
import { REDIRECT_PATH, tokenRefresher } from "./slack/oauth.ts";
import { TokenBox } from "./slack/token-box.ts";
import { SlackEmulator } from "./slack-emulator/emulator.ts";
import { createDefaultWorkspace } from "./slack-emulator/workspace.ts";

export interface App {
  readonly ingressUrl: string;
  readonly adminUrl: string;
  /** The playground's page, when it runs (`SLACK_MODE=playground`). */
  readonly playgroundUrl: string | null;
  /** The Bolt app, when Slack is configured. */
  readonly slack: SlackAdapter | null;
  /** Stops everything this app started, in reverse order. Safe to call twice. */
  stop(): Promise<void>;
}

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Called when a part dies on its own after start-up (the embedded server exiting, say). */
  readonly onFatal?: (error: Error) => void;
  /** The agent behind the sessions; the demo agent unless given. */
  readonly agent?: Agent;
}

export async function startApp({ config, logger, onFatal, agent: givenAgent }: AppOptions): Promise<App> {
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, "Error while stopping");
      }
    }
  };

  try {
    // The playground's emulated Slack comes first: runs that resume when Restate starts post into it.
    // Apart (ROLE), the playground's page and emulated Slack run with the Slack adapter.
    const playground =
      config.slack.mode === "playground" && config.role !== "services"
        ? {
            settings: config.slack,
            emulator: await startPlaygroundEmulator(config.slack, config.restate.dataDir),
          }
        : null;
    if (playground) cleanups.push(() => playground.emulator.close());
    warnOfPublicBinds(config, logger);
    if (config.restate.embedded) {
      // Before anything is written into it: it holds what people write.
      const folder = ensurePrivateFolder(resolve(config.restate.dataDir));
      if (folder.tightenedFrom !== null) logger.warn(tightenedMessage(folder));
    }
    // The embedded server signs its requests; our endpoint then accepts only those (and RESTATE_IDENTITY_KEYS).
    const identity = config.restate.embedded ? ensureRequestIdentity(resolve(config.restate.dataDir)) : null;
    const identityKeys = [...config.restate.identityKeys, ...(identity ? [identity.publicKey] : [])];
    // Both sides run in this process: the adapter signs with the key the services check.
    const adapterKey = config.adapterKey ?? madeAdapterKey(config, logger);
    // With OAuth, one way to the installations for both sides, so a save here is seen there at once.
    const oauth =
      config.slack.mode !== "none" && config.slack.auth.kind === "oauth" ? config.slack.auth : null;
    const installations = oauth
      ? new Installations({
          ingressUrls: config.restate.ingressUrls,
          adapterKey,
          box: tokenBox(config, logger),
        })
      : null;
    const slackClients = createWorkspaceClients(config, installations, logger);
    const refresher =
      oauth && installations ? tokenRefresher(oauth, config.slackApi.url, installations.box) : null;
    const agent = givenAgent ?? createAgent(config, slackClients);
    // ROLE=slack runs no services endpoint: other processes (ROLE=services) serve the handlers.
    const endpoint =
      config.role === "slack"
        ? null
        : await startServicesEndpoint({
            services: createServices({ config, agent, logger, adapterKey, slack: slackClients, refresher }),
            port: config.services.port,
            host: config.services.bindAddress,
            logger,
            identityKeys,
          });
    if (endpoint) cleanups.push(() => endpoint.close());
    if (endpoint && identityKeys.length > 0) {
      logger.info(`Our services endpoint accepts only requests signed with ${identityKeys.join(", ")}`);
    }

    let ingressUrls = config.restate.ingressUrls;
    let adminUrl = config.restate.adminUrl;
    if (config.restate.embedded) {
      const server: EmbeddedRestate = await startEmbeddedRestate({
        dataDir: config.restate.dataDir,
        bindAddress: config.restate.bindAddress,
        ingressPort: config.restate.ingressPort,
        adminPort: config.restate.adminPort,
        nodePort: config.restate.nodePort,
        logger,
        ...(identity ? { requestIdentityKeyPath: identity.privateKeyPath } : {}),
      });
      cleanups.push(() => server.stop());
      ingressUrls = [server.ingressUrl];
      adminUrl = server.adminUrl;
      void server.exited.then((code) => {
        if (!stopping)
          onFatal?.(
            new Error(
              `restate-server exited unexpectedly (${code}); see ${server.dataDir}/restate-server.log`,
            ),
          );
      });
      logger.info(
        `Restate server (embedded, data in ${server.dataDir}): ingress ${server.ingressUrl}, admin and UI ${adminUrl}`,
      );
    } else {
      await assertRestateReachable({ ingressUrls, adminUrl }, logger);
      logger.info(`Restate server (external): ingress ${ingressUrls.join(", ")}, admin and UI ${adminUrl}`);
    }

    // The first: the one the log and the curl hint name.
    const ingressUrl = ingressUrls[0] ?? "";
    const endpointUrl = config.services.advertisedUrl;
    if (!endpoint) {
      logger.info("ROLE=slack: the Slack adapter alone; the services run in ROLE=services processes");
    } else if (config.restate.autoRegister) {
      const deployment = await registerDeployment({ adminUrl, endpointUrl, force: config.restate.embedded });
      logger.info(
        `Services endpoint ${endpointUrl} registered as ${deployment.id} (${deployment.services.map((s) => s.name).join(", ")})`,
      );
    } else {
      logger.info(
        `Services endpoint listening on ${config.services.bindAddress}:${endpoint.port}; not registered automatically: run \`npm run register\` once to register ${endpointUrl}`,
      );
    }

    const slack =
      config.slack.mode === "none" || config.role === "services"
        ? null
        : await startSlackAdapter({
            connection: config.slack,
            apiUrl: config.slackApi.url,
            ingressUrls,
            adapterKey,
            defaultMode: config.defaultMode,
            logger,
            installations,
          });
    if (slack) cleanups.push(() => slack.stop());
    let playgroundUrl: string | null = null;
    if (playground) {
      const { emulator, settings } = playground;
      emulator.appUrl = slack?.eventsUrl ?? null;
      if (config.restate.autoRegister) await installIntoPlayground(emulator, settings, logger);
      else {
        // Installing keeps the installation in Restate, which needs our services registered first.
        let stopped = false;
        let timer: NodeJS.Timeout | undefined;
        const attempt = () => {
          installIntoPlayground(emulator, settings, logger).catch((error: unknown) => {
            logger.debug(`Not installed into the playground yet: ${(error as Error).message}`);
            if (!stopped) timer = setTimeout(attempt, 2000);
          });
        };
        attempt();
        cleanups.push(async () => {
          stopped = true;
          clearTimeout(timer);
        });
        logger.info(
          "The app installs itself into the playground's workspaces once the services are registered",
        );
      }
      const page = attachPlayground({ emulator, manifest: readAppManifest(), restateUiUrl: adminUrl });
      cleanups.push(async () => page.close());
      playgroundUrl = emulator.url;
      const ignored = settings.ignoredSettings;
      logger.info(
        [
          "LOCAL PLAYGROUND: a Slack workspace emulated on this machine (no real Slack, no login).",
          `Open ${playgroundUrl} in a browser.`,
          "It keeps its workspace in memory: a restart forgets the messages; the sessions stay in Restate.",
          ...(ignored.length > 0 ? [`Not used in the playground: ${ignored.join(", ")}.`] : []),
          "To connect a real workspace, set the Slack settings (README, 'In Slack') or SLACK_MODE=http|socket.",
        ].join("\n"),
      );
    } else if (config.role === "services") {
      logger.info(
        "ROLE=services: our services endpoint alone; the Slack adapter runs in ROLE=slack processes",
      );
    } else if (config.slack.mode === "none") {
      logger.info(
        "SLACK_MODE=none: running the Restate side only. " +
          `Try: curl ${ingressUrl}/ChatService/ellie/process_user_message --json '{"content": "do something", "role": "user"}'`,
      );
    }
    return { ingressUrl, adminUrl, playgroundUrl, slack, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Without `ADAPTER_KEY`, the key in the data folder (made the first time); says where, never what. */
function madeAdapterKey(config: Config, logger: Logger): string {
  const { key, path } = ensureAdapterKey(resolve(config.restate.dataDir));
  logger.info(`Slack adapter requests are signed with the key in ${path} (ADAPTER_KEY unset)`);
  return key;
}

/** The token key: `TOKEN_KEY`, or the one in the data folder (made the first time); says where, never what. */
function tokenBox(config: Config, logger: Logger): TokenBox {
  const { current, previous } = config.tokenKeys;
  if (current) return new TokenBox(current, previous);
  const { key, path } = ensureSecretFile(resolve(config.restate.dataDir), "token-key", "token key");
  logger.info(`Slack tokens kept in Restate are sealed with the key in ${path} (TOKEN_KEY unset)`);
  return new TokenBox(key, previous);
}

/**
 * The emulated Slack of the playground: two workspaces (so that one app installed in many can be tried), the
 * app's OAuth credentials and signing secret as the app was given them, and tokens that stay the same from
 * one start to the next (seeded from `playground-key` in the data folder), so that runs resuming at a start
 * can post before the app has installed itself again.
 */
async function startPlaygroundEmulator(slack: PlaygroundSlack, dataDir: string): Promise<SlackEmulator> {
  const { key: tokenSeed } = ensureSecretFile(resolve(dataDir), "playground-key", "playground key");
  const emulator = new SlackEmulator({
    port: slack.playgroundPort,
    host: "127.0.0.1",
    workspace: createDefaultWorkspace({ signingSecret: slack.signingSecret, tokenSeed }),
    oauth: {
      clientId: slack.auth.clientId,
      clientSecret: slack.auth.clientSecret,
      redirectUrl: `http://127.0.0.1:${slack.port}${REDIRECT_PATH}`,
    },
    // Slack's pace for posts into one channel (about one a second): the app keeps to it, as with real Slack.
    postIntervalMs: 1000,
    appKeepAlive: true,
  });
  emulator.addWorkspace({ ...PLAYGROUND_SECOND_WORKSPACE, tokenSeed });
  try {
    return await emulator.start();
  } catch (error) {
    throw cannotListen(error, {
      port: slack.playgroundPort,
      host: "127.0.0.1",
      what: "the playground (PLAYGROUND_PORT)",
    });
  }
}

/** The playground's second workspace: the same app, installed in two places. */
const PLAYGROUND_SECOND_WORKSPACE = { teamId: "T0002", domain: "globex", teamName: "Globex" } as const;

/** The app installs itself into each of the playground's workspaces, through the real OAuth flow. */
async function installIntoPlayground(
  emulator: SlackEmulator,
  slack: PlaygroundSlack,
  logger: Logger,
): Promise<void> {
  for (const { workspace } of emulator.workspaceSides) {
    const installer = [...workspace.users.values()].find((user) => !user.isBot);
    const answer = await install(
      `http://127.0.0.1:${slack.port}`,
      `${workspace.team.id}:${installer?.id ?? ""}`,
    );
    if (answer.status !== 200)
      throw new StartupError(
        `The playground could not install the app into ${workspace.team.name} (HTTP ${answer.status})`,
      );
  }
  logger.info(
    `The app installed itself into the playground's workspaces (${emulator.workspaceSides.map((s) => s.workspace.team.name).join(", ")})`,
  );
}

/** ALLOW_PUBLIC_BIND let a bind beyond loopback through: say at every start what it exposes. */
function warnOfPublicBinds(config: Config, logger: Logger): void {
  if (config.restate.embedded && !isLoopbackAddress(config.restate.bindAddress)) {
    logger.warn(
      `ALLOW_PUBLIC_BIND: the Restate ingress and admin API listen on ${config.restate.bindAddress} and need no ` +
        "credentials: whoever reaches them can read and steer every session (docs/security.md)",
    );
  }
  if (!isLoopbackAddress(config.services.bindAddress)) {
    logger.warn(
      `ALLOW_PUBLIC_BIND: our services endpoint listens on ${config.services.bindAddress}: only the Restate ` +
        "server should be able to reach it (docs/security.md)",
    );
  }
}
