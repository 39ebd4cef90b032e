// The PromQL of deploy/monitoring: every expression of the PrometheusRule
// and of the Grafana dashboard (panel queries and template variables), and
// the metric names each one selects, found with Prometheus's own PromQL
// grammar (@prometheus-io/lezer-promql, the parser of Prometheus's web UI)
// rather than a regular expression: a name is the Identifier of a
// VectorSelector, so functions, keywords (by, on, group_left, ...), label
// names and label values are never mistaken for one.

import { parser } from '@prometheus-io/lezer-promql';

export interface Query {
  /** Where it comes from: `rule PorteroDown`, `panel "Requests per second" A`, `variable pod`. */
  where: string;
  expr: string;
}

type Json = Record<string, any>;

/** Every alert or recording rule expression of a PrometheusRule object. */
export function ruleQueries(rule: Json): Query[] {
  return (rule.spec?.groups ?? []).flatMap((group: Json) =>
    (group.rules ?? []).map((entry: Json) => ({ where: `rule ${entry.alert ?? entry.record}`, expr: String(entry.expr) })),
  );
}

/**
 * Every PromQL query of a Grafana dashboard: panel targets (rows' nested
 * panels too) and query variables; `label_values(selector, label)` yields
 * its selector, the only PromQL in it.
 */
export function dashboardQueries(dashboard: Json): Query[] {
  const queries: Query[] = [];
  const visit = (panels: Json[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: String(target.expr) });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels ?? []);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const text = String(typeof variable.query === 'string' ? variable.query : variable.query?.query);
    const labelValues = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/s.exec(text);
    queries.push({ where: `variable ${variable.name}`, expr: labelValues ? labelValues[1]! : text });
  }
  return queries;
}

/**
 * Grafana replaces its variables before Prometheus sees a query: durations
 * (`$__rate_interval`) become durations, other variables sit in label values
 * (regular expressions such as `.*`) and stay as written there.
 */
export function withGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/**
 * The metric names `expr` selects, or the syntax errors the parser found.
 * A selector by `__name__` is reported as an error: its name could not be
 * checked.
 */
export function metricNames(expr: string): { names: string[]; errors: string[] } {
  const text = withGrafanaVariables(expr);
  const names = new Set<string>();
  const errors: string[] = [];
  const cursor = parser.parse(text).cursor();
  do {
    const node = cursor.node;
    if (node.type.isError) errors.push(`syntax error at ${node.from}: ${JSON.stringify(text.slice(Math.max(0, node.from - 20), node.to + 20))}`);
    if (node.name === 'Identifier' && node.parent?.name === 'VectorSelector') names.add(text.slice(node.from, node.to));
    if (node.name === 'LabelName' && text.slice(node.from, node.to) === '__name__') errors.push('selects metrics by __name__');
  } while (cursor.next());
  return { names: [...names].sort(), errors };
}

/**
 * Metric names a Prometheus text exposition offers: every sample's name,
 * and for each `# TYPE` the names its samples take (a histogram's _bucket,
 * _sum and _count), so a labelled counter with no sample yet still counts.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** The samples of `name` in an exposition, with their labels (values unescaped enough for tests). */
export function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const found: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, '$1');
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}
