/**
 * Block Kit checks, as Slack makes them: unknown block or element types, a `mrkdwn` text where Slack takes
 * only `plain_text` (buttons, headers, select options, placeholders, labels, modal titles), and payloads
 * over Slack's limits are refused, so nothing passes here that real Slack would reject. Messages get
 * `invalid_blocks` (chat.*, response_url); views get `invalid_arguments`, as views.* answer for a bad view.
 */

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFieldText: 2000,
  sectionFields: 10,
  headerText: 150,
  buttonText: 75,
  optionText: 75,
  optionValue: 150,
  placeholderText: 150,
  inputLabel: 2000,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  selectOptions: 100,
  overflowOptions: { min: 2, max: 5 },
  radioOptions: 10,
  checkboxOptions: 10,
  actionsElements: 25,
  contextElements: 10,
  contextActionsElements: 5,
  tableRows: 100,
  tableCells: 20,
  taskTitle: 256,
  feedbackLabel: 75,
  viewTitle: 24,
  viewButtonText: 24,
  privateMetadata: 3000,
  messageText: 40_000,
  /** The `markdown` blocks of one message together. */
  markdownTotal: 12_000,
} as const;

/** The block types Slack knows; any other type is refused. */
export const BLOCK_TYPES: ReadonlySet<string> = new Set([
  "actions",
  "alert",
  "card",
  "carousel",
  "container",
  "context",
  "context_actions",
  "data_table",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "plan",
  "rich_text",
  "section",
  "table",
  "task_card",
  "video",
]);

/** The interactive and input elements Slack knows. */
export const ELEMENT_TYPES: ReadonlySet<string> = new Set([
  "button",
  "checkboxes",
  "datepicker",
  "datetimepicker",
  "email_text_input",
  "feedback_buttons",
  "file_input",
  "icon_button",
  "image",
  "multi_channels_select",
  "multi_conversations_select",
  "multi_external_select",
  "multi_static_select",
  "multi_users_select",
  "number_input",
  "overflow",
  "plain_text_input",
  "radio_buttons",
  "rich_text_input",
  "channels_select",
  "conversations_select",
  "external_select",
  "static_select",
  "users_select",
  "timepicker",
  "url_text_input",
  "workflow_button",
]);

type Json = Record<string, unknown>;
type ErrorCode = "invalid_blocks" | "invalid_arguments";

export class BlockKitError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function textOf(value: unknown): string {
  return typeof value === "object" && value !== null && typeof (value as Json).text === "string"
    ? ((value as Json).text as string)
    : "";
}

/** Checks over one payload; `code` is the error name the surface answers with. */
class Checker {
  readonly code: ErrorCode;
  private readonly actionIds = new Set<string>();
  private readonly blockIds = new Set<string>();
  private markdownChars = 0;
  private tables = 0;

  constructor(code: ErrorCode) {
    this.code = code;
  }

  check(condition: boolean, message: string): void {
    if (!condition) throw new BlockKitError(this.code, message);
  }

  /** A text object: `plain_text` or `mrkdwn` (only `plain_text` where `plainOnly`), at most `max` characters. */
  text(value: unknown, path: string, rule: { plainOnly: boolean; max: number; required?: boolean }): void {
    if (value === undefined && rule.required === false) return;
    this.check(typeof value === "object" && value !== null, `${path} must be a text object`);
    const type = (value as Json).type;
    this.check(type === "plain_text" || type === "mrkdwn", `${path}.type must be plain_text or mrkdwn`);
    this.check(!rule.plainOnly || type === "plain_text", `${path} must be plain_text, not ${String(type)}`);
    const text = textOf(value);
    this.check(typeof (value as Json).text === "string", `${path}.text must be a string`);
    this.check(text.length > 0, `${path}.text must not be empty`);
    this.check(text.length <= rule.max, `${path}.text is longer than ${rule.max}`);
  }

