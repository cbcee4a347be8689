/**
 * Block Kit as DOM: every block and element type the app sends (header, section with fields and
 * accessory, context, divider, actions, input, markdown; buttons, static selects, radio buttons, overflow
 * menus, text inputs), with Slack's look. A block or element of any other type shows as its JSON, so a
 * new kind of output is visible, never a broken page.
 */
import { h } from "./dom.ts";
import { decode, markdown, mrkdwn, type Names } from "./mrkdwn.ts";

type Json = Record<string, unknown>;

export interface ConfirmSpec {
  readonly title: string;
  readonly text: string;
  readonly confirm: string;
  readonly deny: string;
}

export interface BlockContext {
  readonly names: Names;
  /** A control was used (outside input blocks): a button clicked, an option picked. */
  readonly onAction?: (actionId: string, option?: string) => void;
  /** Asks the person to confirm (elements with a `confirm` object). */
  readonly confirm: (spec: ConfirmSpec) => Promise<boolean>;
  /** In a modal: the values of its inputs, `blockId -> actionId -> value`, kept as the person picks. */
  readonly inputs?: Map<string, Map<string, string>>;
  /** In a modal the app refused: error text per block id. */
  readonly errors?: Readonly<Record<string, string>>;
}

const isJson = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function raw(value: unknown): HTMLElement {
  return h(
    "pre",
    { class: "bk-raw", title: "Not rendered by the playground: shown as sent" },
    JSON.stringify(value, null, 2),
  );
}

/** A text object (`plain_text` or `mrkdwn`). */
export function textObject(text: unknown, names: Names): Node[] {
  if (!isJson(text) || typeof text.text !== "string") return [];
  if (text.type === "mrkdwn") return mrkdwn(text.text, names);
  return [document.createTextNode(text.text)];
}

function plain(text: unknown): string {
  return isJson(text) && typeof text.text === "string" ? text.text : "";
}

function confirmSpec(element: Json): ConfirmSpec | null {
  const confirm = element.confirm;
  if (!isJson(confirm)) return null;
  return {
    title: plain(confirm.title) || "Are you sure?",
    text: plain(confirm.text),
    confirm: plain(confirm.confirm) || "Yes",
    deny: plain(confirm.deny) || "Cancel",
  };
}

function options(element: Json): Json[] {
  const flat = Array.isArray(element.options) ? element.options.filter(isJson) : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups
        .filter(isJson)
        .flatMap((g) => (Array.isArray(g.options) ? g.options.filter(isJson) : []))
    : [];
  return [...flat, ...grouped];
}

