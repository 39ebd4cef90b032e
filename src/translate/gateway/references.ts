// Cross-namespace permissions (ReferenceGrant) and namespace selection
// (a listener's allowedRoutes.namespaces).
//
// A ReferenceGrant lives in the namespace of the object referred to; `from`
// names the referring kind and namespace, `to` the referred kind and,
// optionally, name (apis/v1 referencegrant_types.go). Groups are compared as
// written: '' is the core group (Service, Secret).

import type { LabelSelector, Namespace, ReferenceGrant } from '../../objects/gateway-types.js';

export interface ReferenceFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface ReferenceTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export class ReferenceGrants {
  private readonly byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const grant of grants) {
      const list = this.byNamespace.get(grant.metadata.namespace);
      if (list) list.push(grant);
      else this.byNamespace.set(grant.metadata.namespace, [grant]);
    }
  }

  /** Whether a reference from `from` to `to` is allowed: same namespace, or a grant in `to.namespace` allows it. */
  permits(from: ReferenceFrom, to: ReferenceTo): boolean {
    if (from.namespace === to.namespace) return true;
    for (const grant of this.byNamespace.get(to.namespace) ?? []) {
      const fromMatches = grant.spec.from.some((entry) => entry.group === from.group && entry.kind === from.kind && entry.namespace === from.namespace);
      if (!fromMatches) continue;
      if (grant.spec.to.some((entry) => entry.group === to.group && entry.kind === to.kind && (entry.name === undefined || entry.name === '' || entry.name === to.name))) {
        return true;
      }
    }
    return false;
  }
}

/** The label every Namespace carries (since Kubernetes 1.22): its own name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The labels of a namespace for selectors. `kubernetes.io/metadata.name` is
 * implied when missing (the API server always sets it); a namespace without a
 * Namespace object (a directory of manifests that does not declare it) has
 * that label only.
 */
export function namespaceLabels(name: string, namespace: Namespace | undefined): Readonly<Record<string, string>> {
  const labels = namespace?.metadata.labels ?? {};
  return labels[NAMESPACE_NAME_LABEL] === name ? labels : { ...labels, [NAMESPACE_NAME_LABEL]: name };
}

/** `metav1.LabelSelector` semantics: every matchLabels entry and every expression must hold; an empty selector selects everything. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions) {
    const present = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const value = present ? labels[expression.key] : undefined;
    switch (expression.operator) {
      case 'In':
        if (value === undefined || !expression.values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && expression.values.includes(value)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        // An operator the API does not define selects nothing.
        return false;
    }
  }
  return true;
}
