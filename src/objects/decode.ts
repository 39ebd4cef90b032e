// Raw JSON (from a manifest file or the API server) → the typed objects of
// types.ts, with the checks the Kubernetes API server would apply on create.
//
// A source calls `decodeObject` on every object it reads. The result says
// whether the object is one of ours and valid, one of ours and invalid (with
// every field error), or a kind Portero does not read.

import { Buffer } from 'node:buffer';
import { isIP } from 'node:net';
import { collect, type FieldError, type FieldPath } from './field-errors.js';
import * as grammar from './grammar.js';
import { hashKind, parseAuthMap, parseHtpasswd, type AuthUsers } from './htpasswd.js';
import { EMPTY_LIST, Shape, shared, type JsonObject } from './shape.js';
import {
  API_VERSIONS,
  CLUSTER_SCOPED,
  KINDS,
  TLS_SECRET_TYPE,
  type EndpointSlice,
  type HTTPIngressPath,
  type Ingress,
  type IngressBackend,
  type IngressRule,
  type IngressTLS,
  type Kind,
  type KubeObject,
  type ObjectMeta,
  type ObjectRef,
  type ConfigMap,
  type Secret,
  type SecretAuth,
  type SecretCa,
  type Service,
} from './types.js';
import { validateEndpointSlice, validateIngress, validateIngressClass, validateService } from './validate.js';
import { decodeGatewayObject, validateGatewayObject } from './gateway-objects.js';

export type DecodeResult =
  | { status: 'ok'; object: KubeObject }
  | { status: 'ignored'; reason: string }
  | { status: 'invalid'; ref?: ObjectRef; errors: FieldError[] };

export interface DecodeOptions {
  /** Namespace for objects that carry none (manifest files); the API always sets one. */
  defaultNamespace: string;
  /** creationTimestamp for objects that carry none (manifest files use CREATED_AFTER_EVERY_TIMESTAMP). */
  creationTimestampFor: (ref: ObjectRef) => string;
}

/**
 * The creationTimestamp of manifest objects that carry none: later than every
 * explicit timestamp, and the same for all of them, so that among them
 * namespace/name decides a conflict, whatever the order files were written
 * or read, before or after a restart.
 */
export const CREATED_AFTER_EVERY_TIMESTAMP = '9999-12-31T23:59:59Z';

const EMPTY_STATUS: Ingress['status'] = Object.freeze({ loadBalancer: Object.freeze({ ingress: EMPTY_LIST as never[] }) });

function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/** Never throws: whatever `raw` holds, the result is ok, ignored or invalid. */
export function decodeObject(raw: unknown, options: DecodeOptions): DecodeResult {
  try {
    return decodeUnguarded(raw, options);
  } catch (error) {
    // Every known cause is handled where it arises; this keeps an unknown one
    // to this object instead of the whole batch it was read with.
    return { status: 'invalid', errors: [{ path: [], message: `cannot be decoded: ${error instanceof Error ? error.message : 'unknown error'}` }] };
  }
}

