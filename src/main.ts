/**
 * `npm start`: loads `.env`, validates the settings, starts the app and stops it on Ctrl-C or SIGTERM.
 * Start-up problems (bad settings, busy ports, an unreachable server) end the process with a message.
 * With register.ts, the only module that owns the process (environment, arguments, signals, exit code).
 */
import dotenv from "dotenv";
import { startApp } from "./app.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { StartupError } from "./errors.ts";
import { createLogger } from "./logger.ts";

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config: ReturnType<typeof parseConfig>;
  try {
    // `npm run playground` passes --playground: the playground whatever the Slack settings say.
    const forced = process.argv.includes("--playground") ? { SLACK_MODE: "playground" } : {};
    config = parseConfig({ ...process.env, ...forced }, process.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger(config.log);

  let shuttingDown = false;
  let firstSignalAt = 0;
  const shutdown = async (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`Stopping (${reason})`);
    await app?.stop();
    logger.info("Stopped");
    process.exit(exitCode);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // A Ctrl-C under `npm start` arrives twice (from the terminal, and forwarded by npm): only a signal
    // that comes a while after the first means "stop waiting".
    if (shuttingDown) {
      if (Date.now() - firstSignalAt < 1000) return;
      logger.warn(`${signal} again: exiting at once`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    void shutdown(signal, 0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let app: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    app = await startApp({
      config,
      logger,
      onFatal: (error) => {
        logger.error(error.message);
        void shutdown("a part failed", 1);
      },
    });
  } catch (error) {
    if (error instanceof StartupError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  if (shuttingDown) await app.stop();
  logger.info("Ready");
}

await main();
