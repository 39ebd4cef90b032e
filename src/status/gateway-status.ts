// Writes the status translate computed for Gateway API objects
// (translate/gateway: GatewayClasses, Gateways, HTTPRoutes, GRPCRoutes), on
// the leader only.
//
// The store keeps no status of these kinds (source/kube/trim.ts), so each
// write reads the object first, merges, and PUTs /status with the
// resourceVersion it read (a 409 reads again). Merging keeps what is not
// ours: a route's `status.parents` entries of other controllers stay, and
// our entries for parents no longer ours go; on GatewayClasses, Gateways
// and listeners, conditions of types Portero never writes (another
// component's, as GatewayPreserveForeignConditions seeds) stay as they are.
// A condition keeps its
// lastTransitionTime while its status is unchanged. A write is skipped when
// the status read equals the one to write, and an object is not read again
// while its desired status and resourceVersion are those last written.
//
// A route that stops naming any of our Gateways (its parentRefs changed, or
// the Gateway was deleted or moved to another class) is no longer in what
// translate computes, yet the entries we wrote are still in its status,
// claiming an attachment that is gone. The writer remembers the routes it
// wrote entries to, and removes ours (only ours) from those that leave. It
// remembers only what this leader wrote: a route that left while no replica
// of Portero was leader keeps its stale entries until it names one of our
// Gateways again.

import { ApiError, type KubeClient } from '../kube/client.js';
import type { Condition } from '../objects/gateway-types.js';
import type { IngressLoadBalancerIngress } from '../objects/types.js';
import type { Logger } from '../telemetry/log.js';
import { DEFAULT_CONTROLLER_NAME, type GatewayAttachment } from '../translate/gateway/index.js';
import { withAssignedAddresses } from '../translate/gateway/addresses.js';

