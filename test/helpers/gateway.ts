// Builders for typed Gateway API objects, with the API's defaults filled in
// as decode fills them (objects/gateway-types.ts), and the conformance
// suite's base setup (conformance/base/manifests.yaml of Gateway API v1.6):
// its namespaces, Gateways and Services.

import {
  GATEWAY_GROUP,
  type Condition,
  type GRPCRoute,
  type GRPCRouteRule,
  type Gateway,
  type GatewayClass,
  type HTTPBackendRef,
  type HTTPRoute,
  type HTTPRouteRule,
  type Listener,
  type Namespace,
  type ParentReference,
  type ReferenceGrant,
} from '../../src/objects/gateway-types.js';
import type { ObjectMeta, Secret, Service } from '../../src/objects/types.js';
import type { GatewayInput } from '../../src/translate/gateway/index.js';

export const CLASS = 'portero';
export const INFRA = 'gateway-conformance-infra';
export const APP = 'gateway-conformance-app-backend';
export const WEB = 'gateway-conformance-web-backend';

export function meta(namespace: string, name: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return { namespace, name, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', labels: {}, annotations: {}, ...extra };
}

export function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return { kind: 'Namespace', metadata: meta('', name, { labels: { 'kubernetes.io/metadata.name': name, ...labels } }) };
}

export function gatewayClass(name = CLASS, controllerName = 'portero.dev/gateway-controller', extra: Partial<GatewayClass['spec']> = {}, generation = 1): GatewayClass {
  return { kind: 'GatewayClass', metadata: meta('', name, { generation }), spec: { controllerName, ...extra } };
}

export interface ListenerSpec {
  name: string;
  port?: number;
  protocol?: string;
  hostname?: string;
  from?: 'All' | 'Same' | 'Selector' | 'None';
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[] };
  kinds?: { group?: string; kind: string }[];
  certificateRefs?: { group?: string; kind?: string; name: string; namespace?: string }[];
  mode?: 'Terminate' | 'Passthrough';
}

export function listener(spec: ListenerSpec): Listener {
  const protocol = spec.protocol ?? 'HTTP';
  const out: Listener = {
    name: spec.name,
    port: spec.port ?? (protocol === 'HTTPS' ? 443 : 80),
    protocol,
    allowedRoutes: {
      namespaces: {
        from: spec.from ?? 'Same',
        ...(spec.selector ? { selector: { matchLabels: spec.selector.matchLabels ?? {}, matchExpressions: (spec.selector.matchExpressions ?? []).map((e) => ({ ...e, values: e.values ?? [] })) } } : {}),
      },
      kinds: (spec.kinds ?? []).map((kind) => ({ group: kind.group ?? GATEWAY_GROUP, kind: kind.kind })),
    },
  };
  if (spec.hostname !== undefined) out.hostname = spec.hostname;
  if (spec.certificateRefs) {
    out.tls = {
      mode: spec.mode ?? 'Terminate',
      certificateRefs: spec.certificateRefs.map((ref) => ({ group: ref.group ?? '', kind: ref.kind ?? 'Secret', name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) })),
    };
  }
  return out;
}

export interface GatewaySpec {
  namespace?: string;
  name: string;
  className?: string;
  listeners: ListenerSpec[];
  addresses?: { type?: string; value: string }[];
  parametersRef?: { group: string; kind: string; name: string };
  generation?: number;
}

export function gateway(spec: GatewaySpec): Gateway {
  return {
    kind: 'Gateway',
    metadata: meta(spec.namespace ?? INFRA, spec.name, { generation: spec.generation ?? 1 }),
    spec: {
      gatewayClassName: spec.className ?? CLASS,
      listeners: spec.listeners.map(listener),
      addresses: (spec.addresses ?? []).map((address) => ({ type: address.type ?? 'IPAddress', value: address.value })),
      ...(spec.parametersRef ? { infrastructure: { parametersRef: spec.parametersRef } } : {}),
    },
  };
}

export function parentRef(name: string, extra: Partial<ParentReference> = {}): ParentReference {
  return { group: GATEWAY_GROUP, kind: 'Gateway', name, ...extra };
}

/** `port: null`: a backendRef without port. */
export function backendRef(name: string, port: number | null = 8080, extra: Partial<HTTPBackendRef> = {}): HTTPBackendRef {
  return { group: '', kind: 'Service', name, ...(port === null ? {} : { port }), weight: 1, filters: [], ...extra };
}

export function rule(extra: Partial<HTTPRouteRule> = {}): HTTPRouteRule {
  return { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }], filters: [], backendRefs: [], ...extra };
}

