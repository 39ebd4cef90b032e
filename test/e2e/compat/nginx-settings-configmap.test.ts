// ingress-nginx's e2e cases for its ConfigMap keys, ported: global external
// authentication (global-auth-*), no-auth-locations, a live ConfigMap change,
// proxy-read-timeout, and snippets allowed by the ConfigMap, through real
// HAProxy. One Portero (class nginx, controller k8s.io/ingress-nginx,
// --configmap) whose ConfigMap the cases change on the running process, as
// the upstream tests do with UpdateNginxConfigMapData: never a restart.
//
// Upstream: test/e2e/settings/{global_external_auth,no_auth_locations,no_tls_redirect_locations,
// configmap_change,custom_header,add_headers,keep-alive,proxy_connect_timeout,proxy_read_timeout,
// proxy_send_timeout,proxy_host,access_log,log-format,badannotationvalues}.go and validations/validations.go.
//
// not ported: global_external_auth.go "should set snippet when global external auth is configured" — global-auth-snippet is never pasted (docs/configuration.md); the warning is asserted below with the cache keys.
// not ported here: no_tls_redirect_locations.go "Check no tls redirect locations config" — ported as a traffic check in nginx-settings-configmap-keys.test.ts.
// not ported here: custom_header.go "Add a custom header", "Add multiple custom headers" — ported in nginx-settings-configmap-keys.test.ts (add-headers).
// not ported here: add_headers.go (all three cases) — ported in nginx-settings-configmap-keys.test.ts (add-headers, proxy-set-headers).
// not ported: keep-alive.go (keepalive_timeout, keepalive_requests, upstream-keepalive-connections/-timeout/-requests) — check nginx.conf text only; keep-alive is read (timeout http-keep-alive, test/unit/configmap.test.ts), upstream-keepalive-timeout is reported as ignored.
// not ported: proxy_connect_timeout.go "should set valid proxy timeouts using configmap values", "should not set invalid ..." — check nginx.conf text only; the rendered timeout connect is in test/unit/configmap.test.ts, a bad value is reported and ignored in test/e2e/configmap.test.ts.
// not ported: proxy_send_timeout.go (both cases) — check nginx.conf text only; HAProxy has one idle timeout for both directions (docs/configuration.md).
// not ported: proxy_host.go "should exist a proxy_host", "... using the upstream-vhost annotation value" — a configuration-snippet with the nginx variable $proxy_host; snippet values may not hold nginx variables (docs/annotations.md, Snippets).
// not ported: access_log.go (five "use the ... configuration" cases) — check nginx.conf text only (access-log-path, http-/stream-access-log-path); Portero writes its access log to stdout (--access-log).
// not ported: log-format.go (five cases) — log-format-escape-json and log-format-upstream are accepted and ignored: Portero's access log is always JSON with fixed fields (docs/configuration.md).
// not ported: validations/validations.go "should allow ingress based on their risk on webhooks" (twice) — an admission webhook refusing the Ingress at the API server; Portero has no webhook, and reads annotations-risk-level as any key it does not read.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listenOnLoopback, startBackend, type Backend } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { configMap, ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';
const AUTH = 'http://auth.default.svc.cluster.local:4180';
const settings = (data: Record<string, string>) => [configMap('ingress-nginx-controller', data, 'ingress-nginx')];

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface Plain {
  address: string;
  port: number;
  requests: Seen[];
  close(): Promise<void>;
}

/** A small server answering by path: the auth service (`/401`, `/ok` with a cookie and X-User) or a failing upstream (503). */
async function startPlain(answer: (path: string) => { status: number; headers?: Record<string, string> }): Promise<Plain> {
  const requests: Seen[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const { status, headers } = answer(new URL(req.url ?? '/', 'http://x').pathname);
      res.writeHead(status, headers ?? {});
      res.end(`status ${status}`);
    });
  });
  return { ...(await listenOnLoopback(server)), requests };
}

function routed(name: string, host: string, path: string, service: string, annotations: Record<string, string> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ path, service }] }] });
}

const BASE_INGRESSES = [
  routed('foo-ingress', 'global-external-auth', '/foo', 'app'),
  routed('bar-ingress', 'global-external-auth', '/bar', 'app'),
  routed('cookies', 'global-external-auth-check-cookies', '/', 'app'),
  routed('cookies-error', 'global-external-auth-check-cookies', '/error', 'failing'),
];

