// Kubernetes Events (type Warning) on Ingresses with invalid or surprising
// parts, so that `kubectl describe ingress` shows what Portero found.
//
// Rate-limited as client-go's event correlator does: the same message on the
// same object within 10 minutes bumps the count of the existing Event (at
// most once a minute) instead of creating a new one, and a token bucket
// (burst 25, 5 per second) bounds the total. `record` says what became of
// each Event; the reporter logs one summary per pass, never a line per Event.

import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { describeRef, refOf, type Ingress } from '../objects/types.js';
import type { Logger } from '../telemetry/log.js';
import type { Diagnostic } from '../translate/diagnostics.js';

const AGGREGATE_WINDOW_MS = 10 * 60_000;
const MIN_UPDATE_INTERVAL_MS = 60_000;
const BURST = 25;
const REFILL_PER_SECOND = 5;
const MAX_MESSAGE = 1024;

interface Recorded {
  name: string;
  count: number;
  lastWrite: number;
}

export interface EventRecorderOptions {
  client: KubeClient;
  log: Logger;
  /** reportingController, e.g. portero.dev/ingress-controller. */
  component: string;
  /** reportingInstance: this replica. */
  instance: string;
}

export function eventReason(diagnostic: Diagnostic): string {
  return diagnostic.severity === 'error' ? 'InvalidIngress' : 'IngressWarning';
}

export function eventMessage(diagnostic: Diagnostic): string {
  const text = diagnostic.field ? `${diagnostic.field}: ${diagnostic.message}` : diagnostic.message;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

/** What `record` did: wrote a new Event, counted a repeat (in the API or in memory), dropped it (rate limit), or failed. */
export type EventOutcome = 'created' | 'aggregated' | 'dropped' | { failed: string };

export class EventRecorder {
  private readonly recorded = new Map<string, Recorded>();
  private tokens = BURST;
  private refilledAt = Date.now();

  constructor(private readonly options: EventRecorderOptions) {}

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1000) * REFILL_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  async record(ingress: Ingress, diagnostic: Diagnostic): Promise<EventOutcome> {
    const { namespace, name } = ingress.metadata;
    const reason = eventReason(diagnostic);
    const message = eventMessage(diagnostic);
    const key = `${namespace}/${name}|${ingress.metadata.uid ?? ''}|${reason}|${message}`;
    const now = new Date();
    const existing = this.recorded.get(key);
    if (existing && now.getTime() - existing.lastWrite < MIN_UPDATE_INTERVAL_MS) {
      existing.count += 1;
      return 'aggregated';
    }
    if (!this.takeToken()) return 'dropped';
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const path = `/api/v1/namespaces/${namespace}/events`;
    try {
      if (existing && now.getTime() - existing.lastWrite < AGGREGATE_WINDOW_MS) {
        existing.count += 1;
        existing.lastWrite = now.getTime();
        await this.options.client.requestDiscard('PATCH', `${path}/${existing.name}`, {
          contentType: 'application/merge-patch+json',
          body: { count: existing.count, lastTimestamp: timestamp },
        });
        return 'aggregated';
      }
      const eventName = `${name.slice(0, 200)}.${randomBytes(8).toString('hex')}`;
      await this.options.client.requestDiscard('POST', path, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: eventName, namespace },
          involvedObject: {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            namespace,
            name,
            ...(ingress.metadata.uid ? { uid: ingress.metadata.uid } : {}),
            ...(ingress.metadata.resourceVersion ? { resourceVersion: ingress.metadata.resourceVersion } : {}),
          },
          reason,
          message,
          type: 'Warning',
          source: { component: 'portero' },
          reportingComponent: this.options.component,
          reportingInstance: this.options.instance,
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          count: 1,
        },
      });
      this.recorded.set(key, { name: eventName, count: 1, lastWrite: now.getTime() });
      this.forgetOld(now.getTime());
      return 'created';
    } catch (error) {
      this.options.log.debug({ object: describeRef(refOf(ingress)), err: (error as Error).message }, 'cannot write Event');
      return { failed: `${describeRef(refOf(ingress))}: ${(error as Error).message}` };
    }
  }

  private forgetOld(now: number): void {
    if (this.recorded.size < 4096) return;
    for (const [key, entry] of this.recorded) if (now - entry.lastWrite > AGGREGATE_WINDOW_MS) this.recorded.delete(key);
  }
}
