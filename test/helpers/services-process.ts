/**
 * Entry point of a separate services process for the durability tests: our real services and endpoint,
 * with the scripted agent, so a test can SIGKILL it at a gate and start it again.
 * With GATE_RUN_START=1, every attempt of `AgentSession.run` first reports to the step sink (kind
 * `run-start`) and waits for its answer: the exact moment between ChatService sending a run and the run
 * starting.
 */
import type * as restate from "@restatedev/restate-sdk";
import { parseConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logger.ts";
import { AGENT_SESSION } from "../../src/restate/contracts.ts";
import { startServicesEndpoint } from "../../src/restate/endpoint.ts";
import { parseRunKey } from "../../src/restate/keys.ts";
import { createServices, createWorkspaceClients } from "../../src/services.ts";
import { createScriptedAgent } from "./scripted-agent.ts";

const sinkUrl = process.env.SINK_URL;
if (!sinkUrl) throw new Error("SINK_URL is required");
const config = parseConfig(process.env);
// The services alone cannot make the key the adapter signs with: they must be given it.
if (!config.adapterKey) throw new Error("ADAPTER_KEY is required to run the services alone");

const runStartGate: restate.HooksProvider = ({ request }) => ({
  interceptor: {
    handler: async (next) => {
      if (request.target.service === AGENT_SESSION && request.target.handler === "run") {
        const { sessionKey, runId } = parseRunKey(request.target.key ?? "");
        await fetch(`${sinkUrl}/run-start`, {
          method: "POST",
          body: JSON.stringify({ sessionKey, runId, iteration: 0, history: [] }),
        });
      }
      await next();
    },
  },
});

const endpoint = await startServicesEndpoint({
  services: createServices({
    config,
    agent: createScriptedAgent(sinkUrl),
    logger: createLogger({ level: config.log.level, format: "json" }),
    adapterKey: config.adapterKey,
    slack: createWorkspaceClients(config, null, createLogger({ level: config.log.level, format: "json" })),
  }),
  port: config.services.port,
  host: config.services.bindAddress,
  logger: createLogger({ level: config.log.level, format: "json" }),
  ...(process.env.GATE_RUN_START === "1" ? { hooks: [runStartGate] } : {}),
});
process.stdout.write(`listening on ${endpoint.port}\n`);
