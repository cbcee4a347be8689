/**
 * The playground page: a small Slack. The sidebar lists the channels the chosen person is in and the app;
 * the main pane shows a channel (or the app's Home and Messages tabs), the side pane a thread. Everything a
 * person does goes to the playground server, which sends the app what Slack would; every change comes
 * back as a server-sent event, and the page then reloads what the person sees.
 */
import { listen, loadSnapshot, perform } from "./api.ts";
import { type ConfirmSpec, renderBlocks } from "./blocks.ts";
import { h, replaceChildren } from "./dom.ts";
import {
  closeMenus,
  ephemeralElement,
  type LocalNotice,
  type MessageHandlers,
  messageElement,
  namesOf,
  noticeElement,
} from "./messages.ts";
import type {
  ActionResult,
  ChannelView,
  MessageView,
  PlaygroundAction,
  PlaygroundSnapshot,
} from "./protocol.ts";

type MainView = { kind: "channel"; channel: string } | { kind: "app"; tab: "home" | "messages" };

const USER_KEY = "playground.user";
const TEAM_KEY = "playground.team";

const state = {
  snapshot: null as PlaygroundSnapshot | null,
  me: localStorage.getItem(USER_KEY),
  /** The workspace shown (its team id); the first when none was chosen. */
  team: localStorage.getItem(TEAM_KEY),
  view: null as MainView | null,
  thread: null as { channel: string; ts: string } | null,
  notices: [] as LocalNotice[],
  instance: null as string | null,
  modal: {
    viewId: null as string | null,
    /** The view as drawn: the app may update a modal under the same id (`response_action: update`). */
    drawn: null as string | null,
    inputs: new Map<string, Map<string, string>>(),
    errors: {} as Record<string, string>,
  },
};

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const ui = {
  team: $<HTMLSelectElement>("#team"),
  who: $<HTMLSelectElement>("#who"),
  restate: $("#restate-ui"),
  status: $("#connection"),
  restarted: $("#restarted"),
  sidebar: $("#sidebar"),
  mainHeader: $("#main-header"),
  mainBody: $("#main-body"),
  mainComposer: $<HTMLFormElement>("#main-composer"),
  thread: $("#thread"),
  threadBody: $("#thread-body"),
  threadComposer: $<HTMLFormElement>("#thread-composer"),
  modalLayer: $("#modal-layer"),
  toast: $("#toast"),
};

// ---------- helpers ----------

function toast(text: string): void {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  window.clearTimeout(Number(ui.toast.dataset.timer));
  ui.toast.dataset.timer = String(window.setTimeout(() => (ui.toast.hidden = true), 6000));
}

function confirmDialog(spec: ConfirmSpec): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      layer.remove();
      resolve(answer);
    };
    const layer = h(
      "div",
      { class: "overlay" },
      h(
        "div",
        { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": spec.title },
        h("h2", {}, spec.title),
        h("p", {}, spec.text),
        h(
          "div",
          { class: "dialog-buttons" },
          h("button", { type: "button", class: "bk-button", onclick: () => close(false) }, spec.deny),
          h(
            "button",
            { type: "button", class: "bk-button bk-button-danger", onclick: () => close(true) },
            spec.confirm,
          ),
        ),
      ),
    );
    document.body.append(layer);
  });
}

async function act(action: PlaygroundAction): Promise<ActionResult> {
  if (!state.me) return { ok: false, error: "No person chosen" };
  const result = await perform(state.me, state.team, action);
  if (!result.ok && !result.errors) toast(result.error);
  return result;
}

