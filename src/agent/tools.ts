/**
 * Tools of the agents. A tool is a name, a description and a zod schema for its input (what the model
 * sees), and `execute`, which the agent runs as a durable step: its result is journaled, so a tool never
 * runs twice for one call, also across crashes. To add a tool, write one of these and add it to the list
 * in `src/services.ts` (`createAgent`). Anything a tool throws goes back to the model as an error result.
 *
 * A tool that acts may ask first (`approval`: a person decides in the thread before it runs) and may say
 * how to take its effect back (`undo`: offered when a run that applied it is interrupted or stopped).
 * How a call goes through both is one recipe, src/agent/tool-calls.ts; docs/llm-agent.md walks through it.
 */
import { z } from "zod";

export interface ToolContext {
  /** The session the run belongs to (a Slack thread's key is `<team>:<channel>:<thread ts>`). */
  readonly sessionKey: string;
  /**
   * Where the session's messages come from, as the session recorded it (a Slack thread); null for
   * sessions started with curl. Tools that read a place use this, never a place parsed from the key.
   */
  readonly origin: { readonly team: string; readonly channel: string; readonly threadTs: string } | null;
  /** Aborts when the run's attempt ends (interrupted, stopped): pass it to any request the tool makes. */
  readonly signal: AbortSignal;
  /**
   * The call's id, the same on every retry: a tool with an effect marks what it leaves with it (a post's
   * metadata), so that a retry finds its earlier try and an undo finds the effect.
   */
  readonly callId: string;
  /** Who approved this call (a Slack user id), for a tool whose approval was asked; null otherwise. */
  readonly approvedBy: string | null;
  /**
   * For a tool with an undo: whether an earlier try of this step may have done its effect (a crash, a
   * dropped connection), so it should look for its own traces first; false on the first try, which need
   * not look. And since when (epoch ms, journaled before the first try): where to start looking.
   */
  readonly mayHaveRun: boolean;
  readonly since: number | null;
}

/**
 * What an undo gets: the effect's result as journaled, or null when its step began but never recorded one
 * (then `since` says from when to look for it).
 */
export interface AppliedEffect {
  readonly result: unknown | null;
  readonly since: number | null;
}

/** A tool's rule for asking first. */
export interface ApprovalRule<Input> {
  /** Always (true), or decided from the call's input (run once, as a durable step). */
  readonly required: boolean | ((input: Input, ctx: ToolContext) => boolean | Promise<boolean>);
  /** What the card says the agent wants to do, in one line ("Post a message in #general"). */
  describe?(input: Input): string;
}

export interface AgentTool<Input = unknown> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: z.ZodType<Input>;
  /** Returns JSON-serialisable data for the model. */
  execute(input: Input, ctx: ToolContext): Promise<unknown> | unknown;
  /** Ask a person before each call (or those the rule picks); a denial reaches the model as the result. */
  readonly approval?: ApprovalRule<Input>;
  /**
   * Takes the effect back. Registered before the effect's step runs, so an effect is never lost to a crash
   * or a cancel; run at most once, by a person's Undo (or `UNDO_ON_INTERRUPT`). "Already gone" counts as
   * undone: return normally. Throw a `TerminalError` for a failure that a retry cannot mend. An effect whose
   * step never recorded a result is undone only `EFFECT_LANDING_GRACE_MS` after the run ended, so a request
   * still on its way lands first: keep each request of `execute` shorter than that, and honour its signal.
   */
  undo?(input: Input, effect: AppliedEffect, ctx: ToolContext): Promise<"undone" | "nothing_to_undo">;
}

/** Declares a tool with its input type inferred from the schema. */
export function defineTool<Input>(tool: AgentTool<Input>): AgentTool {
  return tool as AgentTool;
}

export const currentTimeTool = defineTool({
  name: "current_time",
  description:
    "The current date and time. Give an IANA time zone (such as Europe/Berlin) to get the local time there; UTC otherwise.",
  inputSchema: z.object({
    timeZone: z.string().optional().describe("IANA time zone name, e.g. America/New_York"),
  }),
  execute: ({ timeZone }) => {
    const now = new Date();
    const zone = timeZone ?? "UTC";
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      dateStyle: "full",
      timeStyle: "long",
    }).format(now);
    return { iso: now.toISOString(), timeZone: zone, local };
  },
});