/** A value named in a message, whatever its type: a string as JSON, anything else by its type. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? `${typeof value} ${String(value)}` : typeof value;
}

function decodeUnguarded(raw: unknown, options: DecodeOptions): DecodeResult {
  const shape = new Shape();
  if (!shape.isObject(raw)) return { status: 'invalid', errors: [{ path: [], message: 'must be an object' }] };
  const kind = shape.optionalString(raw.kind, ['kind']);
  const apiVersion = shape.optionalString(raw.apiVersion, ['apiVersion']);
  if (!kind || !apiVersion) {
    const errors = [...shape.errors];
    if (!kind) errors.push({ path: ['kind'], message: 'Required value: every object needs a kind' });
    if (!apiVersion) errors.push({ path: ['apiVersion'], message: 'Required value: every object needs an apiVersion' });
    return { status: 'invalid', errors };
  }
  if (!isKind(kind)) return { status: 'ignored', reason: `kind ${kind} is not read by Portero` };
  if (kind === 'Secret') {
    const type = raw.type ?? 'Opaque';
    if (type !== TLS_SECRET_TYPE && (typeof type !== 'string' || (secretAuth(raw) === undefined && secretCa(raw) === undefined))) {
      return { status: 'ignored', reason: `Secret of type ${describeValue(type)} is neither a TLS Secret nor holds basic-auth credentials or a ca.crt` };
    }
  }

  const metadata = decodeMetadata(shape, raw.metadata, kind, options);
  const ref: ObjectRef = { kind, namespace: metadata.namespace, name: metadata.name };
  const versions = API_VERSIONS[kind];
  if (!versions.includes(apiVersion)) {
    shape.fail(['apiVersion'], `Unsupported value: ${JSON.stringify(apiVersion)}: ${kind} must be ${versions.length === 1 ? versions[0] : `one of ${versions.join(', ')}`}`);
  }
  let object: KubeObject;
  switch (kind) {
    case 'Ingress':
      object = decodeIngress(shape, raw, metadata);
      break;
    case 'IngressClass':
      object = { kind, metadata, spec: { controller: shape.optionalString(shape.object(raw.spec, ['spec']).controller, ['spec', 'controller']) ?? '' } };
      break;
    case 'Service':
      object = decodeService(shape, raw, metadata);
      break;
    case 'EndpointSlice':
      object = decodeEndpointSlice(shape, raw, metadata);
      break;
    case 'Secret':
      object = decodeSecret(shape, raw, metadata);
      break;
    case 'ConfigMap':
      object = decodeConfigMap(shape, raw, metadata);
      break;
    default:
      object = decodeGatewayObject(kind, shape, raw, metadata);
      break;
  }
  const errors = [...shape.errors];
  if (errors.length === 0) errors.push(...semanticErrors(object, options));
  if (errors.length > 0) return { status: 'invalid', ref, errors };
  return { status: 'ok', object };
}

function semanticErrors(object: KubeObject, options: DecodeOptions): FieldError[] {
  switch (object.kind) {
    case 'Ingress':
      return validateIngress(object);
    case 'IngressClass':
      return validateIngressClass(object);
    case 'Service':
      return validateService(object);
    case 'EndpointSlice':
      return validateEndpointSlice(object);
    case 'Secret':
    case 'ConfigMap':
      return [];
    default:
      return validateGatewayObject(object);
  }
}

function decodeMetadata(shape: Shape, value: unknown, kind: Kind, options: DecodeOptions): ObjectMeta {
  const meta = shape.object(value, ['metadata']);
  const name = shape.requiredString(meta.name, ['metadata', 'name']);
  if (name !== '') {
    const check = kind === 'Service' ? grammar.serviceName : kind === 'Namespace' ? grammar.namespaceName : grammar.objectName;
    collect(shape.errors, ['metadata', 'name'], name, check(name));
  }
  let namespace = '';
  if (!CLUSTER_SCOPED.has(kind)) {
    namespace = shape.optionalString(meta.namespace, ['metadata', 'namespace']) || options.defaultNamespace;
    collect(shape.errors, ['metadata', 'namespace'], namespace, grammar.namespaceName(namespace));
  }
  let creationTimestamp = shape.optionalString(meta.creationTimestamp, ['metadata', 'creationTimestamp']);
  if (creationTimestamp !== undefined && Number.isNaN(Date.parse(creationTimestamp))) {
    shape.fail(['metadata', 'creationTimestamp'], `Invalid value: ${JSON.stringify(creationTimestamp)}: must be an RFC 3339 time`);
    creationTimestamp = undefined;
  }
  const result: ObjectMeta = {
    namespace,
    name,
    creationTimestamp: creationTimestamp ?? options.creationTimestampFor({ kind, namespace, name }),
    labels: shared(shape.stringMap(meta.labels, ['metadata', 'labels'])),
    annotations: shared(shape.stringMap(meta.annotations, ['metadata', 'annotations'])),
  };
  const uid = shape.optionalString(meta.uid, ['metadata', 'uid']);
  if (uid !== undefined) result.uid = uid;
  const resourceVersion = shape.optionalString(meta.resourceVersion, ['metadata', 'resourceVersion']);
  if (resourceVersion !== undefined) result.resourceVersion = resourceVersion;
  const generation = shape.optionalInteger(meta.generation, ['metadata', 'generation']);
  if (generation !== undefined) result.generation = generation;
  return result;
}

function decodeBackend(shape: Shape, value: unknown, path: FieldPath): IngressBackend {
  const raw = shape.object(value, path);
  const backend: IngressBackend = {};
  if (raw.service !== undefined && raw.service !== null) {
    const service = shape.object(raw.service, [...path, 'service']);
    const port = shape.object(service.port, [...path, 'service', 'port']);
    const decodedPort: { number?: number; name?: string } = {};
    const number = shape.optionalInteger(port.number, [...path, 'service', 'port', 'number']);
    const name = shape.optionalString(port.name, [...path, 'service', 'port', 'name']);
    if (number !== undefined && number !== 0) decodedPort.number = number;
    if (name !== undefined && name !== '') decodedPort.name = name;
    backend.service = { name: shape.optionalString(service.name, [...path, 'service', 'name']) ?? '', port: decodedPort };
  }
  if (raw.resource !== undefined && raw.resource !== null) {
    const resource = shape.object(raw.resource, [...path, 'resource']);
    const apiGroup = shape.optionalString(resource.apiGroup, [...path, 'resource', 'apiGroup']);
    backend.resource = {
      kind: shape.optionalString(resource.kind, [...path, 'resource', 'kind']) ?? '',
      name: shape.optionalString(resource.name, [...path, 'resource', 'name']) ?? '',
      ...(apiGroup !== undefined ? { apiGroup } : {}),
    };
  }
  return backend;
}

function decodeIngress(shape: Shape, raw: JsonObject, metadata: ObjectMeta): Ingress {
  const spec = shape.object(raw.spec, ['spec']);
  const rules: IngressRule[] = shape.list(spec.rules, ['spec', 'rules']).map((value, i) => {
    const path: FieldPath = ['spec', 'rules', i];
    const rawRule = shape.object(value, path);
    const rule: IngressRule = {};
    const host = shape.optionalString(rawRule.host, [...path, 'host']);
    if (host !== undefined && host !== '') rule.host = host;
    if (rawRule.http !== undefined && rawRule.http !== null) {
      const http = shape.object(rawRule.http, [...path, 'http']);
      const paths: HTTPIngressPath[] = shape.list(http.paths, [...path, 'http', 'paths']).map((entry, j) => {
        const at: FieldPath = [...path, 'http', 'paths', j];
        const rawPath = shape.object(entry, at);
        const decoded: HTTPIngressPath = {
          path: shape.optionalString(rawPath.path, [...at, 'path']) ?? '',
          backend: decodeBackend(shape, rawPath.backend, [...at, 'backend']),
        };
        const pathType = shape.optionalString(rawPath.pathType, [...at, 'pathType']);
        if (pathType !== undefined) decoded.pathType = pathType;
        return decoded;
      });
      rule.http = { paths };
    }
    return rule;
  });
  const tls: IngressTLS[] = shape.list(spec.tls, ['spec', 'tls']).map((value, i) => {
    const rawTls = shape.object(value, ['spec', 'tls', i]);
    const hosts = shape
      .list(rawTls.hosts, ['spec', 'tls', i, 'hosts'])
      .map((host, j) => shape.optionalString(host, ['spec', 'tls', i, 'hosts', j]) ?? '');
    const secretName = shape.optionalString(rawTls.secretName, ['spec', 'tls', i, 'secretName']);
    return secretName !== undefined && secretName !== '' ? { hosts, secretName } : { hosts };
  });
  const ingress: Ingress = { kind: 'Ingress', metadata, spec: { rules, tls: shared(tls) }, status: { loadBalancer: { ingress: [] } } };
  const className = shape.optionalString(spec.ingressClassName, ['spec', 'ingressClassName']);
  if (className !== undefined && className !== '') ingress.spec.ingressClassName = className;
  if (spec.defaultBackend !== undefined && spec.defaultBackend !== null) {
    ingress.spec.defaultBackend = decodeBackend(shape, spec.defaultBackend, ['spec', 'defaultBackend']);
  }
  // Status is read, never trusted for routing; status/ uses it to avoid needless writes.
  const status = shape.isObject(raw.status) ? raw.status : {};
  const lb = shape.isObject(status.loadBalancer) ? status.loadBalancer : {};
  const addresses: { ip?: string; hostname?: string }[] = [];
  if (Array.isArray(lb.ingress)) {
    for (const entry of lb.ingress) {
      if (!shape.isObject(entry)) continue;
      const item: { ip?: string; hostname?: string } = {};
      if (typeof entry.ip === 'string') item.ip = entry.ip;
      if (typeof entry.hostname === 'string') item.hostname = entry.hostname;
      addresses.push(item);
    }
  }
  ingress.status = addresses.length === 0 ? EMPTY_STATUS : { loadBalancer: { ingress: addresses } };
  return ingress;
}

function decodeService(shape: Shape, raw: JsonObject, metadata: ObjectMeta): Service {
  const spec = shape.object(raw.spec, ['spec']);
  const ports = shape.list(spec.ports, ['spec', 'ports']).map((value, i) => {
    const at: FieldPath = ['spec', 'ports', i];
    const port = shape.object(value, at);
    let targetPort: number | string | undefined;
    if (typeof port.targetPort === 'number' || typeof port.targetPort === 'string') targetPort = port.targetPort;
    else if (port.targetPort !== undefined && port.targetPort !== null) shape.fail([...at, 'targetPort'], 'must be an integer or a string');
    const appProtocol = shape.optionalString(port.appProtocol, [...at, 'appProtocol']);
    return {
      name: shape.optionalString(port.name, [...at, 'name']) ?? '',
      port: shape.optionalInteger(port.port, [...at, 'port']) ?? 0,
      protocol: shape.optionalString(port.protocol, [...at, 'protocol']) ?? 'TCP',
      ...(targetPort !== undefined ? { targetPort } : {}),
      ...(appProtocol !== undefined ? { appProtocol } : {}),
    };
  });
  const externalName = shape.optionalString(spec.externalName, ['spec', 'externalName']);
  // Kept only when it is an address HAProxy can be given: `None` (headless) and '' mean no ClusterIP.
  const rawClusterIP = shape.optionalString(spec.clusterIP, ['spec', 'clusterIP']);
  const clusterIP = rawClusterIP !== undefined && isIP(rawClusterIP) !== 0 && !rawClusterIP.includes('%') ? rawClusterIP : undefined;
  return {
    kind: 'Service',
    metadata,
    spec: {
      type: shape.optionalString(spec.type, ['spec', 'type']) ?? 'ClusterIP',
      ports,
      ...(externalName !== undefined ? { externalName } : {}),
      ...(clusterIP !== undefined ? { clusterIP } : {}),
    },
  };
}

function decodeEndpointSlice(shape: Shape, raw: JsonObject, metadata: ObjectMeta): EndpointSlice {
  const endpoints = shape.list(raw.endpoints, ['endpoints']).map((value, i) => {
    const endpoint = shape.object(value, ['endpoints', i]);
    const addresses = shape
      .list(endpoint.addresses, ['endpoints', i, 'addresses'])
      .map((address, j) => shape.optionalString(address, ['endpoints', i, 'addresses', j]) ?? '');
    const conditions = shape.object(endpoint.conditions, ['endpoints', i, 'conditions']);
    const ready = shape.optionalBoolean(conditions.ready, ['endpoints', i, 'conditions', 'ready']);
    return ready === undefined ? { addresses } : { addresses, ready };
  });
  const ports = shape.list(raw.ports, ['ports']).map((value, i) => {
    const port = shape.object(value, ['ports', i]);
    const number = shape.optionalInteger(port.port, ['ports', i, 'port']);
    return {
      name: shape.optionalString(port.name, ['ports', i, 'name']) ?? '',
      protocol: shape.optionalString(port.protocol, ['ports', i, 'protocol']) ?? 'TCP',
      ...(number !== undefined ? { port: number } : {}),
    };
  });
  return {
    kind: 'EndpointSlice',
    metadata,
    addressType: shape.requiredString(raw.addressType, ['addressType']),
    endpoints,
    ports,
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeSecret(shape: Shape, raw: JsonObject, metadata: ObjectMeta): Secret {
  const ca = secretCa(raw);
  if ((raw.type ?? 'Opaque') !== TLS_SECRET_TYPE) {
    const auth = secretAuth(raw);
    return { kind: 'Secret', metadata, type: typeof raw.type === 'string' ? raw.type : 'Opaque', tls: {}, ...(auth ? { auth } : {}), ...(ca ? { ca } : {}) };
  }
  const data = shape.stringMap(raw.data, ['data']);
  const stringData = shape.stringMap(raw.stringData, ['stringData']);
  const tls: { crt?: string; key?: string } = {};
  for (const [key, field] of [['tls.crt', 'crt'], ['tls.key', 'key']] as const) {
    // As on the API server, stringData wins over data for the same key.
    if (stringData[key] !== undefined) {
      tls[field] = stringData[key];
    } else if (data[key] !== undefined) {
      const compact = data[key].replace(/\s+/g, '');
      if (!BASE64.test(compact) || compact.length % 4 !== 0) {
        shape.fail(['data', key], 'must be base64-encoded');
      } else {
        tls[field] = Buffer.from(compact, 'base64').toString('utf8');
      }
    } else {
      shape.fail(['data', key], `Required value: a Secret of type ${TLS_SECRET_TYPE} must hold ${key}`);
    }
  }
  return { kind: 'Secret', metadata, type: TLS_SECRET_TYPE, tls, ...(ca ? { ca } : {}) };
}

function decodeConfigMap(shape: Shape, raw: JsonObject, metadata: ObjectMeta): ConfigMap {
  // binaryData is never read: ingress-nginx reads string keys only.
  return { kind: 'ConfigMap', metadata, data: shared(shape.stringMap(raw.data, ['data'])) };
}

/** Values longer than this are never a user's hash: left out of auth-map parsing unread. */
const MAX_AUTH_VALUE = 4096;
/** An htpasswd file longer than this is refused (MAX_USERS lines of a bcrypt hash fit). */
const MAX_AUTH_FILE = 1024 * 1024;

