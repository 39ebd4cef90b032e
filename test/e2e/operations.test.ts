// What operators see: JSON access logs, HAProxy's Prometheus exporter with a
// small default scope, and a graceful shutdown that fails no request in flight.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request, whoAnswers } from '../helpers/http.js';
import { appOn, ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { eventually, freePort, startPortero, type Portero } from '../helpers/portero.js';

describe('access logs and HAProxy metrics', () => {
  let portero: Portero;
  let app: Backend;
  let metricsPort: number;

  before(async () => {
    app = await startBackend('app');
    metricsPort = await freePort();
    portero = await startPortero({
      flags: ['--access-log', '--haproxy-metrics-port', String(metricsPort)],
      files: { 'app.yaml': appOn('log.test', [app]) },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('every request is one JSON line on stdout, client values escaped', async () => {
    await request({ port: portero.httpPort, host: 'log.test', path: '/some/"quoted"/path?q=1', method: 'POST', body: 'x' });
    const entry = await portero.waitForLog((line) => line.method === 'POST' && String(line.path).startsWith('/some/'));
    assert.equal(entry.host, 'log.test');
    assert.equal(entry.path, '/some/"quoted"/path');
    assert.equal(entry.status, 200);
    assert.equal(entry.client, '127.0.0.1');
    assert.equal(entry.backend, 'default/app:80');
    assert.equal(entry.upstream, `${app.address}:${app.port}`);
    assert.equal(typeof entry.bytes, 'number');
    assert.equal(typeof entry.duration_ms, 'number');
    assert.match(String(entry.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('stdout stays one JSON object per line: huge client values are cut, reloads print nothing else', async () => {
    const host = `h${'x'.repeat(5000)}.test`;
    await request({ port: portero.httpPort, host, path: `/${'p'.repeat(3000)}` });
    const entry = await portero.waitForLog((line) => typeof line.host === 'string' && line.host.startsWith('hxxx'));
    assert.equal(String(entry.host).length, 1024);
    assert.equal(String(entry.path).length, 1024);
    portero.child.kill('SIGHUP');
    await portero.waitForLog((line) => line.msg === 'configuration applied with a reload' && line.reason === 'forced');
    await request({ port: portero.httpPort, host: 'log.test', path: '/after-reload' });
    await portero.waitForLog((line) => line.path === '/after-reload');
    const notJson = portero.logs.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(notJson, []);
  });

  test('a Service on a spare backend is logged by its name', async () => {
    await portero.write('new.yaml', [...serviceWithEndpoints({ name: 'fresh', endpoints: [app] }), ingress({ name: 'fresh', rules: [{ host: 'fresh.log.test', paths: [{ service: 'fresh' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'fresh.log.test', '/'), 'app'));
    const entry = await portero.waitForLog((line) => line.host === 'fresh.log.test' && line.status === 200);
    assert.equal(entry.backend, 'default/fresh:80');
  });

  test("HAProxy's exporter answers with global and frontend metrics unless asked for more", async () => {
    const small = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(small, /^haproxy_process_/m);
    assert.match(small, /^haproxy_frontend_http_requests_total\{proxy="portero-http"\}/m);
    assert.doesNotMatch(small, /^haproxy_backend_/m);
    assert.doesNotMatch(small, /^haproxy_server_/m);
    const backends = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics?scope=backend`)).text();
    assert.match(backends, /^haproxy_backend_http_requests_total\{proxy="default_app_80"\}/m);
  });
});

describe('graceful shutdown', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--shutdown-grace-period', '1s'],
      files: { 'app.yaml': appOn('bye.test', [app]) },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('readiness fails first, serving goes on through the grace period, requests in flight finish, exit 0', async () => {
    const download = request({ port: portero.httpPort, host: 'bye.test', path: '/stream?chunks=15&interval=200', timeoutMs: 20_000 });
    await sleep(300);
    const sent = Date.now();
    portero.child.kill('SIGTERM');
    await eventually(async () => assert.equal(await portero.health('/readyz'), 503), 2_000, 10);
    assert.ok(Date.now() - sent < 1_000, 'readiness failed at once');
    // Within the grace period, new requests are still served.
    assert.equal(await whoAnswers(portero.httpPort, 'bye.test', '/during-grace'), 'app');
    const result = await portero.exit;
    assert.deepEqual(result, { code: 0, signal: null });
    const response = await download;
    assert.equal(response.status, 200);
    assert.equal(response.body.trim().split('\n').length, 15, 'the download in flight got all its chunks');
    assert.ok(Date.now() - sent >= 1_000, 'Portero waited for the grace period');
    await assert.rejects(request({ port: portero.httpPort, host: 'bye.test', timeoutMs: 2_000 }), /ECONNREFUSED/);
  });
});
