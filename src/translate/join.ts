// Joining another object (a Secret, a ConfigMap) named by an annotation into
// the options of the Ingresses that name it: basic auth's users
// (auth.ts), custom-headers' ConfigMap (custom-headers.ts). A missing or
// unusable object denies the Ingress's paths (503) with a warning naming
// the annotation, as ingress-nginx's "location denied".
//
// Annotations are read once per Ingress object (annotations/index.ts); the
// named object is another object, so it is joined here, per translation, into
// options that are the very same objects while neither the Ingress nor that
// object changes. Routing (routes.ts), which remembers its results by those
// identities, then redoes nothing for an unrelated change. Pure.

import type { Features } from '../model/features.js';
import { keyOf, refOf, type Ingress } from '../objects/types.js';
import { annotationField, type AnnotationSettings, type IngressAnnotations } from './annotations/index.js';
import type { Diagnostic } from './diagnostics.js';
import type { OptionsOf } from './routes.js';

/** `objects` by namespace/name, built once per list (the lookup of most joiners). */
export const byNamespacedName: <T extends { metadata: { namespace: string; name: string } }>(objects: readonly T[]) => ReadonlyMap<string, T> = (() => {
  const indexes = new WeakMap<readonly object[], Map<string, unknown>>();
  return <T extends { metadata: { namespace: string; name: string } }>(objects: readonly T[]) => {
    let index = indexes.get(objects);
    if (!index) indexes.set(objects, (index = new Map(objects.map((object) => [keyOf(object.metadata.namespace, object.metadata.name), object]))));
    return index as ReadonlyMap<string, T>;
  };
})();

export interface Joiner<Spec, Named> {
  /** The annotation diagnostics name. */
  annotation: string;
  /** What the Ingress's annotations ask to join, if anything. */
  specOf(options: IngressAnnotations): Spec | undefined;
  /** The object the spec names, among the objects of this translation. */
  lookup(spec: Spec, objects: readonly Named[]): Named | undefined;
  /** The Ingress's features with the object joined in, or why the paths are denied. */
  join(features: Features, spec: Spec, named: Named | undefined): { features: Features } | { problem: string };
}

export interface JoinResult {
  optionsOf: OptionsOf;
  diagnostics: Diagnostic[];
}

interface Resolved {
  named: unknown;
  options: IngressAnnotations;
  problem?: string;
}

/**
 * `optionsOf` with `joiner`'s object joined into each Ingress that asks. The
 * same function while the Ingresses, their options and `objects` (the list the
 * joiner looks up in) are the same; `optionsOf` itself when no Ingress asks.
 */
export function makeJoin<Spec, Named>(joiner: Joiner<Spec, Named>): (optionsOf: OptionsOf, ingresses: readonly Ingress[], objects: readonly Named[], settings: AnnotationSettings) => JoinResult {
  // Per annotations object (itself remembered per Ingress): the object it was joined with and the result.
  const resolvedOptions = new WeakMap<IngressAnnotations, Resolved>();
  const remembered = new WeakMap<OptionsOf, { ingresses: readonly Ingress[]; objects: readonly Named[]; settings: AnnotationSettings; result: JoinResult }>();

  function resolve(options: IngressAnnotations, spec: Spec, objects: readonly Named[]): Resolved {
    const named = joiner.lookup(spec, objects);
    const memo = resolvedOptions.get(options);
    if (memo && memo.named === named) return memo;
    const joined = joiner.join(options.features ?? {}, spec, named);
    const resolved: Resolved =
      'problem' in joined
        ? { named, options: { ...options, features: { ...options.features, denied: true } }, problem: joined.problem }
        : { named, options: { ...options, features: joined.features } };
    resolvedOptions.set(options, resolved);
    return resolved;
  }

  return (optionsOf, ingresses, objects, settings) => {
    const memo = remembered.get(optionsOf);
    if (memo && memo.ingresses === ingresses && memo.objects === objects && memo.settings === settings) return memo.result;
    const asking = ingresses.filter((ingress) => joiner.specOf(optionsOf(ingress)) !== undefined);
    let result: JoinResult;
    if (asking.length === 0) {
      result = { optionsOf, diagnostics: [] };
    } else {
      const joined = new Map<Ingress, IngressAnnotations>();
      const diagnostics: Diagnostic[] = [];
      for (const ingress of asking) {
        const options = optionsOf(ingress);
        const resolved = resolve(options, joiner.specOf(options)!, objects);
        joined.set(ingress, resolved.options);
        if (resolved.problem !== undefined) {
          diagnostics.push({ severity: 'warning', object: refOf(ingress), field: annotationField(settings, joiner.annotation), message: `${resolved.problem}; its paths answer 503 until this is fixed` });
        }
      }
      result = { optionsOf: (ingress) => joined.get(ingress) ?? optionsOf(ingress), diagnostics };
    }
    remembered.set(optionsOf, { ingresses, objects, settings, result });
    return result;
  };
}
