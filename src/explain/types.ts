// The answer of `portero explain`: why one request goes where it goes. Plain,
// JSON-able data (the `-o json` output and the body of /api/explain), made
// by explain.ts from a translation, and printed for people by
// render-text.ts. docs/explain.md describes every field.

import type { Diagnostic } from '../translate/diagnostics.js';
import type { PathMatch, RequestCondition, Scope } from '../model/model.js';

/** The request to explain, as a client would send it. */
export interface ExplainInput {
  /** As sent; compared case-sensitively by Gateway API method matches. Default GET. */
  method?: string;
  /** `http://` or `https://`, host, optional port, path and query (a fragment is dropped, as clients do). */
  url: string;
  /** Header fields in order; a `Host` field replaces the URL's authority as the Host header. */
  headers?: readonly (readonly [name: string, value: string])[];
  /** HTTPS: the TLS server name; absent: the URL's host; null: none. */
  sni?: string | null;
  /** The destination address, when it is one of a Gateway's own addresses (absent: Portero's shared bind address). */
  address?: string;
}

/** An object and the field of it that a rule comes from. */
export interface SourceRef {
  kind: string;
  namespace: string;
  name: string;
  /** e.g. `spec.rules[0].http.paths[1]`, `spec.defaultBackend`, `--default-backend-service`. */
  field?: string;
}

/** Why a rule that could have taken the request did not, or that it did. */
export type RuleResult =
  /** It decides the request. */
  | 'matched'
  /** Its path matches, but a longer (or Exact) path of the same level wins. */
  | 'less-specific'
  /** Its path does not match the request's. */
  | 'no-match'
  /** It is on another host level than the one chosen (no fall-through between exact, wildcard and host-less rules). */
  | 'other-level'
  /** The same host, path and type is routed by an older Ingress (or an earlier path of the same one). */
  | 'conflict'
  /** `/foo` and `/foo/` (Prefix) match the same requests: the longer one is kept. */
  | 'shadowed'
  /** The Ingress is not Portero's (class). */
  | 'other-class'
  /** The object, or this path, is refused (see its diagnostics). */
  | 'invalid'
  /** A canary Ingress's path: an alternative backend of the matched route, not a route of its own. */
  | 'canary';

export interface ConsideredRule {
  source: SourceRef;
  /** The rule's host as written ('' for none). */
  host: string;
  /** The path as written, and its type. */
  path: string;
  pathType: string;
  result: RuleResult;
  reason: string;
}

export interface BackendExplanation {
  id: string;
  namespace: string;
  service: string;
  port: number;
  /** `address:port` of the ready endpoints that get traffic. */
  endpoints: string[];
  /** Addresses of the Service's endpoints listed as not ready (they get no traffic). */
  notReady: string[];
}

export interface TargetExplanation {
  /** The share of requests, out of the split's total (1 unless a weighted split decides). */
  weight: number;
  kind: 'backend' | 'unavailable' | 'not-found' | 'invalid';
  backend?: BackendExplanation;
  /** What this target answers by itself: 503 without ready endpoints, 500 invalid, 404, or null when the backend answers. */
  status: number | null;
}

export interface FeatureNote {
  /** A short name: `redirect`, `rewrite`, `basic-auth`, `cors`, `limits`, `timeouts`, `request-headers`, ... */
  name: string;
  /** What it does to this request, in words. */
  detail: string;
  /** True when it answers this request itself (a redirect, a refusal), so the backend is not asked. */
  answers?: boolean;
}

export interface CertificateExplanation {
  /** `namespace_secret`, or `default`. */
  id: string;
  secret?: { namespace: string; name: string };
  default: boolean;
  /** From the leaf certificate, when the PEM is known. */
  subject?: string;
  subjectAltNames?: string[];
  notAfter?: string;
  /** Which name selected it: the exact SNI, its wildcard, or none (the default). */
  selectedBy: 'exact' | 'wildcard' | 'default';
}

export interface CandidateExplanation {
  index: number;
  when?: RequestCondition;
  holds: boolean;
  /** The parts of `when` that do not hold. */
  failed: string[];
}

export type DecisionKind =
  /** A broken escape or an ambiguous dot segment: 400. */
  | 'bad-request'
  /** Plain HTTP to a TLS host: redirected to HTTPS. */
  | 'https-redirect'
  /** Client-certificate authentication refuses the request (no certificate is sent by explain). */
  | 'client-auth'
  /** A route of the level matched. */
  | 'route'
  /** The level matched, none of its paths: its default backend. */
  | 'level-default'
  /** No level matched: the catch-all (an Ingress's spec.defaultBackend, --default-backend-service, or 404). */
  | 'catch-all'
  /** Nothing listens on that port (and address). */
  | 'no-listener';

export interface Explanation {
  request: {
    method: string;
    url: string;
    scheme: 'http' | 'https';
    /** The port the request is sent to. */
    port: number;
    /** The Host header as sent, and as routed (lowercase, without port and trailing dot). */
    hostHeader: string;
    host: string;
    /** Path and query as sent, and as routed and forwarded (docs/routing.md, Path normalisation); null: refused with 400. */
    path: string;
    routedPath: string | null;
    headers: [string, string][];
    /** HTTPS only: the TLS server name sent, or null for none. */
    sni?: string | null;
  };
  listener: {
    /** `ingress`: Portero's --http-port or --https-port (the Ingresses, and Gateway listeners on 80 and 443); `gateway`: a Gateway listener's own port or address. */
    frontend: 'ingress' | 'gateway' | 'none';
    scheme: 'http' | 'https';
    port: number;
    /** The Gateway scope of the port, when Gateway listeners are there. */
    scope?: Scope;
    /** The Gateway listeners of that scope: `namespace/gateway listener`. */
    gatewayListeners: string[];
  };
  decision: {
    kind: DecisionKind;
    /** A route (or the HTTPS redirect) took the request; false for defaults, 404 and refusals. */
    matched: boolean;
    reason: string;
  };
  /** What the client gets, when explain can tell without asking the backend. */
  answer: {
    /** The status Portero answers, or null when the backend answers (200 or whatever it says). */
    status: number | null;
    location?: string;
    /** What else can change the answer (client address, credentials, limits, weights). */
    notes: string[];
  };
  level: null | {
    /** The level's host: exact, `*.` wildcard, or '' for the rules without host. */
    host: string;
    kind: 'exact' | 'wildcard' | 'any-host';
    scope?: string;
    /** Every path of the level is a regular expression (ingress-nginx use-regex or rewrite-target). */
    regex: boolean;
  };
  route: null | {
    match: PathMatch;
    /** The path as the model keeps it (Prefix without trailing slash, '' for `/`). */
    path: string;
    source?: SourceRef;
    /** The canary of the route (ingress-nginx canary), which may take the request instead. */
    canary?: { backend: string; header?: string; cookie?: string; weightPercent: number };
  };
  /** Gateway API: the route's candidates in order, and which decided. */
  candidates?: CandidateExplanation[];
  /** Where the default answer comes from, for level-default and catch-all. */
  fallback?: { role: 'level-default' | 'catch-all'; source?: SourceRef };
  considered: ConsideredRule[];
  targets: TargetExplanation[];
  features: FeatureNote[];
  tls?: { sni: string | null; certificate: CertificateExplanation };
  /** Diagnostics of the objects that took part (considered rules, Services, Secrets). */
  diagnostics: Diagnostic[];
}
