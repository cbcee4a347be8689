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