/** What a person types becomes Slack's text: `@agent` and `@alice` become mentions. */
function toSlackText(text: string, snapshot: PlaygroundSnapshot): string {
  return text.replace(/(^|[\s(])@([a-z0-9._-]+)/gi, (whole, before: string, name: string) => {
    const lower = name.toLowerCase();
    const id =
      lower === snapshot.bot.name.toLowerCase()
        ? snapshot.bot.userId
        : snapshot.people.find((p) => p.name.toLowerCase() === lower)?.id;
    return id ? `${before}<@${id}>` : whole;
  });
}

function channelLabel(channel: ChannelView): string {
  if (channel.kind === "im") return channel.name;
  return `${channel.kind === "private" ? "🔒 " : "# "}${channel.name}`;
}

function dmChannel(snapshot: PlaygroundSnapshot): ChannelView | undefined {
  return snapshot.channels.find((c) => c.kind === "im");
}

function currentChannel(snapshot: PlaygroundSnapshot): ChannelView | undefined {
  const view = state.view;
  if (!view) return undefined;
  if (view.kind === "channel") return snapshot.channels.find((c) => c.id === view.channel);
  return view.tab === "messages" ? dmChannel(snapshot) : undefined;
}

// ---------- composing ----------

async function send(text: string, where: { channel: string; threadTs?: string }): Promise<boolean> {
  const snapshot = state.snapshot;
  if (!snapshot) return false;
  const trimmed = text.trim();
  if (!trimmed) return false;
  const threadTs = where.threadTs ? { threadTs: where.threadTs } : {};
  let result: ActionResult;
  if (trimmed.startsWith("/")) {
    const command = trimmed.split(/\s+/)[0] ?? "";
    result = await act({
      type: "command",
      channel: where.channel,
      command,
      text: trimmed.slice(command.length).trim(),
      ...threadTs,
    });
  } else {
    result = await act({
      type: "post",
      channel: where.channel,
      text: toSlackText(trimmed, snapshot),
      ...threadTs,
    });
  }
  if (result.ok && result.notice) {
    state.notices.push({
      id: crypto.randomUUID(),
      channel: where.channel,
      threadTs: where.threadTs ?? null,
      text: result.notice,
    });
    render();
  }
  return result.ok;
}

function wireComposer(
  form: HTMLFormElement,
  where: () => { channel: string; threadTs?: string } | null,
): void {
  const input = form.querySelector("textarea") as HTMLTextAreaElement;
  const hint = form.querySelector(".command-hint") as HTMLElement;
  const submit = async () => {
    const target = where();
    if (!target) return;
    const text = input.value;
    input.value = "";
    hint.hidden = true;
    if (!(await send(text, target))) input.value ||= text;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });
  input.addEventListener("input", () => {
    const snapshot = state.snapshot;
    const word = input.value.split(/\s/)[0] ?? "";
    const matches =
      snapshot && word.startsWith("/") && !input.value.includes(" ")
        ? snapshot.commands.filter((c) => c.command.startsWith(word))
        : [];
    hint.hidden = matches.length === 0;
    replaceChildren(
      hint,
      ...matches.map((c) => h("div", {}, h("strong", {}, c.command), ` ${c.usageHint} · ${c.description}`)),
    );
  });
}

// ---------- rendering ----------

const handlers: MessageHandlers = {
  blocks: {
    get names() {
      return state.snapshot ? namesOf(state.snapshot) : { person: () => undefined, channel: () => undefined };
    },
    confirm: confirmDialog,
  },
  onAction: (on, actionId, option) =>
    void act({ type: "interact", on, actionId, ...(option === undefined ? {} : { option }) }),
  openThread: (channel, ts) => {
    state.thread = { channel, ts };
    render();
    (ui.threadComposer.querySelector("textarea") as HTMLTextAreaElement).focus();
  },
  shortcut: (message: MessageView, callbackId) =>
    void act({ type: "shortcut", channel: message.channel, ts: message.ts, callbackId }),
  dismiss: (ts) => void act({ type: "dismiss", ts }),
  copyLink: (permalink) => {
    void navigator.clipboard.writeText(permalink).then(
      () => toast("Link copied"),
      () => toast(permalink),
    );
  },
};

function dismissNotice(id: string): void {
  state.notices = state.notices.filter((n) => n.id !== id);
  render();
}

