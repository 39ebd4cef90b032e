// One bad object never wedges Portero, and a failure never leaves HAProxy
// half-changed:
// - a certificate HAProxy refuses (although Portero's own checks pass it) is
//   left out, its hosts fall back to the default certificate, everything
//   else keeps being applied, and a restart serves every route;
// - an apply HAProxy refuses is retried without waiting for another change;
// - when HAProxy dies right after a runtime change, it comes back with that
//   change.
//
// HAProxy is made stricter than Portero's checks with an OpenSSL
// configuration at security level 3 (RSA keys under 3072 bits refused),
// which only HAProxy reads (Node reads only a `nodejs_conf` section).

import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import selfsigned from 'selfsigned';
import { startBackend, type Backend } from '../helpers/backends.js';
import { mapsMatchFiles, runtimeCommand } from '../helpers/haproxy.js';
import { request, whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const STRICT_OPENSSL = `openssl_conf = strict_init
[strict_init]
ssl_conf = strict_ssl
[strict_ssl]
system_default = strict_default
[strict_default]
CipherString = DEFAULT:@SECLEVEL=3
`;

async function certificate(commonName: string, hosts: string[], keyType: 'ec' | 'rsa'): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType,
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: hosts.map((value) => ({ type: 2 as const, value })) }],
  });
  return { cert: pems.cert, key: pems.private };
}

const commonName = (response: { certificate?: { subject?: { CN?: string | string[] } } }) => String(response.certificate?.subject?.CN ?? '');

/** Once the files have caught up with the live state, every live map equals its file. */
async function liveEqualsFiles(portero: Portero): Promise<void> {
  await portero.filesSynced();
  await mapsMatchFiles(portero.stateDir);
}

