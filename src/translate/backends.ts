// Resolves an Ingress backend to a Service port, and a Service port to its
// ready endpoints.
//
// The Ingress names a Service port by number or by name; the Service port's
// name then selects the port of the same name in each EndpointSlice labelled
// `kubernetes.io/service-name`. Traffic goes to those pod addresses directly,
// never through the ClusterIP, unless an Ingress asks for it
// (service-upstream; a Service without ClusterIP, e.g. headless, keeps its
// pod addresses, as in ingress-nginx). Only endpoints whose `ready` condition is not
// false are used, as Kubernetes prescribes for consumers of EndpointSlices.
//
// The two steps are separate so that a change of endpoints touches only the
// second: routes depend on Services, endpoints on EndpointSlices.

import { isIP } from 'node:net';
import { featuredBackendId, type Features } from '../model/features.js';
import { backendId, type Backend, type Endpoint, type Target } from '../model/model.js';
import { memoizeByIdentity } from '../util/identity-memo.js';
import { SERVICE_NAME_LABEL, type EndpointSlice, type IngressBackend, type Service, type ServicePort } from '../objects/types.js';

/** Services by namespace, then name. */
export type ServiceIndex = ReadonlyMap<string, ReadonlyMap<string, Service>>;
/** EndpointSlices by namespace, then the Service they belong to. */
export type SliceIndex = ReadonlyMap<string, ReadonlyMap<string, readonly EndpointSlice[]>>;

function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}

// An index of the same array is the same: remembered by array identity (see memo.ts).
export const indexServices: (services: readonly Service[]) => ServiceIndex = memoizeByIdentity((services: readonly Service[]) => {
  const index = new Map<string, Map<string, Service>>();
  for (const service of services) inner(index, service.metadata.namespace).set(service.metadata.name, service);
  return index;
});

export const indexSlices: (slices: readonly EndpointSlice[]) => SliceIndex = memoizeByIdentity((slices: readonly EndpointSlice[]) => {
  const index = new Map<string, Map<string, EndpointSlice[]>>();
  for (const slice of slices) {
    const serviceName = slice.metadata.labels[SERVICE_NAME_LABEL];
    if (serviceName === undefined) continue;
    const byService = inner(index, slice.metadata.namespace);
    const list = byService.get(serviceName);
    if (list) list.push(slice);
    else byService.set(serviceName, [slice]);
  }
  return index;
});

/** A Service port that requests can go to: what a backend is made from. */
export interface BackendSpec {
  id: string;
  namespace: string;
  service: Service;
  servicePort: ServicePort;
  features?: Features;
}

/** The resolution for routes that ask for `features`: the same Service port, on a backend of its own kind. */
export function withFeatures(resolution: Resolution, features: Features | undefined): Resolution {
  if (!features || !resolution.spec) return resolution;
  const id = featuredBackendId(resolution.spec.id, features);
  return { ...resolution, target: { kind: 'backend', id }, spec: { ...resolution.spec, id, features } };
}

export type Resolution = { target: Target; spec?: BackendSpec; problem?: { field: string; message: string } };

/**
 * Resolves one backend reference from an Ingress in `namespace`. `field` is the
 * path of the backend in the Ingress, used to name the field in problems.
 */
export function resolveTarget(services: ServiceIndex, namespace: string, ref: IngressBackend, field: string): Resolution {
  const unavailable: Target = { kind: 'unavailable' };
  if (ref.resource) {
    return {
      target: unavailable,
      problem: { field: `${field}.resource`, message: `resource backends (${ref.resource.kind} ${ref.resource.name}) are not supported; requests answer 503` },
    };
  }
  if (!ref.service) return { target: unavailable };
  const { name, port } = ref.service;
  const service = services.get(namespace)?.get(name);
  if (!service) {
    return { target: unavailable, problem: { field: `${field}.service.name`, message: `Service ${namespace}/${name} not found; requests answer 503` } };
  }
  if (service.spec.type === 'ExternalName') {
    return {
      target: unavailable,
      problem: { field: `${field}.service.name`, message: `Service ${namespace}/${name} is of type ExternalName, which is not supported; requests answer 503` },
    };
  }
  const servicePort = service.spec.ports.find((candidate) => (port.number !== undefined ? candidate.port === port.number : candidate.name === port.name));
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
  const id = backendId(namespace, name, servicePort.port);
  return { target: { kind: 'backend', id }, spec: { id, namespace, service, servicePort } };
}

/**
 * Stand-ins for Services that do not exist, by `namespace/name:port`: one
 * object each, so that the backend memo below keeps them. A stand-in has no
 * endpoints (its slices are never read).
 */
const standIns = new Map<string, Service>();
const standInSet = new WeakSet<Service>();

