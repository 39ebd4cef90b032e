// The world the invariant test generates: Services (with EndpointSlices),
// Ingresses, Secrets and IngressClasses drawn from small pools, so that
// random changes collide (same hosts, same paths, conflicts, wildcards over
// exact hosts). A world renders to manifest files, one file per object group,
// the way a user would keep them; every object carries an explicit,
// distinct creationTimestamp that grows with creation, so "oldest wins" never
// depends on when Portero first saw an object.

import type { Json } from '../objects.js';

/** Exact hosts: `x.w.test` sits under the wildcard `*.w.test`, `w.test` is its parent (never matched by it). */
export const EXACT_HOSTS = ['a.test', 'b.test', 'c.test', 'x.w.test', 'w.test'] as const;
export const WILDCARD_HOSTS = ['*.w.test', '*.v.test'] as const;
/** Paths shared by every Ingress, so that several Ingresses claim the same ones. */
export const PATHS = ['/', '/a', '/a/', '/a/b', '/b'] as const;
export const PATH_TYPES = ['Prefix', 'Exact', 'ImplementationSpecific'] as const;
export type PathType = (typeof PATH_TYPES)[number];
/** `dflt` is the Service `--default-backend-service default/dflt:80` names in the runs that set it. */
export const SERVICE_NAMES = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 'dflt'] as const;
export const INGRESS_NAMES = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9'] as const;
export const SECRET_NAMES = ['tls-a', 'tls-b', 'tls-c'] as const;
/** Certificate materials a Secret can hold (a swap changes the material). */
export const MATERIALS = 4;

export const CONTROLLER = 'portero.dev/ingress-controller';
export const OTHER_CONTROLLER = 'example.com/other-controller';
/** `--ingress-class`: ours unless an IngressClass of that name belongs to another controller. */
export const OUR_CLASS = 'portero';
/** Ours only while its IngressClass exists with our controller. */
export const ALT_CLASS = 'alt';
/** Always another controller's. */
export const OTHER_CLASS = 'other';
export const CLASS_NAMES = [OUR_CLASS, ALT_CLASS, OTHER_CLASS] as const;
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const ANNOTATIONS = 'nginx.ingress.kubernetes.io';

export type ServicePort = 80 | 'http' | 81;

export interface PathDef {
  path: string;
  type: PathType;
  service: string;
  /** 80 and `http` resolve; 81 is a port the Service lacks (503). */
  port: ServicePort;
}

export interface RuleDef {
  /** Absent: a host-less rule. */
  host?: string;
  paths: PathDef[];
}

export interface TlsDef {
  /** Absent: the hosts of the Ingress's rules. */
  hosts?: string[];
  /** Absent, or a Secret that may not exist. */
  secretName?: string;
}

/** How an Ingress names its class. */
export type ClassRef = { by: 'field'; name: string } | { by: 'annotation'; name: string } | { by: 'none' };

/** Client certificates (auth-tls-*) an Ingress asks for, with a Secret of the pool (which may not exist). */
export interface ClientAuthDef {
  secret: string;
  verify: 'on' | 'optional' | 'off';
  errorPage: boolean;
  /** auth-tls-match-cn: a pattern no request without a certificate matches (403). */
  matchCn: boolean;
}

export interface IngressDef {
  name: string;
  created: number;
  cls: ClassRef;
  rules: RuleDef[];
  defaultBackend?: { service: string; port: ServicePort };
  tls: TlsDef[];
  clientAuth?: ClientAuthDef;
}

export interface EndpointDef {
  /** Index into the server pool. */
  server: number;
  ready: boolean;
}

export interface ServiceDef {
  name: string;
  created: number;
  endpoints: EndpointDef[];
}

export interface SecretDef {
  name: string;
  created: number;
  material: number;
}

export interface ClassDef {
  name: string;
  created: number;
  controller: string;
  isDefault: boolean;
}

/** Many new Services at once, each behind its own host: more than the spare backends can take. */
export interface BurstDef {
  id: number;
  created: number;
  /** One server per Service; Service `b<id>-<k>` serves host `h<k>.b<id>.burst.test`. */
  servers: number[];
}

export interface World {
  /** Creation counter: every new object takes the next value. */
  clock: number;
  ingresses: Record<string, IngressDef>;
  services: Record<string, ServiceDef>;
  secrets: Record<string, SecretDef>;
  classes: Record<string, ClassDef>;
  bursts: Record<string, BurstDef>;
  nextBurst: number;
}

