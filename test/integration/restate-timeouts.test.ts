/**
 * What Restate does to a step that runs longer than its invocation's inactivity and abort timeouts: the
 * measurement behind `agentSessionTimeouts` (src/services.ts). A probe service with a step of 3 s, against a
 * real restate-server: with inactivity 1 s and abort 1 s the attempt is aborted at about 2 s, the step's
 * result is lost and the step runs again, and again (it would never end); with an abort timeout longer than
 * the step, it runs once. The closure of an aborted attempt runs on to its end: its abort signal fires only
 * then, so a request it makes is not stopped by Restate's abort either.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as restate from "@restatedev/restate-sdk";
import { type ServicesEndpoint, startServicesEndpoint } from "../../src/restate/endpoint.ts";
import { freePort } from "../helpers/free-ports.ts";
import { testLogger } from "../helpers/test-logger.ts";
import { startTestRestate, type TestRestate } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

const STEP_MS = 3000;
/** When each probe's step began, per try. */
const starts: Record<string, number[]> = { CutProbe: [], RoomyProbe: [] };

function probe(name: string, abortMs: number) {
  return restate.service({
    name,
    options: { inactivityTimeout: 1000, abortTimeout: abortMs },
    handlers: {
      step: async (ctx: restate.Context) =>
        ctx.run("a long step", async () => {
          starts[name]?.push(Date.now());
          await new Promise((resolve) => setTimeout(resolve, STEP_MS));
          return "done";
        }),
    },
  });
}

let server: TestRestate;
let endpoint: ServicesEndpoint;
before(async () => {
  server = await startTestRestate();
  endpoint = await startServicesEndpoint({
    services: [probe("CutProbe", 1000), probe("RoomyProbe", 5000)],
    port: await freePort(),
    host: "127.0.0.1",
    logger: testLogger(),
  });
  await server.register(`http://127.0.0.1:${endpoint.port}`);
});
after(async () => {
  await server?.stop();
  await endpoint?.close();
});

const send = (service: string) =>
  fetch(`${server.ingressUrl}/${service}/step/send`, { method: "POST" }).then(
    (r) => r.json() as Promise<{ invocationId: string }>,
  );

test("a step longer than inactivity + abort is cut and runs again, its result lost each time", async () => {
  const { invocationId } = await send("CutProbe");
  await waitFor(() => ((starts.CutProbe?.length ?? 0) >= 3 ? true : undefined), {
    what: "the step started three times",
    timeoutMs: 20_000,
  });
  const [first, second] = starts.CutProbe ?? [];
  assert.ok(first !== undefined && second !== undefined);
  // The retry starts once the first closure has ended (its abort is seen then), about 3 s later.
  assert.ok(
    second - first >= STEP_MS - 200,
    `the retry came after the first try's end (${second - first} ms)`,
  );
  const status = await server.query<{ status: string; retry_count: number }>(
    `SELECT status, retry_count FROM sys_invocation WHERE id = '${invocationId}'`,
  );
  assert.notEqual(status[0]?.status, "completed", "it never completes");
  // Ends it (Restate's own kill, from the admin API), so the probe stops running.
  const killed = await fetch(`${server.adminUrl}/invocations/${invocationId}/kill`, { method: "PATCH" });
  assert.ok(killed.ok, `killed (${killed.status})`);
});

test("with an abort timeout longer than the step, it runs once and completes", async () => {
  const { invocationId } = await send("RoomyProbe");
  await waitFor(
    async () => {
      const rows = await server.query<{ status: string }>(
        `SELECT status FROM sys_invocation WHERE id = '${invocationId}'`,
      );
      return rows[0]?.status === "completed" ? true : undefined;
    },
    { what: "the invocation completed", timeoutMs: 20_000 },
  );
  assert.equal(starts.RoomyProbe?.length, 1);
});
