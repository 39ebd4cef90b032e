// The world of the Gateway API invariant test: one GatewayClass, a Gateway
// `gw` on the shared bind (an HTTP listener on 80, and at times a second one
// restricted to `*.w.test`), at times a Gateway `own` with an address of its
// own (its own scope), Services drawn from a small pool, and HTTPRoutes whose
// hostnames, paths, conditions, weights and filters come from small pools so
// that random changes collide (same hosts, same paths, a wildcard over an
// exact host, conditions on the same keys). Every object carries an explicit
// creationTimestamp that grows with creation: "the oldest route wins" never
// depends on when Portero first saw a file.

import { timestamp } from '../invariant/world.js';
import { GATEWAY_V1 } from '../gateway-api-manifests.js';
import type { Json } from '../objects.js';

export const GATEWAY_CONTROLLER = 'portero.dev/gateway-controller';
/** The address of the Gateway `own`: loopback, so always usable, and far from the backends' 127.0.10+.x. */
export const OWN_ADDRESS = '127.0.0.231';
/** Route hostnames ('' in a list means none: the route takes its listeners' hostnames). */
export const ROUTE_HOSTS = ['a.test', 'b.test', 'x.w.test', '*.w.test'] as const;
export const WILD_LISTENER_HOST = '*.w.test';
/** `nope` never exists: a backendRef to it is invalid (500 for its share). */
export const SERVICE_NAMES = ['s0', 's1', 's2', 's3'] as const;
export const MISSING_SERVICE = 'nope';
export const HEADER = 'x-v';
export const QUERY = 'q';

export type PathType = 'Exact' | 'PathPrefix' | 'RegularExpression';
export const PATHS: readonly (readonly [PathType, string])[] = [
  ['Exact', '/a'],
  ['Exact', '/a/b'],
  ['PathPrefix', '/'],
  ['PathPrefix', '/a'],
  ['PathPrefix', '/a/'],
  ['PathPrefix', '/b'],
  ['PathPrefix', '/u'],
  ['PathPrefix', '/r'],
  ['RegularExpression', '/a/[0-9]+'],
  ['RegularExpression', '/b.*'],
  ['RegularExpression', '/(u|r)/x'],
];

export interface MatchDef {
  path?: readonly [PathType, string];
  header?: string;
  query?: string;
  method?: 'POST';
}

export interface BackendRefDef {
  service: string;
  /** Absent: the API's default, 1. */
  weight?: 0 | 1 | 3;
}

export type FilterDef =
  | { type: 'header'; value: string }
  | { type: 'redirect'; hostname: string; code: 301 | 302 }
  | { type: 'rewrite'; path: { kind: 'full' | 'prefix'; value: string }; hostname?: string };

export interface RuleDef {
  matches: MatchDef[];
  backends: BackendRefDef[];
  filter?: FilterDef;
}

export interface RouteDef {
  name: string;
  created: number;
  /** The Gateway, and the listener (sectionName) when one is named. */
  parent: 'gw' | 'gw/http' | 'gw/wild' | 'own';
  hostnames: string[];
  rules: RuleDef[];
}

/**
 * An Ingress next to the Gateways: on an exact host a route may also name
 * (the Ingress wins that host), a wildcard a Gateway may also have, or no
 * host (its rules then compete with the Gateway's host-less level and take
 * the catch-all).
 */
export interface IngressDef {
  host: 'b.test' | '*.w.test' | '';
  service: string;
  created: number;
}

export interface World {
  ingress?: IngressDef;
  /** Services that exist → indices of the test servers that are their endpoints (may be empty). */
  services: Map<string, number[]>;
  routes: Map<string, RouteDef>;
  wildListener: boolean;
  ownGateway: boolean;
  /** The next creationTimestamp index. */
  created: number;
}

export interface Environment {
  endpoint(server: number): { address: string; port: number };
}

export function cloneWorld(world: World): World {
  return {
    services: new Map([...world.services].map(([name, servers]) => [name, [...servers]])),
    routes: new Map([...world.routes].map(([name, route]) => [name, structuredClone(route)])),
    wildListener: world.wildListener,
    ownGateway: world.ownGateway,
    created: world.created,
    ...(world.ingress ? { ingress: { ...world.ingress } } : {}),
  };
}

const meta = (name: string, created: number, namespace: string | undefined = 'default') => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: timestamp(created) });

function gatewayObjects(world: World): Json[] {
  const listeners: Json[] = [{ name: 'http', port: 80, protocol: 'HTTP' }];
  if (world.wildListener) listeners.push({ name: 'wild', port: 80, protocol: 'HTTP', hostname: WILD_LISTENER_HOST });
  const objects: Json[] = [
    { apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: meta('portero', 0, undefined), spec: { controllerName: GATEWAY_CONTROLLER } },
    { apiVersion: GATEWAY_V1, kind: 'Gateway', metadata: meta('gw', 1), spec: { gatewayClassName: 'portero', listeners } },
  ];
  if (world.ownGateway) {
    objects.push({
      apiVersion: GATEWAY_V1,
      kind: 'Gateway',
      metadata: meta('own', 2),
      spec: { gatewayClassName: 'portero', addresses: [{ type: 'IPAddress', value: OWN_ADDRESS }], listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
  }
  return objects;
}

function serviceObjects(name: string, servers: readonly number[], env: Environment): Json[] {
  const endpoints = servers.map((server) => env.endpoint(server));
  // One slice per endpoint port (every test server listens on a port of its own).
  const slices = endpoints.map((endpoint, index) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...meta(`${name}-${index}`, 3), labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpoint.address], conditions: { ready: true } }],
    ports: [{ name: 'http', port: endpoint.port, protocol: 'TCP' }],
  }));
  return [{ apiVersion: 'v1', kind: 'Service', metadata: meta(name, 3), spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }, ...slices];
}

