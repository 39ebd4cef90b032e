// The HTTPRoute CORS filter through real HAProxy, in manifests mode: the
// conformance suite's HTTPRouteCORS sub-cases on its own four routes
// (conformance/tests/httproute-cors.yaml), the spec's rules the suite does
// not test (default ports, `*.` never matching the bare domain, `null`
// origins, Vary), and a sequence of changes on one running Portero.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { request, type Response } from '../helpers/http.js';
import { serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const HOST = 'cors.gw.test';

function route(name: string, rules: Json[]): Json {
  return { apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs: [{ name: 'gw' }], hostnames: [HOST], rules } };
}
const rule = (path: string, cors: Json): Json => ({ matches: [{ path: { type: 'PathPrefix', value: path } }], filters: [{ type: 'CORS', cors }], backendRefs: [{ name: 'app', port: 80 }] });

// The conformance suite's routes, as its manifest writes them.
const CONFORMANCE = [
  route('cors-multiple-origins-methods-headers', [
    rule('/cors-1', { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAge: 3600 }),
  ]),
  route('cors-wildcard-methods', [rule('/cors-2', { allowOrigins: ['https://www.foo.com'], allowMethods: ['*'] })]),
  route('cors-wildcard-origin', [rule('/cors-wildcard-origin', { allowOrigins: ['*'], allowMethods: ['PUT'], allowCredentials: false })]),
  route('cors-wildcard-methods-headers', [
    rule('/cors-wildcard-methods-headers', { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true }),
    rule('/cors-wildcard-methods-headers-unauth', { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: false }),
  ]),
];

/** The suite compares lists ignoring whitespace and accepts either order. */
const list = (value: unknown) =>
  String(value)
    .split(',')
    .map((item) => item.trim())
    .sort()
    .join(',');

