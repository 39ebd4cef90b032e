// ingress-nginx's e2e cases for its TLS settings, ported: ssl-ciphers and
// ssl-protocols, the HSTS keys, the HTTP→HTTPS redirect, and
// --default-ssl-certificate, through real HAProxy and real TLS handshakes.
// One Portero (class nginx, controller k8s.io/ingress-nginx, --configmap,
// --default-ssl-certificate) whose ConfigMap the cases change live.
//
// Upstream: test/e2e/settings/{tls,default_ssl_certificate,server_tokens,ssl_passthrough}.go.
//
// not ported: server_tokens.go "should not exists Server header in the response" — checks nginx.conf text only (server_tokens off); Portero answers with `Server: portero` whatever the ConfigMap says (docs/routing.md).
// not ported: server_tokens.go "should exists Server header in the response when is enabled" — checks nginx.conf text only (server_tokens on).
// not ported: ssl_passthrough.go "should enable ssl-passthrough-proxy-port on a different port" — --ssl-passthrough-proxy-port is not a Portero flag: its TCP frontend hands connections to the TLS frontend over a local socket (docs/configuration.md).
// not ported: ssl_passthrough.go "should pass unknown traffic to default backend and handle known traffic" — already ported in test/e2e/annotations-passthrough.test.ts (passthrough host reaches the pod as it is, other TLS hosts are ended by Portero).

import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { SecureVersion } from 'node:tls';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, tlsSecret } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const settings = (data: Record<string, string>) => [configMap('ingress-nginx-controller', data, 'ingress-nginx')];

