/**
 * The one logger of the process (pino): pretty in a terminal, JSON lines otherwise. The Restate SDK's
 * logs are routed into it with the invocation's target and id, so one stream carries everything.
 */
import { inspect } from "node:util";
import * as restate from "@restatedev/restate-sdk";
import { type DestinationStream, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import type { LogFormat } from "./config.ts";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly level: string;
  readonly format: LogFormat;
  /** Where lines go; standard output by default. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.format === "pretty"
      ? pretty({
          colorize: process.stdout.isTTY === true,
          translateTime: "HH:MM:ss.l",
          ignore: "pid,hostname,target,invocationId",
          messageFormat: "{if target}[{target}] {end}{msg}",
          destination: options.destination ?? 1,
          sync: true,
        })
      : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino({ level: options.level, base: null }, destination);
}

/** Routes the SDK's logs into `logger`. `ctx.console` in handlers ends up here, and is silent on replay. */
export function restateLogTransport(logger: Logger): restate.LoggerTransport {
  return (meta, message, ...params) => {
    if (meta.replaying) return;
    // The SDK announces every invocation start and end at info: useful when debugging, noise otherwise.
    // A cancelled run (interrupt, stop) is an expected outcome, not a warning.
    // (LogSource and RestateLogLevel are declared enums without a runtime value: compare their strings.)
    const fromUserCode = String(meta.source) === "USER";
    const cancelled = params.some((part) => part instanceof restate.CancelledError);
    let level: "trace" | "debug" | "info" | "warn" | "error" = meta.level;
    if (!fromUserCode && level === "info") level = "debug";
    if (cancelled && level === "warn") level = "info";
    const fields: Record<string, unknown> = {};
    if (meta.context) {
      fields.target = meta.context.invocationTarget;
      fields.invocationId = meta.context.invocationId;
    }
    const parts: string[] = [];
    for (const part of [message, ...params]) {
      if (part instanceof restate.TerminalError) {
        // A refused request (bad input, full queue): its message says it all, a stack would only be noise.
        parts.push(`${part.message} (code ${part.code})`);
      } else if (part instanceof Error) {
        fields.err = part;
        parts.push(part.message);
      } else {
        parts.push(
          typeof part === "string"
            ? part
            : inspect(part, { depth: 4, breakLength: Number.POSITIVE_INFINITY }),
        );
      }
    }
    logger[level](fields, parts.join(" "));
  };
}
