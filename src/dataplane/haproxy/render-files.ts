// model → the map files, crt-list and PEM files of one generation. Pure.
//
// Routing uses maps, not one ACL per rule (see notes/haproxy-2.6.md §4):
//   hosts.map     host (and host + ".") or `*.wildcard` → the host level key:
//                 which level a request is on; an unknown host is on `_`
//   exact.map     level + path → backend, for Exact paths
//   prefix.map    level + prefix + `/` → backend, looked up with map_beg on
//                 level + path + `/`: a prefix tree where the longest key wins,
//                 and the added `/` on both sides makes the match element-wise.
//                 Each level also has `level/` → its fallback (unless a `/`
//                 route takes that key), so one lookup always finds a backend
//   redirect.map  TLS hosts whose plain-HTTP requests get a 308 to HTTPS
//   passthrough.map  SNI → the backend that takes the TLS connection as it
//                 is (ssl-passthrough), looked up by the TCP frontend
//   canary-weights.map  a canaried route's backend → the canary's share of
//                 the requests no header or cookie decided, in ten-thousandths
//   candidates.map  for routes with request conditions or weighted splits
//                 (Route.candidates): the exact, prefix or regex entry of such
//                 a route holds its route key `?<digest>` (from level, match
//                 and path) instead of a backend, and this map holds the
//                 route's candidate list under that key (format in
//                 config-lines.ts), which features/candidates-lua.ts
//                 evaluates; long lists are cut into several entries
//   regex.map     for levels whose paths are regular expressions (ingress-
//                 nginx's use-regex; their level key starts with `~`): one
//                 `^~level(?i:pattern)` key per route, looked up with map_reg
//                 on level + path, in the order of the level's routes (the
//                 first match wins, so this map is never sorted and always
//                 replaced whole at runtime); such a level's `~level/` entry
//                 in prefix.map holds its fallback
// The host-less level's key is `_`, which no valid host can be; its `_/`
// entry is the host-less fallback, or the catch-all.
//
// With client certificates (auth-tls-*), the crt-list gets a line per host
// that asks for them, and features/client-auth.ts adds its files (the CA
// bundles, client-auth.map and friends); those change only with a reload.

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { effectiveShares } from '../../model/match.js';
import { parseBackendId, SCOPE_SEPARATOR, splitLevelHost, type HostLevel, type Model, type Route, type Target } from '../../model/model.js';
import { candidateEntries, candidateList, crtList, hostName, ident, int, levelName, mapFile, routeKey, scopeName, serviceLabel, type CrtListEntry, type MapEntry, type Safe } from './config-lines.js';
import { candidatesLua } from './features/candidates-lua.js';
import { GENERATION_FILES } from './layout.js';
import { EXT_AUTH_LUA } from './features/ext-auth-lua.js';
import { MIRROR_LUA } from './features/mirror-lua.js';
import { basicAuthFiles } from './features/basic-auth.js';
import { clientAuthFiles, clientAuthRules, type ClientAuthRule } from './features/client-auth.js';
import { CUSTOM_ERRORS_LUA, CUSTOM_ERRORS_LUA_FILE } from './features/custom-errors.js';
import { settingEntries } from './features/settings.js';
import { patternListFile, patternLists } from './features/source-lists.js';
import { SPARE_PREFIX, type BackendNames } from './structure.js';

export const HOSTLESS_LEVEL = '_';
export const NOT_FOUND_BACKEND = 'portero:not-found';
export const UNAVAILABLE_BACKEND = 'portero:unavailable';
/** Answers 500: a Gateway API backendRef that cannot be resolved. */
export const INVALID_BACKEND = 'portero:invalid';

export interface RenderedFile {
  /** Relative to the generation directory. */
  path: string;
  content: string;
  mode: number;
}

