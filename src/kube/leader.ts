// Leader election with a coordination.k8s.io/v1 Lease, as client-go does it:
// optimistic concurrency through resourceVersion, and expiry judged on the
// local clock (the time this replica last saw the record change), so clock
// skew between nodes does not matter. Lease 15 s, renew deadline 10 s, retry
// every 2 s. A leader that cannot renew within the deadline, or that sees
// another holder, stops leading at once; on shutdown it releases the Lease
// so that another replica takes over without waiting for expiry.

import type { Logger } from '../telemetry/log.js';
import { ApiError, type KubeClient } from './client.js';

export interface LeaderOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** MicroTime: RFC 3339 with six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private observedRecord = '';
  private observedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy: Promise<void> = Promise.resolve();
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(private readonly options: LeaderOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  /** True only while this replica holds a Lease it renewed within the renew deadline. */
  isLeader(): boolean {
    if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) this.loseLeadership('the lease could not be renewed in time');
    return this.leading;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.busy = this.attempt().finally(() => {
        if (this.stopped) return;
        // client-go's JitterFactor of 1.2 for candidates; leaders renew every retry period.
        const wait = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 1.2);
        this.timer = setTimeout(tick, wait);
      });
    };
    tick();
  }

  private loseLeadership(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.options.log.warn({ lease: `${this.options.namespace}/${this.options.name}`, reason }, 'stopped leading');
    this.options.onStoppedLeading?.();
  }

  private async attempt(): Promise<void> {
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.options.log.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity }, 'started leading');
          this.options.onStartedLeading?.();
        }
      } else {
        this.loseLeadership('another replica holds the lease');
      }
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'leader election: cannot reach the lease');
      this.isLeader();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, name, identity } = this.options;
    const now = new Date();
    const fresh: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let lease: Record<string, any>;
    try {
      lease = await client.request('GET', `${this.path}/${name}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      try {
        await client.request('POST', this.path, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: this.options.namespace }, spec: fresh } });
        return true;
      } catch (createError) {
        if (createError instanceof ApiError && createError.status === 409) return false;
        throw createError;
      }
    }
    const spec: LeaseSpec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== identity && this.observedAt + durationMs > Date.now()) return false;
    const renewing = holder === identity;
    const next: LeaseSpec = {
      ...fresh,
      acquireTime: renewing && spec.acquireTime ? spec.acquireTime : fresh.acquireTime,
      leaseTransitions: renewing ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await client.request('PUT', `${this.path}/${name}`, { body: { ...lease, spec: next } });
      this.observedRecord = JSON.stringify((updated as { spec?: LeaseSpec }).spec ?? next);
      this.observedAt = Date.now();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return false;
      throw error;
    }
  }

  /** Stops competing; a leader releases the Lease so another replica can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.busy;
    if (!this.leading) return;
    this.leading = false;
    this.options.onStoppedLeading?.();
    try {
      const lease = await this.options.client.request('GET', `${this.path}/${this.options.name}`);
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(new Date());
      await this.options.client.request('PUT', `${this.path}/${this.options.name}`, {
        body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
      });
      this.options.log.info({ lease: `${this.options.namespace}/${this.options.name}` }, 'released the lease');
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'could not release the lease; it expires by itself');
    }
  }
}
