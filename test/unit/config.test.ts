import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  botTokenOf,
  type Config,
  ConfigError,
  isLoopbackAddress,
  type PlaygroundSlack,
  parseConfig,
  parseDuration,
  SETTING_NAMES,
} from "../../src/config.ts";
import { agentSessionTimeouts } from "../../src/services.ts";

function playgroundOf(config: Config): PlaygroundSlack {
  if (config.slack.mode !== "playground") assert.fail(`expected the playground, got ${config.slack.mode}`);
  return config.slack;
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

test("with nothing set, the defaults are the documented ones", () => {
  const config = parseConfig({});
  assert.equal(config.defaultMode, "INTERRUPT");
  assert.equal(config.queueMax, 20);
  assert.deepEqual(config.restate, {
    embedded: true,
    ingressUrls: ["http://localhost:8080"],
    adminUrl: "http://localhost:9070",
    ingressPort: 8080,
    adminPort: 9070,
    nodePort: 5122,
    bindAddress: "127.0.0.1",
    dataDir: ".restate",
    autoRegister: true,
    idempotencyRetentionMs: 24 * 3_600_000,
    journalRetentionMs: 3_600_000,
    channelListingRetentionMs: 7 * 24 * 3_600_000,
    identityKeys: [],
  });
  assert.deepEqual(config.services, {
    port: 9080,
    bindAddress: "127.0.0.1",
    advertisedUrl: "http://127.0.0.1:9080",
  });
  assert.deepEqual(config.agent, {
    kind: "demo",
    iterationMs: 3000,
    doneProbability: 0.1,
    maxIterations: 10,
    approval: false,
    contextTokens: 32_000,
  });
  assert.deepEqual(config.approvals, { approvers: [], timeoutMs: 24 * 3_600_000, undoOnInterrupt: false });
  assert.deepEqual(config.log, { level: "info", format: "json" });
  assert.equal(config.allowPublicBind, false);
});

test("MODE is read case-insensitively", () => {
  assert.equal(parseConfig({ MODE: "incorporate" }).defaultMode, "INCORPORATE");
  assert.equal(parseConfig({ MODE: " Queue " }).defaultMode, "QUEUE");
});

test("every bad setting is reported at once, each naming its variable", () => {
  const problems = problemsOf({
    MODE: "FAST",
    SERVICES_PORT: "99999",
    RESTATE_EMBEDDED: "maybe",
    DEMO_DONE_PROBABILITY: "2",
    RESTATE_ADMIN_URL: "localhost:9070",
    RESTATE_JOURNAL_RETENTION: "soon",
  });
  assert.equal(problems.length, 6, problems.join("\n"));
  assert.match(problems.join("\n"), /MODE: must be one of INTERRUPT, INCORPORATE, QUEUE \(got "FAST"\)/);
  for (const name of [
    "SERVICES_PORT",
    "RESTATE_EMBEDDED",
    "DEMO_DONE_PROBABILITY",
    "RESTATE_ADMIN_URL",
    "RESTATE_JOURNAL_RETENTION",
  ]) {
    assert.ok(
      problems.some((problem) => problem.startsWith(`${name}: `)),
      name,
    );
  }
});

test("an empty value counts as unset, as in a .env file with FOO=", () => {
  assert.equal(parseConfig({ MODE: "", SERVICES_PORT: "  " }).defaultMode, "INTERRUPT");
  assert.equal(parseConfig({ SERVICES_PORT: "" }).services.port, 9080);
});

test("the embedded server's ports come from the two URLs, and registration follows RESTATE_EMBEDDED unless set", () => {
  const external = parseConfig({
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: "http://restate.internal:18080/",
    RESTATE_ADMIN_URL: "https://restate.internal",
  });
  assert.equal(external.restate.ingressPort, 18080);
  assert.equal(external.restate.adminPort, 443);
  assert.deepEqual(external.restate.ingressUrls, ["http://restate.internal:18080"]);
  assert.equal(external.restate.autoRegister, false);
  assert.equal(
    parseConfig({ RESTATE_EMBEDDED: "false", RESTATE_AUTO_REGISTER: "yes" }).restate.autoRegister,
    true,
  );
});

test("the advertised services URL defaults to a loopback address on SERVICES_PORT", () => {
  assert.equal(parseConfig({ SERVICES_PORT: "9999" }).services.advertisedUrl, "http://127.0.0.1:9999");
  assert.equal(
    parseConfig({ SERVICES_BIND_ADDRESS: "0.0.0.0", ALLOW_PUBLIC_BIND: "true" }).services.advertisedUrl,
    "http://127.0.0.1:9080",
  );
  assert.equal(
    parseConfig({ SERVICES_ADVERTISED_URL: "http://agent.internal:9080/" }).services.advertisedUrl,
    "http://agent.internal:9080",
  );
});

test("LOG_FORMAT=auto is pretty in a terminal and JSON otherwise", () => {
  assert.equal(parseConfig({}, true).log.format, "pretty");
  assert.equal(parseConfig({}, false).log.format, "json");
  assert.equal(parseConfig({ LOG_FORMAT: "json" }, true).log.format, "json");
});

test("durations accept units", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("24h"), 86_400_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("250"), 250);
  assert.equal(parseDuration("1 week"), undefined);
  assert.equal(
    parseConfig({ RESTATE_IDEMPOTENCY_RETENTION: "2d" }).restate.idempotencyRetentionMs,
    172_800_000,
  );
});

