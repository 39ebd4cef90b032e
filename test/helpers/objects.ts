// Builders for the Kubernetes objects tests write: plain JSON as a user would
// put it in a manifest file, so tests exercise the same decoding as users.

import { stringify } from 'yaml';

export type Json = Record<string, unknown>;

export interface PathSpec {
  path?: string;
  pathType?: string;
  service: string;
  port?: number | string;
}

export interface RuleSpec {
  host?: string;
  paths?: PathSpec[];
}

export interface IngressSpec {
  name: string;
  namespace?: string;
  className?: string | null;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  rules?: RuleSpec[];
  defaultBackend?: { service: string; port?: number | string };
  tls?: { hosts?: string[]; secretName?: string }[];
}

function backend(service: string, port: number | string = 80): Json {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function ingress(spec: IngressSpec): Json {
  const body: Json = {};
  if (spec.className !== null) body.ingressClassName = spec.className ?? 'portero';
  if (spec.defaultBackend) body.defaultBackend = backend(spec.defaultBackend.service, spec.defaultBackend.port);
  if (spec.rules) {
    body.rules = spec.rules.map((rule) => ({
      ...(rule.host !== undefined ? { host: rule.host } : {}),
      ...(rule.paths
        ? {
            http: {
              paths: rule.paths.map((path) => ({
                path: path.path ?? '/',
                pathType: path.pathType ?? 'Prefix',
                backend: backend(path.service, path.port),
              })),
            },
          }
        : {}),
    }));
  }
  if (spec.tls) body.tls = spec.tls;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: spec.name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      ...(spec.creationTimestamp ? { creationTimestamp: spec.creationTimestamp } : {}),
    },
    spec: body,
  };
}

export interface BackendSpec {
  name: string;
  namespace?: string;
  /** Endpoint address (loopback) and port of the real server. */
  endpoints: { address: string; port: number; ready?: boolean }[];
  servicePort?: number;
  portName?: string;
  /** The Service port's appProtocol (Gateway API backend protocol). */
  appProtocol?: string;
}

/** A Service and its EndpointSlice, pointing at real servers on loopback. */
export function serviceWithEndpoints(spec: BackendSpec): Json[] {
  const namespace = spec.namespace ? { namespace: spec.namespace } : {};
  const portName = spec.portName ?? 'http';
  const ports = new Set(spec.endpoints.map((endpoint) => endpoint.port));
  const slices: Json[] = [...ports].map((port, index) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${spec.name}-${index}`, ...namespace, labels: { 'kubernetes.io/service-name': spec.name } },
    addressType: 'IPv4',
    endpoints: spec.endpoints
      .filter((endpoint) => endpoint.port === port)
      .map((endpoint) => ({ addresses: [endpoint.address], conditions: { ready: endpoint.ready ?? true } })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  }));
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: spec.name, ...namespace },
      spec: { ports: [{ name: portName, port: spec.servicePort ?? 80, targetPort: portName, ...(spec.appProtocol ? { appProtocol: spec.appProtocol } : {}) }] },
    },
    ...slices,
  ];
}

export function tlsSecret(name: string, cert: string, key: string, namespace?: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}

/** A ConfigMap with string data (`--configmap`'s, or one an annotation names). */
export function configMap(name: string, data: Record<string, string>, namespace = 'default'): Json {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data };
}

export function ingressClass(name: string, controller: string, isDefault = false): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller },
  };
}

/** Multi-document YAML, as a user would write it. */
export function toYaml(objects: readonly Json[]): string {
  return objects.map((object) => stringify(object)).join('---\n');
}

/** The Service `app` on `endpoints`, and an Ingress (`name`) sending every path of `host` to it. */
export function appOn(host: string, endpoints: BackendSpec['endpoints'], name = 'app'): Json[] {
  return [...serviceWithEndpoints({ name: 'app', endpoints }), ingress({ name, rules: [{ host, paths: [{ service: 'app' }] }] })];
}
