// RequestMirror (HTTPRoute rules): the rule's requests are copied to the
// filter's backendRef, fire and forget (model/features.ts Mirror; the data
// plane in dataplane/haproxy/features/mirror.ts). Pure.
//
// The backendRef was resolved as backendRefs are (route-rules.ts: grants,
// kind, port); an invalid one sends no copy, and the route's ResolvedRefs
// condition says why. `percent` and `fraction` become a fraction of the
// requests; 0 sends no copy. The copy keeps the request's Host, path and
// query (after the rule's header filters and rewrites) and its body (when
// whole in the request buffer: features/mirror-lua.ts).

import type { Mirror } from '../../model/features.js';
import type { HTTPRouteFilter } from '../../objects/gateway-types.js';
import type { BackendResolution } from './types.js';

/** The mirror a RequestMirror filter asks for; undefined when no copy is sent (an invalid backendRef, a share of 0). */
export function mirrorOf(filter: NonNullable<HTTPRouteFilter['requestMirror']>, backend: BackendResolution): Mirror | undefined {
  if (!backend.ok) return undefined;
  const fraction = filter.fraction ?? (filter.percent !== undefined ? { numerator: filter.percent, denominator: 100 } : undefined);
  if (fraction && fraction.numerator <= 0) return undefined;
  const some = fraction !== undefined && fraction.numerator < fraction.denominator;
  return {
    target: { kind: 'service', namespace: backend.namespace, name: backend.name, port: backend.servicePort.port },
    body: true,
    ...(some ? { fraction: { numerator: fraction.numerator, denominator: fraction.denominator } } : {}),
  };
}
