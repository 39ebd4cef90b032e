// Host levels and their routes, merged across Ingresses, and the catch-all.
//
// Rules from several Ingresses add to one host; when two claim the same
// host + path + match type, the oldest Ingress (creationTimestamp, then
// namespace/name) wins and the other gets a warning. A level's fallback is the
// `spec.defaultBackend` of the oldest Ingress that contributes to the level
// and sets one; otherwise the catch-all: the oldest Ingress's
// `spec.defaultBackend`, else `--default-backend-service`, else a plain 404.

import type { Features } from '../model/features.js';
import { sameTarget, type HostLevel, type PathMatch, type Route, type Target } from '../model/model.js';
import { keyOf, refOf, type Ingress } from '../objects/types.js';
import { resolveTarget, withFeatures, type BackendSpec, type Resolution, type ServiceIndex } from './backends.js';
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

interface ResolvedPath {
  /** `match path`: the identity of a route within a host level. */
  key: string;
  route: Route;
  written: string;
  field: string;
  resolution: Resolution;
}

interface ResolvedIngress {
  services: ServiceIndex;
  features: Features | undefined;
  rules: { host: string; paths: ResolvedPath[] }[];
  defaultBackend?: Resolution;
}

// What each Ingress contributes, resolved against one Service index, remembered
// per (immutable) Ingress object: see memo.ts.
const resolvedIngresses = new WeakMap<Ingress, ResolvedIngress>();

/** What the annotations of an Ingress ask of its paths. */
export type FeaturesOf = (ingress: Ingress) => Features | undefined;

function resolveIngress(ingress: Ingress, services: ServiceIndex, featuresOf: FeaturesOf): ResolvedIngress {
  const memo = resolvedIngresses.get(ingress);
  const features = featuresOf(ingress);
  if (memo?.services === services && memo.features === features) return memo;
  const namespace = ingress.metadata.namespace;
  const resolved: ResolvedIngress = {
    services,
    features,
    rules: ingress.spec.rules.map((rule, i) => ({
      host: rule.host ?? '',
      paths: (rule.http?.paths ?? []).map((entry, j) => {
        const normalized = normalizePath(entry.path, entry.pathType ?? 'Prefix');
        const field = `spec.rules[${i}].http.paths[${j}]`;
        const resolution = withFeatures(resolveTarget(services, namespace, entry.backend, `${field}.backend`), features);
        return { key: `${normalized.match} ${normalized.path}`, route: { match: normalized.match, path: normalized.path, target: resolution.target }, written: entry.path, field, resolution };
      }),
    })),
  };
  if (ingress.spec.defaultBackend) resolved.defaultBackend = resolveTarget(services, namespace, ingress.spec.defaultBackend, 'spec.defaultBackend');
  resolvedIngresses.set(ingress, resolved);
  return resolved;
}

const NO_FEATURES: FeaturesOf = () => undefined;

export interface Routing {
  levels: HostLevel[];
  catchAll: Target;
  /** Every Service port some route, fallback or the catch-all sends requests to. */
  specs: ReadonlyMap<string, BackendSpec>;
  diagnostics: Diagnostic[];
}

/** Same routes and fallback: the previous level object can stand for the new one. */
function sameLevel(a: HostLevel, routes: readonly Route[], fallback: Target): boolean {
  if (a.routes.length !== routes.length || !sameTarget(a.fallback, fallback)) return false;
  for (let i = 0; i < routes.length; i += 1) {
    const x = a.routes[i]!;
    const y = routes[i]!;
    if (x.match !== y.match || x.path !== y.path || !sameTarget(x.target, y.target)) return false;
  }
  return true;
}

