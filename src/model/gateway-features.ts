// What Gateway API filters (HTTPRoute and GRPCRoute `filters`, on a rule or
// a backendRef) ask of a request, as checked plain data. Part of Features,
// so a rule with filters gets a backend of its own kind like an Ingress
// with annotations, and routes without filters pay nothing.

import type { Mirror } from './features.js';

export interface HeaderValue {
  /** A header name, lowercase (HTTP names are case-insensitive). */
  name: string;
  /** Printable ASCII and spaces, without quotes, backslashes or `$`. */
  value: string;
}

/** RequestHeaderModifier / ResponseHeaderModifier: `set` replaces, `add` appends a line, `remove` deletes. */
export interface HeaderEdits {
  set: readonly HeaderValue[];
  add: readonly HeaderValue[];
  remove: readonly string[];
}

/**
 * A new path: the whole path replaced (`full`), or the route's matched
 * prefix replaced element-wise (`prefix`: `/foo` → `/xyz` turns `/foo/bar`
 * into `/xyz/bar` and `/foo` into `/xyz`; a replacement of `/` strips it).
 * Prefixes and replacements have no trailing `/` (`''` for `/`).
 */
export type PathChange = { kind: 'full'; path: string } | { kind: 'prefix'; prefix: string; replacement: string };

/** RequestRedirect: the parts not given keep the request's. */
export interface GatewayRedirect {
  /** The scheme of the Location; absent: the listener's. */
  scheme?: 'http' | 'https';
  hostname?: string;
  /** The port of the Location, already decided by the spec's rule; omitted when it is the scheme's default. */
  port: number;
  /** The scheme of the listener the route is served on (the Location's when `scheme` is absent). */
  listenerScheme: 'http' | 'https';
  path?: PathChange;
  code: 301 | 302 | 303 | 307 | 308;
}

/**
 * The CORS filter (HTTPCORSFilter) with the spec's semantics, which differ
 * from ingress-nginx's enable-cors (model/features.ts Cors): a wildcard
 * origin matches any number of labels, an allowed Origin is always echoed
 * (never `*`, which is valid with or without credentials), and `*` methods
 * or headers echo what the preflight asks.
 */
export interface GatewayCors {
  /**
   * `any`: every origin (`*`). Otherwise the origins allowed (empty: none),
   * `http(s)://host[:port]` in lowercase without the scheme's default port;
   * the host is a DNS name or IPv4 address, `*` (any host) or `*.` and a
   * name (one or more labels before it).
   */
  origins: 'any' | readonly string[];
  /** Access-Control-Allow-Credentials: true is sent, and no header says `*`. */
  credentials: boolean;
  /** Methods (uppercase tokens) listed in preflight answers, or `any`: the one asked. */
  methods: 'any' | readonly string[];
  /** Request header names listed in preflight answers, or `any`: the ones asked. */
  headers: 'any' | readonly string[];
  /** Response header names exposed (`*` only without credentials); empty: no header. */
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

export interface GatewayFilters {
  requestHeaders?: HeaderEdits;
  responseHeaders?: HeaderEdits;
  /** Answered by the proxy; the rule's backends are not asked. */
  redirect?: GatewayRedirect;
  /** URLRewrite path (the query is kept). */
  rewritePath?: PathChange;
  /** URLRewrite hostname: the Host header the backend receives. */
  rewriteHost?: string;
  /** timeouts.request / backendRequest, in milliseconds; 0: no timeout. */
  requestTimeoutMs?: number;
  backendTimeoutMs?: number;
  /** CORS: preflights answered by the proxy, Access-Control-* on the answers to allowed origins. */
  cors?: GatewayCors;
  /** RequestMirror: lifted into Features.mirrors by the router (route-entries.ts), which the data plane renders. */
  mirrors?: readonly Mirror[];
}
