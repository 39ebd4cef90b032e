// How to go from the model HAProxy runs to the next one. Pure.
//
// When the next model fits the loaded structure (its lookups exist, and every
// new backend can take a spare), the plan lists runtime changes: servers to
// add and to drain, map entries to add, set and remove, certificates to add,
// update, re-list and remove. Otherwise the plan is a reload, with the reason.

import { backendsById, levelsByHost, type Backend, type Certificate, type Model } from '../../model/model.js';
import { fragment, type MapEntry, type Safe } from './config-lines.js';
import { cookieKey, serverOptions } from './features/backend.js';
import { clientAuthRules } from './features/client-auth.js';
import { backendEntries, catchAllEntries, levelEntries, mapContents, passthroughEntries, redirectEntries, regexLevels, sameNamesFor, type MapContents, type MapName } from './render-files.js';
import { backupServerName, serverName } from './render-config.js';
import { MAX_PAYLOAD_BYTES } from './runtime.js';
import { misfit, type BackendNames } from './structure.js';

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
  /** Server options from the backend's features (TLS, HTTP/2), as on its `server` lines. */
  options?: Safe;
  /** The backend's dynamic-cookie key (affinity): set again after adding, so the new server gets its cookie. */
  cookieKey?: Safe;
}

export interface MapDiff {
  add: MapEntry[];
  set: MapEntry[];
  remove: string[];
  /** The entries `remove` removes, as they were. */
  removed: MapEntry[];
  /** The whole next content, for replacing the map in one transaction when the diff is large. */
  next: () => MapEntry[];
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
export type ReloadReason = 'start' | 'structural' | 'spares-exhausted' | 'oversized' | 'runtime-failed' | 'recover' | 'resync' | 'forced';

export type Plan = { kind: 'unchanged' } | { kind: 'reload'; reason: ReloadReason; detail: string } | RuntimePlan;

function serverChanges(backend: string, model: Backend): ServerChange[] {
  const options = serverOptions(model.features);
  const backupOptions = options ? fragment`${options} backup` : fragment`backup`;
  const key = cookieKey(model);
  const primary = model.endpoints.map((endpoint) => ({
    backend,
    server: serverName(endpoint.address, endpoint.port).text,
    address: endpoint.address,
    port: endpoint.port,
    ...(options ? { options } : {}),
    ...(key ? { cookieKey: key } : {}),
  }));
  const backups = (model.backupEndpoints ?? []).map((endpoint) => ({
    backend,
    server: backupServerName(endpoint.address, endpoint.port).text,
    address: endpoint.address,
    port: endpoint.port,
    options: backupOptions,
    ...(key ? { cookieKey: key } : {}),
  }));
  return [...primary, ...backups];
}

function diffServers(previous: Model, next: Model, before: BackendNames, after: BackendNames): { add: ServerChange[]; remove: ServerChange[] } {
  const add: ServerChange[] = [];
  const remove: ServerChange[] = [];
  const old = backendsById(previous);
  const diffOne = (was: Backend | undefined, is: Backend | undefined, id: string) => {
    const oldName = was ? before.nameOf(id) : undefined;
    const newName = is ? after.nameOf(id) : undefined;
    if (was === is && oldName === newName) return;
    const existing = new Map(oldName && was ? serverChanges(oldName, was).map((change) => [`${change.backend}/${change.server}`, change]) : []);
    const wanted = new Map(newName && is ? serverChanges(newName, is).map((change) => [`${change.backend}/${change.server}`, change]) : []);
    for (const [key, change] of wanted) if (!existing.has(key)) add.push(change);
    for (const [key, change] of existing) if (!wanted.has(key)) remove.push(change);
  };
  for (const backend of next.backends) diffOne(old.get(backend.id), backend, backend.id);
  const current = backendsById(next);
  for (const [id, backend] of old) if (!current.has(id)) diffOne(backend, undefined, id);
  return { add, remove };
}

type Entries = Pick<MapContents, 'hosts' | 'exact' | 'prefix' | 'regex' | 'canary' | 'candidates'>;
const NO_ENTRIES: Entries = { hosts: [], exact: [], prefix: [], regex: [], canary: [], candidates: [] };

/**
 * The entries of one map that a change touches, before and after, by key.
 * The diff is computed from these final values, never as a sequence of adds
 * and removes: two parts of the model may render the same key (the host-less
 * level's fallback and the catch-all are both `_/`), and one part's removal
 * must not undo the other's addition.
 */
class Touched {
  private readonly before = new Map<string, MapEntry>();
  private readonly after = new Map<string, MapEntry>();

  note(previous: readonly MapEntry[], next: readonly MapEntry[]): void {
    for (const entry of previous) this.before.set(entry.key, entry);
    for (const entry of next) this.after.set(entry.key, entry);
  }

  diff(next: () => MapEntry[]): MapDiff {
    const diff: MapDiff = { add: [], set: [], remove: [], removed: [], next };
    for (const [key, entry] of this.after) {
      const was = this.before.get(key);
      if (was === undefined) diff.add.push(entry);
      else if (was.value.text !== entry.value.text) diff.set.push(entry);
    }
    for (const [key, entry] of this.before) {
      if (this.after.has(key)) continue;
      diff.remove.push(key);
      diff.removed.push(entry);
    }
    return diff;
  }
}

function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((host, i) => host === b[i]);
}