/** The HAProxy backend a target is served by. A backend without a name yet (no section, no spare) answers 503. */
export function backendName(target: Target, names?: BackendNames): Safe {
  switch (target.kind) {
    case 'backend':
      return ident(names ? (names.nameOf(target.id) ?? UNAVAILABLE_BACKEND) : target.id);
    case 'unavailable':
      return ident(UNAVAILABLE_BACKEND);
    case 'not-found':
      return ident(NOT_FOUND_BACKEND);
    case 'invalid':
      return ident(INVALID_BACKEND);
  }
}

/** Whether a route is decided by its candidates (Route.candidates) rather than by its target alone. */
export function hasCandidates(route: Route): boolean {
  return (route.candidates?.length ?? 0) > 0;
}

function hex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The key of a route with candidates: stable, from its level, match and path. */
export function routeKeyOf(levelKeyText: string, route: Pick<Route, 'match' | 'path'>): Safe {
  return routeKey(`?${hex(`${levelKeyText}\n${route.match}\n${route.path}`, 16)}`);
}

/** The candidates.map entries of a route with candidates. */
function candidateMapEntries(key: Safe, route: Route, names: BackendNames | undefined): MapEntry[] {
  const texts = (route.candidates ?? []).map((candidate) => ({
    ...(candidate.when?.method !== undefined ? { method: candidate.when.method } : {}),
    ...(candidate.when?.path !== undefined ? { path: candidate.when.path } : {}),
    headers: candidate.when?.headers ?? [],
    query: candidate.when?.query ?? [],
    shares: effectiveShares(candidate.split).map((share) => ({ weight: share.weight, backend: backendName(share.target, names) })),
  }));
  return candidateEntries(key, candidateList(texts, backendName(route.target, names)), (list) => hex(list, 12));
}

/** `|scope` for a scoped level (model.ts Scope), '' otherwise. */
function scopeSuffix(scope: string | undefined): string {
  return scope === undefined ? '' : `${SCOPE_SEPARATOR}${scopeName(scope).text}`;
}

function levelKey(level: Pick<HostLevel, 'host' | 'regex'>): string {
  const { host, scope } = splitLevelHost(level.host);
  const key = `${host === '' ? HOSTLESS_LEVEL : hostName(host).text}${scopeSuffix(scope)}`;
  return level.regex ? `~${key}` : key;
}

/** The level key as a regular expression: its dots and `*` as classes, so the key needs no backslash. */
function levelPattern(key: string): string {
  return key.replace(/[.*]/g, (char) => `[${char}]`);
}

export function certificateFile(id: string): string {
  return `${GENERATION_FILES.certsDir}/${ident(id).text}.pem`;
}

export interface MapContents {
  hosts: MapEntry[];
  exact: MapEntry[];
  prefix: MapEntry[];
  redirect: MapEntry[];
  /** In route order; never sorted (see the top of this file). */
  regex: MapEntry[];
  canary: MapEntry[];
  /** Route key → candidate list (or one part of a long one). */
  candidates: MapEntry[];
  passthrough: MapEntry[];
  /** HAProxy backend name → `namespace/service:port`, for access logs (spare backends especially). */
  backends: MapEntry[];
  /** `<section>|<setting>` → a value its rules read (features/settings.ts). */
  settings: MapEntry[];
}

export type MapName = keyof MapContents;
export const MAP_FILES: Readonly<Record<MapName, string>> = {
  hosts: GENERATION_FILES.hostsMap,
  exact: GENERATION_FILES.exactMap,
  prefix: GENERATION_FILES.prefixMap,
  redirect: GENERATION_FILES.redirectMap,
  regex: GENERATION_FILES.regexMap,
  canary: GENERATION_FILES.canaryMap,
  candidates: GENERATION_FILES.candidatesMap,
  passthrough: GENERATION_FILES.passthroughMap,
  backends: GENERATION_FILES.backendsMap,
  settings: GENERATION_FILES.settingsMap,
};

/** The hosts, exact, prefix and regex entries of one host level. */
export interface LevelEntries {
  hosts: MapEntry[];
  exact: MapEntry[];
  prefix: MapEntry[];
  regex: MapEntry[];
  canary: MapEntry[];
  candidates: MapEntry[];
}

