// What SIGTERM, SIGINT and SIGHUP do, from the first moment Portero runs.
//
// The handlers are installed before anything slow (HAProxy check, default
// certificate), because until then Node's default action for these signals is
// to die at once. Stopping goes in steps, one per SIGTERM or SIGINT:
//
//   1st  shutdown begins: the `onBegin` actions run at once, inside the
//        handler (the data plane must know before HAProxy's exit is seen);
//        readiness fails, HAProxy serves through the grace period, then
//        finishes the requests in flight (bounded by --hard-stop-after).
//   2nd  the grace period ends now; requests in flight still finish. People
//        press Ctrl-C twice, and a supervisor may repeat its signal: neither
//        should cut requests.
//   3rd  HAProxy is killed and Portero exits with code 1.
//
// SIGHUP reloads HAProxy once Portero is ready. Before that it is logged and
// ignored: the first configuration is made from the current objects anyway.

import type { Logger } from '../telemetry/log.js';

export class Shutdown {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly requested: Promise<NodeJS.Signals>;
  /** Resolves with the second: the grace period ends early. */
  readonly hurried: Promise<void>;
  private signals = 0;
  private readonly beginActions: (() => void)[] = [];
  private resolveRequested!: (signal: NodeJS.Signals) => void;
  private resolveHurried!: () => void;
  private reloadAction: (() => void) | undefined;
  private forceAction: (() => Promise<void>) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {
    this.requested = new Promise((resolve) => (this.resolveRequested = resolve));
    this.hurried = new Promise((resolve) => (this.resolveHurried = resolve));
    process.on('SIGTERM', this.onStopSignal);
    process.on('SIGINT', this.onStopSignal);
    process.on('SIGHUP', this.onHangup);
  }

  get started(): boolean {
    return this.signals > 0;
  }

  /** Runs `action` inside the first stop signal's handler, or now if shutdown has begun. */
  onBegin(action: () => void): void {
    if (this.started) action();
    else this.beginActions.push(action);
  }

  /** What SIGHUP does from now on (once Portero is ready). */
  onReload(action: () => void): void {
    this.reloadAction = action;
  }

  /** Stops HAProxy at once; run on the third stop signal, before exiting with code 1. */
  onForce(action: () => Promise<void>): void {
    this.forceAction = action;
  }

  private readonly onStopSignal = (signal: NodeJS.Signals): void => {
    this.signals += 1;
    if (this.signals === 1) {
      for (const action of this.beginActions) {
        try {
          action();
        } catch (error) {
          this.log.error({ err: (error as Error).message }, 'a shutdown step failed');
        }
      }
      this.log.info({ signal }, 'stopping: HAProxy finishes its connections, then Portero exits (a second signal ends the grace period early, a third stops HAProxy at once)');
      this.resolveRequested(signal);
    } else if (this.signals === 2) {
      this.log.info({ signal }, 'second signal: the grace period ends now; HAProxy still finishes the requests in flight (a third signal stops it at once)');
      this.resolveHurried();
    } else if (this.signals === 3) {
      this.log.warn({ signal }, 'third signal: stopping HAProxy at once; requests in flight are cut');
      const force = this.forceAction?.() ?? Promise.resolve();
      void force
        .catch((error: Error) => this.log.error({ err: error.message }, 'stopping HAProxy failed'))
        .finally(() => this.exit(1));
    }
  };

  private readonly onHangup = (): void => {
    if (this.started) {
      this.log.info('SIGHUP during shutdown: ignored');
    } else if (this.reloadAction) {
      this.log.info('SIGHUP: reloading HAProxy with the current configuration');
      this.reloadAction();
    } else {
      this.log.info('SIGHUP before Portero is ready: ignored (the first configuration is made from the current objects)');
    }
  };
}
