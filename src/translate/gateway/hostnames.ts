// Gateway API hostnames: matching and the intersection of a listener's
// hostname with a route's.
//
// Hostnames are lowercase (decode checks the API's pattern) and either
// precise (`foo.example.com`) or a wildcard whose first label is `*`
// (`*.example.com`). Unlike an Ingress host, a Gateway API wildcard matches
// ONE OR MORE labels: `*.example.com` matches `a.example.com` and
// `a.b.example.com`, never `example.com` (apis/v1 httproute_types.go,
// HTTPRouteSpec.Hostnames; gateway_types.go, Listener.Hostname).

/** The part after `*.` of a wildcard, or undefined for a precise hostname. */
function wildcardSuffix(hostname: string): string | undefined {
  return hostname.startsWith('*.') ? hostname.slice(2) : undefined;
}

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith('*.');
}

/** Whether a precise `host` is matched by `pattern` (precise or wildcard). */
export function hostnameMatches(pattern: string, host: string): boolean {
  const suffix = wildcardSuffix(pattern);
  if (suffix === undefined) return pattern === host;
  return host.length > suffix.length + 1 && host.endsWith(`.${suffix}`);
}

/**
 * The hostnames matched by both `a` and `b`, as one hostname, or undefined
 * when no hostname is matched by both:
 * - two precise hostnames intersect when equal;
 * - a wildcard and a precise hostname intersect in the precise one when the
 *   wildcard matches it (`*.a.com` ∩ `x.a.com` = `x.a.com`);
 * - two wildcards intersect in the more specific one (`*.a.com` ∩ `*.com` =
 *   `*.a.com`): every hostname it matches is matched by the other.
 * Symmetric; the result is matched by both sides.
 */
export function intersectHostnames(a: string, b: string): string | undefined {
  const sa = wildcardSuffix(a);
  const sb = wildcardSuffix(b);
  if (sa === undefined && sb === undefined) return a === b ? a : undefined;
  if (sa === undefined) return hostnameMatches(b, a) ? a : undefined;
  if (sb === undefined) return hostnameMatches(a, b) ? b : undefined;
  if (sa === sb) return a;
  if (sa.endsWith(`.${sb}`)) return a;
  if (sb.endsWith(`.${sa}`)) return b;
  return undefined;
}

/**
 * The hostnames a route serves on a listener (HTTPRoute and GRPCRoute
 * `spec.hostnames`): route hostnames that do not intersect the listener's
 * are ignored; 'any' when neither names one; an empty list when both name
 * hostnames and none intersect (NoMatchingListenerHostname).
 */
export function effectiveHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[]): 'any' | string[] {
  if (routeHostnames.length === 0) return listenerHostname === undefined ? 'any' : [listenerHostname];
  const out: string[] = [];
  for (const hostname of routeHostnames) {
    const intersection = listenerHostname === undefined ? hostname : intersectHostnames(listenerHostname, hostname);
    if (intersection !== undefined && !out.includes(intersection)) out.push(intersection);
  }
  return out;
}

/** Whether two sets of effective hostnames have a hostname in common. */
export function hostnameSetsIntersect(a: 'any' | readonly string[], b: 'any' | readonly string[]): boolean {
  if (a === 'any') return b === 'any' || b.length > 0;
  if (b === 'any') return a.length > 0;
  return a.some((x) => b.some((y) => intersectHostnames(x, y) !== undefined));
}

/** Whether two listener hostnames (absent: every hostname) overlap. */
export function listenerHostnamesOverlap(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return intersectHostnames(a, b) !== undefined;
}
