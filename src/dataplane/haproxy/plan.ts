// How to go from the model HAProxy runs to the next one. Pure.
//
// When the next model fits the loaded structure (its lookups exist, and every
// new backend can take a spare), the plan lists runtime changes: servers to
// add and to drain, map entries to add, set and remove, certificates to add,
// update, re-list and remove. Otherwise the plan is a reload, with the reason.

import type { Backend, Certificate, Endpoint, Model } from '../../model/model.js';
import type { MapEntry } from './config-lines.js';
import { mapContents, type MapName } from './render-files.js';
import { serverName } from './render-config.js';
import { MAX_PAYLOAD_BYTES } from './runtime.js';
import { missingLookup, type BackendNames } from './structure.js';

export interface LiveState {
  model: Model;
  names: BackendNames;
  /** Spares handed out since the last reload (they are not reused before the next one). */
  sparesUsed: number;
}

export interface ServerChange {
  backend: string;
  server: string;
  address: string;
  port: number;
}

export interface MapDiff {
  add: MapEntry[];
  set: MapEntry[];
  remove: string[];
  /** The whole next content, for replacing the map in one transaction when the diff is large. */
  next: MapEntry[];
}

export interface CertificateChanges {
  add: Certificate[];
  /** Same id, new certificate or key. */
  update: Certificate[];
  /** Same id, different SNI names: the crt-list entry is replaced. */
  relist: Certificate[];
  remove: string[];
  /** The default certificate changed. */
  defaultPem?: string;
}

export interface RuntimePlan {
  kind: 'runtime';
  names: BackendNames;
  sparesUsed: number;
  addServers: ServerChange[];
  removeServers: ServerChange[];
  maps: Record<MapName, MapDiff>;
  certificates: CertificateChanges;
}

/** Why a reload was needed, as a metric label. */
export type ReloadReason = 'start' | 'structural' | 'spares-exhausted' | 'oversized' | 'runtime-failed' | 'resync' | 'forced';

export type Plan = { kind: 'unchanged' } | { kind: 'reload'; reason: ReloadReason; detail: string } | RuntimePlan;

function serverChanges(backend: string, endpoints: readonly Endpoint[]): ServerChange[] {
  return endpoints.map((endpoint) => ({ backend, server: serverName(endpoint.address, endpoint.port).text, address: endpoint.address, port: endpoint.port }));
}

function diffServers(previous: Model, next: Model, before: BackendNames, after: BackendNames): { add: ServerChange[]; remove: ServerChange[] } {
  const existing = new Map<string, ServerChange>();
  for (const backend of previous.backends) {
    const name = before.nameOf(backend.id);
    if (name) for (const change of serverChanges(name, backend.endpoints)) existing.set(`${name}/${change.server}`, change);
  }
  const wanted = new Map<string, ServerChange>();
  for (const backend of next.backends) {
    const name = after.nameOf(backend.id);
    if (name) for (const change of serverChanges(name, backend.endpoints)) wanted.set(`${name}/${change.server}`, change);
  }
  return {
    add: [...wanted].filter(([key]) => !existing.has(key)).map(([, change]) => change),
    remove: [...existing].filter(([key]) => !wanted.has(key)).map(([, change]) => change),
  };
}

function diffMap(previous: readonly MapEntry[], next: readonly MapEntry[]): MapDiff {
  const before = new Map(previous.map((entry) => [entry.key, entry.value.text]));
  const after = new Map(next.map((entry) => [entry.key, entry.value.text]));
  return {
    add: next.filter((entry) => !before.has(entry.key)),
    set: next.filter((entry) => before.has(entry.key) && before.get(entry.key) !== entry.value.text),
    remove: previous.filter((entry) => !after.has(entry.key)).map((entry) => entry.key),
    next: [...next],
  };
}

function diffCertificates(previous: Model, next: Model): CertificateChanges {
  const before = new Map(previous.certificates.map((certificate) => [certificate.id, certificate]));
  const after = new Map(next.certificates.map((certificate) => [certificate.id, certificate]));
  const changes: CertificateChanges = { add: [], update: [], relist: [], remove: [] };
  for (const [id, certificate] of after) {
    const old = before.get(id);
    if (!old) changes.add.push(certificate);
    else {
      if (old.pem !== certificate.pem) changes.update.push(certificate);
      if (old.hosts.join(' ') !== certificate.hosts.join(' ')) changes.relist.push(certificate);
    }
  }
  for (const id of before.keys()) if (!after.has(id)) changes.remove.push(id);
  if (previous.defaultCertificate.pem !== next.defaultCertificate.pem) changes.defaultPem = next.defaultCertificate.pem;
  return changes;
}

export function isEmptyPlan(plan: RuntimePlan): boolean {
  const { certificates: c } = plan;
  return (
    plan.addServers.length === 0 &&
    plan.removeServers.length === 0 &&
    Object.values(plan.maps).every((diff) => diff.add.length === 0 && diff.set.length === 0 && diff.remove.length === 0) &&
    c.add.length === 0 && c.update.length === 0 && c.relist.length === 0 && c.remove.length === 0 && c.defaultPem === undefined
  );
}

export function planChange(live: LiveState, next: Model): Plan {
  const missing = missingLookup(live.names.structure, next);
  if (missing) return { kind: 'reload', reason: 'structural', detail: missing };
  const assigned = live.names.assign(
    next.backends.map((backend: Backend) => backend.id),
    live.sparesUsed,
  );
  if (!assigned) return { kind: 'reload', reason: 'spares-exhausted', detail: 'the spare backends for new Services are used up' };
  const oversized = [...next.certificates, next.defaultCertificate].find((certificate) => Buffer.byteLength(certificate.pem) > MAX_PAYLOAD_BYTES);
  if (oversized) return { kind: 'reload', reason: 'oversized', detail: `certificate ${oversized.id} is too large for the runtime API` };

  const before = mapContents(live.model, live.names);
  const after = mapContents(next, assigned.names);
  const servers = diffServers(live.model, next, live.names, assigned.names);
  const plan: RuntimePlan = {
    kind: 'runtime',
    names: assigned.names,
    sparesUsed: assigned.used,
    addServers: servers.add,
    removeServers: servers.remove,
    maps: {
      hosts: diffMap(before.hosts, after.hosts),
      exact: diffMap(before.exact, after.exact),
      prefix: diffMap(before.prefix, after.prefix),
      redirect: diffMap(before.redirect, after.redirect),
    },
    certificates: diffCertificates(live.model, next),
  };
  return isEmptyPlan(plan) ? { kind: 'unchanged' } : plan;
}
