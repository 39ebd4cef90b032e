// The output of the Gateway API attachment stage: what Portero serves (for
// the routing engineer, who builds host levels from it) and the status it
// writes (for status/ and `portero check`). Pure data, computed by
// `attachGateways` (index.ts) from the typed objects; nothing here is read
// from the cluster or the clock.
//
// Reading guide for the router:
//
//   attachment.listeners            every listener Portero serves (Accepted and
//                                   Programmed), grouped by nothing: each names its
//                                   Gateway, bind addresses, port and protocol.
//     .certificates                 the Secrets that passed (HTTPS), to serve by SNI
//     .routes[]                     the routes attached to it, oldest first, each
//       .hostnames                  the intersection of listener and route
//                                   hostnames ('any': neither side names one)
//       .route.rules[]              the rules to serve, with resolved backends
//
// A route attached to two listeners appears under both, with the same
// ServedRoute object. Everything not listed is not served: a listener that is
// not programmed, a route that is not accepted, a rule whose matches cannot be
// built.

import type { CertificateInfo } from '../../tls/inspect.js';
import type { Diagnostic } from '../diagnostics.js';
import type {
  Condition,
  GatewayClass,
  Gateway,
  GRPCRoute,
  GRPCRouteRule,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteRule,
  ParentReference,
} from '../../objects/gateway-types.js';
import type { Service, ServicePort } from '../../objects/types.js';
import type { BackendProtocol } from './app-protocol.js';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute';
export type AnyRoute = HTTPRoute | GRPCRoute;

/** The kinds this stage reports on. */
export type GatewayKind = 'GatewayClass' | 'Gateway' | RouteKind;

/**
 * An object reference for diagnostics. Structurally an `ObjectRef` (whose
 * `kind` is still narrowed to the Ingress kinds in objects/types.ts), so
 * `formatDiagnostic` and `describeRef` print it as they print any other.
 */
export interface GatewayObjectRef {
  kind: GatewayKind;
  /** Empty for GatewayClasses (cluster-scoped). */
  namespace: string;
  name: string;
}

/** A Diagnostic (translate/diagnostics.ts) about a Gateway API object. */
export type GatewayDiagnostic = Omit<Diagnostic, 'object'> & { object: GatewayObjectRef };

// ---------------------------------------------------------------------------
// Status, as Portero writes it. Conditions carry no lastTransitionTime: the
// status writer sets it (keeping the old one when type, status and reason are
// unchanged), so that this stage stays a pure function of the objects.

/** `{ group, kind }` as in `status.listeners[].supportedKinds`. */
export interface RouteGroupKind {
  group: string;
  kind: string;
}

export interface GatewayClassStatus {
  /** Accepted, SupportedVersion. */
  conditions: Condition[];
  /** Sorted by name, at most 64 (the API's limit). */
  supportedFeatures: { name: string }[];
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  /** Routes accepted on this listener (counted even when the listener itself is not accepted or not programmed). */
  attachedRoutes: number;
  /** Accepted, Programmed, ResolvedRefs, Conflicted, and OverlappingTLSConfig when it is True. */
  conditions: Condition[];
}

export interface GatewayStatusAddress {
  /** `IPAddress` or `Hostname`. */
  type: string;
  value: string;
}

export interface GatewayStatus {
  addresses: GatewayStatusAddress[];
  /** Accepted, Programmed. */
  conditions: Condition[];
  /** One entry per listener of the spec, in spec order. */
  listeners: ListenerStatus[];
}

/** One entry of `status.parents`, for a parentRef that names one of our Gateways. */
export interface RouteParentStatus {
  /** The parentRef as written in the spec (after decode's defaults), so the writer can find the entry to replace. */
  parentRef: ParentReference;
  controllerName: string;
  /** Accepted, ResolvedRefs, and PartiallyInvalid when it is True. */
  conditions: Condition[];
}

/**
 * Only the entries for our parents: the writer merges them into
 * `status.parents`, keeping entries other controllers wrote, and removes
 * entries with our controllerName that are no longer listed here.
 */
export interface RouteStatus {
  parents: RouteParentStatus[];
}

// ---------------------------------------------------------------------------
// What Portero serves.

export type BackendRefReason = 'InvalidKind' | 'BackendNotFound' | 'RefNotPermitted' | 'UnsupportedProtocol';

/**
 * One `backendRefs[]` entry of a rule, resolved. The router sends `weight`
 * shares to each entry; a share whose entry is not `ok` answers 500 (the
 * Gateway API's rule for invalid references; a Service that exists but has no
 * ready endpoints is `ok` here and answers 503 downstream).
 */
export type BackendResolution = ResolvedBackend | InvalidBackend;

export interface ResolvedBackend {
  ok: true;
  /** The entry as written. */
  ref: HTTPBackendRef;
  /** 0 to 1,000,000; 0 sends no traffic. */
  weight: number;
  namespace: string;
  name: string;
  /** The Service and its port (TCP, found by `ref.port`): what `BackendSpec` (translate/backends.ts) is made of. */
  service: Service;
  servicePort: ServicePort;
  /** Filters applied only when this backend is chosen (all of supported types; see rules.ts). */
  filters: HTTPRouteFilter[];
  /** How the endpoints are spoken to (app-protocol.ts). */
  protocol: BackendProtocol;
}

