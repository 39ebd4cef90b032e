// Features: what annotations ask of the requests of a route beyond choosing
// its Service (redirects, limits, timeouts, access lists, ...). Plain,
// checked data: translate/annotations/ makes it from an Ingress's annotations
// after every value passed a strict grammar, and dataplane/ renders it.
//
// A route with features goes to a backend of its own kind: the Service port's
// backend id plus a digest of the features (`ns_svc_80.3f9a0c1b2d`). Routes
// without features keep the plain backend and pay nothing for any feature.

import { createHash } from 'node:crypto';
import type { GatewayFilters } from './gateway-features.js';

/** A redirect answered by the proxy instead of the Service. */
export interface FixedRedirect {
  /** An absolute http(s) URL, or an absolute path (`/new`), checked by the annotation grammar. */
  location: string;
  /** 301, 302, 303, 307 or 308. */
  code: number;
  /**
   * For a location that is a path: `absolute` sends `scheme://host[:port]<path>`
   * (from the request's scheme and Host, the port when not the scheme's
   * default), as nginx's absolute_redirect does; `relative` sends the path as
   * written (relative-redirects: "true"). Absent for a URL.
   */
  pathLocation?: 'absolute' | 'relative';
}

export interface Timeouts {
  /** Establishing the connection to an endpoint. */
  connectSeconds?: number;
  /** Waiting for the endpoint: between two reads (and writes) of the response. */
  serverSeconds?: number;
}

/** Source addresses as IPv4/IPv6 addresses or CIDR ranges, already checked and normalised. */
export type SourceList = readonly string[];

/** The path is replaced (query kept) when the route's pattern matches, as nginx's `rewrite` (rewrite-target). */
export interface Rewrite {
  /** The route's pattern, in the subset of translate/regex.ts; matched case-insensitively, unanchored. */
  pattern: string;
  /** The new path; `\1`-`\9` are the pattern's groups. */
  target: string;
}

/** Cross-origin resource sharing as ingress-nginx's enable-cors answers it. */
export interface Cors {
  /**
   * The origins allowed, `scheme://host[:port]` in lowercase, the host
   * possibly starting with `*.` (exactly one label); a matching request's
   * Origin is echoed. Absent: any origin, answered with `*` on every response.
   */
  origins?: readonly string[];
  /** HTTP methods (tokens of letters), in the order given. */
  methods: readonly string[];
  /** Request header names (letters, digits, `-`, `_`). */
  headers: readonly string[];
  /** Response header names, or `*`; empty: no Access-Control-Expose-Headers. */
  exposeHeaders: readonly string[];
  /** Access-Control-Allow-Credentials: true is sent. */
  credentials: boolean;
  maxAgeSeconds: number;
  /**
   * The lists as the annotations wrote them (the same names, with `,`, `, `
   * or ` ` between them), which ingress-nginx sends verbatim; a list absent
   * here is sent in the form of ingress-nginx's default (methods joined by
   * `, `, headers by `,`).
   */
  written?: { methods?: string; headers?: string; exposeHeaders?: string };
}

/** A failure of an attempt that nginx's proxy_next_upstream passes to another endpoint. */
export type RetryCondition = 'error' | 'timeout' | 'invalid_header' | 'http_500' | 'http_502' | 'http_503' | 'http_504' | 'http_403' | 'http_404' | 'http_429';

/** Which failed attempts are tried again on another endpoint (proxy-next-upstream*). */
export interface NextUpstream {
  /** Empty: never retried (`off`). */
  on: readonly RetryCondition[];
  /** Attempts in all, the first included (at least 1). */
  tries: number;
  /** POST, LOCK and PATCH are retried too, even once sent (non_idempotent). */
  nonIdempotent: boolean;
}

/**
 * Per-client request limits of one Ingress (limit-*). The client is its
 * source address. Counters are shared by every path of the Ingress named by
 * `zone` (ingress-nginx keeps one zone per Ingress object) and by no other
 * Ingress, and they live in each replica's HAProxy.
 */
export interface Limits {
  /** `namespace/name` of the Ingress whose paths share the counters. */
  zone: string;
  /** At most this many requests of one client in progress at once (limit-connections). */
  connections?: number;
  /** Requests per minute (limit-rpm): at most `rpm × burstMultiplier` admitted within any `burstMultiplier` minutes. */
  rpm?: number;
  /** Requests per second (limit-rps): at most `rps × burstMultiplier` admitted within any `burstMultiplier` seconds. */
  rps?: number;
  /** limit-burst-multiplier (default 5): the window is this many periods and holds this many periods' worth of requests. */
  burstMultiplier: number;
  /** Clients never limited (limit-whitelist), checked and normalised like SourceList. */
  exempt?: SourceList;
}

