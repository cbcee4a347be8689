/**
 * Errors that end start-up with a message meant for the person running the product: what went wrong,
 * which setting or port it concerns, and what to do. `main.ts` prints the message without a stack.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StartupError";
  }
}
