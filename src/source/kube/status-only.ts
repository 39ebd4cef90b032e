// Ingress updates that change nothing but status reach the store in batches.
//
// Routing never reads an Ingress's status, yet a new Ingress object in the
// store means a new translation. When Portero (as leader) writes the status
// of 10,000 Ingresses at start, the API server sends 10,000 MODIFIED events
// back; one translation per burst of them would keep the control loop busy
// for minutes and slow the writes down with it. So an update whose only
// difference from the stored Ingress is its status (and resourceVersion) is
// held for a moment and stored together with the others: at most one store
// change per `maxDelayMs`. Any other update of that Ingress, or its deletion,
// replaces what is held, so the store never goes back in time.
//
// Only the status and resourceVersion are held, and the stored Ingress is
// rebuilt around them, sharing its spec and metadata: thousands of held
// updates are not thousands of copies of the same specs.

import { keyOf, type Ingress } from '../../objects/types.js';
import type { Store } from '../../store/store.js';
import { Coalescer } from '../../util/coalesce.js';

/** The Ingress without what changes on a status write (status and resourceVersion), as text; remembered per stored object. */
const routingParts = new WeakMap<Ingress, string>();

function routingPart(ingress: Ingress): string {
  let text = routingParts.get(ingress);
  if (text === undefined) {
    const { resourceVersion: _resourceVersion, ...metadata } = ingress.metadata;
    text = JSON.stringify([metadata, ingress.spec]);
    routingParts.set(ingress, text);
  }
  return text;
}

export function onlyStatusDiffers(stored: Ingress, next: Ingress): boolean {
  return routingPart(stored) === routingPart(next);
}

interface Held {
  namespace: string;
  name: string;
  resourceVersion: string | undefined;
  status: Ingress['status'];
}

export class StatusOnlyBatch {
  private readonly held = new Map<string, Held>();
  private readonly flush: Coalescer;

  constructor(
    private readonly store: Store,
    quietMs = 100,
    maxDelayMs = 5000,
  ) {
    this.flush = new Coalescer(quietMs, maxDelayMs, () => this.release());
  }

  /** Holds `next` when it differs from the stored Ingress only in status; says whether it did. */
  offer(next: Ingress): boolean {
    const key = keyOf(next.metadata.namespace, next.metadata.name);
    const stored = this.store.get('Ingress', next.metadata.namespace, next.metadata.name);
    if (!stored || !onlyStatusDiffers(stored, next)) {
      this.held.delete(key);
      return false;
    }
    this.held.set(key, { namespace: next.metadata.namespace, name: next.metadata.name, resourceVersion: next.metadata.resourceVersion, status: next.status });
    this.flush.request();
    return true;
  }

  /** The Ingress is gone (or replaced by a full update): forget what is held for it. */
  forget(namespace: string, name: string): void {
    this.held.delete(keyOf(namespace, name));
  }

  private release(): void {
    const batch = [...this.held.values()];
    this.held.clear();
    for (const { namespace, name, resourceVersion, status } of batch) {
      const stored = this.store.get('Ingress', namespace, name);
      if (!stored) continue;
      const metadata = { ...stored.metadata };
      if (resourceVersion === undefined) delete metadata.resourceVersion;
      else metadata.resourceVersion = resourceVersion;
      this.store.upsert({ ...stored, metadata, status });
    }
  }

  stop(): void {
    this.flush.cancel();
    this.held.clear();
  }
}
