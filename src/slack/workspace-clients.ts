/**
 * Which token a durable step calls Slack with: the app's one bot token (`SLACK_BOT_TOKEN`, the playground),
 * or the token of the workspace's installation, opened at the time of the call inside the step, so a token
 * rotated or re-installed meanwhile is used at once and a retried step never holds a stale one (nothing of
 * it is journaled). A token Slack refuses is looked up again once: if the installation changed meanwhile
 * (another process rotated it) or can be refreshed (token rotation), the call is made again with the new one.
 * A token about to expire is refreshed before it is used (installations.ts `usable`).
 */
import * as restate from "@restatedev/restate-sdk";
import type { WebClient } from "@slack/web-api";
import type { Installations } from "./installations.ts";
import { slackErrorCode } from "./web-api.ts";

export interface WorkspaceClients {
  /** `call` with a client that holds `team`'s token (`team`: the team part of a session, channel or Home key). */
  call<T>(team: string, call: (client: WebClient) => Promise<T>): Promise<T>;
}

/** Slack's answers to a token that is no longer good. */
const REFUSED_TOKEN = new Set([
  "invalid_auth",
  "token_expired",
  "token_revoked",
  "account_inactive",
  "not_authed",
]);

/** One token for every workspace: the app's own. */
export function singleTokenClients(client: WebClient): WorkspaceClients {
  return { call: (_team, call) => call(client) };
}

/** Each workspace's token from its installation; `makeClient` builds a client around a token. */
export function installedClients(
  installations: Installations,
  makeClient: (token: string) => WebClient,
): WorkspaceClients {
  const made = new Map<string, { version: number; client: WebClient }>();
  async function clientOf(
    team: string,
    refusedVersion?: number,
  ): Promise<{ version: number; client: WebClient }> {
    const record = await installations.usable(team, refusedVersion);
    if (!record) {
      throw new restate.TerminalError(
        `the app is not installed in ${team} (uninstalled, or its tokens revoked)`,
        {
          errorCode: 410,
        },
      );
    }
    const known = made.get(team);
    if (known?.version === record.version) return known;
    const fresh = {
      version: record.version,
      client: makeClient(installations.box.open(record.botToken, record.key)),
    };
    made.set(team, fresh);
    return fresh;
  }
  return {
    async call(team, call) {
      const first = await clientOf(team);
      try {
        return await call(first.client);
      } catch (error) {
        if (!REFUSED_TOKEN.has(slackErrorCode(error) ?? "")) throw error;
        installations.forget(team);
        const again = await clientOf(team, first.version);
        if (again.version === first.version) throw error;
        return await call(again.client);
      }
    },
  };
}
