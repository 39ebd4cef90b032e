// The last of ingress-nginx's e2e annotation files, ported to Portero
// (kubernetes/ingress-nginx, test/e2e/annotations/): sslforbidhttp.go,
// forcesslforbidhttp.go, proxyintercepterrors.go,
// disableproxyintercepterrors.go and rewrite_log.go through real HAProxy, with
// the `nginx` IngressClass of a migrating cluster; and, for the annotations
// Portero does not apply (docs/annotations.md, "Not yet supported"), what it
// does instead: serve with a warning, or fail closed.
//
// Deliberate, documented differences (docs/annotations.md):
// - custom-http-errors needs the default-backend annotation, and an error
//   page keeps the Service's status (disableproxyintercepterrors.go expects
//   the error backend's 200; Portero answers 404 with its page);
// - enable-rewrite-log writes no log line (HAProxy has no rewrite log); the
//   rewrite itself is applied.
//
// not ported: proxyintercepterrors.go and disableproxyintercepterrors.go's nginx.conf checks (proxy_intercept_errors on/off) — what clients get is asserted instead
// not ported: authtlsglobal.go — global-ssl-client-certificate names a CA file mounted into the controller; Portero reads client CAs only from the Secret auth-tls-secret names (its third case, an Ingress without auth-tls, is any plain Ingress)
// not ported: authtls-ocsp.go — HAProxy 2.6 cannot check client certificates with OCSP (only against ca.crl); auth-tls-ocsp: "on" fails closed (503), asserted below
// not ported: fastcgi.go — FastCGI endpoints are not supported: backend-protocol FCGI refuses the Ingress; fastcgi-index and fastcgi-params-configmap are ignored with a warning
// not ported: globalratelimit.go — needs memcached shared by replicas; global-rate-limit* are ignored with a warning (asserted below); limit-rps/limit-rpm count per replica
// not ported: healthcheck.go — checks nginx.conf text only (max_fails, fail_timeout); upstream-max-fails and upstream-fail-timeout are not annotations of ingress-nginx's last release, and Portero reports them as unknown
// not ported: http2pushpreload.go — checks nginx.conf text only; HAProxy has no HTTP/2 push: http2-push-preload is ignored with a warning (asserted below)
// not ported: ipblocklist.go — blocklist-source-range is the earlier name of denylist-source-range (the name of ingress-nginx's last release), whose ipdenylist.go is ported in nginx-access.test.ts
// not ported: limitexcept.go — its limit_except and location blocks are snippets outside Portero's safe subset (no blocks): the Ingress is refused even with --allow-snippet-annotations
// not ported: modsecurity.go — Portero has no web application firewall; enable-modsecurity and friends are ignored with a warning (asserted below), modsecurity-snippet is refused
// not ported: proxypass.go — proxy-pass-address and proxy-pass-port are not annotations of ingress-nginx's last release (the case checks nginx.conf text); Portero reports them as unknown
// not ported: secureupstream.go — checks nginx.conf text only; secure-verify-ca-secret is not an annotation of ingress-nginx's last release (proxy-ssl-secret took its place, refused by Portero: docs/annotations.md, Backend protocol)
// not ported: servernorootlocation.go — server-no-root-location is not an annotation of ingress-nginx's last release, and the case needs a location block in server-snippet, outside Portero's safe subset
// not ported here: skipaccessloghttpstatuses.go — a ConfigMap key: ported in nginx-settings-more.test.ts
// not ported: sslciphers.go — checks nginx.conf text only; the cipher list is one for every host (the ConfigMap's ssl-ciphers): the annotation is ignored with a warning (asserted below)
// not ported: streamsnippet.go — raw nginx stream configuration (a TCP server from a snippet); stream-snippet is always refused, and the ConfigMap key is reported as ignored

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { nextLoopbackAddress, startBackend, type Backend, type Echo } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** An nginx-class Ingress sending every path of `host` to `service`. */
function single(name: string, host: string, service: string, annotations: Record<string, string> = {}, tls = false, path = '/'): Json {
  return ingress({ name, className: 'nginx', annotations, ...(tls ? { tls: [{ hosts: [host], secretName: 'sites' }] } : {}), rules: [{ host, paths: [{ path, service }] }] });
}

/** What the error backend (an echo backend) was asked, from the page Portero answered with; undefined for another body. */
function pageEcho(response: Response): Echo | undefined {
  try {
    const echo = JSON.parse(response.body) as Echo;
    return echo.name === 'errors' ? echo : undefined;
  } catch {
    return undefined;
  }
}

/** custom-http-errors 404 on pie.foo.com, its pages from the `errors` Service, with `extra` annotations. */
function pie(extra: Record<string, string>): Json {
  return single('pie', 'pie.foo.com', 'statuses', { [`${A}/custom-http-errors`]: '404', [`${A}/default-backend`]: 'errors', ...extra });
}

