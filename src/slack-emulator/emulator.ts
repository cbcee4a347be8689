/**
 * A local Slack, composed of its parts: the Web API server (web-api-server.ts; methods.ts and the chat-,
 * conversation-, channel- and view-methods.ts it lists), the test controls (test-controls.ts: faults, holds,
 * rate limits), the people's actions (people.ts), response_urls (response-urls.ts) and the delivery of
 * Slack's requests to the app (app-delivery.ts, HTTP or Socket Mode). Tests and the playground hold one
 * `SlackEmulator`; this file only wires the parts and forwards, so each behaviour lives in its part.
 */
import { EventEmitter } from "node:events";
import { type AppAnswer, AppDelivery, type DeliveryOptions } from "./app-delivery.ts";
import type { Json } from "./app-requests.ts";
import { eventEnvelope } from "./app-requests.ts";
import { EmulatorClock } from "./clock.ts";
import { OAuthApp, type OAuthAppSettings } from "./oauth-app.ts";
import { type ClickTarget, People } from "./people.ts";
import { ResponseUrls } from "./response-urls.ts";
import { SocketModeServer } from "./socket-mode-server.ts";
import { type Chaos, type Fault, type HeldCall, TestControls, type UpdateLimit } from "./test-controls.ts";
import { type ApiCall, WebApiServer, type WorkspaceSide } from "./web-api-server.ts";
import {
  createDefaultWorkspace,
  type EmDeletion,
  type EmMessage,
  type EmulatedWorkspace,
} from "./workspace.ts";

export type { AppAnswer, DeliveryOptions } from "./app-delivery.ts";
export { SLACK_APP_ANSWER_TIMEOUT_MS } from "./app-delivery.ts";
export { RESPONSE_URL_LIMITS } from "./response-urls.ts";
export type { Chaos, Fault, FaultEffect, HeldCall, UpdateLimit } from "./test-controls.ts";
export { NON_MARKETPLACE_LIMITS, seededRandom } from "./test-controls.ts";
export type { ApiCall } from "./web-api-server.ts";
export type { EmDeletion } from "./workspace.ts";

export interface EmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly workspace?: EmulatedWorkspace;
  /** Least time between two posts into one channel; faster posts get 429 with Retry-After. Off by default. */
  readonly postIntervalMs?: number;
  /** Most chat.update calls in the workspace within any window (Slack: about 50 a minute); off by default. */
  readonly updateLimit?: UpdateLimit;
  /** Send the app `message` events for the bot's own posts and edits, as Slack does (default true). */
  readonly echoBotMessages?: boolean;
  /** Reuse connections to the app (keep-alive) instead of one connection per request. */
  readonly appKeepAlive?: boolean;
  /** How long Slack waits for the app's answer over HTTP (default Slack's 3 s). */
  readonly appAnswerTimeoutMs?: number;
  /** Socket Mode: how long to wait for an ack before sending an envelope again (Slack: 3 s), and how often. */
  readonly socketAckTimeoutMs?: number;
  readonly socketMaxRetries?: number;
  /** How long a response_url works (Slack: 30 minutes). */
  readonly responseUrlLifetimeMs?: number;
  /** The app installs through OAuth: its client id, secret and redirect URL, as at api.slack.com. */
  readonly oauth?: OAuthAppSettings;
}

export class SlackEmulator extends EventEmitter {
  readonly workspace: EmulatedWorkspace;
  /** The emulator's time for minute-long limits; tests move it forward with `advanceClock`. */
  readonly clock = new EmulatorClock();
  readonly controls: TestControls;
  readonly people: People;
  readonly responseUrls: ResponseUrls;
  private readonly server: WebApiServer;
  private readonly socket: SocketModeServer;
  private readonly delivery: AppDelivery;
  private readonly options: EmulatorOptions;
  /** Every workspace the app is in, the first (`workspace`) included. */
  private readonly sides: (WorkspaceSide & { people: People })[] = [];
  /** The app's OAuth flow, when it installs through OAuth (`oauth` option). */
  readonly oauth: OAuthApp | null;

