/** The emulator's default workspace, as tests name it: its three people and the bot (workspace.ts). */
export const ALICE = "U0ALICE01";
export const BOB = "U0BOB0002";
export const CAROL = "U0CAROL03";
export const BOT = "U0AGENT01";
