/** The emoji names the app uses (and a few common ones), as characters; others show as `:name:`. */
const EMOJI: Readonly<Record<string, string>> = {
  eyes: "👀",
  hourglass_flowing_sand: "⏳",
  hourglass: "⌛",
  raised_hand: "✋",
  fast_forward: "⏩",
  leftwards_arrow_with_hook: "↩️",
  twisted_rightwards_arrows: "🔀",
  black_square_for_stop: "⏹️",
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  x: "❌",
  warning: "⚠️",
  robot_face: "🤖",
  speech_balloon: "💬",
  gear: "⚙️",
  zap: "⚡",
  thumbsup: "👍",
  "+1": "👍",
  tada: "🎉",
  wave: "👋",
  pushpin: "📌",
  repeat: "🔁",
  arrow_right: "➡️",
  bulb: "💡",
  hammer_and_wrench: "🛠️",
  memo: "📝",
  inbox_tray: "📥",
  stopwatch: "⏱️",
  no_entry_sign: "🚫",
  information_source: "ℹ️",
};

export function emoji(name: string): string {
  return EMOJI[name] ?? `:${name}:`;
}

/** Replaces `:name:` in plain text with the emoji it names, when known. */
export function withEmoji(text: string): string {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}