/** An interactive element; in an input block its value is recorded instead of sent. */
function element(el: unknown, ctx: BlockContext, blockId: string | null, inInput: boolean): Node {
  if (!isJson(el)) return raw(el);
  const actionId = typeof el.action_id === "string" ? el.action_id : "";
  const record = (value: string) => {
    if (!ctx.inputs || blockId === null) return;
    const block = ctx.inputs.get(blockId) ?? new Map<string, string>();
    block.set(actionId, value);
    ctx.inputs.set(blockId, block);
  };
  const act = async (option?: string) => {
    const spec = confirmSpec(el);
    if (spec && !(await ctx.confirm(spec))) return false;
    ctx.onAction?.(actionId, option);
    return true;
  };
  const initial =
    isJson(el.initial_option) && typeof el.initial_option.value === "string" ? el.initial_option.value : null;
  if (inInput && initial !== null) record(initial);
  switch (el.type) {
    case "feedback_buttons": {
      // Two buttons; a click sends the clicked one's value (Slack's block_actions with type feedback_buttons).
      const sides = [el.positive_button, el.negative_button].filter(isJson);
      return h(
        "span",
        { class: "bk-feedback", "data-action-id": actionId },
        ...sides.map((side, index) =>
          h(
            "button",
            {
              class: "bk-button bk-feedback-button",
              type: "button",
              "aria-label": typeof side.accessibility_label === "string" ? side.accessibility_label : null,
              onclick: () => void act(typeof side.value === "string" ? side.value : undefined),
            },
            `${index === 0 ? "👍" : "👎"} ${plain(side.text)}`,
          ),
        ),
      );
    }
    case "button": {
      const style = el.style === "primary" || el.style === "danger" ? ` bk-button-${el.style}` : "";
      return h(
        "button",
        {
          class: `bk-button${style}`,
          type: "button",
          "data-action-id": actionId,
          onclick: (event: Event) => {
            const button = event.currentTarget as HTMLButtonElement;
            button.disabled = true;
            void act().finally(() => {
              button.disabled = false;
            });
          },
        },
        plain(el.text),
      );
    }
    case "static_select": {
      const select = h(
        "select",
        {
          class: "bk-select",
          "data-action-id": actionId,
          "aria-label": plain(el.placeholder) || actionId,
          onchange: (event: Event) => {
            const target = event.target as HTMLSelectElement;
            if (inInput) record(target.value);
            else
              void act(target.value).then((done) => {
                if (!done) target.value = initial ?? "";
              });
          },
        },
        initial === null
          ? h("option", { value: "", disabled: true, selected: true }, plain(el.placeholder) || "Select…")
          : null,
        ...options(el).map((o) =>
          h("option", { value: String(o.value ?? ""), selected: o.value === initial }, plain(o.text)),
        ),
      );
      return select;
    }
    case "radio_buttons": {
      const name = `${blockId ?? "b"}-${actionId}-${Math.random().toString(36).slice(2, 8)}`;
      return h(
        "div",
        { class: "bk-radios", role: "radiogroup", "data-action-id": actionId },
        ...options(el).map((o) =>
          h(
            "label",
            { class: "bk-radio" },
            h("input", {
              type: "radio",
              name,
              value: String(o.value ?? ""),
              checked: o.value === initial,
              onchange: () => {
                if (inInput) record(String(o.value ?? ""));
                else void act(String(o.value ?? ""));
              },
            }),
            h("span", {}, ...textObject(o.text, ctx.names)),
            isJson(o.description)
              ? h("span", { class: "bk-radio-description" }, ...textObject(o.description, ctx.names))
              : null,
          ),
        ),
      );
    }
    case "overflow":
      return h(
        "select",
        {
          class: "bk-overflow",
          "data-action-id": actionId,
          "aria-label": "More",
          onchange: (event: Event) => {
            const target = event.target as HTMLSelectElement;
            void act(target.value);
            target.value = "";
          },
        },
        h("option", { value: "", disabled: true, selected: true }, "⋯"),
        ...options(el).map((o) => h("option", { value: String(o.value ?? "") }, plain(o.text))),
      );
    case "plain_text_input": {
      const attributes = {
        class: "bk-text-input",
        "data-action-id": actionId,
        placeholder: plain(el.placeholder),
        oninput: (event: Event) => record((event.target as HTMLInputElement).value),
      };
      if (typeof el.initial_value === "string") record(el.initial_value);
      return el.multiline === true
        ? h("textarea", attributes, typeof el.initial_value === "string" ? el.initial_value : "")
        : h("input", {
            ...attributes,
            type: "text",
            value: typeof el.initial_value === "string" ? el.initial_value : "",
          });
    }
    case "image":
      return h(
        "span",
        { class: "bk-image", title: String(el.image_url ?? "") },
        `[image: ${String(el.alt_text ?? "")}]`,
      );
    default:
      return raw(el);
  }
}

/** The words of a rich_text block (sections of text runs), as plain text. */
function richTextWords(value: unknown): string {
  if (!isJson(value) || !Array.isArray(value.elements)) return "";
  return value.elements
    .flatMap((section) => (isJson(section) && Array.isArray(section.elements) ? section.elements : []))
    .map((run) => (isJson(run) && typeof run.text === "string" ? run.text : ""))
    .join("");
}

/** Where a task stands, in words (no emoji font needed) and as a class for its colour. */
const TASK_STATUS: Readonly<Record<string, string>> = {
  pending: "Waiting",
  in_progress: "Running",
  complete: "Done",
  error: "Failed",
};

