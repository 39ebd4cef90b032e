// IngressClass selection: decides which Ingresses Portero serves.
//
// An Ingress is ours when its `spec.ingressClassName` names one of our classes,
// or (deprecated) its `kubernetes.io/ingress.class` annotation does, or when it
// names no class at all and either one of our IngressClasses is marked default
// or `--watch-ingress-without-class` is set. Our classes are the IngressClass
// objects whose `spec.controller` is our controller class, plus the
// `--ingress-class` name itself unless an IngressClass of that name belongs to
// another controller (with `--ingress-class-by-name`, as in ingress-nginx, the
// name is ours whatever controller its IngressClass names).

import type { LabelSelector } from '../objects/gateway-types.js';
import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS_ANNOTATION, type Ingress, type IngressClass } from '../objects/types.js';

export interface ClassOptions {
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  /** `--ingress-class-by-name`: the `--ingress-class` name is ours even when its IngressClass names another controller. */
  ingressClassByName?: boolean;
  /** `--disable-catch-all`: an Ingress with a spec.defaultBackend and no rules is not served, and no Ingress's default backend answers other hosts, as in ingress-nginx. */
  disableCatchAll?: boolean;
  /** `--watch-namespace-selector`: only Ingresses of the namespaces whose labels it selects are served, as in ingress-nginx. */
  namespaceSelector?: LabelSelector;
}

export interface ClassSelection {
  names: ReadonlySet<string>;
  /** True when an IngressClass of ours carries the default-class annotation. */
  isDefault: boolean;
}

export function selectClasses(classes: readonly IngressClass[], options: ClassOptions): ClassSelection {
  const names = new Set<string>();
  let isDefault = false;
  let flagNameTaken = false;
  for (const ingressClass of classes) {
    if (ingressClass.spec.controller === options.controllerClass) {
      names.add(ingressClass.metadata.name);
      if (ingressClass.metadata.annotations[DEFAULT_CLASS_ANNOTATION] === 'true') isDefault = true;
    } else if (ingressClass.metadata.name === options.ingressClass) {
      flagNameTaken = true;
    }
  }
  if (!flagNameTaken || options.ingressClassByName === true) names.add(options.ingressClass);
  return { names, isDefault };
}

export function isOurs(ingress: Ingress, selection: ClassSelection, options: ClassOptions): boolean {
  const className = ingress.spec.ingressClassName;
  if (className !== undefined) return selection.names.has(className);
  const annotation = ingress.metadata.annotations[INGRESS_CLASS_ANNOTATION];
  if (annotation !== undefined && annotation !== '') return selection.names.has(annotation);
  return selection.isDefault || options.watchIngressWithoutClass;
}
