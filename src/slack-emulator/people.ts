/**
 * What the people of the emulated workspace do in Slack's page: post, edit, run a slash command, open the
 * Home, click a button or pick an option, run a message shortcut, submit or close a modal, dismiss an
 * ephemeral message. Each is stored in the workspace and turned into the request Slack would send the
 * app. It must not answer Web API calls or apply test faults (the Web API server and test controls do).
 */
import { randomUUID } from "node:crypto";
import type { AppAnswer, AppDelivery } from "./app-delivery.ts";
import {
  eventEnvelope,
  interactionBase,
  type Json,
  mentionEvent,
  messageChangedEvent,
  messageEvent,
  slashCommandForm,
} from "./app-requests.ts";
import { BlockKitError, validateMessageBlocks } from "./block-kit.ts";
import type { ResponseUrls } from "./response-urls.ts";
import type { EmChannel, EmFile, EmMessage, EmulatedWorkspace } from "./workspace.ts";

/** Where a person clicks: their Home, or a message (an ephemeral one included). */
export type ClickTarget = { home: true } | { channel: string; ts: string };

function findElement(blocks: unknown, actionId: string): { element: Json; blockId: string } | undefined {
  for (const block of (blocks as Json[] | undefined) ?? []) {
    const candidates = [block.accessory, block.element, ...((block.elements as unknown[] | undefined) ?? [])];
    for (const element of candidates) {
      if (element && typeof element === "object" && (element as Json).action_id === actionId) {
        return { element: element as Json, blockId: String(block.block_id ?? randomUUID().slice(0, 5)) };
      }
    }
  }
  return undefined;
}

/** Slack's error for blocks it would not show, or undefined when they are fine. */
function blocksRefusal(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  try {
    validateMessageBlocks(blocks);
    return undefined;
  } catch (error) {
    if (error instanceof BlockKitError) return error.code;
    throw error;
  }
}

export class People {
  private readonly workspace: EmulatedWorkspace;
  private readonly delivery: AppDelivery;
  private readonly responseUrls: ResponseUrls;
  private readonly onChange: (change: Json) => void;

  constructor(options: {
    workspace: EmulatedWorkspace;
    delivery: AppDelivery;
    responseUrls: ResponseUrls;
    onChange: (change: Json) => void;
  }) {
    this.workspace = options.workspace;
    this.delivery = options.delivery;
    this.responseUrls = options.responseUrls;
    this.onChange = options.onChange;
  }

