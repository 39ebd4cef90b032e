// deploy/monitoring: it renders with `kubectl kustomize` into valid
// prometheus-operator objects that scrape the pods deploy/ runs; every
// PromQL expression of its alerts and its Grafana dashboard parses; every
// metric they query is one that a running Portero, or HAProxy's exporter
// scraped as the PodMonitor scrapes it, exposes; and the per-object series
// the pack relies on (backend info for the per-Service join, ready
// endpoints, certificate expiry, hosts) describe what is served.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret } from '../helpers/objects.js';
import { dashboardQueries, exposedNames, metricNames, ruleQueries, samples, type Query } from '../helpers/promql.js';
import { eventually, freePort, ROOT, startPortero, type Portero } from '../helpers/portero.js';

const run = promisify(execFile);
type Json = Record<string, any>;

async function render(directory: string): Promise<Json[]> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', join(ROOT, directory)]);
    return parseAllDocuments(stdout).map((document) => document.toJS() as Json);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('kubectl is needed to render deploy/monitoring: install it (Debian: apt-get install kubernetes-client)');
    throw new Error(`kubectl kustomize ${directory}: ${failure.stderr ?? failure.message}`);
  }
}

function find(objects: Json[], kind: string): Json {
  const found = objects.find((object) => object.kind === kind);
  assert.ok(found, `deploy/monitoring renders no ${kind}`);
  return found;
}

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.text();
}

