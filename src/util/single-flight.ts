// Runs a piece of work one at a time: a request while it runs makes it run
// once more afterwards (however many requests came), so every request is
// followed by a complete run and no two runs overlap.

export class SingleFlight {
  private running = false;
  private again = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.done = (async () => {
      try {
        do {
          this.again = false;
          try {
            await this.work();
          } catch (error) {
            this.onError(error);
          }
        } while (this.again);
      } finally {
        this.running = false;
      }
    })();
  }

  /** Resolves once the runs requested so far are done. */
  idle(): Promise<void> {
    return this.done;
  }
}
