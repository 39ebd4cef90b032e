// Hostile strings (newlines, spaces, `#`, quotes, backslashes, HAProxy
// sample expressions, very long values) in every field Portero reads: none
// reaches a file HAProxy reads, HAProxy keeps running, and the well-behaved
// Ingress next to them keeps serving.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { filesUnder } from '../helpers/files.js';
import { runtimeCommand, showMap, showServers } from '../helpers/haproxy.js';
import { whoAnswers } from '../helpers/http.js';
import { appOn, ingress, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const MARK = 'pwned';
/** Each value carries the marker and at least one character or length no grammar allows. */
export const HOSTILE = [
  `a\n  http-request deny #${MARK}`,
  `${MARK} x`,
  `#${MARK}`,
  `"${MARK}"`,
  `'${MARK}'`,
  `${MARK}\\`,
  `%[src]${MARK} `,
  `${MARK}\r`,
  `${MARK}\u0000`,
  `${MARK}${'a'.repeat(5000)}\t`,
];

function ingressWith(name: string, mutate: (spec: Record<string, any>, meta: Record<string, any>) => void): Json {
  const object = ingress({ name, rules: [{ host: `${name}.hostile.test`, paths: [{ path: '/', service: 'app' }] }] }) as Record<string, any>;
  mutate(object.spec, object.metadata);
  return object;
}

function hostileObjects(value: string, index: number): Json[] {
  const n = `h${index}`;
  return [
    ingressWith(`${n}-host`, (spec) => (spec.rules[0].host = value)),
    ingressWith(`${n}-tls-host`, (spec) => (spec.tls = [{ hosts: [value], secretName: 'x' }])),
    ingressWith(`${n}-secret`, (spec) => (spec.tls = [{ hosts: [`${n}-secret.hostile.test`], secretName: value }])),
    ingressWith(`${n}-path-prefix`, (spec) => (spec.rules[0].http.paths[0].path = `/${value}`)),
    ingressWith(`${n}-path-exact`, (spec) => Object.assign(spec.rules[0].http.paths[0], { path: `/${value}`, pathType: 'Exact' })),
    ingressWith(`${n}-path-is`, (spec) => Object.assign(spec.rules[0].http.paths[0], { path: `/${value}`, pathType: 'ImplementationSpecific' })),
    ingressWith(`${n}-service`, (spec) => (spec.rules[0].http.paths[0].backend.service.name = value)),
    ingressWith(`${n}-port-name`, (spec) => (spec.rules[0].http.paths[0].backend.service.port = { name: value })),
    ingressWith(`${n}-port-number`, (spec) => (spec.rules[0].http.paths[0].backend.service.port = { number: value })),
    ingressWith(`${n}-default`, (spec) => (spec.defaultBackend = { service: { name: value, port: { number: 80 } } })),
    ingressWith(`${n}-class`, (spec) => (spec.ingressClassName = value)),
    ingressWith(`${n}-annotation`, (spec, meta) => {
      delete spec.ingressClassName;
      meta.annotations = { 'kubernetes.io/ingress.class': value };
    }),
    ingressWith(value, () => undefined),
    ingressWith(`${n}-namespace`, (_spec, meta) => (meta.namespace = value)),
    ingressWith(`${n}-resource`, (spec) => (spec.rules[0].http.paths[0].backend = { resource: { kind: value, name: value } })),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: `${n}-svc` }, spec: { ports: [{ name: value, port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: value }, spec: { ports: [{ port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${n}-slice`, labels: { 'kubernetes.io/service-name': 'app' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [value] }],
      ports: [{ name: 'http', port: 80 }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${n}-slice-port`, labels: { 'kubernetes.io/service-name': 'app' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.99'] }],
      ports: [{ name: value, port: 80 }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${n}-slice-label`, labels: { 'kubernetes.io/service-name': value } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.98'] }],
      ports: [{ name: 'http', port: 80 }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: `${n}-pem` },
      stringData: { 'tls.crt': `-----BEGIN CERTIFICATE-----\n${value}\n-----END CERTIFICATE-----\n`, 'tls.key': value },
    },
    ingressWith(`${n}-uses-pem`, (spec) => (spec.tls = [{ hosts: [`${n}-uses-pem.hostile.test`], secretName: `${n}-pem` }])),
  ];
}

describe('hostile strings', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      files: {
        'good.yaml': appOn('good.hostile.test', [app], 'good'),
      },
    });
    for (const [index, value] of HOSTILE.entries()) {
      // One object per file, so that each is judged on its own.
      for (const [i, object] of hostileObjects(value, index).entries()) await portero.write(`hostile-${index}-${i}.yaml`, [object]);
    }
    // A change after the hostile files, so that the test knows they were all processed.
    await portero.write('marker.yaml', [ingress({ name: 'marker', rules: [{ host: 'marker.hostile.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'marker.hostile.test', '/'), 'app'), 20_000);
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('no hostile value reaches any file HAProxy reads', async () => {
    const files = await filesUnder(portero.stateDir);
    assert.ok(files.some((file) => file.endsWith('haproxy.cfg')));
    for (const file of files) {
      const content = await readFile(file, 'utf8').catch(() => '');
      assert.ok(!content.toLowerCase().includes(MARK), `${file} contains a hostile value:\n${content.split('\n').filter((line) => line.toLowerCase().includes(MARK)).join('\n')}`);
    }
  });

  test('no hostile value reaches HAProxy through the runtime API', async () => {
    const live = [
      ...(await Promise.all(['hosts.map', 'prefix.map'].map((file) => showMap(portero.stateDir, file)))).flat(),
      ...(await showServers(portero.stateDir)),
    ];
    const crtLists = (await runtimeCommand(portero.stateDir, 'show ssl crt-list')).split('\n').filter((line) => line.startsWith('/'));
    assert.equal(crtLists.length, 1, 'one crt-list is loaded');
    live.push(...(await runtimeCommand(portero.stateDir, `show ssl crt-list -n ${crtLists[0]}`)).split('\n'));
    assert.ok(live.some((line) => line.includes('good.hostile.test')), 'the live maps should hold the good host');
    for (const line of live) assert.ok(!line.toLowerCase().includes(MARK), `HAProxy holds a hostile value: ${line}`);
  });

  test('HAProxy keeps running and the well-behaved Ingress keeps serving', async () => {
    assert.equal(portero.child.exitCode, null);
    assert.equal(await portero.health('/healthz'), 200);
    assert.equal(await whoAnswers(portero.httpPort, 'good.hostile.test', '/'), 'app');
  });

  test('each hostile object is reported as an error naming its field', async () => {
    const errors = portero.entries().filter((entry) => entry.level === 'error');
    assert.ok(errors.length >= HOSTILE.length * 10, `only ${errors.length} errors logged`);
    const fields = new Set(errors.map((entry) => entry.field));
    for (const field of ['spec.rules[0].host', 'spec.rules[0].http.paths[0].path', 'spec.rules[0].http.paths[0].backend.service.name', 'metadata.name', 'metadata.namespace']) {
      assert.ok(fields.has(field), `no error names ${field}`);
    }
  });
});
