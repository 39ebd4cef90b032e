// Changes applied to a running Portero end where a fresh start would
// (DESIGN.md, "The invariant of a running Portero"), for the transitions
// that went wrong before:
// - the first host-less rule added, and the last one removed, while a
//   catch-all exists (defect 1 and its twin M1: both render the `_/` key);
// - a live map that differs from its file is found and repaired;
// - a TLS Secret whose name is as long as the API server allows (C1).
// test/e2e/invariant.test.ts covers random sequences of changes.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { loadedGeneration, mapsMatchFiles, runtimeCommand } from '../helpers/haproxy.js';
import { request, whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

async function prefixMapMatchesFile(portero: Portero): Promise<void> {
  await portero.filesSynced();
  await mapsMatchFiles(portero.stateDir, ['prefix.map']);
}

describe('host-less rules come and go while a catch-all exists', () => {
  const backends: Record<string, Backend> = {};
  const services = (): Json[] => ['a', 'hostless', 'dflt'].flatMap((name) => serviceWithEndpoints({ name, endpoints: [backends[name]!] }));
  const hostA = () => ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ service: 'a' }] }] });
  const hostless = (path: string) => ingress({ name: 'hostless', rules: [{ paths: [{ path, service: 'hostless' }] }] });

  before(async () => {
    for (const name of ['a', 'hostless', 'dflt']) backends[name] = await startBackend(name);
  });

  after(async () => {
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('the first host-less rule is served at once; removing it brings the 404 back', async () => {
    const portero = await startPortero({ files: { 'base.yaml': [...services(), hostA()] } });
    try {
      assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/'), 'status:404');
      await portero.write('hostless.yaml', [hostless('/')]);
      await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/'), 'hostless'));
      await prefixMapMatchesFile(portero);
      await portero.remove('hostless.yaml');
      await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/'), 'status:404'));
      await prefixMapMatchesFile(portero);
    } finally {
      await portero.dispose();
    }
  });

  for (const [title, flags, files] of [
    ['spec.defaultBackend', [] as string[], [ingress({ name: 'dflt', creationTimestamp: '2020-01-01T00:00:00Z', defaultBackend: { service: 'dflt' } })]],
    ['--default-backend-service', ['--default-backend-service', 'default/dflt:80'], []],
  ] as const) {
    test(`with ${title}: the host-less level and the catch-all trade places`, async () => {
      const portero = await startPortero({ flags: [...flags], files: { 'base.yaml': [...services(), hostA(), ...files] } });
      try {
        assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/y'), 'dflt');
        await portero.write('hostless.yaml', [hostless('/x')]);
        await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/x'), 'hostless'));
        assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/y'), 'dflt', 'unmatched host-less paths reach the catch-all');
        await prefixMapMatchesFile(portero);
        await portero.remove('hostless.yaml');
        await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/x'), 'dflt'));
        assert.equal(await whoAnswers(portero.httpPort, 'unknown.test', '/y'), 'dflt');
        await prefixMapMatchesFile(portero);
      } finally {
        await portero.dispose();
      }
    });
  }
});

describe('the live state is checked against the files', () => {
  let portero: Portero;
  const backends: Record<string, Backend> = {};

  before(async () => {
    for (const name of ['a', 'b']) backends[name] = await startBackend(name);
    portero = await startPortero({
      files: { 'base.yaml': [...['a', 'b'].flatMap((name) => serviceWithEndpoints({ name, endpoints: [backends[name]!] })), ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ service: 'a' }] }] })] },
    });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('a live map entry lost behind Portero\'s back is found after the next change and repaired', async () => {
    // Something (a bug, an operator at the runtime API) removes a live entry.
    await runtimeCommand(portero.stateDir, `del map ${join(await loadedGeneration(portero.stateDir), 'prefix.map')} a.test/`);
    assert.equal(await whoAnswers(portero.httpPort, 'a.test', '/'), 'status:404');
    // The next runtime change rewrites prefix.map; the check after it finds the difference and reloads.
    await portero.write('b.yaml', [ingress({ name: 'b', rules: [{ host: 'b.test', paths: [{ service: 'b' }] }] })]);
    await portero.waitForLog((entry) => entry.msg === "HAProxy's live state differs from the files after runtime changes; reloading to a known state");
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'a.test', '/'), 'a'));
    assert.equal(await whoAnswers(portero.httpPort, 'b.test', '/'), 'b');
    await prefixMapMatchesFile(portero);
  });
});

describe('values at the limits of what the API server accepts', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({ files: { 'app.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ service: 'app' }] }] })] } });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('a TLS Secret with a 253-character name is served, and later changes still apply (C1)', async () => {
    const name = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const pem = await generateSelfSigned('long.test', ['long.test'], 30);
    await portero.write('tenant.yaml', [tlsSecret(name, pem.cert, pem.key), ingress({ name: 'tenant', tls: [{ hosts: ['long.test'], secretName: name }], rules: [{ host: 'long.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => {
      const response = await request({ port: portero.httpsPort, host: 'long.test', tls: true });
      assert.equal(response.echo?.name, 'app');
      assert.equal(response.certificate?.subject?.CN, 'long.test');
    });
    await portero.write('later.yaml', [ingress({ name: 'later', rules: [{ host: 'later.test', paths: [{ path: '/exact', pathType: 'Exact', service: 'app' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'later.test', '/exact'), 'app'));
  });
});
