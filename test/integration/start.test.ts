/**
 * The product as a person starts it: `npm start` on the embedded Restate server, the seed walk-through,
 * clean shutdown, and start-up failures that say what is wrong.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isAlive } from "../../src/runtime/restate-server.ts";
import { startSlackEmulator } from "../../src/slack-emulator/emulator.ts";
import { freePort } from "../helpers/free-ports.ts";
import { ingressClient } from "../helpers/ingress.ts";
import { isolatedEnv, startMain } from "../helpers/main-process.ts";
import { startTestRestate } from "../helpers/test-restate.ts";
import { waitFor } from "../helpers/wait.ts";

const seed = (content: string) => ({ content, role: "user" });

function restatePid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, "restate-server.pid"), "utf8"));
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

test("npm start runs the Python example's walk-through on the embedded server, and SIGTERM stops all of it", async () => {
  const env = {
    ...(await isolatedEnv()),
    MODE: "incorporate",
    DEMO_ITERATION_MS: "1000",
    DEMO_DONE_PROBABILITY: "0",
    DEMO_MAX_ITERATIONS: "3",
  };
  const main = startMain(env, { viaNpm: true });
  try {
    await main.waitForLine(/^Ready$/);
    // No Slack settings: the playground runs too (its own test drives it); the curl walk-through is unchanged.
    await main.waitForLine(/LOCAL PLAYGROUND/);
    const serverPid = restatePid(main.dataDir);
    assert.ok(isAlive(serverPid));

    const ingress = ingressClient(main.ingressUrl);
    const first = await ingress.call<{ decision: string }>(
      "ChatService/ellie/process_user_message",
      seed("do something"),
    );
    assert.equal(first.decision, "started");
    await main.waitForLine(/^Agent generated output for ellie: Do another iteration$/);
    const second = await ingress.call<{ decision: string }>(
      "ChatService/ellie/process_user_message",
      seed("do something else"),
    );
    assert.equal(second.decision, "incorporated");
    await main.waitForLine(/^Agent generated output for ellie: Done$/);

    const messages = main.lines.map((line) => line.msg);
    for (const expected of [
      "Starting new agent run",
      "Running iteration of agent for ellie with input items: message_history=['do something']",
      "Running iteration of agent for ellie with input items: message_history=['do something', 'system: Do another iteration']",
      "Incorporating new input into ongoing agent run",
      "Incorporating new input for ellie: do something else",
      "Running iteration of agent for ellie with input items: message_history=['do something', 'system: Do another iteration', 'system: Do another iteration', 'do something else']",
    ]) {
      assert.ok(messages.includes(expected), `missing log line: ${expected}`);
    }
    const history = await waitFor(
      async () => {
        const { entries } = await ingress.call<{ entries: { content: string }[] }>(
          "ChatService/ellie/get_history",
        );
        return entries.at(-1)?.content === "Done" ? entries : undefined;
      },
      { what: "the run to be recorded" },
    );
    assert.deepEqual(
      history.map((entry) => entry.content),
      ["do something", "do something else", "Done"],
    );

    await main.stop("SIGTERM");
    await waitFor(() => !isAlive(serverPid), { what: "restate-server to stop" });
    assert.ok(main.lines.some((line) => line.msg === "Stopped"));
    // Everything it listened on is free again.
    for (const url of [main.ingressUrl, main.adminUrl]) (await occupy(Number(new URL(url).port))).close();
  } finally {
    await main.stop("SIGKILL");
  }
});

test("Ctrl-C under npm start stops everything in order, although node receives the signal twice", async () => {
  const main = startMain(await isolatedEnv(), { viaNpm: true });
  try {
    await main.waitForLine(/^Ready$/);
    const serverPid = restatePid(main.dataDir);
    await main.interrupt();
    await main.waitForLine(/^Stopped$/);
    assert.ok(!main.lines.some((line) => /exiting at once/.test(line.msg)), main.output());
    await waitFor(() => !isAlive(serverPid), { what: "restate-server to stop" });
  } finally {
    await main.stop("SIGKILL");
  }
});

test("a bad setting stops start-up with every problem listed at once", async () => {
  const env = {
    ...(await isolatedEnv()),
    MODE: "FAST",
    SERVICES_PORT: "abc",
    DEMO_DONE_PROBABILITY: "2",
    RESTATE_INGRESS_URL: "ftp://example",
  };
  const main = startMain(env);
  assert.equal(await main.exited, 1);
  const output = main.output();
  for (const name of ["MODE", "SERVICES_PORT", "DEMO_DONE_PROBABILITY", "RESTATE_INGRESS_URL"]) {
    assert.match(output, new RegExp(`${name}: `), `${name} is named`);
  }
  assert.match(output, /MODE: must be one of INTERRUPT, INCORPORATE, QUEUE \(got "FAST"\)/);
  assert.ok(!existsSync(join(main.dataDir, "restate-server.pid")), "no server was started");
});

test("an LLM_CONTEXT_TOKENS that leaves the conversation no room stops start-up, saying how much it needs", async () => {
  const env = {
    ...(await isolatedEnv()),
    AGENT: "llm",
    LLM_BASE_URL: "http://127.0.0.1:9/v1",
    LLM_API_KEY: "sk-unused",
    LLM_MODEL: "a-model",
    LLM_CONTEXT_TOKENS: "2000",
    LLM_SYSTEM_PROMPT: "Answer with care. ".repeat(200),
  };
  const main = startMain(env);
  assert.equal(await main.exited, 1);
  assert.match(
    main.output(),
    /LLM_CONTEXT_TOKENS=2000 leaves -?\d+ tokens for the conversation .*; raise it to at least \d+\./,
  );
  assert.ok(!existsSync(join(main.dataDir, "restate-server.pid")), "no server was started");
});

test("a busy port ends start-up with a message that names it, and leaves nothing running", async () => {
  const env = await isolatedEnv();
  const ingressPort = Number(new URL(env.RESTATE_INGRESS_URL ?? "").port);
  const blocker = await occupy(ingressPort);
  try {
    const main = startMain(env);
    assert.equal(await main.exited, 1);
    assert.match(
      main.output(),
      new RegExp(
        `Port ${ingressPort} on 127.0.0.1 is already in use, so the Restate ingress \\(RESTATE_INGRESS_URL\\) cannot listen there`,
      ),
    );
    assert.ok(!existsSync(join(main.dataDir, "restate-server.pid")));
  } finally {
    blocker.close();
  }

  const servicesBlocker = await occupy(Number(env.SERVICES_PORT));
  try {
    const main = startMain(env);
    assert.equal(await main.exited, 1);
    assert.match(main.output(), /our services endpoint \(SERVICES_PORT\) cannot listen there/);
  } finally {
    servicesBlocker.close();
  }

  const playgroundBlocker = await occupy(Number(env.PLAYGROUND_PORT));
  try {
    const main = startMain(env);
    assert.equal(await main.exited, 1);
    assert.match(
      main.output(),
      new RegExp(
        `Port ${env.PLAYGROUND_PORT} on 127.0.0.1 is already in use, so the playground \\(PLAYGROUND_PORT\\)`,
      ),
    );
    assert.ok(!existsSync(join(main.dataDir, "restate-server.pid")), "nothing else was started");
  } finally {
    playgroundBlocker.close();
  }
});

test("SLACK_MODE chooses: http without its settings stops start-up; none runs the Restate side alone", async () => {
  const strict = startMain({ ...(await isolatedEnv()), SLACK_MODE: "http" });
  assert.equal(await strict.exited, 1);
  assert.match(strict.output(), /SLACK_BOT_TOKEN: missing: SLACK_MODE=http needs the bot token/);
  assert.match(strict.output(), /SLACK_SIGNING_SECRET: missing: SLACK_MODE=http needs it/);

  const env: Record<string, string> = { ...(await isolatedEnv()), SLACK_MODE: "none" };
  const alone = startMain(env);
  try {
    await alone.waitForLine(/^Ready$/);
    assert.ok(alone.lines.some((line) => /SLACK_MODE=none: running the Restate side only/.test(line.msg)));
    assert.ok(!alone.lines.some((line) => /LOCAL PLAYGROUND/.test(line.msg)));
    await assert.rejects(fetch(`http://127.0.0.1:${env.PLAYGROUND_PORT}/`), "no playground listens");
  } finally {
    await alone.stop();
  }
});

test("an unreachable external Restate server ends start-up with a message that names it", async () => {
  const [ingress, admin] = [await freePort(), await freePort()];
  const main = startMain({
    ...(await isolatedEnv()),
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: `http://127.0.0.1:${ingress}`,
    RESTATE_ADMIN_URL: `http://127.0.0.1:${admin}`,
  });
  assert.equal(await main.exited, 1);
  assert.match(
    main.output(),
    new RegExp(`Restate admin API at http://127.0.0.1:${admin} \\(RESTATE_ADMIN_URL\\) is unreachable`),
  );
  assert.match(
    main.output(),
    new RegExp(`Restate ingress at http://127.0.0.1:${ingress} \\(RESTATE_INGRESS_URL\\) is unreachable`),
  );
});

test("two copies with their own ports and data folders run side by side", async () => {
  const settings = { DEMO_ITERATION_MS: "0", DEMO_MAX_ITERATIONS: "1" };
  const copies = [
    startMain({ ...(await isolatedEnv()), ...settings }),
    startMain({ ...(await isolatedEnv()), ...settings }),
  ];
  try {
    await Promise.all(copies.map((copy) => copy.waitForLine(/^Ready$/)));
    for (const [index, copy] of copies.entries()) {
      const ingress = ingressClient(copy.ingressUrl);
      await ingress.call("ChatService/ellie/process_user_message", seed(`hello from copy ${index}`));
      const entries = await waitFor(
        async () => {
          const history = await ingress.call<{ entries: { content: string }[] }>(
            "ChatService/ellie/get_history",
          );
          return history.entries.length === 2 ? history.entries : undefined;
        },
        { what: `copy ${index} to answer` },
      );
      assert.equal(entries[0]?.content, `hello from copy ${index}`, "each copy has its own sessions");
    }
  } finally {
    await Promise.all(copies.map((copy) => copy.stop()));
  }
});

test("when our process dies without cleaning up, its restate-server stops too, and the next start resumes the data", async () => {
  const hasSetpriv = spawnSync("setpriv", ["--help"], { stdio: "ignore" }).status === 0;
  const env = { ...(await isolatedEnv()), DEMO_ITERATION_MS: "0", DEMO_MAX_ITERATIONS: "1" };
  const first = startMain(env);
  await first.waitForLine(/^Ready$/);
  const ingress = ingressClient(first.ingressUrl);
  await ingress.call("ChatService/ellie/process_user_message", seed("remember me"));
  await waitFor(
    async () =>
      (await ingress.call<{ entries: unknown[] }>("ChatService/ellie/get_history")).entries.length === 2,
    { what: "the first run" },
  );
  const serverPid = restatePid(first.dataDir);
  await first.stop("SIGKILL");
  if (hasSetpriv) await waitFor(() => !isAlive(serverPid), { what: "the orphaned restate-server to stop" });

  // Without setpriv the leftover server is still running: the next start must stop it and carry on.
  const second = startMain(env);
  try {
    await second.waitForLine(/^Ready$/);
    const { entries } = await ingress.call<{ entries: { content: string }[] }>(
      "ChatService/ellie/get_history",
    );
    assert.equal(entries[0]?.content, "remember me", "the session survived the crash");
    assert.ok(!isAlive(serverPid));
  } finally {
    await second.stop();
  }
});

test("against an external server npm start does not register by itself; npm run register does", async () => {
  const restate = await startTestRestate();
  const env = {
    ...(await isolatedEnv()),
    RESTATE_EMBEDDED: "false",
    RESTATE_INGRESS_URL: restate.ingressUrl,
    RESTATE_ADMIN_URL: restate.adminUrl,
    DEMO_ITERATION_MS: "0",
    DEMO_MAX_ITERATIONS: "1",
  };
  const main = startMain(env);
  try {
    await main.waitForLine(/not registered automatically: run `npm run register`/);
    const ingress = ingressClient(restate.ingressUrl);
    const before = await ingress.request("ChatService/ellie/process_user_message", seed("hi"));
    assert.equal(before.status, 404, "nothing is registered yet");

    const register = spawnSync("npm", ["run", "--silent", "register"], {
      cwd: new URL("../..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      encoding: "utf8",
    });
    assert.equal(register.status, 0, register.stderr);
    assert.match(register.stdout, /Registered http:\/\/127\.0\.0\.1:\d+ with .* ChatService/);
    const after = await ingress.call<{ decision: string }>(
      "ChatService/ellie/process_user_message",
      seed("hi"),
    );
    assert.equal(after.decision, "started");
  } finally {
    await main.stop();
    await restate.stop();
  }
});

describe("with Slack settings", () => {
  test("npm start also starts the Bolt app, which answers a mention in its thread", async () => {
    const emulator = await startSlackEmulator();
    const bot = emulator.workspace.bot;
    const port = await freePort();
    const main = startMain({
      ...(await isolatedEnv()),
      SLACK_BOT_TOKEN: bot.botToken,
      SLACK_SIGNING_SECRET: bot.signingSecret,
      SLACK_API_URL: emulator.apiUrl,
      PORT: String(port),
      SLACK_BIND_ADDRESS: "127.0.0.1",
      DEMO_ITERATION_MS: "0",
      DEMO_MAX_ITERATIONS: "1",
    });
    try {
      await main.waitForLine(
        /^Slack app \(HTTP\) for https:\/\/acme\.slack\.com\/ listening on 127\.0\.0\.1:\d+\/slack\/events$/,
      );
      await main.waitForLine(/^Ready$/);
      assert.ok(!main.lines.some((line) => /Slack is not configured/.test(line.msg)));
      emulator.appUrl = `http://127.0.0.1:${port}/slack/events`;
      const { message } = await emulator.userPosts({
        user: "U0ALICE01",
        channel: "C0GENERAL",
        text: "<@U0AGENT01> hello",
      });
      await waitFor(
        () => emulator.thread("C0GENERAL", message.ts).some((m) => m.text === "Done") || undefined,
        {
          what: "the demo agent's answer in the thread",
        },
      );
    } finally {
      await main.stop();
      await emulator.close();
    }
  });

  test("a half-configured Slack, a refused token or a busy port stops start-up with a message that says so", async () => {
    const half = startMain({ ...(await isolatedEnv()), SLACK_BOT_TOKEN: "xoxb-only-a-token" });
    assert.equal(await half.exited, 1);
    assert.match(half.output(), /SLACK_SIGNING_SECRET: missing: HTTP mode needs it/);

    const emulator = await startSlackEmulator();
    try {
      const refused = startMain({
        ...(await isolatedEnv()),
        SLACK_BOT_TOKEN: "xoxb-not-the-right-one",
        SLACK_SIGNING_SECRET: emulator.workspace.bot.signingSecret,
        SLACK_API_URL: emulator.apiUrl,
        PORT: String(await freePort()),
      });
      assert.equal(await refused.exited, 1);
      assert.match(refused.output(), /Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);

      const port = await freePort();
      const blocker = await occupy(port);
      try {
        const busy = startMain({
          ...(await isolatedEnv()),
          SLACK_BOT_TOKEN: emulator.workspace.bot.botToken,
          SLACK_SIGNING_SECRET: emulator.workspace.bot.signingSecret,
          SLACK_API_URL: emulator.apiUrl,
          PORT: String(port),
          SLACK_BIND_ADDRESS: "127.0.0.1",
        });
        assert.equal(await busy.exited, 1);
        assert.match(
          busy.output(),
          new RegExp(
            `Port ${port} on 127.0.0.1 is already in use, so the Slack app \\(PORT\\) cannot listen there`,
          ),
        );
      } finally {
        blocker.close();
      }
    } finally {
      await emulator.close();
    }
  });
});
