// Updates that change nothing but status reach the store in batches.
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
// The same holds for the Gateway API kinds whose status Portero writes: their
// status is not even kept (trim.ts), so a status write changes only their
// resourceVersion.
//
// Only the status and resourceVersion are held, and the stored object is
// rebuilt around them, sharing its spec and metadata: thousands of held
// updates are not thousands of copies of the same specs.

import { keyOf, type Ingress, type Kind, type KubeObject } from '../../objects/types.js';
import type { Store } from '../../store/store.js';
import { Coalescer } from '../../util/coalesce.js';

/** The kinds whose status-only updates are batched: Ingress, and the Gateway API kinds with a status Portero writes. */
export const STATUS_KINDS: ReadonlySet<Kind> = new Set<Kind>(['Ingress', 'GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute']);

/** The object without what changes on a status write (status and resourceVersion), as text; remembered per stored object. */
const routingParts = new WeakMap<KubeObject, string>();

function routingPart(object: KubeObject): string {
  let text = routingParts.get(object);
  if (text === undefined) {
    const { resourceVersion: _resourceVersion, ...metadata } = object.metadata;
    const { metadata: _metadata, status: _status, ...rest } = object as KubeObject & { status?: unknown };
    text = JSON.stringify([metadata, rest]);
    routingParts.set(object, text);
  }
  return text;
}

export function onlyStatusDiffers(stored: KubeObject, next: KubeObject): boolean {
  return routingPart(stored) === routingPart(next);
}

interface Held {
  kind: Kind;
  namespace: string;
  name: string;
  resourceVersion: string | undefined;
  /** An Ingress's status; the other kinds keep none. */
  status?: Ingress['status'];
}

function heldKey(kind: Kind, namespace: string, name: string): string {
  return `${kind}/${keyOf(namespace, name)}`;
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

  /** Holds `next` when it differs from the stored object only in status; says whether it did. */
  offer(next: KubeObject): boolean {
    if (!STATUS_KINDS.has(next.kind)) return false;
    const { namespace, name } = next.metadata;
    const key = heldKey(next.kind, namespace, name);
    const stored = this.store.get(next.kind, namespace, name);
    if (!stored || !onlyStatusDiffers(stored, next)) {
      this.held.delete(key);
      return false;
    }
    this.held.set(key, { kind: next.kind, namespace, name, resourceVersion: next.metadata.resourceVersion, ...(next.kind === 'Ingress' ? { status: next.status } : {}) });
    this.flush.request();
    return true;
  }

  /** The object is gone (or replaced by a full update): forget what is held for it. */
  forget(kind: Kind, namespace: string, name: string): void {
    this.held.delete(heldKey(kind, namespace, name));
  }

  private release(): void {
    const batch = [...this.held.values()];
    this.held.clear();
    for (const { kind, namespace, name, resourceVersion, status } of batch) {
      const stored = this.store.get(kind, namespace, name);
      if (!stored) continue;
      const metadata = { ...stored.metadata };
      if (resourceVersion === undefined) delete metadata.resourceVersion;
      else metadata.resourceVersion = resourceVersion;
      this.store.upsert(status !== undefined ? ({ ...stored, metadata, status } as KubeObject) : { ...stored, metadata });
    }
  }

  stop(): void {
    this.flush.cancel();
    this.held.clear();
  }
}