  options(element: Json, path: string, plainOnly: boolean, count: { min: number; max: number }): void {
    const options = (element.options as Json[] | undefined) ?? [];
    const groups = element.option_groups as Json[] | undefined;
    const all = groups ? groups.flatMap((g) => (g.options as Json[] | undefined) ?? []) : options;
    if (!groups || element.options !== undefined) {
      this.check(options.length >= count.min, `${path}.options must have at least ${count.min}`);
      this.check(options.length <= count.max, `${path} has more than ${count.max} options`);
    }
    for (const [i, option] of all.entries()) {
      this.text(option.text, `${path}.options[${i}].text`, { plainOnly, max: LIMITS.optionText });
      this.check(
        typeof option.value !== "string" || option.value.length <= LIMITS.optionValue,
        `${path}.options[${i}].value is longer than ${LIMITS.optionValue}`,
      );
    }
    if (element.initial_option) {
      const initial = element.initial_option as Json;
      this.check(
        all.some((o) => o.value === initial.value && textOf(o.text) === textOf(initial.text)),
        `${path}.initial_option is not one of its options`,
      );
    }
  }

  element(element: Json, path: string): void {
    this.check(typeof element === "object" && element !== null, `${path} must be an object`);
    this.check(
      typeof element.type === "string" && ELEMENT_TYPES.has(element.type),
      `${path}.type ${String(element.type)} is not a Block Kit element`,
    );
    const actionId = element.action_id;
    if (typeof actionId === "string") {
      this.check(actionId.length <= LIMITS.actionId, `${path}.action_id is longer than ${LIMITS.actionId}`);
      this.check(!this.actionIds.has(actionId), `${path}.action_id "${actionId}" is used twice`);
      this.actionIds.add(actionId);
    }
    if (element.placeholder !== undefined)
      this.text(element.placeholder, `${path}.placeholder`, { plainOnly: true, max: LIMITS.placeholderText });
    switch (element.type) {
      case "button":
        this.text(element.text, `${path}.text`, { plainOnly: true, max: LIMITS.buttonText });
        this.check(
          typeof element.value !== "string" || element.value.length <= LIMITS.buttonValue,
          `${path}.value is longer than ${LIMITS.buttonValue}`,
        );
        break;
      case "overflow":
        this.options(element, path, true, LIMITS.overflowOptions);
        break;
      case "feedback_buttons":
        for (const side of ["positive_button", "negative_button"]) {
          const button = element[side] as Json | undefined;
          this.check(typeof button === "object" && button !== null, `${path}.${side} is required`);
          this.text(button?.text, `${path}.${side}.text`, { plainOnly: true, max: LIMITS.buttonText });
          this.check(
            typeof button?.value === "string" && button.value.length <= LIMITS.buttonValue,
            `${path}.${side}.value must be a string of at most ${LIMITS.buttonValue} characters`,
          );
          this.check(
            button?.accessibility_label === undefined ||
              (typeof button.accessibility_label === "string" &&
                button.accessibility_label.length <= LIMITS.feedbackLabel),
            `${path}.${side}.accessibility_label is longer than ${LIMITS.feedbackLabel}`,
          );
        }
        break;
      case "radio_buttons":
        this.options(element, path, false, { min: 1, max: LIMITS.radioOptions });
        break;
      case "checkboxes":
        this.options(element, path, false, { min: 1, max: LIMITS.checkboxOptions });
        break;
      case "static_select":
      case "multi_static_select":
        this.options(element, path, true, { min: 1, max: LIMITS.selectOptions });
        break;
      default:
        break;
    }
  }