/** The text of each key of a Secret (stringData wins over data, as on the API server), or a problem for a key that is not base64. */
function secretValues(raw: JsonObject, limit: number, only?: string): Map<string, string | { problem: string }> {
  const values = new Map<string, string | { problem: string }>();
  const data = typeof raw.data === 'object' && raw.data !== null && !Array.isArray(raw.data) ? (raw.data as JsonObject) : {};
  const stringData = typeof raw.stringData === 'object' && raw.stringData !== null && !Array.isArray(raw.stringData) ? (raw.stringData as JsonObject) : {};
  for (const [key, value] of Object.entries(data)) {
    if (only !== undefined && key !== only) continue;
    if (typeof value !== 'string' || value.length > (limit * 4) / 3 + 8) {
      values.set(key, { problem: typeof value === 'string' ? 'is too long' : 'must be a string' });
      continue;
    }
    const compact = value.replace(/\s+/g, '');
    values.set(key, BASE64.test(compact) && compact.length % 4 === 0 ? Buffer.from(compact, 'base64').toString('utf8') : { problem: 'must be base64-encoded' });
  }
  for (const [key, value] of Object.entries(stringData)) {
    if (only !== undefined && key !== only) continue;
    values.set(key, typeof value === 'string' && value.length <= limit ? value : { problem: typeof value === 'string' ? 'is too long' : 'must be a string' });
  }
  return values;
}

