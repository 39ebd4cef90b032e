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
//
// A key whose first candidate is unconditional with a single backend is a
// plain route, and costs what an Ingress route costs.
//
// Every listener is in the scope of its addresses, port and protocol
// (model.ts Scope): its levels' hosts carry the scope, so an HTTP listener's
// routes are never reached on the HTTPS port nor on another Gateway's
// addresses. A scope has a host-less level (404 for what matches nothing),
// except on the shared address on ports 80 and 443, where requests that
// match no Gateway level go on to the Ingresses' levels and catch-all.

import { backendId, isIngressPort, SCOPE_SEPARATOR, scopeId, splitLevelHost, type Scope, type Candidate, type HostLevel, type RequestCondition, type Route, type Target, type ValueMatch, type WeightedTarget } from '../../model/model.js';
import { featuredBackendId, isEmptyFeatures, type Features } from '../../model/features.js';
import type { GatewayFilters } from '../../model/gateway-features.js';
import type { GRPCRouteRule, HTTPRouteMatch, HTTPRouteRule } from '../../objects/gateway-types.js';
import type { Service } from '../../objects/types.js';
import type { BackendSpec } from '../backends.js';
import { safeRegex } from '../regex.js';
import { combineFilters, filterFeatures, type FilterContext } from './filter-features.js';
import { regexPath, regexReaches } from './regex-paths.js';
import type { BackendResolution, GatewayDiagnostic, RouteAttachment, ServedListener, ServedRule } from './types.js';

/** One match of one rule: where it is keyed and what it asks. */
interface Entry {
  match: 'exact' | 'prefix' | 'regex';
  /** Exact: as written; prefix: without trailing slashes ('' for `/`); regex: the safe pattern (also in the candidate's condition). */
  path: string;
  candidate: Candidate;
  /** The spec's tie-breaks after the path, as a sortable tuple. */
  order: readonly (number | string)[];
}

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
const INVALID: Target = { kind: 'invalid' };

/** The synthetic Service port of a rule answered by a redirect: port 0, which no real Service has. */
function redirectSpec(namespace: string, features: Features): BackendSpec {
  const service: Service = { kind: 'Service', metadata: { namespace, name: 'redirect', creationTimestamp: '', labels: {}, annotations: {} }, spec: { type: 'ClusterIP', ports: [] } };
  const base = backendId(namespace, 'redirect', 0);
  return { id: featuredBackendId(base, features), namespace, service, servicePort: { name: '', port: 0, protocol: 'TCP' }, features };
}

/** A header or query match as the model holds it. */
function valueMatch(type: string, value: string): ValueMatch {
  return type === 'RegularExpression' ? { kind: 'regex', value: checkedPattern(value) } : { kind: 'exact', value };
}

function conditionOf(match: HTTPRouteMatch): RequestCondition | undefined {
  const firstByName = <T extends { name: string }>(items: readonly T[], fold: (name: string) => string) => items.filter((item, index) => items.findIndex((other) => fold(other.name) === fold(item.name)) === index);
  const headers = firstByName(match.headers, (name) => name.toLowerCase()).map((header) => ({ name: header.name.toLowerCase(), match: valueMatch(header.type, header.value) }));
  const query = firstByName(match.queryParams, (name) => name).map((param) => ({ name: param.name, match: valueMatch(param.type, param.value) }));
  if (match.method === undefined && headers.length === 0 && query.length === 0) return undefined;
  return { ...(match.method !== undefined ? { method: match.method } : {}), headers, query };
}

type GRPCMethod = NonNullable<GRPCRouteRule['matches'][number]['method']>;

/**
 * A regular expression the router checked (serve.ts: translate/regex.ts's
 * subset) in the form the data plane takes: escapes rewritten as classes.
 * The subset drops a leading `^` (it was made for paths anchored anyway);
 * an unanchored match keeps it.
 */
function checkedPattern(written: string): string {
  const checked = safeRegex(written);
  if (!checked.ok) return written;
  return written.startsWith('^') ? `^${checked.pattern}` : checked.pattern;
}

/** One part (service or method) of a gRPC path pattern: any name when absent, else the expression as a whole name. */
function grpcPart(written: string | undefined): string {
  if (written === undefined) return '[^/]+';
  const checked = safeRegex(written);
  const pattern = checked.ok ? checked.pattern : written;
  // Anchored by the whole path pattern: a `$` of its own would end the path there.
  return `(?:${pattern.endsWith('$') ? pattern.slice(0, -1) : pattern})`;
}

