/**
 * A Socket Mode receiver that acknowledges an envelope only after Bolt has processed it: Bolt's own acks
 * before any listener runs, which loses a message whose forward into Restate then fails. A failed forward
 * sends no ack, so Slack delivers the envelope again, as it does after an HTTP 500; other failures are
 * acknowledged (they would fail the same way every time). Transport only: the logic stays in the listeners.
 */
import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import { SocketModeClient } from "@slack/socket-mode";
import type { Logger as SlackLogger } from "@slack/web-api";
import { isDeliveryError } from "./delivery-error.ts";

interface SlackEventArgs {
  readonly ack: (response?: Record<string, unknown>) => Promise<void>;
  readonly envelope_id: string;
  readonly type: string;
  readonly body: Record<string, unknown>;
  readonly retry_num?: number;
  readonly retry_reason?: string;
}

export class AckAfterProcessingReceiver implements Receiver {
  readonly client: SocketModeClient;
  private app: App | undefined;
  private readonly logger: SlackLogger;

  constructor(options: { appToken: string; logger: SlackLogger; slackApiUrl: string }) {
    this.logger = options.logger;
    this.client = new SocketModeClient({
      appToken: options.appToken,
      logger: options.logger,
      clientOptions: { slackApiUrl: options.slackApiUrl },
    });
    this.client.on("slack_event", (args: SlackEventArgs) => {
      void this.handle(args);
    });
  }

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<unknown> {
    return this.client.start();
  }

  stop(): Promise<unknown> {
    return this.client.disconnect();
  }

  private async handle(args: SlackEventArgs): Promise<void> {
    let response: Record<string, unknown> | undefined;
    const event: ReceiverEvent = {
      body: args.body,
      ...(args.retry_num === undefined ? {} : { retryNum: args.retry_num }),
      ...(args.retry_reason === undefined ? {} : { retryReason: args.retry_reason }),
      ack: async (body?: Record<string, unknown>) => {
        response ??= body;
      },
    };
    try {
      await this.app?.processEvent(event);
    } catch (error) {
      if (isDeliveryError(error)) {
        this.logger.warn(
          `Not acknowledging envelope ${args.envelope_id} (${args.type}): Slack will send it again: ${(error as Error).message}`,
        );
        return;
      }
      // A payload we cannot process: a second delivery would fail the same way.
      this.logger.warn(
        `Acknowledging envelope ${args.envelope_id} (${args.type}) that failed: ${(error as Error).message}`,
      );
    }
    try {
      await args.ack(response);
    } catch (error) {
      this.logger.warn(`Could not acknowledge envelope ${args.envelope_id}: ${(error as Error).message}`);
    }
  }
}
