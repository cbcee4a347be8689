/**
 * The ingress over a cluster's nodes: a node that refuses the connection never saw the request, so it
 * goes to the next at once; a failure after the request left is the caller's, and moves the next request on.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { failoverFetch } from "../../../src/runtime/ingress.ts";
import { freePorts } from "../../helpers/free-ports.ts";

const seen: { node: string; path: string; body: string }[] = [];
const servers: Server[] = [];

/** A node that records what reached it and answers with `status`, or cuts the connection when told. */
async function node(name: string, answer: () => number | "cut"): Promise<string> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      seen.push({ node: name, path: request.url ?? "", body });
      const status = answer();
      if (status === "cut") request.socket.destroy();
      else response.writeHead(status).end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let down: string;
let b: string;
let c: string;
let cAnswer: number | "cut" = 200;

before(async () => {
  const [port] = (await freePorts(1)) as [number];
  down = `http://127.0.0.1:${port}`; // nothing listens: connections are refused
  b = await node("b", () => 200);
  c = await node("c", () => cAnswer);
});

after(() => {
  for (const server of servers) server.close();
});

test("a request to a node that refuses the connection goes to the next, once, with its body", async () => {
  seen.length = 0;
  const request = failoverFetch([down, b, c]);
  const response = await request(`${down}/ChatService/ellie/process_user_message`, {
    method: "POST",
    body: '{"content":"hi"}',
  });
  assert.equal(await response.text(), "b");
  assert.deepEqual(seen, [
    { node: "b", path: "/ChatService/ellie/process_user_message", body: '{"content":"hi"}' },
  ]);
  // The next request goes straight to the node that answered.
  await request(`${down}/restate/health`);
  assert.deepEqual(
    seen.map((s) => s.node),
    ["b", "b"],
  );
});

test("a connection cut after the request left is not sent again here; the next request starts elsewhere", async () => {
  seen.length = 0;
  cAnswer = "cut";
  const request = failoverFetch([c, b]);
  await assert.rejects(request(`${c}/x`, { method: "POST", body: "once" }), /fetch failed/);
  assert.deepEqual(
    seen.map((s) => s.node),
    ["c"],
    "the cut request reached one node only",
  );
  const response = await request(`${c}/y`);
  assert.equal(await response.text(), "b");
  cAnswer = 200;
});

test("a node that answers 503 is tried last next time; when every node refuses, the last refusal is thrown", async () => {
  seen.length = 0;
  cAnswer = 503;
  const request = failoverFetch([c, b]);
  assert.equal((await request(`${c}/one`)).status, 503);
  assert.equal(await (await request(`${c}/two`)).text(), "b");
  cAnswer = 200;
  const [p1, p2] = (await freePorts(2)) as [number, number];
  const nowhere = failoverFetch([`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`]);
  await assert.rejects(nowhere(`http://127.0.0.1:${p1}/z`), (error: Error) => {
    assert.equal((error.cause as { code?: string }).code, "ECONNREFUSED");
    return true;
  });
});
