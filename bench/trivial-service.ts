/**
 * The benchmark's floor: a trivial virtual object (`Trivial.noop`) on its own endpoint, registered with the
 * same restate-server as the product, to measure what Restate itself costs on this machine.
 */
import { createServer } from "node:http2";
import * as restate from "@restatedev/restate-sdk";

const trivial = restate.object({
  name: "Trivial",
  handlers: {
    noop: async (_ctx: restate.ObjectContext, input: unknown) => input ?? null,
  },
});

const keys = (process.env.IDENTITY_KEYS ?? "").split(",").filter(Boolean);
const server = createServer(
  restate.createEndpointHandler({
    services: [trivial],
    ...(keys.length > 0 ? { identityKeys: keys } : {}),
    logger: () => {},
  }),
);
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening on ${typeof address === "object" && address ? address.port : 0}\n`);
});
