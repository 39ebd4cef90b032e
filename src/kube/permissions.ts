// Every Kubernetes API request Portero makes, as RBAC sees it. The RBAC rules
// in deploy/ must allow each of these (a test checks it), and the client
// reports any request not listed here, so the list cannot fall behind the
// code.
//
// The Namespace and Gateway API permissions are optional: without them
// Portero serves Ingresses and says which kinds it cannot read
// (source/kube/optional-kinds.ts). Discovery requests (`/apis/GROUP/VERSION`,
// to learn whether the Gateway API CRDs are installed) need no rule: every
// authenticated user may make them (the built-in system:discovery role).

export type Scope = 'cluster' | 'own-namespace';

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
const GATEWAY_STATUS_RESOURCES = ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes'];
const GATEWAY_RESOURCES = [...GATEWAY_STATUS_RESOURCES, 'referencegrants'];

export interface Permission {
  group: string;
  resource: string;
  verbs: readonly string[];
  /** `cluster`: any namespace (a ClusterRole); `own-namespace`: $POD_NAMESPACE only (a Role). */
  scope: Scope;
  why: string;
}

export const PERMISSIONS: readonly Permission[] = [
  { group: 'networking.k8s.io', resource: 'ingresses', verbs: ['list', 'watch', 'get'], scope: 'cluster', why: 'read Ingresses; re-read one after a status conflict' },
  { group: 'networking.k8s.io', resource: 'ingresses/status', verbs: ['patch', 'update'], scope: 'cluster', why: 'write the status of served Ingresses' },
  { group: 'networking.k8s.io', resource: 'ingressclasses', verbs: ['list', 'watch'], scope: 'cluster', why: 'find the classes Portero serves' },
  { group: '', resource: 'services', verbs: ['list', 'watch', 'get'], scope: 'cluster', why: 'resolve Service ports; read --publish-service' },
  { group: 'discovery.k8s.io', resource: 'endpointslices', verbs: ['list', 'watch'], scope: 'cluster', why: 'the pods behind each Service' },
  { group: '', resource: 'secrets', verbs: ['list', 'watch'], scope: 'cluster', why: 'TLS Secrets, and the basic-auth data of other Secrets (auth-secret); nothing else of a Secret is kept' },
  { group: '', resource: 'events', verbs: ['create', 'patch'], scope: 'cluster', why: 'Warning Events on Ingresses' },
  { group: '', resource: 'nodes', verbs: ['get'], scope: 'cluster', why: 'addresses of the nodes Portero runs on' },
  { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], scope: 'own-namespace', why: 'leader election' },
  { group: '', resource: 'pods', verbs: ['get', 'list'], scope: 'own-namespace', why: "Portero's own pods, to find their nodes" },
  { group: '', resource: 'configmaps', verbs: ['get', 'list', 'watch'], scope: 'cluster', why: 'the ConfigMaps custom-headers annotations name (only those up to 64 KiB are kept), and --configmap\'s' },
  { group: '', resource: 'namespaces', verbs: ['list', 'watch', 'get'], scope: 'cluster', why: 'namespace labels, which Gateway listeners select routes by (allowedRoutes); optional' },
  ...GATEWAY_RESOURCES.map((resource): Permission => ({ group: GATEWAY_API_GROUP, resource, verbs: ['list', 'watch', 'get'], scope: 'cluster', why: 'read Gateway API objects; re-read one after a status conflict; optional (CRDs may be absent)' })),
  ...GATEWAY_STATUS_RESOURCES.map((resource): Permission => ({ group: GATEWAY_API_GROUP, resource: `${resource}/status`, verbs: ['get', 'patch', 'update'], scope: 'cluster', why: 'write the status of Gateway API objects Portero serves (the leader only)' })),
];

export interface RequestAttributes {
  verb: string;
  group: string;
  /** With the subresource, as RBAC names it: `ingresses/status`. */
  resource: string;
  /** Empty for cluster-wide requests. */
  namespace: string;
}

/** What RBAC sees of a request: verb, API group, resource (with subresource) and namespace. */
export function requestAttributes(method: string, pathAndQuery: string): RequestAttributes | undefined {
  const [path = '', query = ''] = pathAndQuery.split('?');
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  const watching = /(^|&)watch=(true|1)(&|$)/.test(query);
  const verb =
    method === 'GET' ? (watching ? 'watch' : name ? 'get' : 'list')
    : method === 'POST' ? 'create'
    : method === 'PUT' ? 'update'
    : method === 'PATCH' ? 'patch'
    : method === 'DELETE' ? (name ? 'delete' : 'deletecollection')
    : method.toLowerCase();
  return { verb, group, resource: subresource ? `${resource}/${subresource}` : resource, namespace };
}

/**
 * Whether a request is API discovery (`/api`, `/apis`, `/apis/GROUP`,
 * `/apis/GROUP/VERSION`, `/version`), which every authenticated user may make.
 */
export function isDiscovery(method: string, pathAndQuery: string): boolean {
  const path = pathAndQuery.split('?')[0]!.replace(/\/+$/, '');
  return method === 'GET' && /^\/(version|api|api\/v1|apis|apis\/[^/]+|apis\/[^/]+\/[^/]+)$/.test(path);
}

/** The permission that covers a request, if any. */
export function permissionFor(attributes: RequestAttributes, ownNamespace: string): Permission | undefined {
  return PERMISSIONS.find(
    (permission) =>
      permission.group === attributes.group &&
      permission.resource === attributes.resource &&
      permission.verbs.includes(attributes.verb) &&
      (permission.scope === 'cluster' || attributes.namespace === ownNamespace),
  );
}
