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
import { backendEntries, catchAllEntries, levelEntries, mapContents, passthroughEntries, redirectEntries, regexLevels, sameNamesFor, settingsEntries, sourceListContents, type MapContents, type MapName } from './render-files.js';
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

/** Addresses added to and removed from one pattern file of a section's source list (features/source-lists.ts). */
export interface SourceListChange {
  /** Relative to the generation directory. */
  path: string;
  add: string[];
  remove: string[];
}

export interface RuntimePlan {
  kind: 'runtime';
  names: BackendNames;
  sparesUsed: number;
  addServers: ServerChange[];
  removeServers: ServerChange[];
  maps: Record<MapName, MapDiff>;
  sourceLists: SourceListChange[];
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

/**
 * Servers to add and remove, section by section: a section may change hands
 * (a backend takes the section of one that left, structure.ts), so the
 * servers wanted in each touched section are compared with those it has,
 * whichever backends they belong to. (A section has one backend in each
 * table, so an untouched backend never shares a touched section.)
 */
function diffServers(previous: Model, next: Model, before: BackendNames, after: BackendNames): { add: ServerChange[]; remove: ServerChange[] } {
  const existing = new Map<string, ServerChange>();
  const wanted = new Map<string, ServerChange>();
  const collect = (into: Map<string, ServerChange>, name: string | undefined, backend: Backend | undefined) => {
    if (name && backend) for (const change of serverChanges(name, backend)) into.set(`${change.backend}/${change.server}`, change);
  };
  const old = backendsById(previous);
  const touch = (was: Backend | undefined, is: Backend | undefined, id: string) => {
    const oldName = was ? before.nameOf(id) : undefined;
    const newName = is ? after.nameOf(id) : undefined;
    if (was === is && oldName === newName) return;
    collect(existing, oldName, was);
    collect(wanted, newName, is);
  };
  for (const backend of next.backends) touch(old.get(backend.id), backend, backend.id);
  const current = backendsById(next);
  for (const [id, backend] of old) if (!current.has(id)) touch(backend, undefined, id);
  const add = [...wanted].filter(([key]) => !existing.has(key)).map(([, change]) => change);
  const remove = [...existing].filter(([key]) => !wanted.has(key)).map(([, change]) => change);
  return { add, remove };
}

type Entries = Pick<MapContents, 'hosts' | 'exact' | 'prefix' | 'canary' | 'candidates'>;
const NO_ENTRIES: Entries = { hosts: [], exact: [], prefix: [], canary: [], candidates: [] };

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

const MAP_NAMES: readonly MapName[] = ['hosts', 'exact', 'prefix', 'canary', 'candidates', 'redirect', 'passthrough', 'backends', 'settings'];

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
  if (before !== after || previous.backends !== next.backends) touched.settings.note(settingsEntries(previous, before), settingsEntries(next, after));
  if (before !== after || previous.passthrough !== next.passthrough) touched.passthrough.note(passthroughEntries(previous, before), passthroughEntries(next, after));
  return Object.fromEntries(MAP_NAMES.map((name) => [name, touched[name].diff(nextContent(name))])) as Record<MapName, MapDiff>;
}

/** Source lists, by pattern file; a section without an occupant has an empty list (so the next one starts from nothing). */
function diffSourceLists(previous: Model, next: Model, before: BackendNames, after: BackendNames): SourceListChange[] {
  const was = sourceListContents(previous, before);
  const is = sourceListContents(next, after);
  const changes: SourceListChange[] = [];
  for (const path of new Set([...was.keys(), ...is.keys()])) {
    const old = new Set(was.get(path) ?? []);
    const now = new Set(is.get(path) ?? []);
    const change = { path, add: [...now].filter((source) => !old.has(source)), remove: [...old].filter((source) => !now.has(source)) };
    if (change.add.length + change.remove.length > 0) changes.push(change);
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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
    maps: Object.values(plan.maps).reduce((sum, diff) => sum + diffSize(diff), 0) + plan.sourceLists.reduce((sum, change) => sum + change.add.length + change.remove.length, 0),
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
  const assigned = live.names.assign(next.backends, live.sparesUsed);
  if ('reason' in assigned) return { kind: 'reload', ...assigned };
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
    sourceLists: live.names !== assigned.names || live.model.backends !== next.backends ? diffSourceLists(live.model, next, live.names, assigned.names) : [],
    certificates,
  };
  return isEmptyPlan(plan) ? { kind: 'unchanged' } : plan;
}