interface Handshake {
  status: number;
  protocol: string | null;
  cipher: string;
  /** Common name of the certificate served. */
  subject: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request with the client's TLS versions and ciphers under the test's control. */
function handshake(port: number, servername: string, options: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string; path?: string; headers?: Record<string, string> } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        servername,
        headers: { host: servername, ...(options.headers ?? {}) },
        rejectUnauthorized: false,
        agent: false,
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.ciphers ? { ciphers: options.ciphers } : {}),
      },
      (response) => {
        const socket = response.socket as import('node:tls').TLSSocket;
        const result: Handshake = {
          status: response.statusCode ?? 0,
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().standardName,
          subject: String(socket.getPeerCertificate().subject?.CN ?? ''),
          headers: response.headers,
        };
        response.resume();
        response.on('end', () => resolve(result));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ingress-nginx settings: TLS protocols, ciphers, HSTS, redirects, default certificate', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    const site = await generateSelfSigned('settings-tls', ['settings-tls'], 30);
    const wrong = await generateSelfSigned('not.foo', ['not.foo'], 30);
    const fallback = await generateSelfSigned('my-custom-cert', ['*'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP, '--default-ssl-certificate', 'ingress-nginx/my-custom-cert'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({}),
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secrets.yaml': [tlsSecret('settings-tls', site.cert, site.key), tlsSecret('foo-tls', wrong.cert, wrong.key), tlsSecret('my-custom-cert', fallback.cert, fallback.key, 'ingress-nginx')],
        'ingresses.yaml': [
          ingress({ name: 'settings-tls', className: 'nginx', tls: [{ hosts: ['settings-tls'], secretName: 'settings-tls' }], rules: [{ host: 'settings-tls', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'foo', className: 'nginx', tls: [{ hosts: ['foo'], secretName: 'foo-tls' }], rules: [{ host: 'foo', paths: [{ service: 'app' }] }] }),
          ingress({ name: 'catch-all', className: 'nginx', defaultBackend: { service: 'app' } }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('tls.go: setting cipher suite (ssl-ciphers with ssl-protocols TLSv1.2)', async () => {
    await portero.write('configmap.yaml', settings({ 'ssl-ciphers': 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA', 'ssl-protocols': 'TLSv1.2' }));
    // TLS 1.3 is no longer offered once the change is live.
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).protocol, 'TLSv1.2'));
    const result = await handshake(portero.httpsPort, 'settings-tls');
    assert.equal(result.status, 200);
    assert.equal(result.cipher, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    // A cipher outside the list is refused.
    await assert.rejects(handshake(portero.httpsPort, 'settings-tls', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }));
  });

  test('tls.go: enforcing TLS v1.0 — deliberate difference: TLSv1 is never offered, the key is refused with a warning', async () => {
    await portero.write('configmap.yaml', settings({ 'ssl-ciphers': 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA', 'ssl-protocols': 'TLSv1' }));
    // docs/configuration.md (ssl-protocols): TLSv1 and TLSv1.1 are never offered; a list without
    // TLSv1.2 or TLSv1.3 is refused and Portero's default (TLSv1.2 TLSv1.3) applies.
    await portero.waitForLog((entry) => entry.field === 'data["ssl-protocols"]' && String(entry.msg).includes('"TLSv1"'));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).protocol, 'TLSv1.3'));
    await assert.rejects(handshake(portero.httpsPort, 'settings-tls', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'ECDHE-RSA-AES256-SHA:@SECLEVEL=0' }));
    const twelve = await handshake(portero.httpsPort, 'settings-tls', { maxVersion: 'TLSv1.2' });
    assert.equal(twelve.protocol, 'TLSv1.2');
    assert.equal(twelve.cipher, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  });

  test('tls.go: HSTS setting max-age parameter — deliberate difference: only with hsts "true"', async () => {
    // ingress-nginx's hsts defaults to true; Portero applies none of its defaults for keys
    // the ConfigMap does not set (docs/configuration.md), and says so in a warning.
    await portero.write('configmap.yaml', settings({ 'hsts-max-age': '86400' }));
    await portero.waitForLog((entry) => entry.field === 'data["hsts"]' && String(entry.msg).includes('no effect unless hsts is "true"'));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).protocol, 'TLSv1.3'));
    assert.equal((await handshake(portero.httpsPort, 'settings-tls')).headers['strict-transport-security'], undefined);
    await portero.write('configmap.yaml', settings({ hsts: 'true', 'hsts-max-age': '86400' }));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).headers['strict-transport-security'], 'max-age=86400; includeSubDomains'));
  });

  test('tls.go: HSTS setting includeSubDomains parameter', async () => {
    await portero.write('configmap.yaml', settings({ hsts: 'true', 'hsts-max-age': '86400', 'hsts-include-subdomains': 'false' }));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).headers['strict-transport-security'], 'max-age=86400'));
  });

  test('tls.go: HSTS setting preload parameter', async () => {
    await portero.write('configmap.yaml', settings({ hsts: 'true', 'hsts-max-age': '86400', 'hsts-preload': 'true', 'hsts-include-subdomains': 'false' }));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).headers['strict-transport-security'], 'max-age=86400; preload'));
  });

  test("tls.go: HSTS overriding what's set from the upstream", async () => {
    const result = await handshake(portero.httpsPort, 'settings-tls', { path: '/?hsts=true', headers: { 'x-echo-set-header': 'Strict-Transport-Security: max-age=3600; preload' } });
    assert.equal(result.status, 200);
    // One header, the proxy's: the backend's is replaced, not repeated.
    assert.equal(result.headers['strict-transport-security'], 'max-age=86400; preload');
  });

  test('tls.go: the HTTP to HTTPS redirection does not use the port of the request', async () => {
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await handshake(portero.httpsPort, 'settings-tls')).headers['strict-transport-security'], undefined));
    const response = await request({ port: portero.httpPort, host: `settings-tls:${portero.httpPort}`, path: '/' });
    assert.equal(response.status, 308);
    // The HTTPS port Portero listens on (ingress-nginx listens on 443 in its e2e setup, where neither
    // adds a port). Deliberate difference: the path is kept as it is, "/" included; ingress-nginx
    // strips a trailing slash (docs/migrating-from-ingress-nginx.md, ssl-redirect-trailing-slash).
    assert.equal(response.headers.location, `https://settings-tls:${portero.httpsPort}/`);
  });

  test('tls.go: the HTTP to HTTPS redirection with use-forwarded-headers — deliberate difference: to the request Host, not X-Forwarded-Host', async () => {
    await portero.write('configmap.yaml', settings({ 'use-forwarded-headers': 'true' }));
    await eventually(async () => {
      const seen = await request({ port: portero.httpPort, host: 'other.test', path: '/', headers: { 'x-forwarded-proto': 'myproto' } });
      assert.equal(seen.echo?.headers['x-forwarded-proto'], 'myproto');
    });
    const response = await request({ port: portero.httpPort, host: 'settings-tls', path: '/', headers: { 'x-forwarded-host': 'example.com:80' } });
    assert.equal(response.status, 308);
    // docs/configuration.md (use-forwarded-headers): the redirect goes to the Host routed.
    assert.equal(response.headers.location, `https://settings-tls:${portero.httpsPort}/`);
  });

  test('default_ssl_certificate.go: the default SSL certificate serves the catch-all Ingress', async () => {
    const result = await handshake(portero.httpsPort, 'anything.test');
    assert.equal(result.subject, 'my-custom-cert');
    assert.equal(result.status, 200);
    // And without SNI.
    const response = await request({ port: portero.httpsPort, tls: true, host: 'anything.test', servername: '', path: '/' });
    assert.equal(response.certificate?.subject?.CN, 'my-custom-cert');
    assert.equal(response.echo?.name, 'app');
  });

  test('default_ssl_certificate.go: the default SSL certificate serves a host whose certificate does not match it', async () => {
    const result = await handshake(portero.httpsPort, 'foo');
    assert.equal(result.status, 200);
    assert.equal(result.subject, 'my-custom-cert');
    await portero.waitForLog((entry) => String(entry.msg).includes('does not cover host foo'));
  });
});
