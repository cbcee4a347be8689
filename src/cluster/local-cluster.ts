/**
 * The product spread out on this machine as it would be over several: a 3-node Restate cluster
 * (restate-cluster.ts), two ROLE=services processes and two ROLE=slack processes (role-process.ts), and
 * haproxy in front of each group (load-balancer.ts). Slack is the emulator with the playground's page, in
 * this process, or a real Slack app given by its settings. `npm run cluster` starts it for people
 * (cluster/main.ts); the cluster fault test starts it and kills its parts.
 *
 * Who reaches what: the emulator sends Slack's requests to the Slack processes through the balancer (HTTP
 * mode) or over one Socket Mode connection per process; the Slack processes reach the ingress through the
 * list of node URLs (RESTATE_INGRESS_URL=n1,n2,n3); the services processes through the balancer; Restate
 * reaches the services through the balancer, over HTTP/2, signed with the cluster's request identity.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StartupError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { readAppManifest } from "../playground/app-manifest.ts";
import { attachPlayground, type PlaygroundServer } from "../playground/server.ts";
import { ensurePrivateFolder } from "../runtime/private-folder.ts";
import { ensureRequestIdentity } from "../runtime/request-identity.ts";
import { registerDeployment } from "../runtime/restate-admin.ts";
import { isAlive } from "../runtime/restate-server.ts";
import { ensureSecretFile } from "../runtime/secret-file.ts";
import { type EmulatorOptions, SlackEmulator } from "../slack-emulator/emulator.ts";
import { createDefaultWorkspace } from "../slack-emulator/workspace.ts";
import { type LoadBalancer, startLoadBalancer } from "./load-balancer.ts";
import { type NodePorts, type RestateCluster, startRestateCluster } from "./restate-cluster.ts";
import { type RoleProcess, startRoleProcess } from "./role-process.ts";

export interface ClusterPorts {
  /** The playground's page and the emulated Slack's Web API. */
  readonly playground: number;
  /** The balancer's front doors. */
  readonly ingress: number;
  readonly admin: number;
  readonly services: number;
  readonly slack: number;
  /** Each Restate node's own ports. */
  readonly nodes: readonly NodePorts[];
  /** Each ROLE=services process's endpoint, and each ROLE=slack process's Bolt port (HTTP mode). */
  readonly servicesCopies: readonly number[];
  readonly slackCopies: readonly number[];
}

/** `npm run cluster`'s ports: the balancer where `npm start` has its parts, the copies beside them. */
export function defaultClusterPorts(): ClusterPorts {
  return {
    playground: 3030,
    ingress: 8080,
    admin: 9070,
    services: 9080,
    slack: 3000,
    nodes: [0, 1, 2].map((i) => ({ ingress: 18080 + i, admin: 19070 + i, node: 15122 + i })),
    servicesCopies: [19080, 19081],
    slackCopies: [13000, 13001],
  };
}

