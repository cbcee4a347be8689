import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { pino } from "pino";
import {
  restateConfigToml,
  restateServerBinary,
  serverCommand,
  serverEnvironment,
} from "../../../src/runtime/restate-server.ts";

const options = {
  dataDir: "/tmp/x",
  bindAddress: "127.0.0.1",
  ingressPort: 18080,
  adminPort: 19070,
  nodePort: 15122,
  logger: pino({ level: "silent" }),
};

test("the server's configuration binds every listener to the chosen address and ports, over TCP only", () => {
  const toml = restateConfigToml(options);
  assert.match(toml, /^listen-mode = "tcp"$/m);
  assert.match(toml, /^bind-address = "127\.0\.0\.1:15122"$/m);
  assert.match(toml, /\[ingress\]\nbind-address = "127\.0\.0\.1:18080"/);
  assert.match(toml, /\[admin\]\nbind-address = "127\.0\.0\.1:19070"/);
  assert.match(toml, /^disable-telemetry = true$/m);
  assert.match(toml, /\[worker\.invoker\]\n(#.*\n)*eager-state-size-limit = "1\.0 MiB"/);
  assert.doesNotMatch(toml, /default-retry-policy/);
});

test("an IPv6 bind address is bracketed, and a wildcard bind is advertised on loopback", () => {
  assert.match(
    restateConfigToml({ ...options, bindAddress: "::1" }),
    /\[ingress\]\nbind-address = "\[::1\]:18080"/,
  );
  assert.match(
    restateConfigToml({ ...options, bindAddress: "0.0.0.0" }),
    /advertised-address = "http:\/\/127\.0\.0\.1:15122\/"/,
  );
});

test("a cluster node's configuration names its cluster, provisions on one node only and replicates on two", () => {
  const node = (autoProvision: boolean) =>
    restateConfigToml({
      ...options,
      cluster: {
        nodeName: "node-2",
        clusterName: "local",
        autoProvision,
        replication: 2,
        metadataAddresses: ["http://127.0.0.1:15122/", "http://127.0.0.1:15123/"],
      },
    });
  const toml = node(false);
  assert.match(toml, /^cluster-name = "local"$/m);
  assert.match(toml, /^auto-provision = false$/m);
  assert.match(node(true), /^auto-provision = true$/m);
  assert.match(toml, /^default-replication = 2$/m);
  assert.match(
    toml,
    /\[metadata-client\]\naddresses = \["http:\/\/127\.0\.0\.1:15122\/", "http:\/\/127\.0\.0\.1:15123\/"\]/,
  );
  assert.match(toml, /\[bifrost\]\ndefault-provider = "replicated"/);
  // A server alone says nothing of clusters: Restate's defaults for one node stay.
  assert.doesNotMatch(restateConfigToml(options), /cluster-name|auto-provision|metadata-client/);
});

test("a retry policy, when given, is written for the server", () => {
  const toml = restateConfigToml({ ...options, retryPolicy: { initialIntervalMs: 50, maxIntervalMs: 500 } });
  assert.match(toml, /\[default-retry-policy\]\ninitial-interval = "50ms"\nmax-interval = "500ms"/);
});

test("the server binary for this platform is found inside node_modules", () => {
  assert.ok(existsSync(restateServerBinary()));
});

test("the server is started under umask 077, so the files it creates are its owner's alone", () => {
  // The same command with a shell in the server's place, which reports the umask it was given.
  const command = serverCommand("/bin/sh", ["-c", "umask"]);
  const result = spawnSync(command.file, command.args, { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), "0077");
});

test("none of our RESTATE_* settings reaches the server, which would read them over its configuration file", () => {
  const env = serverEnvironment({
    PATH: "/usr/bin",
    RESTATE_BIND_ADDRESS: "127.0.0.1",
    RESTATE_DATA_DIR: "/x",
  });
  assert.deepEqual(env, { PATH: "/usr/bin" });
});
