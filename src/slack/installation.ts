/**
 * One installation of the app, as kept in Restate (`SlackInstallation`, src/slack/durable): who installed it
 * where, with which scopes, and its tokens sealed (token-box.ts). Pure conversions between Bolt's
 * `Installation` and the kept record, and the one rule for the key an installation is kept under, which is
 * also the team part of every session key of its workspace. Never holds a token in clear.
 */
import type { Installation } from "@slack/oauth";
import { z } from "zod";
import { TokenBox } from "./token-box.ts";

const sealed = z.string().refine(TokenBox.isSealed, "must be a sealed token");

export const InstallationRecordSchema = z.object({
  /** `installationKeyOf`: the enterprise id of an org-wide install, else the workspace's team id. */
  key: z.string().regex(/^[TE][A-Z0-9]+$/),
  teamId: z.string().nullable(),
  teamName: z.string().nullable(),
  enterpriseId: z.string().nullable(),
  enterpriseName: z.string().nullable(),
  isEnterpriseInstall: z.boolean(),
  /** The workspace's (or org's) address, for links to messages. */
  url: z.string().nullable(),
  appId: z.string().nullable(),
  botId: z.string(),
  botUserId: z.string(),
  scopes: z.array(z.string()),
  installerUserId: z.string(),
  botToken: sealed,
  /** With token rotation: the refresh token and when the bot token expires (epoch seconds). */
  refreshToken: sealed.nullable(),
  expiresAt: z.number().int().nullable(),
});

export type InstallationRecord = z.infer<typeof InstallationRecordSchema>;

/** What a token refresh gives: the new bot and refresh tokens, sealed, and when the bot token expires. */
export interface RefreshedTokens {
  readonly botToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
}

/** A kept record as `SlackInstallation.get` answers it: the record, its version and when it was installed. */
export interface KeptInstallation extends InstallationRecord {
  /** Grows with every save (an install, a re-install, a rotation): a cache holding an older one is stale. */
  readonly version: number;
  readonly installedAt: number;
}

/**
 * The key an installation is kept under, and the team part of its sessions' keys: an org-wide install of
 * Enterprise Grid serves every workspace of the org under its enterprise id (so a thread in a channel shared
 * by several of them is one session), any other install its workspace's team id.
 */
export function installationKeyOf(query: {
  readonly isEnterpriseInstall?: boolean | undefined;
  readonly enterpriseId?: string | undefined;
  readonly teamId?: string | undefined;
}): string {
  const key = query.isEnterpriseInstall ? query.enterpriseId : query.teamId;
  if (!key)
    throw new Error("an installation names neither its workspace nor, for an org-wide install, its org");
  return key;
}

/** Bolt's installation as a record to keep, its tokens sealed for its key. Only bot installs are kept. */
export function toInstallationRecord(
  installation: Installation,
  box: TokenBox,
  url: string | null,
): InstallationRecord {
  const bot = installation.bot;
  if (!bot) throw new Error("the installation has no bot user: the app asks for bot scopes only");
  const key = installationKeyOf({
    isEnterpriseInstall: installation.isEnterpriseInstall,
    enterpriseId: installation.enterprise?.id,
    teamId: installation.team?.id,
  });
  return {
    key,
    teamId: installation.team?.id ?? null,
    teamName: installation.team?.name ?? null,
    enterpriseId: installation.enterprise?.id ?? null,
    enterpriseName: installation.enterprise?.name ?? null,
    isEnterpriseInstall: installation.isEnterpriseInstall === true,
    url: url ?? installation.enterpriseUrl ?? null,
    appId: installation.appId ?? null,
    botId: bot.id,
    botUserId: bot.userId,
    scopes: bot.scopes,
    installerUserId: installation.user.id,
    botToken: box.seal(bot.token, key),
    refreshToken: bot.refreshToken ? box.seal(bot.refreshToken, key) : null,
    expiresAt: bot.expiresAt ?? null,
  };
}

/**
 * The kept record as Bolt's installation for an event's authorisation, its bot token opened (in the
 * adapter's memory only). Without the refresh token: Bolt then never refreshes by itself, and every refresh
 * goes through `SlackInstallation/refresh` (installations.ts `usable` refreshes before Bolt gets the record).
 */
export function toBoltInstallation(record: InstallationRecord, box: TokenBox): Installation {
  return {
    team: record.teamId
      ? { id: record.teamId, ...(record.teamName ? { name: record.teamName } : {}) }
      : undefined,
    enterprise: record.enterpriseId
      ? { id: record.enterpriseId, ...(record.enterpriseName ? { name: record.enterpriseName } : {}) }
      : undefined,
    user: { id: record.installerUserId, token: undefined, scopes: undefined },
    bot: {
      token: box.open(record.botToken, record.key),
      scopes: record.scopes,
      id: record.botId,
      userId: record.botUserId,
    },
    ...(record.appId ? { appId: record.appId } : {}),
    tokenType: "bot",
    isEnterpriseInstall: record.isEnterpriseInstall,
    ...(record.isEnterpriseInstall && record.url ? { enterpriseUrl: record.url } : {}),
    authVersion: "v2",
  } as Installation;
}
