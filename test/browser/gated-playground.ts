/**
 * `npm run playground` for the browser tests, with the scripted agent in place of the demo agent: each
 * step asks the test's step sink (SINK_URL), which may hold it, so a test keeps a run going exactly as long
 * as it needs instead of racing the demo agent's clock. Everything else is what `npm run playground`
 * starts (embedded Restate, our services, the Bolt app, the emulated Slack); Ctrl-C stops it the same way.
 */
import { startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { createScriptedAgent } from "../helpers/scripted-agent.ts";

const sinkUrl = process.env.SINK_URL;
if (!sinkUrl) throw new Error("SINK_URL is required");
const config = parseConfig({ ...process.env, SLACK_MODE: "playground" });
const logger = createLogger(config.log);
const app = await startApp({ config, logger, agent: createScriptedAgent(sinkUrl) });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
logger.info("Ready");
