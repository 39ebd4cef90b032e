// ingress-nginx's own end-to-end cases for its routing annotations, ported
// to Portero (kubernetes/ingress-nginx, test/e2e/annotations/): rewrite.go,
// approot.go, xforwardedprefix.go, redirect.go, fromtowwwredirect.go,
// forcesslredirect.go, preservetrailingslash.go, alias.go, upstreamvhost.go,
// relativeredirects.go. Each test runs the upstream case through real HAProxy
// with the `nginx` IngressClass of a migrating cluster; what upstream reads
// from its echo backend (the path and headers it saw) comes from ours.
// Default backends and custom errors are in nginx-routing-backends.test.ts.
//
// Upstream Ingresses of one case share a host with other cases (each case
// has a namespace and a controller of its own there); here each case has
// hosts of its own, as ingress-nginx's host-wide regex would otherwise mix
// them. Paths with regular expressions are ImplementationSpecific, as
// ingress-nginx requires since v1.12 (strict-validate-path-type).
//
// Deliberate, documented differences asserted as Portero behaves:
// - redirects built by the proxy (HTTPS, www) name the port the client used
//   when it is not the scheme's default; upstream's controller listens on
//   80/443 (docs/annotations.md, from-to-www-redirect; the HTTPS redirect);
// - the HTTPS redirect keeps a trailing `/` (docs/migrating-from-ingress-nginx.md,
//   global difference `ssl-redirect-trailing-slash`), so
//   preserve-trailing-slash changes nothing.
//
// not ported: rewrite.go "should write rewrite logs", the log lines — nginx's rewrite_log lines in its error log; HAProxy has no rewrite log (docs/annotations.md, Not yet supported); the rewrite and the warning are asserted
// not ported: relativeredirects.go "configures Nginx correctly" — checks only nginx.conf text (absolute_redirect off); its behaviour is the "relative URL" case below
// not ported: fromtowwwredirect.go "should redirect from www HTTPS to HTTPS", ExpectedHost part — sets a response header from the nginx variable $http_host through the add-headers ConfigMap; nginx variables are refused (docs/annotations.md); the Host the Service saw is asserted instead
// not ported: servicebackend/service_externalname.go (cases with upstream-vhost) — ExternalName Services are not supported (docs/routing.md: they answer 503)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const ECHO = 'echo';

/** framework.NewSingleIngress: one host, one path to the echo Service, with annotations. */
function single(name: string, path: string, host: string, annotations: Record<string, string> = {}, pathType = 'Prefix', tls?: string[]): Json {
  return ingress({
    name,
    className: 'nginx',
    annotations,
    rules: [{ host, paths: [{ path, pathType, service: ECHO }] }],
    ...(tls ? { tls: [{ hosts: tls, secretName: 'site' }] } : {}),
  });
}