// Entries per level object, with the names they were made with: levels are
// immutable and reused by translate when unchanged (see translate.ts).
const levelMemo = new WeakMap<HostLevel, { names: BackendNames | undefined; entries: LevelEntries }>();

function targetIds(level: HostLevel): string[] {
  const ids: string[] = [];
  if (level.fallback.kind === 'backend') ids.push(level.fallback.id);
  for (const route of level.routes) {
    if (route.target.kind === 'backend') ids.push(route.target.id);
    for (const candidate of route.candidates ?? []) for (const share of candidate.split) if (share.target.kind === 'backend') ids.push(share.target.id);
  }
  return ids;
}

/** Whether two name tables give every backend of the level the same name. */
export function sameNamesFor(level: HostLevel, a: BackendNames | undefined, b: BackendNames | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return targetIds(level).every((id) => a.nameOf(id) === b.nameOf(id));
}

export function levelEntries(level: HostLevel, names?: BackendNames): LevelEntries {
  const memo = levelMemo.get(level);
  if (memo && sameNamesFor(level, memo.names, names)) return memo.entries;
  const entries: LevelEntries = { hosts: [], exact: [], prefix: [], regex: [], canary: [], candidates: [] };
  const key = levelKey(level);
  const { host, scope } = splitLevelHost(level.host);
  if (host !== '') {
    entries.hosts.push({ key: `${hostName(host).text}${scopeSuffix(scope)}`, value: levelName(key) });
    // A trailing dot in Host names the same host; matching it here costs nothing per request.
    entries.hosts.push({ key: `${hostName(host).text}.${scopeSuffix(scope)}`, value: levelName(key) });
    // A Gateway wildcard also answers for deeper names, looked up as `**.<rest>` (render-config.ts).
    if (level.anyDepth && host.startsWith('*.')) entries.hosts.push({ key: `*${hostName(host).text}${scopeSuffix(scope)}`, value: levelName(key) });
  } else if (level.regex || scope !== undefined) {
    // Requests on no other level look up `_` (render-routing.ts), which names this one; a Gateway scope's `_|scope` says that the scope has one.
    entries.hosts.push({ key: `${HOSTLESS_LEVEL}${scopeSuffix(scope)}`, value: levelName(key) });
  }
  let rootRoute = false;
  for (const route of level.routes) {
    if (route.canary && route.canary.weight > 0) entries.canary.push({ key: backendName(route.target, names).text, value: int(route.canary.weight) });
    // A route with candidates: its key, and its list in candidates.map.
    let value = backendName(route.target, names);
    if (hasCandidates(route)) {
      value = routeKeyOf(key, route);
      entries.candidates.push(...candidateMapEntries(value, route, names));
    }
    if (route.match === 'regex') entries.regex.push({ key: `^${levelPattern(key)}(?i:${route.path})`, value });
    else if (route.match === 'exact') entries.exact.push({ key: `${key}${route.path}`, value });
    else {
      entries.prefix.push({ key: `${key}${route.path}/`, value });
      if (route.path === '') rootRoute = true;
    }
  }
  if (!rootRoute) entries.prefix.push({ key: `${key}/`, value: backendName(level.fallback, names) });
  levelMemo.set(level, { names, entries });
  return entries;
}

/** Entries that belong to no level: the catch-all when no host-less rule exists. */
export function catchAllEntries(model: Model, names?: BackendNames): MapEntry[] {
  return model.levels.some((level) => level.host === '') ? [] : [{ key: `${HOSTLESS_LEVEL}/`, value: backendName(model.catchAll, names) }];
}

/** SNI host → passthrough backend. */
export function passthroughEntries(model: Model, names?: BackendNames): MapEntry[] {
  return (model.passthrough ?? []).map((entry) => ({ key: hostName(entry.host).text, value: backendName(entry.target, names) }));
}