test("the configuration cannot be changed after parsing", () => {
  const config = parseConfig({});
  assert.throws(() => {
    (config.restate as { dataDir: string }).dataDir = "/elsewhere";
  }, TypeError);
});

test("every setting is documented in .env.example and in the settings table of docs/settings.md", () => {
  const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
  const reference = readFileSync(new URL("../../docs/settings.md", import.meta.url), "utf8");
  for (const name of SETTING_NAMES) {
    assert.match(example, new RegExp(`^${name}=`, "m"), `${name} in .env.example`);
    assert.match(reference, new RegExp(`^\\| \`${name}\` \\|`, "m"), `${name} in docs/settings.md`);
  }
  const documented = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
  assert.deepEqual(
    documented.filter((name) => !SETTING_NAMES.includes(name ?? "")),
    [],
    "no stale settings",
  );
  const tabled = [...reference.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(
    tabled.filter((name) => !SETTING_NAMES.includes(name ?? "")),
    [],
    "no stale rows in docs/settings.md",
  );
});

test("no Slack settings means the playground; a token and secret mean HTTP; an app token means Socket Mode", () => {
  const config = parseConfig({ PORT: "3100", PLAYGROUND_PORT: "3200" });
  assert.equal(config.slack.mode, "playground");
  const playground = playgroundOf(config);
  assert.equal(playground.playgroundPort, 3200);
  // The Bolt app takes the emulator's requests over HTTP on loopback, with a token and secret made up for this run.
  assert.deepEqual(
    { port: playground.port, bind: playground.bindAddress },
    { port: 3100, bind: "127.0.0.1" },
  );
  // The app installs itself into the emulated workspaces through OAuth, with credentials made up for this run.
  assert.equal(playground.auth.kind, "oauth");
  assert.match(playground.auth.clientId, /^\d+\.\d+$/);
  assert.notEqual(playground.auth.clientSecret, playgroundOf(parseConfig({})).auth.clientSecret);
  assert.equal(config.slackApi.url, "http://127.0.0.1:3200/api/");
  // No one token: each workspace's comes from its installation.
  assert.equal(botTokenOf(config.slack), null);
  assert.equal(playgroundOf(parseConfig({})).playgroundPort, 3030);
  const http = parseConfig({
    SLACK_BOT_TOKEN: "xoxb-1",
    SLACK_SIGNING_SECRET: "0123456789abcdef",
    PORT: "3100",
  }).slack;
  assert.deepEqual(http, {
    mode: "http",
    auth: { kind: "token", botToken: "xoxb-1" },
    signingSecret: "0123456789abcdef",
    port: 3100,
    bindAddress: "0.0.0.0",
  });
  const socket = parseConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }).slack;
  assert.deepEqual(socket, {
    mode: "socket",
    auth: { kind: "token", botToken: "xoxb-1" },
    appToken: "xapp-1",
    signingSecret: null,
  });
  const api = parseConfig({ SLACK_MODE: "none", SLACK_API_URL: "http://127.0.0.1:9999/api" }).slackApi;
  assert.equal(api.url, "http://127.0.0.1:9999/api/");
  assert.equal(parseConfig({ SLACK_MODE: "none" }).slackApi.url, "https://slack.com/api/");
  // No Bolt app and no playground: the Slack settings carry nothing but their mode, and no token.
  assert.deepEqual(parseConfig({ SLACK_MODE: "none" }).slack, { mode: "none" });
  assert.equal(botTokenOf(parseConfig({ SLACK_MODE: "none" }).slack), null);
});

