// Writes status.loadBalancer.ingress of the Ingresses Portero serves, and
// clears it from Ingresses it no longer serves (whose status still holds
// exactly Portero's addresses). Writes go through the status subresource as
// merge patches with a resourceVersion precondition, and are retried with a
// fresh read on 409 Conflict. A write is made only when the status differs,
// and only while `mayWrite()` (the leader) says so.
//
// A pass over thousands of Ingresses (the first one after start) reports one
// summary, not one log line per Ingress: `apply` returns counts, the reporter
// logs them, and each write is logged at debug level only.

import { ApiError, type KubeClient } from '../kube/client.js';
import { describeRef, keyOf, refOf, type Ingress, type IngressLoadBalancerIngress, type ObjectRef } from '../objects/types.js';
import type { Logger } from '../telemetry/log.js';
import { canonical } from './addresses.js';

const CONCURRENCY = 8;
const MAX_ATTEMPTS = 5;

function same(a: readonly IngressLoadBalancerIngress[], b: readonly IngressLoadBalancerIngress[]): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export interface StatusWriterOptions {
  client: KubeClient;
  log: Logger;
  mayWrite: () => boolean;
}

export interface StatusPlan {
  ingress: Ingress;
  addresses: IngressLoadBalancerIngress[];
}

/** Which Ingresses need a status write. Pure. */
export function planStatus(ingresses: readonly Ingress[], served: readonly ObjectRef[], desired: readonly IngressLoadBalancerIngress[]): StatusPlan[] {
  const servedKeys = new Set(served.map((ref) => keyOf(ref.namespace, ref.name)));
  const wanted = canonical(desired);
  const wantedText = JSON.stringify(wanted);
  const plans: StatusPlan[] = [];
  for (const ingress of ingresses) {
    const current = ingress.status.loadBalancer.ingress;
    const isCurrent = JSON.stringify(canonical(current)) === wantedText;
    if (servedKeys.has(keyOf(ingress.metadata.namespace, ingress.metadata.name))) {
      if (!isCurrent) plans.push({ ingress, addresses: wanted });
    } else if (desired.length > 0 && current.length > 0 && isCurrent) {
      plans.push({ ingress, addresses: [] });
    }
  }
  return plans;
}

/** What one pass of writes did. */
export interface StatusWriteSummary {
  updated: number;
  cleared: number;
  /** Planned for a served Ingress, but already written by this replica: the store has not seen the write yet. */
  alreadyWritten: number;
  failed: number;
  /** The first failure's message, for the log. */
  firstError?: string;
}

type Outcome = 'written' | 'unneeded' | 'not-leader';

export class StatusWriter {
  private putOnly = false;
  /**
   * Writes made, by namespace/name: the resourceVersion written over and the
   * addresses written. Until the store holds a newer version of that Ingress,
   * a plan to write the same addresses again is one the API already has.
   */
  private readonly written = new Map<string, { over: string; addresses: string }>();

  constructor(private readonly options: StatusWriterOptions) {}

  /** PUT /status of the freshly read object; a stale read fails with 409 and is retried. */
  private async put(path: string, addresses: IngressLoadBalancerIngress[]): Promise<void> {
    const current = await this.options.client.request('GET', path);
    await this.options.client.requestDiscard('PUT', `${path}/status`, { body: { ...current, status: { ...(current.status ?? {}), loadBalancer: addresses.length > 0 ? { ingress: addresses } : {} } } });
  }

  private seen(plan: StatusPlan): boolean {
    const key = keyOf(plan.ingress.metadata.namespace, plan.ingress.metadata.name);
    const entry = this.written.get(key);
    if (!entry) return false;
    if (entry.over !== (plan.ingress.metadata.resourceVersion ?? '')) {
      // The store has a newer version since: it tells the truth now.
      this.written.delete(key);
      return false;
    }
    return entry.addresses === JSON.stringify(plan.addresses);
  }

  /** Forgets the writes the store has caught up with (a newer version), and Ingresses that are gone. */
  forgetObserved(ingresses: readonly Ingress[]): void {
    if (this.written.size === 0) return;
    const versions = new Map(ingresses.map((ingress) => [keyOf(ingress.metadata.namespace, ingress.metadata.name), ingress.metadata.resourceVersion ?? '']));
    for (const [key, entry] of this.written) if (versions.get(key) !== entry.over) this.written.delete(key);
  }

  private remember(plan: StatusPlan): void {
    const { namespace, name, resourceVersion } = plan.ingress.metadata;
    this.written.set(keyOf(namespace, name), { over: resourceVersion ?? '', addresses: JSON.stringify(plan.addresses) });
  }

  async apply(plans: readonly StatusPlan[]): Promise<StatusWriteSummary> {
    const summary: StatusWriteSummary = { updated: 0, cleared: 0, alreadyWritten: 0, failed: 0 };
    const queue = plans.filter((plan) => {
      if (!this.seen(plan)) return true;
      if (plan.addresses.length > 0) summary.alreadyWritten += 1;
      return false;
    });
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const plan = queue[next]!;
        next += 1;
        if (!this.options.mayWrite()) return;
        try {
          if ((await this.write(plan)) !== 'written') continue;
          if (plan.addresses.length > 0) summary.updated += 1;
          else summary.cleared += 1;
        } catch (error) {
          summary.failed += 1;
          summary.firstError ??= `${describeRef(refOf(plan.ingress))}: ${(error as Error).message}`;
          this.options.log.debug({ object: describeRef(refOf(plan.ingress)), err: (error as Error).message }, 'cannot write Ingress status');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return summary;
  }

  private async write(plan: StatusPlan): Promise<Outcome> {
    const { namespace, name } = plan.ingress.metadata;
    const path = `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}`;
    let resourceVersion = plan.ingress.metadata.resourceVersion;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (!this.options.mayWrite()) return 'not-leader';
      try {
        if (this.putOnly) await this.put(path, plan.addresses);
        else {
          await this.options.client.requestDiscard('PATCH', `${path}/status`, {
            contentType: 'application/merge-patch+json',
            body: {
              metadata: resourceVersion ? { resourceVersion } : {},
              status: { loadBalancer: { ingress: plan.addresses.length > 0 ? plan.addresses : null } },
            },
          });
        }
        this.remember(plan);
        this.options.log.debug({ object: describeRef(refOf(plan.ingress)), addresses: plan.addresses.map((a) => a.ip ?? a.hostname) }, plan.addresses.length > 0 ? 'status updated' : 'status cleared');
        return 'written';
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return 'unneeded';
        if (error instanceof ApiError && (error.status === 415 || error.status === 405) && !this.putOnly) {
          // A server without merge patches: read-modify-write with PUT instead.
          this.putOnly = true;
          attempt -= 1;
          continue;
        }
        if (!(error instanceof ApiError) || error.status !== 409 || attempt === MAX_ATTEMPTS) throw error;
        const fresh = await this.options.client.request('GET', path);
        if (same(fresh.status?.loadBalancer?.ingress ?? [], plan.addresses)) {
          this.remember(plan);
          return 'unneeded';
        }
        resourceVersion = fresh.metadata?.resourceVersion;
      }
    }
    return 'unneeded';
  }
}
