// Default backends (spec.defaultBackend, --default-backend-service, the plain
// 404) and the 503 for Services that are missing or have no ready endpoints.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request, whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

describe('spec.defaultBackend', () => {
  let portero: Portero;
  const backends: Record<string, Backend> = {};

  before(async () => {
    const objects: Json[] = [];
    for (const name of ['default-a', 'default-b', 'a-x', 'b-x', 'c-x']) {
      backends[name] = await startBackend(name);
      objects.push(...serviceWithEndpoints({ name, endpoints: [backends[name]!] }));
    }
    objects.push(
      ingress({
        name: 'a',
        creationTimestamp: '2020-01-01T00:00:00Z',
        defaultBackend: { service: 'default-a' },
        rules: [{ host: 'a.def.test', paths: [{ path: '/x', service: 'a-x' }] }],
      }),
      ingress({
        name: 'b',
        creationTimestamp: '2021-01-01T00:00:00Z',
        defaultBackend: { service: 'default-b' },
        rules: [{ host: 'b.def.test', paths: [{ path: '/x', service: 'b-x' }] }],
      }),
      ingress({ name: 'c', rules: [{ host: 'c.def.test', paths: [{ path: '/x', service: 'c-x' }] }] }),
      ingress({ name: 'only-default', creationTimestamp: '2022-01-01T00:00:00Z', defaultBackend: { service: 'default-b' } }),
    );
    portero = await startPortero({ files: { 'defaults.yaml': objects } });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('an Ingress default backend serves unmatched paths of its own hosts', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'a.def.test', '/other'), 'default-a');
    assert.equal(await whoAnswers(portero.httpPort, 'b.def.test', '/other'), 'default-b');
  });

  test('matched paths still go to their backends', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'a.def.test', '/x/1'), 'a-x');
    assert.equal(await whoAnswers(portero.httpPort, 'b.def.test', '/x'), 'b-x');
  });

  test('the oldest default backend answers requests that match no rule at all', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/'), 'default-a');
    assert.equal(await whoAnswers(portero.httpPort, '', '/anything'), 'default-a');
  });

  test('a host whose Ingress sets no default backend falls back to the catch-all', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'c.def.test', '/other'), 'default-a');
  });

  test('the newer default backend gets a warning about the catch-all role', async () => {
    const warning = await portero.waitForLog((entry) => entry.level === 'warn' && entry.object === 'Ingress default/b' && entry.field === 'spec.defaultBackend');
    assert.match(String(warning.msg), /older Ingress default\/a is the catch-all/);
  });
});

describe('--default-backend-service and the plain 404', () => {
  let withFlag: Portero;
  let withoutFlag: Portero;
  let fallback: Backend;
  let app: Backend;

  before(async () => {
    fallback = await startBackend('fallback');
    app = await startBackend('app');
    const files = {
      'objects.yaml': [
        ...serviceWithEndpoints({ name: 'fallback', namespace: 'infra', endpoints: [fallback], portName: 'web', servicePort: 8080 }),
        ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ path: '/app', service: 'app' }] }] }),
      ],
    };
    withFlag = await startPortero({ files, flags: ['--default-backend-service', 'infra/fallback:web'] });
    withoutFlag = await startPortero({ files });
  });

  after(async () => {
    await withFlag?.dispose();
    await withoutFlag?.dispose();
    await fallback?.close();
    await app?.close();
  });

  test('the flag names the Service that answers unmatched requests, by port name', async () => {
    assert.equal(await whoAnswers(withFlag.httpPort, 'nowhere.test', '/'), 'fallback');
    assert.equal(await whoAnswers(withFlag.httpPort, 'app.test', '/other'), 'fallback');
    assert.equal(await whoAnswers(withFlag.httpPort, 'app.test', '/app'), 'app');
  });

  test('without any default backend, a small plain 404', async () => {
    const response = await request({ port: withoutFlag.httpPort, host: 'nowhere.test', path: '/' });
    assert.equal(response.status, 404);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    assert.ok(response.body.length < 100);
    assert.equal(response.headers.server, 'portero');
  });
});

describe('503 for Services that cannot answer', () => {
  let portero: Portero;
  let ready: Backend;
  let notReady: Backend;

  before(async () => {
    ready = await startBackend('ready');
    notReady = await startBackend('not-ready');
    portero = await startPortero({
      files: {
        'objects.yaml': [
          ...serviceWithEndpoints({ name: 'mixed', endpoints: [{ address: notReady.address, port: notReady.port, ready: false }, ready] }),
          ...serviceWithEndpoints({ name: 'none-ready', endpoints: [{ address: notReady.address, port: notReady.port, ready: false }] }),
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'no-endpoints' },
            spec: { ports: [{ name: 'http', port: 80 }] },
          },
          ...serviceWithEndpoints({ name: 'numbered', endpoints: [ready], servicePort: 8080, portName: 'web' }),
          ingress({
            name: 'svc',
            rules: [
              {
                host: 'svc.test',
                paths: [
                  { path: '/missing', service: 'does-not-exist' },
                  { path: '/no-endpoints', service: 'no-endpoints' },
                  { path: '/none-ready', service: 'none-ready' },
                  { path: '/mixed', service: 'mixed' },
                  { path: '/by-number', service: 'numbered', port: 8080 },
                  { path: '/by-name', service: 'numbered', port: 'web' },
                  { path: '/wrong-port', service: 'numbered', port: 9999 },
                ],
              },
            ],
          }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await ready?.close();
    await notReady?.close();
  });

  test('a missing Service answers 503, with a warning naming the field', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/missing'), 'status:503');
    const warning = await portero.waitForLog((entry) => entry.level === 'warn' && String(entry.msg).includes('does-not-exist'));
    assert.equal(warning.field, 'spec.rules[0].http.paths[0].backend.service.name');
  });

  test('a Service without endpoints answers 503', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/no-endpoints'), 'status:503');
  });

  test('endpoints that are not ready receive no traffic', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/none-ready'), 'status:503');
    for (let i = 0; i < 6; i += 1) assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/mixed'), 'ready');
    assert.equal(notReady.requests.length, 0);
  });

  test('the Service port is resolved by number or by name to the EndpointSlice port', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/by-number'), 'ready');
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/by-name'), 'ready');
  });

  test('a port the Service does not have answers 503', async () => {
    assert.equal(await whoAnswers(portero.httpPort, 'svc.test', '/wrong-port'), 'status:503');
  });
});
