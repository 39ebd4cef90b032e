// Which answer a request gets under a model, decided the way DESIGN.md and
// docs/routing.md state the rules (not the way HAProxy's maps implement
// them). Used to explain routing and, in tests, as the reference that the
// rendered maps and the live HAProxy must agree with. Pure.

import type { Candidate, Certificate, ClientAuth, HostLevel, Model, RequestCondition, Route, Target, ValueMatch, WeightedTarget } from './model.js';
import { exemptFromHttpsRedirect } from './globals.js';

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

// Compiled patterns of regex routes; patterns are strings, so a Map (bounded by the routes in use).
const compiled = new Map<string, RegExp>();

/** A regex route's pattern: anchored at the start of the path, case-insensitive, as ingress-nginx's `~* "^<path>"`. */
function regexMatches(pattern: string, path: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    if (compiled.size > 10_000) compiled.clear();
    regex = new RegExp(`^(?:${pattern})`, 'i');
    compiled.set(pattern, regex);
  }
  return regex.test(path);
}

/**
 * The route a path takes on a level: longest match wins, Exact beats Prefix
 * on a tie. On a regex level, the first route whose pattern matches.
 */
export function selectRoute(level: HostLevel, pathWithQuery: string): Route | undefined {
  const path = pathWithQuery.split('?')[0] ?? '';
  if (level.regex) return level.routes.find((route) => regexMatches(route.path, path));
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

// ---------------------------------------------------------------------------
// Request conditions and weighted splits (Route.candidates, Gateway API).

/** What a request carries beyond host and path; only routes with candidates look at it. */
export interface RequestParts {
  /** The method as sent (compared case-sensitively: `get` is not `GET`). */
  method: string;
  /**
   * Header fields as they reach the proxy, in order, names in any case and
   * values as bytes (one character per byte, as Node sends them). The
   * forwarding headers the proxy sets itself (X-Forwarded-*, X-Real-IP,
   * Forwarded) are not what a condition sees: leave them out.
   */
  headers: readonly (readonly [name: string, value: string])[];
}

/** A request with no header at all, as Ingress callers route it. */
export const PLAIN_GET: RequestParts = { method: 'GET', headers: [] };

const INVALID: Target = { kind: 'invalid' };

/**
 * The shares a split really has: those of weight 0 are dropped, and a split
 * whose weights are all 0 answers 500 (`invalid`).
 */
export function effectiveShares(split: readonly WeightedTarget[]): readonly WeightedTarget[] {
  const positive = split.filter((share) => share.weight > 0);
  return positive.length > 0 ? positive : [{ target: INVALID, weight: 1 }];
}

/** A text as the bytes HAProxy compares: UTF-8, one character per byte. */
function bytesOf(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** `%XX` escapes decoded to bytes (one character per byte); anything else left as it is. */
function percentDecode(text: string): string {
  return bytesOf(text).replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Every field of the header (names compared case-insensitively), values
 * without surrounding blanks, joined with ", " as HTTP combines them;
 * undefined when the request has none.
 */
export function headerValue(parts: RequestParts, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = parts.headers.filter(([field]) => field.toLowerCase() === lower).map(([, value]) => value.replace(/^[ \t]+|[ \t]+$/g, ''));
  return values.length === 0 ? undefined : values.join(', ');
}

/**
 * The first value of a query parameter: the query split on `&`, each part on
 * its first `=` (none: the value is empty), names and values percent-decoded
 * (`+` stays `+`), names compared case-sensitively.
 */
export function queryValue(pathWithQuery: string, name: string): string | undefined {
  const mark = pathWithQuery.indexOf('?');
  if (mark === -1) return undefined;
  const wanted = bytesOf(name);
  for (const pair of pathWithQuery.slice(mark + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = percentDecode(equals === -1 ? pair : pair.slice(0, equals));
    if (key === wanted) return equals === -1 ? '' : percentDecode(pair.slice(equals + 1));
  }
  return undefined;
}

// Compiled header and query patterns (unanchored, case-sensitive), bounded like the path patterns.
const conditionPatterns = new Map<string, RegExp>();

function valueMatches(match: ValueMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (match.kind === 'exact') return value === bytesOf(match.value);
  let regex = conditionPatterns.get(match.value);
  if (!regex) {
    if (conditionPatterns.size > 10_000) conditionPatterns.clear();
    regex = new RegExp(match.value);
    conditionPatterns.set(match.value, regex);
  }
  return regex.test(value);
}

// Compiled path patterns (anchored at both ends, case-sensitive), bounded likewise.
const pathPatterns = new Map<string, RegExp>();

/** Whether a path (without query) matches a RequestCondition's path pattern as a whole. */
export function pathPatternMatches(pattern: string, path: string): boolean {
  let regex = pathPatterns.get(pattern);
  if (!regex) {
    if (pathPatterns.size > 10_000) pathPatterns.clear();
    regex = new RegExp(`^(?:${pattern})$`);
    pathPatterns.set(pattern, regex);
  }
  return regex.test(path);
}

/** Whether every part of a condition holds for the request. */
export function conditionHolds(condition: RequestCondition | undefined, pathWithQuery: string, parts: RequestParts): boolean {
  if (!condition) return true;
  if (condition.method !== undefined && condition.method !== parts.method) return false;
  if (condition.path !== undefined && !valueMatches(condition.path, pathWithQuery.split('?', 1)[0])) return false;
  if (!condition.headers.every((header) => valueMatches(header.match, headerValue(parts, header.name)))) return false;
  return condition.query.every((param) => valueMatches(param.match, queryValue(pathWithQuery, param.name)));
}

/** The candidate of a route that decides a request: the first whose condition holds. */
export function selectCandidate(route: Route, pathWithQuery: string, parts: RequestParts): Candidate | undefined {
  return route.candidates?.find((candidate) => conditionHolds(candidate.when, pathWithQuery, parts));
}

/**
 * Where a request may go, with the share of each target: one target (weight
 * 1) unless a candidate with a weighted split decides. `path` is already
 * normalised (see normalizeRequestPath) and may carry the query.
 */
export function matchShares(model: Model, hostHeader: string, path: string, parts: RequestParts = PLAIN_GET): readonly WeightedTarget[] {
  const one = (target: Target) => [{ target, weight: 1 }];
  const level = selectLevel(model, hostHeader);
  if (!level) return one(model.catchAll);
  const route = selectRoute(level, path);
  if (!route) return one(level.fallback);
  const candidate = selectCandidate(route, path, parts);
  return candidate ? effectiveShares(candidate.split) : one(route.target);
}

/**
 * The target of an already normalised path (see normalizeRequestPath). A
 * weighted split has no single target: use matchShares for models with
 * candidates.
 */
export function matchRequest(model: Model, hostHeader: string, path: string, parts: RequestParts = PLAIN_GET): Target {
  const shares = matchShares(model, hostHeader, path, parts);
  if (shares.length !== 1) throw new Error(`${hostHeader}${path} goes to a weighted split of ${shares.length} targets: use matchShares`);
  return shares[0]!.target;
}

// ---------------------------------------------------------------------------
// Path normalisation, as the rendered `normalize-uri` rules do it (see
// docs/routing.md, "Path normalisation"): a request reaches the route of the
// path a backend would see, however it is spelled.

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Decodes percent-encoded unreserved characters and uppercases the other escapes; undefined for a broken escape. */
function normalizeEscapes(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char !== '%') {
      out += char;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const decoded = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** RFC 3986 remove_dot_segments, with `..` above the root dropped. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.length > 0) output.pop();
      if (last) output.push('');
      return;
    }
    output.push(segment);
  });
  return `/${output.join('/')}`;
}

