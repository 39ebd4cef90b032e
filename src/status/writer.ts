// Writes status.loadBalancer.ingress of the Ingresses Portero serves, and
// clears it from Ingresses it no longer serves (whose status still holds
// exactly Portero's addresses). Writes go through the status subresource as
// merge patches with a resourceVersion precondition, and are retried with a
// fresh read on 409 Conflict. A write is made only when the status differs,
// and only while `mayWrite()` (the leader) says so.

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
  const plans: StatusPlan[] = [];
  for (const ingress of ingresses) {
    const current = ingress.status.loadBalancer.ingress;
    if (servedKeys.has(keyOf(ingress.metadata.namespace, ingress.metadata.name))) {
      if (!same(current, desired)) plans.push({ ingress, addresses: canonical(desired) });
    } else if (desired.length > 0 && current.length > 0 && same(current, desired)) {
      plans.push({ ingress, addresses: [] });
    }
  }
  return plans;
}

export class StatusWriter {
  private putOnly = false;

  constructor(private readonly options: StatusWriterOptions) {}

  /** PUT /status of the freshly read object; a stale read fails with 409 and is retried. */
  private async put(path: string, addresses: IngressLoadBalancerIngress[]): Promise<void> {
    const current = await this.options.client.request('GET', path);
    await this.options.client.request('PUT', `${path}/status`, { body: { ...current, status: { ...(current.status ?? {}), loadBalancer: addresses.length > 0 ? { ingress: addresses } : {} } } });
  }

  async apply(plans: readonly StatusPlan[]): Promise<void> {
    const queue = [...plans];
    const worker = async () => {
      for (let plan = queue.shift(); plan; plan = queue.shift()) {
        if (!this.options.mayWrite()) return;
        await this.write(plan).catch((error: Error) =>
          this.options.log.warn({ object: describeRef(refOf(plan.ingress)), err: error.message }, 'cannot write Ingress status; retried on the next change'),
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  private async write(plan: StatusPlan): Promise<void> {
    const { namespace, name } = plan.ingress.metadata;
    const path = `/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}`;
    let resourceVersion = plan.ingress.metadata.resourceVersion;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (!this.options.mayWrite()) return;
      try {
        if (this.putOnly) await this.put(path, plan.addresses);
        else {
          await this.options.client.request('PATCH', `${path}/status`, {
            contentType: 'application/merge-patch+json',
            body: {
              metadata: resourceVersion ? { resourceVersion } : {},
              status: { loadBalancer: { ingress: plan.addresses.length > 0 ? plan.addresses : null } },
            },
          });
        }
        this.options.log.info({ object: describeRef(refOf(plan.ingress)), addresses: plan.addresses.map((a) => a.ip ?? a.hostname) }, plan.addresses.length > 0 ? 'status updated' : 'status cleared');
        return;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return;
        if (error instanceof ApiError && (error.status === 415 || error.status === 405) && !this.putOnly) {
          // A server without merge patches: read-modify-write with PUT instead.
          this.putOnly = true;
          attempt -= 1;
          continue;
        }
        if (!(error instanceof ApiError) || error.status !== 409 || attempt === MAX_ATTEMPTS) throw error;
        const fresh = await this.options.client.request('GET', path);
        if (same(fresh.status?.loadBalancer?.ingress ?? [], plan.addresses)) return;
        resourceVersion = fresh.metadata?.resourceVersion;
      }
    }
  }
}