/** A CA bundle or revocation list longer than this is refused (the most a Secret holds). */
const MAX_CA_TEXT = 1024 * 1024;

/**
 * Keys `ca.crt` and `ca.crl` of a Secret of any type, as text (an
 * auth-tls-secret names such a Secret; translate checks the PEM); undefined
 * when it has no `ca.crt`. No other key is read.
 */
export function secretCa(raw: JsonObject): SecretCa | undefined {
  const crt = secretValues(raw, MAX_CA_TEXT, 'ca.crt').get('ca.crt');
  if (crt === undefined) return undefined;
  const crl = secretValues(raw, MAX_CA_TEXT, 'ca.crl').get('ca.crl');
  const ca: SecretCa = {};
  if (typeof crt === 'string') ca.crt = crt;
  else ca.problem = `key ca.crt ${crt.problem}`;
  if (typeof crl === 'string') ca.crl = crl;
  else if (crl !== undefined) ca.problem ??= `key ca.crl ${crl.problem}`;
  return ca;
}

/**
 * The basic-auth credentials a Secret that is not a TLS Secret holds, both
 * ways ingress-nginx may read it; undefined when it holds none (no `auth`
 * key and no value shaped like a password hash), and such a Secret is not
 * kept at all. Nothing but user names and hashes is returned.
 */
export function secretAuth(raw: JsonObject): SecretAuth | undefined {
  const fileValue = secretValues(raw, MAX_AUTH_FILE, 'auth').get('auth');
  const file: AuthUsers | undefined =
    fileValue === undefined ? undefined : typeof fileValue === 'string' ? parseHtpasswd(fileValue) : { problem: `key auth ${fileValue.problem}` };
  const entries: Record<string, string> = {};
  let hashes = 0;
  let problem: string | undefined;
  for (const [key, value] of secretValues(raw, MAX_AUTH_VALUE)) {
    if (typeof value !== 'string') {
      problem ??= `key ${JSON.stringify(key.slice(0, 64))} ${value.problem}`;
      continue;
    }
    if (hashKind(value.trim()) !== undefined) hashes += 1;
    entries[key] = value;
  }
  if (file === undefined && hashes === 0) return undefined;
  return { ...(file ? { file } : {}), map: problem !== undefined ? { problem } : parseAuthMap(entries) };
}