const MAX_ATTEMPTS = 5;
const CONCURRENCY = 8;
const PLURALS = { GatewayClass: 'gatewayclasses', Gateway: 'gateways', HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' } as const;
type StatusKind = keyof typeof PLURALS;
const ROUTE_KINDS: ReadonlySet<StatusKind> = new Set(['HTTPRoute', 'GRPCRoute']);

interface Desired {
  kind: StatusKind;
  namespace: string;
  name: string;
  resourceVersion: string;
  /** Merges the status to write into the status read. */
  merge(current: Record<string, any>, now: string): Record<string, any>;
  /** Identifies `merge`'s intent, to skip unchanged objects. */
  key: string;
}

/** Conditions with lastTransitionTime: kept from `before` when the status is the same, `now` otherwise. */
function stamped(conditions: readonly Condition[], before: readonly Record<string, any>[] | undefined, now: string): Condition[] {
  return conditions.map((condition) => {
    const previous = before?.find((entry) => entry.type === condition.type);
    const time = previous && previous.status === condition.status && typeof previous.lastTransitionTime === 'string' ? previous.lastTransitionTime : now;
    return { ...condition, lastTransitionTime: time };
  });
}

/** The condition types translate writes (translate/gateway: gateway-class.ts, listeners.ts, routes.ts): these are ours to set and to remove. */
const OWN_CONDITION_TYPES: ReadonlySet<string> = new Set(['Accepted', 'Programmed', 'ResolvedRefs', 'Conflicted', 'OverlappingTLSConfig', 'SupportedVersion', 'PartiallyInvalid']);

/** Our conditions stamped, then the conditions of other types that `before` holds, unchanged. */
export function withForeign(conditions: readonly Condition[], before: readonly Record<string, any>[] | undefined, now: string): Record<string, any>[] {
  const foreign = (Array.isArray(before) ? before : []).filter((entry) => !OWN_CONDITION_TYPES.has(entry.type) && !conditions.some((condition) => condition.type === entry.type));
  return [...stamped(conditions, before, now), ...foreign];
}

function sameParent(a: Record<string, any>, b: Record<string, any>): boolean {
  const norm = (ref: Record<string, any>) => JSON.stringify([ref.group ?? 'gateway.networking.k8s.io', ref.kind ?? 'Gateway', ref.namespace ?? '', ref.name, ref.sectionName ?? '', ref.port ?? 0]);
  return norm(a) === norm(b);
}

/** Our entries removed from a route's status.parents (the route no longer names any of our Gateways); other controllers' stay. */
export function withoutOurEntries(kind: 'HTTPRoute' | 'GRPCRoute', namespace: string, name: string, controllerName: string): Desired {
  return {
    kind,
    namespace,
    name,
    resourceVersion: '',
    key: 'without-our-entries',
    merge: (current) => {
      const before: Record<string, any>[] = Array.isArray(current.parents) ? current.parents : [];
      return { ...current, parents: before.filter((entry) => entry.controllerName !== controllerName) };
    },
  };
}

/** What to write for every object of `attachment`; `published` fills in the addresses of Gateways without spec.addresses. */
export function desiredStatuses(attachment: GatewayAttachment, controllerName: string, published: readonly IngressLoadBalancerIngress[]): Desired[] {
  const out: Desired[] = [];
  const publishedAddresses = published.map((address) => (address.ip !== undefined ? { type: 'IPAddress', value: address.ip } : { type: 'Hostname', value: address.hostname ?? '' }));
  for (const result of attachment.gatewayClasses) {
    const { metadata } = result.gatewayClass;
    out.push({
      kind: 'GatewayClass',
      namespace: '',
      name: metadata.name,
      resourceVersion: metadata.resourceVersion ?? '',
      key: JSON.stringify(result.status),
      merge: (current, now) => ({ ...current, conditions: withForeign(result.status.conditions, current.conditions, now), supportedFeatures: result.status.supportedFeatures }),
    });
  }
  for (const result of attachment.gateways) {
    const { metadata, spec } = result.gateway;
    const status = withAssignedAddresses(result.status, result.assignsPublished === true, publishedAddresses);
    const addresses = spec.addresses.length === 0 && status.addresses.length === 0 ? publishedAddresses : status.addresses;
    out.push({
      kind: 'Gateway',
      namespace: metadata.namespace,
      name: metadata.name,
      resourceVersion: metadata.resourceVersion ?? '',
      key: JSON.stringify([status, addresses]),
      merge: (current, now) => ({
        ...current,
        addresses,
        conditions: withForeign(status.conditions, current.conditions, now),
        listeners: status.listeners.map((listener) => ({
          ...listener,
          conditions: withForeign(listener.conditions, (current.listeners ?? []).find((entry: Record<string, any>) => entry.name === listener.name)?.conditions, now),
        })),
      }),
    });
  }
  for (const result of attachment.routes) {
    const { metadata } = result.route;
    out.push({
      kind: result.kind,
      namespace: metadata.namespace,
      name: metadata.name,
      resourceVersion: metadata.resourceVersion ?? '',
      key: JSON.stringify(result.status),
      merge: (current, now) => {
        const before: Record<string, any>[] = Array.isArray(current.parents) ? current.parents : [];
        // Other controllers' entries stay as they are; ours are replaced by what translate computed.
        const others = before.filter((entry) => entry.controllerName !== controllerName);
        const ours = result.status.parents.map((parent) => {
          const previous = before.find((entry) => entry.controllerName === controllerName && sameParent(entry.parentRef ?? {}, parent.parentRef as unknown as Record<string, any>));
          return { parentRef: parent.parentRef, controllerName: parent.controllerName, conditions: stamped(parent.conditions, previous?.conditions, now) };
        });
        return { ...current, parents: [...others, ...ours] };
      },
    });
  }
  return out;
}

export interface GatewayStatusSummary {
  written: number;
  failed: number;
  firstError?: string;
}

export class GatewayStatusWriter {
  /** Per object: the desired key and the resourceVersion it was written over (or found equal at). */
  private readonly done = new Map<string, { key: string; over: string }>();
  /** Routes whose status holds entries of ours, written (or found) by this leader, by id. */
  private readonly withOurEntries = new Map<string, { kind: 'HTTPRoute' | 'GRPCRoute'; namespace: string; name: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly mayWrite: () => boolean,
    private readonly controllerName: string = DEFAULT_CONTROLLER_NAME,
  ) {}

  /** Forgets everything written: after becoming leader, every object is read and compared again. */
  reset(): void {
    this.done.clear();
    this.withOurEntries.clear();
  }

  async apply(desired: readonly Desired[], now: () => string = () => new Date().toISOString()): Promise<GatewayStatusSummary> {
    const summary: GatewayStatusSummary = { written: 0, failed: 0 };
    const wanted = new Set(desired.map((entry) => this.id(entry)));
    // Routes we wrote entries to that translate no longer attaches to any of our Gateways: remove ours.
    const leaving = [...this.withOurEntries].filter(([id]) => !wanted.has(id)).map(([, route]) => withoutOurEntries(route.kind, route.namespace, route.name, this.controllerName));
    const queue = [
      ...desired.filter((entry) => {
        const done = this.done.get(this.id(entry));
        return !done || done.key !== entry.key || done.over !== entry.resourceVersion;
      }),
      ...leaving,
    ];
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const entry = queue[next]!;
        next += 1;
        if (!this.mayWrite()) return;
        try {
          if (await this.write(entry, now)) summary.written += 1;
          this.remember(entry);
        } catch (error) {
          summary.failed += 1;
          summary.firstError ??= `${entry.kind} ${entry.namespace}/${entry.name}: ${(error as Error).message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return summary;
  }

  /** After a write (or none needed, or the object gone): which routes carry entries of ours. */
  private remember(entry: Desired): void {
    if (!ROUTE_KINDS.has(entry.kind) || !this.mayWrite()) return;
    const id = this.id(entry);
    if (entry.key === 'without-our-entries') {
      this.withOurEntries.delete(id);
      this.done.delete(id);
    } else {
      this.withOurEntries.set(id, { kind: entry.kind as 'HTTPRoute' | 'GRPCRoute', namespace: entry.namespace, name: entry.name });
    }
  }

  private id(entry: Desired): string {
    return `${entry.kind}/${entry.namespace}/${entry.name}`;
  }

  private path(entry: Desired, version: string): string {
    const plural = PLURALS[entry.kind];
    return entry.namespace === '' ? `/apis/gateway.networking.k8s.io/${version}/${plural}/${entry.name}` : `/apis/gateway.networking.k8s.io/${version}/namespaces/${entry.namespace}/${plural}/${entry.name}`;
  }

  /** Reads, merges and writes one status; false when nothing needed writing. */
  private async write(entry: Desired, now: () => string): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      if (!this.mayWrite()) return false;
      let path = this.path(entry, 'v1');
      let current: Record<string, any>;
      try {
        current = await this.client.request('GET', path);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404 || entry.kind === 'GRPCRoute') throw error;
        // A cluster with CRDs that serve only v1beta1 of this kind.
        path = this.path(entry, 'v1beta1');
        try {
          current = await this.client.request('GET', path);
        } catch (again) {
          if (again instanceof ApiError && again.status === 404) return false;
          throw again;
        }
      }
      const status = entry.merge(current.status ?? {}, now());
      const readVersion = String(current.metadata?.resourceVersion ?? '');
      if (JSON.stringify(withoutTimes(status)) === JSON.stringify(withoutTimes(current.status ?? {}))) {
        this.done.set(this.id(entry), { key: entry.key, over: entry.resourceVersion });
        return false;
      }
      try {
        await this.client.requestDiscard('PUT', `${path}/status`, { body: { ...current, status } });
        this.done.set(this.id(entry), { key: entry.key, over: entry.resourceVersion });
        this.log.debug({ object: this.id(entry), over: readVersion }, 'Gateway API status written');
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return false;
        if (!(error instanceof ApiError) || error.status !== 409 || attempt === MAX_ATTEMPTS) throw error;
      }
    }
    return false;
  }
}

/** A status without lastTransitionTime anywhere, to compare what a write would change. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([key]) => key !== 'lastTransitionTime').map(([key, inner]) => [key, withoutTimes(inner)]));
  }
  return value;
}
