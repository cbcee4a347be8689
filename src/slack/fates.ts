/**
 * How a message's fate shows in Slack: one reaction on the user's message, replaced as the fate changes.
 */
import type { Fate } from "../restate/session-effects.ts";

export const FATE_REACTIONS: Readonly<Record<Fate, string>> = {
  running: "eyes",
  waiting: "raised_hand",
  queued: "hourglass_flowing_sand",
  incorporated: "twisted_rightwards_arrows",
  stopped: "black_square_for_stop",
  done: "white_check_mark",
  failed: "x",
};