test("SLACK_MODE makes the choice explicit: http and socket need their settings, playground ignores them", () => {
  assert.match(
    problemsOf({ SLACK_MODE: "http" }).join("\n"),
    /SLACK_BOT_TOKEN: missing: SLACK_MODE=http needs/,
  );
  assert.match(
    problemsOf({ SLACK_MODE: "http" }).join("\n"),
    /SLACK_SIGNING_SECRET: missing: SLACK_MODE=http/,
  );
  assert.match(
    problemsOf({ SLACK_MODE: "socket", SLACK_BOT_TOKEN: "xoxb-1" }).join("\n"),
    /SLACK_APP_TOKEN: missing: SLACK_MODE=socket needs/,
  );
  assert.match(
    problemsOf({ SLACK_MODE: "slack" }).join("\n"),
    /SLACK_MODE: must be one of http, socket, playground, none/,
  );
  // Explicit socket with both tokens and a signing secret: Socket Mode (the secret is optional there).
  assert.equal(
    parseConfig({ SLACK_MODE: "Socket", SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }).slack.mode,
    "socket",
  );
  const forced = playgroundOf(
    parseConfig({
      SLACK_MODE: "playground",
      SLACK_BOT_TOKEN: "xoxb-real",
      SLACK_SIGNING_SECRET: "0123456789abcdef",
    }),
  );
  assert.equal(forced.auth.kind, "oauth");
  assert.deepEqual(forced.ignoredSettings, ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
});

test("a half-configured Slack stops start-up and says what is missing", () => {
  assert.match(
    problemsOf({ SLACK_BOT_TOKEN: "xoxb-1" }).join("\n"),
    /SLACK_SIGNING_SECRET: missing: HTTP mode needs it/,
  );
  assert.match(
    problemsOf({ SLACK_SIGNING_SECRET: "0123456789abcdef" }).join("\n"),
    /SLACK_BOT_TOKEN: missing/,
  );
  assert.match(problemsOf({ SLACK_APP_TOKEN: "xapp-1" }).join("\n"), /SLACK_BOT_TOKEN: missing/);
  assert.match(
    problemsOf({ SLACK_BOT_TOKEN: "xoxp-user", SLACK_SIGNING_SECRET: "0123456789abcdef" }).join("\n"),
    /SLACK_BOT_TOKEN: must be a bot token/,
  );
  // Reported together with the other problems, not one round at a time.
  assert.equal(problemsOf({ SLACK_BOT_TOKEN: "xoxb-1", MODE: "FAST" }).length, 2);
});

const OAUTH = {
  SLACK_CLIENT_ID: "1234567890.0987654321",
  SLACK_CLIENT_SECRET: "client-secret-0123",
  SLACK_STATE_SECRET: "s".repeat(32),
};

test("OAuth instead of a bot token: the client id, secret and state secret make one app for many workspaces", () => {
  const http = parseConfig({ ...OAUTH, SLACK_SIGNING_SECRET: "0123456789abcdef", PORT: "3100" }).slack;
  assert.equal(http.mode, "http");
  assert.deepEqual(http.mode === "http" && http.auth, {
    kind: "oauth",
    clientId: OAUTH.SLACK_CLIENT_ID,
    clientSecret: OAUTH.SLACK_CLIENT_SECRET,
    stateSecret: OAUTH.SLACK_STATE_SECRET,
    installPort: 3100,
    installBindAddress: "0.0.0.0",
  });
  // No single token for the durable side: each workspace's comes from its installation.
  assert.equal(botTokenOf(http), null);
  // Socket Mode serves the install pages on their own port.
  const socket = parseConfig({ ...OAUTH, SLACK_APP_TOKEN: "xapp-1", SLACK_INSTALL_PORT: "3300" }).slack;
  assert.equal(socket.mode === "socket" && socket.auth.kind === "oauth" && socket.auth.installPort, 3300);
});

test("half-configured OAuth stops start-up naming what is missing; a bot token with OAuth is one too many", () => {
  const missing = problemsOf({
    SLACK_CLIENT_ID: OAUTH.SLACK_CLIENT_ID,
    SLACK_SIGNING_SECRET: "0123456789abcdef",
  });
  assert.match(missing.join("\n"), /SLACK_CLIENT_SECRET: missing: Slack's OAuth flow needs/);
  assert.match(missing.join("\n"), /SLACK_STATE_SECRET: missing/);
  assert.doesNotMatch(missing.join("\n"), /SLACK_BOT_TOKEN/);
  assert.match(
    problemsOf({ ...OAUTH, SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "0123456789abcdef" }).join("\n"),
    /SLACK_BOT_TOKEN: set together with OAuth: choose one/,
  );
  assert.match(
    problemsOf({ ...OAUTH, SLACK_STATE_SECRET: "short", SLACK_SIGNING_SECRET: "0123456789abcdef" }).join(
      "\n",
    ),
    /SLACK_STATE_SECRET: must be at least 32 characters/,
  );
  // OAuth settings alone still need the signing secret (HTTP) or an app token (Socket Mode).
  assert.match(problemsOf(OAUTH).join("\n"), /SLACK_SIGNING_SECRET: missing/);
});

test("TOKEN_KEY and TOKEN_KEYS_PREVIOUS: keys of 32 characters or more, the previous ones a list", () => {
  assert.deepEqual(parseConfig({ SLACK_MODE: "none" }).tokenKeys, { current: null, previous: [] });
  const keys = parseConfig({
    SLACK_MODE: "none",
    TOKEN_KEY: "n".repeat(32),
    TOKEN_KEYS_PREVIOUS: `${"a".repeat(32)}, ${"b".repeat(40)}`,
  });
  assert.deepEqual(keys.tokenKeys, { current: "n".repeat(32), previous: ["a".repeat(32), "b".repeat(40)] });
  assert.match(
    problemsOf({ SLACK_MODE: "none", TOKEN_KEYS_PREVIOUS: "short" }).join("\n"),
    /TOKEN_KEYS_PREVIOUS/,
  );
});

test("RESTATE_IDENTITY_KEYS takes request-identity public keys, and nothing else", () => {
  const keys = parseConfig({
    RESTATE_IDENTITY_KEYS:
      "publickeyv1_3TGRtjN9BChgbwhnNHRoZT6Sc4DXbtL5UiNwS6pBsTCs, publickeyv1_2G8dCQhArfvGpzPw5Vx2ALciR4xCLHfS5YaT93XjNxX9",
  }).restate.identityKeys;
  assert.equal(keys.length, 2);
  assert.match(problemsOf({ RESTATE_IDENTITY_KEYS: "ssh-ed25519 AAAA" }).join("\n"), /RESTATE_IDENTITY_KEYS/);
});

test("AGENT=llm needs the model's URL, key and name, and says so for each one missing", () => {
  // The demo agent by default, which carries no model settings.
  assert.equal(parseConfig({}).agent.kind, "demo");
  assert.equal("baseUrl" in parseConfig({}).agent, false);
  const problems = problemsOf({ AGENT: "llm" });
  assert.equal(problems.length, 3);
  assert.match(problems[0] ?? "", /^LLM_BASE_URL: missing: AGENT=llm needs/);
  assert.match(problems[1] ?? "", /^LLM_API_KEY: missing/);
  assert.match(problems[2] ?? "", /^LLM_MODEL: missing/);
  assert.deepEqual(problemsOf({ AGENT: "gpt" }), ['AGENT: must be demo or llm (got "gpt")']);
  assert.deepEqual(
    problemsOf({ AGENT: "llm", LLM_BASE_URL: "api.openai.com", LLM_API_KEY: "k", LLM_MODEL: "m" }),
    ["LLM_BASE_URL: must be an http:// or https:// URL"],
  );
  const config = parseConfig({
    AGENT: "LLM",
    LLM_BASE_URL: "http://localhost:11434/v1/",
    LLM_API_KEY: "ollama",
    LLM_MODEL: "llama3.1",
    LLM_STREAM: "false",
  });
  assert.deepEqual(config.agent, {
    kind: "llm",
    baseUrl: "http://localhost:11434/v1",
    apiKey: "ollama",
    model: "llama3.1",
    systemPrompt: null,
    maxSteps: 10,
    stream: false,
    timeouts: { firstChunkMs: 300_000, betweenChunksMs: 120_000, callMs: 900_000 },
    contextTokens: 32_000,
  });
  assert.equal(config.slackApi.updateIntervalMs, 1300);
  // Restate never cuts a model call before our own bound does: the runs' abort timeout outlasts it.
  assert.deepEqual(agentSessionTimeouts(config.agent), { inactivityMs: 60_000, abortMs: 960_000 });
  assert.equal(agentSessionTimeouts(parseConfig({}).agent), null, "the demo agent keeps the server's");
});

test("binding the embedded server or our endpoint beyond loopback stops start-up and names what it would expose", () => {
  const problems = problemsOf({
    RESTATE_BIND_ADDRESS: "0.0.0.0",
    SERVICES_BIND_ADDRESS: "192.168.1.20",
    MODE: "FAST",
  });
  // Reported with every other problem at once.
  assert.equal(problems.length, 3, problems.join("\n"));
  const restate = problems.find((p) => p.startsWith("RESTATE_BIND_ADDRESS: "));
  assert.match(restate ?? "", /0\.0\.0\.0 is not a loopback address/);
  assert.match(restate ?? "", /ingress, admin API and node port need no credentials/);
  assert.match(restate ?? "", /anyone who reaches them can read and steer every session/);
  assert.match(restate ?? "", /ALLOW_PUBLIC_BIND=true/);
  const services = problems.find((p) => p.startsWith("SERVICES_BIND_ADDRESS: "));
  assert.match(services ?? "", /192\.168\.1\.20 is not a loopback address/);
  assert.match(
    services ?? "",
    /runs every handler, private ones too, for any request signed with a request identity key/,
  );
  // An external server without identity keys: the endpoint would run anyone's unsigned request.
  assert.match(
    problemsOf({ RESTATE_EMBEDDED: "false", SERVICES_BIND_ADDRESS: "0.0.0.0" }).join("\n"),
    /without RESTATE_IDENTITY_KEYS it runs every handler, private ones too, for anyone, unsigned/,
  );
  assert.match(
    problemsOf({ RESTATE_BIND_ADDRESS: "::" }).join("\n"),
    /^RESTATE_BIND_ADDRESS: :: is not a loopback/,
  );
});

test("ALLOW_PUBLIC_BIND=true is the decision that lets them bind beyond loopback", () => {
  const config = parseConfig({
    RESTATE_BIND_ADDRESS: "0.0.0.0",
    SERVICES_BIND_ADDRESS: "0.0.0.0",
    ALLOW_PUBLIC_BIND: "true",
  });
  assert.equal(config.allowPublicBind, true);
  assert.equal(config.restate.bindAddress, "0.0.0.0");
  assert.equal(config.services.bindAddress, "0.0.0.0");
  assert.equal(problemsOf({ RESTATE_BIND_ADDRESS: "0.0.0.0", ALLOW_PUBLIC_BIND: "false" }).length, 1);
  // A bad opt-in value is no opt-in: both problems are reported.
  assert.deepEqual(
    problemsOf({ RESTATE_BIND_ADDRESS: "0.0.0.0", ALLOW_PUBLIC_BIND: "sure" }).map((p) => p.split(":")[0]),
    ["ALLOW_PUBLIC_BIND", "RESTATE_BIND_ADDRESS"],
  );
});

test("loopback binds, an external server's address and the Slack app's address need no opt-in", () => {
  for (const address of ["127.0.0.1", "127.0.1.1", "::1", "localhost"]) {
    assert.equal(
      parseConfig({ RESTATE_BIND_ADDRESS: address, SERVICES_BIND_ADDRESS: address }).allowPublicBind,
      false,
    );
  }
  // RESTATE_BIND_ADDRESS is the embedded server's: with an external server it binds nothing.
  assert.equal(
    parseConfig({ RESTATE_EMBEDDED: "false", RESTATE_BIND_ADDRESS: "0.0.0.0" }).restate.embedded,
    false,
  );
  // Slack must reach the Bolt app in HTTP mode, and it checks every request's signature.
  const http = parseConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "0123456789abcdef" }).slack;
  assert.equal(http.mode === "http" && http.bindAddress, "0.0.0.0");
});

