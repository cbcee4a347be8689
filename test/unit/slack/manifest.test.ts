/**
 * manifest.yml asks for exactly the scopes the code needs, subscribes to exactly the events the listeners
 * take, and declares the command and shortcut they handle.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EVENT_SCOPES, METHOD_SCOPES, requiredScopes } from "../../../src/slack/scopes.ts";

const root = new URL("../../..", import.meta.url).pathname;
const manifest = readFileSync(join(root, "manifest.yml"), "utf8");

/** The items of a YAML list that follows `key:` (indented `- item` lines). */
function listAfter(key: string): string[] {
  const lines = manifest.split("\n");
  const start = lines.findIndex((line) => line.trim() === `${key}:`);
  assert.ok(start >= 0, `${key} in manifest.yml`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^\s*- (\S+)\s*$/.exec(line);
    if (!match?.[1]) break;
    items.push(match[1]);
  }
  return items;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

test("the manifest asks for exactly the bot scopes the code needs", () => {
  assert.deepEqual(listAfter("bot").sort(), requiredScopes());
});

test("every Web API method the app calls has its scopes listed, and nothing else is listed", () => {
  const called = new Set<string>();
  for (const file of [...sourceFiles(join(root, "src/slack")), ...sourceFiles(join(root, "src/restate"))]) {
    // `client.chat.postMessage(`, `client.agents.sessions.setStatus(`, across line breaks too.
    for (const match of readFileSync(file, "utf8").matchAll(/client\s*\.(\w+(?:\s*\.\s*\w+)+)\s*\(/g))
      called.add((match[1] ?? "").replace(/\s+/g, ""));
  }
  assert.deepEqual([...called].sort(), Object.keys(METHOD_SCOPES).sort());
});

test("the manifest subscribes to exactly the events with a listener, and declares the command and shortcut", () => {
  assert.deepEqual(listAfter("bot_events").sort(), Object.keys(EVENT_SCOPES).sort());
  const events = readFileSync(join(root, "src/slack/listeners/events.ts"), "utf8");
  for (const event of ["message", "app_mention", "app_home_opened", "agent_session_stopped"])
    assert.match(events, new RegExp(`app\\.event\\("${event}"`));
  assert.match(manifest, /command: \/agentmode/);
  assert.match(manifest, /callback_id: agentmode_thread/);
  assert.match(manifest, /home_tab_enabled: true/);
  assert.match(manifest, /messages_tab_enabled: true\n\s+messages_tab_read_only_enabled: false/);
  assert.match(manifest, /interactivity:\n\s+is_enabled: true/);
});
