/**
 * The emulator's model of a Slack workspace: team, people, channels, messages (with threads, reactions and
 * metadata), deleted messages, ephemeral messages, views, trigger ids and the workspace's custom emoji. Held
 * in memory; a new emulator starts with a fresh one. Not the product's idea of a workspace (that lives in
 * src/slack).
 */
import { createHmac, randomBytes } from "node:crypto";

export interface EmUser {
  readonly id: string;
  readonly name: string;
  readonly realName: string;
  readonly isBot: boolean;
}

export type ChannelKind = "public" | "private" | "im" | "mpim";

export interface EmChannel {
  readonly id: string;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly members: Set<string>;
}

export interface EmFile {
  readonly id: string;
  readonly name: string;
}

export interface EmMessage {
  readonly ts: string;
  readonly channel: string;
  readonly user?: string;
  readonly botId?: string;
  readonly appId?: string;
  text: string;
  blocks?: unknown[];
  readonly threadTs?: string;
  readonly subtype?: string;
  /** Slack's mark on a message nobody posted as such (a tombstone): clients show it only in its place. */
  readonly hidden?: boolean;
  readonly files?: EmFile[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  readonly clientMsgId?: string;
  /** reaction name -> users who reacted */
  readonly reactions: Map<string, Set<string>>;
  readonly replies: string[];
  edited?: { user: string; ts: string };
  /** A message streamed by chat.startStream: `in_progress` until chat.stopStream. */
  streamingState?: "in_progress" | "completed";
}

/** Who Slack says wrote a tombstone, and what it says. */
const TOMBSTONE = { user: "USLACKBOT", text: "This message was deleted." } as const;

/** A message chat.delete took away (or left as a tombstone), as tests and the playground learn of it. */
export interface EmDeletion {
  readonly channel: string;
  readonly ts: string;
  /** The root's ts for a reply; null for a top-level message or a thread root. */
  readonly threadTs: string | null;
  /** A thread root that still had replies: it stays in history as a tombstone, its replies with it. */
  readonly tombstone: boolean;
  /** The message as it was just before. */
  readonly message: EmMessage;
}

/** The statuses Slack's agent sessions have (`agents.sessions.setStatus`). */
export const AGENT_SESSION_STATUSES = ["active", "processing", "suspended", "closed"] as const;
export type AgentSessionStatus = (typeof AGENT_SESSION_STATUSES)[number];

/** A thread's agent session: its status (Slack shows a Stop button while `processing`), title, who began it. */
export interface EmAgentSession {
  readonly channel: string;
  readonly threadTs: string;
  status: AgentSessionStatus;
  title: string;
  readonly initiator: string | null;
  /** Every status it was set to, oldest first (what a person watching the thread saw, in order). */
  readonly statuses: AgentSessionStatus[];
}

export interface EmEphemeral {
  readonly ts: string;
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly blocks?: unknown[];
  readonly threadTs?: string;
}

export interface EmView {
  readonly id: string;
  readonly user: string;
  readonly view: Record<string, unknown>;
  readonly hash: string;
  readonly rootViewId: string;
}

export interface EmulatedWorkspaceOptions {
  readonly teamId?: string;
  readonly domain?: string;
  readonly teamName?: string;
  /**
   * Makes the bot tokens installs get the same from one start to the next (a hash of this and the team), so
   * that an installation kept from an earlier start still works (the playground); random without it.
   */
  readonly tokenSeed?: string;
  /** The Enterprise Grid org the workspace belongs to, if any. */
  readonly enterprise?: { readonly id: string; readonly name: string };
  /** The bot's credentials, when the app was given them (the playground); made up otherwise. */
  readonly botToken?: string;
  readonly signingSecret?: string;
}

const randomId = (length: number) => randomBytes(length).toString("hex").toUpperCase().slice(0, length);

export class EmulatedWorkspace {
  readonly team: { readonly id: string; readonly domain: string; readonly name: string };
  /** Its Enterprise Grid org; null for a workspace outside any. */
  readonly enterprise: { readonly id: string; readonly name: string } | null;
  /** The app is installed for the whole org (org-wide deployment), not in this workspace alone. */
  orgWideInstall = false;
  private readonly tokenSeed: string | null;
  readonly bot: {
    readonly userId: string;
    readonly botId: string;
    readonly appId: string;
    readonly name: string;
    readonly botToken: string;
    readonly appToken: string;
    readonly signingSecret: string;
    readonly verificationToken: string;
  };
  readonly users = new Map<string, EmUser>();
  readonly channels = new Map<string, EmChannel>();
  readonly messages = new Map<string, EmMessage[]>();
  /** Every deletion, oldest first: Slack keeps no record, but a test must be able to see what went. */
  readonly deletions: EmDeletion[] = [];
  readonly ephemerals: EmEphemeral[] = [];
  readonly homes = new Map<string, EmView>();
  readonly modals = new Map<string, EmView>();
  /** trigger id -> who may use it, until when */
  readonly triggers = new Map<string, { user: string; expiresAt: number }>();
  /**
   * The bot events the app subscribes to, as its manifest says; null for all of them. Slack warns an agent
   * app that sets a session's status without subscribing to `agent_session_stopped`.
   */
  appEvents: ReadonlySet<string> | null = null;
  /** Agent sessions by `channel:thread_ts`. */
  readonly agentSessions = new Map<string, EmAgentSession>();
  /** Emoji names added to this workspace (beyond Slack's standard set), usable in reactions. */
  readonly customEmoji = new Set<string>();
  private lastTs = 0;
  private counter = 0;
  /** Bot tokens issued by installs (OAuth), with when each expires (epoch ms; null: never). */
  private readonly issuedTokens = new Map<string, number | null>();

