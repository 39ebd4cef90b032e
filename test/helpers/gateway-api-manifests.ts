// Builders for Gateway API objects as users write them (plain JSON, no
// defaults filled in), for tests that feed them to Portero through files or
// the API test server.

import type { Json } from './objects.js';

export const GATEWAY_V1 = 'gateway.networking.k8s.io/v1';
export const GATEWAY_V1BETA1 = 'gateway.networking.k8s.io/v1beta1';

function meta(name: string, namespace?: string): Json {
  return { name, ...(namespace ? { namespace } : {}) };
}

export function gatewayClass(name: string, controllerName = 'portero.dev/gateway-controller'): Json {
  return { apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

export function gateway(name: string, options: { namespace?: string; className?: string; listeners?: Json[]; addresses?: Json[] } = {}): Json {
  return {
    apiVersion: GATEWAY_V1,
    kind: 'Gateway',
    metadata: meta(name, options.namespace),
    spec: {
      gatewayClassName: options.className ?? 'portero',
      listeners: options.listeners ?? [{ name: 'http', port: 80, protocol: 'HTTP' }],
      ...(options.addresses ? { addresses: options.addresses } : {}),
    },
  };
}

/** An HTTPRoute attached to `parent`, sending `path` (PathPrefix) to `service`:`port`. */
export function httpRoute(name: string, options: { namespace?: string; parent?: string; hostnames?: string[]; path?: string; service?: string; port?: number; apiVersion?: string } = {}): Json {
  return {
    apiVersion: options.apiVersion ?? GATEWAY_V1,
    kind: 'HTTPRoute',
    metadata: meta(name, options.namespace),
    spec: {
      parentRefs: [{ name: options.parent ?? 'gw' }],
      ...(options.hostnames ? { hostnames: options.hostnames } : {}),
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: options.path ?? '/' } }], backendRefs: [{ name: options.service ?? 'app', port: options.port ?? 80 }] }],
    },
  };
}

export function grpcRoute(name: string, options: { namespace?: string; parent?: string; service?: string; port?: number } = {}): Json {
  return {
    apiVersion: GATEWAY_V1,
    kind: 'GRPCRoute',
    metadata: meta(name, options.namespace),
    spec: { parentRefs: [{ name: options.parent ?? 'gw' }], rules: [{ matches: [{ method: { service: 'echo.Echo', method: 'Say' } }], backendRefs: [{ name: options.service ?? 'app', port: options.port ?? 9000 }] }] },
  };
}

/** A ReferenceGrant in `namespace` letting HTTPRoutes of `from` reach its Services. */
export function referenceGrant(name: string, namespace: string, from: string, apiVersion = GATEWAY_V1): Json {
  return {
    apiVersion,
    kind: 'ReferenceGrant',
    metadata: meta(name, namespace),
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: from }], to: [{ group: '', kind: 'Service' }] },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): Json {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}
