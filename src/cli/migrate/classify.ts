// Objects → the migration report. Pure. Everything Portero-specific comes from
// translate (which Ingresses are served, their diagnostics) and the
// annotation groups (SUPPORT, annotationsOf), so an annotation group added
// there shows up here without a change.

import { INGRESS_CLASS_ANNOTATION, type Ingress, type KubeObject } from '../../objects/types.js';
import type { AnnotationSupport } from '../../translate/annotations/group.js';
import { annotationsOf, SUPPORT, type AnnotationSettings } from '../../translate/annotations/index.js';
import { isOurs, selectClasses, type ClassOptions } from '../../translate/ingress-class.js';
import { snapshotOf, translate } from '../../translate/translate.js';
import { classifyConfigMapKey } from './configmap-keys.js';
import { globalDifferences } from './global-differences.js';
import { exitCodeOf, STATUSES, SCHEMA_VERSION, type AnnotationEntry, type ConfigMapSection, type DiagnosticEntry, type IngressEntry, type InputProblem, type Report, type Status, type Verdict } from './report.js';

export interface MigrateSettings extends ClassOptions {
  annotations: AnnotationSettings;
}

export interface Collected {
  objects: readonly KubeObject[];
  /** The ConfigMap asked for with --configmap: its data, or undefined when it is not in the input. */
  configMap?: { namespace: string; name: string; data?: Readonly<Record<string, string>> };
  problems: readonly InputProblem[];
  source: Report['source'];
}

/** Per annotation under the prefix: what Portero does with it on this Ingress. */
export function classifyAnnotations(ingress: Ingress, settings: AnnotationSettings, support: Readonly<Record<string, AnnotationSupport>> = SUPPORT): AnnotationEntry[] {
  const { problems, notices } = annotationsOf(ingress, settings);
  const start = `${settings.prefix}/`;
  const names = new Set(Object.keys(ingress.metadata.annotations).filter((key) => key.startsWith(start)).map((key) => key.slice(start.length)));
  for (const problem of problems) names.add(problem.name);
  return [...names].sort().map((name): AnnotationEntry => {
    const key = `${start}${name}`;
    const value = ingress.metadata.annotations[key] ?? '';
    const own = problems.filter((problem) => problem.name === name);
    if (own.length > 0) {
      const failClosed = own.every((problem) => problem.failClosed);
      return { name, key, value, status: 'refused', effect: failClosed ? 'fails-closed' : 'not-served', message: own.map((problem) => problem.message).join('; ') };
    }
    const noticed = notices.filter((notice) => notice.name === name);
    if (noticed.length > 0) return { name, key, value, status: 'difference', note: noticed.map((notice) => notice.message).join('; ') };
    // SUPPORT is what every annotation group declares: a name none declares is not applied (annotationsOf calls it unknown).
    const known = Object.hasOwn(support, name) ? support[name] : undefined;
    if (!known) return { name, key, value, status: 'unknown', note: 'not an annotation Portero knows; it is not applied' };
    return { name, key, value, status: known.status, ...(known.note ? { note: known.note } : {}) };
  });
}

function byName(a: Ingress, b: Ingress): number {
  const ak = `${a.metadata.namespace}/${a.metadata.name}`;
  const bk = `${b.metadata.namespace}/${b.metadata.name}`;
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

function classOf(ingress: Ingress): IngressEntry['class'] {
  if (ingress.spec.ingressClassName !== undefined) return { source: 'ingressClassName', name: ingress.spec.ingressClassName };
  const legacy = ingress.metadata.annotations[INGRESS_CLASS_ANNOTATION];
  if (legacy !== undefined && legacy !== '') return { source: 'annotation', name: legacy };
  return { source: 'none' };
}

function verdictOf(served: boolean, annotations: readonly AnnotationEntry[]): Verdict {
  if (!served) return 'not-served';
  return annotations.every((entry) => entry.status === 'supported') ? 'same' : 'different';
}

function countBy<K extends string>(keys: readonly K[], values: readonly K[]): Record<K, number> {
  const counts = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  for (const value of values) counts[value] += 1;
  return counts;
}

export function classify(collected: Collected, settings: MigrateSettings, now: Date): Report {
  const snapshot = snapshotOf(collected.objects);
  // Portero's own view, with the same class and annotation settings: which Ingresses it serves, and what it says about them.
  const translation = translate(snapshot, { ...settings, fallbackCertificatePem: '', now, annotations: settings.annotations });
  const served = new Set(translation.served.map((ref) => `${ref.namespace}/${ref.name}`));
  const classes = selectClasses(snapshot.ingressClasses, settings);
  // By namespace and name, as kubectl lists them: a reader looks an Ingress up, and the order stays put when one changes.
  const ours = snapshot.ingresses.filter((ingress) => isOurs(ingress, classes, settings)).sort(byName);
  const annotationField = `metadata.annotations[`;

  const ingresses = ours.map((ingress): IngressEntry => {
    const { namespace, name } = ingress.metadata;
    const annotations = classifyAnnotations(ingress, settings.annotations);
    // Annotation problems are reported per annotation above; the rest is about the Ingress itself.
    const diagnostics: DiagnosticEntry[] = translation.diagnostics
      .filter((d) => d.object.kind === 'Ingress' && d.object.namespace === namespace && d.object.name === name && !d.field?.startsWith(annotationField))
      .map((d) => ({ severity: d.severity, ...(d.field ? { field: d.field } : {}), message: d.message }));
    return { namespace, name, class: classOf(ingress), verdict: verdictOf(served.has(`${namespace}/${name}`), annotations), annotations, diagnostics };
  });

  let configMap: ConfigMapSection | undefined;
  if (collected.configMap) {
    const { namespace, name, data } = collected.configMap;
    const keys = data ? Object.keys(data).sort().map((key) => classifyConfigMapKey(key, data[key]!)) : [];
    configMap = { namespace, name, found: data !== undefined, keys };
  }

  const allAnnotations = ingresses.flatMap((ingress) => ingress.annotations.map((entry) => entry.status));
  const report: Omit<Report, 'exitCode'> = {
    schemaVersion: SCHEMA_VERSION,
    source: collected.source,
    settings: {
      ingressClass: settings.ingressClass,
      controllerClass: settings.controllerClass,
      watchIngressWithoutClass: settings.watchIngressWithoutClass,
      annotationsPrefix: settings.annotations.prefix,
      allowSnippetAnnotations: settings.annotations.allowSnippets,
    },
    ingresses,
    globalDifferences: globalDifferences(ours, { prefix: settings.annotations.prefix, ...(collected.configMap?.data ? { configMap: collected.configMap.data } : {}) }),
    ...(configMap ? { configMap } : {}),
    inputProblems: [...collected.problems],
    summary: {
      ingresses: {
        total: ingresses.length,
        same: ingresses.filter((i) => i.verdict === 'same').length,
        different: ingresses.filter((i) => i.verdict === 'different').length,
        notServed: ingresses.filter((i) => i.verdict === 'not-served').length,
        otherClass: snapshot.ingresses.length - ours.length,
      },
      annotations: countBy<Status>(STATUSES, allAnnotations),
      configMapKeys: countBy(['supported', 'difference', 'ignored', 'unknown'] as const, configMap?.keys.map((key) => key.status) ?? []),
    },
  };
  return { ...report, exitCode: exitCodeOf(report) };
}