  constructor(options: EmulatedWorkspaceOptions = {}) {
    this.enterprise = options.enterprise ?? null;
    this.tokenSeed = options.tokenSeed ?? null;
    this.team = {
      id: options.teamId ?? "T0001",
      domain: options.domain ?? "acme",
      name: options.teamName ?? "Acme",
    };
    this.bot = {
      userId: "U0AGENT01",
      botId: "B0AGENT01",
      appId: "A0AGENT01",
      name: "agent",
      botToken: options.botToken ?? `xoxb-${randomBytes(12).toString("hex")}`,
      appToken: `xapp-1-${randomBytes(12).toString("hex")}`,
      signingSecret: options.signingSecret ?? randomBytes(16).toString("hex"),
      verificationToken: randomBytes(12).toString("hex"),
    };
    // As Slack remembers an install across the app's restarts: a token seeded at an earlier start still works.
    if (this.tokenSeed) this.acceptBotToken(this.seededToken(this.tokenSeed), null);
    this.addUser({ id: this.bot.userId, name: this.bot.name, realName: "Agent", isBot: true });
  }

  /** A new bot token for an install (OAuth), expiring after `lifetimeMs` (token rotation) or never. */
  issueBotToken(lifetimeMs: number | null): string {
    const token = this.tokenSeed
      ? this.seededToken(this.tokenSeed)
      : `${lifetimeMs === null ? "xoxb" : "xoxe.xoxb"}-${this.team.id}-${randomBytes(12).toString("hex")}`;
    this.acceptBotToken(token, this.tokenSeed ? null : lifetimeMs);
    return token;
  }

  /** The one bot token installs get with a seed: the same from one start to the next. */
  private seededToken(seed: string): string {
    return `xoxb-${this.team.id}-${createHmac("sha256", seed).update(this.team.id).digest("hex").slice(0, 24)}`;
  }

  /** Takes a token issued elsewhere as this workspace's too (an org-wide install's, for every workspace of the org). */
  acceptBotToken(token: string, lifetimeMs: number | null): void {
    this.issuedTokens.set(token, lifetimeMs === null ? null : Date.now() + lifetimeMs);
  }

  /** The bot tokens installs were given, oldest first (tests look for them where they must not be). */
  issuedBotTokens(): string[] {
    return [...this.issuedTokens.keys()];
  }

  /** Every rotating token issued so far expires now (as 12 hours passing would make it). */
  expireIssuedTokens(): void {
    for (const [token, expiresAt] of this.issuedTokens)
      if (expiresAt !== null) this.issuedTokens.set(token, Date.now());
  }

  /** Revokes every token issued by installs (the app uninstalled). */
  revokeIssuedTokens(): void {
    this.issuedTokens.clear();
  }

  /** Whether a bot token is this workspace's: null when it is, else Slack's error for it. */
  refusalOfBotToken(token: string): string | null {
    if (token === this.bot.botToken) return null;
    if (!this.issuedTokens.has(token)) return "invalid_auth";
    const expiresAt = this.issuedTokens.get(token) ?? null;
    return expiresAt !== null && expiresAt <= Date.now() ? "token_expired" : null;
  }

  /** `https://acme.slack.com/` */
  get url(): string {
    return `https://${this.team.domain}.slack.com/`;
  }

  addUser(user: EmUser): EmUser {
    this.users.set(user.id, user);
    return user;
  }

  addChannel(channel: {
    id: string;
    name: string;
    kind: ChannelKind;
    members: readonly string[];
  }): EmChannel {
    const created: EmChannel = { ...channel, members: new Set(channel.members) };
    this.channels.set(created.id, created);
    this.messages.set(created.id, []);
    return created;
  }

  /** The DM channel between a person and the bot, created on first use. */
  directMessageWith(user: string): EmChannel {
    for (const channel of this.channels.values()) {
      if (channel.kind === "im" && channel.members.has(user)) return channel;
    }
    return this.addChannel({
      id: `D${randomId(8)}`,
      name: user,
      kind: "im",
      members: [user, this.bot.userId],
    });
  }

