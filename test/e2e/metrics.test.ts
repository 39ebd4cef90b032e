// /metrics: every documented metric is exposed, and the counters follow
// what Portero does (runtime updates by kind, reloads by reason, objects).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, ROOT, startPortero, type Portero } from '../helpers/portero.js';

async function scrape(portero: Portero): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${portero.healthPort}/metrics`);
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain/);
  return response.text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('metrics', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      files: { 'app.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ingress({ name: 'app', rules: [{ host: 'm.test', paths: [{ path: '/a', service: 'app' }] }] })] },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('every metric in docs/metrics.md is exposed', async () => {
    const documented = [...readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8').matchAll(/^\| `(portero_[a-z_]+)`/gm)].map((match) => match[1]!);
    assert.ok(documented.length >= 9);
    const text = await scrape(portero);
    for (const name of documented) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is not exposed`);
  });

  test('objects by kind, runtime updates by kind and reloads by reason follow what happens', async () => {
    let text = await scrape(portero);
    assert.equal(value(text, 'portero_objects{kind="Ingress"}'), 1);
    assert.equal(value(text, 'portero_haproxy_reloads_total{reason="start"}'), 1);
    const mapsBefore = value(text, 'portero_runtime_updates_total{kind="maps"}');
    await portero.write('more.yaml', [ingress({ name: 'more', rules: [{ host: 'more.m.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'more.m.test', '/'), 'app'));
    text = await scrape(portero);
    assert.ok(value(text, 'portero_runtime_updates_total{kind="maps"}') > mapsBefore);
    assert.equal(value(text, 'portero_objects{kind="Ingress"}'), 2);
    await portero.write('wild.yaml', [ingress({ name: 'wild', rules: [{ host: '*.w.m.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'x.w.m.test', '/'), 'app'));
    // The new worker serves before Portero has confirmed the reload.
    await eventually(async () => assert.equal(value(await scrape(portero), 'portero_haproxy_reloads_total{reason="structural"}'), 1));
    assert.ok(value(await scrape(portero), 'portero_apply_duration_seconds_count{method="runtime"}') >= 1);
    await portero.write('bad.yaml', [ingress({ name: 'bad', rules: [{ host: 'bad.m.test', paths: [{ path: '/a b', pathType: 'ImplementationSpecific', service: 'app' }] }] })]);
    await eventually(async () => assert.equal(value(await scrape(portero), 'portero_invalid_objects{severity="error"}'), 1));
  });
});
