// ingress-nginx's own e2e cases for authentication
// (test/e2e/annotations/auth.go and satisfy.go), ported to real requests
// through Portero and HAProxy. Upstream's httpbin (/basic-auth/user/password)
// and its cookie-setting nginx are replaced by a small server on loopback
// that answers the same paths the same way; upstream's bcrypt Secrets are
// made the same way (bcrypt, with a low cost so that the file stays fast).
//
// satisfy.go's cases are ported with their counterparts: satisfy all with the
// same two checks, and the allowlist with basic or external auth (client
// addresses told apart by the loopback address a request leaves from).
//
// Two deliberate, documented differences shape the port (docs/annotations.md):
// - auth-signin may not hold nginx variables: upstream's "http://$host/auth/start"
//   answers 503 in Portero, so the cases use the literal host ("http://auth/auth/start"),
//   which gives the very Location upstream expects;
// - answers the proxy makes itself are Portero's plain-text pages, not nginx's
//   HTML ("401 Authorization Required", "503 Service Temporarily Unavailable"):
//   the port checks the statuses and the challenge.
//
// not ported: auth.go "should set snippet proxy_set_header My-Custom-Header 42; when external auth is configured" — nginx.conf text only; auth-snippet is refused by Portero (docs/annotations.md, Snippets)
// not ported: auth.go "should not set snippet ... when external auth is not configured" — nginx.conf text only; auth-snippet is refused
// not ported: auth.go "should set proxy_set_header 'My-Custom-Header' '42'; when auth-headers are set" — nginx.conf text only; auth-proxy-set-headers is documented as not supported yet (503)
// not ported: auth.go "should set cache_key when external auth cache is configured" — nginx.conf text only; auth-cache-* are documented as accepted and ignored
// not ported: auth.go "should not create additional upstream block when auth-keepalive is not set" — nginx.conf text only; auth-keepalive* are accepted and ignored
// not ported: auth.go "should not create additional upstream block when host part of auth-url contains a variable" — nginx.conf text only
// not ported: auth.go "should not create additional upstream block when auth-keepalive is negative" — nginx.conf text only
// not ported: auth.go "should not create additional upstream block when auth-keepalive is set with HTTP/2" — nginx.conf text only
// not ported: auth.go "should create additional upstream block when auth-keepalive is set with HTTP/1.x" — nginx.conf text only
// not ported: auth.go "should disable set_all_vars when auth-keepalive-share-vars is not set" — nginx.conf text only
// not ported: auth.go "should enable set_all_vars when auth-keepalive-share-vars is true" — nginx.conf text only
// not ported: auth.go "should return status code 200 when signed in after auth backend is deleted" — needs auth-cache-duration, documented as ignored (every request asks the auth service)
// not ported: auth.go "should deny login for different location on same server" — needs the auth cache (documented as ignored)
// not ported: auth.go "should deny login for different servers" — needs the auth cache (documented as ignored)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { listenOnLoopback, startBackend, type Backend } from '../../helpers/backends.js';
import { request, type Response } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

/** bcrypt, as upstream's buildSecret (golang.org/x/crypto/bcrypt): apache2-utils' htpasswd when installed, else Python's crypt on libxcrypt. */
function bcrypt(password: string): string {
  try {
    return execFileSync('htpasswd', ['-nbB', '-C', '5', 'u', password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(':')[1]!;
  } catch {
    const script = 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))';
    const hash = execFileSync('python3', ['-W', 'ignore', '-c', script, password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    assert.match(hash, /^\$2[aby]\$/, 'this test needs bcrypt: install apache2-utils (htpasswd) or python3 with its crypt module');
    return hash;
  }
}

function secret(name: string, stringData: Record<string, string>): Json {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: 'default' }, stringData };
}

/** upstream's buildSecret: an auth-file Secret (key `auth`) with one bcrypt user. */
const buildSecret = (user: string, password: string, name: string) => secret(name, { auth: `${user}:${bcrypt(password)}\n` });
/** upstream's buildMapSecret: an auth-map Secret (key = user, value = bcrypt hash). */
const buildMapSecret = (user: string, password: string, name: string) => secret(name, { [user]: bcrypt(password) });

