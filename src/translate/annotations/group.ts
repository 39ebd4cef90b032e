// What an annotation group is: the annotations it reads, how Portero supports
// each (for `portero migrate` and docs/annotations.md), and how it turns their
// values into features. Each group lives in a module of its own; index.ts
// lists them.

import type { Features } from '../../model/features.js';
import type { AnnotationValues } from './values.js';

export type SupportStatus = 'supported' | 'difference' | 'ignored';

export interface AnnotationSupport {
  status: SupportStatus;
  /** For `difference` and `ignored`: what differs from ingress-nginx, in one sentence. */
  note?: string;
  /** An Ingress that carries it gets a warning with the note (an annotation whose effect is missing, not merely different). */
  warn?: true;
}

/** Settings from the command line that change how annotations are read. */
export interface AnnotationSettings {
  /** `--annotations-prefix`, default `nginx.ingress.kubernetes.io`. */
  prefix: string;
  /** `--allow-snippet-annotations`: snippets are parsed (a safe subset) instead of refused. */
  allowSnippets: boolean;
  /** `--enable-ssl-passthrough`: the ssl-passthrough annotation is honoured (else ignored with a warning). */
  sslPassthrough?: boolean;
  /**
   * Values of annotations an Ingress does not set, from the ingress-nginx
   * ConfigMap (translate/configmap.ts, which checked them): the annotation
   * replaces the global value, as in ingress-nginx. Compared by identity.
   */
  defaults?: Readonly<Record<string, string>>;
  /** http-redirect-code of the ConfigMap, when not 308: the code of force-ssl-redirect. */
  redirectCode?: number;
  /**
   * The ConfigMap's global-auth-* keys as auth-* annotation values (checked
   * by translate/configmap.ts): external auth for every Ingress that sets no
   * auth-url of its own and no enable-global-auth: "false". Compared by identity.
   */
  globalAuth?: GlobalAuthDefaults;
  /** global-allowed-response-headers of the ConfigMap, lowercase: the names custom-headers may set. */
  allowedResponseHeaders?: readonly string[];
}

export interface GlobalAuthDefaults {
  /** Annotation name (auth-url, auth-signin, ...) → value. */
  values: Readonly<Record<string, string>>;
  /** no-auth-locations: an Ingress whose paths all start with one of these gets no global auth. */
  exemptPaths: readonly string[];
}

/** Features being filled in by the groups, one after another. */
export type FeaturesDraft = { -readonly [K in keyof Features]: Features[K] };

/** The Ingress whose annotations are read, for features that belong to the object (limit zones). */
export interface AnnotationOwner {
  namespace: string;
  name: string;
}

export interface AnnotationGroup {
  /** Annotation names without prefix, with their support. */
  annotations: Readonly<Record<string, AnnotationSupport>>;
  read(values: AnnotationValues, features: FeaturesDraft, settings: AnnotationSettings, owner: AnnotationOwner): void;
}