/**
 * A dot segment that only a backend would see: separated by an encoded
 * slash or backslash, a raw backslash, or hidden behind `;parameters`.
 */
export const AMBIGUOUS_DOT_SEGMENT = /(?:^|\/|%2F|%5C|\\)\.{1,2}(?:;[^/]*)?(?:$|\/|%2F|%5C|\\)/;

export type NormalizedRequest = { ok: true; path: string; pathWithQuery: string } | { ok: false };

/**
 * The path HAProxy routes on and forwards: unreserved escapes decoded, other
 * escapes uppercased, slashes merged, dot segments removed. `ok: false`
 * (answered 400) for a broken escape, or a dot segment that only a backend
 * would resolve.
 */
export function normalizeRequestPath(pathWithQuery: string): NormalizedRequest {
  const mark = pathWithQuery.indexOf('?');
  const rawPath = mark === -1 ? pathWithQuery : pathWithQuery.slice(0, mark);
  const rawQuery = mark === -1 ? undefined : pathWithQuery.slice(mark + 1);
  const decodedPath = normalizeEscapes(rawPath);
  const query = rawQuery === undefined ? undefined : normalizeEscapes(rawQuery);
  if (decodedPath === undefined || (rawQuery !== undefined && query === undefined)) return { ok: false };
  const path = decodedPath.startsWith('/') ? removeDotSegments(decodedPath.replace(/\/{2,}/g, '/')) : decodedPath;
  if (AMBIGUOUS_DOT_SEGMENT.test(path)) return { ok: false };
  return { ok: true, path, pathWithQuery: query === undefined ? path : `${path}?${query}` };
}

// ---------------------------------------------------------------------------
// HTTPS: redirects of plain HTTP, and the certificate served for an SNI name.

/**
 * Whether plain HTTP to this host is redirected to HTTPS: the host itself is
 * a TLS host, or it is on a wildcard level whose wildcard is a TLS host. A
 * host with a level of its own is never redirected by a wildcard's TLS.
 */
