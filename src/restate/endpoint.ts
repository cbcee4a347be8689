/**
 * The HTTP/2 server that Restate calls to run our handlers. Listening and closing live here; what is
 * served comes from services.ts, and this file knows nothing of it. `close()` ends Restate's open HTTP/2
 * sessions too, so it does not hang.
 */
import { createServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";
import { type Logger, restateLogTransport } from "../logger.ts";
import { cannotListen } from "../runtime/ports.ts";
import { refuseBrowserRequests } from "./caller.ts";

export interface ServicesEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function startServicesEndpoint(options: {
  readonly services: restate.EndpointOptions["services"];
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
  readonly identityKeys?: readonly string[];
  /** SDK interceptors around every handler and step (tracing, metrics, test gates). */
  readonly hooks?: readonly restate.HooksProvider[];
}): Promise<ServicesEndpoint> {
  const handler = restate.createEndpointHandler({
    services: options.services,
    logger: restateLogTransport(options.logger),
    ...(options.identityKeys && options.identityKeys.length > 0
      ? { identityKeys: [...options.identityKeys] }
      : {}),
    // Every handler of every object refuses browsers, whatever else wraps it.
    defaultServiceOptions: { hooks: [refuseBrowserRequests, ...(options.hooks ?? [])] },
  });
  const server = createServer(handler);
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      reject(
        cannotListen(error, {
          port: options.port,
          host: options.host,
          what: "our services endpoint (SERVICES_PORT)",
        }),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}