/** Every request is redirected, with its path and query, to another host (from-to-www-redirect). */
export interface HostRedirect {
  /** A lowercase DNS host name, checked by the host grammar. */
  host: string;
  /** 308, as ingress-nginx's default `http-redirect-code`. */
  code: number;
}

/**
 * How Portero speaks to the endpoints (backend-protocol). Absent: HTTP/1.1
 * in clear text.
 */
export interface UpstreamProtocol {
  /** `https`: HTTP/1.1 over TLS; `h2c`: HTTP/2 in clear text (GRPC); `h2-tls`: HTTP/2 over TLS (GRPCS). */
  kind: 'https' | 'h2c' | 'h2-tls';
  /**
   * The TLS server name sent to the endpoint (proxy-ssl-server-name): the
   * request's host (`host`), or a fixed name (proxy-ssl-name). Absent: no SNI.
   */
  sni?: { from: 'host' } | { from: 'name'; name: string };
}

/** Sticky sessions by a cookie the proxy inserts (affinity: cookie, session-cookie-*). */
export interface CookieAffinity {
  /** A cookie name (token characters only, checked). */
  name: string;
  /** The cookie's Path; absent: `/`. */
  path?: string;
  /** The cookie's Domain, lowercase; absent: the request's host. */
  domain?: string;
  /** Lifetime in seconds (Max-Age); absent: a session cookie. */
  maxAgeSeconds?: number;
  sameSite?: 'None' | 'Lax' | 'Strict';
  /** The Secure attribute on every answer. */
  secure?: boolean;
}

/** How the endpoints of the backend share requests (load-balance, upstream-hash-by). */
export type Balance =
  | { kind: 'roundrobin' }
  | { kind: 'leastconn' }
  /** Consistent hashing of the whole URI with its query (`uri`), the path only (`path`) or the client address (`source`). */
  | { kind: 'hash'; by: 'uri' | 'path' | 'source' }
  /** Consistent hashing of a request header or a query parameter, named by a checked token. */
  | { kind: 'hash'; by: 'header' | 'param'; name: string };

// Snippets (configuration-snippet, server-snippet), parsed by translate/annotations/snippet-parser.ts.

export interface HeaderChange {
  name: string;
  /** Absent: the header is removed. */
  value?: string;
}

export interface AccessRule {
  allow: boolean;
  /** An address or CIDR range, or `all`. */
  source: string;
}

export interface SnippetRules {
  request: HeaderChange[];
  response: HeaderChange[];
  access: AccessRule[];
  /** `return`: a status with a body text, or a redirect (301, 302, 303, 307, 308) to a URL. */
  answer?: { code: number; text?: string; location?: string };
}

/**
 * Where the auth subrequest goes (auth-url's host): a Service of the cluster,
 * resolved by translate to its ready endpoints, or a literal IP address.
 */
export type ExternalAuthTarget = ServiceTarget;

/**
 * A Service of the cluster, by name and Service port number (resolved by
 * translate to its ready endpoints, as any backend), or a literal IP address
 * and port. The data plane has no DNS: these are the only names it reaches.
 */
export type ServiceTarget = { kind: 'service'; namespace: string; name: string; port: number } | { kind: 'address'; address: string; port: number };

/**
 * A copy of the requests of a route sent to another Service, fire and
 * forget (ingress-nginx mirror-target, Gateway API RequestMirror): the
 * answer of the route never waits for the copy, nor depends on it.
 */
export interface Mirror {
  target: ServiceTarget;
  /** The Host header of the copy (a host name, `:port` optional, lowercase); absent: the request's own. */
  host?: string;
  /**
   * The copy's path. Absent: the request's path and query. `prefix` (a
   * checked path, no query; may be `''`) followed, with `requestUri`, by the
   * request's path and query (nginx's `<prefix>$request_uri`), else by the
   * request's query only (nginx's proxy_pass with a URI).
   */
  path?: { prefix: string; requestUri: boolean };
  /** The request body is copied too (when it is whole in the buffer; see features/mirror-lua.ts). */
  body: boolean;
  /** The share of requests copied, `numerator` of every `denominator` (0 < numerator < denominator); absent: every request. */
  fraction?: { numerator: number; denominator: number };
}

/**
 * External authentication as ingress-nginx's auth-url: every request is first
 * asked about to an auth service; only a 2xx answer lets it through.
 */
