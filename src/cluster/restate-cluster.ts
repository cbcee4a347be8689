/**
 * A Restate cluster on this machine: three restate-server nodes from node_modules, each with its own ports
 * and data folder, every log record and partition kept on two of them (so one may die), all signing their
 * requests to our endpoint with one request identity. Each node is started by our runtime code
 * (src/runtime/restate-server.ts) as the embedded server is, with the settings of a cluster node; the
 * restate.toml each gets is the one docs/production.md shows for real machines.
 */
import { join } from "node:path";
import type { Logger } from "../logger.ts";
import { type EmbeddedRestate, startEmbeddedRestate } from "../runtime/restate-server.ts";

export interface NodePorts {
  readonly ingress: number;
  readonly admin: number;
  readonly node: number;
}

export interface ClusterNode {
  readonly name: string;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly server: EmbeddedRestate;
  /** SIGKILL (no goodbye to the others), then start again on the same data folder and ports. */
  killAndRestart(options?: { downMs?: number }): Promise<void>;
}

export interface RestateCluster {
  readonly nodes: readonly ClusterNode[];
  readonly ingressUrls: readonly string[];
  stop(): Promise<void>;
}

export const CLUSTER_NAME = "slack-agent-local";
/** Two copies of everything: the cluster goes on when one node of three is lost. */
export const REPLICATION = 2;

export async function startRestateCluster(options: {
  readonly dataDir: string;
  readonly ports: readonly NodePorts[];
  readonly requestIdentityKeyPath: string;
  readonly logger: Logger;
  /** Tests shorten the retry of failing invocations so recovery takes seconds. */
  readonly retryPolicy?: { readonly initialIntervalMs: number; readonly maxIntervalMs: number };
}): Promise<RestateCluster> {
  const metadataAddresses = options.ports.map((p) => `http://127.0.0.1:${p.node}/`);
  const settingsOf = (index: number) => {
    const ports = options.ports[index] as NodePorts;
    const name = `node-${index + 1}`;
    return {
      name,
      settings: {
        dataDir: join(options.dataDir, name),
        bindAddress: "127.0.0.1",
        ingressPort: ports.ingress,
        adminPort: ports.admin,
        nodePort: ports.node,
        logger: options.logger,
        requestIdentityKeyPath: options.requestIdentityKeyPath,
        startTimeoutMs: 120_000,
        ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
        cluster: {
          nodeName: name,
          clusterName: CLUSTER_NAME,
          // The first node provisions the cluster on its first start; the others join it.
          autoProvision: index === 0,
          replication: REPLICATION,
          metadataAddresses,
        },
      },
    };
  };
  // Together: a node is healthy only once the cluster it belongs to is provisioned and has its quorum.
  const started = await Promise.allSettled(
    options.ports.map((_, index) => startEmbeddedRestate(settingsOf(index).settings)),
  );
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  let stopping = false;
  const nodes = started.map((s, index) => {
    let server = (s as PromiseFulfilledResult<EmbeddedRestate>).value;
    const { name, settings } = settingsOf(index);
    let killing = false;
    const watch = (watched: EmbeddedRestate) => {
      void watched.exited.then((code) => {
        if (!stopping && !killing)
          options.logger.warn(`Restate ${name} exited (${code}); see ${watched.dataDir}/restate-server.log`);
      });
    };
    watch(server);
    const node: ClusterNode = {
      name,
      ingressUrl: server.ingressUrl,
      adminUrl: server.adminUrl,
      get server() {
        return server;
      },
      async killAndRestart({ downMs = 0 } = {}) {
        killing = true;
        server.kill("SIGKILL");
        await server.exited;
        if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
        server = await startEmbeddedRestate(settings);
        killing = false;
        watch(server);
      },
    };
    return node;
  });
  return {
    nodes,
    ingressUrls: nodes.map((n) => n.ingressUrl),
    async stop() {
      stopping = true;
      await Promise.all(nodes.map((n) => n.server.stop()));
    },
  };
}
