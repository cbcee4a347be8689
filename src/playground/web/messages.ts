/**
 * Messages as Slack shows them: author, time, text or blocks, reactions, the thread link, and the hover
 * actions (reply in thread, the app's message shortcuts). Ephemeral messages carry "Only visible to you".
 */
import { type BlockContext, renderBlocks } from "./blocks.ts";
import { h } from "./dom.ts";
import { emoji } from "./emoji.ts";
import { mrkdwn, type Names } from "./mrkdwn.ts";
import type { EphemeralView, MessageView, PlaygroundSnapshot } from "./protocol.ts";

export interface MessageHandlers {
  readonly blocks: Omit<BlockContext, "onAction">;
  /** A control in a message (or ephemeral message) was used. */
  readonly onAction: (on: { channel: string; ts: string }, actionId: string, option?: string) => void;
  readonly openThread: (channel: string, ts: string) => void;
  readonly shortcut: (message: MessageView, callbackId: string) => void;
  readonly dismiss: (ts: string) => void;
  readonly copyLink: (permalink: string) => void;
}

/** Something only the person sees: an ephemeral message from the app, or a notice from Slack itself. */
export interface LocalNotice {
  readonly id: string;
  readonly channel: string;
  readonly threadTs: string | null;
  readonly text: string;
}

export function namesOf(snapshot: PlaygroundSnapshot): Names {
  return {
    person: (id) =>
      id === snapshot.bot.userId ? snapshot.bot.name : snapshot.people.find((p) => p.id === id)?.name,
    channel: (id) => snapshot.channels.find((c) => c.id === id)?.name,
  };
}

export function timeOf(ts: string): string {
  const date = new Date(Number(ts.split(".")[0]) * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function avatar(label: string, kind: "person" | "app" | "slackbot"): HTMLElement {
  return h("div", { class: `avatar avatar-${kind}`, "aria-hidden": "true" }, label.slice(0, 1).toUpperCase());
}

function author(snapshot: PlaygroundSnapshot, user: string | null): { name: string; isApp: boolean } {
  if (user === snapshot.bot.userId) return { name: snapshot.bot.appName, isApp: true };
  const person = snapshot.people.find((p) => p.id === user);
  return { name: person?.realName ?? user ?? "unknown", isApp: false };
}

function content(
  snapshot: PlaygroundSnapshot,
  message: { text: string; blocks: readonly unknown[] | null },
  ctx: BlockContext,
): Node[] {
  if (message.blocks && message.blocks.length > 0) return [renderBlocks(message.blocks, ctx)];
  return [h("div", { class: "message-text" }, ...mrkdwn(message.text, namesOf(snapshot)))];
}

/**
 * The message whose menu is open (`channel:ts:pane`), kept outside the elements: the list is drawn anew
 * whenever something changes (a reply, a reaction), and an open menu must stay open through that.
 */
let openMenu: string | null = null;

/** Closes the open message menu (a click anywhere else, or a choice in it). */
export function closeMenus(): void {
  openMenu = null;
  for (const menu of document.querySelectorAll<HTMLElement>(".menu")) menu.hidden = true;
  for (const actions of document.querySelectorAll(".menu-open")) actions.classList.remove("menu-open");
}

function shortcutMenu(
  snapshot: PlaygroundSnapshot,
  message: MessageView,
  handlers: MessageHandlers,
): HTMLElement {
  const menu = h(
    "div",
    { class: "menu", role: "menu", hidden: true },
    h(
      "button",
      {
        class: "menu-item",
        role: "menuitem",
        type: "button",
        onclick: () => {
          closeMenus();
          handlers.copyLink(message.permalink);
        },
      },
      "Copy link",
    ),
    h("div", { class: "menu-title" }, snapshot.bot.appName),
    ...snapshot.messageShortcuts.map((shortcut) =>
      h(
        "button",
        {
          class: "menu-item",
          role: "menuitem",
          type: "button",
          title: shortcut.description,
          onclick: () => {
            closeMenus();
            handlers.shortcut(message, shortcut.callbackId);
          },
        },
        shortcut.name,
      ),
    ),
  );
  return menu;
}

/** "3 replies", opening the thread; nothing for a message without replies. */
function repliesLink(message: MessageView, handlers: MessageHandlers): HTMLElement | null {
  if (message.replyCount === 0) return null;
  return h(
    "button",
    {
      class: "replies-link",
      type: "button",
      onclick: () => handlers.openThread(message.channel, message.ts),
    },
    `${message.replyCount} ${message.replyCount === 1 ? "reply" : "replies"}`,
  );
}

/**
 * A deleted thread root that still has replies, as Slack shows it: "This message was deleted.", no author,
 * no actions, the replies still a click away. (A deleted message without replies is not drawn at all.)
 */
function tombstoneElement(
  message: MessageView,
  handlers: MessageHandlers,
  options: { inThread: boolean },
): HTMLElement {
  return h(
    "div",
    {
      class: "message message-deleted",
      "data-ts": message.ts,
      role: "article",
      "aria-label": "Deleted message",
    },
    h("div", { class: "avatar", "aria-hidden": "true", style: "background: var(--muted)" }, "🗑"),
    h(
      "div",
      { class: "message-body" },
      h("div", { class: "message-text", style: "color: var(--muted); font-style: italic" }, message.text),
      options.inThread ? null : repliesLink(message, handlers),
    ),
  );
}

export function messageElement(
  snapshot: PlaygroundSnapshot,
  message: MessageView,
  handlers: MessageHandlers,
  options: { inThread: boolean },
): HTMLElement {
  if (message.deleted) return tombstoneElement(message, handlers, options);
  const who = author(snapshot, message.user);
  const ctx: BlockContext = {
    ...handlers.blocks,
    onAction: (actionId, option) =>
      handlers.onAction({ channel: message.channel, ts: message.ts }, actionId, option),
  };
  const menuKey = `${message.channel}:${message.ts}:${options.inThread ? "thread" : "main"}`;
  const menu = shortcutMenu(snapshot, message, handlers);
  menu.hidden = openMenu !== menuKey;
  return h(
    "div",
    {
      class: `message${who.isApp ? " message-app" : ""}`,
      "data-ts": message.ts,
      role: "article",
      "aria-label": `Message from ${who.name}`,
    },
    avatar(who.name, who.isApp ? "app" : "person"),
    h(
      "div",
      { class: "message-body" },
      h(
        "div",
        { class: "message-meta" },
        h("span", { class: "author" }, who.name),
        who.isApp ? h("span", { class: "app-badge" }, "APP") : null,
        h(
          "time",
          { datetime: new Date(Number(message.ts.split(".")[0]) * 1000).toISOString() },
          timeOf(message.ts),
        ),
        message.edited ? h("span", { class: "edited" }, "(edited)") : null,
      ),
      message.broadcast && !options.inThread ? h("div", { class: "broadcast" }, "replied to a thread") : null,
      ...content(snapshot, message, ctx),
      message.files.length > 0
        ? h("div", { class: "files" }, ...message.files.map((f) => h("span", { class: "file" }, `📄 ${f}`)))
        : null,
      message.reactions.length > 0
        ? h(
            "div",
            { class: "reactions" },
            ...message.reactions.map((r) =>
              h(
                "span",
                {
                  class: "reaction",
                  "data-reaction": r.name,
                  title: `${r.byBot ? snapshot.bot.name : "someone"} reacted with :${r.name}:`,
                },
                // The name as text too: a machine without an emoji font shows empty boxes for the emoji.
                h("span", { class: "reaction-emoji", "aria-hidden": "true" }, emoji(r.name)),
                h("span", { class: "reaction-name" }, r.name.replaceAll("_", " ")),
                ` ${r.count}`,
              ),
            ),
          )
        : null,
      options.inThread ? null : repliesLink(message, handlers),
    ),
    h(
      "div",
      { class: `message-actions${openMenu === menuKey ? " menu-open" : ""}` },
      options.inThread
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "icon-button",
              title: "Reply in thread",
              "aria-label": "Reply in thread",
              onclick: () => handlers.openThread(message.channel, message.ts),
            },
            "💬",
          ),
      h(
        "button",
        {
          type: "button",
          class: "icon-button",
          title: "More actions",
          "aria-label": "More actions",
          onclick: (event: Event) => {
            event.stopPropagation();
            const opening = openMenu !== menuKey;
            closeMenus();
            if (!opening) return;
            openMenu = menuKey;
            menu.hidden = false;
            menu.parentElement?.classList.add("menu-open");
          },
        },
        "⋮",
      ),
      menu,
    ),
  );
}