function matchJson(match: MatchDef): Json {
  return {
    ...(match.path ? { path: { type: match.path[0], value: match.path[1] } } : {}),
    ...(match.header !== undefined ? { headers: [{ name: HEADER, value: match.header }] } : {}),
    ...(match.query !== undefined ? { queryParams: [{ name: QUERY, value: match.query }] } : {}),
    ...(match.method ? { method: match.method } : {}),
  };
}

function filterJson(filter: FilterDef): Json {
  if (filter.type === 'header') return { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Gw-Set', value: filter.value }] } };
  if (filter.type === 'redirect') return { type: 'RequestRedirect', requestRedirect: { hostname: filter.hostname, statusCode: filter.code } };
  const path = filter.path.kind === 'full' ? { type: 'ReplaceFullPath', replaceFullPath: filter.path.value } : { type: 'ReplacePrefixMatch', replacePrefixMatch: filter.path.value };
  return { type: 'URLRewrite', urlRewrite: { path, ...(filter.hostname ? { hostname: filter.hostname } : {}) } };
}

function routeObject(route: RouteDef): Json {
  const [gateway, section] = route.parent.split('/');
  return {
    apiVersion: GATEWAY_V1,
    kind: 'HTTPRoute',
    metadata: meta(route.name, route.created),
    spec: {
      parentRefs: [{ name: gateway, ...(section ? { sectionName: section } : {}) }],
      ...(route.hostnames.length > 0 ? { hostnames: route.hostnames } : {}),
      rules: route.rules.map((rule) => ({
        ...(rule.matches.length > 0 ? { matches: rule.matches.map(matchJson) } : {}),
        ...(rule.filter ? { filters: [filterJson(rule.filter)] } : {}),
        ...(rule.backends.length > 0 ? { backendRefs: rule.backends.map((ref) => ({ name: ref.service, port: 80, ...(ref.weight !== undefined ? { weight: ref.weight } : {}) })) } : {}),
      })),
    },
  };
}

/** File name → objects: one file for the Gateways, one per Service (with its slices), one per route. */
export function renderWorld(world: World, env: Environment): Map<string, Json[]> {
  const files = new Map<string, Json[]>([['gateway.yaml', gatewayObjects(world)]]);
  for (const [name, servers] of world.services) files.set(`svc-${name}.yaml`, serviceObjects(name, servers, env));
  for (const route of world.routes.values()) files.set(`route-${route.name}.yaml`, [routeObject(route)]);
  if (world.ingress) {
    const { host, service, created } = world.ingress;
    files.set('ingress.yaml', [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta('ing', created),
        spec: { ingressClassName: 'portero', rules: [{ ...(host ? { host } : {}), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }] },
      },
    ]);
  }
  return files;
}

function describeRule(rule: RuleDef): string {
  const matches = rule.matches.map((m) => [m.path ? `${m.path[0]}:${m.path[1]}` : '', m.header !== undefined ? `${HEADER}=${m.header}` : '', m.query !== undefined ? `?${QUERY}=${m.query}` : '', m.method ?? ''].filter(Boolean).join('&') || '(any)');
  const refs = rule.backends.map((ref) => `${ref.service}${ref.weight !== undefined ? `×${ref.weight}` : ''}`).join(',') || '(no backends)';
  const filter = rule.filter ? ` [${rule.filter.type === 'header' ? `set X-Gw-Set=${rule.filter.value}` : rule.filter.type === 'redirect' ? `redirect ${rule.filter.code} ${rule.filter.hostname}` : `rewrite ${rule.filter.path.kind} ${rule.filter.path.value}${rule.filter.hostname ? ` host ${rule.filter.hostname}` : ''}`}]` : '';
  return `${matches.length > 0 ? `[${matches}]` : ''} → ${refs}${filter}`;
}

export function describeRoute(route: RouteDef): string {
  return `${route.name}(${route.parent}; ${route.hostnames.join(',') || 'no hostnames'}; ${route.rules.map(describeRule).join(' | ')})`;
}

export function describeWorld(world: World): string[] {
  return [
    `gateways: gw${world.wildListener ? ' (+ listener wild on *.w.test)' : ''}${world.ownGateway ? `, own on ${OWN_ADDRESS}` : ''}`,
    ...(world.ingress ? [`ingress ing: ${world.ingress.host || '(no host)'} / → ${world.ingress.service}`] : []),
    `services: ${[...world.services].map(([name, servers]) => `${name}→[${servers.map((s) => `srv${s}`).join(',')}]`).join(' ') || 'none'}`,
    ...[...world.routes.values()].map(describeRoute),
  ];
}
