/**
 * What each person (of a workspace: `<team>:<user>`) is looking at in Slack, as Slack's agent view reports
 * it (`app_context_changed`: the channel open beside the agent's split pane), so that a message they write
 * to the agent in their DM can carry it. Kept in this process's memory only, newest per person, for a while: it is a hint that Slack
 * sends again whenever the person moves, not a fact a session depends on (after a restart, or on another
 * copy of the adapter, a message goes without it). Bounded.
 */

/** How long a context counts after Slack reported it. */
const VIEWING_KEPT_MS = 30 * 60_000;
/** People remembered at most (the oldest are forgotten first). */
const PEOPLE_KEPT = 10_000;

export class ViewingContexts {
  private readonly byPerson = new Map<string, { channel: string; at: number }>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  saw(person: string, channel: string): void {
    this.byPerson.delete(person);
    this.byPerson.set(person, { channel, at: this.now() });
    if (this.byPerson.size > PEOPLE_KEPT) {
      const oldest = this.byPerson.keys().next().value;
      if (oldest !== undefined) this.byPerson.delete(oldest);
    }
  }

  /** The channel `person` looks at, if Slack said so lately. */
  of(person: string): string | undefined {
    const seen = this.byPerson.get(person);
    if (!seen || this.now() - seen.at > VIEWING_KEPT_MS) return undefined;
    return seen.channel;
  }
}

/** The note a DM message carries for the agent: where its author is looking, as a Slack channel mention. */
export function viewingNote(channel: string): string {
  return `(Context from Slack: while writing this, the person was looking at <#${channel}>.)`;
}