describe('Gateway API: the HTTPRoute CORS filter through real HAProxy', () => {
  let portero: Portero;
  let app: Backend;
  const send = (path: string, method: string, headers: Record<string, string>) => request({ port: portero.httpPort, host: HOST, path, method, headers });
  const preflight = (path: string, origin: string, method: string, headers?: string) =>
    send(path, 'OPTIONS', { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) });
  const isPreflightAnswer = (response: Response) => assert.ok([200, 204].includes(response.status), `status ${response.status}`);

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      files: {
        'gateway.yaml': [gatewayClass('portero'), gateway('gw', { namespace: 'default' })],
        'services.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'routes.yaml': CONFORMANCE,
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  test('preflights from an exact, a wildcard and a many-label wildcard origin: every header of the filter', async () => {
    for (const origin of ['https://www.foo.com', 'https://www.bar.com', 'https://xpto.www.bar.com']) {
      const response = await preflight('/cors-1', origin, 'GET', 'x-header-1, x-header-2');
      isPreflightAnswer(response);
      assert.equal(response.headers['access-control-allow-origin'], origin);
      assert.equal(list(response.headers['access-control-allow-methods']), 'GET,OPTIONS');
      assert.equal(list(response.headers['access-control-allow-headers']), 'x-header-1,x-header-2');
      assert.equal(list(response.headers['access-control-expose-headers']), 'x-header-3,x-header-4');
      assert.equal(response.headers['access-control-max-age'], '3600');
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
    }
  });

  test('a preflight from a non-matching origin is answered without Access-Control-Allow-Origin, and the Service never sees it', async () => {
    const seen = app.requests.length;
    const response = await preflight('/cors-1', 'https://foobar.com', 'GET');
    isPreflightAnswer(response);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.headers['access-control-allow-methods'], undefined);
    assert.equal(app.requests.length, seen);
  });

  test('simple requests: exact and wildcard origins get Access-Control-Allow-Origin, a non-matching one does not', async () => {
    for (const origin of ['https://www.foo.com', 'https://www.bar.com']) {
      const response = await send('/cors-1', 'GET', { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' });
      assert.equal(response.status, 200);
      assert.equal(response.echo?.name, 'app');
      assert.equal(response.headers['access-control-allow-origin'], origin);
    }
    const other = await send('/cors-1', 'GET', { origin: 'https://foobar.com', 'access-control-request-method': 'GET' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('allowMethods *: a POST preflight is allowed, and without allowCredentials no Access-Control-Allow-Credentials', async () => {
    const response = await preflight('/cors-2', 'https://www.foo.com', 'POST');
    isPreflightAnswer(response);
    assert.ok(['POST', '*'].includes(String(response.headers['access-control-allow-methods'])));
    assert.equal(response.headers['access-control-allow-origin'], 'https://www.foo.com');
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
  });

  test('allowOrigins *: preflights and requests, with and without a port, get the Origin (or *), never credentials', async () => {
    for (const origin of ['https://foobar.com', 'https://foobar.com:12345']) {
      const response = await preflight('/cors-wildcard-origin', origin, 'PUT');
      isPreflightAnswer(response);
      assert.ok([origin, '*'].includes(String(response.headers['access-control-allow-origin'])), origin);
      assert.equal(response.headers['access-control-allow-methods'], 'PUT');
      assert.equal(response.headers['access-control-allow-credentials'], undefined);
      const simple = await send('/cors-wildcard-origin', 'PUT', { origin });
      assert.equal(simple.status, 200);
      assert.ok([origin, '*'].includes(String(simple.headers['access-control-allow-origin'])), origin);
      assert.equal(simple.headers['access-control-allow-credentials'], undefined);
    }
  });

  test('* everything with credentials echoes the origin, method and headers; without credentials the same, with no credentials header', async () => {
    const auth = await preflight('/cors-wildcard-methods-headers', 'https://other.foo.com', 'PUT', 'x-header-1, x-header-2');
    isPreflightAnswer(auth);
    assert.equal(auth.headers['access-control-allow-origin'], 'https://other.foo.com');
    assert.equal(auth.headers['access-control-allow-methods'], 'PUT');
    assert.equal(list(auth.headers['access-control-allow-headers']), 'x-header-1,x-header-2');
    assert.equal(auth.headers['access-control-allow-credentials'], 'true');
    const unauth = await preflight('/cors-wildcard-methods-headers-unauth', 'https://other.foo.com', 'PUT', 'x-header-1, x-header-2');
    isPreflightAnswer(unauth);
    assert.ok(['https://other.foo.com', '*'].includes(String(unauth.headers['access-control-allow-origin'])));
    assert.ok(['PUT', '*'].includes(String(unauth.headers['access-control-allow-methods'])));
    assert.ok(['x-header-1,x-header-2', '*'].includes(list(unauth.headers['access-control-allow-headers'])));
    assert.equal(unauth.headers['access-control-allow-credentials'], undefined);
  });

  test('a request with credentials (a cookie): the origin echoed, credentials only where allowed', async () => {
    const auth = await send('/cors-wildcard-methods-headers', 'GET', { origin: 'https://other.foo.com', cookie: 'foo=bar' });
    assert.equal(auth.status, 200);
    assert.equal(auth.headers['access-control-allow-origin'], 'https://other.foo.com');
    assert.equal(auth.headers['access-control-allow-credentials'], 'true');
    const unauth = await send('/cors-wildcard-methods-headers-unauth', 'GET', { origin: 'https://other.foo.com', cookie: 'foo=bar' });
    assert.equal(unauth.status, 200);
    assert.equal(unauth.headers['access-control-allow-origin'], 'https://other.foo.com');
    assert.equal(unauth.headers['access-control-allow-credentials'], undefined);
  });

  test('beyond the suite: default ports, the bare domain of a wildcard, look-alikes, null origins, * without a request header, Vary', async () => {
    const origin = async (path: string, value: string) => (await send(path, 'GET', { origin: value })).headers['access-control-allow-origin'];
    assert.equal(await origin('/cors-1', 'https://www.foo.com:443'), 'https://www.foo.com:443');
    for (const refused of ['https://bar.com', 'http://www.foo.com', 'https://www.foo.com:8443', 'https://www.foo.com.evil.test', 'https://evilbar.com', 'null']) {
      assert.equal(await origin('/cors-1', refused), undefined, refused);
    }
    // `null` (sandboxed documents) is never echoed: `*` without credentials, nothing with them.
    assert.equal(await origin('/cors-wildcard-origin', 'null'), '*');
    assert.equal(await origin('/cors-wildcard-methods-headers', 'null'), undefined);
    // A preflight that asks no headers: `*` without credentials, no header with them.
    assert.equal((await preflight('/cors-wildcard-methods-headers-unauth', 'https://a.test', 'GET')).headers['access-control-allow-headers'], '*');
    assert.equal((await preflight('/cors-wildcard-methods-headers', 'https://a.test', 'GET')).headers['access-control-allow-headers'], undefined);
    // Methods, headers and max-age belong to preflight answers only.
    const simple = await send('/cors-1', 'GET', { origin: 'https://www.foo.com' });
    assert.equal(simple.headers['access-control-allow-methods'], undefined);
    assert.equal(simple.headers['access-control-max-age'], undefined);
    assert.equal(list(simple.headers['access-control-expose-headers']), 'x-header-3,x-header-4');
    assert.match(String(simple.headers.vary), /Origin/);
  });

  test('on a running Portero: allowOrigins changed, then credentials, then the filter removed', async () => {
    const live = (cors: Json | undefined) =>
      portero.write('live.yaml', [route('live', [{ matches: [{ path: { type: 'PathPrefix', value: '/live' } }], ...(cors ? { filters: [{ type: 'CORS', cors }] } : {}), backendRefs: [{ name: 'app', port: 80 }] }])]);
    const allowed = async (origin: string) => (await send('/live', 'GET', { origin })).headers['access-control-allow-origin'];
    await live({ allowOrigins: ['https://one.test'] });
    await eventually(async () => assert.equal(await allowed('https://one.test'), 'https://one.test'));
    assert.equal(await allowed('https://a.two.test'), undefined);
    await live({ allowOrigins: ['https://*.two.test'] });
    await eventually(async () => assert.equal(await allowed('https://a.b.two.test'), 'https://a.b.two.test'));
    assert.equal(await allowed('https://one.test'), undefined);
    await live({ allowOrigins: ['https://*.two.test'], allowCredentials: true, allowMethods: ['GET', 'PATCH'] });
    await eventually(async () => assert.equal((await send('/live', 'GET', { origin: 'https://x.two.test' })).headers['access-control-allow-credentials'], 'true'));
    assert.equal((await preflight('/live', 'https://x.two.test', 'PATCH')).headers['access-control-allow-methods'], 'GET, PATCH');
    await live(undefined);
    await eventually(async () => assert.equal(await allowed('https://x.two.test'), undefined));
    const options = await preflight('/live', 'https://x.two.test', 'PATCH');
    assert.equal(options.status, 200);
    assert.equal(options.echo?.method, 'OPTIONS');
  });
});
