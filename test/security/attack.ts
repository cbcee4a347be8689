/**
 * One attack and its legitimate twin, as the security suite runs them: the attack must meet its own refusal
 * (a status and error that name why, not just "nothing changed", which a mistyped URL also gives) and change
 * nothing it aimed at; the same request made legitimately must work. Every attack is counted, so the suite
 * ends with one figure: attacks tried, attacks that changed anything (must be 0), twins that worked.
 */
import assert from "node:assert/strict";

export interface Attack<T> {
  /** What the attacker sends; resolves with what came back. */
  attempt(): Promise<T>;
  /** Asserts the attack's own refusal in what came back (throws when it is not). */
  refused(answer: T): void | Promise<void>;
  /** Whether the attack changed anything it aimed at, read after a barrier that proves it was handled. */
  changedAnything(): Promise<boolean>;
  /** The same request, made by whoever may make it; throws unless it works. */
  twin(): Promise<void>;
}

const tally = { tried: 0, changed: 0, twinsTried: 0, twinsWorked: 0 };

export async function tryAttack<T>(name: string, attack: Attack<T>): Promise<void> {
  tally.tried += 1;
  const answer = await attack.attempt();
  await attack.refused(answer);
  const changed = await attack.changedAnything();
  if (changed) tally.changed += 1;
  assert.equal(changed, false, `${name}: the attack changed something`);
  tally.twinsTried += 1;
  await attack.twin();
  tally.twinsWorked += 1;
}

/** The suite's closing figure. */
export function securityFigure(): string {
  return `security: ${tally.tried} attacks tried, ${tally.changed} changed anything, ${tally.twinsWorked} of ${tally.twinsTried} legitimate twins worked`;
}
