// Host levels and their routes, merged across Ingresses.
//
// Rules from several Ingresses add to one host; when two claim the same
// host + path + match type, the oldest Ingress (creationTimestamp, then
// namespace/name) wins and the other gets a warning. A level's fallback is the
// `spec.defaultBackend` of the oldest Ingress that contributes to the level
// and sets one; otherwise the catch-all.

import type { HostLevel, PathMatch, Route, Target } from '../model/model.js';
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

export function buildLevels(
  ingresses: readonly Ingress[],
  resolve: ResolveTarget,
  catchAll: Target,
  diagnostics: Diagnostic[],
): HostLevel[] {
  const levels = new Map<string, LevelBuilder>();
  for (const ingress of ingresses) {
    const ref = { kind: 'Ingress' as const, namespace: ingress.metadata.namespace, name: ingress.metadata.name };
    ingress.spec.rules.forEach((rule, i) => {
      const host = rule.host ?? '';
      let level = levels.get(host);
      if (!level) {
        level = { routes: new Map() };
        levels.set(host, level);
      }
      if (ingress.spec.defaultBackend && level.fallbackOwner === undefined) level.fallbackOwner = ingress;
      rule.http?.paths.forEach((entry, j) => {
        const field = `spec.rules[${i}].http.paths[${j}]`;
        const normalized = normalizePath(entry.path, entry.pathType ?? 'Prefix');
        const key = `${normalized.match} ${normalized.path}`;
        const existing = level.routes.get(key);
        if (existing) {
          const owner = existing.owner === ingress ? 'an earlier path of this Ingress' : `older Ingress ${keyOf(existing.owner.metadata.namespace, existing.owner.metadata.name)}`;
          diagnostics.push({
            severity: 'warning',
            object: ref,
            field,
            message: `${normalized.match === 'exact' ? 'Exact' : 'Prefix'} path ${JSON.stringify(entry.path || '/')} on ${host === '' ? 'any host' : `host ${host}`} is already routed by ${owner}; this path is ignored`,
          });
          return;
        }
        const target = resolve(ingress, entry.backend, `${field}.backend`);
        level.routes.set(key, { route: { match: normalized.match, path: normalized.path, target }, owner: ingress });
      });
    });
  }

  const result: HostLevel[] = [];
  for (const [host, builder] of levels) {
    const owner = builder.fallbackOwner;
    const fallback = owner?.spec.defaultBackend ? resolve(owner, owner.spec.defaultBackend, 'spec.defaultBackend') : catchAll;
    const routes = [...builder.routes.values()].map((entry) => entry.route).sort(compareRoutes);
    result.push({ host, routes, fallback });
  }
  return result.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

function compareRoutes(a: Route, b: Route): number {
  if (a.match !== b.match) return a.match < b.match ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