/**
 * The path key of a GRPCRoute match, and the path condition when no key
 * says it all: `/service/method` exact, `/service` prefix, or every path
 * with a pattern of the whole `/<service>/<method>` (a method of any
 * service; regular expressions, which must match the whole service and
 * method name).
 */
function grpcPath(method: GRPCMethod | undefined): { key: { match: 'exact' | 'prefix'; path: string }; path?: ValueMatch } {
  if (!method || (method.service === undefined && method.method === undefined)) return { key: { match: 'prefix', path: '' } };
  if (method.type === 'Exact' && method.service !== undefined) {
    return { key: method.method === undefined ? { match: 'prefix', path: `/${method.service}` } : { match: 'exact', path: `/${method.service}/${method.method}` } };
  }
  const exact = method.type === 'Exact';
  const part = (value: string | undefined) => (exact && value !== undefined ? value : grpcPart(value));
  return { key: { match: 'prefix', path: '' }, path: { kind: 'regex', value: `^/${part(method.service)}/${part(method.method)}$` } };
}

class Router {
  readonly specs = new Map<string, BackendSpec>();
  readonly diagnostics: GatewayDiagnostic[] = [];

  /** The weighted targets of a rule (for one listener): invalid shares answer 500; no backends: 500, or the rule's redirect. */
  split(attachment: RouteAttachment, served: ServedRule<HTTPRouteRule | GRPCRouteRule>, context: FilterContext): WeightedTarget[] {
    const route = attachment.route.route;
    const field = `spec.rules[${served.index}]`;
    if (served.fail) return [{ target: INVALID, weight: 1 }];
    const timeouts = 'timeouts' in served.rule ? served.rule.timeouts : undefined;
    const ruleFilters = filterFeatures(served.rule.filters, `${field}.filters`, context, timeouts, `${field}.timeouts`);
    if (!ruleFilters.ok) return this.refused(attachment, ruleFilters.field, ruleFilters.message);
    const redirect = ruleFilters.filters?.redirect;
    if (served.backends.length === 0 || redirect) {
      if (!redirect) return [{ target: INVALID, weight: 1 }];
      const spec = redirectSpec(route.metadata.namespace, { gateway: ruleFilters.filters! });
      this.specs.set(spec.id, spec);
      return [{ target: { kind: 'backend', id: spec.id }, weight: 1 }];
    }
    const split: WeightedTarget[] = [];
    for (const [index, backend] of served.backends.entries()) {
      if (backend.weight === 0) continue;
      const target = this.backendTarget(attachment, backend, ruleFilters.filters, context, `${field}.backendRefs[${index}].filters`);
      if (target === undefined) return [{ target: INVALID, weight: 1 }];
      split.push({ target, weight: backend.weight });
    }
    // Every weight 0: no backend may be chosen. The spec leaves it open; its open proposal is 500.
    return split.length > 0 ? split : [{ target: INVALID, weight: 1 }];
  }

  private backendTarget(attachment: RouteAttachment, backend: BackendResolution, rule: GatewayFilters | undefined, context: FilterContext, field: string): Target | undefined {
    if (!backend.ok) return INVALID;
    const own = filterFeatures(backend.filters, field, context);
    if (!own.ok) {
      this.refused(attachment, own.field, own.message);
      return undefined;
    }
    const filters = combineFilters(rule, own.filters);
    // h2c: `proto h2` on the servers, a backend setting (app-protocol.ts).
    const features: Features = { ...(filters ? { gateway: filters } : {}), ...(backend.protocol === 'h2c' ? { upstream: { kind: 'h2c' as const } } : {}) };
    const base: BackendSpec = { id: backendId(backend.namespace, backend.name, backend.servicePort.port), namespace: backend.namespace, service: backend.service, servicePort: backend.servicePort };
    const spec: BackendSpec = isEmptyFeatures(features) ? base : { ...base, id: featuredBackendId(base.id, features), features };
    this.specs.set(spec.id, spec);
    return { kind: 'backend', id: spec.id };
  }

  private refused(attachment: RouteAttachment, field: string, message: string): WeightedTarget[] {
    const route = attachment.route.route;
    this.diagnostics.push({ severity: 'warning', object: { kind: attachment.route.kind, namespace: route.metadata.namespace, name: route.metadata.name }, field, message: `${message}; requests of the rule answer 500` });
    return [{ target: INVALID, weight: 1 }];
  }
}

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