/** The hosts of the regex levels (their level key starts with `~`). */
export function regexLevels(model: Model): ReadonlySet<string> {
  return new Set(model.levels.filter((level) => level.regex).map((level) => level.host));
}

/** Redirect hosts, with their trailing-dot twin, and the `~` level key of a regex wildcard level (looked up by level). */
export function redirectEntries(hosts: readonly string[], regex: ReadonlySet<string> = new Set()): MapEntry[] {
  return hosts.flatMap((host) => [
    { key: hostName(host).text, value: ident('1') },
    { key: `${hostName(host).text}.`, value: ident('1') },
    ...(regex.has(host) && host.startsWith('*.') ? [{ key: `~${hostName(host).text}`, value: ident('1') }] : []),
  ]);
}

function byKey(a: MapEntry, b: MapEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Every named backend (sections and taken spares) with the Service port it serves. */
export function backendEntries(names?: BackendNames): MapEntry[] {
  if (!names) return [];
  const entries: MapEntry[] = [];
  const add = (name: string, id: string) => {
    const parts = parseBackendId(id);
    if (parts) entries.push({ key: name, value: serviceLabel(parts.namespace, parts.service, parts.port) });
  };
  for (const id of names.structure.backends.keys()) add(id, id);
  for (const [id, spare] of names.spareAssignments) add(`${SPARE_PREFIX}${spare}`, id);
  return entries.sort(byKey);
}

/**
 * The settings.map entries: the runtime values of each backend with a
 * section (its own, or one it was given since: structure.ts), under that
 * section's name. Backends without features have none.
 */
export function settingsEntries(model: Model, names?: BackendNames): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const backend of model.backends) {
    if (!backend.features) continue;
    const section = names ? names.nameOf(backend.id) : backend.id;
    if (section !== undefined) entries.push(...settingEntries(section, backend.features));
  }
  return entries.sort(byKey);
}

/**
 * The pattern lists of the sections (features/source-lists.ts: source
 * addresses of access lists and of limit-whitelist, CORS origins), by pattern file: each backend's lists under the
 * name of the section serving it.
 */
export function sourceListContents(model: Model, names?: BackendNames): Map<string, readonly string[]> {
  const lists = new Map<string, readonly string[]>();
  for (const backend of model.backends) {
    const features = backend.features;
    if (!features?.allowSources && !features?.denySources && !features?.limits?.exempt?.length && !features?.cors?.origins && !features?.gateway?.cors) continue;
    const section = names ? names.nameOf(backend.id) : backend.id;
    if (section !== undefined) for (const list of patternLists(section, backend.features)) lists.set(list.path, list.patterns);
  }
  return lists;
}

export function mapContents(model: Model, names?: BackendNames): MapContents {
  const maps: MapContents = {
    hosts: [],
    exact: [],
    prefix: [],
    redirect: redirectEntries(model.redirectHosts, regexLevels(model)),
    regex: [],
    canary: [],
    candidates: [],
    passthrough: passthroughEntries(model, names),
    backends: backendEntries(names),
    settings: settingsEntries(model, names),
  };
  for (const level of model.levels) {
    const entries = levelEntries(level, names);
    maps.hosts.push(...entries.hosts);
    maps.exact.push(...entries.exact);
    maps.prefix.push(...entries.prefix);
    maps.regex.push(...entries.regex);
    maps.canary.push(...entries.canary);
    maps.candidates.push(...entries.candidates);
  }
  maps.prefix.push(...catchAllEntries(model, names));
  // A level copied for a server-alias shares its routes' backends: one weight per backend.
  maps.canary = [...new Map(maps.canary.map((entry) => [entry.key, entry])).values()];
  for (const [name, entries] of Object.entries(maps) as [MapName, MapEntry[]][]) if (name !== 'regex') entries.sort(byKey);
  return maps;
}

