// backendRefs of HTTPRoute and GRPCRoute rules, resolved to Service ports.
//
// httproute_types.go (HTTPBackendRef.BackendRef) lists when a reference is
// invalid, and the ResolvedRefs reason for each:
// - "an unknown or unsupported kind of resource": InvalidKind. Portero serves
//   core Services only (group '' and kind Service), and not those of type
//   ExternalName ("Implementations SHOULD NOT support ExternalName Services",
//   BackendObjectReference.Kind; CVE-2021-25740), also InvalidKind.
// - "a resource in another namespace when the reference has not been
//   explicitly allowed by a ReferenceGrant": RefNotPermitted. Checked before
//   existence, so that a route learns nothing about Services in namespaces
//   that granted it nothing.
// - "a resource that does not exist": BackendNotFound. A port the Service
//   does not have (or no port: the API's CEL rule "Must have port for Service
//   reference") leaves nothing to forward to, and is BackendNotFound too.
// - a Service port whose protocol is not TCP, or whose appProtocol Portero
//   cannot speak for this kind of route (app-protocol.ts): UnsupportedProtocol.
// The route stays Accepted; requests for an invalid reference's share of
// the weight answer 500.

import { GATEWAY_GROUP, type HTTPBackendRef } from '../../objects/gateway-types.js';
import type { Service } from '../../objects/types.js';
import { backendProtocol } from './app-protocol.js';
import { quote } from './conditions.js';
import type { ReferenceGrants } from './references.js';
import type { BackendRefReason, BackendResolution, RouteKind } from './types.js';

export interface BackendContext {
  /** Services by `namespace/name`. */
  services: ReadonlyMap<string, Service>;
  grants: ReferenceGrants;
}

function invalid(ref: HTTPBackendRef, reason: BackendRefReason, message: string): BackendResolution {
  return { ok: false, ref, weight: ref.weight, reason, message };
}

export function resolveBackendRef(kind: RouteKind, routeNamespace: string, ref: HTTPBackendRef, context: BackendContext): BackendResolution {
  if (ref.group !== '' || ref.kind !== 'Service') {
    const what = ref.group === '' ? ref.kind : `${ref.kind}.${ref.group}`;
    return invalid(ref, 'InvalidKind', `backendRef kind ${quote(what)} is not supported; Portero forwards to core Services`);
  }
  const namespace = ref.namespace ?? routeNamespace;
  const where = `${namespace}/${ref.name}`;
  const permitted = context.grants.permits({ group: GATEWAY_GROUP, kind, namespace: routeNamespace }, { group: '', kind: 'Service', namespace, name: ref.name });
  if (!permitted) {
    return invalid(ref, 'RefNotPermitted', `Service ${where} is in another namespace and no ReferenceGrant there allows ${kind}s of namespace ${routeNamespace} to use it`);
  }
  const service = context.services.get(where);
  if (!service) return invalid(ref, 'BackendNotFound', `Service ${where} not found`);
  if (service.spec.type === 'ExternalName') {
    return invalid(ref, 'InvalidKind', `Service ${where} is of type ExternalName, which Portero does not forward to`);
  }
  if (ref.port === undefined) return invalid(ref, 'BackendNotFound', `backendRef to Service ${where} sets no port`);
  const servicePort = service.spec.ports.find((port) => port.port === ref.port);
  if (!servicePort) return invalid(ref, 'BackendNotFound', `Service ${where} has no port ${ref.port}`);
  if (servicePort.protocol !== 'TCP') {
    return invalid(ref, 'UnsupportedProtocol', `Service ${where} port ${ref.port} is ${servicePort.protocol}, not TCP`);
  }
  const protocol = backendProtocol(kind, servicePort.appProtocol);
  if (!protocol.ok) return invalid(ref, 'UnsupportedProtocol', `Service ${where} port ${ref.port}: ${protocol.message}`);
  return { ok: true, ref, weight: ref.weight, namespace, name: ref.name, service, servicePort, filters: ref.filters, protocol: protocol.protocol };
}