  /** A fresh message ts: `seconds.micros`, strictly increasing. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTs + 1);
    this.lastTs = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(6, "0")}${randomId(4)}`;
  }

  newTrigger(user: string): string {
    const id = `${Date.now()}.${randomId(10)}`;
    this.triggers.set(id, { user, expiresAt: Date.now() + 3000 });
    return id;
  }

  channel(id: string): EmChannel | undefined {
    return this.channels.get(id);
  }

  message(channel: string, ts: string): EmMessage | undefined {
    return this.messages.get(channel)?.find((message) => message.ts === ts);
  }

  /** A thread: its root and replies, oldest first. */
  thread(channel: string, threadTs: string): EmMessage[] {
    return (this.messages.get(channel) ?? []).filter((m) => m.ts === threadTs || m.threadTs === threadTs);
  }

  addMessage(message: Omit<EmMessage, "reactions" | "replies">): EmMessage {
    const stored: EmMessage = { ...message, reactions: new Map(), replies: [] };
    this.messages.get(message.channel)?.push(stored);
    if (message.threadTs && message.threadTs !== message.ts) {
      this.message(message.channel, message.threadTs)?.replies.push(message.ts);
    }
    return stored;
  }

  /**
   * Deletes a message as Slack does: it leaves history and its thread. A thread root that still has replies
   * stays instead as Slack's tombstone ("This message was deleted.", by USLACKBOT), so its replies stay
   * reachable; once its last reply is deleted, the tombstone goes too (it stood only for the replies).
   * Returns each deletion this caused, the asked-for one first; none for an unknown message.
   */
  deleteMessage(channel: string, ts: string): EmDeletion[] {
    const messages = this.messages.get(channel) ?? [];
    const index = messages.findIndex((m) => m.ts === ts);
    const message = messages[index];
    if (!message) return [];
    const threadTs = message.threadTs && message.threadTs !== message.ts ? message.threadTs : null;
    const tombstone = threadTs === null && message.replies.length > 0;
    if (tombstone) messages[index] = tombstoneOf(message);
    else messages.splice(index, 1);
    const deletion: EmDeletion = { channel, ts, threadTs, tombstone, message };
    this.deletions.push(deletion);
    const root = threadTs ? this.message(channel, threadTs) : undefined;
    if (!root) return [deletion];
    const reply = root.replies.indexOf(ts);
    if (reply >= 0) root.replies.splice(reply, 1);
    const emptyTombstone = root.subtype === "tombstone" && root.replies.length === 0;
    return emptyTombstone ? [deletion, ...this.deleteMessage(channel, root.ts)] : [deletion];
  }

  agentSession(channel: string, threadTs: string): EmAgentSession | undefined {
    return this.agentSessions.get(`${channel}:${threadTs}`);
  }

  addAgentSession(session: EmAgentSession): void {
    this.agentSessions.set(`${session.channel}:${session.threadTs}`, session);
  }

  permalink(channel: string, ts: string): string {
    const message = this.message(channel, ts);
    const base = `${this.url}archives/${channel}/p${ts.replace(".", "")}`;
    return message?.threadTs && message.threadTs !== ts
      ? `${base}?thread_ts=${message.threadTs}&cid=${channel}`
      : base;
  }
}

/** What stays of a deleted thread root with replies: no author, text, blocks or reactions of its own. */
function tombstoneOf(message: EmMessage): EmMessage {
  return {
    ts: message.ts,
    channel: message.channel,
    user: TOMBSTONE.user,
    text: TOMBSTONE.text,
    threadTs: message.ts,
    subtype: "tombstone",
    hidden: true,
    reactions: new Map(),
    replies: message.replies,
  };
}

/** The workspace a new emulator starts with: three people, two public channels, a private one. */
export function createDefaultWorkspace(options: EmulatedWorkspaceOptions = {}): EmulatedWorkspace {
  const workspace = new EmulatedWorkspace(options);
  const people = [
    { id: "U0ALICE01", name: "alice", realName: "Alice Archer" },
    { id: "U0BOB0002", name: "bob", realName: "Bob Baker" },
    { id: "U0CAROL03", name: "carol", realName: "Carol Chen" },
  ];
  for (const person of people) workspace.addUser({ ...person, isBot: false });
  const everyone = [...people.map((p) => p.id), workspace.bot.userId];
  workspace.addChannel({ id: "C0GENERAL", name: "general", kind: "public", members: everyone });
  workspace.addChannel({ id: "C0RANDOM1", name: "random", kind: "public", members: everyone });
  workspace.addChannel({
    id: "G0PROJECT",
    name: "project-x",
    kind: "private",
    members: [people[0]?.id ?? "", people[1]?.id ?? "", workspace.bot.userId],
  });
  return workspace;
}
