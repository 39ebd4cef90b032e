// The checks the Kubernetes API server applies when an object is created
// (k8s.io/kubernetes pkg/apis/networking/validation and core/validation),
// restricted to the fields Portero reads. Objects that reach Portero from a
// real API server always pass them; objects from manifest files may not, and
// are then refused exactly as `kubectl apply` would refuse them.

import { BlockList, isIP } from 'node:net';
import { collect, type FieldError, type FieldPath } from './field-errors.js';
import * as grammar from './grammar.js';
import { INGRESS_CLASS_ANNOTATION, type EndpointSlice, type Ingress, type IngressBackend, type IngressClass, type Service } from './types.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

export function validateBackend(backend: IngressBackend, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const { service, resource } = backend;
  if (service && resource) {
    errors.push({ path, message: 'Invalid value: cannot set both resource and service backends' });
    return errors;
  }
  if (resource) {
    if (resource.apiGroup !== undefined) collect(errors, [...path, 'resource', 'apiGroup'], resource.apiGroup, grammar.dns1123Subdomain(resource.apiGroup));
    if (resource.kind === '') errors.push({ path: [...path, 'resource', 'kind'], message: 'Required value' });
    if (resource.name === '') errors.push({ path: [...path, 'resource', 'name'], message: 'Required value' });
    return errors;
  }
  if (!service) {
    errors.push({ path, message: 'Invalid value: resource or service backend is required' });
    return errors;
  }
  if (service.name === '') errors.push({ path: [...path, 'service', 'name'], message: 'Required value' });
  else collect(errors, [...path, 'service', 'name'], service.name, grammar.serviceName(service.name));
  const { name, number } = service.port;
  if (name !== undefined && number !== undefined) {
    errors.push({ path: [...path, 'service', 'port'], message: 'Invalid value: cannot set both port name & port number' });
  } else if (name !== undefined) {
    collect(errors, [...path, 'service', 'port', 'name'], name, grammar.portName(name));
  } else if (number !== undefined) {
    collect(errors, [...path, 'service', 'port', 'number'], number, grammar.portNumber(number));
  } else {
    errors.push({ path: [...path, 'service', 'port'], message: 'Required value: port name or number is required' });
  }
  return errors;
}

function validateIngressPath(path: string, pathType: string | undefined, at: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (pathType === undefined) return [{ path: [...at, 'pathType'], message: 'Required value: pathType must be specified' }];
  if (!PATH_TYPES.includes(pathType)) {
    return [{ path: [...at, 'pathType'], message: `Unsupported value: ${JSON.stringify(pathType)}: supported values: "Exact", "ImplementationSpecific", "Prefix"` }];
  }
  if (pathType === 'ImplementationSpecific') {
    if (path !== '' && !path.startsWith('/')) errors.push({ path: [...at, 'path'], message: `Invalid value: ${JSON.stringify(path)}: must be an absolute path` });
    return errors;
  }
  if (!path.startsWith('/')) errors.push({ path: [...at, 'path'], message: `Invalid value: ${JSON.stringify(path)}: must be an absolute path` });
  for (const sequence of INVALID_PATH_SEQUENCES) {
    if (path.includes(sequence)) errors.push({ path: [...at, 'path'], message: `Invalid value: ${JSON.stringify(path)}: must not contain '${sequence}'` });
  }
  for (const suffix of INVALID_PATH_SUFFIXES) {
    if (path.endsWith(suffix)) errors.push({ path: [...at, 'path'], message: `Invalid value: ${JSON.stringify(path)}: cannot end with '${suffix}'` });
  }
  return errors;
}