/** Keeps a scrolled list at its bottom when it was there (new messages push in from below). */
function keepBottom(list: HTMLElement, update: () => void): void {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  update();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderSidebar(snapshot: PlaygroundSnapshot): void {
  const item = (label: string, active: boolean, onclick: () => void, testId: string) =>
    h(
      "button",
      { type: "button", class: `sidebar-item${active ? " active" : ""}`, onclick, "data-testid": testId },
      label,
    );
  const view = state.view;
  replaceChildren(
    ui.sidebar,
    h("div", { class: "sidebar-section" }, "Channels"),
    ...snapshot.channels
      .filter((c) => c.kind !== "im")
      .map((c) =>
        item(
          channelLabel(c),
          view?.kind === "channel" && view.channel === c.id,
          () => open({ kind: "channel", channel: c.id }),
          `channel-${c.name}`,
        ),
      ),
    h("div", { class: "sidebar-section" }, "Apps"),
    item(snapshot.bot.appName, view?.kind === "app", () => open({ kind: "app", tab: "home" }), "app"),
  );
}

function channelMessages(snapshot: PlaygroundSnapshot, channel: string): HTMLElement[] {
  const top = (snapshot.messages[channel] ?? []).filter((m) => m.threadTs === null || m.broadcast);
  const ephemerals = snapshot.ephemerals.filter((e) => e.channel === channel && e.threadTs === null);
  const notices = state.notices.filter((n) => n.channel === channel && n.threadTs === null);
  const items: { ts: string; node: HTMLElement }[] = [
    ...top.map((m) => ({ ts: m.ts, node: messageElement(snapshot, m, handlers, { inThread: false }) })),
    ...ephemerals.map((e) => ({ ts: e.ts, node: ephemeralElement(snapshot, e, handlers) })),
  ];
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  return [
    ...items.map((i) => i.node),
    ...notices.map((n) => noticeElement(snapshot, n, () => dismissNotice(n.id))),
  ];
}

function renderMain(snapshot: PlaygroundSnapshot): void {
  const view = state.view;
  const textarea = ui.mainComposer.querySelector("textarea") as HTMLTextAreaElement;
  if (!view) return;
  if (view.kind === "app") {
    const tab = (name: "home" | "messages", label: string) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          class: `tab${view.tab === name ? " active" : ""}`,
          "aria-selected": view.tab === name ? "true" : "false",
          onclick: () => open({ kind: "app", tab: name }),
        },
        label,
      );
    replaceChildren(
      ui.mainHeader,
      h("h1", {}, snapshot.bot.appName),
      h("div", { class: "tabs", role: "tablist" }, tab("home", "Home"), tab("messages", "Messages")),
    );
    if (view.tab === "home") {
      ui.mainComposer.hidden = true;
      const home = snapshot.home;
      replaceChildren(
        ui.mainBody,
        home
          ? h(
              "div",
              { class: "home", "data-testid": "home" },
              renderBlocks(home.view.blocks, {
                ...handlers.blocks,
                onAction: (actionId, option) =>
                  void act({
                    type: "interact",
                    on: { home: true },
                    actionId,
                    ...(option === undefined ? {} : { option }),
                  }),
              }),
            )
          : h(
              "div",
              { class: "empty" },
              "Opening the Home tab… (the app publishes it when it hears that you opened it)",
            ),
      );
      return;
    }
  }
  const channel = currentChannel(snapshot);
  if (!channel) return;
  if (view.kind === "channel") replaceChildren(ui.mainHeader, h("h1", {}, channelLabel(channel)));
  ui.mainComposer.hidden = false;
  textarea.setAttribute("aria-label", `Message ${channelLabel(channel)}`);
  textarea.placeholder =
    channel.kind === "im" ? `Message ${snapshot.bot.appName}` : `Message ${channelLabel(channel)}`;
  keepBottom(ui.mainBody, () =>
    replaceChildren(
      ui.mainBody,
      channel.kind === "im" ? agentViewIntro(snapshot, channel.id) : null,
      ...channelMessages(snapshot, channel.id),
    ),
  );
}

/**
 * The agent's split-pane conversation (the app's Messages tab here): its description and the suggested
 * prompts from the manifest's agent view; a prompt is sent as the person's message, as Slack does.
 */
function agentViewIntro(snapshot: PlaygroundSnapshot, dm: string): HTMLElement | null {
  const agent = snapshot.agentView;
  if (!agent) return null;
  return h(
    "div",
    { class: "agent-intro", "data-testid": "agent-intro" },
    agent.description ? h("p", {}, agent.description) : null,
    h(
      "div",
      { class: "agent-prompts" },
      ...agent.suggestedPrompts.map((prompt) =>
        h(
          "button",
          {
            type: "button",
            class: "agent-prompt",
            title: prompt.message,
            onclick: () => void send(prompt.message, { channel: dm }),
          },
          prompt.title,
        ),
      ),
    ),
  );
}

/**
 * The thread's Slack agent session, as Slack shows it under the thread: its status, and while it is
 * processing Slack's own Stop button (anyone who can see the thread may press it).
 */
function agentSessionBar(root: MessageView, thread: { channel: string; ts: string }): HTMLElement | null {
  const session = root.agentSession;
  if (!session) return null;
  const processing = session.status === "processing";
  return h(
    "div",
    { class: `agent-session agent-${session.status}`, "data-agent-status": session.status },
    h("span", { class: "agent-status" }, processing ? "Agent working" : `Agent session ${session.status}`),
    processing
      ? h(
          "button",
          {
            type: "button",
            class: "agent-stop",
            "aria-label": "Stop the agent",
            onclick: () => void act({ type: "stop_agent", channel: thread.channel, threadTs: thread.ts }),
          },
          "■ Stop",
        )
      : null,
  );
}

