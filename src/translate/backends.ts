// Resolves an Ingress backend to a Service port and its ready endpoints.
//
// The Ingress names a Service port by number or by name; the Service port's
// name then selects the port of the same name in each EndpointSlice labelled
// `kubernetes.io/service-name`. Traffic goes to those pod addresses directly,
// never through the ClusterIP. Only endpoints whose `ready` condition is not
// false are used, as Kubernetes prescribes for consumers of EndpointSlices.

import { isIP } from 'node:net';
import { backendId, type Backend, type Endpoint, type Target } from '../model/model.js';
import { SERVICE_NAME_LABEL, type EndpointSlice, type IngressBackend, type Service, type ServicePort } from '../objects/types.js';

export interface BackendIndex {
  /** Services by namespace, then name. */
  services: ReadonlyMap<string, ReadonlyMap<string, Service>>;
  /** EndpointSlices by namespace, then the Service they belong to. */
  slicesByService: ReadonlyMap<string, ReadonlyMap<string, EndpointSlice[]>>;
}

function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}

export function indexBackends(services: readonly Service[], slices: readonly EndpointSlice[]): BackendIndex {
  const serviceMap = new Map<string, Map<string, Service>>();
  for (const service of services) inner(serviceMap, service.metadata.namespace).set(service.metadata.name, service);
  const slicesByService = new Map<string, Map<string, EndpointSlice[]>>();
  for (const slice of slices) {
    const serviceName = slice.metadata.labels[SERVICE_NAME_LABEL];
    if (serviceName === undefined) continue;
    const byService = inner(slicesByService, slice.metadata.namespace);
    const list = byService.get(serviceName);
    if (list) list.push(slice);
    else byService.set(serviceName, [slice]);
  }
  return { services: serviceMap, slicesByService };
}

export type Resolution = { target: Target; backend?: Backend; problem?: { field: string; message: string } };

// Resolutions remembered per Service object and port, with the slice objects they were made from: see memo.ts.
const resolved = new WeakMap<Service, Map<number, { slices: readonly EndpointSlice[]; resolution: Resolution }>>();

const NO_SLICES: readonly EndpointSlice[] = [];

function sameSlices(a: readonly EndpointSlice[], b: readonly EndpointSlice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Resolves one backend reference from an Ingress in `namespace`. `field` is the
 * path of the backend in the Ingress, used to name the field in problems.
 */
export function resolveBackend(index: BackendIndex, namespace: string, ref: IngressBackend, field: string): Resolution {
  const unavailable: Target = { kind: 'unavailable' };
  if (ref.resource) {
    return {
      target: unavailable,
      problem: { field: `${field}.resource`, message: `resource backends (${ref.resource.kind} ${ref.resource.name}) are not supported; requests answer 503` },
    };
  }
  if (!ref.service) return { target: unavailable };
  const { name, port } = ref.service;
  const service = index.services.get(namespace)?.get(name);
  if (!service) {
    return { target: unavailable, problem: { field: `${field}.service.name`, message: `Service ${namespace}/${name} not found; requests answer 503` } };
  }
  if (service.spec.type === 'ExternalName') {
    return {
      target: unavailable,
      problem: { field: `${field}.service.name`, message: `Service ${namespace}/${name} is of type ExternalName, which is not supported; requests answer 503` },
    };
  }
  const servicePort = service.spec.ports.find((candidate) =>
    port.number !== undefined ? candidate.port === port.number : candidate.name === port.name,
  );
  if (!servicePort) {
    const wanted = port.number !== undefined ? `port ${port.number}` : `port named ${JSON.stringify(port.name)}`;
    return {
      target: unavailable,
      problem: { field: `${field}.service.port`, message: `Service ${namespace}/${name} has no ${wanted}; requests answer 503` },
    };
  }
  if (servicePort.protocol !== 'TCP') {
    return {
      target: unavailable,
      problem: { field: `${field}.service.port`, message: `Service ${namespace}/${name} port ${servicePort.port} is ${servicePort.protocol}, not TCP; requests answer 503` },
    };
  }
  const slices = index.slicesByService.get(namespace)?.get(name) ?? NO_SLICES;
  let memo = resolved.get(service);
  const cached = memo?.get(servicePort.port);
  if (cached && sameSlices(cached.slices, slices)) return cached.resolution;
  const backend: Backend = {
    id: backendId(namespace, name, servicePort.port),
    namespace,
    service: name,
    port: servicePort.port,
    endpoints: readyEndpoints(slices, servicePort, service.spec.ports.length === 1),
  };
  const resolution: Resolution = { target: { kind: 'backend', id: backend.id }, backend };
  if (!memo) {
    memo = new Map();
    resolved.set(service, memo);
  }
  memo.set(servicePort.port, { slices, resolution });
  return resolution;
}

/**
 * The port of a slice that carries traffic for a Service port: the slice port
 * of the same name, as Kubernetes writes them. Hand-written slices (Services
 * without selector) are read leniently where nothing else can be meant: for
 * a single-port Service, a slice with a single TCP port; and a slice without
 * ports uses the Service's numeric targetPort.
 */
function slicePortFor(slice: EndpointSlice, servicePort: ServicePort, singlePortService: boolean): number | undefined {
  const tcp = slice.ports.filter((candidate) => candidate.protocol === 'TCP' && candidate.port !== undefined);
  const named = tcp.find((candidate) => candidate.name === servicePort.name);
  if (named) return named.port;
  if (singlePortService && tcp.length === 1 && slice.ports.length === 1) return tcp[0]?.port;
  if (slice.ports.length === 0) return typeof servicePort.targetPort === 'number' && servicePort.targetPort > 0 ? servicePort.targetPort : servicePort.port;
  return undefined;
}

function readyEndpoints(slices: readonly EndpointSlice[], servicePort: ServicePort, singlePortService: boolean): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = slicePortFor(slice, servicePort, singlePortService);
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints) {
      if (endpoint.ready === false) continue;
      for (const address of endpoint.addresses) {
        if (isIP(address) === 0) continue;
        const key = `${address}|${port}`;
        if (!seen.has(key)) seen.set(key, { address, port });
      }
    }
  }
  return [...seen.values()].sort(compareEndpoints);
}

export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.port - b.port;
}
