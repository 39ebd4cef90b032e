// The resource table of the Kubernetes API test server: the kinds it
// serves, with their group, version, scope and subresources.

export interface Resource {
  group: string;
  /** The storage (and preferred) version: objects are stored and watched in it. */
  version: string;
  /** Every version served, when more than `version`: objects read through another one carry its apiVersion (same schema). */
  versions?: readonly string[];
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource: the main resource ignores .status, /status takes only .status. */
  status: boolean;
  /** metadata.generation counts changes to the spec. */
  generation: boolean;
  shortNames?: string[];
  /** Discovery categories, as CRDs have (`kubectl get gateway-api`). */
  categories?: string[];
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fields?: Record<string, (object: Record<string, any>) => string | undefined>;
}

/** The built-in kinds of a Kubernetes API server. */
export const RESOURCES: Resource[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, status: true, generation: false, shortNames: ['ns'], fields: { 'status.phase': (o) => o.status?.phase } },
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, status: true, generation: false, shortNames: ['no'] },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, status: true, generation: false, shortNames: ['po'], fields: { 'spec.nodeName': (o) => o.spec?.nodeName ?? '', 'status.phase': (o) => o.status?.phase ?? '' } },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, status: true, generation: false, shortNames: ['svc'], fields: { 'spec.type': (o) => o.spec?.type ?? 'ClusterIP' } },
  { group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, status: false, generation: false, shortNames: ['ep'] },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, status: false, generation: false, fields: { type: (o) => o.type ?? 'Opaque' } },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, status: false, generation: false, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, status: false, generation: false, shortNames: ['sa'] },
  {
    group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, status: false, generation: false, shortNames: ['ev'],
    fields: {
      'involvedObject.kind': (o) => o.involvedObject?.kind,
      'involvedObject.name': (o) => o.involvedObject?.name,
      'involvedObject.namespace': (o) => o.involvedObject?.namespace,
      'involvedObject.uid': (o) => o.involvedObject?.uid,
      reason: (o) => o.reason,
      type: (o) => o.type,
    },
  },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, status: false, generation: false, shortNames: ['ev'] },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true, status: false, generation: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, status: true, generation: true, shortNames: ['ing'] },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', singular: 'ingressclass', kind: 'IngressClass', namespaced: false, status: false, generation: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true, status: false, generation: false },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, status: true, generation: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, status: true, generation: true, shortNames: ['ds'] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', singular: 'role', kind: 'Role', namespaced: true, status: false, generation: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, status: false, generation: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, status: false, generation: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, status: false, generation: false },
];

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_VERSIONS = ['v1', 'v1beta1'];

/**
 * The Gateway API kinds Portero reads, as the v1.6 standard-channel CRDs
 * define them: served in v1 (stored) and v1beta1 (GRPCRoute in v1 only),
 * with a status subresource on all but ReferenceGrant. A server may start
 * without them and have them installed later (KubeApiServer.installGatewayApi).
 */
export const GATEWAY_API_RESOURCES: Resource[] = [
  { group: GATEWAY_GROUP, version: 'v1', versions: GATEWAY_VERSIONS, plural: 'gatewayclasses', singular: 'gatewayclass', kind: 'GatewayClass', namespaced: false, status: true, generation: true, shortNames: ['gc'], categories: ['gateway-api'] },
  { group: GATEWAY_GROUP, version: 'v1', versions: GATEWAY_VERSIONS, plural: 'gateways', singular: 'gateway', kind: 'Gateway', namespaced: true, status: true, generation: true, shortNames: ['gtw'], categories: ['gateway-api'] },
  { group: GATEWAY_GROUP, version: 'v1', versions: GATEWAY_VERSIONS, plural: 'httproutes', singular: 'httproute', kind: 'HTTPRoute', namespaced: true, status: true, generation: true, categories: ['gateway-api'] },
  { group: GATEWAY_GROUP, version: 'v1', plural: 'grpcroutes', singular: 'grpcroute', kind: 'GRPCRoute', namespaced: true, status: true, generation: true, categories: ['gateway-api'] },
  { group: GATEWAY_GROUP, version: 'v1', versions: GATEWAY_VERSIONS, plural: 'referencegrants', singular: 'referencegrant', kind: 'ReferenceGrant', namespaced: true, status: false, generation: true, shortNames: ['refgrant'], categories: ['gateway-api'] },
];

export function groupVersion(resource: Resource, version = resource.version): string {
  return resource.group === '' ? version : `${resource.group}/${version}`;
}

/** The versions a resource is served in, the storage version first. */
export function servedVersions(resource: Resource): readonly string[] {
  return resource.versions ?? [resource.version];
}

/** Whether `apiVersion` (group/version) is one the resource is served in. */
export function serves(resource: Resource, apiVersion: string): boolean {
  return servedVersions(resource).some((version) => groupVersion(resource, version) === apiVersion);
}

/** An object read through `version`: the same object with that apiVersion (Gateway API versions share one schema). */
export function inVersion<T extends { apiVersion?: string }>(object: T, resource: Resource, version: string): T {
  return version === resource.version ? object : { ...object, apiVersion: groupVersion(resource, version) };
}

export function resourceId(resource: Resource): string {
  return `${resource.group}/${resource.plural}`;
}

/** Kinds whose creation may come from a PUT (create-on-update), as on a real server. */
export const CREATE_ON_UPDATE = new Set(['Lease', 'Endpoints']);

/** Lists merged by key in strategic-merge patches (the subset kubectl's apply needs). */
export const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  tolerations: 'key',
};
