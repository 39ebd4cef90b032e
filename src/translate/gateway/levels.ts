// Gateway API routing into the model: the listeners attachGateways serves
// become host levels whose routes carry candidates (model.ts). Pure.
//
// Per listener and effective hostname, every match of every served rule is
// an entry keyed by its path (Exact or PathPrefix) with a candidate: its
// method, header and query conditions and its weighted backends. A route of
// the model holds, for one key, the candidates in the spec's precedence:
//
//   1. the entries of that key (Exact `/a` before the prefixes that match it),
//      ordered by: has a method, most headers, most query parameters, oldest
//      route, namespace/name, rule order, match order;
//   2. then the entries of every less specific path of the level that the
//      key's requests also match, longest first (a rule whose conditions
//      fail never shadows them);
//   3. then the level's RegularExpression paths (regex-paths.ts) whose
//      requests can reach the key: a condition on the path, longest pattern
//      first, after every Exact and PathPrefix match of the hostname;
//   4. then the same for the less specific hostnames (`*.example.com`, then
//      the listener's requests without a route hostname), as the spec orders
//      hostnames before paths.
// On one level host, the routes are ranked by their own hostname first, not
// by its intersection with the listener's: a route `*.example.com` attached
// to a listener `abc.example.com` is on the level `abc.example.com`, after
// every route that names `abc.example.com` itself, whatever their ages (the
// spec's "most characters in a matching non-wildcard hostname, then in a
// matching hostname"; HTTPRouteMultipleRoutesAttachmentSameHostnameIntersection).
//
// A key whose first candidate is unconditional with a single backend is a
// plain route, and costs what an Ingress route costs.
//
// Listener isolation (GatewayHTTPListenerIsolation): a request is served
// only by the routes of the most specific listener of a Gateway that matches
// its host (exact, then the longest wildcard, then no hostname), on its
// scope. A route's entries are kept on a level host only when their listener
// owns that host, and a level's chain takes from a less specific host only
// the entries whose listener owns the level's host too; a listener that
// another of its Gateway's listeners covers has a level of its own (404 when
// none of its routes matches), so its requests never reach the wider one's.
//
// Every listener is in the scope of its addresses, port and protocol
// (model.ts Scope): its levels' hosts carry the scope, so an HTTP listener's
// routes are never reached on the HTTPS port nor on another Gateway's
// addresses. A scope has a host-less level (404 for what matches nothing),
// except on the shared address on ports 80 and 443, where requests that
// match no Gateway level go on to the Ingresses' levels and catch-all.

//
// Levels are rebuilt only where their inputs changed: a level is a function
// of its host, the chain of less specific hosts, and the entries of each of
// them (route-entries.ts), which are the same objects while their routes are
// unchanged. Given the previous result, a level whose chain and entries are
// all the same objects is the previous level object itself (the data plane
// skips levels that are the same object, plan.ts); a rebuilt level equal to
// the previous one is the previous object too, so identity keeps meaning
// "unchanged" from one translation to the next.

import { isIngressPort, SCOPE_SEPARATOR, scopeId, splitLevelHost, type Scope, type Candidate, type HostLevel, type Route, type Target } from '../../model/model.js';
import type { BackendSpec } from '../backends.js';
import { regexReaches } from './regex-paths.js';
import { computeEntries, listenerKey, routeEntries, type Entry, type RouteEntries } from './route-entries.js';
import { intersectHostnames } from './hostnames.js';
import type { EffectiveHostnames, GatewayDiagnostic, ServedListener } from './types.js';

export interface GatewayLevels {
  levels: HostLevel[];
  /** The scopes of the listeners (addresses, port, protocol), sorted by id. */
  scopes: Scope[];
  specs: Map<string, BackendSpec>;
  diagnostics: GatewayDiagnostic[];
  /** Listeners left out (a port no socket can have), as `namespace/gateway/listener`. */
  listenersNotServed: string[];
}

const NOT_FOUND: Target = { kind: 'not-found' };