function renderThread(snapshot: PlaygroundSnapshot): void {
  const thread = state.thread;
  const messages = thread ? (snapshot.messages[thread.channel] ?? []) : [];
  const root = thread ? messages.find((m) => m.ts === thread.ts) : undefined;
  ui.thread.hidden = !thread || !root;
  if (!thread || !root) return;
  const replies = messages.filter((m) => m.threadTs === thread.ts);
  const ephemerals = snapshot.ephemerals.filter(
    (e) => e.channel === thread.channel && e.threadTs === thread.ts,
  );
  const notices = state.notices.filter((n) => n.channel === thread.channel && n.threadTs === thread.ts);
  const items: { ts: string; node: HTMLElement }[] = [
    ...replies.map((m) => ({ ts: m.ts, node: messageElement(snapshot, m, handlers, { inThread: true }) })),
    ...ephemerals.map((e) => ({ ts: e.ts, node: ephemeralElement(snapshot, e, handlers) })),
  ];
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  keepBottom(ui.threadBody, () =>
    replaceChildren(
      ui.threadBody,
      messageElement(snapshot, root, handlers, { inThread: true }),
      agentSessionBar(root, thread),
      h(
        "div",
        { class: "thread-divider" },
        `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`,
      ),
      ...items.map((i) => i.node),
      ...notices.map((n) => noticeElement(snapshot, n, () => dismissNotice(n.id))),
    ),
  );
}

function renderModal(snapshot: PlaygroundSnapshot): void {
  const modal = snapshot.modal;
  if (!modal) {
    state.modal.viewId = null;
    state.modal.drawn = null;
    replaceChildren(ui.modalLayer);
    ui.modalLayer.hidden = true;
    return;
  }
  // Re-drawn only when another view opens, the app updates this one, or the app refused a submission:
  // picks in progress stay.
  const drawn = JSON.stringify(modal.view);
  const sameView = state.modal.viewId === modal.viewId && state.modal.drawn === drawn;
  if (sameView && ui.modalLayer.dataset.errors === JSON.stringify(state.modal.errors)) return;
  if (!sameView) state.modal = { viewId: modal.viewId, drawn, inputs: new Map(), errors: {} };
  ui.modalLayer.dataset.errors = JSON.stringify(state.modal.errors);
  const title = (modal.view.title as { text?: string } | undefined)?.text ?? "";
  const submitText = (modal.view.submit as { text?: string } | undefined)?.text;
  const closeText = (modal.view.close as { text?: string } | undefined)?.text ?? "Cancel";
  const viewId = modal.viewId;
  const submit = async () => {
    const values = Object.fromEntries(
      [...state.modal.inputs.entries()].map(([block, byAction]) => [block, Object.fromEntries(byAction)]),
    );
    const result = await act({ type: "submit", viewId, values });
    if (!result.ok && result.errors) {
      state.modal.errors = { ...result.errors };
      ui.modalLayer.dataset.errors = "";
      renderModal(snapshot);
    }
  };
  ui.modalLayer.hidden = false;
  replaceChildren(
    ui.modalLayer,
    h(
      "div",
      { class: "overlay" },
      h(
        "form",
        {
          class: "dialog modal",
          role: "dialog",
          "aria-modal": "true",
          "aria-label": title,
          onsubmit: (event: Event) => {
            event.preventDefault();
            void submit();
          },
        },
        h(
          "div",
          { class: "modal-header" },
          h("h2", {}, title),
          h(
            "button",
            {
              type: "button",
              class: "icon-button",
              "aria-label": "Close",
              onclick: () => void act({ type: "close_modal", viewId }),
            },
            "✕",
          ),
        ),
        h(
          "div",
          { class: "modal-body" },
          renderBlocks(modal.view.blocks, {
            ...handlers.blocks,
            inputs: state.modal.inputs,
            errors: state.modal.errors,
          }),
        ),
        h(
          "div",
          { class: "dialog-buttons" },
          h(
            "button",
            { type: "button", class: "bk-button", onclick: () => void act({ type: "close_modal", viewId }) },
            closeText,
          ),
          submitText
            ? h("button", { type: "submit", class: "bk-button bk-button-primary" }, submitText)
            : null,
        ),
      ),
    ),
  );
}

