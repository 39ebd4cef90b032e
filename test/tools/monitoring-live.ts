// A real Prometheus against deploy/monitoring, by hand (it needs the
// `prometheus` binary, which the test suite does not install):
//
//   apt-get install -y --no-install-recommends prometheus
//   node scripts/prepare.mjs && npx tsx test/tools/monitoring-live.ts
//
// Starts Portero (real HAProxy) with three Services (one without ready
// endpoint, one on a spare backend) and a TLS Secret expiring in 10 days,
// and a Prometheus that scrapes it as the PodMonitor does (honor_labels on
// Portero's endpoint, HAProxy's with the PodMonitor's params and keep rule,
// the pod, namespace and job target labels) and loads the PrometheusRule
// with `for: 0s`. Then, with traffic flowing, it evaluates every alert and
// dashboard query (Grafana variables as "All") and fails when one errors
// (a many-to-many join, a syntax error), when a per-Service query finds no
// Service, or when the alerts that should fire do not (and no other does).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret } from '../helpers/objects.js';
import { eventually, freePort, ROOT, startPortero } from '../helpers/portero.js';
import { dashboardQueries, ruleQueries, withGrafanaVariables } from '../helpers/promql.js';

type Json = Record<string, any>;

const app = await startBackend('app');
const late = await startBackend('late');
const site = await generateSelfSigned('mon.test', ['mon.test'], 10);
const metricsPort = await freePort();
const portero = await startPortero({
  flags: ['--haproxy-metrics-port', String(metricsPort)],
  files: {
    'app.yaml': [
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      ...serviceWithEndpoints({ name: 'down', endpoints: [{ address: '127.0.0.1', port: 9, ready: false }] }),
      tlsSecret('mon-tls', site.cert, site.key),
      ingress({ name: 'app', rules: [{ host: 'mon.test', paths: [{ service: 'app' }, { path: '/down', service: 'down' }] }], tls: [{ hosts: ['mon.test'], secretName: 'mon-tls' }] }),
    ],
  },
});
// After the start: served by a spare backend.
await portero.write('late.yaml', [...serviceWithEndpoints({ name: 'late', endpoints: [late] }), ingress({ name: 'late', rules: [{ host: 'late.mon.test', paths: [{ service: 'late' }] }] })]);
await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'late.mon.test' })).status, 200));

const monitoring = join(ROOT, 'deploy', 'monitoring');
const podMonitor = parse(await readFile(join(monitoring, 'podmonitor.yaml'), 'utf8')) as Json;
const rule = parse(await readFile(join(monitoring, 'prometheusrule.yaml'), 'utf8')) as Json;
const dashboard = JSON.parse(await readFile(join(monitoring, 'grafana-dashboard.json'), 'utf8')) as Json;
const health = podMonitor.spec.podMetricsEndpoints.find((entry: Json) => entry.port === 'health');
const haproxy = podMonitor.spec.podMetricsEndpoints.find((entry: Json) => entry.port === 'haproxy-metrics');
for (const group of rule.spec.groups) for (const entry of group.rules) entry.for = '0s';

const directory = await mkdtemp(join(tmpdir(), 'portero-prometheus-'));
const promPort = await freePort();
const targetLabels = [
  { target_label: 'pod', replacement: 'portero-abc12' },
  { target_label: 'namespace', replacement: 'portero-system' },
  { target_label: 'job', replacement: 'portero' },
];
await writeFile(join(directory, 'rules.yml'), JSON.stringify(rule.spec));
await writeFile(
  join(directory, 'prometheus.yml'),
  JSON.stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ['rules.yml'],
    scrape_configs: [
      { job_name: 'health', metrics_path: health.path, honor_labels: health.honorLabels, static_configs: [{ targets: [`127.0.0.1:${portero.healthPort}`] }], relabel_configs: targetLabels },
      {
        job_name: 'haproxy',
        metrics_path: haproxy.path,
        params: haproxy.params,
        static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }],
        relabel_configs: targetLabels,
        metric_relabel_configs: haproxy.metricRelabelings.map((entry: Json) => ({ source_labels: entry.sourceLabels, action: entry.action, regex: entry.regex })),
      },
    ],
  }),
);
const prometheus = spawn('prometheus', [`--config.file=${join(directory, 'prometheus.yml')}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
prometheus.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
const query = async (expr: string): Promise<Json> => (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as Json;

let failed = false;
try {
  await eventually(async () => assert.equal((await query('up == 1')).data?.result?.length, 2, 'both targets up'), 30_000, 200);
  // 20 s of traffic: enough scrapes for rate() over 20 s windows.
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    await request({ port: portero.httpsPort, host: 'mon.test', tls: true });
    await request({ port: portero.httpsPort, host: 'mon.test', path: '/down', tls: true });
    await request({ port: portero.httpPort, host: 'late.mon.test' });
  }
  const perService = /group_left\(namespace, service/;
  for (const { where, expr } of [...ruleQueries(rule), ...dashboardQueries(dashboard)]) {
    const text = withGrafanaVariables(expr).replace(/\$(pod|namespace|service|host)\b/g, '.*').replace(/\[5m\]/g, '[20s]');
    const answer = await query(text);
    const series = (answer.data?.result ?? []) as Json[];
    const services = [...new Set(series.map((entry) => entry.metric.service).filter(Boolean))].sort();
    console.log(`${answer.status === 'success' ? 'ok   ' : 'ERROR'} ${where}: ${answer.error ?? `${series.length} series${services.length ? ` (${services.join(', ')})` : ''}`}`);
    if (answer.status !== 'success') failed = true;
    if (where.startsWith('panel') && perService.test(expr) && expr.includes('sum by (namespace, service)') && services.join() !== 'app,down,late') failed = true;
  }
  const alerts = ((await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as Json).data.alerts as Json[];
  const firing = alerts.filter((alert) => alert.state === 'firing').map((alert) => `${alert.labels.alertname} ${alert.labels.service ?? alert.labels.secret ?? ''}`.trim()).sort();
  console.log('firing:', firing);
  // down answers 503 on every request: no ready endpoint, and more than 5 % 5xx.
  const expected = ['PorteroCertificateExpiringSoon mon-tls', 'PorteroServiceHighErrorRate down', 'PorteroServiceWithoutReadyEndpoints down'];
  if (firing.join() !== expected.join()) {
    console.log('expected firing:', expected);
    failed = true;
  }
} finally {
  prometheus.kill();
  await portero.dispose();
  await app.close();
  await late.close();
  await rm(directory, { recursive: true, force: true });
  for (const line of log.split('\n')) if (line.includes('level=error')) console.log(line);
}
console.log(failed ? 'FAILED' : 'all queries answered, and the expected alerts fire');
process.exitCode = failed ? 1 : 0;
