// Host levels and their routes, merged across Ingresses.
//
// Rules from several Ingresses add to one host; when two claim the same
// host + path + match type, the oldest Ingress (creationTimestamp, then
// namespace/name) wins and the other gets a warning. A level's fallback is the
// `spec.defaultBackend` of the oldest Ingress that contributes to the level
// and sets one; otherwise the catch-all.

import { sameTarget, type HostLevel, type PathMatch, type Route, type Target } from '../model/model.js';
import { keyOf, type Ingress, type IngressBackend } from '../objects/types.js';
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

export type ResolveTarget = (ingress: Ingress, backend: IngressBackend, field: string) => Target;

interface LevelBuilder {
  routes: Map<string, { route: Route; owner: Ingress }>;
  fallbackOwner?: Ingress;
}

interface PathContribution {
  /** `match path`, the identity of a route within a host level. */
  key: string;
  normalized: NormalizedPath;
  written: string;
  backend: IngressBackend;
  field: string;
}

interface RuleContribution {
  host: string;
  paths: PathContribution[];
}

// What each Ingress contributes, remembered per (immutable) Ingress object: see memo.ts.
const contributions = new WeakMap<Ingress, RuleContribution[]>();

function contributionsOf(ingress: Ingress): RuleContribution[] {
  let found = contributions.get(ingress);
  if (found) return found;
  found = ingress.spec.rules.map((rule, i) => ({
    host: rule.host ?? '',
    paths: (rule.http?.paths ?? []).map((entry, j) => {
      const normalized = normalizePath(entry.path, entry.pathType ?? 'Prefix');
      return { key: `${normalized.match} ${normalized.path}`, normalized, written: entry.path, backend: entry.backend, field: `spec.rules[${i}].http.paths[${j}]` };
    }),
  }));
  contributions.set(ingress, found);
  return found;
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

/**
 * The host levels of the given Ingresses (oldest first). Levels equal to one
 * in `previous` are that very object, so consumers can skip what did not change.
 */
export function buildLevels(
  ingresses: readonly Ingress[],
  resolve: ResolveTarget,
  catchAll: Target,
  diagnostics: Diagnostic[],
  previous: ReadonlyMap<string, HostLevel> = new Map(),
): HostLevel[] {
  const levels = new Map<string, LevelBuilder>();
  for (const ingress of ingresses) {
    const hasDefault = ingress.spec.defaultBackend !== undefined;
    for (const rule of contributionsOf(ingress)) {
      const { host } = rule;
      let level = levels.get(host);
      if (!level) {
        level = { routes: new Map() };
        levels.set(host, level);
      }
      if (hasDefault && level.fallbackOwner === undefined) level.fallbackOwner = ingress;
      for (const entry of rule.paths) {
        const existing = level.routes.get(entry.key);
        if (existing) {
          const owner = existing.owner === ingress ? 'an earlier path of this Ingress' : `older Ingress ${keyOf(existing.owner.metadata.namespace, existing.owner.metadata.name)}`;
          diagnostics.push({
            severity: 'warning',
            object: { kind: 'Ingress', namespace: ingress.metadata.namespace, name: ingress.metadata.name },
            field: entry.field,
            message: `${entry.normalized.match === 'exact' ? 'Exact' : 'Prefix'} path ${JSON.stringify(entry.written || '/')} on ${host === '' ? 'any host' : `host ${host}`} is already routed by ${owner}; this path is ignored`,
          });
          continue;
        }
        const target = resolve(ingress, entry.backend, `${entry.field}.backend`);
        level.routes.set(entry.key, { route: { match: entry.normalized.match, path: entry.normalized.path, target }, owner: ingress });
      }
    }
  }

  const result: HostLevel[] = [];
  for (const [host, builder] of levels) {
    const owner = builder.fallbackOwner;
    const fallback = owner?.spec.defaultBackend ? resolve(owner, owner.spec.defaultBackend, 'spec.defaultBackend') : catchAll;
    const routes = [...builder.routes.values()].map((entry) => entry.route).sort(compareRoutes);
    const before = previous.get(host);
    result.push(before && sameLevel(before, routes, fallback) ? before : { host, routes, fallback });
  }
  return result.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

function compareRoutes(a: Route, b: Route): number {
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