export interface LocalClusterOptions {
  readonly dataDir: string;
  readonly ports: ClusterPorts;
  /** How Slack reaches the Slack processes. */
  readonly slackMode: "http" | "socket";
  /**
   * A real Slack app's settings (SLACK_BOT_TOKEN, ..., or OAuth's), given to every role process; without
   * them, the playground's emulated Slack.
   */
  readonly slackSettings?: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** More settings for every role process (the tests' pace of the demo agent, APPROVERS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** The emulator's own options (the tests' faster pace); the playground's otherwise. */
  readonly emulator?: EmulatorOptions;
  readonly retryPolicy?: { readonly initialIntervalMs: number; readonly maxIntervalMs: number };
  /** Aborted (Ctrl-C during start-up): what has started is stopped, and the start fails. */
  readonly signal?: AbortSignal;
}

export interface LocalCluster {
  /** The playground's emulated Slack; null with a real Slack app. */
  readonly emulator: SlackEmulator | null;
  readonly restate: RestateCluster;
  readonly services: readonly RoleProcess[];
  readonly slack: readonly RoleProcess[];
  readonly playgroundUrl: string | null;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  stop(): Promise<void>;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const { ports, logger } = options;
  const dataDir = options.dataDir;
  ensurePrivateFolder(dataDir);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, "Error while stopping the local cluster");
      }
    }
  };
  /**
   * Starts a copy of `role` per port, side by side (`<role>-1`, ...), each with `envOf(port)` beside the
   * shared settings; those that started are stopped with the rest if one fails.
   */
  const startCopies = async (
    role: "services" | "slack",
    copyPorts: readonly number[],
    shared: Readonly<Record<string, string>>,
    envOf: (port: number) => Record<string, string>,
  ): Promise<RoleProcess[]> => {
    const settled = await Promise.allSettled(
      copyPorts.map((port, index) =>
        startRoleProcess({
          name: `${role}-${index + 1}`,
          dataDir,
          logger,
          env: { ...shared, ROLE: role, ...envOf(port) },
        }),
      ),
    );
    const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    cleanups.push(async () => {
      await Promise.all(started.map((p) => p.stop()));
    });
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return started;
  };
  const step = () => {
    if (options.signal?.aborted) throw new Error("the local cluster's start was stopped");
  };
  try {
    // One cluster per folder: a second start would take the running one's nodes for leftovers.
    cleanups.push(holdFolder(dataDir));
    // The keys the processes must share (docs/production.md, "Which keys each process needs").
    const identity = ensureRequestIdentity(dataDir);
    const adapterKey = ensureSecretFile(dataDir, "adapter-key", "adapter key").key;
    const tokenKey = ensureSecretFile(dataDir, "token-key", "token key").key;

    const emulator = options.slackSettings
      ? null
      : new SlackEmulator({
          port: ports.playground,
          host: "127.0.0.1",
          workspace: createDefaultWorkspace(),
          postIntervalMs: 1000,
          appKeepAlive: true,
          ...options.emulator,
        });
    if (emulator) {
      await emulator.start();
      cleanups.push(() => emulator.close());
    }

    step();
    const restate = await startRestateCluster({
      dataDir,
      ports: ports.nodes,
      requestIdentityKeyPath: identity.privateKeyPath,
      logger,
      ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    });
    cleanups.push(() => restate.stop());
    step();

    const local = (port: number) => `127.0.0.1:${port}`;
    const balancer: LoadBalancer = await startLoadBalancer({
      dataDir,
      frontends: [
        {
          name: "ingress",
          port: ports.ingress,
          servers: ports.nodes.map((n) => local(n.ingress)),
          healthPath: "/restate/health",
        },
        {
          name: "admin",
          port: ports.admin,
          servers: ports.nodes.map((n) => local(n.admin)),
          healthPath: "/health",
        },
        { name: "services", port: ports.services, servers: ports.servicesCopies.map(local), h2: true },
        // Slack's requests (HTTP mode), and the install pages with OAuth.
        ...(options.slackMode === "http" || options.slackSettings?.SLACK_CLIENT_ID
          ? [{ name: "slack", port: ports.slack, servers: ports.slackCopies.map(local) }]
          : []),
      ],
    });
    cleanups.push(() => balancer.stop());
    const ingressUrl = `http://${local(ports.ingress)}`;
    const adminUrl = `http://${local(ports.admin)}`;
    const servicesUrl = `http://${local(ports.services)}`;

    const shared = {
      RESTATE_EMBEDDED: "false",
      RESTATE_ADMIN_URL: adminUrl,
      RESTATE_AUTO_REGISTER: "false",
      ADAPTER_KEY: adapterKey,
      TOKEN_KEY: tokenKey,
      SLACK_MODE: options.slackMode,
      ...(emulator ? emulatedSlack(emulator, options.slackMode) : options.slackSettings),
      ...options.env,
    };
    step();
    const services = await startCopies("services", ports.servicesCopies, shared, (port) => ({
      RESTATE_INGRESS_URL: ingressUrl,
      RESTATE_IDENTITY_KEYS: identity.publicKey,
      SERVICES_PORT: String(port),
      SERVICES_ADVERTISED_URL: servicesUrl,
    }));
    // One deployment for both copies: Restate knows the balancer's address, not theirs.
    await registerDeployment({ adminUrl, endpointUrl: servicesUrl, force: true });

    step();
    const slack = await startCopies("slack", ports.slackCopies, shared, (port) => ({
      RESTATE_INGRESS_URL: restate.ingressUrls.join(","),
      PORT: String(port),
      SLACK_BIND_ADDRESS: "127.0.0.1",
    }));
    // haproxy takes a copy in after two good checks: until then Slack's requests would meet a 503.
    if (options.slackMode === "http") await balancer.serving(ports.slack);
    if (emulator) {
      emulator.appUrl = options.slackMode === "http" ? `http://${local(ports.slack)}/slack/events` : null;
      if (options.slackMode === "socket") {
        const deadline = Date.now() + 30_000;
        while (emulator.socketConnectionCount < slack.length && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
      }
      step();
      const page: PlaygroundServer = attachPlayground({
        emulator,
        manifest: readAppManifest(),
        restateUiUrl: adminUrl,
      });
      cleanups.push(async () => page.close());
    }
    return {
      emulator,
      restate,
      services,
      slack,
      playgroundUrl: emulator?.url ?? null,
      ingressUrl,
      adminUrl,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The playground's one workspace, as the Slack settings of every role process. */
function emulatedSlack(emulator: SlackEmulator, mode: "http" | "socket"): Record<string, string> {
  const { bot } = emulator.workspace;
  return {
    SLACK_BOT_TOKEN: bot.botToken,
    SLACK_SIGNING_SECRET: bot.signingSecret,
    ...(mode === "socket" ? { SLACK_APP_TOKEN: bot.appToken } : {}),
    SLACK_API_URL: emulator.apiUrl,
  };
}

/**
 * Marks `dataDir` as in use by this process (`cluster.pid`), refusing when a live process holds it; the
 * returned cleanup lets it go.
 */
function holdFolder(dataDir: string): () => Promise<void> {
  const lock = join(dataDir, "cluster.pid");
  const holder = existsSync(lock) ? Number(readFileSync(lock, "utf8").trim()) : 0;
  if (holder > 0 && holder !== process.pid && isAlive(holder))
    throw new StartupError(
      `A local cluster already runs on ${dataDir} (process ${holder}): stop it first, or set CLUSTER_DATA_DIR to another folder`,
    );
  writeFileSync(lock, `${process.pid}\n`, { mode: 0o600 });
  return async () => rmSync(lock, { force: true });
}
