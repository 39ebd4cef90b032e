// The routing model: plain data that translate/ produces and dataplane/
// consumes. Everything here has already passed the strict grammars, ids are
// stable (derived from namespace, name and port, never from order), and every
// list is sorted, so two models for the same objects are deeply equal and a
// diff between two models is meaningful.

import { createHash } from 'node:crypto';
import { memoizeByIdentity } from '../util/identity-memo.js';
import type { Features } from './features.js';
import type { GlobalSettings } from './globals.js';

/** Where a request goes. */
export type Target =
  | { kind: 'backend'; id: string }
  /** A Service that is missing, or whose port cannot be resolved: 503. */
  | { kind: 'unavailable' }
  /** Nothing matched and no default backend exists: a small plain 404. */
  | { kind: 'not-found' }
  /**
   * A Gateway API backendRef that cannot be resolved (missing Service, kind
   * not supported, no ReferenceGrant), or a rule without backends: 500, as
   * the Gateway API asks.
   */
  | { kind: 'invalid' };

/** How a header or query value is compared: the whole value, or a regular expression (translate/regex.ts's safe subset, unanchored). */
export interface ValueMatch {
  kind: 'exact' | 'regex';
  value: string;
}

/** What a request must have beyond host and path (Gateway API matches); every part must hold. */
export interface RequestCondition {
  /** An uppercase method token (GET, POST, ...). */
  method?: string;
  /**
   * The request's path (normalised, without the query) beyond its route's
   * key: Gateway API RegularExpression paths and GRPCRoute method matches
   * that no path key expresses (a method of any service, regular
   * expressions), as a pattern anchored by its own `^` and `$`.
   */
  path?: ValueMatch;
  /** Lowercase header names, each at most once; all must match. */
  headers: readonly { name: string; match: ValueMatch }[];
  /** Case-sensitive query parameter names, each at most once; the first value of the parameter must match. */
  query: readonly { name: string; match: ValueMatch }[];
}

/** One share of a weighted choice. */
export interface WeightedTarget {
  target: Target;
  /**
   * 0 to 1,000,000; the share is weight / the sum of the split's weights. A
   * share of weight 0 gets no request; a split whose weights are all 0
   * answers 500, as `invalid` (Gateway API leaves that case open; its open
   * proposal is 500).
   */
  weight: number;
}

/**
 * One alternative of a route: when `when` holds (absent: always), the request
 * goes to one target of `split`, chosen at random by weight.
 */
export interface Candidate {
  when?: RequestCondition;
  /** Never empty. */
  split: readonly WeightedTarget[];
}

/**
 * `regex`: on a regex level only (see HostLevel.regex), a case-insensitive
 * regular expression anchored at the start of the path, as ingress-nginx's
 * `use-regex` makes it.
 */
export type PathMatch = 'exact' | 'prefix' | 'regex';

/**
 * An alternative backend for a route (ingress-nginx's canary Ingress),
 * chosen per request: by header, then by cookie, then by weight.
 */
export interface Canary {
  /** The canary's backend (with the route's features). */
  target: Target & { kind: 'backend' };
  /** Requests whose header has this name go to the canary when its value is `headerValue`, matches `headerPattern`, or (without either) is `always`; `never` keeps them on the route. */
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  /** Requests with this cookie set to `always` go to the canary, to `never` stay. */
  cookie?: string;
  /** Share of the remaining requests sent to the canary, in ten-thousandths. */
  weight: number;
}

export interface Route {
  match: PathMatch;
  /** Set only on routes whose target is a backend of their own (see Features.canaryOf). */
  canary?: Canary;
  /**
   * For `exact`, the path as written. For `prefix`, the path without trailing
   * slashes ('' for `/`): the data plane appends the `/` that makes the match
   * element-wise. For `regex`, the pattern in the subset of
   * translate/regex.ts (no backslashes; the same in JavaScript and PCRE2).
   */
  path: string;
  target: Target;
  /**
   * Gateway API: tried in order, the first whose condition holds decides;
   * when none holds, `target`. Translate puts them in the spec's precedence
   * and appends the candidates of less specific paths of the level (a rule
   * whose conditions fail never shadows them), so the data plane only
   * evaluates this list. Absent on Ingress routes.
   */
  candidates?: readonly Candidate[];
}

