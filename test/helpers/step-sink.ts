/**
 * The outside observer and gate keeper of the scripted agent. Every execution of a scripted agent step
 * (and, when asked, every start of a run's handler) is an HTTP request to this server, so executions are
 * counted outside the process under test. A test can hold the next matching request (the step is then
 * "in flight" for as long as the test wants) and release it with the reply of its choice.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HistoryItem } from "../../src/agent/agent.ts";
import { readBody } from "../../src/slack-emulator/http-io.ts";
import { waitFor } from "./wait.ts";

export type CallKind = "step" | "run-start";

export interface SinkCall {
  readonly kind: CallKind;
  readonly sessionKey: string;
  readonly runId: string;
  readonly iteration: number;
  readonly history: readonly HistoryItem[];
  /** Which execution of this (kind, run, iteration) this is: 1 the first time, 2 after a retry. */
  readonly attempt: number;
}

export interface StepReply {
  readonly output: string;
  readonly done: boolean;
  /** Durable sleep after the step. */
  readonly sleepMs?: number;
  /** Ends the run as failed (the step throws a TerminalError with this message). */
  readonly fail?: string;
  /** After the step, the agent calls this tool of the product (approval and undo as the product does them). */
  readonly tool?: { readonly name: string; readonly input: unknown };
}

export interface HeldCall {
  /** Resolves when a matching request arrives; it is then held until `release`. */
  readonly arrived: Promise<SinkCall>;
  release(reply?: StepReply): void;
}

interface Hold {
  readonly match: (call: SinkCall) => boolean;
  claimed: boolean;
  arrive: (call: SinkCall) => void;
  response?: ServerResponse;
  pendingReply?: StepReply;
}

const HOLD_TIMEOUT_MS = 30_000;

/** Matches the agent step of iteration `iteration` of a session's runs (of one run, given its id). */
export const stepOf =
  (sessionKey: string, iteration: number, runId?: string) =>
  (call: SinkCall): boolean =>
    call.kind === "step" &&
    call.sessionKey === sessionKey &&
    call.iteration === iteration &&
    (runId === undefined || call.runId === runId);

export type DefaultReply = (call: SinkCall) => StepReply;

export interface StepSink {
  readonly url: string;
  readonly calls: readonly SinkCall[];
  /** Replies to every request no hold claims; by default "done" at iteration 1. */
  setDefaultReply(reply: DefaultReply): void;
  hold(match: (call: SinkCall) => boolean): HeldCall;
  waitForCall(match: (call: SinkCall) => boolean, what: string): Promise<SinkCall>;
  executions(match: (call: SinkCall) => boolean): number;
  close(): Promise<void>;
}

export async function startStepSink(): Promise<StepSink> {
  const calls: SinkCall[] = [];
  const holds: Hold[] = [];
  let defaultReply: DefaultReply = () => ({ output: "Done", done: true });

  const server = createServer(async (request, response) => {
    const kind = request.url?.slice(1) as CallKind;
    const payload = JSON.parse(await readBody(request)) as Omit<SinkCall, "attempt" | "kind">;
    const attempt =
      calls.filter((c) => c.kind === kind && c.runId === payload.runId && c.iteration === payload.iteration)
        .length + 1;
    const call: SinkCall = { ...payload, kind, attempt };
    calls.push(call);
    const hold = holds.find((h) => !h.claimed && h.match(call));
    if (!hold) {
      response.end(JSON.stringify(defaultReply(call)));
      return;
    }
    hold.claimed = true;
    hold.response = response;
    hold.arrive(call);
    if (hold.pendingReply) response.end(JSON.stringify(hold.pendingReply));
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setDefaultReply(reply) {
      defaultReply = reply;
    },
    hold(match) {
      let arrive!: (call: SinkCall) => void;
      const arrived = new Promise<SinkCall>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("Timed out waiting for a held call to arrive")),
          HOLD_TIMEOUT_MS,
        );
        arrive = (call) => {
          clearTimeout(timer);
          resolve(call);
        };
      });
      // A test that never awaits `arrived` must not fail on its timeout.
      arrived.catch(() => {});
      const hold: Hold = { match, claimed: false, arrive };
      holds.push(hold);
      return {
        arrived,
        release(reply) {
          const chosen = reply ?? { output: "Done", done: true };
          if (hold.response) {
            if (!hold.response.writableEnded && !hold.response.destroyed)
              hold.response.end(JSON.stringify(chosen));
          } else {
            hold.pendingReply = chosen;
          }
        },
      };
    },
    waitForCall(match, what) {
      return waitFor(() => calls.find(match), { what });
    },
    executions(match) {
      return calls.filter(match).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const hold of holds) if (hold.response && !hold.response.writableEnded) hold.response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