  block(block: Json, path: string): void {
    this.check(
      typeof block === "object" && block !== null && typeof block.type === "string",
      `${path} has no type`,
    );
    this.check(
      BLOCK_TYPES.has(block.type as string),
      `${path}.type ${String(block.type)} is not a Block Kit block`,
    );
    if (typeof block.block_id === "string") {
      this.check(
        block.block_id.length <= LIMITS.blockId,
        `${path}.block_id is longer than ${LIMITS.blockId}`,
      );
      this.check(!this.blockIds.has(block.block_id), `${path}.block_id "${block.block_id}" is used twice`);
      this.blockIds.add(block.block_id);
    }
    switch (block.type) {
      case "section": {
        const fields = (block.fields as Json[] | undefined) ?? [];
        this.check(block.text !== undefined || fields.length > 0, `${path} needs text or fields`);
        this.text(block.text, `${path}.text`, { plainOnly: false, max: LIMITS.sectionText, required: false });
        this.check(
          fields.length <= LIMITS.sectionFields,
          `${path}.fields has more than ${LIMITS.sectionFields}`,
        );
        for (const [i, field] of fields.entries())
          this.text(field, `${path}.fields[${i}]`, { plainOnly: false, max: LIMITS.sectionFieldText });
        if (block.accessory) this.element(block.accessory as Json, `${path}.accessory`);
        break;
      }
      case "header":
        this.text(block.text, `${path}.text`, { plainOnly: true, max: LIMITS.headerText });
        break;
      case "actions": {
        const elements = (block.elements as Json[] | undefined) ?? [];
        this.check(
          elements.length > 0 && elements.length <= LIMITS.actionsElements,
          `${path}.elements must have 1 to ${LIMITS.actionsElements} elements`,
        );
        for (const [i, element] of elements.entries()) this.element(element, `${path}.elements[${i}]`);
        break;
      }
      case "context": {
        const elements = (block.elements as Json[] | undefined) ?? [];
        this.check(
          elements.length > 0 && elements.length <= LIMITS.contextElements,
          `${path}.elements must have 1 to ${LIMITS.contextElements} elements`,
        );
        for (const [i, element] of elements.entries()) {
          if (element.type === "image") continue;
          this.text(element, `${path}.elements[${i}]`, { plainOnly: false, max: LIMITS.sectionText });
        }
        break;
      }
      case "task_card":
        this.taskCard(block, path);
        break;
      case "plan": {
        this.check(typeof block.title === "string" && block.title.length > 0, `${path}.title is required`);
        const tasks = (block.tasks as Json[] | undefined) ?? [];
        this.check(Array.isArray(tasks), `${path}.tasks must be an array`);
        for (const [i, task] of tasks.entries()) {
          this.check(
            task.type === undefined || task.type === "task_card",
            `${path}.tasks[${i}] must be a task card`,
          );
          this.taskCard(task, `${path}.tasks[${i}]`);
        }
        break;
      }
      case "table": {
        const rows = block.rows as unknown[][] | undefined;
        this.check(
          Array.isArray(rows) && rows.length > 0 && rows.length <= LIMITS.tableRows,
          `${path}.rows must have 1 to ${LIMITS.tableRows} rows`,
        );
        // One table a message: how we read Slack's table reference (its usage notes could not be read in
        // full here), and the rule our messages keep; stricter than Slack at worst.
        this.tables += 1;
        this.check(this.tables === 1, "a message may have only one table block");
        for (const [r, row] of (rows ?? []).entries()) {
          this.check(
            Array.isArray(row) && row.length > 0 && row.length <= LIMITS.tableCells,
            `${path}.rows[${r}] must have 1 to ${LIMITS.tableCells} cells`,
          );
          for (const [c, cell] of row.entries()) {
            const type = (cell as Json | null)?.type;
            this.check(
              (type === "raw_text" &&
                typeof (cell as Json).text === "string" &&
                ((cell as Json).text as string).length > 0) ||
                type === "rich_text",
              `${path}.rows[${r}][${c}] must be raw_text (with at least one character) or rich_text`,
            );
          }
        }
        const settings = (block.column_settings as Json[] | undefined) ?? [];
        this.check(
          settings.length <= LIMITS.tableCells,
          `${path}.column_settings has more than ${LIMITS.tableCells}`,
        );
        for (const [i, setting] of settings.entries())
          this.check(
            setting.align === undefined || ["left", "center", "right"].includes(String(setting.align)),
            `${path}.column_settings[${i}].align must be left, center or right`,
          );
        break;
      }
      case "context_actions": {
        const elements = (block.elements as Json[] | undefined) ?? [];
        this.check(
          elements.length > 0 && elements.length <= LIMITS.contextActionsElements,
          `${path}.elements must have 1 to ${LIMITS.contextActionsElements} elements`,
        );
        for (const [i, element] of elements.entries()) {
          this.check(
            element.type === "feedback_buttons" || element.type === "icon_button",
            `${path}.elements[${i}] must be feedback_buttons or icon_button`,
          );
          this.element(element, `${path}.elements[${i}]`);
        }
        break;
      }
      case "markdown":
        this.check(
          typeof block.text === "string" && block.text.length > 0,
          `${path}.text must be a non-empty string`,
        );
        this.markdownChars += (block.text as string).length;
        this.check(
          this.markdownChars <= LIMITS.markdownTotal,
          `markdown blocks are longer than ${LIMITS.markdownTotal} characters together`,
        );
        break;
      case "input":
        this.text(block.label, `${path}.label`, { plainOnly: true, max: LIMITS.inputLabel });
        if (block.hint !== undefined)
          this.text(block.hint, `${path}.hint`, { plainOnly: true, max: LIMITS.inputLabel });
        this.check(
          typeof block.element === "object" && block.element !== null,
          `${path}.element is required`,
        );
        this.element(block.element as Json, `${path}.element`);
        break;
      default:
        break;
    }
  }

