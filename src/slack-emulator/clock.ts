/**
 * The emulator's clock for limits that last minutes (a response_url's 30 minutes, a once-a-minute rate
 * limit): the wall clock plus an offset a test can move forward, so such a limit is tested without
 * waiting. Short pacing (posts a second apart, trigger ids) stays on the wall clock.
 */
export class EmulatorClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the emulator's time forward (never back). */
  advance(ms: number): void {
    if (ms < 0) throw new Error("the emulator's clock only moves forward");
    this.offsetMs += ms;
  }
}
