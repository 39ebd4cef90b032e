// Which target a request reaches under a model, decided the way DESIGN.md
// states the Ingress rules (not the way HAProxy's maps implement them). Used
// to explain routing and, in tests, as the reference the rendered maps must
// agree with. Pure.

import type { HostLevel, Model, Route, Target } from './model.js';

/** Lowercases the Host header and strips its port and a trailing dot. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/:[0-9]+$/, '').replace(/\.$/, '');
}

function wildcardOf(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot === -1 ? undefined : `*${host.slice(dot)}`;
}

/** Exact host, else the wildcard covering exactly one more label, else the host-less level. */
export function selectLevel(model: Model, hostHeader: string): HostLevel | undefined {
  const host = normalizeHost(hostHeader);
  const byHost = new Map(model.levels.map((level) => [level.host, level]));
  if (host !== '' && byHost.has(host)) return byHost.get(host);
  const wildcard = wildcardOf(host);
  if (wildcard !== undefined && byHost.has(wildcard)) return byHost.get(wildcard);
  return byHost.get('');
}

/** Element-wise prefix: `/foo` matches `/foo`, `/foo/`, `/foo/bar`, not `/foobar`. */
function prefixMatches(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The route a path takes on a level: longest match wins, Exact beats Prefix on a tie. */
export function selectRoute(level: HostLevel, pathWithQuery: string): Route | undefined {
  const path = pathWithQuery.split('?')[0] ?? '';
  let best: Route | undefined;
  let bestLength = -1;
  for (const route of level.routes) {
    const matches = route.match === 'exact' ? route.path === path : prefixMatches(route.path, path);
    if (!matches) continue;
    const length = route.path.length;
    const better = length > bestLength || (length === bestLength && route.match === 'exact' && best?.match !== 'exact');
    if (better) {
      best = route;
      bestLength = length;
    }
  }
  return best;
}

export function matchRequest(model: Model, hostHeader: string, path: string): Target {
  const level = selectLevel(model, hostHeader);
  if (!level) return model.catchAll;
  return selectRoute(level, path)?.target ?? level.fallback;
}