function compareRoutes(a: Route, b: Route): number {
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

// The routing of the same (valid, sorted) Ingress array against the same Services is the same (see memo.ts).
const routings = new WeakMap<readonly Ingress[], { services: ServiceIndex; defaultKey: string; featuresOf: FeaturesOf; routing: Routing }>();

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
  featuresOf: FeaturesOf = NO_FEATURES,
): Routing {
  const defaultKey = defaultService ? `${defaultService.namespace}/${defaultService.name}:${defaultService.port}` : '';
  const memo = routings.get(ingresses);
  if (memo && memo.services === services && memo.defaultKey === defaultKey && memo.featuresOf === featuresOf) return memo.routing;

  const diagnostics: Diagnostic[] = [];
  const specs = new Map<string, BackendSpec>();
  const use = (ingress: Ingress | undefined, resolution: Resolution): Target => {
    if (resolution.spec) specs.set(resolution.spec.id, resolution.spec);
    if (resolution.problem && ingress) diagnostics.push({ severity: 'warning', object: refOf(ingress), field: resolution.problem.field, message: resolution.problem.message });
    return resolution.target;
  };

  const catchAll = chooseCatchAll(ingresses, services, defaultService, use, diagnostics, featuresOf);
  const levels = new Map<string, { routes: Map<string, { entry: ResolvedPath; owner: Ingress }>; fallbackOwner?: Ingress }>();
  const where = (host: string) => (host === '' ? 'any host' : `host ${host}`);
  for (const ingress of ingresses) {
    const resolved = resolveIngress(ingress, services, featuresOf);
    for (const rule of resolved.rules) {
      const { host } = rule;
      let level = levels.get(host);
      if (!level) {
        level = { routes: new Map() };
        levels.set(host, level);
      }
      if (resolved.defaultBackend && level.fallbackOwner === undefined) level.fallbackOwner = ingress;
      for (const entry of rule.paths) {
        const existing = level.routes.get(entry.key);
        if (!existing) {
          level.routes.set(entry.key, { entry, owner: ingress });
          continue;
        }
        // `/foo` and `/foo/` (Prefix) match the same requests; the longer
        // path wins, as the Ingress API documents, whichever Ingress is older.
        const longer = entry.route.match === 'prefix' && entry.written.length > existing.entry.written.length;
        const loser = longer ? { entry: existing.entry, owner: existing.owner } : { entry, owner: ingress };
        const winner = longer ? { entry, owner: ingress } : existing;
        if (longer) level.routes.set(entry.key, winner);
        const by = winner.owner === loser.owner ? 'another path of this Ingress' : `Ingress ${keyOf(winner.owner.metadata.namespace, winner.owner.metadata.name)}`;
        const kind = loser.entry.route.match === 'exact' ? 'Exact' : 'Prefix';
        const message =
          winner.entry.written !== loser.entry.written
            ? `${kind} path ${JSON.stringify(loser.entry.written || '/')} on ${where(host)} matches the same requests as the longer path ${JSON.stringify(winner.entry.written)} of ${by}, which takes priority; this path is ignored`
            : `${kind} path ${JSON.stringify(loser.entry.written || '/')} on ${where(host)} is already routed by ${winner.owner === loser.owner ? 'an earlier path of this Ingress' : `older Ingress ${keyOf(winner.owner.metadata.namespace, winner.owner.metadata.name)}`}; this path is ignored`;
        diagnostics.push({ severity: 'warning', object: refOf(loser.owner), field: loser.entry.field, message });
      }
    }
  }

  const result: HostLevel[] = [];
  for (const [host, builder] of levels) {
    const owner = builder.fallbackOwner;
    const fallback = owner ? use(owner, resolveIngress(owner, services, featuresOf).defaultBackend!) : catchAll;
    const routes = [...builder.routes.values()].map(({ entry, owner }) => (use(owner, entry.resolution), entry.route)).sort(compareRoutes);
    const before = previous.get(host);
    result.push(before && sameLevel(before, routes, fallback) ? before : { host, routes, fallback });
  }
  result.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const routing: Routing = { levels: result, catchAll, specs, diagnostics };
  routings.set(ingresses, { services, defaultKey, featuresOf, routing });
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
  featuresOf: FeaturesOf,
): Target {
  const withDefault = ingresses.filter((ingress) => ingress.spec.defaultBackend !== undefined);
  const first = withDefault[0];
  if (first) {
    const target = use(first, resolveIngress(first, services, featuresOf).defaultBackend!);
    for (const other of withDefault.slice(1)) {
      if (sameTarget(resolveIngress(other, services, featuresOf).defaultBackend!.target, target)) continue;
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
