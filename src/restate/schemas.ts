/**
 * Input schemas of our handlers. Used as Restate serdes (`restate.serde.schema`), so a malformed request
 * is refused with a 400 `TerminalError` naming the field before any handler code runs, and changes nothing.
 */
import { z } from "zod";
import { MODES, modeSchema } from "./modes.ts";

/** Slack allows 40,000 characters in a message; leave room, but refuse absurd payloads. */
export const MAX_CONTENT_LENGTH = 100_000;

export const ModeSchema = modeSchema({
  notText: `mode must be one of ${MODES.join(", ")}`,
  unknown: (got) => `unknown mode "${got}": use one of ${MODES.join(", ")}`,
});

const SlackTs = z.string().regex(/^\d+\.\d+$/, "must be a Slack timestamp such as 1700000000.000100");

/** The Slack message a user message came from (set by the Slack adapter). */
export const MessageSourceSchema = z.object({
  team: z.string().min(1),
  channel: z.string().min(1),
  ts: SlackTs,
  /** Root of the thread the message is in (its own ts for a top-level message). */
  threadTs: SlackTs,
  permalink: z.url().nullable().default(null),
});

export const SessionOriginSchema = z.object({
  team: z.string().min(1),
  channel: z.string().min(1),
  threadTs: SlackTs,
  permalink: z.string().nullable(),
});

/**
 * `process_user_message`: `{content, role}` as curl sends it (README, compatibility), plus who sent it and
 * where from, which only the Slack adapter may say (src/restate/caller.ts).
 * `startsSession: false` (a thread reply without a mention) is ignored unless the session exists; left
 * out, it counts as true, and a request that leaves out all three is a plain curl message.
 */
export const ChatMessageSchema = z.object({
  content: z
    .string({ error: "content must be a string" })
    .max(MAX_CONTENT_LENGTH, `content must be at most ${MAX_CONTENT_LENGTH} characters`)
    .refine((text) => text.trim().length > 0, "content must not be empty"),
  role: z.literal("user", { error: 'role must be "user"' }).default("user"),
  user: z.string().min(1).max(200).optional(),
  source: MessageSourceSchema.optional(),
  startsSession: z.boolean().optional(),
  /**
   * Set (by the Slack adapter) when the message as written is longer than `MAX_CONTENT_LENGTH`: `content`
   * is then only its beginning, and the session refuses it with a reply saying so.
   */
  writtenLength: z.number().int().positive().optional(),
  /**
   * A note for the agent on where the message was written (set by the Slack adapter: the channel the
   * person had open beside the agent's split pane). Not part of what the person wrote.
   */
  context: z.string().min(1).max(500).optional(),
});
export type ChatMessage = z.input<typeof ChatMessageSchema>;

/**
 * Who asks for a session control (a Slack user, said only by the adapter); without `by` (an operator's
 * curl, for sessions that are not Slack threads) nothing is checked.
 */
const by = z.string().min(1).max(200).optional();

/**
 * `set_mode`: a mode, or null to fall back to the channel default and then `MODE`.
 * `requireSession` refuses it for a thread that has no session yet (Slack's `!agentmode`).
 */
export const SetModeSchema = z.object({
  mode: ModeSchema.nullable(),
  by,
  requireSession: z.boolean().default(false),
});

/** `stop_run` and `reset`: an optional body, so that `curl -X POST` keeps working. */
export const ActorSchema = z.object({ by }).default({});

/**
 * `stop_run`: who asks and, optionally, which run (the Home's Stop names the run it showed, so a double
 * click never stops the run that came next).
 */
export const StopRunSchema = z.object({ by, runId: z.string().min(1).max(100).optional() }).default({});

/**
 * Slack's own Stop button in a thread (`agent_session_stopped`): who pressed it and when (the event's
 * `event_ts`, Slack's clock), so that only a run that started before the press is stopped.
 */
export const SlackStopSchema = z.object({
  by: z.string({ error: "by must be a Slack user id" }).min(1),
  pressedAt: SlackTs,
});

