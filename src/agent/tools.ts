/**
 * Tools of the LLM agent. A tool is a name, a description and a zod schema for its input (what the model
 * sees), and `execute`, which the agent runs as a durable step: its result is journaled, so a tool never
 * runs twice for one call, also across crashes. To add a tool, write one of these and add it to the list
 * in `src/services.ts` (`createAgent`). Anything a tool throws goes back to the model as an error result.
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
}

export interface AgentTool<Input = unknown> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: z.ZodType<Input>;
  /** Returns JSON-serialisable data for the model. */
  execute(input: Input, ctx: ToolContext): Promise<unknown> | unknown;
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
