/**
 * What the playground needs to know of the app, read from manifest.yml as Slack reads it when the app is
 * created: its name, its slash commands, its message shortcuts, and its agent view (description and
 * suggested prompts, shown where Slack shows them: the split pane's conversation).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

const ManifestSchema = z.object({
  display_information: z.object({ name: z.string() }),
  features: z.object({
    bot_user: z.object({ display_name: z.string() }),
    agent_view: z
      .object({
        agent_description: z.string().max(300).optional(),
        suggested_prompts: z
          .array(z.object({ title: z.string(), message: z.string() }))
          .max(4)
          .default([]),
      })
      .optional(),
    shortcuts: z
      .array(
        z.object({
          name: z.string(),
          type: z.enum(["message", "global"]),
          callback_id: z.string(),
          description: z.string(),
        }),
      )
      .default([]),
    slash_commands: z
      .array(
        z.object({
          command: z.string().startsWith("/"),
          description: z.string(),
          usage_hint: z.string().optional(),
        }),
      )
      .default([]),
  }),
});

export interface AppManifest {
  readonly appName: string;
  readonly botName: string;
  readonly commands: readonly { command: string; description: string; usageHint: string }[];
  /** Message shortcuts (the ⋮ menu on a message). */
  readonly messageShortcuts: readonly { name: string; callbackId: string; description: string }[];
  /** Slack's agent view, when the app is declared as an agent. */
  readonly agentView: {
    readonly description: string;
    readonly suggestedPrompts: readonly { title: string; message: string }[];
  } | null;
}

export const MANIFEST_PATH = new URL("../../manifest.yml", import.meta.url).pathname;

export function readAppManifest(path: string = MANIFEST_PATH): AppManifest {
  const manifest = ManifestSchema.parse(parse(readFileSync(path, "utf8")));
  return {
    appName: manifest.display_information.name,
    botName: manifest.features.bot_user.display_name,
    commands: manifest.features.slash_commands.map((c) => ({
      command: c.command,
      description: c.description,
      usageHint: c.usage_hint ?? "",
    })),
    messageShortcuts: manifest.features.shortcuts
      .filter((s) => s.type === "message")
      .map((s) => ({ name: s.name, callbackId: s.callback_id, description: s.description })),
    agentView: manifest.features.agent_view
      ? {
          description: manifest.features.agent_view.agent_description ?? "",
          suggestedPrompts: manifest.features.agent_view.suggested_prompts,
        }
      : null,
  };
}
