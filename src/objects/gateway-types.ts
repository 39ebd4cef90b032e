// The Gateway API objects Portero reads (gateway.networking.k8s.io, v1.6
// standard channel), narrowed to the fields it uses, plus Namespaces (whose
// labels drive a listener's `allowedRoutes.namespaces.selector`).
//
// Field names follow the API so that diagnostics and status name fields as
// users wrote them. Optional fields stay optional where the API gives them no
// default; where it does (a listener's allowedRoutes, a backendRef's weight,
// a path match's type), decode fills the default in, so translate never
// guesses.

import type { ObjectMeta } from './types.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** A `metav1.LabelSelector`. */
export interface LabelSelector {
  matchLabels: Readonly<Record<string, string>>;
  matchExpressions: readonly { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: readonly string[] }[];
}

/** A condition as the API writes it (status of every Gateway API kind). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface Namespace {
  kind: 'Namespace';
  metadata: ObjectMeta;
}

export interface GatewayClass {
  kind: 'GatewayClass';
  metadata: ObjectMeta;
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
    description?: string;
  };
}

/** A reference to a Secret (or another kind, which is refused) holding a certificate. */
export interface SecretObjectReference {
  /** Defaults to '' (core). */
  group: string;
  /** Defaults to 'Secret'. */
  kind: string;
  name: string;
  namespace?: string;
}

export type ListenerProtocol = string; // 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | a domain-prefixed name

export interface Listener {
  name: string;
  /** Lowercase; absent: every hostname. May be a `*.` wildcard. */
  hostname?: string;
  port: number;
  protocol: ListenerProtocol;
  tls?: {
    /** Defaults to 'Terminate'. */
    mode: 'Terminate' | 'Passthrough';
    certificateRefs: SecretObjectReference[];
    /** Implementation-specific TLS options (`example.com/key: value`); absent when none are given. */
    options?: Readonly<Record<string, string>>;
  };
  allowedRoutes: {
    namespaces: { from: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector };
    /** Empty: the kinds that suit the protocol. `group` defaults to gateway.networking.k8s.io. */
    kinds: { group: string; kind: string }[];
  };
}

export interface GatewayAddress {
  /** Defaults to 'IPAddress'. */
  type: string;
  value: string;
}

export interface Gateway {
  kind: 'Gateway';
  metadata: ObjectMeta;
  spec: {
    gatewayClassName: string;
    listeners: Listener[];
    addresses: GatewayAddress[];
    infrastructure?: { parametersRef?: { group: string; kind: string; name: string } };
  };
}

export interface ParentReference {
  /** Defaults to gateway.networking.k8s.io. */
  group: string;
  /** Defaults to 'Gateway'. */
  kind: string;
  /** Absent: the route's namespace. */
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HeaderModifier {
  set: HTTPHeader[];
  add: HTTPHeader[];
  remove: string[];
}

export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch' | string;
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  /** RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef, or an unknown value (UnsupportedValue). */
  type: string;
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: {
    scheme?: 'http' | 'https';
    hostname?: string;
    path?: PathModifier;
    port?: number;
    /** Defaults to 302. */
    statusCode: number;
  };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: { backendRef: BackendObjectReference; percent?: number; fraction?: { numerator: number; denominator: number } };
  cors?: {
    allowOrigins: string[];
    allowCredentials?: boolean;
    allowMethods: string[];
    allowHeaders: string[];
    exposeHeaders: string[];
    maxAge?: number;
  };
  extensionRef?: { group: string; kind: string; name: string };
}

export interface BackendObjectReference {
  /** Defaults to '' (core). */
  group: string;
  /** Defaults to 'Service'. */
  kind: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface HTTPBackendRef extends BackendObjectReference {
  /** Defaults to 1; 0 to 1,000,000. */
  weight: number;
  filters: HTTPRouteFilter[];
}

export interface HTTPPathMatch {
  /** Defaults to 'PathPrefix'. */
  type: 'Exact' | 'PathPrefix' | 'RegularExpression' | string;
  /** Defaults to '/'. */
  value: string;
}

export interface HTTPHeaderMatch {
  /** Defaults to 'Exact'. */
  type: 'Exact' | 'RegularExpression' | string;
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  /** Always present after decode (the API's default is PathPrefix `/`). */
  path: HTTPPathMatch;
  headers: HTTPHeaderMatch[];
  queryParams: HTTPHeaderMatch[];
  method?: string;
}

export interface HTTPRouteRule {
  name?: string;
  /** Never empty after decode: no matches means one match of PathPrefix `/`. */
  matches: HTTPRouteMatch[];
  filters: HTTPRouteFilter[];
  backendRefs: HTTPBackendRef[];
  /** Gateway API durations as written (`500ms`, `1s`, `0s`). */
  timeouts?: { request?: string; backendRequest?: string };
}

export interface HTTPRoute {
  kind: 'HTTPRoute';
  metadata: ObjectMeta;
  spec: {
    parentRefs: ParentReference[];
    /** Lowercase; may hold `*.` wildcards. */
    hostnames: string[];
    rules: HTTPRouteRule[];
  };
}

export interface GRPCMethodMatch {
  /** Defaults to 'Exact'. */
  type: 'Exact' | 'RegularExpression' | string;
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers: HTTPHeaderMatch[];
}

export interface GRPCRouteRule {
  name?: string;
  /** May be empty: matches every request. */
  matches: GRPCRouteMatch[];
  filters: HTTPRouteFilter[];
  backendRefs: HTTPBackendRef[];
}

export interface GRPCRoute {
  kind: 'GRPCRoute';
  metadata: ObjectMeta;
  spec: {
    parentRefs: ParentReference[];
    hostnames: string[];
    rules: GRPCRouteRule[];
  };
}

export interface ReferenceGrant {
  kind: 'ReferenceGrant';
  metadata: ObjectMeta;
  spec: {
    from: { group: string; kind: string; namespace: string }[];
    to: { group: string; kind: string; name?: string }[];
  };
}

export type GatewayObject = Namespace | GatewayClass | Gateway | HTTPRoute | GRPCRoute | ReferenceGrant;