test("loopback is 127.0.0.0/8 and ::1 in any spelling, nothing else", () => {
  for (const address of [
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "LOCALHOST",
  ]) {
    assert.equal(isLoopbackAddress(address), true, address);
  }
  for (const address of [
    "0.0.0.0",
    "::",
    "192.168.1.2",
    "::ffff:10.0.0.1",
    "fe80::1",
    "example.com",
    "127.0.0.1.nip.io",
  ]) {
    assert.equal(isLoopbackAddress(address), false, address);
  }
});

test("APPROVERS takes user ids, each optionally for one workspace; anything else stops start-up", () => {
  const config = parseConfig({ APPROVERS: "U0ALICE01, T0001:U0BOB0002", APPROVAL_TIMEOUT: "30m" });
  assert.deepEqual(config.approvals.approvers, [
    { team: null, user: "U0ALICE01" },
    { team: "T0001", user: "U0BOB0002" },
  ]);
  assert.equal(config.approvals.timeoutMs, 30 * 60_000);
  assert.throws(() => parseConfig({ APPROVERS: "alice" }), /APPROVERS.*Slack user ids/);
  assert.throws(() => parseConfig({ APPROVAL_TIMEOUT: "soon" }), /APPROVAL_TIMEOUT: must be a duration/);
});

