// Host levels and their routes, merged across Ingresses, and the catch-all.
//
// Rules from several Ingresses add to one host; when two claim the same
// host + path + match type, the oldest Ingress (creationTimestamp, then
// namespace/name) wins and the other gets a warning. A level's fallback is the
// `spec.defaultBackend` of the oldest Ingress that contributes to the level
// and sets one; otherwise the catch-all: the oldest Ingress's
// `spec.defaultBackend`, else `--default-backend-service`, else a plain 404.

import { sameTarget, type Canary, type HostLevel, type Passthrough, type PathMatch, type Route, type Target } from '../model/model.js';
import { keyOf, refOf, type Ingress } from '../objects/types.js';
import { missingServiceFallback } from './annotations/default-backend.js';
import type { IngressAnnotations } from './annotations/index.js';
import { missingServiceStandIn, resolveTarget, withFeatures, type BackendSpec, type Resolution, type ServiceIndex } from './backends.js';
import { PATH_PREFIX, rewriteTarget, safeRegex } from './regex.js';
import type { Diagnostic } from './diagnostics.js';

export interface NormalizedPath {
  match: PathMatch;
  path: string;
}

/**
 * Exact paths stay as written. Prefix (and ImplementationSpecific, which
 * Portero treats as Prefix) drop trailing slashes, because `/foo/` and `/foo`
 * match the same requests; `/` becomes ''.
 */
export function normalizePath(path: string, pathType: string): NormalizedPath {
  if (pathType === 'Exact') return { match: 'exact', path };
  return { match: 'prefix', path: path.replace(/\/+$/, '') };
}

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number | string;
}

interface PathChoice {
  /** `match path`: the identity of a route within a host level. */
  key: string;
  route: Route;
  resolution: Resolution;
  /** The Service port without the Ingress's features. */
  base: Resolution;
}

interface ResolvedPath extends PathChoice {
  written: string;
  field: string;
  /** The path on a regex level (see HostLevel.regex), or why it cannot be one. */
  regex: PathChoice | { problem: string };
}

interface ResolvedIngress {
  services: ServiceIndex;
  options: IngressAnnotations;
  rules: { host: string; paths: ResolvedPath[] }[];
  defaultBackend?: Resolution;
}

// What each Ingress contributes, resolved against one Service index, remembered
// per (immutable) Ingress object: see memo.ts.
const resolvedIngresses = new WeakMap<Ingress, ResolvedIngress>();

/** What the annotations of an Ingress ask of its paths (annotationsOf). */
export type OptionsOf = (ingress: Ingress) => IngressAnnotations;

/** The path as a regex route: ingress-nginx's `^<path>`, case-insensitive; with rewrite-target, a backend that rewrites. */
function regexChoice(written: string, base: Resolution, options: IngressAnnotations): PathChoice | { problem: string } {
  const regex = safeRegex(written, { anchoring: PATH_PREFIX });
  if (!regex.ok) return { problem: `${JSON.stringify(written)} cannot be matched as a regular expression: it ${regex.problem}` };
  let resolution = withFeatures(base, options.features);
  if (options.rewriteTarget !== undefined) {
    const target = rewriteTarget(options.rewriteTarget, 9);
    if (target.ok) resolution = withFeatures(base, { ...options.features, rewrite: { pattern: regex.pattern, target: target.target } });
  }
  return { key: `regex ${regex.pattern}`, route: { match: 'regex', path: regex.pattern, target: resolution.target }, resolution, base };
}