function single(name: string, host: string, annotations: Record<string, string>, options: { path?: string; service?: string } = {}): Json {
  const prefixed = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
  return ingress({ name, className: 'nginx', annotations: prefixed, rules: [{ host, paths: [{ path: options.path ?? '/', service: options.service ?? 'http-svc' }] }] });
}

interface Httpbin {
  address: string;
  port: number;
  /** Requests seen (method and path), newest last. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * What upstream's e2e reaches: httpbin's /basic-auth/<user>/<password> (200
 * with those credentials, else 401 with a Basic challenge), and the
 * "http-cookie-with-error" nginx (/cookies/set/<key>/<value> sets a cookie,
 * /error answers 503, anything else 200).
 */
async function startHttpbin(): Promise<Httpbin> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://httpbin').pathname;
      seen.push(`${req.method ?? ''} ${path}`);
      const basic = /^\/basic-auth\/([^/]+)\/([^/]+)$/.exec(path);
      const cookie = /^\/cookies\/set\/([^/]+)\/([^/]+)$/.exec(path);
      if (basic) {
        const expected = `Basic ${Buffer.from(`${basic[1]}:${basic[2]}`).toString('base64')}`;
        if (req.headers.authorization === expected) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ authenticated: true, user: basic[1] }));
        else res.writeHead(401, { 'www-authenticate': 'Basic realm="Fake Realm"' }).end();
      } else if (cookie) {
        res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `${cookie[1]}=${cookie[2]}` }).end('OK\n');
      } else if (path === '/error') {
        res.writeHead(503).end();
      } else {
        res.writeHead(200).end();
      }
    });
  });
  return { ...(await listenOnLoopback(server)), seen };
}

/** Client addresses (loopback): the one satisfy's allowlists name, and another. */
const ALLOWED = '127.0.0.201';
const OTHER = '127.0.0.202';

const basicAuth = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
/** Go's url.QueryEscape("/?a=b&c=d"), as upstream builds the expected rd parameter. */
const ESCAPED_QUERY = '%2F%3Fa%3Db%26c%3Dd';

