/**
 * `npm run register`: registers our services endpoint (SERVICES_ADVERTISED_URL) with the Restate server at
 * RESTATE_ADMIN_URL. The documented step for an external server, where `npm start` does not register by
 * itself. Without `--force`, a URL already registered with other handlers is refused (Restate itself would
 * keep the old deployment and answer 200), which protects runs in flight: deploy a new version at a new URL
 * instead (docs/operations.md, "Upgrading").
 */
import dotenv from "dotenv";
import { ConfigError, parseConfig } from "./config.ts";
import { StartupError } from "./errors.ts";
import { registerDeployment } from "./runtime/restate-admin.ts";

dotenv.config({ quiet: true });
try {
  const config = parseConfig(process.env);
  const force = process.argv.includes("--force");
  const deployment = await registerDeployment({
    adminUrl: config.restate.adminUrl,
    endpointUrl: config.services.advertisedUrl,
    force,
  });
  process.stdout.write(
    `Registered ${config.services.advertisedUrl} with ${config.restate.adminUrl} as ${deployment.id}: ${deployment.services.map((s) => s.name).join(", ")}\n`,
  );
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof StartupError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
