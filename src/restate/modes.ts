/**
 * The three modes and the pure decisions made with them. No Restate, no I/O: unit-tested directly.
 */

export const MODES = ["INTERRUPT", "INCORPORATE", "QUEUE"] as const;
export type Mode = (typeof MODES)[number];

/** Where a session's effective mode came from. */
export type ModeSource = "session" | "channel" | "default";

/** Reads a mode case-insensitively (`queue`, ` Queue `); `undefined` for anything else. */
export function parseMode(text: unknown): Mode | undefined {
  if (typeof text !== "string") return undefined;
  const upper = text.trim().toUpperCase();
  return (MODES as readonly string[]).includes(upper) ? (upper as Mode) : undefined;
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

/** What a new message does. Without a running run every mode simply starts one. */
export type MessageDecision = "start" | "interrupt" | "incorporate" | "queue";

export function decideOnMessage(runIsActive: boolean, mode: Mode): MessageDecision {
  if (!runIsActive) return "start";
  switch (mode) {
    case "INTERRUPT":
      return "interrupt";
    case "INCORPORATE":
      return "incorporate";
    case "QUEUE":
      return "queue";
  }
}