function standInService(namespace: string, name: string, port: number, portName: string): Service {
  const key = `${namespace}/${name}:${port}:${portName}`;
  let service = standIns.get(key);
  if (!service) {
    service = { kind: 'Service', metadata: { namespace, name, creationTimestamp: '', labels: {}, annotations: {} }, spec: { type: 'ClusterIP', ports: [{ name: portName, port, protocol: 'TCP' }] } };
    standIns.set(key, service);
    standInSet.add(service);
  }
  return service;
}

/**
 * The resolution of a path whose Service does not exist, for an Ingress with
 * annotations: a backend of that Service name without endpoints, so that
 * the annotations still apply (a permanent-redirect still redirects, as
 * ingress-nginx's location does), and what reaches the Service answers 503.
 * When the Service appears, the same backend id gets its endpoints. `base`
 * itself for any other resolution.
 */
export function missingServiceStandIn(services: ServiceIndex, namespace: string, ref: IngressBackend, base: Resolution, features: Features | undefined): Resolution {
  if (!features || base.spec || !ref.service || services.get(namespace)?.has(ref.service.name)) return base;
  const { name, port } = ref.service;
  const service = standInService(namespace, name, port.number ?? 0, port.name ?? '');
  const id = backendId(namespace, name, port.number ?? 0);
  const problem = base.problem ? { problem: { field: base.problem.field, message: base.problem.message.replace('requests answer 503', 'its annotations apply and requests that reach the Service answer 503') } } : {};
  return { target: { kind: 'backend', id }, spec: { id, namespace, service, servicePort: service.spec.ports[0]! }, ...problem };
}

// Backends remembered per Service object and backend id, with the slice objects they were made from (see memo.ts).
const backendMemo = new WeakMap<Service, Map<string, { slices: readonly EndpointSlice[]; backup: Backup | undefined; backend: Backend }>>();

interface Backup {
  service: Service;
  slices: readonly EndpointSlice[];
}

/** The default-backend Service of a featured backend, with its slices; undefined when there is none (or it does not exist). */
function backupOf(services: ServiceIndex, slices: SliceIndex, spec: BackendSpec): Backup | undefined {
  const name = spec.features?.defaultBackend?.service;
  const service = name === undefined ? undefined : services.get(spec.namespace)?.get(name);
  if (!service || service.spec.type === 'ExternalName' || service.spec.ports.length === 0) return undefined;
  return { service, slices: slices.get(spec.namespace)?.get(service.metadata.name) ?? NO_SLICES };
}
const NO_SLICES: readonly EndpointSlice[] = [];

function sameSlices(a: readonly EndpointSlice[], b: readonly EndpointSlice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** The backend of a Service port, with its ready endpoints (and those of its default-backend Service, as backups). */
export function backendFor(slices: SliceIndex, spec: BackendSpec, services: ServiceIndex = new Map()): Backend {
  const { service, servicePort } = spec;
  const own = slices.get(spec.namespace)?.get(service.metadata.name) ?? NO_SLICES;
  const backup = backupOf(services, slices, spec);
  let memo = backendMemo.get(service);
  const cached = memo?.get(spec.id);
  if (cached && sameSlices(cached.slices, own) && cached.backup?.service === backup?.service && sameSlices(cached.backup?.slices ?? NO_SLICES, backup?.slices ?? NO_SLICES)) return cached.backend;
  // ingress-nginx sends to the default backend's first port.
  const backupPort = backup?.service.spec.ports[0];
  const backupEndpoints = backup && backupPort ? readyEndpoints(backup.slices, backupPort, backup.service.spec.ports.length === 1) : undefined;
  const backend: Backend = {
    id: spec.id,
    namespace: spec.namespace,
    service: service.metadata.name,
    port: servicePort.port,
    endpoints: standInSet.has(service) ? [] : spec.features?.serviceUpstream && service.spec.clusterIP !== undefined ? [{ address: service.spec.clusterIP, port: servicePort.port }] : readyEndpoints(own, servicePort, service.spec.ports.length === 1),
    ...(spec.features ? { features: spec.features } : {}),
    ...(backupEndpoints && backupEndpoints.length > 0 ? { backupEndpoints } : {}),
  };
  if (!memo) {
    memo = new Map();
    backendMemo.set(service, memo);
  }
  memo.set(spec.id, { slices: own, backup, backend });
  return backend;
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

/**
 * An address HAProxy can be given as a server: an IP without an IPv6 zone
 * (`fe80::1%eth0`, which net.isIP accepts). The sources refuse the others
 * with a diagnostic; this keeps one that slipped through from ever reaching
 * the configuration.
 */
function routable(address: string): boolean {
  return isIP(address) !== 0 && !address.includes('%');
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
        if (!routable(address)) continue;
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