  private channelFor(user: string, channelId: string): EmChannel {
    const channel = this.workspace.channel(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    if (!channel.members.has(user)) throw new Error(`${user} is not in ${channelId}`);
    return channel;
  }

  /**
   * A person posts a message. Slack then sends the app a `message` event (the bot is in the channel) and,
   * when the bot is mentioned, an `app_mention` too; `order` says which goes first.
   */
  async posts(input: {
    user: string;
    channel: string;
    text: string;
    threadTs?: string;
    files?: EmFile[];
    broadcast?: boolean;
    order?: "message-first" | "mention-first";
  }): Promise<{ message: EmMessage; envelopes: Json[]; answers: AppAnswer[] }> {
    const { workspace } = this;
    const channel = this.channelFor(input.user, input.channel);
    const subtype = input.files
      ? "file_share"
      : input.broadcast && input.threadTs
        ? "thread_broadcast"
        : undefined;
    const message = workspace.addMessage({
      ts: workspace.nextTs(),
      channel: channel.id,
      user: input.user,
      text: input.text,
      clientMsgId: randomUUID(),
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
      ...(subtype ? { subtype } : {}),
      ...(input.files ? { files: input.files } : {}),
    });
    this.onChange({ kind: "message", channel: channel.id, ts: message.ts });
    const envelopes: Json[] = [];
    if (channel.members.has(workspace.bot.userId))
      envelopes.push(eventEnvelope(workspace, messageEvent(workspace, channel, message)));
    if (input.text.includes(`<@${workspace.bot.userId}>`) && channel.kind !== "im") {
      envelopes.push(eventEnvelope(workspace, mentionEvent(workspace, channel, message)));
    }
    if (input.order === "mention-first") envelopes.reverse();
    const answers: AppAnswer[] = [];
    for (const envelope of envelopes) answers.push(await this.delivery.deliverEvent({}, { envelope }));
    return { message, envelopes, answers };
  }

  /** A person edits their message: Slack sends `message_changed`. */
  edits(input: { user: string; channel: string; ts: string; text: string }): Promise<AppAnswer> {
    const channel = this.channelFor(input.user, input.channel);
    const message = this.workspace.message(channel.id, input.ts);
    if (!message) throw new Error(`no message ${input.ts}`);
    message.text = input.text;
    message.edited = { user: input.user, ts: this.workspace.nextTs() };
    return this.delivery.deliverEvent(messageChangedEvent(this.workspace, channel, message));
  }

  /**
   * A person runs a slash command. In a thread Slack refuses it without telling the app; elsewhere the
   * app's answer (its ack body) is shown to that person alone, and `response_url` works for 30 minutes.
   */
  async slashCommand(input: {
    user: string;
    channel: string;
    command: string;
    text: string;
    threadTs?: string;
  }): Promise<AppAnswer & { refusedByClient?: string }> {
    if (input.threadTs) {
      return {
        status: 0,
        body: null,
        refusedByClient: `${input.command} is not supported in threads. Sorry! You can use \`!agentmode\` in the thread, or the message shortcut *Agent mode*.`,
      };
    }
    const channel = this.channelFor(input.user, input.channel);
    const responseUrl = this.responseUrls.create({ user: input.user, channel: channel.id });
    const form = slashCommandForm(this.workspace, {
      user: input.user,
      channel,
      command: input.command,
      text: input.text,
      responseUrl,
      triggerId: this.workspace.newTrigger(input.user),
    });
    const answer = await this.delivery.toApp(
      "slash_commands",
      form,
      new URLSearchParams(form).toString(),
      "application/x-www-form-urlencoded",
    );
    const body = answer.body;
    if (answer.status === 200 && body && typeof body === "object") {
      // Slack shows the person an error instead of an answer whose blocks it refuses.
      const refused = blocksRefusal((body as Json).blocks);
      if (refused) return { ...answer, refusedBySlack: refused };
      this.responseUrls.attachEphemeral(
        responseUrl,
        this.responseUrls.addEphemeral(input.user, channel.id, body as Json),
      );
    } else if (answer.status === 200 && typeof body === "string" && body) {
      this.responseUrls.addEphemeral(input.user, channel.id, { text: body });
    }
    return answer;
  }

  /** A person opens the app's Home tab. */
  openHome(user: string): Promise<AppAnswer> {
    const dm = this.workspace.directMessageWith(user);
    return this.delivery.deliverEvent({
      type: "app_home_opened",
      user,
      channel: dm.id,
      tab: "home",
      event_ts: this.workspace.nextTs(),
    });
  }

  /**
   * A person opens a channel while the agent's split pane is open: Slack's agent view sends the agent app
   * `app_context_changed`, naming what the person has open (most relevant first).
   */
  viewsChannel(user: string, channel: string): Promise<AppAnswer> {
    const { workspace } = this;
    return this.delivery.deliverEvent({
      type: "app_context_changed",
      user,
      context: {
        entities: [{ type: "slack#/types/channel_id", value: channel, team_id: workspace.team.id }],
      },
      event_ts: workspace.nextTs(),
    });
  }

  /**
   * A person presses Slack's own Stop button on a thread whose agent session is `processing` (Slack shows
   * it then, to anyone who can see the thread, and at no other time). Slack sends `agent_session_stopped`
   * and changes nothing itself: the app must stop its work and move the status on.
   */
  pressStop(user: string, channel: string, threadTs: string): Promise<AppAnswer> {
    const { workspace } = this;
    const session = workspace.agentSession(channel, threadTs);
    if (session?.status !== "processing")
      throw new Error(
        `no Stop button: the agent session of ${channel}/${threadTs} is ${session?.status ?? "not there"}`,
      );
    if (!workspace.channel(channel)?.members.has(user)) throw new Error(`${user} cannot see ${channel}`);
    const streaming = workspace
      .thread(channel, threadTs)
      .filter((message) => message.streamingState === "in_progress")
      .map((message) => message.ts);
    return this.delivery.deliverEvent({
      type: "agent_session_stopped",
      channel,
      thread_ts: threadTs,
      user,
      streaming_message_ts: streaming,
      event_ts: workspace.nextTs(),
    });
  }

  /**
   * A person clicks a button or picks an option on their Home or on a message (an ephemeral one included).
   * `option` is the value of the option picked in a select.
   */
  interact(input: { user: string; on: ClickTarget; actionId: string; option?: string }): Promise<AppAnswer> {
    const { workspace } = this;
    let blocks: unknown;
    let container: Json;
    let extra: Json = {};
    if ("home" in input.on) {
      const home = workspace.homes.get(input.user);
      if (!home) throw new Error(`${input.user} has no Home published`);
      blocks = home.view.blocks;
      container = { type: "view", view_id: home.id };
      extra = { view: { id: home.id, type: "home", blocks, hash: home.hash, state: { values: {} } } };
    } else {
      const { channel, ts } = input.on;
      const ephemeral = workspace.ephemerals.find((e) => e.ts === ts && e.user === input.user);
      const message = ephemeral ?? workspace.message(channel, ts);
      if (!message) throw new Error(`no message ${ts} for ${input.user}`);
      blocks = message.blocks;
      container = { type: "message", message_ts: ts, channel_id: channel, is_ephemeral: Boolean(ephemeral) };
      extra = {
        channel: { id: channel, name: workspace.channel(channel)?.name ?? channel },
        ...(ephemeral
          ? {}
          : {
              message: {
                type: "message",
                ts,
                text: message.text,
                blocks,
                ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
              },
            }),
        response_url: this.responseUrls.create({ user: input.user, channel, ephemeralTs: ts }),
      };
    }
    const found = findElement(blocks, input.actionId);
    if (!found) throw new Error(`no element with action_id ${input.actionId}`);
    const { element, blockId } = found;
    const action: Json = {
      action_id: input.actionId,
      block_id: blockId,
      type: element.type,
      action_ts: workspace.nextTs(),
    };
    if (element.type === "button") action.value = element.value;
    if (element.type === "feedback_buttons") {
      // `option` says which of the two was clicked: the value of the positive or the negative button.
      const clicked = [element.positive_button, element.negative_button].find(
        (button) => (button as Json | undefined)?.value === input.option,
      ) as Json | undefined;
      if (!clicked) throw new Error(`no feedback button with value ${input.option} in ${input.actionId}`);
      action.value = clicked.value;
    }
    if (element.type === "static_select" || element.type === "radio_buttons" || element.type === "overflow") {
      const option = ((element.options as Json[] | undefined) ?? []).find((o) => o.value === input.option);
      if (!option) throw new Error(`no option ${input.option} in ${input.actionId}`);
      action.selected_option = option;
    }
    return this.delivery.interaction({
      type: "block_actions",
      ...interactionBase(workspace, input.user, workspace.newTrigger(input.user)),
      container,
      ...extra,
      actions: [action],
    });
  }

  /** A person runs a message shortcut on a message. */
  messageShortcut(input: {
    user: string;
    channel: string;
    ts: string;
    callbackId: string;
  }): Promise<AppAnswer> {
    const { workspace } = this;
    const message = workspace.message(input.channel, input.ts);
    if (!message) throw new Error(`no message ${input.ts}`);
    return this.delivery.interaction({
      type: "message_action",
      ...interactionBase(workspace, input.user, workspace.newTrigger(input.user)),
      callback_id: input.callbackId,
      action_ts: workspace.nextTs(),
      channel: { id: input.channel, name: workspace.channel(input.channel)?.name ?? input.channel },
      message_ts: message.ts,
      message: {
        type: "message",
        ts: message.ts,
        text: message.text,
        ...(message.user ? { user: message.user } : {}),
        ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      },
      response_url: this.responseUrls.create({ user: input.user, channel: input.channel }),
    });
  }

  /** The modal open for `user` (the newest), if any. */
  modalOf(user: string) {
    return [...this.workspace.modals.values()].filter((m) => m.user === user).at(-1);
  }

  /**
   * A person submits a modal with values `{ blockId: { actionId: optionValue } }`. The modal closes unless
   * the app answers with `response_action: errors`, which is returned.
   */
  async submitModal(input: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, string>>;
  }): Promise<AppAnswer> {
    const { workspace } = this;
    const stored = workspace.modals.get(input.viewId);
    if (!stored || stored.user !== input.user) throw new Error(`no modal ${input.viewId} for ${input.user}`);
    const values: Json = {};
    for (const [blockId, byAction] of Object.entries(input.values)) {
      const block: Json = {};
      for (const [actionId, value] of Object.entries(byAction)) {
        const found = findElement(stored.view.blocks, actionId);
        if (found?.element.type === "plain_text_input") {
          block[actionId] = { type: "plain_text_input", value };
          continue;
        }
        const option = ((found?.element.options as Json[] | undefined) ?? []).find((o) => o.value === value);
        block[actionId] = { type: found?.element.type ?? "radio_buttons", selected_option: option ?? null };
      }
      values[blockId] = block;
    }
    const answer = await this.delivery.interaction({
      type: "view_submission",
      ...interactionBase(workspace, input.user, workspace.newTrigger(input.user)),
      view: {
        id: stored.id,
        team_id: workspace.team.id,
        ...stored.view,
        state: { values },
        hash: stored.hash,
        root_view_id: stored.rootViewId,
        app_id: workspace.bot.appId,
        bot_id: workspace.bot.botId,
      },
      response_urls: [],
    });
    const body = answer.body as Json | null;
    // `update` replaces the modal with the view the app answered (Slack keeps it open); `errors` keeps it.
    if (answer.status === 200 && body?.response_action === "update" && body.view) {
      workspace.modals.set(stored.id, { ...stored, view: body.view as Json, hash: workspace.nextId("H") });
      this.onChange({ kind: "modal", user: input.user, view_id: stored.id, opened: true });
    } else if (answer.status === 200 && body?.response_action !== "errors")
      this.closeModal(input.user, stored.id);
    return answer;
  }

  /** A person closes a modal (the X or Cancel). Slack would send `view_closed` only for views with `notify_on_close`; ours have none, and the emulator sends nothing. */
  closeModal(user: string, viewId: string): void {
    const stored = this.workspace.modals.get(viewId);
    if (!stored || stored.user !== user) return;
    this.workspace.modals.delete(viewId);
    this.onChange({ kind: "modal", user, view_id: viewId, opened: false });
  }

  /** A person dismisses an ephemeral message shown to them. */
  dismissEphemeral(user: string, ts: string): void {
    if (this.workspace.ephemerals.some((e) => e.ts === ts && e.user === user))
      this.responseUrls.removeEphemeral(ts);
  }
}