function taskCard(task: Json): HTMLElement {
  const status = typeof task.status === "string" ? task.status : "pending";
  const output = richTextWords(task.output);
  return h(
    "div",
    { class: `bk-task bk-task-${status}`, "data-task-status": status },
    h("span", { class: "bk-task-status" }, TASK_STATUS[status] ?? status),
    h("span", { class: "bk-task-title" }, decode(typeof task.title === "string" ? task.title : "")),
    output ? h("div", { class: "bk-task-output" }, decode(output)) : null,
  );
}

function tableElement(b: Json): HTMLElement {
  const rows = Array.isArray(b.rows) ? b.rows.filter(Array.isArray) : [];
  const cell = (value: unknown) =>
    decode(isJson(value) && typeof value.text === "string" ? value.text : richTextWords(value));
  const [header = [], ...body] = rows as unknown[][];
  return h(
    "table",
    { class: "bk-table" },
    h("thead", {}, h("tr", {}, ...header.map((value) => h("th", {}, cell(value))))),
    h("tbody", {}, ...body.map((row) => h("tr", {}, ...row.map((value) => h("td", {}, cell(value)))))),
  );
}

function block(b: unknown, ctx: BlockContext): Node {
  if (!isJson(b)) return raw(b);
  const blockId = typeof b.block_id === "string" ? b.block_id : null;
  switch (b.type) {
    case "header":
      return h("div", { class: "bk-header" }, plain(b.text));
    case "divider":
      return h("hr", { class: "bk-divider" });
    case "section": {
      const fields = Array.isArray(b.fields) ? b.fields : [];
      return h(
        "div",
        { class: "bk-section" },
        h(
          "div",
          { class: "bk-section-body" },
          isJson(b.text) ? h("div", { class: "bk-text" }, ...textObject(b.text, ctx.names)) : null,
          fields.length > 0
            ? h(
                "div",
                { class: "bk-fields" },
                ...fields.map((f) => h("div", { class: "bk-field" }, ...textObject(f, ctx.names))),
              )
            : null,
        ),
        b.accessory ? h("div", { class: "bk-accessory" }, element(b.accessory, ctx, blockId, false)) : null,
      );
    }
    case "context":
      return h(
        "div",
        { class: "bk-context" },
        ...(Array.isArray(b.elements) ? b.elements : []).map((e) =>
          isJson(e) && (e.type === "mrkdwn" || e.type === "plain_text")
            ? h("span", {}, ...textObject(e, ctx.names))
            : element(e, ctx, blockId, false),
        ),
      );
    case "context_actions":
    case "actions":
      return h(
        "div",
        { class: "bk-actions" },
        ...(Array.isArray(b.elements) ? b.elements : []).map((e) => element(e, ctx, blockId, false)),
      );
    case "input": {
      const error = blockId ? ctx.errors?.[blockId] : undefined;
      return h(
        "div",
        { class: `bk-input${error ? " bk-input-error" : ""}`, "data-block-id": blockId ?? "" },
        h(
          "div",
          { class: "bk-label" },
          plain(b.label),
          b.optional === true ? h("span", { class: "bk-optional" }, " (optional)") : null,
        ),
        element(b.element, ctx, blockId, true),
        isJson(b.hint) ? h("div", { class: "bk-hint" }, plain(b.hint)) : null,
        error ? h("div", { class: "bk-error", role: "alert" }, error) : null,
      );
    }
    case "task_card":
      return taskCard(b);
    case "plan":
      return h(
        "div",
        { class: "bk-plan" },
        h("div", { class: "bk-plan-title" }, typeof b.title === "string" ? b.title : ""),
        ...(Array.isArray(b.tasks) ? b.tasks.filter(isJson).map(taskCard) : []),
      );
    case "table":
      return tableElement(b);
    case "markdown":
      return h(
        "div",
        { class: "bk-markdown" },
        ...markdown(typeof b.text === "string" ? b.text : "", ctx.names),
      );
    case "image":
      return h("div", { class: "bk-image" }, `[image: ${String(b.alt_text ?? "")}]`);
    default:
      return raw(b);
  }
}

export function renderBlocks(blocks: unknown, ctx: BlockContext): HTMLElement {
  const list = Array.isArray(blocks) ? blocks : [];
  return h("div", { class: "bk-blocks" }, ...list.map((b) => block(b, ctx)));
}
