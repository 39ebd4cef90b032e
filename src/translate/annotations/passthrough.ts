// ssl-passthrough: TLS to the Ingress's hosts is not ended by Portero but
// passed, by SNI, to the pods of the Service, as ingress-nginx does with
// --enable-ssl-passthrough. All other annotations of the Ingress are then
// ignored on port 443, as in ingress-nginx; plain HTTP is routed as usual.
// routes.ts decides the hosts (the oldest Ingress wins a host).

import type { AnnotationGroup } from './group.js';

export const passthrough: AnnotationGroup = {
  annotations: {
    'ssl-passthrough': { status: 'supported' },
  },
  read(values) {
    values.bool('ssl-passthrough');
  },
};
