/**
 * SlackInstallation: one virtual object per installation of the app (key: the team id, or the enterprise id
 * of an org-wide install; `installationKeyOf`), holding its record with the tokens sealed. Restate is where
 * everything else is kept, so no database is needed and no two copies of the app disagree about a token;
 * Restate's state and journals are readable through its admin API, so nothing here is ever in clear: the
 * adapter seals before it saves, and a token is opened only in the step that calls Slack. Only our Slack
 * adapter (signed requests) may save, read or remove an installation. With token rotation, `refresh` is
 * the one place new tokens are asked for: exclusive per installation, so two callers never spend the same
 * single-use refresh token, and the exchange is one durable step whose journaled result is sealed.
 */
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import type { CallerCheck } from "../../restate/caller.ts";
import {
  type InstallationRecord,
  InstallationRecordSchema,
  type KeptInstallation,
  type RefreshedTokens,
} from "../installation.ts";
import { SLACK_INSTALLATION, SlackWorkspaceRef } from "./slack-objects.ts";

type InstallationState = { installation: KeptInstallation };
type InstallationContext = restate.ObjectContext<InstallationState>;

/**
 * Trades an installation's refresh token for new tokens at Slack (`oauth.v2.access`), returning them
 * sealed; null without OAuth (no client credentials here). Runs inside a durable step.
 */
export type TokenRefresher = (installation: KeptInstallation) => Promise<RefreshedTokens>;

/**
 * A record's next version: never one an earlier record of the key had, also after an uninstall cleared it
 * (a time, and above the last), so a client made for an old token is never taken for the new one.
 */
function nextVersion(kept: KeptInstallation | null, now: number): number {
  return Math.max(now, (kept?.version ?? 0) + 1);
}

export function createSlackInstallation(options: {
  journalRetentionMs: number;
  caller: CallerCheck;
  refresher: TokenRefresher | null;
}) {
  const { caller, refresher } = options;
  return restate.object({
    name: SLACK_INSTALLATION,
    description: "One installation of the app in a workspace or an Enterprise Grid org, its tokens sealed.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      /** An install, a re-install or new tokens: the record replaces the one kept, under a new version. */
      save: restate.handlers.object.exclusive(
        { input: restate.serde.schema(InstallationRecordSchema) },
        async (ctx: InstallationContext, record: InstallationRecord): Promise<{ version: number }> => {
          await caller.requireAdapter(ctx, "only our Slack adapter may save an installation");
          if (record.key !== ctx.key)
            throw new restate.TerminalError(
              `an installation of ${record.key} cannot be saved as ${ctx.key}`,
              {
                errorCode: 400,
              },
            );
          const kept = await ctx.get("installation");
          const now = await ctx.date.now();
          const version = nextVersion(kept, now);
          const installedAt = kept?.installedAt ?? now;
          ctx.set("installation", { ...record, version, installedAt });
          // Installed (again): a workspace the app had left keeps its sessions' state no longer waiting to go.
          if (!kept) ctx.objectSendClient(SlackWorkspaceRef, ctx.key).rejoined();
          return { version };
        },
      ),
      /** The kept record (tokens sealed), or null when the app is not installed here. */
      get: restate.handlers.object.shared(
        {},
        async (ctx: restate.ObjectSharedContext<InstallationState>): Promise<KeptInstallation | null> => {
          await caller.requireAdapterRead(ctx, "only our Slack adapter may read an installation");
          return (await ctx.get("installation")) ?? null;
        },
      ),
      /**
       * New tokens, if the kept record is still `version` (the one the caller found expiring or refused):
       * a caller that comes second finds a newer version and gets it, without a second exchange.
       */
      refresh: restate.handlers.object.exclusive(
        { input: restate.serde.schema(z.object({ version: z.number().int() })) },
        async (ctx: InstallationContext, { version }): Promise<KeptInstallation | null> => {
          await caller.requireAdapterRead(ctx, "only our Slack adapter may refresh an installation's tokens");
          const kept = await ctx.get("installation");
          if (!kept || kept.version !== version || !kept.refreshToken || !refresher) return kept;
          let tokens: RefreshedTokens;
          try {
            tokens = await ctx.run("exchange the refresh token", () => refresher(kept), {
              maxRetryAttempts: 5,
            });
          } catch (error) {
            // Nothing else will mend it: every call of the workspace fails until the app is installed again.
            ctx.console.error(
              `Slack refused to refresh the tokens of ${ctx.key} (${(error as Error).message}): install the app there again`,
            );
            throw error;
          }
          const refreshed = { ...kept, ...tokens, version: nextVersion(kept, await ctx.date.now()) };
          ctx.set("installation", refreshed);
          return refreshed;
        },
      ),
      /** The app was uninstalled or its tokens revoked: the record is forgotten. */
      remove: restate.handlers.object.exclusive(
        {},
        async (ctx: InstallationContext): Promise<{ removed: boolean }> => {
          await caller.requireAdapter(ctx, "only our Slack adapter may remove an installation");
          const removed = (await ctx.get("installation")) !== null;
          // The record only: the ledger of signed writes taken stays, so this request (or an old save) sent
          // again is refused as a replay instead of removing a later install (or reviving dead tokens).
          ctx.clear("installation");
          // Its sessions stop now and are forgotten after the grace (SlackWorkspace/left).
          if (removed) ctx.objectSendClient(SlackWorkspaceRef, ctx.key).left();
          return { removed };
        },
      ),
    },
  });
}

export type SlackInstallation = ReturnType<typeof createSlackInstallation>;
