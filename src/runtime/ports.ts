/**
 * Checks that a TCP port can be bound, so a busy port ends start-up with a message that names it
 * instead of a server failing later with a message that doesn't.
 */
import { createServer } from "node:net";
import { StartupError } from "../errors.ts";

/** Resolves when `port` is free on `host`; throws a `StartupError` naming `what` when it is taken. */
export async function assertPortFree(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new StartupError(
            `Port ${port} on ${host} is already in use, so ${what} cannot listen there. Stop whatever uses it or choose another port.`,
          ),
        );
      } else if (error.code === "EADDRNOTAVAIL") {
        reject(
          new StartupError(`${host} is not an address of this machine, so ${what} cannot listen on it.`),
        );
      } else {
        reject(
          new StartupError(`Cannot listen on ${host}:${port} for ${what}: ${error.message}`, {
            cause: error,
          }),
        );
      }
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