test("ROLE apart needs what one process would make for itself, and start-up names each missing part", () => {
  assert.equal(parseConfig({}).role, "all");
  const missing = problemsOf({ ROLE: "services", SLACK_MODE: "none" }).join("\n");
  assert.match(missing, /RESTATE_EMBEDDED: ROLE=services runs against an external Restate/);
  assert.match(missing, /ADAPTER_KEY: missing: ROLE=services needs the key/);
  assert.match(missing, /RESTATE_IDENTITY_KEYS: missing: ROLE=services accepts only requests signed/);
  const slack = problemsOf({
    ROLE: "slack",
    RESTATE_EMBEDDED: "false",
    ADAPTER_KEY: "a".repeat(32),
    SLACK_CLIENT_ID: "1234567890.0987654321",
    SLACK_CLIENT_SECRET: "client-secret-0123",
    SLACK_STATE_SECRET: "s".repeat(32),
    SLACK_SIGNING_SECRET: "0123456789abcdef",
  }).join("\n");
  assert.match(slack, /TOKEN_KEY: missing: with OAuth, ROLE=slack needs/);
  assert.doesNotMatch(slack, /RESTATE_IDENTITY_KEYS/);
  assert.match(
    problemsOf({ ROLE: "slack", SLACK_MODE: "none" }).join("\n"),
    /SLACK_MODE: ROLE=slack runs the Slack adapter/,
  );
  assert.match(problemsOf({ ROLE: "both" }).join("\n"), /ROLE: must be one of all, slack, services/);
  const services = parseConfig({
    ROLE: "Services",
    SLACK_MODE: "none",
    RESTATE_EMBEDDED: "false",
    ADAPTER_KEY: "a".repeat(32),
    RESTATE_IDENTITY_KEYS: "publickeyv1_3TGRtjN9BChgbwhnNHRoZT6Sc4DXbtL5UiNwS6pBsTCs",
  });
  assert.equal(services.role, "services");
});

test("RESTATE_INGRESS_URL may list a cluster's nodes, apart from the embedded server", () => {
  const cluster = parseConfig({
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: "http://10.0.0.1:8080/, http://10.0.0.2:8080,http://10.0.0.3:8080",
  });
  assert.deepEqual(cluster.restate.ingressUrls, [
    "http://10.0.0.1:8080",
    "http://10.0.0.2:8080",
    "http://10.0.0.3:8080",
  ]);
  assert.match(
    problemsOf({ RESTATE_INGRESS_URL: "http://10.0.0.1:8080,http://10.0.0.2:8080" }).join("\n"),
    /RESTATE_INGRESS_URL: a list of URLs is a cluster's nodes: set RESTATE_EMBEDDED=false/,
  );
  assert.match(
    problemsOf({ RESTATE_EMBEDDED: "false", RESTATE_INGRESS_URL: "http://a:8080,ftp://b" }).join("\n"),
    /RESTATE_INGRESS_URL: must be an http:\/\/ or https:\/\/ URL \(got "ftp:\/\/b"\)/,
  );
});