describe('ingress-nginx e2e, auth.go (auth-*) and satisfy.go', () => {
  let portero: Portero;
  let echo: Backend;
  let httpbin: Httpbin;
  let authUrl: string;
  let cookieUrl: string;

  before(async () => {
    echo = await startBackend('http-svc');
    httpbin = await startHttpbin();
    // Upstream names httpbin by its pod IP; so does the port (a literal IP address, port included).
    authUrl = `http://${httpbin.address}:${httpbin.port}/basic-auth/user/password`;
    cookieUrl = `http://${httpbin.address}:${httpbin.port}/cookies/set/alma/armud`;
    const external = (signin: string, extra: Record<string, string> = {}) => ({ 'auth-url': authUrl, 'auth-signin': signin, ...extra });
    const basic = (secretName: string, extra: Record<string, string> = {}) => ({ 'auth-type': 'basic', 'auth-secret': secretName, 'auth-realm': 'test auth', ...extra });
    const cookies = (extra: Record<string, string> = {}) => ({ 'auth-url': cookieUrl, 'auth-signin': 'http://auth-check-cookies/auth/start', ...extra });
    const twoAuths = (host: string) => ({ 'auth-type': 'basic', 'auth-secret': 'basic-secret', 'auth-realm': 'test basic auth', 'auth-url': authUrl, 'auth-signin': `http://${host}/auth/start` });
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: 'http-svc', endpoints: [echo] }),
        'cookie.yaml': serviceWithEndpoints({ name: 'http-cookie-with-error', endpoints: [{ address: httpbin.address, port: httpbin.port }] }),
        'secrets.yaml': [buildSecret('foo', 'bar', 'test'), buildMapSecret('foo', 'bar', 'test-map'), secret('invalid', { auth: 'foo:' }), buildSecret('uname', 'pwd', 'basic-secret')],
        'ingresses.yaml': [
          single('none', 'none.auth', {}),
          single('invalid-secret', 'invalid-secret.auth', basic('something')),
          single('basic', 'basic.auth', basic('test')),
          single('basic-cors', 'basic-cors.auth', basic('test', { 'enable-cors': 'true' })),
          single('basic-map', 'basic-map.auth', basic('test-map', { 'auth-secret-type': 'auth-map' })),
          single('invalid-content', 'invalid-content.auth', basic('invalid')),
          single('external', 'auth', external('http://auth/auth/start')),
          single('external-variable', 'variable.auth', external('http://$host/auth/start')),
          single('external-foo', 'foo.auth', external('http://foo.auth/auth/start', { 'auth-response-headers': 'Foo' })),
          single('external-param', 'param.auth', external('http://param.auth/auth/start', { 'auth-signin-redirect-param': 'orig' })),
          single('foo-cache-ing', 'cache.auth', external('http://cache.auth/auth/start', { 'auth-cache-key': 'fixed', 'auth-cache-duration': '200 201 401 30m' }), { path: '/foo' }),
          single('bar-cache-ing', 'cache.auth', external('http://cache.auth/auth/start', { 'auth-cache-key': 'fixed', 'auth-cache-duration': '200 201 401 30m' }), { path: '/bar' }),
          single('cookies', 'auth-check-cookies', cookies(), { service: 'http-cookie-with-error' }),
          single('cookies-error', 'auth-check-cookies', cookies(), { path: '/error', service: 'http-cookie-with-error' }),
          single('always', 'always.auth-check-cookies', cookies({ 'auth-always-set-cookie': 'true' }), { service: 'http-cookie-with-error' }),
          single('always-error', 'always.auth-check-cookies', cookies({ 'auth-always-set-cookie': 'true' }), { path: '/error', service: 'http-cookie-with-error' }),
          single('denied-auth', 'denied.auth', { 'auth-url': 'https://invalid..auth.url' }, { path: '/denied-auth' }),
          // satisfy.go: basic auth and external auth; upstream's auth-signin "http://$host/auth/start" with the literal host.
          single('satisfy-any', 'any.auth', { ...twoAuths('any.auth'), satisfy: 'any' }),
          single('satisfy-all', 'all.auth', { ...twoAuths('all.auth'), satisfy: 'all' }),
          // An allowlist with basic auth, and with external auth (no sign-in page).
          single('satisfy-any-allow', 'any-allow.auth', { ...basic('test'), 'allowlist-source-range': ALLOWED, satisfy: 'any' }),
          single('satisfy-all-allow', 'all-allow.auth', { ...basic('test'), 'allowlist-source-range': ALLOWED }),
          single('satisfy-any-external-allow', 'any-external-allow.auth', { 'auth-url': authUrl, 'auth-response-headers': 'Foo', 'allowlist-source-range': ALLOWED, satisfy: 'any' }),
          single('satisfy-any-deny', 'any-deny.auth', { ...basic('test'), 'denylist-source-range': OTHER, satisfy: 'any' }),
          single('satisfy-invalid', 'invalid.satisfy', { ...basic('test'), 'allowlist-source-range': ALLOWED, satisfy: 'Any' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
    await httpbin?.close();
  });

  const get = (host: string, options: { path?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Response> =>
    request({ port: portero.httpPort, host, path: options.path ?? '/', headers: options.headers ?? {}, ...(options.from ? { localAddress: options.from } : {}) });

  test('auth.go: should return status code 200 when no authentication is configured', async () => {
    const response = await get('none.auth');
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers.host, 'none.auth');
  });

  test('auth.go: should return status code 503 when authentication is configured with an invalid secret', async () => {
    const before = echo.requests.length;
    const response = await get('invalid-secret.auth');
    assert.equal(response.status, 503);
    assert.match(response.body, /503 Service Unavailable/);
    assert.equal(echo.requests.length, before);
  });

  test('auth.go: should return status code 401 when authentication is configured but Authorization header is not configured', async () => {
    const response = await get('basic.auth');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="test auth"');
    assert.match(response.body, /401 Unauthorized/);
  });

  test('auth.go: should return status code 401 when authentication is configured and Authorization header is sent with invalid credentials', async () => {
    const response = await get('basic.auth', { headers: basicAuth('user', 'pass') });
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="test auth"');
  });

  test('auth.go: should return status code 401 and cors headers when authentication and cors is configured but Authorization header is not configured', async () => {
    const response = await get('basic-cors.auth');
    assert.equal(response.status, 401);
    assert.equal(response.headers['access-control-allow-origin'], '*');
  });

  test('auth.go: should return status code 200 when authentication is configured and Authorization header is sent', async () => {
    const response = await get('basic.auth', { headers: basicAuth('foo', 'bar') });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'http-svc');
  });

  test('auth.go: should return status code 200 when authentication is configured with a map and Authorization header is sent', async () => {
    assert.equal((await get('basic-map.auth', { headers: basicAuth('foo', 'bar') })).status, 200);
    assert.equal((await get('basic-map.auth', { headers: basicAuth('foo', 'baz') })).status, 401);
  });

  test('auth.go: should return status code 401 when authentication is configured with invalid content and Authorization header is sent', async () => {
    // Deliberate, documented difference (docs/annotations.md, Authentication, "Fail closed"): a
    // Secret line that does not parse ("foo:", no hash) makes the paths answer 503 with a
    // warning, where nginx reads a user whose password never matches (401). Both refuse.
    const response = await get('invalid-content.auth', { headers: basicAuth('foo', 'bar') });
    assert.equal(response.status, 503);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/invalid-content' && line.field === `metadata.annotations["${A}/auth-secret"]`);
    assert.equal(warning.level, 'warn');
  });

  test('auth.go: cookie set by external authentication server: user retains cookie by default', async () => {
    const response = await get('auth-check-cookies', { path: '/?a=b&c=d' });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['set-cookie']), /alma=armud/);
  });

  test('auth.go: cookie set by external authentication server: user does not retain cookie if upstream returns error status code', async () => {
    const response = await get('auth-check-cookies', { path: '/error?a=b&c=d' });
    assert.equal(response.status, 503);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  test('auth.go: cookie set by external authentication server: user with annotated ingress retains cookie if upstream returns error status code', async () => {
    // Upstream adds auth-always-set-cookie to the two Ingresses of the host; here they carry it from the start.
    const response = await get('always.auth-check-cookies', { path: '/error?a=b&c=d' });
    assert.equal(response.status, 503);
    assert.match(String(response.headers['set-cookie']), /alma=armud/);
  });

  test('auth.go: when external authentication is configured: should return status code 200 when signed in', async () => {
    const before = httpbin.seen.length;
    const response = await get('auth', { headers: basicAuth('user', 'password') });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.name, 'http-svc');
    assert.deepEqual(httpbin.seen.slice(before), ['GET /basic-auth/user/password']);
  });

  test('auth.go: when external authentication is configured: should redirect to signin url when not signed in', async () => {
    const response = await get('auth', { path: '/?a=b&c=d' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, `http://auth/auth/start?rd=http://auth${ESCAPED_QUERY}`);
    // Upstream's own annotation value, "http://$host/auth/start": nginx variables are refused (documented), the paths answer 503.
    assert.equal((await get('variable.auth', { path: '/?a=b&c=d' })).status, 503);
  });

  test('auth.go: when external authentication is configured: keeps processing new ingresses even if one of the existing ingresses is misconfigured', async () => {
    await portero.write('misconfigured.yaml', [
      single('misconfigured', 'misconfigured.auth', { 'auth-url': authUrl, 'auth-signin': 'http://misconfigured.auth/auth/start', 'auth-type': 'basic', 'auth-secret': 'something', 'auth-realm': 'test auth' }),
      single('different', 'different', {}),
    ]);
    await eventually(async () => assert.equal((await get('different')).status, 200));
    assert.equal((await get('misconfigured.auth', { headers: basicAuth('user', 'password') })).status, 503);
    assert.equal((await get('auth', { headers: basicAuth('user', 'password') })).status, 200);
  });

  test('auth.go: when external authentication is configured: should overwrite Foo header with auth response', async () => {
    const response = await get('foo.auth', { headers: { ...basicAuth('user', 'password'), foo: 'bar' } });
    assert.equal(response.status, 200);
    // The auth answer has no Foo: the client's Foo never reaches the Service.
    assert.equal(response.echo?.headers.foo, undefined);
  });

  test('auth.go: when external authentication is configured with a custom redirect param: should return status code 200 when signed in', async () => {
    assert.equal((await get('param.auth', { headers: basicAuth('user', 'password') })).status, 200);
  });

  test('auth.go: when external authentication is configured with a custom redirect param: should redirect to signin url when not signed in', async () => {
    const response = await get('param.auth', { path: '/?a=b&c=d' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, `http://param.auth/auth/start?orig=http://param.auth${ESCAPED_QUERY}`);
  });

  test('auth.go: when external authentication is configured with a custom redirect param: keeps processing new ingresses even if one of the existing ingresses is misconfigured', async () => {
    await portero.write('misconfigured-param.yaml', [
      single('misconfigured-param', 'misconfigured-param.auth', {
        'auth-url': authUrl,
        'auth-signin': 'http://misconfigured-param.auth/auth/start',
        'auth-signin-redirect-param': 'orig',
        'auth-type': 'basic',
        'auth-secret': 'something',
        'auth-realm': 'test auth',
      }),
      single('different-param', 'different-param', {}),
    ]);
    await eventually(async () => assert.equal((await get('different-param')).status, 200));
    assert.equal((await get('misconfigured-param.auth')).status, 503);
  });

  test('auth.go: when external authentication with caching is configured: should redirect to signin url when not signed in', async () => {
    // Upstream asks for "/", which nginx serves from the host's root location carrying the first
    // Ingress's annotations; in Portero a path no rule matches answers 404 (the default backend),
    // so the port asks for the Ingress's own path /foo. The cache annotations are accepted, ignored.
    const response = await get('cache.auth', { path: '/foo?a=b&c=d' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, 'http://cache.auth/auth/start?rd=http://cache.auth%2Ffoo%3Fa%3Db%26c%3Dd');
    assert.equal((await get('cache.auth', { path: '/bar', headers: basicAuth('user', 'password') })).status, 200);
  });

  test('auth.go: with invalid auth-url should deny whole location: should return 503 (location was denied)', async () => {
    const before = echo.requests.length;
    assert.equal((await get('denied.auth', { path: '/denied-auth' })).status, 503);
    assert.equal(echo.requests.length, before);
  });

  test('auth.go: with invalid auth-url should deny whole location: should add error to the config (a warning naming auth-url)', async () => {
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/denied-auth' && line.field === `metadata.annotations["${A}/auth-url"]`);
    assert.equal(warning.level, 'warn');
    assert.match(String(warning.msg), /its paths answer 503/);
  });

  test('satisfy.go: should configure satisfy directive correctly (all, then any, on an Ingress without access checks: served)', async () => {
    for (const value of ['all', 'any']) {
      await portero.write('ingresses-satisfy.yaml', [single('satisfy', 'satisfy', { satisfy: value })]);
      await eventually(async () => {
        const response = await get('satisfy');
        assert.equal(response.status, 200);
        assert.equal(response.echo?.headers.host, 'satisfy');
      });
    }
  });

  test('satisfy.go: should allow multiple auth with satisfy any', async () => {
    // With basic credentials: in, and the auth service is not asked (nginx's satisfy any stops at the first check that lets in).
    const before = httpbin.seen.length;
    const withBasic = await get('any.auth', { headers: basicAuth('uname', 'pwd') });
    assert.equal(withBasic.status, 200);
    assert.equal(withBasic.echo?.headers.authorization, undefined);
    assert.deepEqual(httpbin.seen.slice(before), []);
    // Without credentials: both refuse with 401, and auth-signin's error_page sends the client to sign in.
    const without = await get('any.auth', { path: '/?a=b&c=d' });
    assert.equal(without.status, 302);
    assert.equal(without.headers.location, `http://any.auth/auth/start?rd=http://any.auth${ESCAPED_QUERY}`);
    // The auth service's credentials alone are enough too.
    assert.equal((await get('any.auth', { headers: basicAuth('user', 'password') })).status, 200);
  });

  test('satisfy.go: multiple auth with satisfy all (the counterpart): both are required', async () => {
    // Basic auth passes, the auth service refuses (401): the sign-in redirect.
    const basicOnly = await get('all.auth', { path: '/?a=b&c=d', headers: basicAuth('uname', 'pwd') });
    assert.equal(basicOnly.status, 302);
    assert.equal(basicOnly.headers.location, `http://all.auth/auth/start?rd=http://all.auth${ESCAPED_QUERY}`);
    // Basic auth refuses first (401): nginx's error_page 401 makes that the sign-in redirect as well.
    const without = await get('all.auth', { path: '/?a=b&c=d' });
    assert.equal(without.status, 302);
    assert.equal(without.headers.location, `http://all.auth/auth/start?rd=http://all.auth${ESCAPED_QUERY}`);
    assert.equal((await get('all.auth', { headers: basicAuth('user', 'password') })).status, 302);
  });

  test('satisfy.go: satisfy any with an allowlist and basic auth: the address or the credentials', async () => {
    const allowed = await get('any-allow.auth', { from: ALLOWED, headers: basicAuth('foo', 'wrong') });
    assert.equal(allowed.status, 200);
    // Let in by address, the Authorization header still never reaches the Service (basic auth is configured).
    assert.equal(allowed.echo?.headers.authorization, undefined);
    assert.equal((await get('any-allow.auth', { from: OTHER, headers: basicAuth('foo', 'bar') })).status, 200);
    // Neither: basic auth's 401 (nginx keeps a 401 over the access list's 403), with its challenge.
    const neither = await get('any-allow.auth', { from: OTHER });
    assert.equal(neither.status, 401);
    assert.equal(neither.headers['www-authenticate'], 'Basic realm="test auth"');
  });

  test('satisfy.go: satisfy all with an allowlist and basic auth (the counterpart): the address and the credentials', async () => {
    assert.equal((await get('all-allow.auth', { from: ALLOWED, headers: basicAuth('foo', 'bar') })).status, 200);
    assert.equal((await get('all-allow.auth', { from: ALLOWED })).status, 401);
    assert.equal((await get('all-allow.auth', { from: OTHER, headers: basicAuth('foo', 'bar') })).status, 403);
  });

  test('satisfy.go: satisfy any with an allowlist and external auth', async () => {
    const before = httpbin.seen.length;
    const allowed = await get('any-external-allow.auth', { from: ALLOWED, headers: { foo: 'forged' } });
    assert.equal(allowed.status, 200);
    // Not asked; and the header auth-response-headers names never reaches the Service as the client wrote it.
    assert.deepEqual(httpbin.seen.slice(before), []);
    assert.equal(allowed.echo?.headers.foo, undefined);
    assert.equal((await get('any-external-allow.auth', { from: OTHER, headers: basicAuth('user', 'password') })).status, 200);
    assert.deepEqual(httpbin.seen.slice(before), ['GET /basic-auth/user/password']);
    const refused = await get('any-external-allow.auth', { from: OTHER });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Basic realm="Fake Realm"');
  });

  test('satisfy.go: satisfy any with a denylist and basic auth: the denylist is one of the checks, as in nginx', async () => {
    // nginx's access module refuses the client (403), then basic auth lets it in: satisfy any lets it through.
    assert.equal((await get('any-deny.auth', { from: OTHER, headers: basicAuth('foo', 'bar') })).status, 200);
    assert.equal((await get('any-deny.auth', { from: OTHER })).status, 401);
    // A denylist lets nobody in by itself: other clients still need credentials.
    assert.equal((await get('any-deny.auth', { from: ALLOWED })).status, 401);
  });

  test('satisfy.go: an invalid value fails closed (503), with a diagnostic naming it', async () => {
    const before = echo.requests.length;
    assert.equal((await get('invalid.satisfy', { from: ALLOWED, headers: basicAuth('foo', 'bar') })).status, 503);
    assert.equal(echo.requests.length, before);
    const warning = await portero.waitForLog((line) => line.object === 'Ingress default/satisfy-invalid' && line.field === `metadata.annotations["${A}/satisfy"]`);
    assert.match(String(warning.msg), /must be all or any/);
    assert.match(JSON.stringify(warning), /Any/);
  });
});