function render(): void {
  const snapshot = state.snapshot;
  if (!snapshot) return;
  if (ui.team.options.length !== snapshot.workspaces.length) {
    replaceChildren(ui.team, ...snapshot.workspaces.map((w) => h("option", { value: w.id }, w.name)));
  }
  ui.team.value = snapshot.team.id;
  if (snapshot.restateUiUrl && ui.restate.childElementCount === 0) {
    replaceChildren(
      ui.restate,
      h(
        "a",
        { class: "restate-link", href: snapshot.restateUiUrl, target: "_blank", rel: "noopener" },
        "Restate UI ↗",
      ),
    );
  }
  if (ui.who.options.length !== snapshot.people.length) {
    replaceChildren(
      ui.who,
      ...snapshot.people.map((p) => h("option", { value: p.id }, `${p.realName} (@${p.name})`)),
    );
  }
  ui.who.value = snapshot.me;
  renderSidebar(snapshot);
  renderMain(snapshot);
  renderThread(snapshot);
  renderModal(snapshot);
}

// ---------- loading ----------

let loading: Promise<void> | null = null;
let again = false;

/** Reloads what the person sees; changes that arrive while loading cause one more load. */
function refresh(): void {
  if (loading) {
    again = true;
    return;
  }
  loading = (async () => {
    try {
      const snapshot = await loadSnapshot(state.me, state.team);
      state.snapshot = snapshot;
      state.me = snapshot.me;
      state.team = snapshot.team.id;
      if (
        !state.view ||
        (state.view.kind === "channel" &&
          !snapshot.channels.some((c) => state.view?.kind === "channel" && c.id === state.view.channel))
      ) {
        const first = snapshot.channels.find((c) => c.kind !== "im");
        state.view = first ? { kind: "channel", channel: first.id } : { kind: "app", tab: "home" };
      }
      render();
    } catch (error) {
      toast((error as Error).message);
    } finally {
      loading = null;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
}

function open(view: MainView): void {
  const wasHome = state.view?.kind === "app" && state.view.tab === "home";
  const wasChannel = state.view?.kind === "channel" ? state.view.channel : null;
  state.view = view;
  render();
  if (view.kind === "app" && view.tab === "home" && !wasHome) void act({ type: "open_home" });
  // Slack's agent view tells the agent which channel the person has open.
  if (view.kind === "channel" && view.channel !== wasChannel)
    void act({ type: "view_channel", channel: view.channel });
}

// Another workspace: the same app, installed there too, with its own channels, sessions and Home.
ui.team.addEventListener("change", () => {
  state.team = ui.team.value;
  localStorage.setItem(TEAM_KEY, state.team);
  state.view = null;
  state.thread = null;
  state.notices = [];
  refresh();
});
ui.who.addEventListener("change", () => {
  state.me = ui.who.value;
  localStorage.setItem(USER_KEY, state.me);
  state.thread = null;
  state.notices = [];
  const wasHome = state.view?.kind === "app" && state.view.tab === "home";
  refresh();
  if (wasHome) void act({ type: "open_home" });
});
$("#thread-close").addEventListener("click", () => {
  state.thread = null;
  render();
});
document.addEventListener("click", (event) => {
  closeMenus();
  // Links to messages of this workspace (a Home's "Thread") open the thread here.
  const link = (event.target as Element | null)?.closest<HTMLAnchorElement>("a.permalink");
  if (!link?.dataset.channel || !link.dataset.thread) return;
  event.preventDefault();
  const isDm = state.snapshot?.channels.find((c) => c.id === link.dataset.channel)?.kind === "im";
  state.view = isDm ? { kind: "app", tab: "messages" } : { kind: "channel", channel: link.dataset.channel };
  state.thread = { channel: link.dataset.channel, ts: link.dataset.thread };
  render();
});

wireComposer(ui.mainComposer, () => {
  const snapshot = state.snapshot;
  const channel = snapshot ? currentChannel(snapshot) : undefined;
  return channel ? { channel: channel.id } : null;
});
wireComposer(ui.threadComposer, () =>
  state.thread ? { channel: state.thread.channel, threadTs: state.thread.ts } : null,
);

listen({
  onHello: (instance) => {
    if (state.instance && state.instance !== instance) {
      ui.restarted.hidden = false;
      state.thread = null;
      state.notices = [];
      // The new workspace has no Home published yet: ask for it, as opening the tab does.
      if (state.view?.kind === "app" && state.view.tab === "home") void act({ type: "open_home" });
    }
    state.instance = instance;
    refresh();
  },
  onChange: refresh,
  onConnection: (connected) => {
    ui.status.hidden = connected;
  },
});