export function validateIngress(ingress: Ingress): FieldError[] {
  const errors: FieldError[] = [];
  const { spec } = ingress;
  if (spec.rules.length === 0 && spec.defaultBackend === undefined) {
    errors.push({ path: ['spec'], message: 'Invalid value: either `defaultBackend` or `rules` must be specified' });
  }
  if (spec.defaultBackend) errors.push(...validateBackend(spec.defaultBackend, ['spec', 'defaultBackend']));
  spec.rules.forEach((rule, i) => {
    const at: FieldPath = ['spec', 'rules', i];
    if (rule.host !== undefined) collect(errors, [...at, 'host'], rule.host, grammar.ingressHost(rule.host));
    if (rule.http) {
      if (rule.http.paths.length === 0) errors.push({ path: [...at, 'http', 'paths'], message: 'Required value' });
      rule.http.paths.forEach((entry, j) => {
        const pathAt: FieldPath = [...at, 'http', 'paths', j];
        errors.push(...validateIngressPath(entry.path, entry.pathType, pathAt));
        errors.push(...validateBackend(entry.backend, [...pathAt, 'backend']));
      });
    }
  });
  spec.tls.forEach((tls, i) => {
    tls.hosts.forEach((host, j) => collect(errors, ['spec', 'tls', i, 'hosts', j], host, grammar.ingressHost(host)));
    if (tls.secretName !== undefined) collect(errors, ['spec', 'tls', i, 'secretName'], tls.secretName, grammar.objectName(tls.secretName));
  });
  if (spec.ingressClassName !== undefined) {
    collect(errors, ['spec', 'ingressClassName'], spec.ingressClassName, grammar.objectName(spec.ingressClassName));
    const annotation = ingress.metadata.annotations[INGRESS_CLASS_ANNOTATION];
    if (annotation !== undefined && annotation !== spec.ingressClassName) {
      errors.push({
        path: ['metadata', 'annotations', INGRESS_CLASS_ANNOTATION],
        message: `Invalid value: ${JSON.stringify(annotation)}: must match \`ingressClassName\` when both are specified`,
      });
    }
  }
  return errors;
}

export function validateIngressClass(ingressClass: IngressClass): FieldError[] {
  const errors: FieldError[] = [];
  if (ingressClass.spec.controller === '') errors.push({ path: ['spec', 'controller'], message: 'Required value' });
  else collect(errors, ['spec', 'controller'], ingressClass.spec.controller, grammar.domainPrefixedPath(ingressClass.spec.controller));
  return errors;
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export function validateService(service: Service): FieldError[] {
  const errors: FieldError[] = [];
  const { spec } = service;
  if (!SERVICE_TYPES.includes(spec.type)) {
    errors.push({ path: ['spec', 'type'], message: `Unsupported value: ${JSON.stringify(spec.type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"` });
  }
  if (spec.type !== 'ExternalName' && spec.ports.length === 0) errors.push({ path: ['spec', 'ports'], message: 'Required value' });
  const names = new Set<string>();
  spec.ports.forEach((port, i) => {
    const at: FieldPath = ['spec', 'ports', i];
    if (spec.ports.length > 1 && port.name === '') errors.push({ path: [...at, 'name'], message: 'Required value' });
    if (port.name !== '') {
      collect(errors, [...at, 'name'], port.name, grammar.dns1123Label(port.name));
      if (names.has(port.name)) errors.push({ path: [...at, 'name'], message: `Duplicate value: ${JSON.stringify(port.name)}` });
      names.add(port.name);
    }
    collect(errors, [...at, 'port'], port.port, grammar.portNumber(port.port));
    if (typeof port.targetPort === 'number' && port.targetPort !== 0) {
      collect(errors, [...at, 'targetPort'], port.targetPort, grammar.portNumber(port.targetPort));
    } else if (typeof port.targetPort === 'string') {
      collect(errors, [...at, 'targetPort'], port.targetPort, grammar.portName(port.targetPort));
    }
    if (port.appProtocol !== undefined) collect(errors, [...at, 'appProtocol'], port.appProtocol, grammar.qualifiedName(port.appProtocol));
  });
  return errors;
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];

type Subnets = readonly (readonly [BlockList, string])[];

/** One BlockList per refused range, so a refusal can say which range. */
function subnets(entries: readonly [string, number, string][]): Subnets {
  return entries.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, 'ipv6');
    return [list, reason] as const;
  });
}

