/**
 * The emulator's side of Slack's OAuth flow for one app: the consent page (`GET /oauth/v2/authorize`, where
 * a person of the workspace allows the install), the redirect back to the app with a one-time code, and
 * `oauth.v2.access`, which trades the code (or, with token rotation, a refresh token) for the bot's
 * tokens. Refuses what Slack refuses, with Slack's error names (`invalid_client_id`, `bad_client_secret`,
 * `invalid_code`, `bad_redirect_uri`, `invalid_refresh_token`). Tokens it issues are the workspace's.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { EmulatorClock } from "./clock.ts";
import { readBody } from "./http-io.ts";
import type { Json } from "./methods.ts";
import type { EmulatedWorkspace } from "./workspace.ts";

/** The app as its settings at api.slack.com say. */
export interface OAuthAppSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The app's redirect URL (OAuth & Permissions). */
  readonly redirectUrl: string;
  /** Token rotation on: bot tokens expire (12 h) and come with a refresh token. */
  readonly tokenRotation?: boolean;
}

/** Slack's codes live 10 minutes and work once. */
const CODE_LIFETIME_MS = 10 * 60_000;
/** A rotated bot token lives 12 hours. */
export const ROTATED_TOKEN_LIFETIME_S = 12 * 3600;

interface IssuedCode {
  /** The workspace the person chose to install into. */
  readonly team: string;
  readonly installer: string;
  readonly scopes: string;
  readonly redirectUri: string | null;
  readonly expiresAt: number;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class OAuthApp {
  readonly settings: OAuthAppSettings;
  private readonly workspaces: () => readonly EmulatedWorkspace[];
  private readonly clock: EmulatorClock;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshTokens = new Map<string, { team: string; installer: string; scopes: string }>();
  /** Every exchange, oldest first: how many installs and refreshes the app made. */
  readonly exchanges: { grant: "authorization_code" | "refresh_token"; ok: boolean }[] = [];

  constructor(
    settings: OAuthAppSettings,
    workspaces: () => readonly EmulatedWorkspace[],
    clock: EmulatorClock,
  ) {
    this.settings = settings;
    this.workspaces = workspaces;
    this.clock = clock;
  }

  private workspaceOf(team: string): EmulatedWorkspace | undefined {
    return this.workspaces().find((w) => w.team.id === team);
  }

  /** The workspaces of an Enterprise Grid org. */
  private orgOf(enterpriseId: string): EmulatedWorkspace[] {
    return this.workspaces().filter((w) => w.enterprise?.id === enterpriseId);
  }

  /** The consent page and its answer; false for any other request. */
  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== "/oauth/v2/authorize") return false;
    if (request.method === "GET") this.consentPage(url.searchParams, response);
    else if (request.method === "POST") this.allow(parseQuery(await readBody(request)), response);
    else response.writeHead(405).end();
    return true;
  }

  private consentPage(query: URLSearchParams, response: ServerResponse): void {
    if (query.get("client_id") !== this.settings.clientId) {
      this.errorPage(response, "invalid_client_id");
      return;
    }
    const [first] = this.workspaces();
    const workspaces = this.workspaces();
    const hidden = ["client_id", "scope", "state", "redirect_uri"]
      .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? "")}">`)
      .join("");
    const scopes = (query.get("scope") ?? "").split(",").filter(Boolean);
    // As on Slack's page: the person picks the workspace to install into (and, here, who they are in it).
    const option = (value: string, label: string) =>
      `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`;
    const people = (w: EmulatedWorkspace) => [...w.users.values()].filter((user) => !user.isBot);
    const orgs = new Map(workspaces.flatMap((w) => (w.enterprise ? [[w.enterprise.id, w] as const] : [])));
    const choices = [
      ...workspaces.flatMap((w) =>
        people(w).map((p) => option(`${w.team.id}:${p.id}`, `${w.team.name}: ${p.realName}`)),
      ),
      // Enterprise Grid: an org admin may install for the whole org (org-wide deployment).
      ...[...orgs.entries()].flatMap(([id, w]) =>
        people(w).map((p) =>
          option(`${id}:${p.id}`, `${w.enterprise?.name ?? id} (whole org): ${p.realName}`),
        ),
      ),
    ];
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<!doctype html><html><head><title>Install ${escapeHtml(first?.bot.name ?? "the app")}</title></head><body>` +
        `<h1>${escapeHtml(first?.bot.name ?? "The app")} is requesting permission to access a Slack workspace</h1>` +
        `<ul>${scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join("")}</ul>` +
        `<form method="post" action="/oauth/v2/authorize">${hidden}` +
        `<label>Install into <select name="user">${choices.join("")}</select></label>` +
        `<button type="submit">Allow</button></form></body></html>`,
    );
  }

  private allow(form: Record<string, string | string[] | undefined>, response: ServerResponse): void {
    const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
    if (field("client_id") !== this.settings.clientId) {
      this.errorPage(response, "invalid_client_id");
      return;
    }
    const redirectUri = field("redirect_uri") || null;
    if (redirectUri !== null && redirectUri !== this.settings.redirectUrl) {
      this.errorPage(response, "bad_redirect_uri");
      return;
    }
    // `T0002:U0ALICE01`, or a person of the first workspace alone.
    const [team, installer] = field("user").includes(":")
      ? field("user").split(":")
      : [this.workspaces()[0]?.team.id ?? "", field("user")];
    const workspace = this.workspaceOf(team ?? "") ?? this.orgOf(team ?? "")[0];
    if (!workspace?.users.has(installer ?? "")) {
      this.errorPage(response, "invalid_team");
      return;
    }
    const code = `${team}.${randomBytes(12).toString("hex")}`;
    this.codes.set(code, {
      team: team ?? "",
      installer: installer ?? "",
      scopes: field("scope"),
      redirectUri,
      expiresAt: this.clock.now() + CODE_LIFETIME_MS,
    });
    const target = new URL(redirectUri ?? this.settings.redirectUrl);
    target.searchParams.set("code", code);
    if (field("state")) target.searchParams.set("state", field("state"));
    response.writeHead(302, { location: target.toString() }).end();
  }

  private errorPage(response: ServerResponse, error: string): void {
    response.writeHead(400, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html><body><h1>Something went wrong</h1><p>${error}</p></body></html>`);
  }

  /**
   * `oauth.v2.access`: the client's id and secret (in the form, or HTTP Basic), and a code or a refresh
   * token. Answers as the Web API does (`ok: false` with Slack's error name).
   */
  access(args: Readonly<Record<string, unknown>>, basicAuth: string | undefined): Json {
    const grant = args.grant_type === "refresh_token" ? "refresh_token" : "authorization_code";
    const answer = this.exchange(args, basicAuth, grant);
    this.exchanges.push({ grant, ok: answer.ok === true });
    return answer;
  }

  private exchange(
    args: Readonly<Record<string, unknown>>,
    basicAuth: string | undefined,
    grant: "authorization_code" | "refresh_token",
  ): Json {
    const [basicId, basicSecret] = basicAuth
      ? Buffer.from(basicAuth, "base64").toString("utf8").split(":")
      : [undefined, undefined];
    const clientId = basicId ?? args.client_id;
    const clientSecret = basicSecret ?? args.client_secret;
    if (clientId !== this.settings.clientId) return { ok: false, error: "invalid_client_id" };
    if (clientSecret !== this.settings.clientSecret) return { ok: false, error: "bad_client_secret" };
    if (grant === "refresh_token") {
      const known = this.refreshTokens.get(String(args.refresh_token ?? ""));
      if (!known || !this.settings.tokenRotation) return { ok: false, error: "invalid_refresh_token" };
      // Slack's refresh tokens are used once: the answer carries the next one.
      this.refreshTokens.delete(String(args.refresh_token));
      return this.issue(known.team, known.installer, known.scopes);
    }
    const code = this.codes.get(String(args.code ?? ""));
    if (!code || code.expiresAt < this.clock.now()) return { ok: false, error: "invalid_code" };
    this.codes.delete(String(args.code));
    const redirectUri = typeof args.redirect_uri === "string" ? args.redirect_uri : null;
    if (code.redirectUri !== null && redirectUri !== code.redirectUri)
      return { ok: false, error: "bad_redirect_uri" };
    return this.issue(code.team, code.installer, code.scopes);
  }

  private issue(team: string, installer: string, scopes: string): Json {
    const org = this.orgOf(team);
    const workspace = this.workspaceOf(team) ?? org[0];
    if (!workspace) return { ok: false, error: "team_not_found" };
    const rotating = this.settings.tokenRotation === true;
    const lifetimeMs = rotating ? ROTATED_TOKEN_LIFETIME_S * 1000 : null;
    const token = workspace.issueBotToken(lifetimeMs);
    // An org-wide install's one token works in every workspace of the org.
    for (const member of org) {
      member.orgWideInstall = true;
      if (member !== workspace) member.acceptBotToken(token, lifetimeMs);
    }
    const refresh = rotating ? `xoxe-1-${randomBytes(16).toString("hex")}` : null;
    if (refresh) this.refreshTokens.set(refresh, { team, installer, scopes });
    return {
      ok: true,
      app_id: workspace.bot.appId,
      authed_user: { id: installer },
      scope: scopes,
      token_type: "bot",
      access_token: token,
      bot_user_id: workspace.bot.userId,
      ...(refresh ? { refresh_token: refresh, expires_in: ROTATED_TOKEN_LIFETIME_S } : {}),
      team: org.length > 0 ? null : { id: workspace.team.id, name: workspace.team.name },
      enterprise: workspace.enterprise,
      is_enterprise_install: org.length > 0,
    };
  }
}
