// Coalesces bursts of events into one call: `fire` runs once the requests
// have been quiet for `quietMs`, and never later than `maxDelayMs` after the
// first request of the burst, so a steady stream cannot postpone it forever.

export class Coalescer {
  private timer: NodeJS.Timeout | undefined;
  private burstStarted = 0;

  constructor(
    private readonly quietMs: number,
    private readonly maxDelayMs: number,
    private readonly fire: () => void,
  ) {}

  request(): void {
    const now = Date.now();
    if (this.timer === undefined) this.burstStarted = now;
    else clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.quietMs, this.burstStarted + this.maxDelayMs - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
