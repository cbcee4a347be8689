/**
 * Block Kit checks, as Slack makes them: a payload over Slack's limits is refused with `invalid_blocks`
 * (or `invalid_arguments` for views), so nothing passes here that real Slack would reject.
 * Only the limits our bot can run into are checked; unknown block types are accepted as Slack accepts them.
 */

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFieldText: 2000,
  headerText: 150,
  buttonText: 75,
  optionText: 75,
  optionValue: 150,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  selectOptions: 100,
  actionsElements: 25,
  contextElements: 10,
  viewTitle: 24,
  privateMetadata: 3000,
  messageText: 40_000,
  /** The `markdown` blocks of one message together. */
  markdownTotal: 12_000,
} as const;

type Json = Record<string, unknown>;

export class BlockKitError extends Error {
  readonly code: "invalid_blocks" | "invalid_arguments";
  constructor(code: "invalid_blocks" | "invalid_arguments", message: string) {
    super(message);
    this.code = code;
  }
}

function textOf(value: unknown): string {
  return typeof value === "object" && value !== null && typeof (value as Json).text === "string"
    ? ((value as Json).text as string)
    : "";
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new BlockKitError("invalid_blocks", message);
}

function checkElement(element: Json, path: string, actionIds: Set<string>): void {
  const actionId = element.action_id;
  if (typeof actionId === "string") {
    check(actionId.length <= LIMITS.actionId, `${path}.action_id is longer than ${LIMITS.actionId}`);
    check(!actionIds.has(actionId), `${path}.action_id "${actionId}" is used twice`);
    actionIds.add(actionId);
  }
  switch (element.type) {
    case "button":
      check(
        textOf(element.text).length <= LIMITS.buttonText,
        `${path}.text is longer than ${LIMITS.buttonText}`,
      );
      check(
        typeof element.value !== "string" || element.value.length <= LIMITS.buttonValue,
        `${path}.value is longer than ${LIMITS.buttonValue}`,
      );
      break;
    case "static_select":
    case "radio_buttons":
    case "checkboxes":
    case "overflow": {
      const options = (element.options as Json[] | undefined) ?? [];
      check(options.length > 0 || element.type !== "radio_buttons", `${path}.options must not be empty`);
      check(options.length <= LIMITS.selectOptions, `${path} has more than ${LIMITS.selectOptions} options`);
      for (const [i, option] of options.entries()) {
        check(
          textOf(option.text).length <= LIMITS.optionText,
          `${path}.options[${i}].text is longer than ${LIMITS.optionText}`,
        );
        check(
          typeof option.value !== "string" || option.value.length <= LIMITS.optionValue,
          `${path}.options[${i}].value is longer than ${LIMITS.optionValue}`,
        );
      }
      if (element.initial_option) {
        const initial = element.initial_option as Json;
        check(
          options.some((o) => o.value === initial.value && textOf(o.text) === textOf(initial.text)),
          `${path}.initial_option is not one of its options`,
        );
      }
      break;
    }
    default:
      break;
  }
}

function checkBlocks(blocks: unknown, max: number): void {
  check(Array.isArray(blocks), "blocks must be an array");
  const list = blocks as Json[];
  check(list.length <= max, `more than ${max} blocks`);
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();
  let markdownChars = 0;
  for (const [index, block] of list.entries()) {
    const path = `blocks[${index}]`;
    check(
      typeof block === "object" && block !== null && typeof block.type === "string",
      `${path} has no type`,
    );
    if (typeof block.block_id === "string") {
      check(block.block_id.length <= LIMITS.blockId, `${path}.block_id is longer than ${LIMITS.blockId}`);
      check(!blockIds.has(block.block_id), `${path}.block_id "${block.block_id}" is used twice`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case "section": {
        const text = textOf(block.text);
        const fields = (block.fields as Json[] | undefined) ?? [];
        check(text.length > 0 || fields.length > 0, `${path} needs text or fields`);
        check(text.length <= LIMITS.sectionText, `${path}.text is longer than ${LIMITS.sectionText}`);
        for (const field of fields)
          check(
            textOf(field).length <= LIMITS.sectionFieldText,
            `${path}.fields has a field over ${LIMITS.sectionFieldText}`,
          );
        if (block.accessory) checkElement(block.accessory as Json, `${path}.accessory`, actionIds);
        break;
      }
      case "header":
        check(
          textOf(block.text).length <= LIMITS.headerText,
          `${path}.text is longer than ${LIMITS.headerText}`,
        );
        break;
      case "actions": {
        const elements = (block.elements as Json[] | undefined) ?? [];
        check(
          elements.length > 0 && elements.length <= LIMITS.actionsElements,
          `${path}.elements must have 1 to 25 elements`,
        );
        for (const [i, element] of elements.entries())
          checkElement(element, `${path}.elements[${i}]`, actionIds);
        break;
      }
      case "context": {
        const elements = (block.elements as Json[] | undefined) ?? [];
        check(
          elements.length > 0 && elements.length <= LIMITS.contextElements,
          `${path}.elements must have 1 to 10 elements`,
        );
        for (const element of elements) {
          check(
            textOf(element).length <= LIMITS.sectionText || element.type === "image",
            `${path} has a text over ${LIMITS.sectionText}`,
          );
        }
        break;
      }
      case "markdown":
        check(
          typeof block.text === "string" && block.text.length > 0,
          `${path}.text must be a non-empty string`,
        );
        markdownChars += (block.text as string).length;
        check(
          markdownChars <= LIMITS.markdownTotal,
          `markdown blocks are longer than ${LIMITS.markdownTotal} characters together`,
        );
        break;
      case "input":
        check(typeof block.element === "object" && block.element !== null, `${path}.element is required`);
        checkElement(block.element as Json, `${path}.element`, actionIds);
        break;
      default:
        break;
    }
  }
}

/** Blocks of a message: at most 50. Throws `invalid_blocks`. */
export function validateMessageBlocks(blocks: unknown): void {
  checkBlocks(blocks, LIMITS.messageBlocks);
}

/** A Home or modal view. Throws `invalid_arguments` for a malformed view, `invalid_blocks` for its blocks. */
export function validateView(view: unknown): Json {
  if (typeof view !== "object" || view === null)
    throw new BlockKitError("invalid_arguments", "view must be an object");
  const v = view as Json;
  if (v.type !== "home" && v.type !== "modal")
    throw new BlockKitError("invalid_arguments", `view.type must be home or modal`);
  if (v.type === "modal") {
    if (textOf(v.title).length === 0 || textOf(v.title).length > LIMITS.viewTitle) {
      throw new BlockKitError(
        "invalid_arguments",
        `view.title must have 1 to ${LIMITS.viewTitle} characters`,
      );
    }
    const hasInput = ((v.blocks as Json[] | undefined) ?? []).some((b) => b.type === "input");
    if (hasInput && !v.submit)
      throw new BlockKitError("invalid_arguments", "a modal with inputs needs a submit button");
  }
  if (typeof v.private_metadata === "string" && v.private_metadata.length > LIMITS.privateMetadata) {
    throw new BlockKitError(
      "invalid_arguments",
      `view.private_metadata is longer than ${LIMITS.privateMetadata}`,
    );
  }
  checkBlocks(v.blocks, LIMITS.viewBlocks);
  return v;
}