function resolveIngress(ingress: Ingress, services: ServiceIndex, optionsOf: OptionsOf): ResolvedIngress {
  const memo = resolvedIngresses.get(ingress);
  const options = optionsOf(ingress);
  if (memo?.services === services && memo.options === options) return memo;
  const namespace = ingress.metadata.namespace;
  const resolved: ResolvedIngress = {
    services,
    options,
    rules: ingress.spec.rules.map((rule, i) => ({
      host: rule.host ?? '',
      paths: (rule.http?.paths ?? []).map((entry, j) => {
        const normalized = normalizePath(entry.path, entry.pathType ?? 'Prefix');
        const field = `spec.rules[${i}].http.paths[${j}]`;
        const resolved = missingServiceFallback(services, namespace, resolveTarget(services, namespace, entry.backend, `${field}.backend`), options.features, `${field}.backend`);
        const base = missingServiceStandIn(services, namespace, entry.backend, resolved, options.features);
        const resolution = withFeatures(base, options.features);
        return {
          key: `${normalized.match} ${normalized.path}`,
          route: { match: normalized.match, path: normalized.path, target: resolution.target },
          written: entry.path,
          field,
          resolution,
          base,
          regex: regexChoice(entry.path, base, options),
        };
      }),
    })),
  };
  if (ingress.spec.defaultBackend) resolved.defaultBackend = resolveTarget(services, namespace, ingress.spec.defaultBackend, 'spec.defaultBackend');
  resolvedIngresses.set(ingress, resolved);
  return resolved;
}

const NO_OPTIONS: OptionsOf = () => ({ problems: [], notices: [], unknown: [], regex: false });

export interface Routing {
  levels: HostLevel[];
  /** ssl-passthrough hosts (with --enable-ssl-passthrough). */
  passthrough?: Passthrough[];
  catchAll: Target;
  /** Every Service port some route, fallback or the catch-all sends requests to. */
  specs: ReadonlyMap<string, BackendSpec>;
  diagnostics: Diagnostic[];
  /** server-alias levels (extra-hosts.ts): alias → the host whose level it copies. */
  aliases?: ReadonlyMap<string, string>;
}

/** Same routes and fallback: the previous level object can stand for the new one. */
function sameLevel(a: HostLevel, routes: readonly Route[], fallback: Target, regex: boolean): boolean {
  if (a.routes.length !== routes.length || !sameTarget(a.fallback, fallback) || (a.regex ?? false) !== regex) return false;
  for (let i = 0; i < routes.length; i += 1) {
    const x = a.routes[i]!;
    const y = routes[i]!;
    if (x.match !== y.match || x.path !== y.path || !sameTarget(x.target, y.target)) return false;
    if (JSON.stringify(x.canary) !== JSON.stringify(y.canary)) return false;
  }
  return true;
}

/** ingress-nginx's order of regex locations: longest written path first, ties in reverse lexical order. */
function compareWritten(a: string, b: string): number {
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? 1 : a > b ? -1 : 0;
}

