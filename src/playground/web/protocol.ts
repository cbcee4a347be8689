/**
 * What the playground page and its server say to each other: the workspace as one person sees it, and
 * what that person does. Types only, shared by the server (Node) and the page (browser).
 */

export interface PersonView {
  readonly id: string;
  readonly name: string;
  readonly realName: string;
  readonly isBot: boolean;
}

export interface ChannelView {
  readonly id: string;
  /** `general`; for a DM with the bot, the app's name. */
  readonly name: string;
  readonly kind: "public" | "private" | "im" | "mpim";
}

export interface ReactionView {
  readonly name: string;
  readonly count: number;
  /** Whether the person looking reacted (the bot's reactions show who: the bot). */
  readonly byBot: boolean;
}

export interface MessageView {
  readonly ts: string;
  readonly channel: string;
  /** The message's link, as *Copy link* gives it. */
  readonly permalink: string;
  /** Author's user id (the bot's for its posts). */
  readonly user: string | null;
  readonly text: string;
  readonly blocks: readonly unknown[] | null;
  /** The root's ts for a reply; null for a top-level message. */
  readonly threadTs: string | null;
  readonly replyCount: number;
  readonly reactions: readonly ReactionView[];
  readonly edited: boolean;
  readonly files: readonly string[];
  readonly broadcast: boolean;
  /**
   * A thread root deleted while it had replies: Slack keeps it as "This message was deleted." so the replies
   * stay reachable. Any other deleted message is simply gone from the snapshot.
   */
  readonly deleted: boolean;
  /** A thread root's Slack agent session: its status (Slack shows Stop while `processing`) and title. */
  readonly agentSession: { readonly status: string; readonly title: string } | null;
}

export interface EphemeralView {
  readonly ts: string;
  readonly channel: string;
  readonly threadTs: string | null;
  readonly text: string;
  readonly blocks: readonly unknown[] | null;
}

export interface SurfaceView {
  readonly viewId: string;
  /** The Block Kit view as the app published or opened it. */
  readonly view: {
    readonly title?: unknown;
    readonly submit?: unknown;
    readonly close?: unknown;
    readonly blocks?: unknown;
  };
}

export interface PlaygroundSnapshot {
  /** Changes when the playground restarts (it forgets the workspace; sessions in Restate remain). */
  readonly instance: string;
  readonly startedAt: string;
  readonly team: { readonly id: string; readonly name: string; readonly domain: string };
  /** Every workspace of the playground (the same app installed in each): the page switches between them. */
  readonly workspaces: readonly { readonly id: string; readonly name: string }[];
  readonly me: string;
  readonly people: readonly PersonView[];
  readonly bot: { readonly userId: string; readonly name: string; readonly appName: string };
  readonly restateUiUrl: string | null;
  /** Channels the person is in; the DM with the bot is among them. */
  readonly channels: readonly ChannelView[];
  readonly messages: Readonly<Record<string, readonly MessageView[]>>;
  readonly ephemerals: readonly EphemeralView[];
  readonly home: SurfaceView | null;
  readonly modal: SurfaceView | null;
  readonly commands: readonly { command: string; description: string; usageHint: string }[];
  readonly messageShortcuts: readonly { name: string; callbackId: string; description: string }[];
  /** The app's agent view: its description and suggested prompts, shown in its split-pane conversation. */
  readonly agentView: {
    readonly description: string;
    readonly suggestedPrompts: readonly { readonly title: string; readonly message: string }[];
  } | null;
}

/** Something a person does in the page; the server turns it into what Slack would send the app. */
export type PlaygroundAction =
  | { readonly type: "post"; readonly channel: string; readonly text: string; readonly threadTs?: string }
  | {
      readonly type: "command";
      readonly channel: string;
      readonly command: string;
      readonly text: string;
      readonly threadTs?: string;
    }
  | { readonly type: "open_home" }
  | {
      readonly type: "interact";
      readonly on: { readonly home: true } | { readonly channel: string; readonly ts: string };
      readonly actionId: string;
      readonly option?: string;
    }
  | { readonly type: "shortcut"; readonly channel: string; readonly ts: string; readonly callbackId: string }
  | {
      readonly type: "submit";
      readonly viewId: string;
      /** `{ blockId: { actionId: selected option value } }` */
      readonly values: Readonly<Record<string, Readonly<Record<string, string>>>>;
    }
  /** The person opens a channel beside the agent's split pane (Slack sends `app_context_changed`). */
  | { readonly type: "view_channel"; readonly channel: string }
  /** Slack's own Stop button on a thread whose agent session is processing. */
  | { readonly type: "stop_agent"; readonly channel: string; readonly threadTs: string }
  | { readonly type: "close_modal"; readonly viewId: string }
  | { readonly type: "dismiss"; readonly ts: string };

export type ActionResult =
  | {
      readonly ok: true;
      /** What Slack's own client would show (a refused slash command in a thread, say). */
      readonly notice?: string;
    }
  | {
      readonly ok: false;
      readonly error: string;
      /** A modal submission the app refused: error text per block id. */
      readonly errors?: Readonly<Record<string, string>>;
    };