describe('a certificate HAProxy refuses is left out, alone', () => {
  let portero: Portero;
  let manifests: string;
  let configDir: string;
  const backends: Record<string, Backend> = {};
  const certs: Record<string, { cert: string; key: string }> = {};
  const env = () => ({ OPENSSL_CONF: join(configDir, 'openssl.cnf') });
  const flags = ['--default-ssl-certificate', 'default/default-cert'];

  before(async () => {
    for (const name of ['good', 'weak', 'plain', 'later']) backends[name] = await startBackend(name);
    certs.default = await certificate('portero default ec', ['unused.invalid'], 'ec');
    certs.good = await certificate('good.test ec', ['good.test'], 'ec');
    certs.weak = await certificate('weak.test rsa2048', ['weak.test'], 'rsa');
    certs.weakFixed = await certificate('weak.test ec', ['weak.test'], 'ec');
    configDir = await mkdtemp(join(tmpdir(), 'portero-openssl-'));
    await writeFile(join(configDir, 'openssl.cnf'), STRICT_OPENSSL);
    manifests = await mkdtemp(join(tmpdir(), 'portero-manifests-'));
    portero = await startPortero({
      manifestsDir: manifests,
      env: env(),
      flags,
      files: {
        'base.yaml': [
          tlsSecret('default-cert', certs.default.cert, certs.default.key),
          tlsSecret('good', certs.good.cert, certs.good.key),
          ...['good', 'weak', 'plain', 'later'].flatMap((name) => serviceWithEndpoints({ name, endpoints: [backends[name]!] })),
          ingress({ name: 'good', tls: [{ hosts: ['good.test'], secretName: 'good' }], rules: [{ host: 'good.test', paths: [{ service: 'good' }] }] }),
          ingress({ name: 'plain', rules: [{ host: 'plain.test', paths: [{ service: 'plain' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.stop();
    await rm(portero?.stateDir ?? '/nonexistent', { recursive: true, force: true });
    await rm(manifests, { recursive: true, force: true });
    await rm(configDir, { recursive: true, force: true });
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('while running: the other changes apply, nothing of the refused one stays half-applied', async () => {
    await portero.write('weak.yaml', [tlsSecret('weak', certs.weak!.cert, certs.weak!.key), ingress({ name: 'weak', tls: [{ hosts: ['weak.test'], secretName: 'weak' }], rules: [{ host: 'weak.test', paths: [{ service: 'weak' }] }] })]);
    await portero.waitForLog((entry) => entry.msg === 'HAProxy refuses this certificate; it is left out and its hosts use the default certificate until its Secret changes' && entry.certificate === 'default_weak');
    // The route is served, with the default certificate; the good host keeps its own.
    await eventually(async () => {
      const weak = await request({ port: portero.httpsPort, host: 'weak.test', tls: true });
      assert.equal(weak.echo?.name, 'weak');
      assert.equal(commonName(weak), 'portero default ec');
    });
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'good.test', tls: true })), 'good.test ec');
    assert.match(await runtimeCommand(portero.stateDir, 'show ssl cert'), /default_good\.pem/);
    assert.doesNotMatch(await runtimeCommand(portero.stateDir, 'show ssl cert'), /default_weak\.pem/);
    // Later changes are applied as usual.
    await portero.write('later.yaml', [ingress({ name: 'later', rules: [{ host: 'later.test', paths: [{ path: '/exact', pathType: 'Exact', service: 'later' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'later.test', '/exact'), 'later'));
    await liveEqualsFiles(portero);
  });

  test('after a restart every route is served, the refused certificate still left out', async () => {
    const stateDir = portero.stateDir;
    await portero.stop();
    await rm(stateDir, { recursive: true, force: true });
    portero = await startPortero({ manifestsDir: manifests, env: env(), flags });
    assert.equal(await portero.health('/readyz'), 200);
    for (const [host, name] of [['plain.test', 'plain'], ['later.test', 'status:404'], ['good.test', 'status:308'], ['weak.test', 'status:308']] as const) {
      assert.equal(await whoAnswers(portero.httpPort, host, '/'), name, host);
    }
    assert.equal(await whoAnswers(portero.httpPort, 'later.test', '/exact'), 'later');
    const weak = await request({ port: portero.httpsPort, host: 'weak.test', tls: true });
    assert.equal(weak.echo?.name, 'weak');
    assert.equal(commonName(weak), 'portero default ec');
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'good.test', tls: true })), 'good.test ec');
  });

  test('a new certificate in the Secret is tried again at once', async () => {
    await portero.write('weak.yaml', [tlsSecret('weak', certs.weakFixed!.cert, certs.weakFixed!.key), ingress({ name: 'weak', tls: [{ hosts: ['weak.test'], secretName: 'weak' }], rules: [{ host: 'weak.test', paths: [{ service: 'weak' }] }] })]);
    await eventually(async () => assert.equal(commonName(await request({ port: portero.httpsPort, host: 'weak.test', tls: true })), 'weak.test ec'));
    await liveEqualsFiles(portero);
  });
});

describe('failures are retried, and a restarted HAProxy keeps the live state', () => {
  let portero: Portero;
  let wrapperDir: string;
  const backends: Record<string, Backend> = {};
  const marker = () => join(wrapperDir, 'refuse');

  before(async () => {
    for (const name of ['a', 'b']) backends[name] = await startBackend(name);
    // HAProxy, except that `haproxy -c` fails while the marker file exists.
    wrapperDir = await mkdtemp(join(tmpdir(), 'portero-haproxy-'));
    const wrapper = join(wrapperDir, 'haproxy');
    await writeFile(wrapper, `#!/bin/sh\nif [ "$1" = "-c" ] && [ -e "${marker()}" ]; then echo "[ALERT]    (1) : injected refusal" >&2; exit 1; fi\nexec haproxy "$@"\n`);
    await chmod(wrapper, 0o755);
    portero = await startPortero({
      flags: ['--haproxy', wrapper],
      files: { 'a.yaml': [...serviceWithEndpoints({ name: 'a', endpoints: [backends.a!] }), ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ service: 'a' }] }] })] },
    });
  });

  after(async () => {
    await portero?.dispose();
    await rm(wrapperDir, { recursive: true, force: true });
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  test('an apply HAProxy refused is retried without another change', async () => {
    await writeFile(marker(), '');
    // The first Exact path needs a reload, which the check refuses.
    await portero.write('exact.yaml', [ingress({ name: 'exact', rules: [{ host: 'a.test', paths: [{ path: '/exact', pathType: 'Exact', service: 'a' }] }] })]);
    await portero.waitForLog((entry) => entry.msg === 'configuration not applied; the last good configuration keeps serving');
    assert.equal(await whoAnswers(portero.httpPort, 'a.test', '/exact'), 'a', 'the Prefix / route still serves');
    assert.equal(await whoAnswers(portero.httpPort, 'a.test', '/other'), 'a');
    const refusedBefore = portero.entries().filter((entry) => entry.msg === 'configuration not applied; the last good configuration keeps serving').length;
    await rm(marker());
    await portero.waitForLog((entry) => entry.msg === 'configuration applied with a reload' && entry.reason === 'structural');
    assert.ok(refusedBefore >= 1, 'the apply was refused before the retry');
    assert.match(String((await readFile(join(portero.stateDir, 'haproxy.cfg'), 'utf8'))), /exact\.map/, 'the retried configuration is the one loaded');
  });

  test('HAProxy killed right after a runtime change comes back with that change', async () => {
    // A new Service takes a spare backend at runtime.
    await portero.write('b.yaml', [...serviceWithEndpoints({ name: 'b', endpoints: [backends.b!] }), ingress({ name: 'b', rules: [{ host: 'b.test', paths: [{ service: 'b' }] }] })] as Json[]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'b.test', '/'), 'b'));
    const master = Number((await readFile(join(portero.stateDir, 'haproxy.pid'), 'utf8')).trim());
    const restarts = portero.entries().filter((entry) => entry.msg === 'HAProxy started again').length;
    process.kill(master, 'SIGKILL');
    await eventually(() => assert.ok(portero.entries().filter((entry) => entry.msg === 'HAProxy started again').length > restarts, 'HAProxy started again'));
    // Served by the restarted HAProxy itself, before any resync reload could have run.
    assert.equal(await whoAnswers(portero.httpPort, 'b.test', '/'), 'b');
    assert.equal(await whoAnswers(portero.httpPort, 'a.test', '/'), 'a');
  });
});
