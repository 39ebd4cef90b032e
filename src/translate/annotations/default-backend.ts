// default-backend: a Service of the Ingress's namespace that answers when
// the Ingress's own Service has no ready endpoint, as ingress-nginx does.
// Its endpoints become backup servers of the route's backend (HAProxy uses
// backup servers only while no other server is up); backends.ts resolves
// them, on the Service's first port as ingress-nginx does.

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
