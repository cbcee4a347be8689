/**
 * Action ids of the controls that act on one session (`<control>:<session key>[:<more>]`): the views build
 * them and the action listeners read them back, here and nowhere else. The key is in the id because Slack
 * wants every action id in a view to be unique, and a Home lists many sessions with the same controls.
 */

/** The action id of `control` for the session `sessionKey` (and, where one session has several, `more`). */
export function toControlId(control: string, sessionKey: string, ...more: string[]): string {
  return [control, sessionKey, ...more].join(":");
}

/** Matches every action id of `control`, whatever session it names. */
export function controlIdPattern(control: string): RegExp {
  return new RegExp(`^${control}:`);
}

/** The session key in an action id built by `toControlId` without `more`. */
export function sessionKeyOfControl(control: string, actionId: string): string {
  return actionId.slice(control.length + 1);
}

/**
 * A session and one thing of it, as a control carries them (a queued message's remove button, the deny
 * modal's metadata naming an approval).
 */
export function toSessionItemValue(sessionKey: string, id: string): string {
  return JSON.stringify({ key: sessionKey, id });
}

/** The session and item a control names (`toSessionItemValue`); null for a value we did not make. */
export function parseSessionItemValue(value: string | undefined): { key: string; id: string } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? "");
  } catch {
    return null;
  }
  const { key, id } = (parsed ?? {}) as { key?: unknown; id?: unknown };
  return typeof key === "string" && key && typeof id === "string" && id ? { key, id } : null;
}