  /** A task card (alone, or in a plan): an id, a title, a status Slack knows, rich text for details and output. */
  taskCard(task: Json, path: string): void {
    this.check(typeof task.task_id === "string" && task.task_id.length > 0, `${path}.task_id is required`);
    this.check(
      typeof task.title === "string" && task.title.length > 0 && task.title.length <= LIMITS.taskTitle,
      `${path}.title must be 1 to ${LIMITS.taskTitle} characters`,
    );
    this.check(
      task.status === undefined ||
        ["pending", "in_progress", "complete", "error"].includes(String(task.status)),
      `${path}.status must be pending, in_progress, complete or error`,
    );
    for (const field of ["details", "output"]) {
      const value = task[field] as Json | undefined;
      this.check(
        value === undefined || value?.type === "rich_text",
        `${path}.${field} must be a rich_text block`,
      );
    }
  }

  blocks(blocks: unknown, max: number): void {
    this.check(Array.isArray(blocks), "blocks must be an array");
    const list = blocks as Json[];
    this.check(list.length <= max, `more than ${max} blocks`);
    for (const [index, block] of list.entries()) this.block(block, `blocks[${index}]`);
  }
}

/** Blocks of a message: at most 50. Throws `invalid_blocks`. */
export function validateMessageBlocks(blocks: unknown): void {
  new Checker("invalid_blocks").blocks(blocks, LIMITS.messageBlocks);
}

/** A Home or modal view: at most 100 blocks. Throws `invalid_arguments`, as views.* answer. */
export function validateView(view: unknown): Json {
  const checker = new Checker("invalid_arguments");
  checker.check(typeof view === "object" && view !== null, "view must be an object");
  const v = view as Json;
  checker.check(v.type === "home" || v.type === "modal", "view.type must be home or modal");
  if (v.type === "modal") {
    checker.text(v.title, "view.title", { plainOnly: true, max: LIMITS.viewTitle });
    for (const button of ["submit", "close"] as const)
      checker.text(v[button], `view.${button}`, {
        plainOnly: true,
        max: LIMITS.viewButtonText,
        required: false,
      });
    const hasInput = ((v.blocks as Json[] | undefined) ?? []).some((b) => b.type === "input");
    checker.check(!hasInput || Boolean(v.submit), "a modal with inputs needs a submit button");
  }
  checker.check(
    typeof v.private_metadata !== "string" || v.private_metadata.length <= LIMITS.privateMetadata,
    `view.private_metadata is longer than ${LIMITS.privateMetadata}`,
  );
  checker.blocks(v.blocks, LIMITS.viewBlocks);
  return v;
}