function errorFile503(): string {
  const body = '503 Service Unavailable: no ready endpoints\n';
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-cache\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * The crt-list: the default certificate first, then each certificate with
 * its SNI names. A name whose level asks for client certificates
 * (auth-tls-*) gets a line of its own, with the same certificate and the
 * level's CA (features/client-auth.ts); the level of rules without host puts
 * its CA on the default certificate's line, which serves every other name.
 */
export function crtListEntries(model: Model, genDir: string): CrtListEntry[] {
  const verifying = new Map<string, ClientAuthRule>();
  for (const rule of clientAuthRules(model)) if (rule.certificate !== undefined) verifying.set(rule.level, rule);
  const file = (id: string) => `${genDir}/${certificateFile(id)}`;
  const verify = (rule: ClientAuthRule | undefined) => (rule ? { verify: { caFile: file(rule.ca), ...(rule.crl !== undefined ? { crlFile: file(rule.crl) } : {}) } } : {});
  const entries: CrtListEntry[] = [{ file: file(model.defaultCertificate.id), sni: [], ...verify(verifying.get(HOSTLESS_LEVEL)) }];
  const own = (id: string, hosts: readonly string[]) => {
    const plain = hosts.filter((host) => !verifying.has(host));
    if (plain.length > 0) entries.push({ file: file(id), sni: plain });
    for (const host of hosts) if (verifying.has(host)) entries.push({ file: file(id), sni: [host], ...verify(verifying.get(host)) });
  };
  for (const certificate of model.certificates) own(certificate.id, certificate.hosts);
  // Levels asking for certificates whose name has no line of its own: the default certificate, or the wildcard's certificate, with their CA.
  const listed = new Set(model.certificates.flatMap((certificate) => certificate.hosts));
  for (const [level, rule] of verifying) {
    if (level === HOSTLESS_LEVEL || listed.has(level)) continue;
    entries.push({ file: file(rule.certificate === 'default' ? model.defaultCertificate.id : rule.certificate!), sni: [level], ...verify(rule) });
  }
  return entries;
}

/** Every file of a generation; `genDir` is the absolute directory they will live in. */
export function renderFiles(model: Model, genDir: string, names?: BackendNames): RenderedFile[] {
  const maps = mapContents(model, names);
  const files: RenderedFile[] = (Object.keys(MAP_FILES) as MapName[]).map((name) => ({ path: MAP_FILES[name], content: mapFile(maps[name]), mode: 0o644 }));
  files.push({ path: GENERATION_FILES.error503, content: errorFile503(), mode: 0o644 });
  // Always written (a few KiB): whether the configuration loads it is decided there.
  files.push({ path: GENERATION_FILES.extAuthLua, content: EXT_AUTH_LUA, mode: 0o644 });
  files.push({ path: CUSTOM_ERRORS_LUA_FILE, content: CUSTOM_ERRORS_LUA, mode: 0o644 });
  files.push({ path: GENERATION_FILES.mirrorLua, content: MIRROR_LUA, mode: 0o644 });
  files.push({ path: GENERATION_FILES.candidatesLua, content: candidatesLua(`${genDir}/${GENERATION_FILES.candidatesMap}`, INVALID_BACKEND), mode: 0o644 });
  files.push({ path: certificateFile(model.defaultCertificate.id), content: model.defaultCertificate.pem, mode: 0o600 });
  for (const certificate of model.certificates) files.push({ path: certificateFile(certificate.id), content: certificate.pem, mode: 0o600 });
  files.push({ path: GENERATION_FILES.crtList, content: crtList(crtListEntries(model, genDir)), mode: 0o644 });
  files.push(...clientAuthFiles(model));
  // Basic auth of the backends served by a section (their own, or one they were given since: spares never have features).
  const featured = (names ? model.backends.filter((backend) => names.nameOf(backend.id) !== undefined) : model.backends).map((backend) => backend.features);
  files.push(...basicAuthFiles(featured));
  for (const [path, patterns] of sourceListContents(model, names)) files.push({ path, content: patternListFile(path, patterns), mode: 0o644 });
  return files;
}
