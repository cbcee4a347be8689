/**
 * The playground's page on the emulator's own port: the page itself (plain TypeScript, served with its
 * types stripped: no build step, nothing from the internet), the workspace as one person sees it, a stream
 * of changes (server-sent events), and what the person does, turned by the emulator into the requests
 * Slack would send the app. It binds loopback and has no login, so it refuses requests that do not come
 * from its own page (Host and Origin checked, JSON only).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";

import { extname, join, normalize } from "node:path";
import { transformSync } from "amaro";
import { z } from "zod";
import type { AppAnswer, SlackEmulator } from "../slack-emulator/emulator.ts";
import type { People } from "../slack-emulator/people.ts";
import type { WorkspaceSide } from "../slack-emulator/web-api-server.ts";
import type { EmMessage } from "../slack-emulator/workspace.ts";
import type { AppManifest } from "./app-manifest.ts";
import type {
  ActionResult,
  EphemeralView,
  MessageView,
  PlaygroundAction,
  PlaygroundSnapshot,
} from "./web/protocol.ts";

const WEB_DIR = new URL("./web/", import.meta.url).pathname;
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};
/** Largest action body the page sends. */
const MAX_BODY = 64 * 1024;

const ActionSchema: z.ZodType<PlaygroundAction> = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("post"),
    channel: z.string(),
    text: z.string().min(1).max(40_000),
    threadTs: z.string().optional(),
  }),
  z.object({
    type: z.literal("command"),
    channel: z.string(),
    command: z.string().startsWith("/"),
    text: z.string().max(4000),
    threadTs: z.string().optional(),
  }),
  z.object({ type: z.literal("open_home") }),
  z.object({
    type: z.literal("interact"),
    on: z.union([z.object({ home: z.literal(true) }), z.object({ channel: z.string(), ts: z.string() })]),
    actionId: z.string(),
    option: z.string().optional(),
  }),
  z.object({ type: z.literal("shortcut"), channel: z.string(), ts: z.string(), callbackId: z.string() }),
  z.object({
    type: z.literal("submit"),
    viewId: z.string(),
    values: z.record(z.string(), z.record(z.string(), z.string())),
  }),
  z.object({ type: z.literal("stop_agent"), channel: z.string(), threadTs: z.string() }),
  z.object({ type: z.literal("view_channel"), channel: z.string() }),
  z.object({ type: z.literal("close_modal"), viewId: z.string() }),
  z.object({ type: z.literal("dismiss"), ts: z.string() }),
]) as z.ZodType<PlaygroundAction>;

const RequestSchema = z.object({ user: z.string(), team: z.string().optional(), action: ActionSchema });

export interface PlaygroundServer {
  /** Ends the open event streams (the emulator closes the server). */
  close(): void;
}

export interface PlaygroundOptions {
  readonly emulator: SlackEmulator;
  readonly manifest: AppManifest;
  /** Where the Restate UI is, linked from the page. */
  readonly restateUiUrl: string | null;
}

class BadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest("request too large", 413);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BadRequest("malformed JSON");
  }
}

