/**
 * The playground without a browser: what the page loads, what a person's actions become, what each person
 * sees, and how the page's server and the emulated Web API take bad requests. (The browser tests,
 * `npm run test:browser`, drive the same page in Chromium.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type App, startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config.ts";
import type { PlaygroundSnapshot } from "../../src/playground/web/protocol.ts";
import { isolatedEnv } from "../helpers/main-process.ts";
import { testLogger } from "../helpers/test-logger.ts";
import { waitFor } from "../helpers/wait.ts";

/** Ways a page loads something: a script, a style, an import, a font, a fetch of an absolute URL. */
const LOADS_FROM_ELSEWHERE =
  /(\b(src|href)=["']?(https?:)?\/\/|\bfrom\s+["'](https?:)?\/\/|\bimport\(\s*["'](https?:)?\/\/|\bfetch\(\s*["'`](https?:)?\/\/|\burl\(\s*["']?(https?:)?\/\/|@import|new (EventSource|WebSocket)\(\s*["'`](https?:|wss?:)?\/\/)/i;

let app: App;
let base: string;

before(async () => {
  const env = {
    ...(await isolatedEnv()),
    DEMO_ITERATION_MS: "100",
    DEMO_DONE_PROBABILITY: "0",
    DEMO_MAX_ITERATIONS: "2",
    SLACK_POST_INTERVAL_MS: "1000",
    HOME_DEBOUNCE_MS: "50",
  };
  app = await startApp({ config: parseConfig(env), logger: testLogger() });
  assert.ok(app.playgroundUrl, "the playground runs without Slack settings");
  base = app.playgroundUrl;
});

after(async () => {
  await app?.stop();
});

async function state(user: string): Promise<PlaygroundSnapshot> {
  const response = await fetch(`${base}/playground/state?user=${user}`);
  assert.equal(response.status, 200);
  return (await response.json()) as PlaygroundSnapshot;
}

async function act(
  user: string,
  action: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/playground/actions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, action }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A raw request, with headers fetch would not let us forge (Host). */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("the playground", () => {
  test("serves its page and scripts from this machine, types stripped, nothing from the internet", async (t) => {
    const scratch = mkdtempSync(join(tmpdir(), "playground-assets-"));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const page = await (await fetch(base)).text();
    assert.match(page, /<script type="module" src="\/assets\/page.ts">/);
    assert.doesNotMatch(page, LOADS_FROM_ELSEWHERE, "the page loads nothing from elsewhere");
    for (const asset of [
      "page.ts",
      "blocks.ts",
      "mrkdwn.ts",
      "messages.ts",
      "api.ts",
      "dom.ts",
      "emoji.ts",
      "style.css",
    ]) {
      const response = await fetch(`${base}/assets/${asset}`);
      assert.equal(response.status, 200, asset);
      const body = await response.text();
      if (asset.endsWith(".ts")) {
        assert.match(response.headers.get("content-type") ?? "", /text\/javascript/);
        assert.doesNotMatch(body, /^import type /m, `${asset} has its types stripped`);
        // What the browser will parse: stripped TypeScript is a JavaScript module.
        const file = join(scratch, `${asset.replace(/\.ts$/, "")}.mjs`);
        writeFileSync(file, body);
        assert.doesNotThrow(
          () => execFileSync(process.execPath, ["--check", file], { stdio: "pipe" }),
          asset,
        );
      }
      assert.doesNotMatch(body, LOADS_FROM_ELSEWHERE, `${asset} loads nothing from elsewhere`);
    }
    assert.equal((await fetch(`${base}/assets/../server.ts`)).status, 404);
    assert.equal((await fetch(`${base}/assets/nothing.ts`)).status, 404);
  });

  test("a mention typed in the page reaches the app as Slack's events; the replies and reactions come back", async () => {
    const alice = await state("U0ALICE01");
    assert.deepEqual(
      alice.channels.map((c) => c.name).sort(),
      ["Agent Sessions", "general", "project-x", "random"].sort(),
    );
    assert.equal(alice.restateUiUrl, app.adminUrl);
    const answer = await act("U0ALICE01", {
      type: "post",
      channel: "C0GENERAL",
      text: "<@U0AGENT01> say hi",
    });
    assert.deepEqual(answer, { status: 200, body: { ok: true } });
    const root = await waitFor(
      async () => {
        const messages = (await state("U0ALICE01")).messages.C0GENERAL ?? [];
        const found = messages.find((m) => m.text.includes("say hi"));
        return found && found.replyCount >= 2 && found.reactions.some((r) => r.name === "white_check_mark")
          ? found
          : undefined;
      },
      { what: "the agent's replies and the done reaction", timeoutMs: 30_000 },
    );
    const replies =
      (await state("U0BOB0002")).messages.C0GENERAL?.filter((m) => m.threadTs === root.ts) ?? [];
    assert.deepEqual(
      replies.map((m) => [m.user, m.text.includes("Done") || m.text.includes("Do another iteration")]),
      replies.map(() => ["U0AGENT01", true]),
      "Bob sees the thread too",
    );
  });

  test("slash commands: answered only to the person who ran it; refused in threads as Slack's client does", async () => {
    const ran = await act("U0BOB0002", {
      type: "command",
      channel: "C0RANDOM1",
      command: "/agentmode",
      text: "fast",
    });
    assert.deepEqual(ran.body, { ok: true });
    const bob = await waitFor(
      async () => {
        const s = await state("U0BOB0002");
        return s.ephemerals.some((e) => /Unknown mode "fast"/.test(e.text)) ? s : undefined;
      },
      { what: "Bob's ephemeral answer" },
    );
    assert.equal(
      bob.ephemerals.filter((e) => /Unknown mode "fast"/.test(e.text)).length,
      1,
      "one answer, to Bob",
    );
    assert.equal((await state("U0CAROL03")).ephemerals.length, 0, "Carol sees nothing of it");
    const inThread = await act("U0BOB0002", {
      type: "command",
      channel: "C0RANDOM1",
      command: "/agentmode",
      text: "queue",
      threadTs: "1700000000.000100",
    });
    assert.match(String(inThread.body.notice), /not supported in threads.*!agentmode.*Agent mode/s);
    const unknown = await act("U0BOB0002", {
      type: "command",
      channel: "C0RANDOM1",
      command: "/nope",
      text: "",
    });
    assert.deepEqual(unknown.body, { ok: false, error: "/nope is not a valid command." });
    const dismissed = bob.ephemerals[0]?.ts ?? "";
    await act("U0BOB0002", { type: "dismiss", ts: dismissed });
    assert.ok(!(await state("U0BOB0002")).ephemerals.some((e) => e.ts === dismissed));
  });

  test("opening the Home publishes it; its controls and the shortcut's modal work from the page", async () => {
    await act("U0CAROL03", { type: "post", channel: "C0GENERAL", text: "<@U0AGENT01> a session for Carol" });
    await act("U0CAROL03", { type: "open_home" });
    const home = await waitFor(
      async () => {
        const s = await state("U0CAROL03");
        return JSON.stringify(s.home?.view.blocks ?? []).includes("a session for Carol") ? s : undefined;
      },
      { what: "Carol's Home with her session", timeoutMs: 30_000 },
    );
    const root = home.messages.C0GENERAL?.find((m) => m.text.includes("a session for Carol"));
    assert.ok(root);
    const shortcut = await act("U0CAROL03", {
      type: "shortcut",
      channel: "C0GENERAL",
      ts: root.ts,
      callbackId: "agentmode_thread",
    });
    assert.deepEqual(shortcut.body, { ok: true });
    const modal = await waitFor(async () => (await state("U0CAROL03")).modal ?? undefined, {
      what: "the modal",
    });
    const refused = await act("U0CAROL03", { type: "submit", viewId: modal.viewId, values: {} });
    assert.equal(refused.body.ok, false);
    assert.ok(refused.body.errors, "the app's errors for the form");
    await act("U0CAROL03", { type: "close_modal", viewId: modal.viewId });
    assert.equal((await state("U0CAROL03")).modal, null);
  });

  test("the page's server takes only its own page's requests, and says what is wrong", async () => {
    assert.equal((await act("U0NOBODY1", { type: "open_home" })).status, 400);
    assert.equal((await act("U0AGENT01", { type: "open_home" })).status, 400, "nobody acts as the bot");
    assert.equal((await act("U0ALICE01", { type: "fly" })).status, 400);
    const notMember = await act("U0CAROL03", { type: "post", channel: "G0PROJECT", text: "let me in" });
    assert.equal(notMember.status, 400);
    assert.match(String(notMember.body.error), /not in G0PROJECT/);
    const form = await raw("/playground/actions", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user=U0ALICE01",
    });
    assert.equal(form.status, 415);
    const broken = await raw("/playground/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(broken.status, 400);
    const foreign = await raw("/playground/actions", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ user: "U0ALICE01", action: { type: "open_home" } }),
    });
    assert.equal(foreign.status, 403);
    const rebound = await raw("/playground/state", { headers: { host: "evil.example" } });
    assert.equal(rebound.status, 403);
  });

  test("the emulated Web API answers bad calls as Slack does, with ok:false", async () => {
    const call = async (method: string, init: RequestInit) =>
      (await (await fetch(`${base}/api/${method}`, { method: "POST", ...init })).json()) as Record<
        string,
        unknown
      >;
    assert.deepEqual(await call("chat.fly", {}), { ok: false, error: "unknown_method" });
    assert.deepEqual(
      await call("chat.postMessage", { body: new URLSearchParams({ channel: "C0GENERAL", text: "x" }) }),
      {
        ok: false,
        error: "not_authed",
      },
    );
    assert.deepEqual(
      await call("chat.postMessage", {
        headers: { authorization: "Bearer xoxb-wrong", "content-type": "application/json" },
        body: "{",
      }),
      { ok: false, error: "invalid_json" },
    );
    assert.deepEqual(
      await call("chat.postMessage", {
        headers: { authorization: "Bearer xoxb-wrong" },
        body: new URLSearchParams({ channel: "C0GENERAL" }),
      }),
      { ok: false, error: "invalid_auth" },
    );
  });

  test("changes are pushed to the page as server-sent events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/playground/events`, { signal: controller.signal });
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    const read = (async () => {
      while (!/event: change/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
    })();
    await act("U0ALICE01", { type: "post", channel: "C0RANDOM1", text: "anyone here?" });
    await read;
    controller.abort();
    assert.match(seen, /event: hello\ndata: \{"instance":"[0-9a-f-]{36}"\}/);
    assert.match(seen, /event: change/);
  });
});