/** A click on an answer's feedback buttons, as the adapter read it from the message (signed). */
export const FeedbackSchema = z.object({
  by: z.string({ error: "by must be a Slack user id" }).min(1),
  runId: z.string({ error: "runId must be a string" }).min(1).max(100),
  value: z.enum(["positive", "negative"], { error: "value must be positive or negative" }),
  /** When the person clicked (Slack's `action_ts`): of two clicks arriving out of order, the later counts. */
  clickedAt: SlackTs,
});

export const RemoveQueuedSchema = z.object({ id: z.string({ error: "id must be a string" }).min(1), by });

/** A history item: text, or (the AI SDK's messages) a list of parts, kept as Restate gave them. */
const HistoryItemSchema = z.object({
  role: z.string(),
  content: z.union([z.string(), z.array(z.unknown())]),
});

/** The model's compacted view of a session: history items before `through` are summarised in `summary`. */
export const CompactedContextSchema = z.object({
  summary: z.string(),
  through: z.number().int().min(0),
});
export type CompactedContext = z.infer<typeof CompactedContextSchema>;

/**
 * `AgentSession.run`: everything a run needs is in its input; it reads no other state. `history` is what
 * the agent is given: the history's items from `context.through` on (all of them without a `context`).
 */
export const RunInputSchema = z.object({
  sessionKey: z.string().min(1),
  runId: z.string().min(1),
  history: z.array(HistoryItemSchema),
  context: CompactedContextSchema.nullable().default(null),
  /**
   * The tokens the agent's items may take (its `contextWindow`), fixed when the run starts so that a
   * replay after a change of settings decides as the run did; absent (runs started before it): no compaction.
   */
  windowTokens: z.number().int().positive().nullable().default(null),
  origin: SessionOriginSchema.nullable().default(null),
});
export type RunInput = z.infer<typeof RunInputSchema>;

export const RunReportSchema = z.object({
  runId: z.string().min(1),
  outcome: z.enum(["done", "failed", "interrupted"]),
  output: z.string().optional(),
  error: z.string().optional(),
  consumed: z.number().int().min(0),
  /** The history items the run adds (its inputs taken in, in place, and its messages), when it keeps them. */
  messages: z.array(HistoryItemSchema).optional(),
});

/**
 * A run compacted the conversation: the history's items from `from` to `through` are now in `summary` too
 * (`from`: where the summary it built on ended).
 */
export const ContextCompactedSchema = z.object({
  runId: z.string().min(1),
  from: z.number().int().min(0),
  through: z.number().int().min(0),
  summary: z.string(),
});

/** A run's output could not be delivered (Slack refused the post for good). */
export const FailRunSchema = z.object({ runId: z.string().min(1), reason: z.string() });

/**
 * A person's decision on a waiting approval, from the card's or the Home's buttons (the adapter, signed).
 * `approvalId` is our id for the approval (it is in the buttons); it resolves nothing by itself.
 */
export const DecideApprovalSchema = z.object({
  by: z.string({ error: "by must be a Slack user id" }).min(1).max(200),
  approvalId: z.string({ error: "approvalId must be a string" }).min(1).max(100),
  approve: z.boolean({ error: "approve must be true or false" }),
  reason: z.string().trim().max(500, "reason must be at most 500 characters").optional(),
  /** When the person clicked (Slack's `action_ts`, or the modal's submission time). */
  decidedAt: SlackTs,
});

/** A click on an undo note's Undo button (the adapter, signed). */
export const UndoRunSchema = z.object({
  by: z.string({ error: "by must be a Slack user id" }).min(1).max(200),
  runId: z.string({ error: "runId must be a string" }).min(1).max(100),
});

/** `AgentSession/undo_effects`: where the run's effects were made, and who asked (null: automatic). */
export const UndoEffectsSchema = z.object({
  sessionKey: z.string().min(1),
  runId: z.string().min(1),
  origin: SessionOriginSchema.nullable(),
  by: z.string().nullable(),
});
