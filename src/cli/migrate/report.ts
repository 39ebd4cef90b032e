// The migration report: what `portero migrate` found, as plain data. The
// JSON output is this object as it is (docs/migrating-from-ingress-nginx.md
// documents it); the text output is rendered from it. Bump SCHEMA_VERSION
// when a field changes meaning or goes away; adding fields does not bump it.

export const SCHEMA_VERSION = 1;

/**
 * What Portero does with one annotation or ConfigMap key:
 * - `supported`: as ingress-nginx does;
 * - `difference`: applied, but not exactly as ingress-nginx does (the note says how);
 * - `ignored`: known, and has no effect (the note says why);
 * - `refused`: the value is invalid; the Ingress is not served, or its paths answer 503;
 * - `unknown`: not an annotation Portero knows; not applied.
 */
export type Status = 'supported' | 'difference' | 'ignored' | 'refused' | 'unknown';

export const STATUSES: readonly Status[] = ['supported', 'difference', 'ignored', 'refused', 'unknown'];

/** `same`: served as ingress-nginx serves it; `different`: served, with differences; `not-served`: refused as a whole. */
export type Verdict = 'same' | 'different' | 'not-served';

export interface AnnotationEntry {
  /** Name without the prefix, e.g. `rewrite-target`. */
  name: string;
  /** The annotation as written on the object, with its prefix. */
  key: string;
  value: string;
  status: Status;
  /** For `difference` and `ignored`: what differs; for `unknown`: what happens. */
  note?: string;
  /** For `refused`: what happens to the Ingress. */
  effect?: 'not-served' | 'fails-closed';
  /** For `refused`: the diagnostic, as Portero logs it and writes it into the Event. */
  message?: string;
}

export interface DiagnosticEntry {
  severity: 'error' | 'warning';
  field?: string;
  message: string;
}

export interface IngressEntry {
  namespace: string;
  name: string;
  /** How the Ingress names its class: `spec.ingressClassName`, the legacy annotation, or none. */
  class: { source: 'ingressClassName' | 'annotation' | 'none'; name?: string };
  verdict: Verdict;
  annotations: AnnotationEntry[];
  /** What translate reports about the Ingress itself (paths, backends, TLS), annotation problems excluded. */
  diagnostics: DiagnosticEntry[];
}

export interface ConfigMapKeyEntry {
  key: string;
  value: string;
  status: Exclude<Status, 'refused'>;
  note?: string;
}

export interface ConfigMapSection {
  namespace: string;
  name: string;
  found: boolean;
  keys: ConfigMapKeyEntry[];
}

export interface GlobalDifference {
  id: string;
  description: string;
  /** How many of the reported Ingresses it concerns. */
  ingresses: number;
}

export interface InputProblem {
  /** File (manifests) or API path the problem was found in. */
  source: string;
  line?: number;
  object?: string;
  field?: string;
  message: string;
}

export interface Summary {
  ingresses: { total: number; same: number; different: number; notServed: number; otherClass: number };
  annotations: Record<Status, number>;
  configMapKeys: Record<Exclude<Status, 'refused'>, number>;
}

export interface Report {
  schemaVersion: number;
  source: { manifests: string } | { kubeconfig: string };
  settings: {
    ingressClass: string;
    controllerClass: string;
    watchIngressWithoutClass: boolean;
    annotationsPrefix: string;
    allowSnippetAnnotations: boolean;
  };
  ingresses: IngressEntry[];
  globalDifferences: GlobalDifference[];
  configMap?: ConfigMapSection;
  inputProblems: InputProblem[];
  summary: Summary;
  /** The process's exit status: 0 when everything is served the same, else 1. */
  exitCode: 0 | 1;
}

/**
 * 1 when any Ingress would be served differently (or not at all), when a
 * ConfigMap key is not honoured, or when the report is incomplete (an object
 * could not be read, the ConfigMap was not found): the answer is then not a
 * clean "switch now".
 */
export function exitCodeOf(report: Omit<Report, 'exitCode'>): 0 | 1 {
  if (report.ingresses.some((ingress) => ingress.verdict !== 'same')) return 1;
  if (report.configMap && (!report.configMap.found || report.configMap.keys.some((key) => key.status !== 'supported'))) return 1;
  return report.inputProblems.length > 0 ? 1 : 0;
}
