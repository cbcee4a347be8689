/**
 * The way to the app's installations (the `SlackInstallation` objects), for the Slack adapter and the
 * durable side alike: reads and writes signed with the adapter key through the ingress, and a cache so that
 * acknowledging an event does not wait on a round trip. The cache holds sealed records only; it is dropped
 * for a key on every save and remove made here, after `CACHE_TTL_MS` (another process may have saved), and
 * by whoever finds a token refused (`forget`). Also Bolt's `installationStore` over the same objects.
 */
import * as clients from "@restatedev/restate-sdk-clients";
import type { Installation, InstallationQuery, InstallationStore } from "@slack/oauth";
import type { Logger } from "../logger.ts";
import { connectIngress } from "../runtime/ingress.ts";
import { DeliveryError } from "./delivery-error.ts";
import { SlackInstallationRef } from "./durable/slack-objects.ts";
import {
  installationKeyOf,
  type KeptInstallation,
  toBoltInstallation,
  toInstallationRecord,
} from "./installation.ts";
import { signedInput, signedWrite } from "./signed-calls.ts";
import type { TokenBox } from "./token-box.ts";

/** How long a cached record is trusted without asking Restate again (another process may have rotated it). */
const CACHE_TTL_MS = 60_000;

/**
 * How long a read of an installation may take, all attempts included: an event's authorisation must leave
 * room within Slack's 3 seconds to answer (a 500 then, which Slack delivers again).
 */
const READ_DEADLINE_MS = 2000;

/**
 * A rotating token is refreshed once it has less than this left, so that a call made with it (an event's
 * answer, a step) does not meet its expiry. Bolt is never given the refresh token (`toBoltInstallation`):
 * every refresh goes through `SlackInstallation/refresh`.
 */
export const REFRESH_BEFORE_EXPIRY_MS = 2 * 3_600_000 + 10 * 60_000;

/** Whether the record's bot token is expiring (or gone) and should be refreshed first. */
export function isExpiring(record: KeptInstallation, nowMs: number = Date.now()): boolean {
  return (
    record.refreshToken !== null &&
    record.expiresAt !== null &&
    record.expiresAt * 1000 - nowMs < REFRESH_BEFORE_EXPIRY_MS
  );
}

export class Installations {
  readonly box: TokenBox;
  private readonly adapterKey: string;
  private readonly ingress: clients.Ingress;
  private readonly cache = new Map<string, { record: KeptInstallation; at: number }>();
  /**
   * Grows with every save, remove and forget of a key in this process: a read that began before one of
   * them must not put its older answer into the cache after it.
   */
  private readonly generations = new Map<string, number>();

  constructor(options: { ingressUrls: readonly string[]; adapterKey: string; box: TokenBox }) {
    this.box = options.box;
    this.adapterKey = options.adapterKey;
    this.ingress = connectIngress(options.ingressUrls);
  }

  /**
   * The kept installation for `key` (sealed), or null when the app is not installed there. "Not installed"
   * is never cached: an install made by another process counts at once.
   */
  async find(key: string): Promise<KeptInstallation | null> {
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.record;
    const generation = this.generationOf(key);
    const target = { service: SlackInstallationRef.name, handler: "get", key };
    const record = await this.ingress.objectClient(SlackInstallationRef, key).get(
      clients.rpc.opts({
        ...signedInput(this.adapterKey, target, undefined),
        signal: AbortSignal.timeout(READ_DEADLINE_MS),
      }),
    );
    this.remember(key, record, generation);
    return record;
  }

  private generationOf(key: string): number {
    return this.generations.get(key) ?? 0;
  }

  /** Drops what is cached for `key`, and makes any read already under way unable to cache its answer. */
  private invalidate(key: string): void {
    this.cache.delete(key);
    this.generations.set(key, this.generationOf(key) + 1);
  }

  /** Caches a record read at `generation`, unless a save, remove or forget came since. */
  private remember(key: string, record: KeptInstallation | null, generation: number): void {
    if (this.generationOf(key) !== generation) return;
    if (record) this.cache.set(key, { record, at: Date.now() });
    else this.cache.delete(key);
  }

  /**
   * The record with a token good to use: refreshed first when it is expiring, or (`version`) when Slack
   * refused the token of that version. Null when the app is not installed there.
   */
  async usable(key: string, refusedVersion?: number): Promise<KeptInstallation | null> {
    const record = await this.find(key);
    if (!record) return null;
    if (refusedVersion === undefined ? !isExpiring(record) : record.version !== refusedVersion) return record;
    if (!record.refreshToken) return record;
    const target = { service: SlackInstallationRef.name, handler: "refresh", key };
    const input = { version: record.version };
    const generation = this.generationOf(key);
    const refreshed = await this.ingress.objectClient(SlackInstallationRef, key).refresh(
      input,
      clients.rpc.opts({
        ...signedInput(this.adapterKey, target, input),
        // Past it the exchange still completes in Restate; the next read finds its result.
        signal: AbortSignal.timeout(READ_DEADLINE_MS),
      }),
    );
    this.remember(key, refreshed, generation);
    return refreshed;
  }

  /** Keeps Bolt's installation, its tokens sealed before they leave this process. */
  async save(installation: Installation, url: string | null): Promise<void> {
    const record = toInstallationRecord(installation, this.box, url);
    const target = { service: SlackInstallationRef.name, handler: "save", key: record.key };
    this.invalidate(record.key);
    await this.ingress
      .objectClient(SlackInstallationRef, record.key)
      .save(record, clients.rpc.opts({ ...signedWrite(this.adapterKey, target, record) }));
    this.invalidate(record.key);
  }

  /** Forgets the installation of `key` (uninstalled, tokens revoked); true when there was one. */
  async remove(key: string): Promise<boolean> {
    const target = { service: SlackInstallationRef.name, handler: "remove", key };
    this.invalidate(key);
    const { removed } = await this.ingress
      .objectClient(SlackInstallationRef, key)
      .remove(clients.rpc.opts({ ...signedWrite(this.adapterKey, target, undefined) }));
    this.invalidate(key);
    return removed;
  }

  /** Drops what this process remembers of `key` (Slack refused its token: it may have been rotated). */
  forget(key: string): void {
    this.invalidate(key);
  }
}

/**
 * Bolt's installation store over the installations: an install's record is saved sealed (with the
 * workspace's address, which Bolt does not keep, for links to messages), and each event's authorisation
 * finds its installation in the cache or in Restate.
 */
export function installationStore(
  installations: Installations,
  options: { readonly urlOf: (botToken: string) => Promise<string | null>; readonly logger: Logger },
): InstallationStore {
  return {
    storeInstallation: async (installation) => {
      const url = installation.bot ? await options.urlOf(installation.bot.token) : null;
      await installations.save(installation, url);
      options.logger.info(
        `Installed in ${installation.isEnterpriseInstall ? `org ${installation.enterprise?.id}` : `workspace ${installation.team?.id}`}`,
      );
    },
    fetchInstallation: async (query: InstallationQuery<boolean>) => {
      const key = installationKeyOf(query);
      // Restate out of reach is a delivery failure (Slack sends the event again); no installation is final.
      const record = await installations.usable(key).catch((error: unknown) => {
        throw new DeliveryError(error);
      });
      if (!record) {
        options.logger.warn(
          `Refused a request from ${key}: the app is not installed there (uninstalled, or never installed)`,
        );
        throw new Error(`the app is not installed in ${key}`);
      }
      return toBoltInstallation(record, installations.box);
    },
    deleteInstallation: async (query: InstallationQuery<boolean>) => {
      await installations.remove(installationKeyOf(query));
    },
  };
}