describe('monitoring pack (deploy/monitoring)', () => {
  let pack: Json[];
  let podMonitor: Json;
  let rule: Json;
  let dashboard: Json;
  let queries: Query[];
  let portero: Portero;
  let app: Backend;
  let late: Backend;
  let metricsPort: number;
  let notAfter: number;

  /** HAProxy's exporter, asked with the PodMonitor's own parameters. */
  const haproxyUrl = () => {
    const endpoint = podMonitor.spec.podMetricsEndpoints.find((entry: Json) => entry.port === 'haproxy-metrics');
    const query = new URLSearchParams(Object.entries(endpoint.params as Record<string, string[]>).flatMap(([name, values]) => values.map((value): [string, string] => [name, value])));
    return `http://127.0.0.1:${metricsPort}${endpoint.path}?${query}`;
  };
  const porteroText = () => text(`http://127.0.0.1:${portero.healthPort}/metrics`);

  before(async () => {
    pack = await render('deploy/monitoring');
    podMonitor = find(pack, 'PodMonitor');
    rule = find(pack, 'PrometheusRule');
    dashboard = JSON.parse(find(pack, 'ConfigMap').data['portero.json']) as Json;
    queries = [...ruleQueries(rule), ...dashboardQueries(dashboard)];

    app = await startBackend('app');
    late = await startBackend('late');
    const site = await generateSelfSigned('mon.test', ['mon.test'], 30);
    notAfter = Math.floor(new Date(new X509Certificate(site.cert).validTo).getTime() / 1000);
    metricsPort = await freePort();
    portero = await startPortero({
      flags: ['--haproxy-metrics-port', String(metricsPort)],
      files: {
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          tlsSecret('mon-tls', site.cert, site.key),
          ingress({ name: 'app', rules: [{ host: 'mon.test', paths: [{ service: 'app' }] }, { host: 'other.mon.test', paths: [{ path: '/x', service: 'app' }] }], tls: [{ hosts: ['mon.test'], secretName: 'mon-tls' }] }),
        ],
      },
    });
    // A Service that appears after the start is served by a spare backend: its HAProxy series are named portero:spare:N.
    await portero.write('late.yaml', [...serviceWithEndpoints({ name: 'late', endpoints: [late] }), ingress({ name: 'late', rules: [{ host: 'late.mon.test', paths: [{ service: 'late' }] }] })]);
    await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: 'late.mon.test' })).status, 200));
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await request({ port: portero.httpsPort, host: 'mon.test', tls: true })).status, 200);
      assert.equal((await request({ port: portero.httpPort, host: 'late.mon.test' })).status, 200);
    }
    assert.equal((await request({ port: portero.httpPort, host: 'nothing.test' })).status, 404);
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await late?.close();
  });

  test('renders into valid objects that scrape the pods deploy/ runs, in its namespace', async () => {
    for (const object of pack) {
      assert.equal(object.metadata.namespace, 'portero-system', `${object.kind} ${object.metadata.name}`);
      const Model = { PodMonitor, PrometheusRule, ConfigMap }[object.kind as string] as (new (data: Json) => { validate(): void }) | undefined;
      assert.ok(Model, `unexpected ${object.kind} in deploy/monitoring`);
      assert.doesNotThrow(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`);
    }
    assert.deepEqual(pack.map((object) => object.kind).sort(), ['ConfigMap', 'PodMonitor', 'PrometheusRule']);
    const configMap = find(pack, 'ConfigMap');
    assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
    assert.equal(dashboard.uid, 'portero');

    for (const layout of ['deploy', 'deploy/overlays/deployment', 'deploy/overlays/host-network']) {
      const workload = (await render(layout)).find((object) => object.kind === 'DaemonSet' || object.kind === 'Deployment')!;
      const labels = workload.spec.template.metadata.labels as Record<string, string>;
      for (const [name, value] of Object.entries(podMonitor.spec.selector.matchLabels as Record<string, string>)) assert.equal(labels[name], value, `${layout}: the PodMonitor selects ${name}=${value}`);
      // PorteroDown asks for job="portero": the job is the pod label jobLabel names.
      assert.equal(labels[podMonitor.spec.jobLabel], 'portero', `${layout}: job label`);
      const ports = new Set(workload.spec.template.spec.containers[0].ports.map((port: Json) => port.name));
      for (const endpoint of podMonitor.spec.podMetricsEndpoints) assert.ok(ports.has(endpoint.port), `${layout}: no container port named ${endpoint.port}`);
    }
  });

  test('every expression of the alerts and the dashboard is valid PromQL and selects metrics', () => {
    assert.ok(ruleQueries(rule).length >= 10, 'the alerts');
    assert.ok(dashboardQueries(dashboard).length >= 20, 'the dashboard queries');
    for (const query of queries) {
      const { names, errors } = metricNames(query.expr);
      assert.deepEqual(errors, [], `${query.where}: ${query.expr}`);
      assert.ok(names.length > 0, `${query.where} selects no metric`);
    }
  });

  test('every metric queried is exposed by Portero or by HAProxy as the PodMonitor scrapes it', async () => {
    const porteroNames = exposedNames(await porteroText());
    const haproxyNames = exposedNames(await text(haproxyUrl()));
    const keep = podMonitor.spec.podMetricsEndpoints.find((entry: Json) => entry.port === 'haproxy-metrics').metricRelabelings.find((entry: Json) => entry.action === 'keep');
    const kept = new RegExp(`^(?:${keep.regex})$`);
    const used = new Map<string, string>();
    for (const query of queries) for (const name of metricNames(query.expr).names) if (!used.has(name)) used.set(name, query.where);
    const missing: string[] = [];
    for (const [name, where] of used) {
      if (name === 'up') continue; // Prometheus's own, for every target.
      if (name.startsWith('portero_')) {
        if (!porteroNames.has(name)) missing.push(`${name} (${where}): not on Portero's /metrics`);
      } else if (name.startsWith('haproxy_')) {
        if (!haproxyNames.has(name)) missing.push(`${name} (${where}): not on HAProxy's exporter`);
        if (!kept.test(name)) missing.push(`${name} (${where}): dropped by the PodMonitor's keep rule`);
      } else missing.push(`${name} (${where}): neither Portero's nor HAProxy's`);
    }
    assert.deepEqual(missing, []);
    // The keep rule keeps nothing the pack does not use, and nothing HAProxy does not have.
    for (const name of haproxyNames) if (kept.test(name)) assert.ok(used.has(name), `the PodMonitor keeps ${name}, which nothing queries`);
  });

  test('per-Service series join: each HAProxy backend with traffic is described by portero_backend_info', async () => {
    const info = samples(await porteroText(), 'portero_backend_info');
    const requests = samples(await text(haproxyUrl()), 'haproxy_backend_http_requests_total');
    const served = (service: string) => {
      const entry = info.find((sample) => sample.labels.service === service);
      assert.ok(entry, `no portero_backend_info for ${service}: ${JSON.stringify(info)}`);
      assert.deepEqual({ ...entry.labels, proxy: '' }, { proxy: '', namespace: 'default', service, port: '80' });
      const counted = requests.find((sample) => sample.labels.proxy === entry.labels.proxy);
      assert.ok(counted && counted.value >= 3, `HAProxy counts no request under proxy="${entry.labels.proxy}"`);
      return entry.labels.proxy!;
    };
    assert.equal(served('app'), 'default_app_80');
    assert.match(served('late'), /^portero:spare:\d+$/);
    assert.equal(info.length, 2);
  });

  test('ready endpoints, hosts and certificate expiry follow the objects, and their series go with them', async () => {
    let metrics = await porteroText();
    assert.deepEqual(samples(metrics, 'portero_service_ready_endpoints').map((sample) => [sample.labels.service, sample.value]).sort(), [['app', 1], ['late', 1]]);
    assert.deepEqual(samples(metrics, 'portero_certificate_expiry_timestamp_seconds'), [{ labels: { certificate: 'default_mon-tls', namespace: 'default', secret: 'mon-tls' }, value: notAfter }]);
    assert.deepEqual(samples(metrics, 'portero_host_service_info').map((sample) => `${sample.labels.host} ${sample.labels.service}`).sort(), ['late.mon.test late', 'mon.test app', 'other.mon.test app']);

    await portero.write('late.yaml', [...serviceWithEndpoints({ name: 'late', endpoints: [{ ...late, ready: false }] }), ingress({ name: 'late', rules: [{ host: 'late.mon.test', paths: [{ service: 'late' }] }] })]);
    await eventually(async () => assert.deepEqual(samples(await porteroText(), 'portero_service_ready_endpoints').find((sample) => sample.labels.service === 'late')?.value, 0));

    await portero.write('app.yaml', [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ingress({ name: 'app', rules: [{ host: 'mon.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => {
      metrics = await porteroText();
      assert.deepEqual(samples(metrics, 'portero_certificate_expiry_timestamp_seconds'), []);
      assert.deepEqual(samples(metrics, 'portero_host_service_info').map((sample) => sample.labels.host).sort(), ['late.mon.test', 'mon.test']);
    });
    await portero.remove('late.yaml');
    await eventually(async () => {
      metrics = await porteroText();
      assert.deepEqual(samples(metrics, 'portero_service_ready_endpoints').map((sample) => sample.labels.service), ['app']);
      assert.deepEqual(samples(metrics, 'portero_backend_info').map((sample) => sample.labels.service), ['app']);
    });
  });

  test('every alert has a section in docs/monitoring.md, which its runbook annotation names', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8');
    for (const group of rule.spec.groups) {
      for (const entry of group.rules) {
        assert.match(docs, new RegExp(`^### ${entry.alert}$`, 'm'), `docs/monitoring.md has no section for ${entry.alert}`);
        assert.equal(entry.annotations.runbook, `docs/monitoring.md#${entry.alert.toLowerCase()}`);
        assert.ok(entry.annotations.summary && entry.annotations.description, `${entry.alert}: summary and description`);
        assert.ok(['critical', 'warning', 'info'].includes(entry.labels.severity), `${entry.alert}: severity`);
      }
    }
  });
});
