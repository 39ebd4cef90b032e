// custom-headers: `namespace/name` (or `name`) of a ConfigMap whose data are
// response headers set on every answer of the Ingress's paths, as
// ingress-nginx's `more_set_headers`. Each header name must be listed in the
// ingress-nginx ConfigMap's global-allowed-response-headers; the ConfigMap
// must be in the Ingress's namespace (ingress-nginx's
// allow-cross-namespace-resources is false by default). Anything wrong
// denies the paths (503), as ingress-nginx does. The ConfigMap itself is
// joined by translate/custom-headers.ts.

import { namespaceName, objectName } from '../../objects/grammar.js';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

export interface CustomHeadersSpec {
  namespace: string;
  name: string;
  /** global-allowed-response-headers, lowercase. */
  allowed: readonly string[];
}

export function customHeadersOf(values: AnnotationValues, namespace: string, allowed: readonly string[]): CustomHeadersSpec | undefined {
  const value = values.string('custom-headers');
  if (value === undefined) return undefined;
  const closed = { failClosed: true };
  const parts = value.split('/');
  const [mapNamespace, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [namespace, parts[0]!];
  if (parts.length > 2 || namespaceName(mapNamespace).length > 0 || objectName(name).length > 0) {
    return values.problem('custom-headers', 'must be a ConfigMap name, or namespace/name', closed);
  }
  if (mapNamespace !== namespace) return values.problem('custom-headers', `the ConfigMap must be in the Ingress's namespace (${namespace}), as ingress-nginx requires by default`, closed);
  return { namespace: mapNamespace, name, allowed };
}

export const customHeaders: AnnotationGroup = {
  annotations: {
    'custom-headers': { status: 'supported' },
  },
  read(values, _features, settings, owner) {
    // Checked here for the problem; the spec is taken again by annotations/index.ts.
    customHeadersOf(values, owner.namespace, settings.allowedResponseHeaders ?? []);
  },
};
