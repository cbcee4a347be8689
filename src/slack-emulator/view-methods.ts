/**
 * views.publish (a person's Home), views.open (a modal, with a trigger id that works once and for three
 * seconds) and views.update (an open modal or a Home, by view id, `hash_conflict` on a stale hash).
 * A view Slack would refuse is answered `invalid_arguments`, as views.* do.
 */
import { validateView } from "./block-kit.ts";
import {
  type Args,
  blockKit,
  type Json,
  json,
  type MethodContext,
  SlackApiError,
  str,
} from "./method-kit.ts";
import type { EmView } from "./workspace.ts";

/** A stored view as Slack's views.* methods answer it: `{ view: ... }`, with the app and team it belongs to. */
function viewAnswer(ctx: MethodContext, stored: EmView): Json {
  const { workspace } = ctx;
  return {
    view: {
      id: stored.id,
      ...stored.view,
      hash: stored.hash,
      root_view_id: stored.rootViewId,
      state: { values: {} },
      team_id: workspace.team.id,
      app_id: workspace.bot.appId,
      bot_id: workspace.bot.botId,
    },
  };
}

export function publishView(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const user = str(args, "user_id");
  if (!workspace.users.has(user)) throw new SlackApiError("user_not_found");
  const view = blockKit(() => validateView(json(args, "view")));
  if (view.type !== "home") throw new SlackApiError("invalid_arguments", "views.publish takes a home view");
  const previous = workspace.homes.get(user);
  const id = previous?.id ?? workspace.nextId("V");
  const stored: EmView = { id, user, view, hash: workspace.nextId("H"), rootViewId: id };
  workspace.homes.set(user, stored);
  ctx.onChange("home", { user, view_id: id });
  return viewAnswer(ctx, stored);
}

export function openView(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const triggerId = str(args, "trigger_id");
  const trigger = workspace.triggers.get(triggerId);
  if (!trigger) throw new SlackApiError("invalid_trigger_id");
  workspace.triggers.delete(triggerId);
  if (trigger.expiresAt < Date.now()) throw new SlackApiError("expired_trigger_id");
  const view = blockKit(() => validateView(json(args, "view")));
  if (view.type !== "modal") throw new SlackApiError("invalid_arguments", "views.open takes a modal");
  const id = workspace.nextId("V");
  const stored: EmView = { id, user: trigger.user, view, hash: workspace.nextId("H"), rootViewId: id };
  workspace.modals.set(id, stored);
  ctx.onChange("modal", { user: trigger.user, view_id: id, opened: true });
  return viewAnswer(ctx, stored);
}

export function updateView(ctx: MethodContext, args: Args): Json {
  const { workspace } = ctx;
  const viewId = str(args, "view_id");
  const modal = workspace.modals.get(viewId);
  const home = modal ? undefined : [...workspace.homes.values()].find((h) => h.id === viewId);
  const previous = modal ?? home;
  if (!previous) throw new SlackApiError("not_found");
  const hash = str(args, "hash", false);
  if (hash && hash !== previous.hash) throw new SlackApiError("hash_conflict");
  const view = blockKit(() => validateView(json(args, "view")));
  if (view.type !== previous.view.type)
    throw new SlackApiError("invalid_arguments", "views.update keeps the view's type");
  const stored: EmView = { ...previous, view, hash: workspace.nextId("H") };
  (modal ? workspace.modals : workspace.homes).set(modal ? viewId : previous.user, stored);
  ctx.onChange(modal ? "modal" : "home", {
    user: previous.user,
    view_id: viewId,
    ...(modal ? { opened: true } : {}),
  });
  return viewAnswer(ctx, stored);
}