export function emptyWorld(): World {
  return { clock: 0, ingresses: {}, services: {}, secrets: {}, classes: {}, bursts: {}, nextBurst: 0 };
}

export function cloneWorld(world: World): World {
  return structuredClone(world);
}

/** The next creation time: distinct and increasing. */
export function tick(world: World): number {
  world.clock += 1;
  return world.clock;
}

export function timestamp(created: number): string {
  return new Date(Date.UTC(2026, 0, 1) + created * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export function burstServiceName(burst: number, index: number): string {
  return `b${burst}-${index}`;
}

export function burstHost(burst: number, index: number): string {
  return `h${index}.b${burst}.burst.test`;
}

/** Where the servers of the pool live (real loopback servers, or made-up addresses for the pure simulation). */
export interface Environment {
  endpoint(server: number): { address: string; port: number };
  material(index: number): { cert: string; key: string };
}

function backend(service: string, port: ServicePort): Json {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

function metadata(name: string, created: number, extra: Json = {}): Json {
  return { name, creationTimestamp: timestamp(created), ...extra };
}

export function ingressObject(def: IngressDef): Json {
  const spec: Json = {};
  const annotations: Record<string, string> = {};
  if (def.cls.by === 'field') spec.ingressClassName = def.cls.name;
  if (def.cls.by === 'annotation') annotations[CLASS_ANNOTATION] = def.cls.name;
  if (def.clientAuth) {
    annotations[`${ANNOTATIONS}/auth-tls-secret`] = def.clientAuth.secret;
    annotations[`${ANNOTATIONS}/auth-tls-verify-client`] = def.clientAuth.verify;
    if (def.clientAuth.errorPage) annotations[`${ANNOTATIONS}/auth-tls-error-page`] = `https://errors.example/${def.name}`;
    if (def.clientAuth.matchCn) annotations[`${ANNOTATIONS}/auth-tls-match-cn`] = 'CN=admin';
  }
  if (def.defaultBackend) spec.defaultBackend = backend(def.defaultBackend.service, def.defaultBackend.port);
  if (def.tls.length > 0) spec.tls = def.tls.map((tls) => ({ ...(tls.hosts ? { hosts: tls.hosts } : {}), ...(tls.secretName ? { secretName: tls.secretName } : {}) }));
  if (def.rules.length > 0) {
    spec.rules = def.rules.map((rule) => ({
      ...(rule.host !== undefined ? { host: rule.host } : {}),
      http: { paths: rule.paths.map((path) => ({ path: path.path, pathType: path.type, backend: backend(path.service, path.port) })) },
    }));
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: metadata(def.name, def.created, Object.keys(annotations).length > 0 ? { annotations } : {}),
    spec,
  };
}

/** A Service with one EndpointSlice per endpoint port (as Kubernetes groups them). */
export function serviceObjects(def: ServiceDef, env: Environment): Json[] {
  const byPort = new Map<number, Json[]>();
  for (const endpoint of def.endpoints) {
    const { address, port } = env.endpoint(endpoint.server);
    const list = byPort.get(port) ?? [];
    list.push({ addresses: [address], conditions: { ready: endpoint.ready } });
    byPort.set(port, list);
  }
  const slices = [...byPort.entries()].map(([port, endpoints], index) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: metadata(`${def.name}-${index}`, def.created, { labels: { 'kubernetes.io/service-name': def.name } }),
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  }));
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: metadata(def.name, def.created), spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    ...slices,
  ];
}

export function secretObject(def: SecretDef, env: Environment): Json {
  const { cert, key } = env.material(def.material);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: metadata(def.name, def.created),
    // The certificate is the CA bundle too: an Ingress's auth-tls-secret may name any Secret of the pool.
    data: { 'tls.crt': Buffer.from(cert).toString('base64'), 'tls.key': Buffer.from(key).toString('base64'), 'ca.crt': Buffer.from(cert).toString('base64') },
  };
}

export function classObject(def: ClassDef): Json {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: metadata(def.name, def.created, def.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
    spec: { controller: def.controller },
  };
}

