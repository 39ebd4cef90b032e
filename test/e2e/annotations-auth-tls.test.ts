// Client-certificate authentication (auth-tls-secret, auth-tls-verify-client,
// auth-tls-verify-depth, auth-tls-error-page, auth-tls-match-cn,
// auth-tls-pass-certificate-to-upstream) through real HAProxy, with real
// client certificates made at test time by `openssl req` and `openssl ca`:
// a CA whose revocation list names a revoked certificate, another CA, an
// expired certificate. Checked: every verify mode, the headers the Service
// sees (and that client-sent ones never reach it), match-cn, the error page,
// the SNI-vs-Host bypass attempt, a missing CA Secret failing closed for its
// host only, and the life of the annotation and its Secret on one running
// Portero.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { TestCa, type Issued } from '../helpers/client-certs.js';
import { request, type Response } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const SPOOFED = { 'ssl-client-verify': 'SUCCESS', 'ssl-client-subject-dn': 'CN=admin', 'ssl-client-issuer-dn': 'CN=Test CA A', 'ssl-client-cert': 'forged', ssl_client_verify: 'SUCCESS', 'SSL_Client_Subject_DN': 'CN=admin' };

function caSecret(name: string, data: Record<string, string>, namespace = 'default', type = 'Opaque'): Json {
  return { apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace }, stringData: data };
}

function mtls(name: string, host: string, annotations: Record<string, string>, options: { tls?: boolean; path?: string } = {}): Json {
  const prefixed = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({
    name,
    className: 'nginx',
    annotations: prefixed,
    ...(options.tls ? { tls: [{ hosts: [host], secretName: 'site-tls' }] } : {}),
    rules: [{ host, paths: [{ path: options.path ?? '/', service: 'app' }] }],
  });
}

