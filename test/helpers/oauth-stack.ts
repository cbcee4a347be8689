/**
 * The product installed through OAuth against the emulator: a Slack stack whose app has no bot token but
 * a client id and secret, and the steps of an install as a person's browser makes them (the install page,
 * Slack's consent page, the redirect back with its cookie). Logs are kept to look for secrets in them.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { OAuthAppSettings } from "../../src/slack-emulator/oauth-app.ts";
import type { EmulatedWorkspace } from "../../src/slack-emulator/workspace.ts";
import { freePorts } from "./free-ports.ts";
import { type SlackStack, startSlackStack } from "./slack-stack.ts";
import { waitFor } from "./wait.ts";

export const OAUTH_CLIENT = { id: "1111111111.2222222222", secret: "emulated-client-secret" };

export interface OAuthStack extends SlackStack {
  /** Where the Bolt app listens (its install pages and events). */
  readonly appUrl: string;
  /** Every line the product logged. */
  readonly logLines: readonly string[];
}

export async function startOAuthStack(
  options: {
    tokenRotation?: boolean;
    /** Socket Mode: the install pages on a listener of their own (`SLACK_INSTALL_PORT`). */
    socketMode?: boolean;
    /** The emulator's first workspace (one of an Enterprise Grid org, say). */
    workspace?: EmulatedWorkspace;
    env?: Record<string, string | undefined>;
  } = {},
): Promise<OAuthStack> {
  const [port] = (await freePorts(1)) as [number];
  const appUrl = `http://127.0.0.1:${port}`;
  const logLines: string[] = [];
  const logSink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const oauth: OAuthAppSettings = {
    clientId: OAUTH_CLIENT.id,
    clientSecret: OAUTH_CLIENT.secret,
    redirectUrl: `${appUrl}/slack/oauth_redirect`,
    ...(options.tokenRotation ? { tokenRotation: true } : {}),
  };
  const stack = await startSlackStack({
    emulator: { oauth, ...(options.workspace ? { workspace: options.workspace } : {}) },
    ...(options.socketMode ? { socketMode: true } : {}),
    env: {
      ...(options.socketMode ? { SLACK_SIGNING_SECRET: undefined, SLACK_INSTALL_PORT: String(port) } : {}),
      PORT: String(port),
      SLACK_BOT_TOKEN: undefined,
      SLACK_CLIENT_ID: OAUTH_CLIENT.id,
      SLACK_CLIENT_SECRET: OAUTH_CLIENT.secret,
      SLACK_STATE_SECRET: "state-secret-0123456789abcdef0123456789",
      TOKEN_KEY: "token-key-0123456789abcdef0123456789abcdef",
      ...options.env,
    },
    logger: pino({ level: "debug", base: null }, logSink),
  });
  return { ...stack, appUrl, logLines };
}

/** The install flow as a browser makes it (the playground installs itself the same way). */
export { allowInstall, beginInstall, install } from "../../src/playground/auto-install.ts";

/**
 * Where any of `secrets` shows in clear: Restate's state, its journals (also inside base64 values) or the
 * product's log. An empty list when nowhere.
 */
export async function secretsInClear(stack: OAuthStack, secrets: readonly string[]): Promise<string[]> {
  const state = JSON.stringify(await stack.restate.query("SELECT * FROM state"));
  const journal = JSON.stringify(await stack.restate.query("SELECT * FROM sys_journal"));
  assert.ok(journal.length > 1000, "the journals were read");
  // Journal payloads come back as hex (`raw`); some values as base64: both are read as text too.
  const decodedJournal = journal
    .replace(/"([0-9a-fA-F]{40,})"/g, (_, hex: string) => Buffer.from(hex, "hex").toString("latin1"))
    .replace(/"([A-Za-z0-9+/=]{40,})"/g, (_, b64: string) => Buffer.from(b64, "base64").toString("latin1"));
  const found: string[] = [];
  for (const secret of secrets) {
    const part = secret.slice(-16);
    if (state.includes(part)) found.push(`${part} in state`);
    if (journal.includes(part) || decodedJournal.includes(part)) found.push(`${part} in a journal`);
    for (const line of stack.logLines) if (line.includes(part)) found.push(`${part} in the log: ${line}`);
  }
  return found;
}

/** Waits until the bot has answered in the thread with a message that holds `text`. */
export function botAnswered(
  stack: SlackStack,
  channel: string,
  threadTs: string,
  text: string,
): Promise<true> {
  return waitFor(
    () =>
      stack.emulator
        .thread(channel, threadTs)
        .some((m) => m.user === stack.emulator.workspace.bot.userId && m.text.includes(text)) || undefined,
    { what: `"${text}" in thread ${threadTs}` },
  );
}