/** The candidates the requests of one key meet on one level, in precedence order. */
function chainOf(entries: readonly Entry[], match: 'exact' | 'prefix', path: string): Candidate[] {
  const own = match === 'exact' ? entries.filter((entry) => entry.match === 'exact' && entry.path === path) : [];
  const prefixes = entries.filter((entry) => entry.match === 'prefix' && prefixCovers(entry.path, path));
  const regexes = entries.filter((entry) => entry.match === 'regex' && regexReaches(entry.path, match, path));
  // Longest prefix (and pattern) first; entries of one key by the spec's tie-breaks.
  const longestFirst = (a: Entry, b: Entry) => b.path.length - a.path.length || compareOrder(a, b);
  return [...own.sort(compareOrder), ...prefixes.sort(longestFirst), ...regexes.sort(longestFirst)].map((entry) => entry.candidate);
}

/** The less specific hostnames whose routes also apply: `*.b.c` for `a.b.c` (any depth, as Gateway wildcards), then every host (''). */
function fallbackHosts(levelHost: string, hosts: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const { host, scope } = splitLevelHost(levelHost);
  const suffix = scope === undefined ? '' : SCOPE_SEPARATOR + scope;
  if (host === '') return out;
  const labels = host.replace(/^\*\./, '').split('.');
  for (let i = 1; i < labels.length; i += 1) {
    const wildcard = `*.${labels.slice(i).join('.')}${suffix}`;
    if (wildcard !== levelHost && hosts.has(wildcard)) out.push(wildcard);
  }
  if (hosts.has(suffix)) out.push(suffix);
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

/** Served listeners → host levels (sorted by host), backend specs and diagnostics. */
export function gatewayLevels(listeners: readonly ServedListener[]): GatewayLevels {
  const router = new Router();
  const byHost = new Map<string, Entry[]>();
  const listenersNotServed: string[] = [];
  const scopes = new Map<string, Scope>();
  // RegularExpression matches by candidate, to report those no request can reach.
  const regexMatches = new Map<Candidate, GatewayDiagnostic>();
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
    const context = { listenerPort: listener.port, listenerScheme: listener.protocol === 'HTTPS' ? ('https' as const) : ('http' as const) };
    for (const attachment of listener.routes) {
      const route = attachment.route.route;
      const hosts = (attachment.hostnames === 'any' ? [''] : attachment.hostnames).map((host) => host + suffix);
      for (const served of attachment.route.rules as ServedRule<HTTPRouteRule | GRPCRouteRule>[]) {
        const keys = attachment.route.kind === 'HTTPRoute' ? (served.rule as HTTPRouteRule).matches.map((match) => ({ key: pathKey(match), condition: conditionOf(match), rank: httpRank(match) })) : grpcKeys(served.rule as GRPCRouteRule);
        keys.forEach(({ key, condition, rank }, matchIndex) => {
          if (!key) return;
          const prefixContext: FilterContext = { ...context, ...(key.match === 'prefix' ? { matchedPrefix: key.path } : {}) };
          // A regular-expression path is a condition of the candidate (regex-paths.ts).
          const when = key.match === 'regex' ? { headers: [], query: [], ...condition, path: { kind: 'regex' as const, value: `^(?:${key.path})$` } } : condition;
          const candidate: Candidate = { ...(when ? { when } : {}), split: router.split(attachment, served, prefixContext) };
          if (key.match === 'regex') {
            const field = attachment.route.kind === 'HTTPRoute' ? `spec.rules[${served.index}].matches[${matchIndex}].path` : `spec.rules[${served.index}].matches[${matchIndex}].method`;
            const message = 'this RegularExpression match is never reached: an Exact or PathPrefix match without conditions takes every request it could match first (regular expressions rank after them)';
            regexMatches.set(candidate, { severity: 'warning', object: { kind: attachment.route.kind, namespace: route.metadata.namespace, name: route.metadata.name }, field, message });
          }
          // Oldest route first, then namespace/name (attachGateways sorted routes the same way).
          const order = [...rank, route.metadata.creationTimestamp, `${route.metadata.namespace}/${route.metadata.name}`, served.index, matchIndex];
          for (const host of hosts) {
            let entries = byHost.get(host);
            if (!entries) byHost.set(host, (entries = []));
            entries.push({ ...key, candidate, order });
          }
        });
      }
    }
  }
  const hosts = new Set(byHost.keys());
  const levels: HostLevel[] = [];
  for (const host of [...hosts].sort()) {
    const chain = [host, ...fallbackHosts(host, hosts)];
    const keys = new Map<string, { match: 'exact' | 'prefix'; path: string }>();
    for (const level of chain) {
      for (const entry of byHost.get(level)!) {
        // A regular expression is looked for from `/`, which every request reaches when no longer key matches.
        const key = entry.match === 'regex' ? { match: 'prefix' as const, path: '' } : { match: entry.match, path: entry.path };
        keys.set(`${key.match} ${key.path}`, key);
      }
    }
    const routes = [...keys.values()]
      .map(({ match, path }) => toRoute(match, path, chain.flatMap((level) => chainOf(byHost.get(level)!, match, path))))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.match < b.match ? -1 : a.match > b.match ? 1 : 0));
    for (const route of routes) for (const candidate of route.candidates ?? []) regexMatches.delete(candidate);
    // Every key of the less specific hostnames is a key here too, so a request no key matches matches nothing: 404.
    levels.push({ host, ...(host.startsWith('*.') ? { anyDepth: true } : {}), routes, fallback: NOT_FOUND });
  }
  const unreached = new Map([...regexMatches.values()].map((diagnostic) => [`${diagnostic.object.kind} ${diagnostic.object.namespace}/${diagnostic.object.name} ${diagnostic.field}`, diagnostic]));
  return { levels, scopes: [...scopes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), specs: router.specs, diagnostics: [...router.diagnostics, ...unreached.values()], listenersNotServed };
}

