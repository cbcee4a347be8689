import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { StartupError } from "../../../src/errors.ts";
import { assertPortFree, cannotListen } from "../../../src/runtime/ports.ts";

const target = { port: 3000, host: "127.0.0.1", what: "the Slack app (PORT)" };
const failure = (code: string, message = code) => Object.assign(new Error(message), { code });

test("a busy port is named with the part, its setting and what to do", () => {
  const error = cannotListen(failure("EADDRINUSE"), target);
  assert.ok(error instanceof StartupError);
  assert.equal(
    error.message,
    "Port 3000 on 127.0.0.1 is already in use, so the Slack app (PORT) cannot listen there. Stop whatever uses it or choose another port.",
  );
});

test("an address not of this machine, and any other failure, name the part and keep the cause", () => {
  assert.equal(
    cannotListen(failure("EADDRNOTAVAIL"), { ...target, host: "10.9.9.9" }).message,
    "10.9.9.9 is not an address of this machine, so the Slack app (PORT) cannot listen on it.",
  );
  const denied = failure("EACCES", "permission denied");
  const error = cannotListen(denied, target);
  assert.equal(error.message, "Cannot listen on 127.0.0.1:3000 for the Slack app (PORT): permission denied");
  assert.equal(error.cause, denied);
});

test("a port taken by another server is refused before start-up goes on, and a free one passes", async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  t.after(() => holder.close());
  const { port } = holder.address() as { port: number };
  await assert.rejects(
    assertPortFree(port, "127.0.0.1", "the playground (PLAYGROUND_PORT)"),
    (error: unknown) =>
      error instanceof StartupError &&
      error.message.startsWith(
        `Port ${port} on 127.0.0.1 is already in use, so the playground (PLAYGROUND_PORT)`,
      ),
  );
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  await assertPortFree(port, "127.0.0.1", "the playground (PLAYGROUND_PORT)");
});