describe('ingress-nginx annotations: ssl-forbid-http, proxy-intercept-errors, and the ones Portero does not apply', () => {
  let portero: Portero;
  let app: Backend;
  let errors: Backend;
  let statuses: Server;

  before(async () => {
    app = await startBackend('app');
    errors = await startBackend('errors');
    // httpbun's /status/404: a 404 with a body of the Service's own.
    statuses = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('the service says 404');
    });
    await new Promise<void>((resolve) => statuses.listen(0, nextLoopbackAddress(), resolve));
    const statusesAt = statuses.address() as AddressInfo;
    const site = await generateSelfSigned('sites', ['sslforbid.bar.com'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ...serviceWithEndpoints({ name: 'errors', endpoints: [errors] }),
          ...serviceWithEndpoints({ name: 'statuses', endpoints: [{ address: statusesAt.address, port: statusesAt.port }] }),
        ],
        'secrets.yaml': [
          tlsSecret('sites', site.cert, site.key),
          { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'client-ca' }, stringData: { 'ca.crt': (await generateSelfSigned('client CA', ['ca.test'], 30)).cert } },
        ],
        'forbid.yaml': [
          single('sslforbid', 'sslforbid.bar.com', 'app', { [`${A}/ssl-forbid-http`]: 'true', [`${A}/ssl-redirect`]: 'true' }, true),
          single('sslforbidnotls', 'sslforbidnotls.bar.com', 'app', { [`${A}/ssl-forbid-http`]: 'true', [`${A}/ssl-redirect`]: 'true' }),
          single('forcesslforbid', 'forcesslforbid.bar.com', 'app', { [`${A}/force-ssl-forbid-http`]: 'true', [`${A}/force-ssl-redirect`]: 'true' }),
        ],
        'pie.yaml': [pie({ [`${A}/proxy-intercept-errors`]: 'true' })],
        'rewrite-log.yaml': [single('rewrite-log', 'rewrite.bar.com', 'app', { [`${A}/rewrite-target`]: '/', [`${A}/enable-rewrite-log`]: 'true' }, false, '/something')],
        'not-applied.yaml': [
          single('modsecurity', 'modsecurity.foo.com', 'app', { [`${A}/enable-modsecurity`]: 'true', [`${A}/enable-owasp-core-rules`]: 'true', [`${A}/modsecurity-transaction-id`]: '$request_id' }),
          single('global-rate-limit', 'grl.foo.com', 'app', { [`${A}/global-rate-limit`]: '5', [`${A}/global-rate-limit-window`]: '2m' }),
          single('http2pp', 'http2pp.foo.com', 'app', { [`${A}/http2-push-preload`]: 'true' }),
          single('ciphers', 'ciphers.foo.com', 'app', { [`${A}/ssl-ciphers`]: 'ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP' }, false, '/something'),
          single('ocsp', 'authtls.foo.com', 'app', { [`${A}/auth-tls-secret`]: 'client-ca', [`${A}/auth-tls-verify-client`]: 'on', [`${A}/auth-tls-verify-depth`]: '2', [`${A}/auth-tls-ocsp`]: 'on' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await errors?.close();
    await new Promise<void>((resolve) => (statuses ? statuses.close(() => resolve()) : resolve()));
  });

  test('sslforbidhttp.go: should send forbidden errors for http when tls is present', async () => {
    const plain = await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'sslforbid.bar.com', path: '/' });
      assert.equal(response.status, 403);
      return response;
    }, 30_000);
    assert.equal(plain.headers.location, undefined, 'no redirect');
    // HTTPS is served; ACME challenges stay on plain HTTP, as they stay unredirected.
    const secure = await request({ port: portero.httpsPort, host: 'sslforbid.bar.com', path: '/', tls: true });
    assert.equal(secure.status, 200);
    assert.equal(secure.echo?.name, 'app');
    const acme = await request({ port: portero.httpPort, host: 'sslforbid.bar.com', path: '/.well-known/acme-challenge/token' });
    assert.equal(acme.status, 200);
    assert.equal(acme.echo?.url, '/.well-known/acme-challenge/token');
  });

  test('sslforbidhttp.go: should pass through for http when tls is absent', async () => {
    const response = await eventually(async () => {
      const answer = await request({ port: portero.httpPort, host: 'sslforbidnotls.bar.com', path: '/' });
      assert.equal(answer.status, 200);
      return answer;
    }, 30_000);
    assert.equal(response.echo?.name, 'app');
    assert.equal(response.echo?.url, '/');
    assert.equal(response.echo?.headers.host, 'sslforbidnotls.bar.com');
  });

  test('forcesslforbidhttp.go: should send forbidden errors for http', async () => {
    const plain = await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'forcesslforbid.bar.com', path: '/' });
      assert.equal(response.status, 403);
      return response;
    }, 30_000);
    assert.equal(plain.headers.location, undefined, 'no redirect');
    // Over TLS (the default certificate) the host is served.
    const secure = await request({ port: portero.httpsPort, host: 'forcesslforbid.bar.com', path: '/', tls: true });
    assert.equal(secure.status, 200);
  });

  test('proxyintercepterrors.go: proxy-intercept-errors true replaces the 404, false lets the Service answer through', async () => {
    const page = await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'pie.foo.com', path: '/status/404' });
      assert.equal(response.status, 404);
      const echo = pageEcho(response);
      assert.ok(echo, response.body);
      return echo;
    }, 30_000);
    assert.equal(page.headers['x-code'], '404');
    await portero.write('pie.yaml', [pie({ [`${A}/proxy-intercept-errors`]: 'false' })]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'pie.foo.com', path: '/status/404' });
      assert.equal(response.status, 404);
      assert.equal(response.body, 'the service says 404');
    }, 30_000);
  });

  test('disableproxyintercepterrors.go: disable-proxy-intercept-errors true lets the 404 through; false intercepts it (the status stays 404: deliberate difference)', async () => {
    // From intercepted (the default with custom-http-errors) ...
    await portero.write('pie.yaml', [pie({})]);
    await eventually(async () => { const r = await request({ port: portero.httpPort, host: 'pie.foo.com', path: '/status/404' }); assert.ok(pageEcho(r), `${r.status} ${r.body.slice(0, 200)}`); }, 30_000);
    // ... to the Service's own answer.
    await portero.write('pie.yaml', [pie({ [`${A}/disable-proxy-intercept-errors`]: 'true' })]);
    await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'pie.foo.com', path: '/status/404', headers: { 'x-request-id': 'proxy_intercept_errors' } });
      assert.equal(response.status, 404);
      assert.equal(response.body, 'the service says 404');
    }, 30_000);
    await portero.write('pie.yaml', [pie({ [`${A}/disable-proxy-intercept-errors`]: 'false' })]);
    const page = await eventually(async () => {
      const response = await request({ port: portero.httpPort, host: 'pie.foo.com', path: '/status/404', headers: { 'x-request-id': 'proxy_intercept_errors' } });
      // ingress-nginx answers the error backend's 200; Portero keeps the Service's status (docs/annotations.md).
      assert.equal(response.status, 404);
      const echo = pageEcho(response);
      assert.ok(echo, response.body);
      return echo;
    }, 30_000);
    assert.equal(page.headers['x-code'], '404');
    assert.equal(page.headers['x-ingress-name'], 'pie');
    assert.equal(page.headers['x-service-name'], 'statuses');
    assert.equal(page.headers['x-request-id'], 'proxy_intercept_errors');
  });

  test('rewrite_log.go: the rewrite is applied (enable-rewrite-log writes no log line: ignored with a warning)', async () => {
    const response = await eventually(async () => {
      const answer = await request({ port: portero.httpPort, host: 'rewrite.bar.com', path: '/something' });
      assert.equal(answer.status, 200);
      return answer;
    }, 30_000);
    assert.equal(response.echo?.url, '/');
    await portero.waitForLog((line) => line.object === 'Ingress default/rewrite-log' && line.field === `metadata.annotations["${A}/enable-rewrite-log"]`);
  });

  test('modsecurity.go, globalratelimit.go, http2pushpreload.go, sslciphers.go: served without them, with a warning naming each', async () => {
    for (const [host, path] of [['modsecurity.foo.com', '/'], ['grl.foo.com', '/'], ['http2pp.foo.com', '/'], ['ciphers.foo.com', '/something']] as const) {
      await eventually(async () => {
        const response = await request({ port: portero.httpPort, host, path });
        assert.equal(response.status, 200, host);
        assert.equal(response.echo?.name, 'app');
      }, 30_000);
    }
    // No WAF: what ModSecurity's core rules would refuse reaches the Service.
    const attack = await request({ port: portero.httpPort, host: 'modsecurity.foo.com', path: '/?id=1%20OR%201=1' });
    assert.equal(attack.status, 200);
    // global-rate-limit: 5 a window is not enforced.
    for (let i = 0; i < 8; i += 1) assert.equal((await request({ port: portero.httpPort, host: 'grl.foo.com', path: '/' })).status, 200);
    for (const [ingressName, annotation] of [['modsecurity', 'enable-modsecurity'], ['modsecurity', 'enable-owasp-core-rules'], ['modsecurity', 'modsecurity-transaction-id'], ['global-rate-limit', 'global-rate-limit'], ['http2pp', 'http2-push-preload'], ['ciphers', 'ssl-ciphers']] as const) {
      const warning = await portero.waitForLog((line) => line.object === `Ingress default/${ingressName}` && line.field === `metadata.annotations["${A}/${annotation}"]`);
      assert.match(String(warning.msg), /this annotation is ignored/);
    }
  });

  test('authtls-ocsp.go: auth-tls-ocsp "on" fails closed (503): HAProxy 2.6 cannot check client certificates with OCSP', async () => {
    await eventually(async () => {
      const response = await request({ port: portero.httpsPort, host: 'authtls.foo.com', path: '/', tls: true });
      assert.equal(response.status, 503);
    }, 30_000);
    assert.equal((await request({ port: portero.httpPort, host: 'authtls.foo.com', path: '/' })).status, 503);
    assert.equal(app.requests.some((echo) => echo.headers.host === 'authtls.foo.com'), false);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/ocsp' && line.field === `metadata.annotations["${A}/auth-tls-ocsp"]`);
    assert.match(String(warning.msg), /OCSP/);
  });
});
