// The Kubernetes objects Portero reads, narrowed to the fields it uses.
//
// Sources (a directory of manifests, or the API server) decode raw JSON into
// these shapes with `decode.ts`; everything downstream sees only these. Field
// names follow the Kubernetes API so that diagnostics can name fields exactly
// as users wrote them.

import type { GatewayObject } from './gateway-types.js';
import type { AuthUsers } from './htpasswd.js';

export type Kind =
  | 'Ingress'
  | 'IngressClass'
  | 'Service'
  | 'EndpointSlice'
  | 'Secret'
  | 'ConfigMap'
  | 'Namespace'
  | 'GatewayClass'
  | 'Gateway'
  | 'HTTPRoute'
  | 'GRPCRoute'
  | 'ReferenceGrant';

export const KINDS: readonly Kind[] = [
  'Ingress',
  'IngressClass',
  'Service',
  'EndpointSlice',
  'Secret',
  'ConfigMap',
  'Namespace',
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'GRPCRoute',
  'ReferenceGrant',
];

/** The Gateway API kinds (gateway.networking.k8s.io), whose CRDs a cluster may not have. */
export const GATEWAY_KINDS: readonly Kind[] = ['GatewayClass', 'Gateway', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant'];

const GATEWAY_V1 = 'gateway.networking.k8s.io/v1';
const GATEWAY_V1BETA1 = 'gateway.networking.k8s.io/v1beta1';

/**
 * The apiVersions each kind may carry. The first is the one Portero writes
 * (the kept manifests of the manifest source) and watches when the API
 * serves it. Gateway API kinds are served in several versions with the same
 * schema: an object in any of them decodes the same.
 */
export const API_VERSIONS: Readonly<Record<Kind, readonly string[]>> = {
  Ingress: ['networking.k8s.io/v1'],
  IngressClass: ['networking.k8s.io/v1'],
  Service: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1'],
  Secret: ['v1'],
  ConfigMap: ['v1'],
  Namespace: ['v1'],
  GatewayClass: [GATEWAY_V1, GATEWAY_V1BETA1],
  Gateway: [GATEWAY_V1, GATEWAY_V1BETA1],
  HTTPRoute: [GATEWAY_V1, GATEWAY_V1BETA1],
  GRPCRoute: [GATEWAY_V1],
  ReferenceGrant: [GATEWAY_V1, GATEWAY_V1BETA1],
};

/** The apiVersion Portero writes for a kind. */
export function apiVersionOf(kind: Kind): string {
  return API_VERSIONS[kind][0]!;
}

export const CLUSTER_SCOPED: ReadonlySet<Kind> = new Set<Kind>(['IngressClass', 'Namespace', 'GatewayClass']);

export interface ObjectMeta {
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339 time; sources fill it in when the object does not carry one. */
  creationTimestamp: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface ServiceBackendPort {
  number?: number;
  name?: string;
}

export interface IngressBackend {
  service?: { name: string; port: ServiceBackendPort };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface HTTPIngressPath {
  /** As written; may be empty for ImplementationSpecific. */
  path: string;
  pathType?: string;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}

export interface IngressTLS {
  hosts: string[];
  secretName?: string;
}

export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

export interface Ingress {
  kind: 'Ingress';
  metadata: ObjectMeta;
  spec: {
    ingressClassName?: string;
    defaultBackend?: IngressBackend;
    rules: IngressRule[];
    tls: IngressTLS[];
  };
  status: { loadBalancer: { ingress: IngressLoadBalancerIngress[] } };
}

export interface IngressClass {
  kind: 'IngressClass';
  metadata: ObjectMeta;
  spec: { controller: string };
}

export interface ServicePort {
  name: string;
  port: number;
  protocol: string;
  targetPort?: number | string;
  /**
   * The application protocol (a qualified name: an IANA service name, or
   * domain-prefixed such as `kubernetes.io/h2c`). Gateway API backendRefs
   * honour it (translate/gateway/app-protocol.ts); Ingress backends do not,
   * as ingress-nginx does not.
   */
  appProtocol?: string;
}

export interface Service {
  kind: 'Service';
  metadata: ObjectMeta;
  spec: {
    type: string;
    ports: ServicePort[];
    externalName?: string;
    /** An IP address (no zone), or absent: headless (`None`) or not assigned. */
    clusterIP?: string;
  };
}

export interface Endpoint {
  addresses: string[];
  /** `ready` as written; absent means unknown, which Kubernetes says to treat as ready. */
  ready?: boolean;
}

export interface EndpointPort {
  name: string;
  port?: number;
  protocol: string;
}

export interface EndpointSlice {
  kind: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType: string;
  endpoints: Endpoint[];
  ports: EndpointPort[];
}

export interface Secret {
  kind: 'Secret';
  metadata: ObjectMeta;
  type: string;
  /** TLS Secrets: only the TLS keys are kept, decoded to text; other keys are dropped on decode. Empty for other types. */
  tls: { crt?: string; key?: string };
  /**
   * Other Secrets: only their basic-auth credentials (which an auth-secret
   * annotation may name), parsed on decode both ways ingress-nginx can read
   * them; every other byte of the Secret is dropped. Absent for TLS Secrets.
   */
  auth?: SecretAuth;
  /**
   * Secrets of any type: keys `ca.crt` and `ca.crl` (the CA bundle and
   * revocation list an auth-tls-secret annotation may name), as text;
   * absent when the Secret holds no `ca.crt`. Checked by translate.
   */
  ca?: SecretCa;
}

export interface SecretCa {
  /** Key `ca.crt`, decoded. */
  crt?: string;
  /** Key `ca.crl`, decoded; absent when the Secret has none. */
  crl?: string;
  /** Why a key could not be read (not base64, too long). */
  problem?: string;
}

export interface SecretAuth {
  /** Key `auth` as an htpasswd file (auth-secret-type: auth-file); absent when the Secret has no such key. */
  file?: AuthUsers;
  /** Every key as a user, its value the hash (auth-secret-type: auth-map). */
  map: AuthUsers;
}

/**
 * A ConfigMap: only the ingress-nginx ConfigMap named by `--configmap` is
 * read (translate/configmap.ts); its string data as written.
 */
export interface ConfigMap {
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Readonly<Record<string, string>>;
}

export type KubeObject = Ingress | IngressClass | Service | EndpointSlice | Secret | ConfigMap | GatewayObject;

export interface ObjectRef {
  kind: Kind;
  namespace: string;
  name: string;
}

export function refOf(object: KubeObject): ObjectRef {
  return { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

/** `namespace/name`, or `name` for cluster-scoped objects: the store key. */
export function keyOf(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${keyOf(ref.namespace, ref.name)}`;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
