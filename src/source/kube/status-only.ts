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

import { keyOf, type Ingress } from '../../objects/types.js';
import type { Store } from '../../store/store.js';
import { Coalescer } from '../../util/coalesce.js';

/** The Ingress without what changes on a status write: status and resourceVersion. */
function routingPart(ingress: Ingress): string {
  const { resourceVersion: _resourceVersion, ...metadata } = ingress.metadata;
  return JSON.stringify([metadata, ingress.spec]);
}

export function onlyStatusDiffers(stored: Ingress, next: Ingress): boolean {
  return stored.spec === next.spec ? true : routingPart(stored) === routingPart(next);
}

export class StatusOnlyBatch {
  private readonly held = new Map<string, Ingress>();
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
    this.held.set(key, next);
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
    for (const ingress of batch) this.store.upsert(ingress);
  }

  stop(): void {
    this.flush.cancel();
    this.held.clear();
  }
}
