// The report for people: one block per Ingress, one line per annotation,
// then the global differences, the ConfigMap, the input problems and the
// summary. Ingresses served the same are listed too (one line), so a reader
// can see nothing was skipped.

import type { AnnotationEntry, ConfigMapKeyEntry, Report, Status } from './report.js';

const LABEL: Readonly<Record<Status, string>> = {
  supported: 'supported',
  difference: 'supported with a difference',
  ignored: 'ignored',
  refused: 'refused',
  unknown: 'unknown',
};

const VERDICT = { same: 'served the same', different: 'served with differences', 'not-served': 'NOT SERVED' } as const;

function annotationLine(entry: AnnotationEntry): string {
  const head = `    ${LABEL[entry.status].padEnd(27)} ${entry.name}: ${JSON.stringify(entry.value)}`;
  if (entry.status === 'refused') {
    const effect = entry.effect === 'fails-closed' ? 'its paths answer 503' : 'the Ingress is not served';
    return `${head}\n${' '.repeat(32)}${entry.message} (${effect})`;
  }
  return entry.note ? `${head}\n${' '.repeat(32)}${entry.note}` : head;
}

function keyLine(entry: ConfigMapKeyEntry): string {
  const head = `  ${LABEL[entry.status].padEnd(27)} ${entry.key}: ${JSON.stringify(entry.value)}`;
  return entry.note && entry.status !== 'supported' ? `${head}\n${' '.repeat(30)}${entry.note}` : head;
}

export function renderText(report: Report): string {
  const lines: string[] = [];
  const source = 'manifests' in report.source ? `manifests in ${report.source.manifests}` : `Kubernetes API (${report.source.kubeconfig})`;
  const s = report.settings;
  lines.push(`Migration report: ${source}`);
  lines.push(`Ingresses of class ${s.ingressClass} (controller ${s.controllerClass}${s.watchIngressWithoutClass ? ', and those without a class' : ''}), annotations under ${s.annotationsPrefix}/, snippets ${s.allowSnippetAnnotations ? 'allowed' : 'refused'}.`);
  lines.push('');
  for (const ingress of report.ingresses) {
    const how = ingress.class.source === 'ingressClassName' ? `class ${ingress.class.name}` : ingress.class.source === 'annotation' ? `class ${ingress.class.name} (kubernetes.io/ingress.class annotation)` : 'no class';
    lines.push(`Ingress ${ingress.namespace}/${ingress.name} (${how}): ${VERDICT[ingress.verdict]}`);
    for (const entry of ingress.annotations) lines.push(annotationLine(entry));
    for (const diagnostic of ingress.diagnostics) lines.push(`    ${diagnostic.severity.padEnd(27)} ${diagnostic.field ? `${diagnostic.field}: ` : ''}${diagnostic.message}`);
  }
  if (report.ingresses.length === 0) lines.push('No Ingress of this class was found.');
  if (report.globalDifferences.length > 0) {
    lines.push('', 'Global differences (ingress-nginx behaviours Portero does not reproduce, whatever the annotations):');
    for (const difference of report.globalDifferences) lines.push(`  - ${difference.id} (${difference.ingresses} Ingress${difference.ingresses === 1 ? '' : 'es'}): ${difference.description}`);
  }
  if (report.configMap) {
    const { namespace, name, found, keys } = report.configMap;
    lines.push('', `ConfigMap ${namespace}/${name}:${found ? '' : ' not found in the input'}`);
    for (const entry of keys) lines.push(keyLine(entry));
    if (found && keys.length === 0) lines.push('  (no keys)');
  }
  if (report.inputProblems.length > 0) {
    lines.push('', 'Objects that could not be read (not in this report):');
    for (const problem of report.inputProblems) {
      const where = [problem.line !== undefined ? `${problem.source}:${problem.line}` : problem.source, problem.object, problem.field].filter(Boolean).join(' ');
      lines.push(`  - ${where}: ${problem.message}`);
    }
  }
  const { ingresses, annotations, configMapKeys } = report.summary;
  lines.push('', 'Summary:');
  lines.push(`  Ingresses: ${ingresses.total} (${ingresses.same} served the same, ${ingresses.different} served with differences, ${ingresses.notServed} not served); ${ingresses.otherClass} of other classes not reported`);
  lines.push(`  Annotations: ${(Object.keys(LABEL) as Status[]).map((status) => `${annotations[status]} ${LABEL[status]}`).join(', ')}`);
  if (report.configMap) lines.push(`  ConfigMap keys: ${(['supported', 'difference', 'ignored', 'unknown'] as const).map((status) => `${configMapKeys[status]} ${LABEL[status]}`).join(', ')}`);
  lines.push(report.exitCode === 0 ? 'Portero would serve every Ingress as ingress-nginx does (apart from the global differences above).' : 'Portero would serve some Ingresses differently: review the entries above before switching.');
  return `${lines.join('\n')}\n`;
}
