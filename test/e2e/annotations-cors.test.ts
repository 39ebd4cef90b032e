// ingress-nginx's CORS, upstream header, access log and retry annotations
// through real HAProxy, with real requests: preflights answered by the
// proxy, CORS headers for any origin and for origin lists, the Host and
// Connection headers the Service sees, requests left out of the access log,
// retries over a dead endpoint, changes on a running Portero, and hostile
// values refused with a diagnostic.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
const CORS = { [`${A}/enable-cors`]: 'true' };
const LIST = { ...CORS, [`${A}/cors-allow-origin`]: 'https://app.example.com, https://*.example.org:8443', [`${A}/cors-allow-credentials`]: 'false', [`${A}/cors-expose-headers`]: 'X-Total' };

function annotated(name: string, host: string, annotations: Record<string, string>, service = 'app'): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service }] }] });
}

describe('ingress-nginx annotations: CORS, upstream headers, access log, retries', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--access-log'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        // One endpoint where nothing listens (connection refused) and the live one.
        'flaky.yaml': serviceWithEndpoints({ name: 'flaky', endpoints: [{ address: '127.0.99.1', port: app.port }, app] }),
        'ingresses.yaml': [
          annotated('plain', 'plain.cors.test', {}),
          annotated('any', 'any.cors.test', CORS),
          annotated('list', 'list.cors.test', LIST),
          annotated('moved', 'moved.cors.test', { ...CORS, [`${A}/permanent-redirect`]: 'https://example.org/' }),
          annotated('force', 'force.cors.test', { ...CORS, [`${A}/force-ssl-redirect`]: 'true' }),
          annotated('vhost', 'vhost.cors.test', { [`${A}/upstream-vhost`]: 'Internal.Example:8080', [`${A}/x-forwarded-prefix`]: '/api', [`${A}/connection-proxy-header`]: 'close', [`${A}/proxy-http-version`]: '1.0' }),
          annotated('quiet', 'quiet.cors.test', { [`${A}/enable-access-log`]: 'false', ...CORS }),
          annotated('buffers', 'buffers.cors.test', { [`${A}/proxy-buffering`]: 'on', [`${A}/proxy-buffer-size`]: '16k', [`${A}/client-body-buffer-size`]: '1m' }),
          annotated('retry-off', 'retry-off.cors.test', { [`${A}/proxy-next-upstream`]: 'off' }, 'flaky'),
          annotated('retry-on', 'retry-on.cors.test', { [`${A}/proxy-next-upstream`]: 'error timeout http_502', [`${A}/proxy-next-upstream-tries`]: '2' }, 'flaky'),
          annotated('bad-origin', 'bad-origin.cors.test', { ...CORS, [`${A}/cors-allow-origin`]: "https://a.test' || 1" }),
          annotated('bad-header', 'bad-header.cors.test', { ...CORS, [`${A}/cors-allow-headers`]: 'X-A,%[src]' }),
          annotated('bad-vhost', 'bad-vhost.cors.test', { [`${A}/upstream-vhost`]: 'a.test\nbind :1' }),
          annotated('bad-long', 'bad-long.cors.test', { ...CORS, [`${A}/cors-allow-methods`]: 'GET,'.repeat(2000) + 'G ET' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  const get = (host: string, options: { method?: string; origin?: string; path?: string } = {}) =>
    request({ port: portero.httpPort, host, method: options.method ?? 'GET', path: options.path ?? '/', ...(options.origin ? { headers: { origin: options.origin } } : {}) });

  test('without annotations no CORS headers are added', async () => {
    const response = await get('plain.cors.test', { origin: 'https://app.example.com' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  test('enable-cors with *: every response gets the headers with ingress-nginx defaults, even without Origin', async () => {
    for (const origin of [undefined, 'https://anything.test']) {
      const response = await get('any.cors.test', origin ? { origin } : {});
      assert.equal(response.status, 200);
      assert.equal(response.echo?.name, 'app');
      assert.equal(response.headers['access-control-allow-origin'], '*');
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
      assert.equal(response.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
      assert.equal(response.headers['access-control-allow-headers'], 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization');
      assert.equal(response.headers['access-control-max-age'], '1728000');
      assert.equal(response.headers['access-control-expose-headers'], undefined);
    }
  });

  test('a preflight (any OPTIONS request) is answered 204 by the proxy with the headers; the Service never sees it', async () => {
    const seen = app.requests.length;
    const response = await get('any.cors.test', { method: 'OPTIONS', origin: 'https://x.test', path: '/api/items' });
    assert.equal(response.status, 204);
    assert.equal(response.body, '');
    assert.equal(response.headers['access-control-allow-origin'], '*');
    assert.equal(response.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
    assert.equal(response.headers['access-control-max-age'], '1728000');
    assert.equal((await get('any.cors.test', { method: 'OPTIONS' })).status, 204);
    assert.equal(app.requests.filter((echo) => echo.method === 'OPTIONS').length, app.requests.slice(0, seen).filter((echo) => echo.method === 'OPTIONS').length);
  });

  test('an origin list: a matching Origin is echoed (case-insensitive match, one-label wildcard with port); others get no CORS headers', async () => {
    const allowed = ['https://app.example.com', 'HTTPS://APP.Example.COM', 'https://a-1.example.org:8443'];
    for (const origin of allowed) {
      const response = await get('list.cors.test', { origin });
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], origin, origin);
      assert.equal(response.headers['access-control-allow-credentials'], undefined);
      assert.equal(response.headers['access-control-expose-headers'], 'X-Total');
      assert.equal(response.headers['access-control-max-age'], '1728000');
    }
    const refused = ['https://a.b.example.org:8443', 'https://example.org:8443', 'https://a.example.org', 'http://app.example.com', 'https://app.example.com.evil.test', 'https://evil.test/https://app.example.com', 'https://app.example.com:443'];
    for (const origin of refused) {
      const response = await get('list.cors.test', { origin });
      assert.equal(response.status, 200, origin);
      assert.equal(response.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(response.headers['access-control-allow-methods'], undefined, origin);
    }
    assert.equal((await get('list.cors.test')).headers['access-control-allow-origin'], undefined);
  });

  test('an origin list: OPTIONS from an allowed origin is answered 204; from another origin it goes to the Service, as in ingress-nginx', async () => {
    const preflight = await get('list.cors.test', { method: 'OPTIONS', origin: 'https://app.example.com' });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com');
    const other = await get('list.cors.test', { method: 'OPTIONS', origin: 'https://evil.test' });
    assert.equal(other.status, 200);
    assert.equal(other.echo?.method, 'OPTIONS');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('CORS headers are set on redirects too; the preflight is answered before force-ssl-redirect', async () => {
    const moved = await get('moved.cors.test', { origin: 'https://x.test' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers['access-control-allow-origin'], '*');
    const forced = await get('force.cors.test', { origin: 'https://x.test' });
    assert.equal(forced.status, 308);
    assert.equal(forced.headers['access-control-allow-origin'], '*');
    assert.equal((await get('force.cors.test', { method: 'OPTIONS', origin: 'https://x.test' })).status, 204);
  });

  test('upstream-vhost sets the Host the Service sees; connection-proxy-header its Connection; x-forwarded-prefix needs a rewrite', async () => {
    const response = await get('vhost.cors.test', { path: '/p' });
    assert.equal(response.status, 200);
    assert.equal(response.echo?.headers.host, 'internal.example:8080');
    assert.equal(response.echo?.headers['x-forwarded-host'], 'vhost.cors.test');
    assert.equal(response.echo?.headers.connection, 'close');
    assert.equal(response.echo?.headers['x-forwarded-prefix'], undefined);
    assert.equal(response.echo?.httpVersion, '1.1');
  });

  test('buffer annotations are accepted without effect', async () => {
    assert.equal((await get('buffers.cors.test')).status, 200);
  });

  test('enable-access-log false: no access log line for that Ingress (preflights included) while others are logged', async () => {
    assert.equal((await get('quiet.cors.test', { path: '/quiet-1' })).status, 200);
    assert.equal((await get('quiet.cors.test', { method: 'OPTIONS', path: '/quiet-2' })).status, 204);
    await get('plain.cors.test', { path: '/after-quiet' });
    await portero.waitForLog((entry) => entry.host === 'plain.cors.test' && entry.path === '/after-quiet');
    assert.deepEqual(
      portero.entries().filter((entry) => entry.host === 'quiet.cors.test'),
      [],
    );
  });

  test('proxy-next-upstream off: a dead endpoint fails requests; error timeout retries them on the live one', async () => {
    const statuses = async (host: string) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i += 1) out.push((await get(host)).status);
      return out;
    };
    const off = await statuses('retry-off.cors.test');
    assert.ok(off.includes(503), `some requests fail without retries: ${off.join(',')}`);
    assert.ok(off.includes(200), `the live endpoint serves: ${off.join(',')}`);
    assert.deepEqual(await statuses('retry-on.cors.test'), [200, 200, 200, 200, 200, 200]);
  });

  test('hostile values are refused with an error naming the annotation; the Ingress is not served', async () => {
    for (const [host, name, message] of [
      ['bad-origin.cors.test', 'cors-allow-origin', /is not an origin/],
      ['bad-header.cors.test', 'cors-allow-headers', /"%\[src\]" is not a valid header name/],
      ['bad-vhost.cors.test', 'upstream-vhost', /must be a host name/],
      ['bad-long.cors.test', 'cors-allow-methods', /holds more than 100 items/],
    ] as const) {
      assert.equal((await get(host)).status, 404, host);
      const entry = await portero.waitForLog((line) => line.field === `metadata.annotations["${A}/${name}"]`);
      assert.equal(entry.level, 'error');
      assert.match(String(entry.msg), message);
      assert.match(String(entry.msg), /the Ingress is not served/);
    }
    // The configuration that holds the others is intact.
    assert.equal((await get('any.cors.test')).headers['access-control-allow-origin'], '*');
  });

  test('changing CORS annotations on a running Portero: added, changed and removed', async () => {
    const allowOrigin = async (origin: string) => (await get('change.cors.test', { origin })).headers['access-control-allow-origin'];
    await portero.write('change.yaml', [annotated('change', 'change.cors.test', {})]);
    await eventually(async () => assert.equal((await get('change.cors.test')).status, 200));
    assert.equal(await allowOrigin('https://app.example.com'), undefined);
    await portero.write('change.yaml', [annotated('change', 'change.cors.test', CORS)]);
    await eventually(async () => assert.equal(await allowOrigin('https://app.example.com'), '*'));
    await portero.write('change.yaml', [annotated('change', 'change.cors.test', LIST)]);
    await eventually(async () => assert.equal(await allowOrigin('https://app.example.com'), 'https://app.example.com'));
    assert.equal(await allowOrigin('https://other.test'), undefined);
    await portero.write('change.yaml', [annotated('change', 'change.cors.test', { ...LIST, [`${A}/upstream-vhost`]: 'changed.internal' })]);
    await eventually(async () => assert.equal((await get('change.cors.test')).echo?.headers.host, 'changed.internal'));
    await portero.write('change.yaml', [annotated('change', 'change.cors.test', {})]);
    await eventually(async () => assert.equal(await allowOrigin('https://app.example.com'), undefined));
    assert.equal((await get('change.cors.test')).echo?.headers.host, 'change.cors.test');
  });

  test('new origins, methods, allowed headers, max-age and credentials go through the runtime API: no reload', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const preflight = async (origin: string) => (await request({ port: portero.httpPort, host: 'values.cors.test', method: 'OPTIONS', path: '/', headers: { origin } })).headers;
    const write = (origins: string, headers: string, maxAge: string, methods?: string, credentials?: string) =>
      portero.write('values.yaml', [
        annotated('values', 'values.cors.test', {
          ...LIST,
          [`${A}/cors-allow-origin`]: origins,
          [`${A}/cors-allow-headers`]: headers,
          [`${A}/cors-max-age`]: maxAge,
          ...(methods ? { [`${A}/cors-allow-methods`]: methods } : {}),
          ...(credentials ? { [`${A}/cors-allow-credentials`]: credentials } : {}),
        }),
      ]);
    const initial = await reloads();
    await write('https://a.example.com', 'X-A', '60');
    await eventually(async () => assert.equal((await preflight('https://a.example.com'))['access-control-max-age'], '60'));
    await eventually(async () => assert.ok((await reloads()) > initial, 'CORS on a new Ingress is new rules'));
    const before = await reloads();
    await write('https://b.example.com, https://*.c.example.com', 'X-B,X-C', '120');
    await eventually(async () => assert.equal((await preflight('https://b.example.com'))['access-control-allow-origin'], 'https://b.example.com'));
    const answer = await preflight('https://deep.c.example.com');
    assert.equal(answer['access-control-allow-origin'], 'https://deep.c.example.com');
    assert.equal(answer['access-control-allow-headers'], 'X-B,X-C');
    assert.equal(answer['access-control-max-age'], '120');
    assert.equal(answer['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
    assert.equal((await preflight('https://B.Example.COM'))['access-control-allow-origin'], 'https://B.Example.COM', 'an origin added at runtime matches in any case, as one from the file');
    assert.equal((await preflight('https://a.example.com'))['access-control-allow-origin'], undefined, 'the old origin is gone');
    // Lists written with spaces are sent as written: the spaces travel escaped through the runtime API.
    await write('https://b.example.com', 'X-B, X-D', '120', 'POST, GET');
    await eventually(async () => assert.equal((await preflight('https://b.example.com'))['access-control-allow-methods'], 'POST, GET'));
    assert.equal((await preflight('https://b.example.com'))['access-control-allow-headers'], 'X-B, X-D');
    assert.equal((await preflight('https://b.example.com'))['access-control-allow-credentials'], undefined, 'cors-allow-credentials: false');
    // cors-allow-credentials on, then off again: a value too.
    await write('https://b.example.com', 'X-B, X-D', '120', 'POST, GET', 'true');
    await eventually(async () => assert.equal((await preflight('https://b.example.com'))['access-control-allow-credentials'], 'true'));
    await write('https://b.example.com', 'X-B, X-D', '120', 'POST, GET', 'false');
    await eventually(async () => assert.equal((await preflight('https://b.example.com'))['access-control-allow-credentials'], undefined));
    assert.equal(await reloads(), before, 'origins are a pattern file, the values (credentials too) a settings.map entry');
    await portero.filesSynced();
  });
});