  constructor(options: EmulatorOptions = {}) {
    super();
    this.options = options;
    this.workspace = options.workspace ?? createDefaultWorkspace();
    const onChange = (change: Json) => this.emit("change", change);
    this.socket = new SocketModeServer({
      ackTimeoutMs: options.socketAckTimeoutMs ?? 3000,
      maxRetries: options.socketMaxRetries ?? 3,
      onSend: (sent) => this.emit("envelope", sent),
    });
    this.delivery = new AppDelivery({
      workspace: this.workspace,
      socket: this.socket,
      ...(options.appKeepAlive ? { keepAlive: true } : {}),
      ...(options.appAnswerTimeoutMs ? { answerTimeoutMs: options.appAnswerTimeoutMs } : {}),
    });
    this.controls = new TestControls({
      clock: this.clock,
      ...(options.postIntervalMs ? { postIntervalMs: options.postIntervalMs } : {}),
      ...(options.updateLimit ? { updateLimit: options.updateLimit } : {}),
    });
    this.responseUrls = new ResponseUrls({
      workspace: this.workspace,
      clock: this.clock,
      baseUrl: () => this.server.url,
      onChange,
      ...(options.responseUrlLifetimeMs ? { lifetimeMs: options.responseUrlLifetimeMs } : {}),
    });
    this.people = new People({
      workspace: this.workspace,
      delivery: this.delivery,
      responseUrls: this.responseUrls,
      onChange,
    });
    this.sides.push({ workspace: this.workspace, delivery: this.delivery, people: this.people });
    this.oauth = options.oauth
      ? new OAuthApp(options.oauth, () => this.sides.map((s) => s.workspace), this.clock)
      : null;
    this.server = new WebApiServer({
      workspace: this.workspace,
      sides: () => this.sides,
      controls: this.controls,
      responseUrls: this.responseUrls,
      socket: this.socket,
      delivery: this.delivery,
      events: this,
      ...(options.echoBotMessages === false ? { echoBotMessages: false } : {}),
      oauth: this.oauth,
    });
  }

  get url(): string {
    return this.server.url;
  }

  /** What SLACK_API_URL should be. */
  get apiUrl(): string {
    return `${this.server.url}/api/`;
  }

  async start(): Promise<this> {
    await this.server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1");
    return this;
  }

  async close(): Promise<void> {
    for (const side of this.sides) side.delivery.close();
    this.socket.close();
    this.controls.releaseAll();
    await this.server.close();
  }

  // ---------- The Web API's record ----------