describe('ingress-nginx e2e (annotations): rewrite, redirects, hosts, upstream-vhost', () => {
  let portero: Portero;
  let echo: Backend;

  before(async () => {
    echo = await startBackend(ECHO);
    const site = await generateSelfSigned('fromtowww.test', ['fromtowww.test', 'www.fromtowww.test', 'preserve.bar.com'], 30);
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: ECHO, endpoints: [echo] }),
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'ingresses.yaml': [
          // rewrite.go
          single('rewrite', '/something', 'rewrite.foo.com', { [`${A}/rewrite-target`]: '/' }),
          single('rewrite-log', '/something', 'rewrite.bar.com', { [`${A}/rewrite-target`]: '/', [`${A}/enable-rewrite-log`]: 'true' }),
          single('kube-lego', '/.well-known/acme/challenge', 'longest.rewrite.bar.com'),
          single('foo', '/foo', 'modifier.rewrite.bar.com'),
          single('regex', '/foo.+', 'modifier.rewrite.bar.com', { [`${A}/use-regex`]: 'true', [`${A}/rewrite-target`]: '/new/backend' }, 'ImplementationSpecific'),
          single('foo-warning', '/foo/bar/bar', 'warning.rewrite.bar.com'),
          single('regex-warning', '/foo/bar/[a-z]{3}', 'warning.rewrite.bar.com', { [`${A}/use-regex`]: 'true', [`${A}/rewrite-target`]: '/new/backend' }, 'ImplementationSpecific'),
          single('regex-params', '/foo/bar/(.+)', 'params.rewrite.bar.com', { [`${A}/use-regex`]: 'true', [`${A}/rewrite-target`]: '/new/backend/$1' }, 'ImplementationSpecific'),
          // approot.go
          single('approot', '/', 'approot.bar.com', { [`${A}/app-root`]: '/foo' }),
          // xforwardedprefix.go
          single('xfp', '/', 'xfp.baz.com', { [`${A}/x-forwarded-prefix`]: '/test/value', [`${A}/rewrite-target`]: '/foo' }),
          single('noxfp', '/', 'noxfp.baz.com', { [`${A}/x-forwarded-prefix`]: '', [`${A}/rewrite-target`]: '/foo' }),
          // redirect.go
          single('redirect', '/something', 'redirect', { [`${A}/permanent-redirect`]: 'http://redirect.example.com' }),
          single('redirect-code', '/something', 'redirect-code', { [`${A}/permanent-redirect`]: 'http://redirect.example.com', [`${A}/permanent-redirect-code`]: '302' }),
          // fromtowwwredirect.go
          single('fromtowwwredirect', '/', 'fromtowwwredirect.bar.com', { [`${A}/from-to-www-redirect`]: 'true' }),
          single('fromtowww-tls', '/', 'fromtowww.test', { [`${A}/from-to-www-redirect`]: 'true' }, 'Prefix', ['fromtowww.test', 'www.fromtowww.test']),
          // forcesslredirect.go
          single('forcesslredirect', '/', 'forcesslredirect.bar.com', { [`${A}/force-ssl-redirect`]: 'true' }),
          // preservetrailingslash.go
          single('preserve', '/', 'preserve.bar.com', { [`${A}/ssl-redirect`]: 'true', [`${A}/preserve-trailing-slash`]: 'true' }, 'Prefix', ['preserve.bar.com']),
          // alias.go
          single('alias-none', '/', 'foo'),
          single('alias', '/', 'foo.alias.test', { [`${A}/server-alias`]: 'bar.alias.test' }),
          single('app-a', '/app-a', 'foo.two.alias.test'),
          single('app-b', '/app-b', 'foo.two.alias.test', { [`${A}/server-alias`]: 'bar.two.alias.test' }),
          // upstreamvhost.go
          single('upstreamvhost', '/', 'upstreamvhost.foo.com', { [`${A}/upstream-vhost`]: 'upstreamvhost.bar.com' }),
          // relativeredirects.go
          single('rr-absolute', '/something', 'rr.foo.com', { [`${A}/permanent-redirect`]: '/new-location', [`${A}/relative-redirects`]: 'false' }),
          single('rr-relative', '/something', 'rr2.foo.com', { [`${A}/permanent-redirect`]: '/new-location', [`${A}/relative-redirects`]: 'true' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
  });

  const get = (host: string, path: string, headers: Record<string, string> = {}): Promise<Response> => request({ port: portero.httpPort, host, path, headers });
  const getTls = (host: string, path: string): Promise<Response> => request({ port: portero.httpsPort, tls: true, host, path });

  /** Status 200 from the echo backend, which saw `path`. */
  function seen(response: Response, path: string): void {
    assert.equal(response.status, 200, response.body);
    assert.equal(response.echo?.name, ECHO);
    assert.equal(response.echo?.url, path);
  }

  // rewrite.go

  test('rewrite.go: should rewrite request URL (lowercase and mixed case)', async () => {
    seen(await get('rewrite.foo.com', '/something'), '/');
    seen(await get('rewrite.foo.com', '/SomeThing'), '/');
  });

  test('rewrite.go: should write rewrite logs (the rewrite applies; the annotation is ignored with a warning)', async () => {
    seen(await get('rewrite.bar.com', '/something'), '/');
    const warning = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/enable-rewrite-log"]`);
    assert.equal(warning.level, 'warn');
    assert.match(String(warning.msg), /ignored: no log line is written for a rewrite/);
  });

  test('rewrite.go: should use correct longest path match', async () => {
    seen(await get('longest.rewrite.bar.com', '/.well-known/acme/challenge'), '/.well-known/acme/challenge');
    // An Ingress rewriting "/" on the same host makes the host regex; the longer path still wins.
    await portero.write('rewrite-index.yaml', [single('rewrite-index', '/', 'longest.rewrite.bar.com', { [`${A}/rewrite-target`]: '/new/backend' })]);
    await eventually(async () => seen(await get('longest.rewrite.bar.com', '/anything'), '/new/backend'));
    seen(await get('longest.rewrite.bar.com', '/.well-known/acme/challenge'), '/.well-known/acme/challenge');
  });

  test('rewrite.go: should use ~* location modifier if regex annotation is present', async () => {
    // /foo matches "^/foo" (the plain Ingress, now a regex), not "^/foo.+".
    seen(await get('modifier.rewrite.bar.com', '/foo'), '/foo');
    seen(await get('modifier.rewrite.bar.com', '/foo/bar'), '/new/backend');
  });

  test('rewrite.go: should fail to use longest match for documented warning', async () => {
    // "/foo/bar/[a-z]{3}" is the longer written path, so it is tried first and wins over the exact text.
    seen(await get('warning.rewrite.bar.com', '/foo/bar/bar'), '/new/backend');
  });

  test('rewrite.go: should allow for custom rewrite parameters', async () => {
    seen(await get('params.rewrite.bar.com', '/foo/bar/bar'), '/new/backend/bar');
  });

  // approot.go

  test('approot.go: should redirect to /foo', async () => {
    const response = await get('approot.bar.com', '/');
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'http://approot.bar.com/foo');
  });

  // xforwardedprefix.go

  test('xforwardedprefix.go: should set the X-Forwarded-Prefix to the annotation value', async () => {
    const response = await get('xfp.baz.com', '/');
    seen(response, '/foo');
    assert.equal(response.echo?.headers['x-forwarded-prefix'], '/test/value');
  });

  test('xforwardedprefix.go: should not add X-Forwarded-Prefix if the annotation value is empty', async () => {
    const response = await get('noxfp.baz.com', '/');
    seen(response, '/foo');
    assert.equal(response.echo?.headers['x-forwarded-prefix'], undefined);
  });

  // redirect.go

  test('redirect.go: should respond with a standard redirect code', async () => {
    const response = await get('redirect', '/something');
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, 'http://redirect.example.com');
  });

  test('redirect.go: should respond with a custom redirect code', async () => {
    const response = await get('redirect-code', '/something');
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'http://redirect.example.com');
  });

  // fromtowwwredirect.go

  test('fromtowwwredirect.go: should redirect from www HTTP to HTTP', async () => {
    const response = await get('www.fromtowwwredirect.bar.com', '/foo');
    assert.equal(response.status, 308);
    // Upstream: http://fromtowwwredirect.bar.com:80/foo (its port); Portero names the port only when not 80.
    assert.equal(response.headers.location, `http://fromtowwwredirect.bar.com:${portero.httpPort}/foo`);
  });

  test('fromtowwwredirect.go: should redirect from www HTTPS to HTTPS', async () => {
    const redirected = await getTls('www.fromtowww.test', '/');
    assert.equal(redirected.status, 308);
    // Upstream: https://<host>:443, the trailing "/" removed.
    assert.equal(redirected.headers.location, `https://fromtowww.test:${portero.httpsPort}`);
    // The host itself does not redirect to www: the Service answers, and saw the host asked for.
    const served = await getTls('fromtowww.test', '/');
    seen(served, '/');
    assert.equal(served.echo?.headers.host, 'fromtowww.test');
  });

  // forcesslredirect.go

  test('forcesslredirect.go: should redirect to https', async () => {
    const response = await get('forcesslredirect.bar.com', '/');
    assert.equal(response.status, 308);
    // Upstream: https://forcesslredirect.bar.com (port 443, trailing "/" removed); Portero keeps the path as asked (documented).
    assert.equal(response.headers.location, `https://forcesslredirect.bar.com:${portero.httpsPort}/`);
  });

  // preservetrailingslash.go

  test('preservetrailingslash.go: should allow preservation of trailing slashes', async () => {
    const response = await get('preserve.bar.com', '/');
    assert.equal(response.status, 308);
    assert.equal(response.headers.location, `https://preserve.bar.com:${portero.httpsPort}/`);
    // The annotation is known: no warning that it is ignored.
    assert.ok(!portero.logs.some((line) => line.includes('preserve-trailing-slash')), 'preserve-trailing-slash is not reported as unknown');
  });

  // alias.go

  test("alias.go: should return status code 200 for host 'foo' and 404 for 'bar'", async () => {
    const foo = await get('foo', '/');
    seen(foo, '/');
    assert.equal(foo.echo?.headers.host, 'foo');
    assert.equal((await get('bar', '/')).status, 404);
  });

  test("alias.go: should return status code 200 for host 'foo' and 'bar'", async () => {
    for (const host of ['foo.alias.test', 'bar.alias.test']) {
      const response = await get(host, '/');
      seen(response, '/');
      assert.equal(response.echo?.headers.host, host);
    }
  });

  test('alias.go: should return status code 200 for hosts defined in two ingresses, different path with one alias', async () => {
    for (const host of ['foo.two.alias.test', 'bar.two.alias.test']) {
      const response = await get(host, '/app-a');
      seen(response, '/app-a');
      assert.equal(response.echo?.headers.host, host);
    }
  });

  // upstreamvhost.go

  test('upstreamvhost.go: set host to upstreamvhost.bar.com', async () => {
    const response = await get('upstreamvhost.foo.com', '/');
    seen(response, '/');
    assert.equal(response.echo?.headers.host, 'upstreamvhost.bar.com');
  });

  // relativeredirects.go

  test('relativeredirects.go: should respond with absolute URL in Location', async () => {
    const response = await get('rr.foo.com', '/something');
    assert.equal(response.status, 301);
    // nginx makes the URI absolute with the Host and its listening port when not 80 (port_in_redirect).
    assert.equal(response.headers.location, `http://rr.foo.com:${portero.httpPort}/new-location`);
  });

  test('relativeredirects.go: should respond with relative URL in Location', async () => {
    const response = await get('rr2.foo.com', '/something');
    assert.equal(response.status, 301);
    assert.equal(response.headers.location, '/new-location');
  });
});