export function ephemeralElement(
  snapshot: PlaygroundSnapshot,
  ephemeral: EphemeralView,
  handlers: MessageHandlers,
): HTMLElement {
  const ctx: BlockContext = {
    ...handlers.blocks,
    onAction: (actionId, option) =>
      handlers.onAction({ channel: ephemeral.channel, ts: ephemeral.ts }, actionId, option),
  };
  return h(
    "div",
    {
      class: "message message-app ephemeral",
      "data-ts": ephemeral.ts,
      role: "article",
      "aria-label": `Message only visible to you from ${snapshot.bot.appName}`,
    },
    avatar(snapshot.bot.appName, "app"),
    h(
      "div",
      { class: "message-body" },
      h(
        "div",
        { class: "message-meta" },
        h("span", { class: "author" }, snapshot.bot.appName),
        h("span", { class: "app-badge" }, "APP"),
        h("time", {}, timeOf(ephemeral.ts)),
      ),
      ...content(snapshot, ephemeral, ctx),
      h(
        "div",
        { class: "only-you" },
        "👁 Only visible to you · ",
        h(
          "button",
          { type: "button", class: "link-button", onclick: () => handlers.dismiss(ephemeral.ts) },
          "Dismiss",
        ),
      ),
    ),
  );
}

export function noticeElement(
  snapshot: PlaygroundSnapshot,
  notice: LocalNotice,
  dismiss: () => void,
): HTMLElement {
  return h(
    "div",
    {
      class: "message ephemeral",
      role: "article",
      "aria-label": "Message only visible to you from Slackbot",
    },
    avatar("Slackbot", "slackbot"),
    h(
      "div",
      { class: "message-body" },
      h("div", { class: "message-meta" }, h("span", { class: "author" }, "Slackbot")),
      h("div", { class: "message-text" }, ...mrkdwn(notice.text, namesOf(snapshot))),
      h(
        "div",
        { class: "only-you" },
        "👁 Only visible to you · ",
        h("button", { type: "button", class: "link-button", onclick: dismiss }, "Dismiss"),
      ),
    ),
  );
}