export function redirectsToHttps(model: Model, hostHeader: string): boolean {
  const host = normalizeHost(hostHeader);
  const tlsHosts = new Set(model.redirectHosts);
  if (tlsHosts.has(host)) return true;
  const level = selectLevel(model, hostHeader);
  return level !== undefined && level.host.startsWith('*.') && tlsHosts.has(level.host);
}

/**
 * The certificate served for an SNI name: an exact name, else a wildcard
 * covering one more label, else the default. SNI names carry no trailing dot
 * (RFC 6066, and clients strip it): one that does matches no name, as in
 * HAProxy, and gets the default certificate.
 */
export function selectCertificate(model: Model, serverName: string | undefined): Certificate {
  const name = (serverName ?? '').toLowerCase();
  if (name !== '') {
    const exact = model.certificates.find((certificate) => certificate.hosts.includes(name));
    if (exact) return exact;
    const wildcard = wildcardOf(name);
    const covering = wildcard === undefined ? undefined : model.certificates.find((certificate) => certificate.hosts.includes(wildcard));
    if (covering) return covering;
  }
  return model.defaultCertificate;
}

export type Answer =
  /** A broken escape or an ambiguous dot segment. */
  | { kind: 'bad-request' }
  | { kind: 'redirect'; location: string }
  /** Client authentication of the level refused the request (see clientAuthAnswer): a status, or a 302 to the error page. */
  | { kind: 'client-auth'; status: 400 | 403 | 421 }
  | { kind: 'client-auth-redirect'; location: string }
  /** `shares` only when a weighted split of several targets decides (then `target` is the first of them). */
  | { kind: 'route'; target: Target; shares?: readonly WeightedTarget[] };

export interface Request {
  scheme: 'http' | 'https';
  /** The Host header as sent. */
  host: string;
  /** Path and query as sent. */
  path: string;
  /** The HTTPS port, for redirect locations. */
  httpsPort: number;
  /** Method and headers, for routes with candidates; absent: a GET without headers. */
  parts?: RequestParts;
  /** HTTPS: the TLS server name sent; absent: the Host's name; null: none. (Requests carry no client certificate.) */
  sni?: string | null;
}

/** The client authentication of the level a request is on, if any. */
export function clientAuthOf(model: Model, hostHeader: string): ClientAuth | undefined {
  if (!model.clientAuth) return undefined;
  const level = selectLevel(model, hostHeader);
  return level === undefined ? undefined : model.clientAuth.find((auth) => auth.host === level.host);
}

/**
 * What client authentication (auth-tls-*) answers a request that presents no
 * certificate, in nginx's order; undefined when it passes. A level that asks
 * for certificates answers 421 when the TLS server name differs from the
 * Host; then `on` refuses (400, or a 302 to the error page); then match-cn
 * must match an empty subject (403). Plain HTTP is a request without a
 * certificate.
 */
export function clientAuthAnswer(auth: ClientAuth, request: Request): Answer | undefined {
  if (request.scheme === 'https' && auth.verify !== 'off') {
    const sni = request.sni === undefined ? (request.host.split(':')[0] ?? '') : request.sni;
    if (sni !== null && sni !== '' && sni.toLowerCase() !== normalizeHost(request.host)) return { kind: 'client-auth', status: 421 };
  }
  if (auth.verify === 'on') return auth.errorPage !== undefined ? { kind: 'client-auth-redirect', location: auth.errorPage } : { kind: 'client-auth', status: 400 };
  if (auth.matchCn !== undefined && !new RegExp(auth.matchCn).test('')) return { kind: 'client-auth', status: 403 };
  return undefined;
}

/** The whole answer to a request: refusal, redirect to HTTPS, client authentication's refusal, or the target it is routed to. */
export function answer(model: Model, request: Request): Answer {
  const normalized = normalizeRequestPath(request.path);
  if (!normalized.ok) return { kind: 'bad-request' };
  if (request.scheme === 'http' && !exemptFromHttpsRedirect(model.globals, normalized.path) && redirectsToHttps(model, request.host)) {
    const host = (request.host.split(':')[0] ?? '').toLowerCase();
    const port = request.httpsPort === 443 ? '' : `:${request.httpsPort}`;
    return { kind: 'redirect', location: `https://${host}${port}${normalized.pathWithQuery}` };
  }
  const auth = clientAuthOf(model, request.host);
  const refused = auth ? clientAuthAnswer(auth, request) : undefined;
  if (refused) return refused;
  const shares = matchShares(model, request.host, normalized.pathWithQuery, request.parts);
  return shares.length === 1 ? { kind: 'route', target: shares[0]!.target } : { kind: 'route', target: shares[0]!.target, shares };
}