export function burstObjects(def: BurstDef, env: Environment): Json[] {
  const objects: Json[] = [];
  def.servers.forEach((server, index) => {
    const name = burstServiceName(def.id, index);
    objects.push(...serviceObjects({ name, created: def.created, endpoints: [{ server, ready: true }] }, env));
  });
  // Eight hosts per Ingress, each host to its own Service.
  for (let start = 0; start < def.servers.length; start += 8) {
    const rules: RuleDef[] = [];
    for (let index = start; index < Math.min(def.servers.length, start + 8); index += 1) {
      rules.push({ host: burstHost(def.id, index), paths: [{ path: '/', type: 'Prefix', service: burstServiceName(def.id, index), port: 80 }] });
    }
    objects.push(ingressObject({ name: `b${def.id}-ing-${start / 8}`, created: def.created, cls: { by: 'field', name: OUR_CLASS }, rules, tls: [] }));
  }
  return objects;
}

/** The manifest files of a world: file name → objects. */
export function renderWorld(world: World, env: Environment): Map<string, Json[]> {
  const files = new Map<string, Json[]>();
  for (const def of Object.values(world.classes)) files.set(`class-${def.name}.yaml`, [classObject(def)]);
  for (const def of Object.values(world.services)) files.set(`svc-${def.name}.yaml`, serviceObjects(def, env));
  for (const def of Object.values(world.secrets)) files.set(`secret-${def.name}.yaml`, [secretObject(def, env)]);
  for (const def of Object.values(world.ingresses)) files.set(`ing-${def.name}.yaml`, [ingressObject(def)]);
  for (const def of Object.values(world.bursts)) files.set(`burst-${def.id}.yaml`, burstObjects(def, env));
  return files;
}

/** Every host name a world's Ingresses mention (burst hosts included). */
export function burstHosts(world: World): string[] {
  return Object.values(world.bursts).flatMap((burst) => burst.servers.map((_, index) => burstHost(burst.id, index)));
}

// ---------------------------------------------------------------------------
// Short descriptions, for failure reports.

function describePath(path: PathDef): string {
  const type = path.type === 'Exact' ? '=' : path.type === 'Prefix' ? '' : '~';
  return `${type}${path.path}→${path.service}${path.port === 80 ? '' : `:${path.port}`}`;
}

export function describeIngress(def: IngressDef): string {
  const cls = def.cls.by === 'none' ? 'no-class' : `${def.cls.by === 'annotation' ? '@' : ''}${def.cls.name}`;
  const rules = def.rules.map((rule) => `${rule.host ?? '(any)'}[${rule.paths.map(describePath).join(',')}]`).join(' ');
  const extra = [
    def.defaultBackend ? `default→${def.defaultBackend.service}${def.defaultBackend.port === 80 ? '' : `:${def.defaultBackend.port}`}` : '',
    ...def.tls.map((tls) => `tls(${tls.hosts ? tls.hosts.join(',') : 'rule hosts'}:${tls.secretName ?? 'no secret'})`),
    def.clientAuth ? `client-auth(${def.clientAuth.secret} ${def.clientAuth.verify}${def.clientAuth.errorPage ? ' page' : ''}${def.clientAuth.matchCn ? ' cn' : ''})` : '',
  ].filter(Boolean);
  return `${def.name}#${def.created} ${cls} ${rules}${extra.length > 0 ? ` ${extra.join(' ')}` : ''}`;
}

export function describeService(def: ServiceDef): string {
  return `${def.name}#${def.created}{${def.endpoints.map((endpoint) => `srv${endpoint.server}${endpoint.ready ? '' : '(not ready)'}`).join(',')}}`;
}

/** The whole world, one line per object, for failure reports. */
export function describeWorld(world: World): string[] {
  return [
    ...Object.values(world.classes).map((def) => `IngressClass ${def.name}#${def.created} ${def.controller === CONTROLLER ? 'ours' : 'other'}${def.isDefault ? ' default' : ''}`),
    ...Object.values(world.services).map((def) => `Service ${describeService(def)}`),
    ...Object.values(world.secrets).map((def) => `Secret ${def.name}#${def.created} material ${def.material}`),
    ...Object.values(world.ingresses).map((def) => `Ingress ${describeIngress(def)}`),
    ...Object.values(world.bursts).map((def) => `Burst ${def.id}#${def.created}: ${def.servers.length} Services and hosts`),
  ];
}
