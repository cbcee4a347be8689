/** A logger for code under test: silent unless TEST_LOG=1, then JSON lines on stderr. */
import { pino } from "pino";
import type { Logger } from "../../src/logger.ts";

export function testLogger(): Logger {
  return process.env.TEST_LOG === "1"
    ? pino({ level: "debug", base: null }, pino.destination({ dest: 2, sync: true }))
    : pino({ level: "silent" });
}
