// TLS by SNI from Secrets, the default certificate (generated, or from
// --default-ssl-certificate), the 308 redirect to HTTPS and HTTP/2.

import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

function commonName(response: { certificate?: { subject?: { CN?: string | string[] } } }): string {
  const cn = response.certificate?.subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : (cn ?? '');
}

describe('TLS', () => {
  let portero: Portero;
  let app: Backend;
  let rotated: { cert: string; key: string };

  before(async () => {
    app = await startBackend('secure-app');
    const site = await generateSelfSigned('a.tls.test', ['a.tls.test'], 30);
    const wildcard = await generateSelfSigned('*.wild.tls.test', ['*.wild.tls.test'], 30);
    rotated = await generateSelfSigned('a.tls.test rotated', ['a.tls.test'], 30);
    portero = await startPortero({
      files: {
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ingress({
            name: 'secure',
            tls: [{ hosts: ['a.tls.test'], secretName: 'a-tls' }, { hosts: ['*.wild.tls.test'], secretName: 'wild-tls' }],
            rules: [
              { host: 'a.tls.test', paths: [{ service: 'app' }] },
              { host: '*.wild.tls.test', paths: [{ service: 'app' }] },
            ],
          }),
          ingress({
            name: 'broken-secret',
            tls: [{ hosts: ['missing.tls.test'], secretName: 'no-such-secret' }],
            rules: [{ host: 'missing.tls.test', paths: [{ service: 'app' }] }],
          }),
          ingress({ name: 'plain', rules: [{ host: 'plain.tls.test', paths: [{ service: 'app' }] }] }),
          // An exact host under the wildcard, without TLS: its own level, never redirected by the wildcard.
          ingress({ name: 'exact-under-wildcard', rules: [{ host: 'exact.wild.tls.test', paths: [{ service: 'app' }] }] }),
          // An exact TLS host under the wildcard whose Secret is missing.
          ingress({ name: 'gone-under-wildcard', tls: [{ hosts: ['gone.wild.tls.test'], secretName: 'gone-tls' }], rules: [{ host: 'gone.wild.tls.test', paths: [{ service: 'app' }] }] }),
        ],
        'secrets.yaml': [tlsSecret('a-tls', site.cert, site.key), tlsSecret('wild-tls', wildcard.cert, wildcard.key)],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('SNI selects the certificate from the Secret', async () => {
    const response = await request({ port: portero.httpsPort, host: 'a.tls.test', tls: true });
    assert.equal(response.status, 200);
    assert.equal(commonName(response), 'a.tls.test');
    assert.equal(response.echo?.name, 'secure-app');
  });

  test('a wildcard TLS host covers exactly one label', async () => {
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'x.wild.tls.test', tls: true })), '*.wild.tls.test');
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'a.b.wild.tls.test', tls: true })), 'Portero Default Certificate');
  });

  test('unknown or missing SNI gets the generated default certificate', async () => {
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'other.test', tls: true })), 'Portero Default Certificate');
    assert.equal(commonName(await request({ port: portero.httpsPort, host: 'a.tls.test', servername: '', tls: true })), 'Portero Default Certificate');
  });

  test('a missing Secret leaves the host on the default certificate, with a warning', async () => {
    const response = await request({ port: portero.httpsPort, host: 'missing.tls.test', tls: true });
    assert.equal(response.status, 200);
    assert.equal(commonName(response), 'Portero Default Certificate');
    const warning = await portero.waitForLog((entry) => entry.level === 'warn' && entry.object === 'Ingress default/broken-secret');
    assert.equal(warning.field, 'spec.tls[0].secretName');
  });

  test('a TLS host whose Secret is missing is served the wildcard certificate that covers it', async () => {
    // Decided (docs/routing.md): the most specific certificate configured for the name by SNI, which clients accept, rather than the default one.
    const response = await request({ port: portero.httpsPort, host: 'gone.wild.tls.test', tls: true });
    assert.equal(response.status, 200);
    assert.equal(commonName(response), '*.wild.tls.test');
    await portero.waitForLog((entry) => entry.level === 'warn' && entry.object === 'Ingress default/gone-under-wildcard' && entry.field === 'spec.tls[0].secretName');
  });

  test('a wildcard TLS host redirects only the hosts of its own level', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'exact.wild.tls.test', path: '/x' })).status, 200);
    assert.equal((await request({ port: portero.httpPort, host: 'other.wild.tls.test', path: '/x' })).status, 308);
  });

  test('TLS 1.2 offers forward-secret AEAD suites only', async () => {
    const handshake = (ciphers: string) =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: portero.httpsPort, servername: 'a.tls.test', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers }, () => {
          resolve(socket.getCipher().name);
          socket.end();
        });
        socket.on('error', () => resolve('refused'));
      });
    assert.equal(await handshake('ECDHE-RSA-AES128-GCM-SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
    for (const weak of ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-RSA-AES128-SHA', 'DHE-RSA-AES128-GCM-SHA256']) assert.equal(await handshake(weak), 'refused', weak);
  });

  test('plain HTTP to a TLS host redirects to HTTPS with 308, keeping path and query', async () => {
    const response = await request({ port: portero.httpPort, host: 'a.tls.test', path: '/some/path?q=1&r=2' });
    assert.equal(response.status, 308);
    assert.equal(response.headers.location, `https://a.tls.test:${portero.httpsPort}/some/path?q=1&r=2`);
    const wild = await request({ port: portero.httpPort, host: 'X.Wild.tls.test:80', path: '/' });
    assert.equal(wild.status, 308);
    assert.equal(wild.headers.location, `https://x.wild.tls.test:${portero.httpsPort}/`);
    assert.equal((await request({ port: portero.httpPort, host: 'missing.tls.test', path: '/' })).status, 308);
  });

  test('hosts without TLS are not redirected, and ACME challenges never are', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'plain.tls.test' })).status, 200);
    const acme = await request({ port: portero.httpPort, host: 'a.tls.test', path: '/.well-known/acme-challenge/token' });
    assert.equal(acme.status, 200);
  });

  test('HTTPS requests carry X-Forwarded-Proto https', async () => {
    const response = await request({ port: portero.httpsPort, host: 'a.tls.test', tls: true, headers: { 'x-forwarded-proto': 'http' } });
    assert.equal(response.echo?.headers['x-forwarded-proto'], 'https');
  });

  test('HTTP/2 is offered on the TLS port', async () => {
    const session = connect(`https://127.0.0.1:${portero.httpsPort}`, { servername: 'a.tls.test', rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2', ':authority': 'a.tls.test' });
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
        stream.on('end', () => resolve(data));
        stream.on('error', reject);
      });
      assert.equal(session.alpnProtocol, 'h2');
      assert.equal(JSON.parse(body).name, 'secure-app');
    } finally {
      session.close();
    }
  });

  test('a rotated Secret is served after the file changes', async () => {
    await portero.write('secrets.yaml', [tlsSecret('a-tls', rotated.cert, rotated.key)]);
    await eventually(async () => {
      assert.equal(commonName(await request({ port: portero.httpsPort, host: 'a.tls.test', tls: true })), 'a.tls.test rotated');
    });
  });
});

describe('--default-ssl-certificate', () => {
  let portero: Portero;

  before(async () => {
    const fallback = await generateSelfSigned('custom default', ['default.example'], 30);
    portero = await startPortero({
      flags: ['--default-ssl-certificate', 'ingress/default-cert'],
      files: { 'secret.yaml': [tlsSecret('default-cert', fallback.cert, fallback.key, 'ingress')] },
    });
  });

  after(async () => {
    await portero?.dispose();
  });

  test('names the Secret served when SNI matches no host', async () => {
    const response = await request({ port: portero.httpsPort, host: 'anything.test', tls: true });
    assert.equal(commonName(response), 'custom default');
    assert.equal(response.status, 404);
  });
});
