/**
 * UserHome: one virtual object per person (`<team>:<user>`) that knows the sessions they are in and keeps
 * their App Home current. Changes are gathered for a short while (debounce) and published with one
 * `views.publish`; opening the Home publishes at once. The statuses are read from the sessions themselves
 * at publish time, so the Home never shows a stale copy. A failed publish is logged, never retried forever.
 */
import * as restate from "@restatedev/restate-sdk";
import type { WebClient } from "@slack/web-api";
import type { SessionStatus } from "../../restate/chat-service.ts";
import { ChatServiceRef } from "../../restate/contracts.ts";
import { buildHomeView } from "../views/home-view.ts";
import { bestEffort, slackStep } from "../web-api.ts";
import { USER_HOME, UserHomeRef } from "./contracts.ts";

type HomeState = {
  /** Session keys, most recently changed first. */
  sessions: string[];
  publishScheduled: boolean;
};
type HomeContext = restate.ObjectContext<HomeState>;

/** Sessions remembered per person; the Home shows as many of them as fit. */
const SESSIONS_REMEMBERED = 50;
/** Sessions whose status is read for one publish. */
const SESSIONS_READ = 25;

export function createUserHome(options: {
  client: WebClient;
  debounceMs: number;
  journalRetentionMs: number;
}) {
  const { client } = options;

  async function publish(ctx: HomeContext): Promise<void> {
    const [, user] = ctx.key.split(":") as [string, string];
    const keys = ((await ctx.get("sessions")) ?? []).slice(0, SESSIONS_READ);
    const statuses: SessionStatus[] =
      keys.length === 0
        ? []
        : await restate.RestatePromise.all(
            keys.map((key) => ctx.objectClient(ChatServiceRef, key).get_status()),
          );
    const view = buildHomeView(statuses);
    await bestEffort(ctx, `publish the Home of ${user}`, () =>
      slackStep(
        ctx,
        "publish the Home",
        "views.publish",
        () => client.views.publish({ user_id: user, view }).then(() => true),
        {
          maxAttempts: 5,
        },
      ),
    );
  }

  return restate.object({
    name: USER_HOME,
    description: "A person's App Home: the sessions they are in, published when something changes.",
    options: { journalRetention: options.journalRetentionMs },
    handlers: {
      /** One of the person's sessions changed: publish soon (changes within the debounce time share one publish). */
      session_changed: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: HomeContext, { sessionKey }: { sessionKey: string }): Promise<void> => {
          const sessions = (await ctx.get("sessions")) ?? [];
          ctx.set(
            "sessions",
            [sessionKey, ...sessions.filter((key) => key !== sessionKey)].slice(0, SESSIONS_REMEMBERED),
          );
          if (await ctx.get("publishScheduled")) return;
          ctx.set("publishScheduled", true);
          ctx
            .objectSendClient(UserHomeRef, ctx.key)
            .publish(restate.rpc.sendOpts({ delay: options.debounceMs }));
        },
      ),

      publish: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: HomeContext): Promise<void> => {
          ctx.set("publishScheduled", false);
          await publish(ctx);
        },
      ),

      /** The person opened the Home tab (sent by the Slack adapter): publish now. */
      opened: async (ctx: HomeContext): Promise<void> => {
        await publish(ctx);
      },
    },
  });
}

export type UserHome = ReturnType<typeof createUserHome>;
