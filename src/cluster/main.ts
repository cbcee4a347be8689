/**
 * `npm run cluster`: the product spread out as in production, on this machine (local-cluster.ts): three
 * Restate nodes, two ROLE=services and two ROLE=slack processes, haproxy in front, and Slack: the
 * playground, or the Slack app the settings (or .env) name, as for `npm start` (SLACK_MODE=playground
 * forces the playground). With the playground, `-- --socket` has the Slack processes use Socket Mode (one
 * connection each) instead of HTTP; with a real app, SLACK_APP_TOKEN decides, as for `npm start`. The
 * other settings (AGENT, LLM_*, MODE, ...) go to every copy. Ctrl-C stops all of it, also during start-up;
 * the cluster's data stays in CLUSTER_DATA_DIR (default .restate-cluster).
 */
import { resolve } from "node:path";
import dotenv from "dotenv";
import { REAL_SLACK_SETTINGS, SETTING_NAMES } from "../config.ts";
import { createLogger } from "../logger.ts";
import { defaultClusterPorts, type LocalCluster, startLocalCluster } from "./local-cluster.ts";

/** Settings the local cluster decides for each copy itself (its role, ports, Restate, keys' files). */
const CLUSTER_OWNED =
  /^(ROLE|RESTATE_.*|PORT|SERVICES_.*|SLACK_MODE|SLACK_BIND_ADDRESS|PLAYGROUND_PORT|LOG_FORMAT)$/;

dotenv.config({ quiet: true });
const logger = createLogger({ level: "info", format: process.stdout.isTTY ? "pretty" : "json" });
const dataDir = resolve(process.env.CLUSTER_DATA_DIR || ".restate-cluster");
const given = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      SETTING_NAMES.includes(entry[0]) && !CLUSTER_OWNED.test(entry[0]) && Boolean(entry[1]),
  ),
);
const isSlackSetting = ([name]: [string, string]) => REAL_SLACK_SETTINGS.includes(name);
const slackSettings = Object.fromEntries(Object.entries(given).filter(isSlackSetting));
const otherSettings = Object.fromEntries(Object.entries(given).filter((entry) => !isSlackSetting(entry)));
const realSlack = Object.keys(slackSettings).length > 0 && process.env.SLACK_MODE !== "playground";
const slackMode = (realSlack ? "SLACK_APP_TOKEN" in slackSettings : process.argv.includes("--socket"))
  ? "socket"
  : "http";
const ports = defaultClusterPorts();

logger.info(`Starting the local cluster (data in ${dataDir}; each part's log there too)`);
const starting = new AbortController();
let cluster: LocalCluster | undefined;
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info(`Stopping the local cluster (${signal})`);
  // During start-up: the start stops what it started, and ends in an error we leave to it.
  starting.abort();
  await cluster?.stop();
  if (cluster) {
    logger.info("Stopped");
    process.exit(0);
  }
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

try {
  cluster = await startLocalCluster({
    dataDir,
    ports,
    slackMode,
    logger,
    env: otherSettings,
    signal: starting.signal,
    ...(realSlack ? { slackSettings } : {}),
  });
} catch (error) {
  if (stopping) {
    logger.info("Stopped");
    process.exit(0);
  }
  logger.error((error as Error).message);
  process.exit(1);
}
logger.info(
  [
    "LOCAL CLUSTER: 3 Restate nodes (replication 2), 2 ROLE=services, 2 ROLE=slack, haproxy in front.",
    cluster.playgroundUrl
      ? `Open ${cluster.playgroundUrl} (the playground: Slack emulated on this machine).`
      : `Slack: your app (${slackMode === "http" ? `Slack's requests to 127.0.0.1:${ports.slack}/slack/events, through a tunnel` : "Socket Mode"}).`,
    `Restate nodes: ingress ${cluster.restate.ingressUrls.join(", ")}; through haproxy: ingress ${cluster.ingressUrl}, admin and UI ${cluster.adminUrl}.`,
    `Services: ${ports.servicesCopies.map((p) => `127.0.0.1:${p}`).join(", ")} behind 127.0.0.1:${ports.services} (HTTP/2).`,
    slackMode === "http"
      ? `Slack processes: ${ports.slackCopies.map((p) => `127.0.0.1:${p}`).join(", ")} behind 127.0.0.1:${ports.slack}.`
      : `Slack processes: ${cluster.slack.length} over Socket Mode, one connection each.`,
    `Try: curl ${cluster.ingressUrl}/ChatService/ellie/process_user_message --json '{"content": "do something", "role": "user"}'`,
  ].join("\n"),
);
logger.info("Ready");