export interface InvalidBackend {
  ok: false;
  ref: HTTPBackendRef;
  weight: number;
  reason: BackendRefReason;
  message: string;
}

/** A rule the router serves. */
export interface ServedRule<R> {
  /** Index in `spec.rules`, for names, diagnostics and the spec's "first rule wins" tie-break. */
  index: number;
  /** The rule as written (matches, filters, timeouts). */
  rule: R;
  /** One per `rule.backendRefs[]`, same order. Empty: no backendRefs, which answers 500 unless a filter (a redirect) answers. */
  backends: BackendResolution[];
  /**
   * Set when Portero cannot apply the rule as written but its matches are
   * valid (an unsupported filter, an ExtensionRef it cannot resolve): every
   * request the rule selects answers 500. Such a rule must never be skipped,
   * or requests would reach a less specific rule without its filter
   * (the spec's words for ExtensionRef; the route is PartiallyInvalid).
   */
  fail?: { reason: string; message: string };
  /**
   * The backendRefs of the rule's RequestMirror filters, resolved as
   * backendRefs are (grants, kind, port), by index in `rule.filters`; an
   * invalid one sends no copy (ResolvedRefs says why).
   */
  mirrors?: ReadonlyMap<number, BackendResolution>;
}

export type ServedRoute = ServedHTTPRoute | ServedGRPCRoute;

export interface ServedHTTPRoute {
  kind: 'HTTPRoute';
  route: HTTPRoute;
  /** Rules in spec order; a rule whose matches cannot be built is left out (see RouteResult.droppedRules). */
  rules: ServedRule<HTTPRouteRule>[];
}

export interface ServedGRPCRoute {
  kind: 'GRPCRoute';
  route: GRPCRoute;
  rules: ServedRule<GRPCRouteRule>[];
}

/**
 * The hostnames a route serves on one listener: the intersection of the
 * listener's hostname with each of the route's (see hostnames.ts), without
 * duplicates, in the route's order. `'any'`: neither the listener nor the
 * route names a hostname, so every Host the listener receives.
 */
export type EffectiveHostnames = 'any' | readonly string[];

export interface RouteAttachment {
  route: ServedRoute;
  hostnames: EffectiveHostnames;
  /** Indexes of the route's `spec.parentRefs` that attached it to this listener. */
  parentRefs: number[];
}

export interface ResolvedCertificate {
  /** `namespace_name`, the same id translate/tls.ts gives the Secret (one file even when an Ingress uses it too). */
  id: string;
  namespace: string;
  name: string;
  /** Re-encoded chain and key (tls/inspect.ts), and the leaf for SAN checks. */
  info: CertificateInfo;
}

export interface GatewayRef {
  namespace: string;
  name: string;
}

/** A listener Portero serves: its Gateway and the listener are Accepted, and the listener is Programmed. */
export interface ServedListener {
  gateway: GatewayRef;
  name: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** Lowercase, exact or `*.` wildcard; absent: every hostname. */
  hostname?: string;
  /**
   * IP addresses to bind (from the Gateway's `spec.addresses`); empty: the
   * shared `--bind-address`. Listeners with equal addresses and port share a
   * frontend; the router picks the listener by Host (exact, then the longest
   * wildcard, then none).
   */
  addresses: readonly string[];
  /** HTTPS: the certificates that resolved, in certificateRefs order (at least one). Empty for HTTP. */
  certificates: ResolvedCertificate[];
  /** Accepted routes, oldest first (creationTimestamp, then namespace/name, then kind): the spec's tie-break order. */
  routes: RouteAttachment[];
}

export interface GatewayClassResult {
  gatewayClass: GatewayClass;
  accepted: boolean;
  status: GatewayClassStatus;
}

export interface GatewayResult {
  gateway: Gateway;
  /** `Accepted` is True: the Gateway is served (those of its listeners that are programmed). */
  accepted: boolean;
  status: GatewayStatus;
  /** An IPAddress without value whose published addresses translate did not know: see addresses.ts withAssignedAddresses. */
  assignsPublished?: true;
}

export interface DroppedRule {
  index: number;
  reason: string;
  message: string;
}

export interface RouteResult {
  kind: RouteKind;
  route: AnyRoute;
  /** Accepted by at least one of our parents. */
  accepted: boolean;
  status: RouteStatus;
  /** The route as served (also present when not accepted, for `portero check`). */
  served: ServedRoute;
  /** Rules left out because their matches cannot be built (the route is PartiallyInvalid, or not accepted when every rule is invalid). */
  droppedRules: DroppedRule[];
}

export interface GatewayAttachment {
  /** Our GatewayClasses (spec.controllerName is ours), sorted by name. */
  gatewayClasses: GatewayClassResult[];
  /** Gateways of our GatewayClasses, sorted by namespace/name. */
  gateways: GatewayResult[];
  /** Routes with at least one parentRef to one of our Gateways, sorted by kind, namespace/name. */
  routes: RouteResult[];
  /** What Portero serves: see the reading guide at the top of this file. Sorted by Gateway namespace/name, then spec order. */
  listeners: ServedListener[];
  diagnostics: GatewayDiagnostic[];
}
