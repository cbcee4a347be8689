/**
 * `response_url`s, as Slack hands them out with slash commands and interactions: each posts ephemeral
 * messages (or replaces or deletes the one it belongs to) for one person in one channel, works for 30
 * minutes and 5 uses, and refuses blocks Slack refuses. Also keeps the ephemeral messages they show.
 * It must not touch anything but the workspace's ephemerals.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BlockKitError, validateMessageBlocks } from "./block-kit.ts";
import type { EmulatorClock } from "./clock.ts";
import { readBody, sendJson } from "./http-io.ts";
import type { Json } from "./methods.ts";
import type { EmulatedWorkspace } from "./workspace.ts";

/** Slack's limits on a response_url: 30 minutes from the request that carried it, at most 5 posts. */
export const RESPONSE_URL_LIMITS = { lifetimeMs: 30 * 60_000, maxUses: 5 } as const;

interface ResponseTarget {
  readonly user: string;
  readonly channel: string;
  ephemeralTs?: string;
  readonly expiresAt: number;
  uses: number;
}

const isTrue = (value: unknown) => value === true || value === "true";

export class ResponseUrls {
  /** How long a new response_url works; tests may shorten it (Slack: 30 minutes). */
  lifetimeMs: number;
  private readonly targets = new Map<string, ResponseTarget>();
  private readonly workspace: EmulatedWorkspace;
  private readonly clock: EmulatorClock;
  private readonly baseUrl: () => string;
  private readonly onChange: (change: Json) => void;

  constructor(options: {
    workspace: EmulatedWorkspace;
    clock: EmulatorClock;
    baseUrl: () => string;
    onChange: (change: Json) => void;
    lifetimeMs?: number;
  }) {
    this.workspace = options.workspace;
    this.clock = options.clock;
    this.baseUrl = options.baseUrl;
    this.onChange = options.onChange;
    this.lifetimeMs = options.lifetimeMs ?? RESPONSE_URL_LIMITS.lifetimeMs;
  }

  /** A new response_url for `user` in `channel`, tied to the ephemeral message it may replace. */
  create(target: { user: string; channel: string; ephemeralTs?: string }): string {
    const id = randomUUID();
    this.targets.set(id, { ...target, expiresAt: this.clock.now() + this.lifetimeMs, uses: 0 });
    return `${this.baseUrl()}/response/${id}`;
  }

  /** The ephemeral message a response_url belongs to (a slash command's answer, shown after the fact). */
  attachEphemeral(url: string, ephemeralTs: string): void {
    const target = this.targets.get(url.slice(url.lastIndexOf("/") + 1));
    if (target) target.ephemeralTs = ephemeralTs;
  }

  /** A POST to `/response/<id>`. */
  async handle(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = this.targets.get(id);
    // Slack answers 404 `expired_url` for a response_url past its 30 minutes or its 5 uses.
    if (!target || target.expiresAt <= this.clock.now() || target.uses >= RESPONSE_URL_LIMITS.maxUses)
      return sendJson(response, 404, { ok: false, error: "expired_url" });
    let body: Json;
    try {
      body = JSON.parse(await readBody(request)) as Json;
    } catch {
      return sendJson(response, 400, { ok: false, error: "invalid_payload" });
    }
    if (body.blocks !== undefined) {
      try {
        validateMessageBlocks(typeof body.blocks === "string" ? JSON.parse(body.blocks) : body.blocks);
      } catch (error) {
        const detail = error instanceof BlockKitError ? error.message : "blocks is not JSON";
        return sendJson(response, 400, {
          ok: false,
          error: "invalid_blocks",
          response_metadata: { messages: [detail] },
        });
      }
    }
    target.uses += 1;
    if (isTrue(body.delete_original)) {
      this.removeEphemeral(target.ephemeralTs);
      return sendJson(response, 200, { ok: true });
    }
    if (isTrue(body.replace_original)) this.removeEphemeral(target.ephemeralTs);
    const ts = this.addEphemeral(target.user, target.channel, body);
    if (isTrue(body.replace_original)) target.ephemeralTs = ts;
    sendJson(response, 200, { ok: true });
  }

  removeEphemeral(ephemeralTs: string | undefined): void {
    const index = this.workspace.ephemerals.findIndex((e) => e.ts === ephemeralTs);
    if (index < 0) return;
    const [removed] = this.workspace.ephemerals.splice(index, 1);
    this.onChange({ kind: "ephemeral_removed", ts: removed?.ts, user: removed?.user });
  }

  addEphemeral(user: string, channel: string, body: Json, threadTs?: string): string {
    const ts = this.workspace.nextTs();
    const ephemeral = {
      ts,
      channel,
      user,
      text: typeof body.text === "string" ? body.text : "",
      ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
      ...(threadTs ? { threadTs } : {}),
    };
    this.workspace.ephemerals.push(ephemeral);
    this.onChange({ kind: "ephemeral", ...ephemeral });
    return ts;
  }
}