const MAP_NAMES: readonly MapName[] = ['hosts', 'exact', 'prefix', 'regex', 'canary', 'candidates', 'redirect', 'passthrough', 'backends'];

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/** Map changes level by level: levels that are the same object, under the same names, are skipped. */
function diffMaps(previous: Model, next: Model, before: BackendNames, after: BackendNames): Record<MapName, MapDiff> {
  let full: MapContents | undefined;
  const nextContent = (name: MapName) => () => (full ??= mapContents(next, after))[name];
  const touched = Object.fromEntries(MAP_NAMES.map((name) => [name, new Touched()])) as Record<MapName, Touched>;
  const noteLevel = (was: Entries, is: Entries) => {
    touched.hosts.note(was.hosts, is.hosts);
    touched.exact.note(was.exact, is.exact);
    touched.prefix.note(was.prefix, is.prefix);
    touched.regex.note(was.regex, is.regex);
    touched.canary.note(was.canary, is.canary);
    touched.candidates.note(was.candidates, is.candidates);
  };
  const old = levelsByHost(previous);
  for (const level of next.levels) {
    const was = old.get(level.host);
    if (was === level && sameNamesFor(level, before, after)) continue;
    noteLevel(was ? levelEntries(was, before) : NO_ENTRIES, levelEntries(level, after));
  }
  const current = levelsByHost(next);
  for (const [host, level] of old) if (!current.has(host)) noteLevel(levelEntries(level, before), NO_ENTRIES);
  touched.prefix.note(catchAllEntries(previous, before), catchAllEntries(next, after));
  const regexBefore = regexLevels(previous);
  const regexAfter = regexLevels(next);
  if (!sameHosts(previous.redirectHosts, next.redirectHosts) || !sameSet(regexBefore, regexAfter)) {
    touched.redirect.note(redirectEntries(previous.redirectHosts, regexBefore), redirectEntries(next.redirectHosts, regexAfter));
  }
  if (before !== after) touched.backends.note(backendEntries(before), backendEntries(after));
  if (before !== after || previous.passthrough !== next.passthrough) touched.passthrough.note(passthroughEntries(previous, before), passthroughEntries(next, after));
  return Object.fromEntries(MAP_NAMES.map((name) => [name, touched[name].diff(nextContent(name))])) as Record<MapName, MapDiff>;
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

/** Entries a map diff adds, sets or removes. */
export function diffSize(diff: MapDiff): number {
  return diff.add.length + diff.set.length + diff.remove.length;
}

export interface RuntimeCounts {
  servers: number;
  maps: number;
  certificates: number;
}

/** How many servers, map entries and certificates a plan changes. */
export function changeCounts(plan: RuntimePlan): RuntimeCounts {
  const c = plan.certificates;
  return {
    servers: plan.addServers.length + plan.removeServers.length,
    maps: Object.values(plan.maps).reduce((sum, diff) => sum + diffSize(diff), 0),
    certificates: c.add.length + c.update.length + c.relist.length + c.remove.length + (c.defaultPem === undefined ? 0 : 1),
  };
}

export function isEmptyPlan(plan: RuntimePlan): boolean {
  const counts = changeCounts(plan);
  return counts.servers + counts.maps + counts.certificates === 0;
}

export function planChange(live: LiveState, next: Model): Plan {
  const missing = misfit(live.names.structure, next);
  if (missing) return { kind: 'reload', reason: 'structural', detail: missing };
  const assigned = live.names.assign(
    next.backends.map((backend: Backend) => backend.id),
    live.sparesUsed,
  );
  if (!assigned) return { kind: 'reload', reason: 'spares-exhausted', detail: 'the spare backends for new Services are used up' };
  const oversized = [...next.certificates, next.defaultCertificate].find((certificate) => Buffer.byteLength(certificate.pem) > MAX_PAYLOAD_BYTES);
  if (oversized) return { kind: 'reload', reason: 'oversized', detail: `certificate ${oversized.id} is too large for the runtime API` };

  const certificates = diffCertificates(live.model, next);
  // A certificate with a crt-list line of its own for a host with client authentication has two lines:
  // `del ssl crt-list` could not tell them apart. (Its rules are the loaded ones: misfit compared them.)
  const split = new Set(clientAuthRules(next).flatMap((rule) => (rule.certificate === undefined ? [] : [rule.certificate])));
  const ambiguous = [...certificates.relist.map((certificate) => certificate.id), ...certificates.remove].find((id) => split.has(id));
  if (ambiguous !== undefined) return { kind: 'reload', reason: 'structural', detail: `certificate ${ambiguous} also serves a host with client authentication, whose crt-list line is its own` };
  const servers = diffServers(live.model, next, live.names, assigned.names);
  const plan: RuntimePlan = {
    kind: 'runtime',
    names: assigned.names,
    sparesUsed: assigned.used,
    addServers: servers.add,
    removeServers: servers.remove,
    maps: diffMaps(live.model, next, live.names, assigned.names),
    certificates,
  };
  return isEmptyPlan(plan) ? { kind: 'unchanged' } : plan;
}
