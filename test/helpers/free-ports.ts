/** Free TCP ports on loopback, so that test runs never collide with each other or with `npm start`. */
import { createServer } from "node:net";
import type { ClusterPorts } from "../../src/cluster/local-cluster.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (!address || typeof address === "string") return reject(new Error("no port"));
      server.close(() => resolve(address.port));
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Every port a local 3-node cluster needs (its balancer's, each node's, each copy's), free. */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  const ports = await freePorts(18);
  const take = (n: number) => ports.splice(0, n);
  const [playground, ingress, admin, services, slack] = take(5) as [number, number, number, number, number];
  return {
    playground,
    ingress,
    admin,
    services,
    slack,
    nodes: [0, 1, 2].map(() => {
      const [i, a, n] = take(3) as [number, number, number];
      return { ingress: i, admin: a, node: n };
    }),
    servicesCopies: take(2),
    slackCopies: take(2),
  };
}