describe('ingress-nginx settings: global external auth, no-auth-locations, ConfigMap changes, timeouts, snippets', () => {
  let portero: Portero;
  let app: Backend;
  let auth: Plain;
  let failing: Plain;

  before(async () => {
    app = await startBackend('app');
    auth = await startPlain((path): { status: number; headers: Record<string, string> } =>
      path === '/ok' ? { status: 200, headers: { 'x-user': 'alice', foo: 'from-auth', 'set-cookie': 'alma=armud; Path=/' } } : { status: 401, headers: { 'set-cookie': 'tried=1' } },
    );
    failing = await startPlain(() => ({ status: 503 }));
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({ 'global-auth-url': `${AUTH}/401` }),
        'app.yaml': [...serviceWithEndpoints({ name: 'app', endpoints: [app] }), ...serviceWithEndpoints({ name: 'failing', endpoints: [{ address: failing.address, port: failing.port }] })],
        'auth.yaml': serviceWithEndpoints({ name: 'auth', endpoints: [{ address: auth.address, port: auth.port }], servicePort: 4180 }),
        'ingresses.yaml': BASE_INGRESSES,
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await auth?.close();
    await failing?.close();
  });

  const get = (host: string, path: string, headers: Record<string, string> = {}) => request({ port: portero.httpPort, host, path, headers });
  const status = async (host: string, path: string, headers: Record<string, string> = {}) => (await get(host, path, headers)).status;

  test('global_external_auth.go: should return status code 401 when request any protected service', async () => {
    assert.equal(await status('global-external-auth', '/foo'), 401);
    assert.equal(await status('global-external-auth', '/bar'), 401);
  });

  test('global_external_auth.go: 200 for a service whitelisted via no-auth-locations, 401 for a protected one', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/401`, 'no-auth-locations': '/bar' }));
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 200));
    assert.equal(await status('global-external-auth', '/foo'), 401);
  });

  test('global_external_auth.go: 200 for a service whitelisted via the enable-global-auth annotation, 401 for a protected one', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/401` }));
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 401));
    await portero.write('ingresses.yaml', [...BASE_INGRESSES.filter((object) => (object.metadata as { name: string }).name !== 'bar-ingress'), routed('bar-ingress', 'global-external-auth', '/bar', 'app', { [`${A}/enable-global-auth`]: 'false' })]);
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 200));
    assert.equal(await status('global-external-auth', '/foo'), 401);
    await portero.write('ingresses.yaml', BASE_INGRESSES);
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 401));
  });

  test('global_external_auth.go: after the auth backend is deleted — deliberate difference: no cache, requests are refused', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/ok`, 'global-auth-cache-key': 'foo', 'global-auth-cache-duration': '200 201 401 30m', 'global-auth-snippet': 'proxy_set_header My-Custom-Header 42;' }));
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 200));
    // docs/configuration.md: the cache keys and the snippet are accepted with a warning; every request asks the auth service.
    await portero.waitForLog((entry) => entry.field === 'data["global-auth-cache-key"]' && String(entry.msg).includes('not cached'));
    await portero.waitForLog((entry) => entry.field === 'data["global-auth-snippet"]' && String(entry.msg).includes('never pasted'));
    await portero.write('auth.yaml', serviceWithEndpoints({ name: 'auth', endpoints: [{ address: auth.address, port: auth.port, ready: false }], servicePort: 4180 }));
    // ingress-nginx answers 200 from its cache; Portero never lets a missing answer open anything.
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 500));
    await portero.write('auth.yaml', serviceWithEndpoints({ name: 'auth', endpoints: [{ address: auth.address, port: auth.port }], servicePort: 4180 }));
    await eventually(async () => assert.equal(await status('global-external-auth', '/bar'), 200));
  });

  test('global_external_auth.go: global-auth-method, global-auth-response-headers and global-auth-request-redirect are used', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/ok`, 'global-auth-method': 'POST', 'global-auth-response-headers': 'Foo, X-User', 'global-auth-request-redirect': 'Foo-Redirect' }));
    await eventually(async () => assert.equal((await get('global-external-auth', '/foo')).echo?.headers.foo, 'from-auth'));
    const before = auth.requests.length;
    const response = await get('global-external-auth', '/foo', { 'x-user': 'forged' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers['x-user'], 'alice');
    const asked = auth.requests.slice(before);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.method, 'POST');
    assert.equal(asked[0]?.headers['x-auth-request-redirect'], 'Foo-Redirect');
  });

  test('global_external_auth.go: global-auth-signin: an unauthenticated request is sent to the sign-in page', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/401`, 'global-auth-signin': 'http://foo.com/global-error-page' }));
    // One observation: while HAProxy reloads, its old worker may still answer a request with the old settings.
    await eventually(async () => {
      const response = await get('global-external-auth', '/foo');
      assert.equal(response.status, 302);
      assert.equal(response.headers.location, 'http://foo.com/global-error-page?rd=http://global-external-auth%2Ffoo');
    });
  });

  test('global_external_auth.go: cookie set by the external authentication server: the user retains it by default', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/ok` }));
    await eventually(async () => {
      const response = await get('global-external-auth-check-cookies', '/?a=b&c=d');
      assert.equal(response.status, 200);
      assert.ok(String(response.headers['set-cookie']).includes('alma=armud'), JSON.stringify(response.headers));
    });
  });

  test('global_external_auth.go: the user does not retain the cookie if the upstream returns an error status code', async () => {
    const response = await get('global-external-auth-check-cookies', '/error?a=b&c=d');
    assert.equal(response.status, 503);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  test('global_external_auth.go: with global-auth-always-set-cookie the user retains the cookie on an upstream error', async () => {
    await portero.write('configmap.yaml', settings({ 'global-auth-url': `${AUTH}/ok`, 'global-auth-always-set-cookie': 'true' }));
    await eventually(async () => {
      const response = await get('global-external-auth-check-cookies', '/error?a=b&c=d');
      assert.equal(response.status, 503);
      assert.ok(String(response.headers['set-cookie']).includes('alma=armud'), JSON.stringify(response.headers));
    });
  });
});

