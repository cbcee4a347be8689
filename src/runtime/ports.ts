/**
 * The one start-up message for a port we cannot listen on, and a check that a port is free before a
 * server that would fail later with a vaguer message starts. Every listener of the product (our
 * endpoint, the Bolt app, the playground, the embedded server's ports) reports through `cannotListen`,
 * so a person always reads which port, for what (with its setting), and what to do.
 */
import { createServer } from "node:net";
import { StartupError } from "../errors.ts";

/** Where a part wanted to listen; `what` names the part and its setting: "the Slack app (PORT)". */
export interface ListenTarget {
  readonly port: number;
  readonly host: string;
  readonly what: string;
}

/** The `StartupError` for a failed listen on `target`. */
export function cannotListen(error: unknown, { port, host, what }: ListenTarget): StartupError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "EADDRINUSE") {
    return new StartupError(
      `Port ${port} on ${host} is already in use, so ${what} cannot listen there. Stop whatever uses it or choose another port.`,
      { cause: error },
    );
  }
  if (code === "EADDRNOTAVAIL") {
    return new StartupError(`${host} is not an address of this machine, so ${what} cannot listen on it.`, {
      cause: error,
    });
  }
  return new StartupError(`Cannot listen on ${host}:${port} for ${what}: ${(error as Error).message}`, {
    cause: error,
  });
}

/** Resolves when `port` is free on `host`; throws a `StartupError` naming `what` when it is not. */
export async function assertPortFree(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => reject(cannotListen(error, { port, host, what })));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
