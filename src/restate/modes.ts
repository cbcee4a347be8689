/**
 * The three modes: the one way they are read (settings, handler inputs, commands and view options all go
 * through `modeSchema`), and the pure decisions made with them. No Restate, no I/O: unit-tested directly.
 */
import { z } from "zod";

export const MODES = ["INTERRUPT", "INCORPORATE", "QUEUE"] as const;
export type Mode = (typeof MODES)[number];

/**
 * A mode, case-insensitively and without surrounding spaces (`queue`, ` Queue `). Every reader uses this
 * schema; each words its refusal for whoever reads it (a person fixing a setting, a caller of a handler).
 */
export function modeSchema(refusal: {
  readonly notText?: string;
  readonly unknown: (got: unknown) => string;
}) {
  return z
    .string(refusal.notText === undefined ? undefined : { error: refusal.notText })
    .transform((text) => text.trim().toUpperCase())
    .pipe(z.enum(MODES, { error: (issue) => refusal.unknown(issue.input) }));
}

const anyMode = modeSchema({ unknown: (got) => `unknown mode "${got}"` });

/** A mode, or null for "no mode of its own: follow the default". */
export type ModeChoice = Mode | null;

/** Where a session's effective mode came from. */
export type ModeSource = "session" | "channel" | "default";

/** Reads a mode case-insensitively (`queue`, ` Queue `); `undefined` for anything else. */
export function parseMode(text: unknown): Mode | undefined {
  const result = anyMode.safeParse(text);
  return result.success ? result.data : undefined;
}

/** A mode, or `default` (any case) for null: what a command word or a select's option names. */
export function parseModeChoice(text: unknown): ModeChoice | undefined {
  if (typeof text === "string" && text.trim().toLowerCase() === "default") return null;
  return parseMode(text);
}

/** A session's own mode wins, then its channel's default, then the process default (`MODE`). */
export function resolveMode(
  session: Mode | null,
  channel: Mode | null,
  fallback: Mode,
): { mode: Mode; source: ModeSource } {
  if (session) return { mode: session, source: "session" };
  if (channel) return { mode: channel, source: "channel" };
  return { mode: fallback, source: "default" };
}
