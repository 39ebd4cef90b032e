// Changes without reload: endpoints, routes, new hosts, new Services (spare
// backends) and certificates are applied through the runtime API; the
// HAProxy worker stays the same, the live maps equal the files on disk,
// WebSockets and long downloads survive, and a forced reload reproduces the
// live state exactly.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { currentWorker, mapsMatchFiles as mapsMatchFilesOf, runtimeCommand, showMap } from '../helpers/haproxy.js';
import { request, whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const commonName = (response: { certificate?: { subject?: { CN?: string | string[] } } }) => String(response.certificate?.subject?.CN ?? '');

describe('zero-reload updates', () => {
  let portero: Portero;
  const backends: Record<string, Backend> = {};
  let worker: number;
  let certs: Record<string, { cert: string; key: string }>;

  const services = (spec: Record<string, { name: string; ready?: boolean }[]>): Json[] =>
    Object.entries(spec).flatMap(([name, pods]) =>
      serviceWithEndpoints({ name, endpoints: pods.map((pod) => ({ address: backends[pod.name]!.address, port: backends[pod.name]!.port, ready: pod.ready ?? true })) }),
    );
  const base = () =>
    ingress({
      name: 'base',
      tls: [{ hosts: ['tls.z.test'], secretName: 'tls' }],
      rules: [
        { host: 'z.test', paths: [{ path: '/a', service: 'svc-a' }, { path: '/exact', pathType: 'Exact', service: 'svc-b' }] },
        { host: 'tls.z.test', paths: [{ service: 'svc-a' }] },
      ],
    });

  /** Answers for `count` requests, in order (round-robin shows every ready endpoint). */
  const answers = async (host: string, path: string, count = 4) => {
    const out: string[] = [];
    for (let i = 0; i < count; i += 1) out.push(await whoAnswers(portero.httpPort, host, path));
    return out;
  };

  /** Every map HAProxy holds equals its file on disk. */
  const mapsMatchFiles = () => mapsMatchFilesOf(portero.stateDir);

  const noReload = async () => {
    assert.equal(await currentWorker(portero.stateDir), worker, `the HAProxy worker is the same: no reload\n${portero.logs.filter((l) => l.includes('runtime update failed') || l.includes('with a reload')).join('\n')}`);
    // The files follow the runtime changes in the background, within moments.
    await eventually(mapsMatchFiles, 10_000);
  };

  before(async () => {
    for (const name of ['a1', 'a2', 'b1', 'c1']) backends[name] = await startBackend(name);
    certs = {
      tls: await generateSelfSigned('tls.z.test', ['tls.z.test'], 30),
      tls2: await generateSelfSigned('tls.z.test v2', ['tls.z.test'], 30),
      fresh: await generateSelfSigned('fresh.z.test', ['fresh.z.test'], 30),
    };
    portero = await startPortero({
      files: {
        'services.yaml': services({ 'svc-a': [{ name: 'a1' }], 'svc-b': [{ name: 'b1' }] }),
        'base.yaml': [base()],
        'secret.yaml': [tlsSecret('tls', certs.tls!.cert, certs.tls!.key)],
      },
    });
    worker = await currentWorker(portero.stateDir);
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('an endpoint added, made not ready, ready again, and removed', async () => {
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a1' }, { name: 'a2' }], 'svc-b': [{ name: 'b1' }] }));
    await eventually(async () => assert.deepEqual(new Set(await answers('z.test', '/a')), new Set(['a1', 'a2'])));
    await noReload();
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a1' }, { name: 'a2', ready: false }], 'svc-b': [{ name: 'b1' }] }));
    await eventually(async () => assert.deepEqual(new Set(await answers('z.test', '/a')), new Set(['a1'])));
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a1' }, { name: 'a2' }], 'svc-b': [{ name: 'b1' }] }));
    await eventually(async () => assert.deepEqual(new Set(await answers('z.test', '/a')), new Set(['a1', 'a2'])));
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a2' }], 'svc-b': [{ name: 'b1' }] }));
    await eventually(async () => assert.deepEqual(new Set(await answers('z.test', '/a')), new Set(['a2'])));
    await noReload();
    // The drained server is deleted once idle.
    await eventually(async () => assert.doesNotMatch(await runtimeCommand(portero.stateDir, 'show servers state default_svc-a_80'), new RegExp(`${backends.a1!.address}_`)));
  });

  test('routes added, changed and removed on an existing host, Exact ones too', async () => {
    await portero.write('extra.yaml', [ingress({ name: 'extra', rules: [{ host: 'z.test', paths: [{ path: '/x', service: 'svc-b' }, { path: '/exact2', pathType: 'Exact', service: 'svc-a' }] }] })]);
    await eventually(async () => {
      assert.equal(await whoAnswers(portero.httpPort, 'z.test', '/x/1'), 'b1');
      assert.equal(await whoAnswers(portero.httpPort, 'z.test', '/exact2'), 'a2');
    });
    await portero.write('extra.yaml', [ingress({ name: 'extra', rules: [{ host: 'z.test', paths: [{ path: '/x', service: 'svc-a' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'z.test', '/x/1'), 'a2'));
    assert.equal(await whoAnswers(portero.httpPort, 'z.test', '/exact2'), 'status:404');
    await portero.remove('extra.yaml');
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'z.test', '/x/1'), 'status:404'));
    await noReload();
  });

  test('a new host, and a new Service behind a new Ingress (a spare backend)', async () => {
    await portero.write('new-host.yaml', [ingress({ name: 'new-host', rules: [{ host: 'new.z.test', paths: [{ service: 'svc-b' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'new.z.test', '/'), 'b1'));
    await portero.write('new-app.yaml', [...services({ 'svc-c': [{ name: 'c1' }] }), ingress({ name: 'new-app', rules: [{ host: 'app.z.test', paths: [{ service: 'svc-c' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'app.z.test', '/'), 'c1'));
    assert.match(await runtimeCommand(portero.stateDir, 'show servers state portero:spare:0'), new RegExp(backends.c1!.address.replace(/\./g, '\\.')));
    await noReload();
  });

  test('a certificate added, rotated and removed', async () => {
    await portero.write('fresh.yaml', [
      tlsSecret('fresh', certs.fresh!.cert, certs.fresh!.key),
      ingress({ name: 'fresh', tls: [{ hosts: ['fresh.z.test'], secretName: 'fresh' }], rules: [{ host: 'fresh.z.test', paths: [{ service: 'svc-a' }] }] }),
    ]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'fresh.z.test', tls: true })), 'fresh.z.test'));
    assert.equal((await request({ port: portero.httpPort, host: 'fresh.z.test' })).status, 308, portero.logs.filter((l) => !l.includes('debug')).slice(-8).join('\n'));
    await portero.write('secret.yaml', [tlsSecret('tls', certs.tls2!.cert, certs.tls2!.key)]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'tls.z.test', tls: true })), 'tls.z.test v2'));
    await portero.remove('fresh.yaml');
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'fresh.z.test', tls: true })), 'Portero Default Certificate'));
    await noReload();
  });

  test('a WebSocket and a long download survive every kind of change', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${portero.httpPort}/a/socket`, { headers: { host: 'z.test' } });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const download = request({ port: portero.httpPort, host: 'z.test', path: '/a/stream?chunks=30&interval=100', timeoutMs: 20_000 });
    await sleep(200);
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a2' }, { name: 'a1' }], 'svc-b': [{ name: 'b1' }] }));
    await sleep(300);
    await portero.write('churn.yaml', [ingress({ name: 'churn', rules: [{ host: 'churn.z.test', paths: [{ service: 'svc-b' }] }] })]);
    await sleep(300);
    await portero.write('secret.yaml', [tlsSecret('tls', certs.tls!.cert, certs.tls!.key)]);
    await sleep(300);
    await portero.write('new-app2.yaml', [...services({ 'svc-d': [{ name: 'c1' }] }), ingress({ name: 'new-app2', rules: [{ host: 'd.z.test', paths: [{ service: 'svc-d' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'd.z.test', '/'), 'c1'));
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('still there?');
    assert.equal(await reply, 'a2: still there?');
    socket.close();
    const response = await download;
    assert.equal(response.body.trim().split('\n').length, 30, 'all 30 chunks of the download arrived');
    await noReload();
  });

  test('a forced reload (SIGHUP) reproduces the live state exactly', async () => {
    const probe = async () => ({
      answers: await Promise.all(['z.test /a', 'z.test /exact', 'new.z.test /', 'app.z.test /', 'd.z.test /', 'churn.z.test /', 'nowhere.test /'].map(async (entry) => {
        const [host, path] = entry.split(' ') as [string, string];
        // Round-robin: the set of endpoints that answer, not the order.
        return `${entry} → ${[...new Set(await answers(host, path))].sort().join(',')}`;
      })),
      tls: commonName(await request({ port: portero.httpsPort, host: 'tls.z.test', tls: true })),
      hosts: await showMap(portero.stateDir, 'hosts.map'),
      redirect: await showMap(portero.stateDir, 'redirect.map'),
    });
    const before = await probe();
    portero.child.kill('SIGHUP');
    await eventually(async () => assert.notEqual(await currentWorker(portero.stateDir), worker));
    await portero.waitForLog((entry) => entry.reason === 'forced');
    assert.deepEqual(await probe(), before);
    await eventually(mapsMatchFiles, 10_000);
  });

  test('changes made just before and during a reload are not lost', async () => {
    const before = await currentWorker(portero.stateDir);
    await portero.write('during-0.yaml', [ingress({ name: 'during-0', rules: [{ host: 'during0.z.test', paths: [{ service: 'svc-b' }] }] })]);
    portero.child.kill('SIGHUP');
    for (let i = 1; i <= 5; i += 1) {
      await portero.write(`during-${i}.yaml`, [ingress({ name: `during-${i}`, rules: [{ host: `during${i}.z.test`, paths: [{ service: 'svc-b' }] }] })]);
      await sleep(30);
    }
    await portero.write('services.yaml', services({ 'svc-a': [{ name: 'a1' }], 'svc-b': [{ name: 'b1' }, { name: 'c1' }] }));
    await eventually(async () => assert.notEqual(await currentWorker(portero.stateDir), before));
    await eventually(async () => {
      for (let i = 0; i <= 5; i += 1) assert.notEqual(await whoAnswers(portero.httpPort, `during${i}.z.test`, '/'), 'status:404', `during${i}`);
      assert.deepEqual(new Set(await answers('during5.z.test', '/')), new Set(['b1', 'c1']));
    });
    await eventually(mapsMatchFiles, 10_000);
  });
});