// The addresses the API server's ValidateNonSpecialIP refuses for endpoints
// (k8s.io/kubernetes pkg/apis/core/validation), plus all multicast and
// IPv4-mapped IPv6, which cannot be a pod either. Loopback is separate: the
// manifest source may allow it.
const SPECIAL_V6 = subnets([
  ['::', 128, 'may not be unspecified (::)'],
  ['::ffff:0:0', 96, 'may not be an IPv4-mapped IPv6 address (::ffff:0:0/96)'],
  ['fe80::', 10, 'may not be in the link-local range (fe80::/10)'],
  ['ff00::', 8, 'may not be a multicast address (ff00::/8)'],
]);

/**
 * Why a valid IPv4 address is refused, or undefined. Checked by hand rather
 * than with BlockList, whose check costs tens of microseconds per address:
 * 10,000 EndpointSlices took 0.3 s of start-up.
 */
function specialIPv4(address: string): string | undefined {
  const dot = address.indexOf('.');
  const first = Number(address.slice(0, dot));
  if (address === '0.0.0.0') return 'may not be unspecified (0.0.0.0)';
  if (first === 169 && address.startsWith('169.254.')) return 'may not be in the link-local range (169.254.0.0/16)';
  if (first >= 224 && first <= 239) return 'may not be a multicast address (224.0.0.0/4)';
  return undefined;
}

/** Why a valid IPv6 address is refused, or undefined. */
function specialIPv6(address: string): string | undefined {
  // net.isIP accepts a zone (`fe80::1%lo`), which no pod address has and no
  // HAProxy server name may hold.
  if (address.includes('%')) return 'may not have a zone index (%)';
  return SPECIAL_V6.find(([list]) => list.check(address, 'ipv6'))?.[1];
}

/**
 * The API server's checks of EndpointSlices (ValidateNonSpecialIP included),
 * except that loopback addresses are accepted: manifests mode is for local
 * use, where backends listen on loopback, and in Kubernetes mode the API
 * server has refused them already, so none can arrive there.
 */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errors: FieldError[] = [];
  if (!ADDRESS_TYPES.includes(slice.addressType)) {
    errors.push({ path: ['addressType'], message: `Unsupported value: ${JSON.stringify(slice.addressType)}: supported values: "FQDN", "IPv4", "IPv6"` });
  }
  if (slice.endpoints.length > 1000) errors.push({ path: ['endpoints'], message: 'Too many: must have at most 1000 items' });
  slice.endpoints.forEach((endpoint, i) => {
    if (endpoint.addresses.length === 0) errors.push({ path: ['endpoints', i, 'addresses'], message: 'Required value: must contain at least 1 address' });
    endpoint.addresses.forEach((address, j) => {
      const at: FieldPath = ['endpoints', i, 'addresses', j];
      const family = slice.addressType === 'IPv4' ? 4 : slice.addressType === 'IPv6' ? 6 : undefined;
      if (family !== undefined) {
        const special = isIP(address) !== family ? `must be a valid IPv${family} address` : family === 4 ? specialIPv4(address) : specialIPv6(address);
        if (special !== undefined) errors.push({ path: at, message: `Invalid value: ${JSON.stringify(address)}: ${special}` });
      }
      if (slice.addressType === 'FQDN') collect(errors, at, address, grammar.dns1123Subdomain(address));
    });
  });
  if (slice.ports.length > 20000) errors.push({ path: ['ports'], message: 'Too many: must have at most 20000 items' });
  slice.ports.forEach((port, i) => {
    if (port.name !== '') collect(errors, ['ports', i, 'name'], port.name, grammar.dns1123Label(port.name));
    if (port.port !== undefined) collect(errors, ['ports', i, 'port'], port.port, grammar.portNumber(port.port));
  });
  return errors;
}