export interface ExternalAuth {
  target: ExternalAuthTarget;
  /** The Host header of the subrequest: the auth URL's host (and port when written), lowercase. */
  host: string;
  /** The auth URL's path and query, as written (a checked character set). */
  path: string;
  /** The subrequest's method (auth-method): an uppercase token; GET by default. */
  method: string;
  /** Auth response headers copied to the upstream request (auth-response-headers), lowercase. */
  responseHeaders: readonly string[];
  /** On a 401: a 302 to this absolute URL (auth-signin), the redirect parameter appended unless present. */
  signin?: string;
  /** The name of that parameter (auth-signin-redirect-param), `rd` by default. */
  signinParam: string;
  /** X-Auth-Request-Redirect of the subrequest (auth-request-redirect); absent: the request URI. */
  requestRedirect?: string;
  /** The auth answer's Set-Cookie reaches the client whatever the final status (auth-always-set-cookie). */
  alwaysSetCookie: boolean;
}

/** A user allowed in by basic authentication, with its password hash (checked by objects/htpasswd.ts). */
export interface AuthUser {
  /** Printable ASCII without spaces, quotes, backslash, `#` or `:`. */
  name: string;
  /** `$apr1$`, `{SHA}`, `{SSHA}`, or a crypt(3) hash (bcrypt, `$1$`, `$5$`, `$6$`, DES). */
  hash: string;
}

/** Basic authentication (auth-type: basic): 401 without valid credentials; Authorization is not forwarded. */
export interface BasicAuth {
  /** Sent as `WWW-Authenticate: Basic realm="<realm>"`: printable ASCII without quotes or backslash. */
  realm: string;
  /** `namespace/name` of the Secret the users come from. */
  secret: string;
  /** In the Secret's order; may be empty (nobody gets in, as with an empty htpasswd file). */
  users: readonly AuthUser[];
}

/** A literal prefix replaced in a response value: what starts with `from` gets `to` instead of it. */
export interface PrefixRewrite {
  from: string;
  to: string;
}

/**
 * Response headers of the Service rewritten before they reach the client,
 * as nginx's proxy_redirect and proxy_cookie_* (proxy-redirect-from/-to,
 * proxy-cookie-domain, proxy-cookie-path); the proxy's own answers are left
 * alone. Every text passed the grammars of translate/annotations/
 * response-rewrites.ts.
 */
export interface ResponseRewrites {
  /** Location, and the URL of Refresh (after its first `url=`), starting with `from` (case-sensitive). */
  redirect?: PrefixRewrite;
  /**
   * Set-Cookie's Domain attribute equal to `from` (case-insensitive, a
   * leading dot of the attribute ignored and kept) becomes `to`. Both
   * without a leading dot.
   */
  cookieDomain?: PrefixRewrite;
  /** Set-Cookie's Path attribute starting with `from` (case-sensitive). */
  cookiePath?: PrefixRewrite;
}