/**
 * One host level: an exact host (`foo.example.com`), a wildcard
 * (`*.example.com`) or the level for rules without host (`host: ''`). A request
 * picks exactly one level (exact beats wildcard beats host-less) and then only
 * that level's routes and default apply.
 */
export interface HostLevel {
  host: string;
  /**
   * Every route is a `regex` route, tried in the order of `routes` (longest
   * written path first); the first that matches wins. ingress-nginx makes a
   * whole host so when one of its Ingresses uses regular expressions or a
   * rewrite.
   */
  regex?: boolean;
  /**
   * Gateway API wildcards (`*.example.com`) match any number of labels
   * (`a.b.example.com` too); Ingress wildcards exactly one. Set on Gateway
   * wildcard levels only.
   */
  anyDepth?: boolean;
  routes: Route[];
  /** Serves requests on this level that match none of its routes. */
  fallback: Target;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface Backend {
  /**
   * `namespace_service_port`: stable, and safe as an HAProxy name. A backend
   * with features appends a digest of them: `namespace_service_port.digest`.
   */
  id: string;
  namespace: string;
  service: string;
  port: number;
  endpoints: Endpoint[];
  /** What the routes to this backend ask beyond the Service (from annotations). */
  features?: Features;
  /** Backup servers: the endpoints of features.defaultBackend, used only while no endpoint is up. */
  backupEndpoints?: Endpoint[];
  /**
   * With features.externalAuth: the auth service's ready endpoints, sorted
   * (empty: the auth service cannot be reached and every request answers 500).
   */
  authEndpoints?: Endpoint[];
  /**
   * With features.mirrors: each mirror's ready endpoints, sorted, in the
   * order of the mirrors (empty: that copy is not sent).
   */
  mirrorEndpoints?: Endpoint[][];
}

export interface Certificate {
  /** `namespace_secret`, or `default` for the default certificate. */
  id: string;
  /** PEM of the certificate chain followed by the private key, re-encoded by Portero. */
  pem: string;
  /** SNI names (exact or `*.` wildcards) this certificate serves. */
  hosts: string[];
}

export interface Passthrough {
  /** An exact host (SNI names are exact). */
  host: string;
  /** A backend whose features have `passthrough`. */
  target: Target & { kind: 'backend' };
}

/** A CA bundle that client certificates are verified against (auth-tls-secret), with its revocation lists. */
export interface ClientCa {
  /** `clientca-<digest>` of the bundle: names its file, so equal bundles share one. */
  id: string;
  /** The CA certificates, re-encoded by Portero. */
  pem: string;
  /** The revocation lists (`ca.crl`), re-encoded, with their own `clientcrl-<digest>` id; absent: none are checked. */
  crl?: { id: string; pem: string };
}

/** auth-tls-verify-client. */
export type ClientVerify = 'on' | 'off' | 'optional' | 'optional_no_ca';

/**
 * Client-certificate authentication of one host level, as ingress-nginx's
 * auth-tls-* annotations set it per server: every request on the level,
 * whichever Ingress its path comes from, is checked.
 */
export interface ClientAuth {
  /** The level's host: exact, `*.` wildcard, or '' for the level of rules without host. */
  host: string;
  verify: ClientVerify;
  ca: ClientCa;
  /** auth-tls-verify-depth, checked (see docs/annotations.md: HAProxy 2.6 does not enforce it). */
  depth: number;
  /** On a failed verification (or a missing certificate with `on`), a 302 to this absolute URL instead of 400. */
  errorPage?: string;
  /** auth-tls-match-cn: a regular expression in the subset of translate/regex.ts (spaces allowed), matched against the subject DN; no match: 403. */
  matchCn?: string;
  /** The certificate is sent to the Service, URL-escaped PEM, in `ssl-client-cert`. */
  passCertificate: boolean;
}

/**
 * Gateway API: the listeners of one port (and protocol) on one set of
 * addresses keep their routes apart from everything else. Their levels'
 * hosts carry the scope as a suffix (`shop.example.com|g1a2b3c4d`,
 * `|g1a2b3c4d` for the host-less level), and requests arriving on those
 * addresses and that port look up only those levels; an HTTP listener's
 * routes are never reached on the HTTPS port, nor the other way round.
 * Without addresses (the shared `--bind-address`) on ports 80 and 443 the
 * scope's levels are looked up after the Ingresses' (which answer on both).
 */
export interface Scope {
  /** `g` and 8 hex digits: scopeId() of the other fields. */
  id: string;
  /** IP addresses, sorted; empty: the shared `--bind-address`. */
  addresses: readonly string[];
  /** The listener port: 80 is served on `--http-port`, 443 on `--https-port`, any other on itself. */
  port: number;
  protocol: 'http' | 'https';
}

/** The id of the scope of these addresses (sorted), listener port and protocol: derived, so Gateways with equal ones share a scope. */
export function scopeId(addresses: readonly string[], port: number, protocol: 'http' | 'https'): string {
  return `g${createHash('sha256').update(`${addresses.join(',')}|${port}|${protocol}`).digest('hex').slice(0, 8)}`;
}

/** Ports 80 and 443 of Gateway listeners are Portero's HTTP and HTTPS ports, which the Ingresses share. */
export function isIngressPort(port: number, protocol: 'http' | 'https'): boolean {
  return protocol === 'http' ? port === 80 : port === 443;
}

/** The separator of a scoped level's host and its scope. */
export const SCOPE_SEPARATOR = '|';

/** A level host's plain host and scope (scoped levels: see Scope). */
export function splitLevelHost(host: string): { host: string; scope?: string } {
  const at = host.indexOf(SCOPE_SEPARATOR);
  return at === -1 ? { host } : { host: host.slice(0, at), scope: host.slice(at + 1) };
}

export interface Model {
  levels: HostLevel[];
  /** Gateway API scopes (listener ports and addresses of Gateways), sorted by id. */
  scopes?: readonly Scope[];
  backends: Backend[];
  /** Requests that match no level at all go here (the host-less level's fallback when it exists). */
  catchAll: Target;
  defaultCertificate: Certificate;
  certificates: Certificate[];
  /** Hosts (exact or wildcard) whose plain-HTTP requests are redirected to HTTPS. */
  redirectHosts: string[];
  /** Hosts whose TLS connections go, as they are, to a backend chosen by SNI (ssl-passthrough); sorted by host. */
  passthrough?: Passthrough[];
  /** Global settings from the ingress-nginx ConfigMap; absent: Portero's defaults. A change reloads. */
  globals?: GlobalSettings;
  /** Host levels whose requests are checked for a client certificate (auth-tls-*); sorted by host. A change reloads. */
  clientAuth?: ClientAuth[];
}

export function backendId(namespace: string, service: string, port: number): string {
  return `${namespace}_${service}_${port}`;
}

/** The parts of a backend id; namespaces and Service names never contain `_`. */
export function parseBackendId(id: string): { namespace: string; service: string; port: number } | undefined {
  const match = /^([^_]+)_([^_]+)_(\d+)(?:\.[0-9a-f]+)?$/.exec(id);
  return match ? { namespace: match[1]!, service: match[2]!, port: Number(match[3]) } : undefined;
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.kind === b.kind && (a.kind !== 'backend' || (b.kind === 'backend' && a.id === b.id));
}

/** The levels of a model by host, built once per model. */
export const levelsByHost: (model: Model) => ReadonlyMap<string, HostLevel> = memoizeByIdentity((model: Model) => new Map(model.levels.map((level) => [level.host, level])));

/** The backends of a model by id, built once per model. */
export const backendsById: (model: Model) => ReadonlyMap<string, Backend> = memoizeByIdentity((model: Model) => new Map(model.backends.map((backend) => [backend.id, backend])));