describe('ingress-nginx settings: no-auth-locations with basic authentication, a live ConfigMap change, proxy-read-timeout, snippets', () => {
  let portero: Portero;
  let app: Backend;
  let pid: number | undefined;
  const password = execFileSync('openssl', ['passwd', '-apr1', 'bar'], { encoding: 'utf8' }).trim();

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--configmap', CONFIGMAP],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'configmap.yaml': settings({ 'no-auth-locations': '/noauth' }),
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secret.yaml': [{ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'test-secret', namespace: 'default' }, stringData: { auth: `foo:${password}\n` } }],
        'ingresses.yaml': [
          ingress({
            name: 'no-auth-locations',
            className: 'nginx',
            annotations: { [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 'test-secret', [`${A}/auth-realm`]: 'test auth' },
            rules: [{ host: 'no-auth-locations', paths: [{ path: '/', service: 'app' }, { path: '/noauth', service: 'app' }] }],
          }),
          routed('configmap-change', 'configmap-change', '/', 'app'),
          routed('proxy-read-timeout', 'proxy-read-timeout.com', '/', 'app'),
        ],
      },
    });
    pid = portero.child.pid;
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  const basic = `Basic ${Buffer.from('foo:bar').toString('base64')}`;
  const get = (host: string, path: string, headers: Record<string, string> = {}) => request({ port: portero.httpPort, host, path, headers });

  test("no_auth_locations.go: should return status code 401 when accessing '/' unauthenticated", async () => {
    const response = await get('no-auth-locations', '/');
    assert.equal(response.status, 401);
    assert.match(String(response.headers['www-authenticate']), /realm="test auth"/);
  });

  test("no_auth_locations.go: should return status code 200 when accessing '/' authenticated", async () => {
    assert.equal((await get('no-auth-locations', '/', { authorization: basic })).status, 200);
  });

  test("no_auth_locations.go: '/noauth' unauthenticated — deliberate difference: no-auth-locations exempts from global auth only", async () => {
    // ingress-nginx exempts the location from the Ingress's basic auth too (200). Portero reads
    // no-auth-locations for the ConfigMap's global-auth-url only, Ingress by Ingress
    // (docs/configuration.md): an Ingress's own auth-type protects all its paths.
    assert.equal((await get('no-auth-locations', '/noauth')).status, 401);
    assert.equal((await get('no-auth-locations', '/noauth', { authorization: basic })).status, 200);
  });

  test('configmap_change.go: should reload after an update in the configuration (a change, not a restart)', async () => {
    assert.equal((await get('configmap-change', '/')).status, 200);
    await portero.write('configmap.yaml', settings({ 'whitelist-source-range': '1.1.1.1' }));
    await eventually(async () => assert.equal((await get('configmap-change', '/')).status, 403));
    await portero.write('configmap.yaml', settings({ 'whitelist-source-range': '1.1.1.1', 'error-log-level': 'debug' }));
    // error-log-level is not a key Portero reads: reported, and the rest still applies.
    await portero.waitForLog((entry) => entry.field === 'data["error-log-level"]' && String(entry.msg).includes('not a key Portero reads'));
    assert.equal((await get('configmap-change', '/')).status, 403);
    await portero.write('configmap.yaml', settings({}));
    await eventually(async () => assert.equal((await get('configmap-change', '/')).status, 200));
    // The same process all along: the changes were applied live.
    assert.equal(portero.child.pid, pid);
    assert.equal(portero.child.exitCode, null);
  });

  test('proxy_read_timeout.go: should set valid proxy read timeouts using configmap values', async () => {
    await portero.write('configmap.yaml', settings({ 'proxy-read-timeout': '1' }));
    await eventually(async () => assert.equal((await get('proxy-read-timeout.com', '/delay?ms=2500')).status, 504));
  });

  test('proxy_read_timeout.go: should not set invalid proxy read timeouts using configmap values', async () => {
    await portero.write('configmap.yaml', settings({ 'proxy-read-timeout': '20k' }));
    await portero.waitForLog((entry) => entry.field === 'data["proxy-read-timeout"]' && String(entry.msg).includes('"20k"'));
    // The invalid value is ignored: the default (60 s) applies again.
    await eventually(async () => assert.equal((await get('proxy-read-timeout.com', '/delay?ms=2500')).status, 200));
  });

  test('badannotationvalues.go: snippets allowed by the ConfigMap; an Ingress with a content_by_lua_block snippet is dropped', async () => {
    await portero.write('configmap.yaml', settings({ 'allow-snippet-annotations': 'true', 'annotation-value-word-blocklist': 'something_forbidden,otherthing_forbidden,content_by_lua_block' }));
    await portero.write('snippets.yaml', [
      routed('forbidden-value-test', 'forbidden-value-test', '/', 'app', { [`${A}/configuration-snippet`]: '\n  default_type text/plain;\n  content_by_lua_block {\n    ngx.say("Hello World")\n  }' }),
      routed('custom-allowed-value-test', 'custom-allowed-value-test', '/', 'app', { [`${A}/configuration-snippet`]: '\n# bla_by_lua' }),
    ]);
    // "should allow an ingress if there is a default blocklist config in place": a comment only.
    await eventually(async () => assert.equal((await get('custom-allowed-value-test', '/')).status, 200));
    assert.equal((await get('forbidden-value-test', '/')).status, 404);
  });

  test('badannotationvalues.go: a forbidden word or character in a comment — deliberate difference: annotation-value-word-blocklist is not read', async () => {
    await portero.write('snippets.yaml', [
      routed('invalid-value-test', 'invalid-value-test', '/', 'app', { [`${A}/configuration-snippet`]: '\n# abc { }' }),
      routed('custom-forbidden-value-test', 'custom-forbidden-value-test', '/', 'app', { [`${A}/configuration-snippet`]: '\n# something_forbidden' }),
    ]);
    // ingress-nginx drops both Ingresses (404) for words of its blocklist. Portero never pastes a
    // snippet: it parses the safe subset, where comments are ignored (docs/annotations.md,
    // Snippets), so a blocklist has nothing to guard; the key is reported as not read.
    await eventually(async () => assert.equal((await get('invalid-value-test', '/')).status, 200));
    assert.equal((await get('custom-forbidden-value-test', '/')).status, 200);
    await portero.waitForLog((entry) => entry.field === 'data["annotation-value-word-blocklist"]' && String(entry.msg).includes('not a key Portero reads'));
  });
});