export interface Features {
  /** Plain-HTTP requests are redirected to HTTPS with 308, whether or not the host has TLS (force-ssl-redirect). */
  httpsRedirect?: boolean;
  /** The code of that redirect when not 308 (http-redirect-code of the ConfigMap): 301, 302 or 307. */
  httpsRedirectCode?: number;
  /**
   * Plain-HTTP requests are answered 403 where they would be redirected to
   * HTTPS: on every host (force-ssl-forbid-http, with force-ssl-redirect),
   * or on `hosts` only (ssl-forbid-http: the Ingress's hosts that have TLS).
   */
  httpForbidden?: { hosts?: readonly string[] };
  /** Every request is redirected to this URL (permanent-redirect, temporal-redirect). */
  redirect?: FixedRedirect;
  /** Requests for `/` are redirected (302) to this path (app-root). */
  appRoot?: string;
  /** Clients whose address is in this list are refused with 403 (denylist-source-range); checked first. */
  denySources?: SourceList;
  /** Only clients whose address is in this list are served; others get 403 (allowlist-source-range). */
  allowSources?: SourceList;
  /** Per-client limits; refused requests get 503 (limit-*). */
  limits?: Limits;
  /** The whole level redirects to its `www.` twin or back (from-to-www-redirect); set by translate, not by a group. */
  hostRedirect?: HostRedirect;
  /** Basic authentication with the users of a Secret (auth-*), resolved by translate/auth.ts. */
  basicAuth?: BasicAuth;
  /** Request bodies larger than this are refused with 413 (proxy-body-size); absent: no limit. */
  maxBodyBytes?: number;
  timeouts?: Timeouts;
  /** Set per path (the pattern is the path's): see Rewrite. */
  rewrite?: Rewrite;
  // CORS, upstream request headers, access log and retries (cors.ts, upstream.ts).
  /** Cross-origin requests are answered as ingress-nginx's enable-cors does (preflights 204 by the proxy). */
  cors?: Cors;
  /** The Host header sent to the endpoints, a host name with an optional port (upstream-vhost). */
  upstreamHost?: string;
  /** X-Forwarded-Prefix sent to the endpoints; ingress-nginx sends it only when the route also rewrites (x-forwarded-prefix). */
  forwardedPrefix?: string;
  /** The Connection header sent to the endpoints: tokens joined by `, ` (connection-proxy-header). */
  connectionHeader?: string;
  /** Gateway API filters of the rule (and backendRef) the route comes from. */
  gateway?: GatewayFilters;
  /** Response headers set (or, without a value, removed) on every answer of the route (custom-headers: a ConfigMap's data), sorted by name. */
  responseHeaders?: readonly { name: string; value?: string }[];
  /** Requests of the route are not access-logged (enable-access-log: false). */
  accessLogOff?: boolean;
  /** Failed attempts retried on another endpoint (proxy-next-upstream, -tries). */
  nextUpstream?: NextUpstream;
  /**
   * The route has a canary: its backend (and the canary's) is made unique to
   * the route by this key (host and path), so that the canary decision, keyed
   * by backend, concerns this route only. Renders nothing.
   */
  canaryOf?: string;
  /** What configuration-snippet and server-snippet ask, parsed into typed rules (never pasted). */
  snippet?: SnippetRules;
  /** The backend takes TLS connections as they are, by SNI (ssl-passthrough): `mode tcp`, no HTTP rule. */
  passthrough?: boolean;
  /**
   * Answers of the Service with these statuses are replaced by the
   * default-backend Service's answer for them, the status kept
   * (custom-http-errors).
   */
  customErrors?: { codes: readonly number[]; namespace: string; ingress: string };
  /** A Service of the same namespace whose endpoints answer while the route's Service has none ready (default-backend). */
  defaultBackend?: { service: string };
  /** TLS and HTTP/2 to the endpoints (backend-protocol, proxy-ssl-*); absent: HTTP/1.1 in clear text. */
  upstream?: UpstreamProtocol;
  /** Sticky sessions by cookie (affinity); absent: none. */
  affinity?: CookieAffinity;
  /** The load-balancing algorithm (load-balance, upstream-hash-by); absent: round robin. */
  balance?: Balance;
  /** One server, the Service's ClusterIP, instead of the pod addresses (service-upstream). */
  serviceUpstream?: boolean;
  /** Requests are first authorised by an auth service (auth-url and friends); absent: none. */
  externalAuth?: ExternalAuth;
  /** Copies of the requests sent to other Services (mirror-target, RequestMirror), in order; absent: none. */
  mirrors?: readonly Mirror[];
  /**
   * satisfy: any: a request passes when any one of the access checks lets it
   * in (the access lists, basic auth, external auth), as nginx's `satisfy
   * any`; absent: all of them must (`satisfy all`, the default).
   */
  satisfyAny?: boolean;
  /** Location, Refresh and Set-Cookie of the Service's answers rewritten (proxy-redirect-*, proxy-cookie-*). */
  responseRewrites?: ResponseRewrites;
  /**
   * The annotations could not be honoured safely (an invalid value for an
   * access-control annotation): every request answers 503, as ingress-nginx's
   * "location denied".
   */
  denied?: boolean;
}

/**
 * Whether a route's access is decided by satisfy: any: it asks for it, and
 * has at least two kinds of access checks to choose between (source lists,
 * basic auth, external auth); with fewer, `any` and `all` are the same.
 */
export function satisfiesAny(features: Features): boolean {
  const kinds = [features.allowSources !== undefined || features.denySources !== undefined, features.basicAuth !== undefined, features.externalAuth !== undefined];
  return features.satisfyAny === true && kinds.filter(Boolean).length >= 2;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner !== undefined) out[key] = sortedKeys(inner);
  }
  return out;
}

/** A canonical text of features: equal features, equal text, whatever the key order. */
export function featuresKey(features: Features): string {
  return JSON.stringify(sortedKeys(features));
}

/** True when `features` asks for nothing. */
export function isEmptyFeatures(features: Features): boolean {
  return featuresKey(features) === '{}';
}

/** The id of the backend that serves `baseId`'s Service port with `features`. */
export function featuredBackendId(baseId: string, features: Features): string {
  return `${baseId}.${createHash('sha256').update(featuresKey(features)).digest('hex').slice(0, 10)}`;
}