/** Whether a prefix key (no trailing slash) matches element-wise the requests of `path` (an exact path or another prefix key). */
function prefixCovers(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function compareOrder(a: Entry, b: Entry): number {
  for (let i = 0; i < a.order.length; i += 1) {
    const x = a.order[i]!;
    const y = b.order[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Where a route ranks on level host `host` (a hostname, or '' for any) by its
 * own hostnames: 0 when one of them is `host` itself (or the route names
 * none), else after every such route, the longer (more specific) of its
 * hostnames that covers `host` first.
 */
export function hostnameRank(routeHostnames: readonly string[], host: string): number {
  if (host === '' || routeHostnames.length === 0) return 0;
  let best: string | undefined;
  for (const hostname of routeHostnames) {
    if (intersectHostnames(hostname, host) === host && (best === undefined || hostname.length > best.length)) best = hostname;
  }
  return best === undefined || best === host ? 0 : 1000 - best.length;
}

/** A level host's entries in groups of equal hostnameRank, the best first (one group when no entry is ranked down). */
function rankGroups(entries: readonly Entry[], ranks: ReadonlyMap<Entry, number> | undefined): (readonly Entry[])[] {
  if (!ranks || !entries.some((entry) => ranks.has(entry))) return [entries];
  const groups = new Map<number, Entry[]>();
  for (const entry of entries) {
    const rank = ranks.get(entry) ?? 0;
    const group = groups.get(rank);
    if (group) group.push(entry);
    else groups.set(rank, [entry]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

/** The candidates the requests of one key meet on one level, in precedence order. */
function chainOf(entries: readonly Entry[], match: 'exact' | 'prefix', path: string): Candidate[] {
  const own = match === 'exact' ? entries.filter((entry) => entry.match === 'exact' && entry.path === path) : [];
  const prefixes = entries.filter((entry) => entry.match === 'prefix' && prefixCovers(entry.path, path));
  const regexes = entries.filter((entry) => entry.match === 'regex' && regexReaches(entry.path, match, path));
  // Longest prefix (and pattern) first; entries of one key by the spec's tie-breaks.
  const longestFirst = (a: Entry, b: Entry) => b.path.length - a.path.length || compareOrder(a, b);
  return [...own.sort(compareOrder), ...prefixes.sort(longestFirst), ...regexes.sort(longestFirst)].map((entry) => entry.candidate);
}

/**
 * The less specific hostnames whose routes could also apply: `*.b.c` for
 * `a.b.c` (any depth, as Gateway wildcards), then every host (''); those that
 * are levels apply. A function of the host alone, kept with the level's
 * inputs so that unchanged hosts do not redo it.
 */
function fallbackCandidates(levelHost: string): string[] {
  const out: string[] = [];
  const { host, scope } = splitLevelHost(levelHost);
  const suffix = scope === undefined ? '' : SCOPE_SEPARATOR + scope;
  if (host === '') return out;
  const labels = host.replace(/^\*\./, '').split('.');
  for (let i = 1; i < labels.length; i += 1) {
    const wildcard = `*.${labels.slice(i).join('.')}${suffix}`;
    if (wildcard !== levelHost) out.push(wildcard);
  }
  out.push(suffix);
  return out;
}

function toRoute(match: 'exact' | 'prefix', path: string, candidates: Candidate[]): Route {
  // Nothing after an unconditional candidate is ever reached.
  const cut = candidates.findIndex((candidate) => candidate.when === undefined);
  const list = cut === -1 ? candidates : candidates.slice(0, cut + 1);
  const last = list[list.length - 1];
  if (last && last.when === undefined && last.split.length === 1) {
    if (list.length === 1) return { match, path, target: last.split[0]!.target };
    return { match, path, target: last.split[0]!.target, candidates: list.slice(0, -1) };
  }
  return list.length === 0 ? { match, path, target: NOT_FOUND } : { match, path, target: NOT_FOUND, candidates: list };
}


// The level hosts of a route's entries on a listener: the same strings as
// last time while its hostnames and scope are the same, so that the maps
// keyed by them need not hash new strings for every unchanged route.
const levelHosts = new WeakMap<RouteEntries, { hostnames: EffectiveHostnames; suffix: string; hosts: string[] }>();

function sameHostnames(a: EffectiveHostnames, b: EffectiveHostnames): boolean {
  if (a === 'any' || b === 'any') return a === b;
  return a.length === b.length && a.every((hostname, i) => hostname === b[i]);
}

function levelHostsOf(made: RouteEntries, hostnames: EffectiveHostnames, suffix: string): string[] {
  const memo = levelHosts.get(made);
  if (memo && memo.suffix === suffix && sameHostnames(memo.hostnames, hostnames)) return memo.hosts;
  const hosts = (hostnames === 'any' ? [''] : hostnames).map((host) => host + suffix);
  levelHosts.set(made, { hostnames, suffix, hosts });
  return hosts;
}

/** What a level was built from: its chain of hosts and the entries of each. */
interface LevelInputs {
  /** fallbackCandidates(host). */
  candidates: readonly string[];
  chain: readonly string[];
  entries: readonly (readonly Entry[])[];
  /** The level built from these entries, whose candidates are theirs. */
  built: HostLevel;
  /** The level served: `built`, or an equal level of an earlier result (kept for its identity). */
  level: HostLevel;
  /** Listener isolation left entries of a less specific host out: the level answers every path itself. */
  isolated: boolean;
}

// The inputs of every level of a result, for the next call's reuse.
const levelInputs = new WeakMap<GatewayLevels, ReadonlyMap<string, LevelInputs>>();

/**
 * Whether a level's inputs are still `before`'s: the same chain of hosts (the
 * candidates that are levels now) and, for each, the same entry objects.
 * Checked without allocating: it runs for every unchanged level.
 */
function sameInputs(before: LevelInputs, hosts: ReadonlySet<string>, byHost: ReadonlyMap<string, readonly Entry[]>, entriesOf?: (chainHost: string) => readonly Entry[]): boolean {
  let next = 1;
  for (const candidate of before.candidates) {
    if (!hosts.has(candidate)) continue;
    if (before.chain[next] !== candidate) return false;
    next += 1;
  }
  if (next !== before.chain.length) return false;
  for (let i = 0; i < before.chain.length; i += 1) {
    const was = before.entries[i]!;
    const is = entriesOf ? entriesOf(before.chain[i]!) : byHost.get(before.chain[i]!)!;
    if (was.length !== is.length) return false;
    for (let j = 0; j < is.length; j += 1) if (was[j] !== is[j]) return false;
  }
  return true;
}

function buildLevel(host: string, chain: readonly string[], entries: readonly (readonly Entry[])[], isolated = false, ranks?: ReadonlyMap<string, ReadonlyMap<Entry, number>>): HostLevel {
  const keys = new Map<string, { match: 'exact' | 'prefix'; path: string }>();
  // The data plane goes on to a less specific host for a path no key of this level matches; with entries of those left out, every path is a key here (404 when nothing else matches).
  if (isolated) keys.set('prefix ', { match: 'prefix', path: '' });
  for (const list of entries) {
    for (const entry of list) {
      // A regular expression is looked for from `/`, which every request reaches when no longer key matches.
      const key = entry.match === 'regex' ? { match: 'prefix' as const, path: '' } : { match: entry.match, path: entry.path };
      keys.set(`${key.match} ${key.path}`, key);
    }
  }
  const routes = [...keys.values()]
    .map(({ match, path }) => toRoute(match, path, entries.flatMap((list, i) => rankGroups(list, ranks?.get(chain[i]!)).flatMap((group) => chainOf(group, match, path)))))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.match < b.match ? -1 : a.match > b.match ? 1 : 0));
  // Every key of the less specific hostnames is a key here too, so a request no key matches matches nothing: 404.
  return { host, ...(host.startsWith('*.') ? { anyDepth: true } : {}), routes, fallback: NOT_FOUND };
}

/** What makes two entries of one route the same: listeners of one scope may make equal ones (a route attached to two of them). */
function entryKey(entry: Entry): string {
  return JSON.stringify([entry.match, entry.path, entry.order, entry.candidate]);
}

/** Whether listener hostname `listener` (absent: every host) matches every request of level host `host` ('' : any host). */
function covers(listener: string | undefined, host: string): boolean {
  if (listener === undefined) return true;
  return host !== '' && intersectHostnames(listener, host) === host;
}

/** The hostname of the most specific of `hostnames` (a Gateway's listeners on one scope) that covers `host`: exact, then the longest wildcard, then none. */
function ownerOf(hostnames: readonly (string | undefined)[], host: string): string | undefined | null {
  let owner: string | undefined | null = null;
  for (const hostname of hostnames) {
    if (!covers(hostname, host)) continue;
    if (owner === null || (hostname ?? '').length > (owner ?? '').length) owner = hostname;
  }
  return owner;
}

/** Where an entry came from, for listener isolation: its listener's hostname and the hostnames of its Gateway's listeners on the scope. */
interface Isolated {
  hostname: string | undefined;
  hostnames: readonly (string | undefined)[];
}

/** Whether an entry's listener owns level host `host` (entries of Gateways with one listener hostname per scope always do). */
function owns(isolated: Isolated | undefined, host: string): boolean {
  return isolated === undefined || ownerOf(isolated.hostnames, host) === isolated.hostname;
}

/**
 * Served listeners → host levels (sorted by host), backend specs and
 * diagnostics. `previous`, the last result, changes nothing in the values:
 * levels equal to its levels are its very objects.
 */
export function gatewayLevels(listeners: readonly ServedListener[], previous?: GatewayLevels): GatewayLevels {
  const specs = new Map<string, BackendSpec>();
  const diagnostics: GatewayDiagnostic[] = [];
  const byHost = new Map<string, Entry[]>();
  const listenersNotServed: string[] = [];
  const scopes = new Map<string, Scope>();
  // RegularExpression matches by candidate, to report those no request can reach.
  const regexMatches = new Map<Candidate, GatewayDiagnostic>();
  const taken = new Set<RouteEntries>();
  // Per level host, the entries each route brought, to add a route's equal entries once.
  const contributed = new Map<string, Map<object, readonly Entry[]>>();
  // Listener isolation: per Gateway and scope, its listeners' hostnames; only Gateways with several matter.
  const hostnamesOf = new Map<string, (string | undefined)[]>();
  // ... and those of its listeners that have routes.
  const routedOf = new Map<string, Set<string | undefined>>();
  const isolationKey = (listener: ServedListener) => `${listener.gateway.namespace}/${listener.gateway.name}${SCOPE_SEPARATOR}${scopeOf(listener).id}`;
  for (const listener of listeners) {
    const key = isolationKey(listener);
    const list = hostnamesOf.get(key);
    if (!list) hostnamesOf.set(key, [listener.hostname]);
    else if (!list.includes(listener.hostname)) list.push(listener.hostname);
    if (listener.routes.length > 0) {
      const routed = routedOf.get(key);
      if (!routed) routedOf.set(key, new Set([listener.hostname]));
      else routed.add(listener.hostname);
    }
  }
  const isolatedEntries = new Map<Entry, Isolated>();
  // Per level host, the entries of routes whose own hostname is less specific than the host (hostnameRank > 0).
  const ranks = new Map<string, Map<Entry, number>>();
  for (const listener of listeners) {
    // The API bounds ports to 1-65535; anything else would make a bind HAProxy refuses.
    if (!Number.isInteger(listener.port) || listener.port < 1 || listener.port > 65535) {
      listenersNotServed.push(`${listener.gateway.namespace}/${listener.gateway.name}/${listener.name}`);
      continue;
    }
    const scope = scopeOf(listener);
    scopes.set(scope.id, scope);
    if (scope.addresses.length > 0 || !isIngressPort(scope.port, scope.protocol)) {
      if (!byHost.has(SCOPE_SEPARATOR + scope.id)) byHost.set(SCOPE_SEPARATOR + scope.id, []);
    }
    const suffix = SCOPE_SEPARATOR + scope.id;
    const key = listenerKey(listener);
    const gatewayHostnames = hostnamesOf.get(isolationKey(listener))!;
    const isolated: Isolated | undefined = gatewayHostnames.length > 1 ? { hostname: listener.hostname, hostnames: gatewayHostnames } : undefined;
    // A listener that another of its Gateway's listeners with routes covers has a level of its own, so that its requests never reach the wider one's routes.
    const routed = routedOf.get(isolationKey(listener));
    if (isolated && routed && listener.hostname !== undefined && [...routed].some((other) => other !== listener.hostname && covers(other, listener.hostname!))) {
      if (!byHost.has(listener.hostname + suffix)) byHost.set(listener.hostname + suffix, []);
    }
    for (const attachment of listener.routes) {
      let made = routeEntries(attachment.route, listener, key);
      // A listener named twice (decode refuses it; typed test objects may not): entries of its own, as every listener has.
      if (taken.has(made)) made = computeEntries(attachment.route, listener);
      taken.add(made);
      const hosts = levelHostsOf(made, attachment.hostnames, suffix);
      made.specs.forEach((spec, id) => specs.set(id, spec));
      if (made.diagnostics.length > 0) diagnostics.push(...made.diagnostics);
      if (made.regexMatches.size > 0) made.regexMatches.forEach((diagnostic, candidate) => regexMatches.set(candidate, diagnostic));
      if (isolated) for (const entry of made.entries) isolatedEntries.set(entry, isolated);
      for (const host of hosts) {
        // The route's hostname belongs to a more specific listener of its Gateway: not served through this one.
        if (isolated && !owns(isolated, splitLevelHost(host).host)) continue;
        let entries = byHost.get(host);
        if (!entries) byHost.set(host, (entries = []));
        const rank = attachment.hostnames === 'any' ? 0 : hostnameRank(attachment.route.route.spec.hostnames, splitLevelHost(host).host);
        if (rank > 0) {
          let ranked = ranks.get(host);
          if (!ranked) ranks.set(host, (ranked = new Map()));
          for (const entry of made.entries) ranked.set(entry, rank);
        }
        let fromRoute = contributed.get(host);
        if (!fromRoute) contributed.set(host, (fromRoute = new Map()));
        const earlier = fromRoute.get(attachment.route);
        if (!earlier) {
          fromRoute.set(attachment.route, made.entries);
          for (const entry of made.entries) entries.push(entry);
          continue;
        }
        // The route reached this host through another listener of the same scope too: its equal entries once.
        const seen = new Set(earlier.map(entryKey));
        for (const entry of made.entries) if (!seen.has(entryKey(entry))) entries.push(entry);
      }
    }
  }
  const hosts = new Set(byHost.keys());
  const before = previous ? levelInputs.get(previous) : undefined;
  const inputs = new Map<string, LevelInputs>();
  const levels: HostLevel[] = [];
  for (const host of [...hosts].sort()) {
    const was = before?.get(host);
    const candidates = was?.candidates ?? fallbackCandidates(host);
    // With listener isolation in play, the entries of a chain host that may serve this host's requests (without, all of them: nothing allocated).
    let entriesOf: ((chainHost: string) => readonly Entry[]) | undefined;
    let isolated = false;
    if (isolatedEntries.size > 0) {
      const plainHost = splitLevelHost(host).host;
      const owned = (entry: Entry) => owns(isolatedEntries.get(entry), plainHost);
      entriesOf = (chainHost) => {
        const all = byHost.get(chainHost)!;
        return chainHost === host || all.every(owned) ? all : all.filter(owned);
      };
      isolated = candidates.some((candidate) => hosts.has(candidate) && !byHost.get(candidate)!.every(owned));
    }
    if (was && was.isolated === isolated && sameInputs(was, hosts, byHost, entriesOf)) {
      // Candidates of this call's entries (`level` may be an equal level of an earlier result, with older ones).
      if (regexMatches.size > 0) for (const route of was.built.routes) for (const candidate of route.candidates ?? []) regexMatches.delete(candidate);
      inputs.set(host, was);
      levels.push(was.level);
      continue;
    }
    const chain = [host, ...candidates.filter((candidate) => hosts.has(candidate))];
    const entries = chain.map((level) => (entriesOf ? entriesOf(level) : byHost.get(level)!));
    const built = buildLevel(host, chain, entries, isolated, ranks);
    // Rebuilt (a route of it changed) yet equal: keep the previous object, which the data plane skips.
    const level = was && JSON.stringify(was.level) === JSON.stringify(built) ? was.level : built;
    for (const route of built.routes) for (const candidate of route.candidates ?? []) regexMatches.delete(candidate);
    inputs.set(host, { candidates, chain, entries, built, level, isolated });
    levels.push(level);
  }
  const unreached = new Map([...regexMatches.values()].map((diagnostic) => [`${diagnostic.object.kind} ${diagnostic.object.namespace}/${diagnostic.object.name} ${diagnostic.field}`, diagnostic]));
  const result: GatewayLevels = { levels, scopes: [...scopes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), specs, diagnostics: [...diagnostics, ...unreached.values()], listenersNotServed };
  levelInputs.set(result, inputs);
  return result;
}

/** The scope of a listener: its addresses, port and protocol, so listeners with equal ones share one. */
function scopeOf(listener: ServedListener): Scope {
  const addresses = [...listener.addresses].sort();
  const protocol = listener.protocol === 'HTTPS' ? 'https' : 'http';
  return { id: scopeId(addresses, listener.port, protocol), addresses, port: listener.port, protocol };
}
