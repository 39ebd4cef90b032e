// default-backend: a Service of the Ingress's namespace that answers when
// the Ingress's own Service has no ready endpoint, as ingress-nginx does.
// Its endpoints become backup servers of the route's backend (HAProxy uses
// backup servers only while no other server is up); backends.ts resolves
// them, on the Service's first port as ingress-nginx does.

import type { Features } from '../../model/features.js';
import { resolveTarget, type Resolution, type ServiceIndex } from '../backends.js';
import type { AnnotationGroup } from './group.js';

const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const defaultBackend: AnnotationGroup = {
  annotations: {
    'default-backend': { status: 'supported' },
  },
  read(values, features) {
    const name = values.string('default-backend');
    if (name === undefined) return;
    if (!SERVICE_NAME.test(name)) {
      values.problem('default-backend', 'must be the name of a Service in the namespace of the Ingress');
      return;
    }
    features.defaultBackend = { service: name };
  },
};

/**
 * The resolution of a path whose own Service cannot be used (it does not
 * exist, is of type ExternalName, lacks the port): with a default-backend,
 * the path goes to that Service's first port, as ingress-nginx sends a
 * location without endpoints to it. `base` itself otherwise. The problem is
 * kept (a warning), saying where requests go instead.
 */
export function missingServiceFallback(services: ServiceIndex, namespace: string, base: Resolution, features: Features | undefined, field: string): Resolution {
  const name = features?.defaultBackend?.service;
  if (base.spec || name === undefined) return base;
  const port = services.get(namespace)?.get(name)?.spec.ports[0];
  if (!port) return base;
  const fallback = resolveTarget(services, namespace, { service: { name, port: { number: port.port } } }, field);
  if (!fallback.spec) return base;
  const instead = `requests go to the default-backend Service ${namespace}/${name}`;
  return { ...fallback, ...(base.problem ? { problem: { field: base.problem.field, message: base.problem.message.replace('requests answer 503', instead) } } : {}) };
}