export function prefix(path: string): HTTPRouteRule['matches'][number] {
  return { path: { type: 'PathPrefix', value: path }, headers: [], queryParams: [] };
}

export interface RouteSpec {
  namespace?: string;
  name: string;
  parentRefs: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
  generation?: number;
  creationTimestamp?: string;
}

export function httpRoute(spec: RouteSpec): HTTPRoute {
  return {
    kind: 'HTTPRoute',
    metadata: meta(spec.namespace ?? INFRA, spec.name, { generation: spec.generation ?? 1, ...(spec.creationTimestamp ? { creationTimestamp: spec.creationTimestamp } : {}) }),
    spec: { parentRefs: spec.parentRefs, hostnames: spec.hostnames ?? [], rules: spec.rules ?? [rule({ backendRefs: [backendRef('infra-backend-v1')] })] },
  };
}

export function grpcRoute(spec: Omit<RouteSpec, 'rules'> & { rules?: GRPCRouteRule[] }): GRPCRoute {
  return {
    kind: 'GRPCRoute',
    metadata: meta(spec.namespace ?? INFRA, spec.name, { generation: spec.generation ?? 1, ...(spec.creationTimestamp ? { creationTimestamp: spec.creationTimestamp } : {}) }),
    spec: { parentRefs: spec.parentRefs, hostnames: spec.hostnames ?? [], rules: spec.rules ?? [{ matches: [], filters: [], backendRefs: [backendRef('grpc-infra-backend-v1')] }] },
  };
}

export function referenceGrant(namespace: string, name: string, from: ReferenceGrant['spec']['from'], to: ReferenceGrant['spec']['to']): ReferenceGrant {
  return { kind: 'ReferenceGrant', metadata: meta(namespace, name), spec: { from, to } };
}

export function service(namespace: string, name: string, ports: number[] = [8080], extra: Partial<Service['spec']> = {}): Service {
  return {
    kind: 'Service',
    metadata: meta(namespace, name),
    spec: { type: 'ClusterIP', ports: ports.map((port) => ({ name: `p${port}`, port, protocol: 'TCP' })), ...extra },
  };
}

export function tlsSecret(namespace: string, name: string, crt: string, key: string): Secret {
  return { kind: 'Secret', metadata: meta(namespace, name), type: 'kubernetes.io/tls', tls: { crt, key } };
}

/** The namespaces, Gateways and Services of the conformance suite's base manifests. */
export function conformanceBase(certificate: { crt: string; key: string }): GatewayInput {
  return {
    gatewayClasses: [gatewayClass()],
    namespaces: [namespace(INFRA, { 'gateway-conformance': 'infra' }), namespace(APP, { 'gateway-conformance': 'backend' }), namespace(WEB, { 'gateway-conformance': 'backend' })],
    gateways: [
      gateway({ name: 'same-namespace', listeners: [{ name: 'http', from: 'Same' }] }),
      gateway({ name: 'all-namespaces', listeners: [{ name: 'http', from: 'All' }] }),
      gateway({ name: 'backend-namespaces', listeners: [{ name: 'http', from: 'Selector', selector: { matchLabels: { 'gateway-conformance': 'backend' } } }] }),
      gateway({
        name: 'same-namespace-with-https-listener',
        listeners: [
          { name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'tls-validity-checks-certificate' }] },
          { name: 'https-with-hostname', protocol: 'HTTPS', hostname: 'second-example.org', certificateRefs: [{ name: 'tls-validity-checks-certificate' }] },
        ],
      }),
    ],
    httpRoutes: [],
    grpcRoutes: [],
    referenceGrants: [],
    services: [
      service(INFRA, 'infra-backend-v1', [8080, 8081, 8082]),
      service(INFRA, 'infra-backend-v2'),
      service(INFRA, 'infra-backend-v3'),
      service(INFRA, 'grpc-infra-backend-v1'),
      service(APP, 'app-backend-v1'),
      service(APP, 'app-backend-v2'),
      service(WEB, 'web-backend'),
    ],
    secrets: [tlsSecret(INFRA, 'tls-validity-checks-certificate', certificate.crt, certificate.key)],
  };
}

/** The condition of a type, or a failure naming the types present. */
export function conditionOf(conditions: readonly Condition[], type: string): Condition {
  const found = conditions.find((entry) => entry.type === type);
  if (!found) throw new Error(`no ${type} condition in ${JSON.stringify(conditions.map((entry) => entry.type))}`);
  return found;
}

/** `status/reason` of a condition, the form the tables compare. */
export function statusReason(conditions: readonly Condition[], type: string): string {
  const found = conditionOf(conditions, type);
  return `${found.status}/${found.reason}`;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