/** The scope of a listener: its addresses, port and protocol, so listeners with equal ones share one. */
function scopeOf(listener: ServedListener): Scope {
  const addresses = [...listener.addresses].sort();
  const protocol = listener.protocol === 'HTTPS' ? 'https' : 'http';
  return { id: scopeId(addresses, listener.port, protocol), addresses, port: listener.port, protocol };
}

/** Where a match is keyed: an Exact path, a PathPrefix without trailing slashes, or a regular expression of the safe subset. */
type PathKey = { match: 'exact' | 'prefix' | 'regex'; path: string };

function pathKey(match: HTTPRouteMatch): PathKey | undefined {
  if (match.path.type === 'Exact') return { match: 'exact', path: match.path.value };
  if (match.path.type === 'PathPrefix') return { match: 'prefix', path: match.path.value.replace(/\/+$/, '') };
  if (match.path.type === 'RegularExpression') {
    // serve.ts refused the patterns outside the subset.
    const pattern = regexPath(match.path.value);
    return pattern.ok ? { match: 'regex', path: pattern.pattern } : undefined;
  }
  return undefined;
}

/** An HTTPRoute match's tie-breaks after its path: has a method, most headers, most query parameters. */
function httpRank(match: HTTPRouteMatch): readonly number[] {
  const condition = conditionOf(match);
  return [condition?.method !== undefined ? 0 : 1, -(condition?.headers.length ?? 0), -(condition?.query.length ?? 0)];
}

/**
 * A GRPCRoute rule's keys, conditions and tie-breaks after the path key: the
 * most characters in the service, then in the method (of the pattern, for
 * regular expressions: their precedence is implementation-specific), then
 * the most headers.
 */
function grpcKeys(rule: GRPCRouteRule): { key: { match: 'exact' | 'prefix'; path: string }; condition: RequestCondition | undefined; rank: readonly number[] }[] {
  const matches = rule.matches.length === 0 ? [undefined] : rule.matches;
  return matches.map((match) => {
    const firstByName = (match?.headers ?? []).filter((header, index, all) => all.findIndex((other) => other.name.toLowerCase() === header.name.toLowerCase()) === index);
    const headers = firstByName.map((header) => ({ name: header.name.toLowerCase(), match: valueMatch(header.type, header.value) }));
    const { key, path } = grpcPath(match?.method);
    const condition = headers.length === 0 && !path ? undefined : { ...(path ? { path } : {}), headers, query: [] };
    return { key, condition, rank: [-(match?.method?.service?.length ?? 0), -(match?.method?.method?.length ?? 0), -headers.length] };
  });
}
