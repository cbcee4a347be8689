/**
 * Input schemas of our handlers. Used as Restate serdes (`restate.serde.schema`), so a malformed request
 * is refused with a 400 `TerminalError` naming the field before any handler code runs, and changes nothing.
 */
import { z } from "zod";
import { MODES } from "./modes.ts";

/** Slack allows 40,000 characters in a message; leave room, but refuse absurd payloads. */
export const MAX_CONTENT_LENGTH = 100_000;

export const ModeSchema = z
  .string({ error: `mode must be one of ${MODES.join(", ")}` })
  .transform((value) => value.trim().toUpperCase())
  .pipe(z.enum(MODES, { error: (issue) => `unknown mode "${issue.input}": use one of ${MODES.join(", ")}` }));

/** `process_user_message`: the Python example's `{content, role}`, plus who sent it. */
export const ChatMessageSchema = z.object({
  content: z
    .string({ error: "content must be a string" })
    .max(MAX_CONTENT_LENGTH, `content must be at most ${MAX_CONTENT_LENGTH} characters`)
    .refine((text) => text.trim().length > 0, "content must not be empty"),
  role: z.literal("user", { error: 'role must be "user"' }).default("user"),
  user: z.string().min(1).max(200).optional(),
});
export type ChatMessage = z.input<typeof ChatMessageSchema>;

/** `set_mode`: a mode, or null to fall back to the channel default and then `MODE`. */
export const SetModeSchema = z.object({ mode: ModeSchema.nullable() });

export const RemoveQueuedSchema = z.object({ id: z.string({ error: "id must be a string" }).min(1) });

const HistoryItemSchema = z.object({ role: z.string(), content: z.string() });

/** `AgentSession.run`: everything a run needs is in its input; it reads no other state. */
export const RunInputSchema = z.object({
  sessionKey: z.string().min(1),
  runId: z.string().min(1),
  history: z.array(HistoryItemSchema),
});
export type RunInput = z.infer<typeof RunInputSchema>;

export const RunReportSchema = z.object({
  runId: z.string().min(1),
  outcome: z.enum(["done", "failed", "interrupted"]),
  output: z.string().optional(),
  error: z.string().optional(),
  consumed: z.number().int().min(0),
});