  get calls(): ApiCall[] {
    return this.server.calls;
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  // ---------- Test controls (see test-controls.ts) ----------

  get faults(): Fault[] {
    return this.controls.faults;
  }
  get rateLimited(): number {
    return this.controls.rateLimited;
  }
  get chaosCounts(): Record<string, number> {
    return this.controls.chaosCounts;
  }
  inject(fault: Fault): void {
    this.controls.inject(fault);
  }
  setPostInterval(ms: number | null): void {
    this.controls.setPostInterval(ms);
  }
  setUpdateLimit(limit: UpdateLimit | null): void {
    this.controls.setUpdateLimit(limit);
  }
  setChaos(chaos: Chaos | null): void {
    this.controls.setChaos(chaos);
  }
  setNonMarketplaceLimits(on: boolean, windowMs?: number): void {
    this.controls.setNonMarketplaceLimits(on, windowMs);
  }
  hold(method: string, when?: (args: Json) => boolean, options: { afterWork?: boolean } = {}): HeldCall {
    return this.controls.hold(method, when, options);
  }
  /** Moves the emulator's clock forward (response_url lifetimes, once-a-minute limits). */
  advanceClock(ms: number): void {
    this.clock.advance(ms);
  }

  // ---------- Requests to the app (see app-delivery.ts) ----------

  /** Where the app takes HTTP requests (`.../slack/events`), or null for Socket Mode. */
  get appUrl(): string | null {
    return this.delivery.appUrl;
  }
  set appUrl(url: string | null) {
    for (const side of this.sides) side.delivery.appUrl = url;
  }
  postToApp(body: string, contentType: string, options: DeliveryOptions = {}): Promise<AppAnswer> {
    return this.delivery.postToApp(body, contentType, options);
  }
  /**
   * Another workspace the same app can be installed in (its own team, people, channels and tokens; the
   * app's signing secret). Its people post and click through the side returned; its slash commands'
   * response URLs are not served.
   */
  addWorkspace(options: {
    teamId: string;
    domain: string;
    teamName: string;
    enterprise?: { id: string; name: string };
    /** Tokens the same from one start to the next (`EmulatedWorkspaceOptions.tokenSeed`). */
    tokenSeed?: string;
  }): WorkspaceSide & { people: People } {
    const workspace = createDefaultWorkspace({ ...options, signingSecret: this.workspace.bot.signingSecret });
    const delivery = new AppDelivery({
      workspace,
      socket: this.socket,
      ...(this.options.appKeepAlive ? { keepAlive: true } : {}),
      ...(this.options.appAnswerTimeoutMs ? { answerTimeoutMs: this.options.appAnswerTimeoutMs } : {}),
    });
    delivery.appUrl = this.delivery.appUrl;
    const people = new People({
      workspace,
      delivery,
      responseUrls: this.responseUrls,
      onChange: (change: Json) => this.emit("change", change),
    });
    const side = { workspace, delivery, people };
    this.sides.push(side);
    return side;
  }

  /** Every workspace the app is in, the first included, each with its people. */
  get workspaceSides(): readonly (WorkspaceSide & { people: People })[] {
    return this.sides;
  }

  /**
   * A channel of the first workspace shared with another of its Enterprise Grid org: one channel, one
   * history, seen from both (as a channel shared across an org's workspaces is).
   */
  shareChannel(channelId: string, side: WorkspaceSide): void {
    const channel = this.workspace.channel(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    side.workspace.channels.set(channelId, channel);
    if (!this.workspace.messages.has(channelId)) this.workspace.messages.set(channelId, []);
    side.workspace.messages.set(channelId, this.workspace.messages.get(channelId) ?? []);
  }

  /**
   * An admin uninstalls the app: every token installs gave it stops working at once, and the app is told
   * (`app_uninstalled`, with no authorisation: Slack has none left to give).
   */
  uninstallApp(): Promise<AppAnswer> {
    this.workspace.revokeIssuedTokens();
    const event = { type: "app_uninstalled", event_ts: `${Math.floor(Date.now() / 1000)}.000100` };
    const envelope = { ...eventEnvelope(this.workspace, event), authorizations: [] };
    return this.delivery.deliverEvent(event, { envelope });
  }

  deliverEvent(event: Json, options: DeliveryOptions & { envelope?: Json } = {}): Promise<AppAnswer> {
    return this.delivery.deliverEvent(event, options);
  }
  /** How many Socket Mode connections the app holds now (one per process of it). */
  get socketConnectionCount(): number {
    return this.socket.connectionCount;
  }

  /** Waits until an app in Socket Mode has connected. */
  socketConnected(): Promise<void> {
    return this.socket.waitForConnection();
  }

  // ---------- What people do (see people.ts) ----------

  userPosts(input: Parameters<People["posts"]>[0]): ReturnType<People["posts"]> {
    return this.people.posts(input);
  }
  userEdits(input: Parameters<People["edits"]>[0]): Promise<AppAnswer> {
    return this.people.edits(input);
  }
  slashCommand(input: Parameters<People["slashCommand"]>[0]): ReturnType<People["slashCommand"]> {
    return this.people.slashCommand(input);
  }
  openHome(user: string): Promise<AppAnswer> {
    return this.people.openHome(user);
  }
  viewChannel(user: string, channel: string): Promise<AppAnswer> {
    return this.people.viewsChannel(user, channel);
  }
  pressStop(user: string, channel: string, threadTs: string): Promise<AppAnswer> {
    return this.people.pressStop(user, channel, threadTs);
  }
  interact(input: { user: string; on: ClickTarget; actionId: string; option?: string }): Promise<AppAnswer> {
    return this.people.interact(input);
  }
  messageShortcut(input: Parameters<People["messageShortcut"]>[0]): Promise<AppAnswer> {
    return this.people.messageShortcut(input);
  }
  modalOf(user: string) {
    return this.people.modalOf(user);
  }
  submitModal(input: Parameters<People["submitModal"]>[0]): Promise<AppAnswer> {
    return this.people.submitModal(input);
  }
  closeModal(user: string, viewId: string): void {
    this.people.closeModal(user, viewId);
  }
  dismissEphemeral(user: string, ts: string): void {
    this.people.dismissEphemeral(user, ts);
  }

  // ---------- What people see ----------

  /** A fresh public channel with `members` and the bot in it, so that tests never share a channel's settings. */
  newChannel(members: readonly string[]): string {
    const id = this.workspace.nextId("C");
    this.workspace.addChannel({
      id,
      name: `test-${id.toLowerCase()}`,
      kind: "public",
      members: [...members, this.workspace.bot.userId],
    });
    return id;
  }
  /** Messages of a thread (root first), as stored. */
  thread(channel: string, threadTs: string): EmMessage[] {
    return this.workspace.thread(channel, threadTs);
  }

  /**
   * Messages deleted from a channel (chat.delete), oldest deletion first, each as it was before: gone from
   * history and threads, or left as a tombstone (`tombstone: true`) when it was a root with replies.
   */
  deletedFrom(channel: string): EmDeletion[] {
    return this.workspace.deletions.filter((deletion) => deletion.channel === channel);
  }

  /** Reaction names the bot put on a message. */
  botReactions(channel: string, ts: string): string[] {
    const message = this.workspace.message(channel, ts);
    if (!message) return [];
    return [...message.reactions.entries()]
      .filter(([, users]) => users.has(this.workspace.bot.userId))
      .map(([name]) => name);
  }

  ephemeralsFor(user: string) {
    return this.workspace.ephemerals.filter((e) => e.user === user);
  }

  homeOf(user: string) {
    return this.workspace.homes.get(user);
  }
}

export async function startSlackEmulator(options: EmulatorOptions = {}): Promise<SlackEmulator> {
  return new SlackEmulator(options).start();
}