export function attachPlayground(options: PlaygroundOptions): PlaygroundServer {
  const { emulator, manifest } = options;
  const instance = randomUUID();
  const startedAt = new Date().toISOString();
  const streams = new Set<ServerResponse>();
  const assets = new Map<string, { type: string; body: string }>();

  const onChange = (change: { kind: string }) => {
    for (const stream of streams)
      stream.write(`event: change\ndata: ${JSON.stringify({ kind: change.kind })}\n\n`);
  };
  emulator.on("change", onChange);
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(": still here\n\n");
  }, 15_000);
  heartbeat.unref();

  /** One workspace of the playground as its people see it and act in it. */
  function workspaceView({ workspace, people }: WorkspaceSide & { people: People }) {
    const humans = () => [...workspace.users.values()].filter((u) => !u.isBot);

    function assertPerson(user: string): void {
      const person = workspace.users.get(user);
      if (!person || person.isBot) throw new BadRequest(`no person ${user} in this workspace`);
    }

    function agentSessionView(message: EmMessage): MessageView["agentSession"] {
      const session = workspace.agentSession(message.channel, message.ts);
      return session ? { status: session.status, title: session.title } : null;
    }

    function messageView(message: EmMessage): MessageView {
      return {
        ts: message.ts,
        channel: message.channel,
        permalink: workspace.permalink(message.channel, message.ts),
        user: message.user ?? (message.botId ? workspace.bot.userId : null),
        text: message.text,
        blocks: message.blocks ?? null,
        threadTs: message.threadTs && message.threadTs !== message.ts ? message.threadTs : null,
        replyCount: message.replies.length,
        reactions: [...message.reactions.entries()]
          .filter(([, users]) => users.size > 0)
          .map(([name, users]) => ({ name, count: users.size, byBot: users.has(workspace.bot.userId) })),
        edited: message.edited !== undefined,
        files: (message.files ?? []).map((file) => file.name),
        broadcast: message.subtype === "thread_broadcast",
        deleted: message.subtype === "tombstone",
        agentSession: agentSessionView(message),
      };
    }

    function snapshot(user: string): PlaygroundSnapshot {
      assertPerson(user);
      workspace.directMessageWith(user);
      const channels = [...workspace.channels.values()].filter((c) => c.members.has(user));
      const ephemerals: EphemeralView[] = workspace.ephemerals
        .filter((e) => e.user === user)
        .map((e) => ({
          ts: e.ts,
          channel: e.channel,
          threadTs: e.threadTs ?? null,
          text: e.text,
          blocks: e.blocks ?? null,
        }));
      const home = workspace.homes.get(user);
      const modal = people.modalOf(user);
      return {
        instance,
        startedAt,
        team: workspace.team,
        workspaces: emulator.workspaceSides.map((side) => ({
          id: side.workspace.team.id,
          name: side.workspace.team.name,
        })),
        me: user,
        people: humans(),
        bot: { userId: workspace.bot.userId, name: manifest.botName, appName: manifest.appName },
        restateUiUrl: options.restateUiUrl,
        channels: channels.map((c) => ({
          id: c.id,
          name: c.kind === "im" ? manifest.appName : c.name,
          kind: c.kind,
        })),
        messages: Object.fromEntries(
          channels.map((c) => [c.id, (workspace.messages.get(c.id) ?? []).map(messageView)]),
        ),
        ephemerals,
        home: home ? { viewId: home.id, view: home.view } : null,
        modal: modal ? { viewId: modal.id, view: modal.view } : null,
        commands: manifest.commands,
        messageShortcuts: manifest.messageShortcuts,
        agentView: manifest.agentView,
      };
    }

    /** The app's answer, as the person would notice it: Slack shows a failed request as an error. */
    function fromAnswer(answer: AppAnswer): ActionResult {
      if (answer.status === 200 || answer.acked) return { ok: true };
      return {
        ok: false,
        error: `The app did not accept this (HTTP ${answer.status}). Slack would try again.`,
      };
    }

    async function act(user: string, action: PlaygroundAction): Promise<ActionResult> {
      assertPerson(user);
      switch (action.type) {
        case "post": {
          const { answers } = await people.posts({
            user,
            channel: action.channel,
            text: action.text,
            ...(action.threadTs ? { threadTs: action.threadTs } : {}),
          });
          const failed = answers.find((a) => a.status !== 200);
          return failed ? fromAnswer(failed) : { ok: true };
        }
        case "command": {
          const known = manifest.commands.some((c) => c.command === action.command);
          if (!known) return { ok: false, error: `${action.command} is not a valid command.` };
          const answer = await people.slashCommand({
            user,
            channel: action.channel,
            command: action.command,
            text: action.text,
            ...(action.threadTs ? { threadTs: action.threadTs } : {}),
          });
          if (answer.refusedByClient) return { ok: true, notice: answer.refusedByClient };
          return fromAnswer(answer);
        }
        case "open_home":
          return fromAnswer(await people.openHome(user));
        case "interact":
          return fromAnswer(
            await people.interact({
              user,
              on: action.on,
              actionId: action.actionId,
              ...(action.option === undefined ? {} : { option: action.option }),
            }),
          );
        case "shortcut":
          return fromAnswer(
            await people.messageShortcut({
              user,
              channel: action.channel,
              ts: action.ts,
              callbackId: action.callbackId,
            }),
          );
        case "submit": {
          const answer = await people.submitModal({ user, viewId: action.viewId, values: action.values });
          const body = answer.body as { response_action?: string; errors?: Record<string, string> } | null;
          if (answer.status === 200 && body?.response_action === "errors") {
            return { ok: false, error: "Check the form.", errors: body.errors ?? {} };
          }
          return fromAnswer(answer);
        }
        case "view_channel":
          // Slack's agent view tells an agent app what the person has open; only a channel they are in.
          if (!workspace.channel(action.channel)?.members.has(user))
            return { ok: false, error: "No such channel." };
          return fromAnswer(await people.viewsChannel(user, action.channel));
        case "stop_agent": {
          // Slack shows the button only while the session is processing: a late click finds none.
          const session = workspace.agentSession(action.channel, action.threadTs);
          if (session?.status !== "processing")
            return { ok: false, error: "The agent is no longer working on this thread." };
          return fromAnswer(await people.pressStop(user, action.channel, action.threadTs));
        }
        case "close_modal":
          people.closeModal(user, action.viewId);
          return { ok: true };
        case "dismiss":
          people.dismissEphemeral(user, action.ts);
          return { ok: true };
      }
    }

    return { snapshot, act, humans };
  }

  /** The workspace a request names (`team`), or the first. */
  const viewOf = (team: string | null | undefined) =>
    workspaceView(
      emulator.workspaceSides.find((side) => side.workspace.team.id === team) ??
        (emulator.workspaceSides[0] as WorkspaceSide & { people: People }),
    );

  async function asset(name: string): Promise<{ type: string; body: string } | undefined> {
    const cached = assets.get(name);
    if (cached) return cached;
    const path = normalize(join(WEB_DIR, name));
    const type = CONTENT_TYPES[extname(path)];
    if (!path.startsWith(WEB_DIR) || !type) return undefined;
    let source: string;
    try {
      source = await readFile(path, "utf8");
    } catch {
      return undefined;
    }
    // Type stripping only (what Node does to run .ts): the page's TypeScript is plain JavaScript after it.
    const body = path.endsWith(".ts") ? transformSync(source, { mode: "strip-only" }).code : source;
    const loaded = { type, body };
    assets.set(name, loaded);
    return loaded;
  }

  /** Only the page itself may use the playground: a request from another site (or a rebound name) may not. */
  function assertSameOrigin(request: IncomingMessage): void {
    const host = request.headers.host ?? "";
    const local = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
    if (!local)
      throw new BadRequest(`the playground answers only at 127.0.0.1 or localhost, not ${host}`, 403);
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      throw new BadRequest("requests from other sites are refused", 403);
  }

  async function handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    assertSameOrigin(request);
    if (request.method === "GET" && (url.pathname === "/" || url.pathname === "/index.html")) {
      const page = await asset("index.html");
      response.writeHead(200, { "content-type": page?.type ?? "text/html", "cache-control": "no-store" });
      response.end(page?.body ?? "");
      return;
    }
    if (request.method === "GET" && url.pathname.startsWith("/assets/")) {
      const found = await asset(decodeURIComponent(url.pathname.slice("/assets/".length)));
      if (!found) return sendJson(response, 404, { ok: false, error: "not_found" });
      response.writeHead(200, { "content-type": found.type, "cache-control": "no-cache" });
      response.end(found.body);
      return;
    }
    if (request.method === "GET" && url.pathname === "/playground/state") {
      const view = viewOf(url.searchParams.get("team"));
      sendJson(response, 200, view.snapshot(url.searchParams.get("user") ?? view.humans()[0]?.id ?? ""));
      return;
    }
    if (request.method === "GET" && url.pathname === "/playground/events") {
      response.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      response.write(`event: hello\ndata: ${JSON.stringify({ instance })}\n\n`);
      streams.add(response);
      request.on("close", () => streams.delete(response));
      return;
    }
    if (request.method === "POST" && url.pathname === "/playground/actions") {
      if (!(request.headers["content-type"] ?? "").startsWith("application/json"))
        throw new BadRequest("send JSON (content-type: application/json)", 415);
      const parsed = RequestSchema.safeParse(await readJson(request));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new BadRequest(`bad action: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim());
      }
      let result: ActionResult;
      try {
        result = await viewOf(parsed.data.team).act(parsed.data.user, parsed.data.action);
      } catch (error) {
        if (error instanceof BadRequest) throw error;
        // What the emulator refuses (a channel the person is not in, a control that is gone) is the person's mistake.
        throw new BadRequest((error as Error).message);
      }
      sendJson(response, 200, result);
      return;
    }
    sendJson(response, 404, { ok: false, error: "not_found" });
  }

  emulator.on("request", (request: IncomingMessage, response: ServerResponse, url: URL) => {
    handle(request, response, url).catch((error: unknown) => {
      const status = error instanceof BadRequest ? error.status : 500;
      if (!response.headersSent) sendJson(response, status, { ok: false, error: (error as Error).message });
      else response.end();
    });
  });

  return {
    close() {
      clearInterval(heartbeat);
      emulator.off("change", onChange);
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}
