/**
 * Whether an interaction (a button, a select, a modal, a shortcut) comes from this app's workspace and
 * names one of its threads. The session key in a control is only as trustworthy as the request that
 * carries it, so every control checks it here before it reaches a session. Pure; no Slack or Restate calls.
 */
import { parseSessionKey, type SessionPlace } from "../../restate/keys.ts";
import type { BotIdentity } from "../incoming-message.ts";

/** The parts of an interaction's body that say which workspace it comes from. */
export interface InteractionOrigin {
  readonly team: { readonly id: string } | null;
  readonly user: { readonly team_id?: string };
}

/** A control refused by the adapter's own rules; its message is what the person is told. */
export class ControlRefusal extends Error {
  override readonly name = "ControlRefusal";
}

/** The workspace an interaction comes from (Enterprise Grid may name it only on the user). */
export function teamOf(body: InteractionOrigin): string | undefined {
  return body.team?.id ?? body.user.team_id;
}

/** Whether a request naming `team` comes from a workspace (or the org) that `bot` serves. */
export function servesTeam(bot: BotIdentity, team: string | undefined): boolean {
  return team !== undefined && (team === bot.teamId || (bot.servedTeams ?? []).includes(team));
}

/** Throws a `ControlRefusal` unless the interaction comes from the workspace the app serves. */
export function assertFromThisWorkspace(body: InteractionOrigin, bot: BotIdentity): void {
  if (!servesTeam(bot, teamOf(body))) throw new ControlRefusal("this app does not serve your workspace.");
}

/**
 * The thread `key` names, when the interaction comes from this app's workspace and the key is a thread of
 * that same workspace; throws a `ControlRefusal` otherwise (another workspace's key, `ellie`, a damaged id).
 */
export function threadOfThisWorkspace(key: string, body: InteractionOrigin, bot: BotIdentity): SessionPlace {
  assertFromThisWorkspace(body, bot);
  const place = parseSessionKey(key);
  if (!place || place.team !== bot.teamId)
    throw new ControlRefusal("that control does not name a thread of this workspace.");
  return place;
}
