// One route's matches on one listener, as level entries: where each match is
// keyed, its candidate (conditions and weighted targets), and its place in
// the spec's precedence; with the backend specs and diagnostics they make.
// Pure; see levels.ts for how entries become host levels.
//
// Entries depend only on the ServedRoute (route-rules.ts: the same object
// while the route and what it reads are unchanged) and on the listener's
// port and protocol (redirects and rewrites read them). So they are
// remembered per ServedRoute object (a WeakMap, gone with it) and per
// listener, and a route that did not change gives the very same entry and
// candidate objects: levels.ts compares entries by identity to reuse whole
// levels. Per listener, not per port: each listener has candidates of its
// own, as when they were made afresh, since whether a RegularExpression
// candidate is reached is decided per candidate.

import { backendId, type Candidate, type RequestCondition, type Target, type ValueMatch, type WeightedTarget } from '../../model/model.js';
import { featuredBackendId, isEmptyFeatures, type Features } from '../../model/features.js';
import type { GatewayFilters } from '../../model/gateway-features.js';
import type { GRPCRouteRule, HTTPRouteMatch, HTTPRouteRule } from '../../objects/gateway-types.js';
import type { Service } from '../../objects/types.js';
import type { BackendSpec } from '../backends.js';
import { safeRegex } from '../regex.js';
import { combineFilters, filterFeatures, type FilterContext } from './filter-features.js';
import { regexPath } from './regex-paths.js';
import type { BackendResolution, GatewayDiagnostic, ServedListener, ServedRoute, ServedRule } from './types.js';

/** One match of one rule: where it is keyed and what it asks. */
export interface Entry {
  match: 'exact' | 'prefix' | 'regex';
  /** Exact: as written; prefix: without trailing slashes ('' for `/`); regex: the safe pattern (also in the candidate's condition). */
  path: string;
  candidate: Candidate;
  /** The spec's tie-breaks after the path, as a sortable tuple. */
  order: readonly (number | string)[];
}

/** What one route brings to the levels of one listener's hostnames. */
export interface RouteEntries {
  entries: Entry[];
  /** The backend specs its targets name, in the order they were made. */
  specs: ReadonlyMap<string, BackendSpec>;
  diagnostics: GatewayDiagnostic[];
  /** RegularExpression matches by candidate, to report those no request can reach. */
  regexMatches: ReadonlyMap<Candidate, GatewayDiagnostic>;
}

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
  split(owner: ServedRoute, served: ServedRule<HTTPRouteRule | GRPCRouteRule>, context: FilterContext): WeightedTarget[] {
    const route = owner.route;
    const field = `spec.rules[${served.index}]`;
    if (served.fail) return [{ target: INVALID, weight: 1 }];
    const timeouts = 'timeouts' in served.rule ? served.rule.timeouts : undefined;
    const ruleFilters = filterFeatures(served.rule.filters, `${field}.filters`, context, timeouts, `${field}.timeouts`);
    if (!ruleFilters.ok) return this.refused(owner, ruleFilters.field, ruleFilters.message);
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
      const target = this.backendTarget(owner, backend, ruleFilters.filters, context, `${field}.backendRefs[${index}].filters`);
      if (target === undefined) return [{ target: INVALID, weight: 1 }];
      split.push({ target, weight: backend.weight });
    }
    // Every weight 0: no backend may be chosen. The spec leaves it open; its open proposal is 500.
    return split.length > 0 ? split : [{ target: INVALID, weight: 1 }];
  }

  private backendTarget(owner: ServedRoute, backend: BackendResolution, rule: GatewayFilters | undefined, context: FilterContext, field: string): Target | undefined {
    if (!backend.ok) return INVALID;
    // A backendRef's filters have no mirrors of the rule's (rules.ts refuses RequestMirror there).
    const { mirrors: ruleMirrors, ...backendContext } = context;
    const own = filterFeatures(backend.filters, field, backendContext);
    if (!own.ok) {
      this.refused(owner, own.field, own.message);
      return undefined;
    }
    // RequestMirror's copies are Features.mirrors, which the data plane renders for both sources.
    const { mirrors, ...others } = combineFilters(rule, own.filters) ?? {};
    const filters = Object.keys(others).length > 0 ? others : undefined;
    // h2c: `proto h2` on the servers, a backend setting (app-protocol.ts).
    const features: Features = { ...(filters ? { gateway: filters } : {}), ...(mirrors ? { mirrors } : {}), ...(backend.protocol === 'h2c' ? { upstream: { kind: 'h2c' as const } } : {}) };
    const base: BackendSpec = { id: backendId(backend.namespace, backend.name, backend.servicePort.port), namespace: backend.namespace, service: backend.service, servicePort: backend.servicePort };
    const spec: BackendSpec = isEmptyFeatures(features) ? base : { ...base, id: featuredBackendId(base.id, features), features };
    this.specs.set(spec.id, spec);
    return { kind: 'backend', id: spec.id };
  }

  private refused(owner: ServedRoute, field: string, message: string): WeightedTarget[] {
    const route = owner.route;
    this.diagnostics.push({ severity: 'warning', object: { kind: owner.kind, namespace: route.metadata.namespace, name: route.metadata.name }, field, message: `${message}; requests of the rule answer 500` });
    return [{ target: INVALID, weight: 1 }];
  }
}