function compareRoutes(a: Route, b: Route): number {
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

// The routing of the same (valid, sorted) Ingress array against the same Services is the same (see memo.ts).
const routings = new WeakMap<readonly Ingress[], { services: ServiceIndex; defaultKey: string; optionsOf: OptionsOf; ingressCatchAll: boolean; routing: Routing }>();

/**
 * The host levels and catch-all of the given Ingresses (valid, oldest first).
 * Levels equal to one in `previous` are that very object, so consumers can skip
 * what did not change.
 */
export function route(
  ingresses: readonly Ingress[],
  services: ServiceIndex,
  defaultService: ServiceRef | undefined,
  previous: ReadonlyMap<string, HostLevel> = new Map(),
  optionsOf: OptionsOf = NO_OPTIONS,
  ingressCatchAll = true,
): Routing {
  const defaultKey = defaultService ? `${defaultService.namespace}/${defaultService.name}:${defaultService.port}` : '';
  const memo = routings.get(ingresses);
  if (memo && memo.services === services && memo.defaultKey === defaultKey && memo.optionsOf === optionsOf && memo.ingressCatchAll === ingressCatchAll) return memo.routing;

  const diagnostics: Diagnostic[] = [];
  const specs = new Map<string, BackendSpec>();
  const use = (ingress: Ingress | undefined, resolution: Resolution): Target => {
    if (resolution.spec) specs.set(resolution.spec.id, resolution.spec);
    if (resolution.problem && ingress) diagnostics.push({ severity: 'warning', object: refOf(ingress), field: resolution.problem.field, message: resolution.problem.message });
    return resolution.target;
  };

  const canaries = ingresses.filter((ingress) => optionsOf(ingress).canary !== undefined);
  const primaries = ingresses.filter((ingress) => optionsOf(ingress).canary === undefined);
  // A canary's defaultBackend is never the catch-all, as in ingress-nginx ("should not use canary as a catch-all server");
  // with --disable-catch-all no Ingress's is (ingress-nginx then uses its default backend only for the Ingress's own hosts).
  const catchAll = chooseCatchAll(ingressCatchAll ? primaries : [], services, defaultService, use, diagnostics, optionsOf);
  const levels = new Map<string, { routes: Map<string, { entry: ResolvedPath; choice: PathChoice; owner: Ingress }>; fallbackOwner?: Ingress }>();
  const where = (host: string) => (host === '' ? 'any host' : `host ${host}`);
  // ingress-nginx matches every path of a host as a regular expression when one of its Ingresses asks for it.
  const regexHosts = new Set<string>();
  for (const ingress of primaries) {
    if (optionsOf(ingress).regex) for (const rule of ingress.spec.rules) regexHosts.add(rule.host ?? '');
  }
  for (const ingress of primaries) {
    const resolved = resolveIngress(ingress, services, optionsOf);
    for (const rule of resolved.rules) {
      const { host } = rule;
      let level = levels.get(host);
      if (!level) {
        level = { routes: new Map() };
        levels.set(host, level);
      }
      if (resolved.defaultBackend && level.fallbackOwner === undefined) level.fallbackOwner = ingress;
      for (const entry of rule.paths) {
        const choice = regexHosts.has(host) ? entry.regex : entry;
        if ('problem' in choice) {
          diagnostics.push({ severity: 'warning', object: refOf(ingress), field: `${entry.field}.path`, message: `${choice.problem}; ${where(host)} matches its paths as regular expressions (use-regex or rewrite-target), so this path is ignored` });
          continue;
        }
        const existing = level.routes.get(choice.key);
        if (!existing) {
          level.routes.set(choice.key, { entry, choice, owner: ingress });
          continue;
        }
        // `/foo` and `/foo/` (Prefix) match the same requests; the longer
        // path wins, as the Ingress API documents, whichever Ingress is older.
        const longer = choice.route.match === 'prefix' && entry.written.length > existing.entry.written.length;
        const loser = longer ? { entry: existing.entry, owner: existing.owner } : { entry, owner: ingress };
        const winner = longer ? { entry, choice, owner: ingress } : existing;
        if (longer) level.routes.set(choice.key, winner);
        const by = winner.owner === loser.owner ? 'another path of this Ingress' : `Ingress ${keyOf(winner.owner.metadata.namespace, winner.owner.metadata.name)}`;
        const kind = choice.route.match === 'regex' ? 'Regular-expression' : loser.entry.route.match === 'exact' ? 'Exact' : 'Prefix';
        const message =
          winner.entry.written !== loser.entry.written
            ? `${kind} path ${JSON.stringify(loser.entry.written || '/')} on ${where(host)} matches the same requests as the longer path ${JSON.stringify(winner.entry.written)} of ${by}, which takes priority; this path is ignored`
            : `${kind} path ${JSON.stringify(loser.entry.written || '/')} on ${where(host)} is already routed by ${winner.owner === loser.owner ? 'an earlier path of this Ingress' : `older Ingress ${keyOf(winner.owner.metadata.namespace, winner.owner.metadata.name)}`}; this path is ignored`;
        diagnostics.push({ severity: 'warning', object: refOf(loser.owner), field: loser.entry.field, message });
      }
    }
  }

  const canaryOf = attachCanaries(canaries, levels, regexHosts, services, optionsOf, diagnostics);

  const result: HostLevel[] = [];
  for (const [host, builder] of levels) {
    const owner = builder.fallbackOwner;
    const fallback = owner ? use(owner, resolveIngress(owner, services, optionsOf).defaultBackend!) : catchAll;
    const regex = regexHosts.has(host);
    const chosen = [...builder.routes.values()];
    if (regex) chosen.sort((a, b) => compareWritten(a.entry.written, b.entry.written));
    const routes = chosen.map(({ choice, owner }) => {
      const canary = canaryOf.get(choice);
      if (!canary) return (use(owner, choice.resolution), choice.route);
      // The route and its canary get backends of their own, keyed by the route.
      const features = { ...choice.resolution.spec?.features, canaryOf: `${host} ${choice.key}` };
      const primary = withFeatures(choice.base, features);
      const alternative = withFeatures(canary.base, features);
      use(owner, primary);
      use(canary.owner, alternative);
      const { base: _base, owner: _owner, ...spec } = canary;
      return { ...choice.route, target: primary.target, canary: { ...spec, target: alternative.target as Canary['target'] } };
    });
    if (!regex) routes.sort(compareRoutes);
    const before = previous.get(host);
    result.push(before && sameLevel(before, routes, fallback, regex) ? before : { host, ...(regex ? { regex: true } : {}), routes, fallback });
  }
  result.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const passthrough = passthroughHosts(primaries, services, optionsOf, diagnostics, use);
  const routing: Routing = { levels: result, catchAll, specs, diagnostics, ...(passthrough.length > 0 ? { passthrough } : {}) };
  routings.set(ingresses, { services, defaultKey, optionsOf, ingressCatchAll, routing });
  return routing;
}

/**
 * The catch-all: the oldest Ingress's `spec.defaultBackend`, else
 * `--default-backend-service`, else a plain 404.
 */
function chooseCatchAll(
  ingresses: readonly Ingress[],
  services: ServiceIndex,
  defaultService: ServiceRef | undefined,
  use: (ingress: Ingress | undefined, resolution: Resolution) => Target,
  diagnostics: Diagnostic[],
  optionsOf: OptionsOf,
): Target {
  const withDefault = ingresses.filter((ingress) => ingress.spec.defaultBackend !== undefined);
  const first = withDefault[0];
  if (first) {
    const target = use(first, resolveIngress(first, services, optionsOf).defaultBackend!);
    for (const other of withDefault.slice(1)) {
      if (sameTarget(resolveIngress(other, services, optionsOf).defaultBackend!.target, target)) continue;
      diagnostics.push({
        severity: 'warning',
        object: refOf(other),
        field: 'spec.defaultBackend',
        message: `older Ingress ${keyOf(first.metadata.namespace, first.metadata.name)} is the catch-all default backend; this one serves only unmatched requests on its own hosts`,
      });
    }
    return target;
  }
  if (defaultService) {
    const port = typeof defaultService.port === 'number' ? { number: defaultService.port } : { name: defaultService.port };
    const resolution = resolveTarget(services, defaultService.namespace, { service: { name: defaultService.name, port } }, '--default-backend-service');
    if (resolution.problem) {
      diagnostics.push({
        severity: 'warning',
        object: { kind: 'Service', namespace: defaultService.namespace, name: defaultService.name },
        message: `--default-backend-service: ${resolution.problem.message}`,
      });
    }
    return use(undefined, resolution);
  }
  return { kind: 'not-found' };
}

interface AttachedCanary extends Omit<Canary, 'target'> {
  base: Resolution;
  owner: Ingress;
}

type LevelBuilder = { routes: Map<string, { entry: ResolvedPath; choice: PathChoice; owner: Ingress }> };

/**
 * The canary of each route: a canary Ingress's path attaches to the route of
 * another Ingress with the same host, path and path type, as in
 * ingress-nginx; one canary per route (the oldest); a path that matches no
 * route is ignored with a warning.
 */
function attachCanaries(
  canaries: readonly Ingress[],
  levels: ReadonlyMap<string, LevelBuilder>,
  regexHosts: ReadonlySet<string>,
  services: ServiceIndex,
  optionsOf: OptionsOf,
  diagnostics: Diagnostic[],
): Map<PathChoice, AttachedCanary> {
  const attached = new Map<PathChoice, AttachedCanary>();
  const owners = new Map<PathChoice, Ingress>();
  for (const ingress of canaries) {
    const spec = optionsOf(ingress).canary!;
    const resolved = resolveIngress(ingress, services, optionsOf);
    for (const rule of resolved.rules) {
      for (const entry of rule.paths) {
        const choice = regexHosts.has(rule.host) ? entry.regex : entry;
        const warn = (message: string) => diagnostics.push({ severity: 'warning', object: refOf(ingress), field: entry.field, message });
        const target = 'problem' in choice ? undefined : levels.get(rule.host)?.routes.get(choice.key);
        if (!target) {
          warn(`canary: no other Ingress routes ${JSON.stringify(entry.written || '/')} on ${rule.host === '' ? 'any host' : `host ${rule.host}`} with this path type; the canary path is ignored`);
          continue;
        }
        const earlier = owners.get(target.choice);
        if (earlier) {
          warn(`canary: the route already has the canary of older Ingress ${keyOf(earlier.metadata.namespace, earlier.metadata.name)}; this one is ignored`);
          continue;
        }
        if (!entry.base.spec) {
          warn(`canary: ${entry.base.problem?.message ?? 'its backend cannot be resolved'}; the canary path is ignored`);
          continue;
        }
        owners.set(target.choice, ingress);
        const scaled = Math.round((spec.weight * 10_000) / spec.weightTotal);
        attached.set(target.choice, {
          base: entry.base,
          owner: ingress,
          weight: scaled,
          ...(spec.header !== undefined ? { header: spec.header } : {}),
          ...(spec.headerValue !== undefined ? { headerValue: spec.headerValue } : {}),
          ...(spec.headerPattern !== undefined ? { headerPattern: spec.headerPattern } : {}),
          ...(spec.cookie !== undefined ? { cookie: spec.cookie } : {}),
        });
      }
    }
  }
  return attached;
}

/**
 * The hosts of ssl-passthrough Ingresses, each to the Service of its first
 * path (the oldest Ingress wins a host); honoured only with
 * --enable-ssl-passthrough, as in ingress-nginx.
 */
function passthroughHosts(
  ingresses: readonly Ingress[],
  services: ServiceIndex,
  optionsOf: OptionsOf,
  diagnostics: Diagnostic[],
  use: (ingress: Ingress | undefined, resolution: Resolution) => Target,
): Passthrough[] {
  const hosts = new Map<string, Passthrough>();
  for (const ingress of ingresses) {
    const options = optionsOf(ingress);
    if (!options.passthrough) continue;
    const warn = (field: string, message: string) => diagnostics.push({ severity: 'warning', object: refOf(ingress), field, message });
    if (!options.passthroughEnabled) {
      warn('metadata.annotations', 'ssl-passthrough needs --enable-ssl-passthrough; TLS to its hosts is ended by Portero as for other Ingresses');
      continue;
    }
    const resolved = resolveIngress(ingress, services, optionsOf);
    resolved.rules.forEach((rule, i) => {
      const first = rule.paths[0];
      if (rule.host === '' || rule.host.startsWith('*.') || !first) {
        warn(`spec.rules[${i}].host`, 'ssl-passthrough needs an exact host with a path; this rule is not passed through');
        return;
      }
      if (hosts.has(rule.host)) {
        warn(`spec.rules[${i}].host`, `ssl-passthrough for host ${rule.host} is already set by an older Ingress`);
        return;
      }
      const resolution = withFeatures(first.base, { passthrough: true });
      const target = use(ingress, resolution);
      if (target.kind === 'backend') hosts.set(rule.host, { host: rule.host, target });
    });
  }
  return [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