describe('ingress-nginx annotations: client certificates (auth-tls-*)', () => {
  let portero: Portero;
  let app: Backend;
  let caA: TestCa;
  let caB: TestCa;
  let alice: Issued;
  let bob: Issued;
  let mallory: Issued;
  let expired: Issued;
  let revoked: Issued;
  let crl: string;

  before(async () => {
    app = await startBackend('app');
    caA = await TestCa.create('Test CA A');
    caB = await TestCa.create('Test CA B', caA.dir);
    alice = await caA.issue('alice', '/C=US/O=Acme, Inc./CN=alice');
    bob = await caA.issue('bob', '/CN=bob');
    // Same subject as alice, from a CA the hosts do not trust.
    mallory = await caB.issue('mallory', '/C=US/O=Acme, Inc./CN=alice');
    expired = await caA.issue('expired', '/CN=alice', { start: '20200101000000Z', end: '20200201000000Z' });
    revoked = await caA.issue('revoked', '/CN=alice');
    await caA.revoke('revoked');
    crl = await caA.crl();
    const hosts = ['on.mtls.test', 'page.mtls.test', 'open.mtls.test', 'late.mtls.test'];
    const site = await generateSelfSigned('mtls test site', hosts, 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secrets.yaml': [
          tlsSecret('site-tls', site.cert, site.key),
          caSecret('client-ca', { 'ca.crt': caA.cert, 'ca.crl': crl, unrelated: 'never stored' }),
          // A TLS Secret that also holds the CA (cert-manager writes ca.crt there), in another namespace.
          caSecret('ca-in-tls', { 'tls.crt': site.cert, 'tls.key': site.key, 'ca.crt': caA.cert }, 'certs', 'kubernetes.io/tls'),
          caSecret('ca-b', { 'ca.crt': caB.cert }),
        ],
        'ingresses.yaml': [
          mtls('on', 'on.mtls.test', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-depth': '1', 'auth-tls-pass-certificate-to-upstream': 'true' }, { tls: true }),
          // Another Ingress of the same host, without the annotations: the host's settings apply to its paths too.
          mtls('on-other-path', 'on.mtls.test', {}, { path: '/other' }),
          // A newer Ingress of the host asking for other settings: the oldest's apply, with a warning.
          mtls('on-disagrees', 'on.mtls.test', { 'auth-tls-secret': 'ca-b', 'auth-tls-verify-client': 'optional' }, { path: '/disagrees' }),
          mtls('optional', 'optional.mtls.test', { 'auth-tls-secret': 'certs/ca-in-tls', 'auth-tls-verify-client': 'optional' }),
          mtls('no-ca', 'nca.mtls.test', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'optional_no_ca', 'auth-tls-pass-certificate-to-upstream': 'true' }),
          mtls('off', 'off.mtls.test', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'off' }),
          mtls('cn', 'cn.mtls.test', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(alice|carol)(,|$)' }),
          mtls('page', 'page.mtls.test', { 'auth-tls-secret': 'client-ca', 'auth-tls-error-page': 'https://errors.example/client-certificate?from=portero' }, { tls: true }),
          mtls('missing', 'missing.mtls.test', { 'auth-tls-secret': 'nowhere' }),
          mtls('open', 'open.mtls.test', {}, { tls: true }),
        ],
        // Changed while Portero runs (the last test).
        'late.yaml': [mtls('late', 'late.mtls.test', {}, { tls: true })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await caA?.dispose();
  });

  const https = (host: string, certificate?: Issued, options: { servername?: string; path?: string; headers?: Record<string, string> } = {}): Promise<Response> =>
    request({ port: portero.httpsPort, tls: true, host, path: options.path ?? '/p', ...(options.servername !== undefined ? { servername: options.servername } : {}), ...(certificate ? { clientCertificate: certificate } : {}), headers: options.headers ?? {} });
  const http = (host: string, headers: Record<string, string> = {}) => request({ port: portero.httpPort, host, path: '/p', headers });

  test('on: a certificate from the CA passes, and the Service sees who it is (RFC 2253 DNs, the escaped PEM)', async () => {
    const response = await https('on.mtls.test', alice, { headers: SPOOFED });
    assert.equal(response.status, 200);
    const headers = response.echo!.headers;
    assert.equal(headers['ssl-client-verify'], 'SUCCESS');
    assert.equal(headers['ssl-client-subject-dn'], 'CN=alice,O=Acme\\, Inc.,C=US');
    assert.equal(headers['ssl-client-issuer-dn'], 'CN=Test CA A');
    // nginx's $ssl_client_escaped_cert: the PEM as OpenSSL writes it, URL-escaped.
    assert.equal(headers['ssl-client-cert'], encodeURIComponent(new X509Certificate(alice.cert).toString()));
    assert.equal(decodeURIComponent(String(headers['ssl-client-cert'])), new X509Certificate(alice.cert).toString());
  });

  test('on: no certificate, another CA, an expired or a revoked certificate: 400, and the Service never sees the request', async () => {
    const before = app.requests.length;
    const none = await https('on.mtls.test');
    assert.equal(none.status, 400);
    assert.match(none.body, /no required SSL certificate was sent/);
    for (const certificate of [mallory, expired, revoked]) {
      const refused = await https('on.mtls.test', certificate);
      assert.equal(refused.status, 400);
      assert.match(refused.body, /the SSL certificate error/);
    }
    assert.equal(app.requests.length, before);
  });

  test('per host: the paths of another Ingress of the host are checked too; a disagreeing newer Ingress gets a warning', async () => {
    assert.equal((await https('on.mtls.test', undefined, { path: '/other' })).status, 400);
    assert.equal((await https('on.mtls.test', alice, { path: '/other' })).status, 200);
    // on-disagrees asked for optional with CA B: the oldest Ingress's settings (on, CA A) apply.
    assert.equal((await https('on.mtls.test', undefined, { path: '/disagrees' })).status, 400);
    assert.equal((await https('on.mtls.test', mallory, { path: '/disagrees' })).status, 400);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/on-disagrees' && line.field === `metadata.annotations["${A}/auth-tls-secret"]`);
    assert.match(String(warning.msg), /client authentication for host on\.mtls\.test is already set by older Ingress default\/on/);
  });

  test('optional: no certificate passes with NONE; a bad one is refused; a CA from a TLS Secret of another namespace', async () => {
    const none = await https('optional.mtls.test', undefined, { headers: SPOOFED });
    assert.equal(none.status, 200);
    assert.equal(none.echo!.headers['ssl-client-verify'], 'NONE');
    for (const name of ['ssl-client-subject-dn', 'ssl-client-issuer-dn', 'ssl-client-cert']) assert.equal(none.echo!.headers[name], undefined, name);
    assert.equal((await https('optional.mtls.test', mallory)).status, 400);
    const good = await https('optional.mtls.test', bob);
    assert.equal(good.status, 200);
    assert.equal(good.echo!.headers['ssl-client-verify'], 'SUCCESS');
    assert.equal(good.echo!.headers['ssl-client-subject-dn'], 'CN=bob');
    // Not asked for: not passed.
    assert.equal(good.echo!.headers['ssl-client-cert'], undefined);
  });

  test('optional_no_ca: a certificate of an unknown CA passes with the verification result; an expired one is refused, as nginx', async () => {
    const unknown = await https('nca.mtls.test', mallory);
    assert.equal(unknown.status, 200);
    assert.equal(unknown.echo!.headers['ssl-client-verify'], 'FAILED:unable to verify the first certificate');
    assert.equal(unknown.echo!.headers['ssl-client-issuer-dn'], 'CN=Test CA B');
    assert.equal(unknown.echo!.headers['ssl-client-cert'], encodeURIComponent(new X509Certificate(mallory.cert).toString()));
    assert.equal((await https('nca.mtls.test', expired)).status, 400);
    assert.equal((await https('nca.mtls.test', revoked)).status, 400);
    const none = await https('nca.mtls.test');
    assert.equal(none.status, 200);
    assert.equal(none.echo!.headers['ssl-client-verify'], 'NONE');
    assert.equal((await https('nca.mtls.test', alice)).echo!.headers['ssl-client-verify'], 'SUCCESS');
  });

  test('off: no certificate is asked for; the headers say NONE whatever the client sent', async () => {
    const response = await https('off.mtls.test', alice, { headers: SPOOFED });
    assert.equal(response.status, 200);
    assert.equal(response.echo!.headers['ssl-client-verify'], 'NONE');
    for (const name of ['ssl-client-subject-dn', 'ssl-client-cert', 'ssl_client_verify', 'ssl_client_subject_dn']) assert.equal(response.echo!.headers[name], undefined, name);
  });

  test('match-cn: a subject that does not match gets 403; the check comes after the verification', async () => {
    assert.equal((await https('cn.mtls.test', alice)).status, 200);
    const other = await https('cn.mtls.test', bob);
    assert.equal(other.status, 403);
    assert.match(other.body, /client certificate unauthorized/);
    // CN=alice, but from another CA: refused by the verification first.
    assert.equal((await https('cn.mtls.test', mallory)).status, 400);
    assert.equal((await https('cn.mtls.test')).status, 400);
  });

  test('error page: a missing or refused certificate is redirected (302) there instead of 400', async () => {
    for (const certificate of [undefined, mallory, revoked]) {
      const response = await https('page.mtls.test', certificate);
      assert.equal(response.status, 302);
      assert.equal(response.headers.location, 'https://errors.example/client-certificate?from=portero');
    }
    assert.equal((await https('page.mtls.test', alice)).status, 200);
  });

  test('SNI vs Host: the name of a host without client authentication cannot reach one with it', async () => {
    const before = app.requests.length;
    // As nginx: a request for another name than the TLS one, on a host that verifies certificates, is misdirected (421).
    for (const host of ['on.mtls.test', 'optional.mtls.test', 'cn.mtls.test']) {
      const response = await https(host, alice, { servername: 'open.mtls.test' });
      assert.equal(response.status, 421, host);
    }
    // A certificate verified for one protected host does not open another (nor the same with another CA).
    assert.equal((await https('cn.mtls.test', bob, { servername: 'on.mtls.test' })).status, 421);
    // Without SNI (the default certificate, no certificate asked for): with on, 400; with optional, NONE.
    assert.equal((await https('on.mtls.test', undefined, { servername: '' })).status, 400);
    assert.equal(app.requests.length, before);
    const optional = await https('optional.mtls.test', undefined, { servername: '' });
    assert.equal(optional.status, 200);
    assert.equal(optional.echo!.headers['ssl-client-verify'], 'NONE');
    // The Host's case and a trailing dot name the same host.
    assert.equal((await https('ON.mtls.test.', alice, { servername: 'on.mtls.test' })).status, 200);
    // Hosts without client authentication: no check, client headers untouched (as ingress-nginx).
    const open = await https('open.mtls.test', alice, { servername: 'on.mtls.test', headers: { 'ssl-client-verify': 'SUCCESS' } });
    assert.equal(open.status, 200);
    assert.equal(open.echo!.headers['ssl-client-verify'], 'SUCCESS');
  });

  test('plain HTTP to a host with client authentication is a request without a certificate', async () => {
    // A TLS host redirects to HTTPS first.
    assert.equal((await http('on.mtls.test')).status, 308);
    assert.equal((await http('cn.mtls.test')).status, 400);
    const optional = await http('optional.mtls.test', SPOOFED);
    assert.equal(optional.status, 200);
    assert.equal(optional.echo!.headers['ssl-client-verify'], 'NONE');
    assert.equal(optional.echo!.headers['ssl-client-subject-dn'], undefined);
  });

  test('a missing CA Secret: 503 for that host only, with a warning naming the Ingress, the annotation and the Secret', async () => {
    assert.equal((await https('missing.mtls.test', alice)).status, 503);
    assert.equal((await http('missing.mtls.test')).status, 503);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/missing' && line.field === `metadata.annotations["${A}/auth-tls-secret"]`);
    assert.match(String(warning.msg), /Secret default\/nowhere not found .*; its paths answer 503/);
    assert.equal((await https('open.mtls.test')).status, 200);
    assert.equal((await https('on.mtls.test', alice)).status, 200);
  });

  test('on one running Portero: the annotation added, its CA Secret changed and removed, the annotation removed', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    assert.equal((await https('late.mtls.test')).status, 200);
    const before = await reloads();
    await portero.write('late-secret.yaml', [caSecret('late-ca', { 'ca.crt': caB.cert })]);
    await portero.write('late.yaml', [mtls('late', 'late.mtls.test', { 'auth-tls-secret': 'late-ca' }, { tls: true })]);
    await eventually(async () => assert.equal((await https('late.mtls.test')).status, 400));
    assert.equal((await https('late.mtls.test', mallory)).status, 200);
    assert.equal((await https('late.mtls.test', alice)).status, 400);
    // (The new worker may serve a moment before the reload is counted.)
    await eventually(async () => assert.ok((await reloads()) > before, 'adding client authentication reloads HAProxy'));
    // The Secret now holds CA A (and its revocation list).
    await portero.write('late-secret.yaml', [caSecret('late-ca', { 'ca.crt': caA.cert, 'ca.crl': crl })]);
    await eventually(async () => assert.equal((await https('late.mtls.test', alice)).status, 200));
    assert.equal((await https('late.mtls.test', mallory)).status, 400);
    assert.equal((await https('late.mtls.test', revoked)).status, 400);
    // A Secret without ca.crt: fail closed.
    await portero.write('late-secret.yaml', [caSecret('late-ca', { 'tls.crt': 'not used' })]);
    await eventually(async () => assert.equal((await https('late.mtls.test', alice)).status, 503));
    await portero.write('late-secret.yaml', [caSecret('late-ca', { 'ca.crt': caA.cert })]);
    await eventually(async () => assert.equal((await https('late.mtls.test', alice)).status, 200));
    // The annotation removed: no certificate needed, nothing checked.
    await portero.write('late.yaml', [mtls('late', 'late.mtls.test', {}, { tls: true })]);
    await eventually(async () => assert.equal((await https('late.mtls.test')).status, 200));
    const open = await https('late.mtls.test', undefined, { headers: { 'ssl-client-verify': 'SUCCESS' } });
    assert.equal(open.echo!.headers['ssl-client-verify'], 'SUCCESS');
  });

  test('only re-encoded CA certificates and revocation lists reach the state directory, in files only Portero can read', async () => {
    await portero.filesSynced();
    const config = await readFile(join(portero.stateDir, 'haproxy.cfg'), 'utf8');
    const generation = /crt-list (\S+)\/crt-list\.txt/.exec(config)![1]!;
    const certs = join(generation, 'certs');
    const files = (await readdir(certs)).filter((name) => name.startsWith('clientca-') || name.startsWith('clientcrl-'));
    assert.ok(files.some((name) => name.startsWith('clientca-')));
    assert.ok(files.some((name) => name.startsWith('clientcrl-')));
    for (const name of files) {
      assert.equal((await stat(join(certs, name))).mode & 0o777, 0o600, name);
      const text = await readFile(join(certs, name), 'utf8');
      assert.doesNotMatch(text, /never stored|PRIVATE KEY/);
      assert.match(text, /^-----BEGIN (CERTIFICATE|X509 CRL)-----\n/);
    }
    const crtList = await readFile(join(generation, 'crt-list.txt'), 'utf8');
    assert.match(crtList, / \[verify optional ca-file \S+\/certs\/clientca-[0-9a-f]+\.pem crl-file \S+\/certs\/clientcrl-[0-9a-f]+\.pem\] on\.mtls\.test\n/);
    assert.match(config, /tune\.ssl\.cachesize 0/);
  });
});