const remembered = new WeakMap<ServedRoute, Map<string, RouteEntries>>();

/** What routeEntries remembers entries by: the listener, and the port and protocol they read. */
export function listenerKey(listener: ServedListener): string {
  return `${listener.gateway.namespace}/${listener.gateway.name}/${listener.name}|${listener.port}|${listener.protocol}`;
}

/** The entries of `route` on `listener` (whose listenerKey is `key`): the same objects as last time for the same ServedRoute and listener. */
export function routeEntries(route: ServedRoute, listener: ServedListener, key: string): RouteEntries {
  let byListener = remembered.get(route);
  if (!byListener) remembered.set(route, (byListener = new Map()));
  const memo = byListener.get(key);
  if (memo) return memo;
  const computed = computeEntries(route, listener);
  byListener.set(key, computed);
  return computed;
}

/** The entries made afresh (routeEntries remembers them). */
export function computeEntries(owner: ServedRoute, listener: Pick<ServedListener, 'port' | 'protocol'>): RouteEntries {
  const router = new Router();
  const entries: Entry[] = [];
  const regexMatches = new Map<Candidate, GatewayDiagnostic>();
  const route = owner.route;
  const context = { listenerPort: listener.port, listenerScheme: listener.protocol === 'HTTPS' ? ('https' as const) : ('http' as const) };
  for (const served of owner.rules as ServedRule<HTTPRouteRule | GRPCRouteRule>[]) {
    const keys = owner.kind === 'HTTPRoute' ? (served.rule as HTTPRouteRule).matches.map((match) => ({ key: pathKey(match), condition: conditionOf(match), rank: httpRank(match) })) : grpcKeys(served.rule as GRPCRouteRule);
    keys.forEach(({ key, condition, rank }, matchIndex) => {
      if (!key) return;
      const prefixContext: FilterContext = { ...context, ...(key.match === 'prefix' ? { matchedPrefix: key.path } : {}), ...(served.mirrors ? { mirrors: served.mirrors } : {}) };
      // A regular-expression path is a condition of the candidate (regex-paths.ts).
      const when = key.match === 'regex' ? { headers: [], query: [], ...condition, path: { kind: 'regex' as const, value: `^(?:${key.path})$` } } : condition;
      const candidate: Candidate = { ...(when ? { when } : {}), split: router.split(owner, served, prefixContext) };
      if (key.match === 'regex') {
        const field = owner.kind === 'HTTPRoute' ? `spec.rules[${served.index}].matches[${matchIndex}].path` : `spec.rules[${served.index}].matches[${matchIndex}].method`;
        const message = 'this RegularExpression match is never reached: an Exact or PathPrefix match without conditions takes every request it could match first (regular expressions rank after them)';
        regexMatches.set(candidate, { severity: 'warning', object: { kind: owner.kind, namespace: route.metadata.namespace, name: route.metadata.name }, field, message });
      }
      // Oldest route first, then namespace/name (attachGateways sorted routes the same way).
      const order = [...rank, route.metadata.creationTimestamp, `${route.metadata.namespace}/${route.metadata.name}`, served.index, matchIndex];
      entries.push({ ...key, candidate, order });
    });
  }
  return { entries, specs: router.specs, diagnostics: router.diagnostics, regexMatches };
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

