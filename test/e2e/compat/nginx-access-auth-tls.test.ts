// ingress-nginx's own e2e cases for client certificates
// (test/e2e/annotations/authtls.go), ported to real TLS requests through
// Portero and HAProxy. Upstream's CreateIngressMASecret makes a Secret with
// the site's certificate and key and the client CA (ca.crt), and a client
// certificate from that CA; the port does the same with openssl
// (test/helpers/client-certs.ts). Where upstream first waits for
// ssl_verify_client/ssl_verify_depth lines in nginx.conf, the port checks what
// those lines do: which requests pass. Each case has a host of its own.
//
// not ported: none — the nginx.conf checks inside the cases are replaced by the requests that follow them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { TestCa, type Issued } from '../../helpers/client-certs.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const HOSTS = ['secret', 'off', 'error-page', 'pass', 'verify', 'cn-none', 'cn-match', 'cn-alternatives'].map((name) => `${name}.authtls.foo.com`);
const SECRET = 'default/authtls.foo.com';

/** upstream's NewSingleIngressWithTLS: the host served with the Secret's certificate. */
function withTls(host: string, annotations: Record<string, string>): Json {
  const prefixed = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({ name: host.split('.')[0]!, className: 'nginx', annotations: prefixed, tls: [{ hosts: [host], secretName: 'authtls.foo.com' }], rules: [{ host, paths: [{ service: 'http-svc' }] }] });
}

describe('ingress-nginx e2e, authtls.go (auth-tls-*)', () => {
  let portero: Portero;
  let echo: Backend;
  let ca: TestCa;
  let client: Issued;

  before(async () => {
    echo = await startBackend('http-svc');
    ca = await TestCa.create('authtls.foo.com CA');
    client = await ca.issue('client', '/CN=authtls.foo.com');
    const site = await generateSelfSigned('authtls.foo.com', HOSTS, 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: 'http-svc', endpoints: [echo] }),
        'secret.yaml': [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'kubernetes.io/tls',
            metadata: { name: 'authtls.foo.com', namespace: 'default' },
            stringData: { 'tls.crt': site.cert, 'tls.key': site.key, 'ca.crt': ca.cert },
          },
        ],
        'secret-host.yaml': [withTls('secret.authtls.foo.com', {})],
        'verify-host.yaml': [withTls('verify.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'on' })],
        'ingresses.yaml': [
          withTls('off.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'off', 'auth-tls-verify-depth': '2' }),
          withTls('error-page.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-error-page': 'http://errors.authtls.foo.com/error' }),
          withTls('pass.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-pass-certificate-to-upstream': 'true' }),
          withTls('cn-none.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'on', 'auth-tls-match-cn': 'CN=notmatchingcn' }),
          withTls('cn-match.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'on', 'auth-tls-match-cn': 'CN=authtls' }),
          withTls('cn-alternatives.authtls.foo.com', { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'on', 'auth-tls-match-cn': 'CN=(notmatchingcn|authtls)' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
    await ca?.dispose();
  });

  /** upstream's HTTPTestClient (no client certificate) or HTTPTestClientWithTLSConfig (the client certificate), on the HTTPS port. */
  const https = (host: string, certificate?: Issued): Promise<Response> => request({ port: portero.httpsPort, tls: true, host, path: '/', ...(certificate ? { clientCertificate: certificate } : {}) });

  test('authtls.go: should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret', async () => {
    const host = 'secret.authtls.foo.com';
    // Without the annotation no certificate is asked for.
    assert.equal((await https(host)).status, 200);
    await portero.write('secret-host.yaml', [withTls(host, { 'auth-tls-secret': SECRET })]);
    // verify-client on (the default): without a certificate, 400; with one from the CA, 200.
    await eventually(async () => assert.equal((await https(host)).status, 400));
    const response = await https(host, client);
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers['ssl-client-verify'], 'SUCCESS');
  });

  test('authtls.go: should set valid auth-tls-secret, sslVerify to off, and sslVerifyDepth to 2', async () => {
    const response = await https('off.authtls.foo.com');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers['ssl-client-verify'], 'NONE');
  });

  test('authtls.go: should 302 redirect to error page instead of 400 when auth-tls-error-page is set', async () => {
    const refused = await https('error-page.authtls.foo.com');
    assert.equal(refused.status, 302);
    assert.equal(refused.headers.location, 'http://errors.authtls.foo.com/error');
    assert.equal((await https('error-page.authtls.foo.com', client)).status, 200);
  });

  test('authtls.go: should pass URL-encoded certificate to upstream', async () => {
    assert.equal((await https('pass.authtls.foo.com')).status, 400);
    const response = await https('pass.authtls.foo.com', client);
    assert.equal(response.status, 200);
    assert.match(String(response.echo?.headers['ssl-client-cert']), /^-----BEGIN%20CERTIFICATE-----%0A/);
  });

  test('authtls.go: should validate auth-tls-verify-client', async () => {
    const host = 'verify.authtls.foo.com';
    assert.equal((await https(host, client)).status, 200);
    assert.equal((await https(host)).status, 400);
    await portero.write('verify-host.yaml', [withTls(host, { 'auth-tls-secret': SECRET, 'auth-tls-verify-client': 'off' })]);
    await eventually(async () => assert.equal((await https(host)).status, 200));
    assert.equal((await https(host, client)).status, 200);
  });

  test('authtls.go: should return 403 using auth-tls-match-cn with no matching CN from client', async () => {
    const response = await https('cn-none.authtls.foo.com', client);
    assert.equal(response.status, 403);
  });

  test('authtls.go: should return 200 using auth-tls-match-cn with matching CN from client', async () => {
    assert.equal((await https('cn-match.authtls.foo.com', client)).status, 200);
  });

  test('authtls.go: should return 200 using auth-tls-match-cn where atleast one of the regex options matches CN from client', async () => {
    assert.equal((await https('cn-alternatives.authtls.foo.com', client)).status, 200);
  });
});
