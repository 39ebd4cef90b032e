// Gateway API filter values changed on one running Portero (issue 10): a
// new header value, redirect hostname, scheme or port, rewritten path or
// hostname, timeout, or CORS origin, method or max-age on a rule that
// already has that filter is a change of settings.map or of a pattern file
// (the CORS origins) through HAProxy's runtime API (features/gateway-
// filters.ts, gateway-cors.ts), served without a reload; a new filter on
// the rule (a new shape) still reloads and is served. "No reload" is
// asserted as the other zero-reload tests do: HAProxy's worker keeps its
// process id, and the reload counter on /metrics does not move.
//
// Not ported: nothing; these cases are Portero's own (the conformance suite
// checks each filter's behaviour once, gateway-http.test.ts ports that).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend, type Echo } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { currentWorker, mapsMatchFiles } from '../helpers/haproxy.js';
import { request } from '../helpers/http.js';
import { serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const HOST = 'values.gw.test';

interface Values {
  requestSet: string;
  requestAdd: string;
  responseSet: string;
  redirect: Json;
  prefix: string;
  fullPath: string;
  rewriteHost: string;
  timeout: string;
  cors: Json;
}

const INITIAL: Values = {
  requestSet: 'one',
  requestAdd: 'b1',
  responseSet: 'r1',
  redirect: { hostname: 'one.example', statusCode: 302 },
  prefix: '/new',
  fullPath: '/one',
  rewriteHost: 'h1.example',
  timeout: '300ms',
  cors: { allowOrigins: ['https://a.example'], allowMethods: ['GET'], maxAge: 10 },
};

const prefix = (path: string) => [{ path: { type: 'PathPrefix', value: path } }];
const app = { name: 'app', port: 80 };

/** One HTTPRoute, a rule per kind of filter; `extra` adds filters to the full-path rule (a new shape). */
function route(values: Values, extra: Json[] = []): Json {
  return {
    apiVersion: GATEWAY_V1,
    kind: 'HTTPRoute',
    metadata: { name: 'values', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [HOST],
      rules: [
        {
          matches: prefix('/headers'),
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: values.requestSet }], add: [{ name: 'X-Add', value: values.requestAdd }] } },
            { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Answer', value: values.responseSet }] } },
          ],
          backendRefs: [app],
        },
        { matches: prefix('/redirect'), filters: [{ type: 'RequestRedirect', requestRedirect: values.redirect }] },
        { matches: prefix('/prefix'), filters: [{ type: 'URLRewrite', urlRewrite: { hostname: values.rewriteHost, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: values.prefix } } }], backendRefs: [app] },
        { matches: prefix('/full'), filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: values.fullPath } } }, ...extra], backendRefs: [app] },
        { matches: prefix('/slow'), timeouts: { request: values.timeout }, backendRefs: [app] },
        { matches: prefix('/cors'), filters: [{ type: 'CORS', cors: values.cors }], backendRefs: [app] },
      ],
    },
  };
}

describe('Gateway API: filter values change on a running Portero without a reload', () => {
  let portero: Portero;
  let backend: Backend;
  let values = INITIAL;
  const get = (path: string) => request({ port: portero.httpPort, host: HOST, path });
  const echo = async (path: string) => {
    const response = await get(path);
    assert.equal(response.status, 200, `${path}: ${response.status} ${response.body.slice(0, 200)}`);
    return { echo: JSON.parse(response.body) as Echo, headers: response.headers };
  };
  const preflight = (origin: string) => request({ port: portero.httpPort, host: HOST, path: '/cors', method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
  const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
  /** Applies new values and waits until `served` sees them. */
  const change = async (next: Partial<Values>, served: () => Promise<void>) => {
    values = { ...values, ...next };
    await portero.write('route.yaml', [route(values)]);
    await eventually(served);
  };

  before(async () => {
    backend = await startBackend('app', '127.0.7.1');
    portero = await startPortero({
      files: {
        'gateway.yaml': [gatewayClass('portero'), gateway('gw', { namespace: 'default' })],
        'services.yaml': serviceWithEndpoints({ name: 'app', endpoints: [backend] }),
        'route.yaml': [route(INITIAL)],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await backend?.close();
  });

  test('the first values are served', async () => {
    const headers = await echo('/headers');
    assert.equal(headers.echo.headers['x-set'], 'one');
    assert.equal(headers.echo.headers['x-add'], 'b1');
    assert.equal(headers.headers['x-answer'], 'r1');
    const redirect = await get('/redirect/a?q=1');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, 'http://one.example/redirect/a?q=1');
    const rewritten = await echo('/prefix/a?q=1');
    assert.equal(rewritten.echo.url, '/new/a?q=1');
    assert.equal(rewritten.echo.headers.host, 'h1.example');
    assert.equal((await echo('/full/x')).echo.url, '/one');
    assert.equal((await get('/slow?delay=1s')).status, 504, 'the 300ms request timeout ends a 1 s wait');
    const cors = await preflight('https://a.example');
    assert.equal(cors.headers['access-control-allow-origin'], 'https://a.example');
    assert.equal(cors.headers['access-control-max-age'], '10');
    assert.equal((await preflight('https://x.b.example')).headers['access-control-allow-origin'], undefined);
  });

  test('a sequence of value changes is served, with the same HAProxy worker and no reload', async () => {
    const worker = await currentWorker(portero.stateDir);
    const before = await reloads();

    // Header values, `%` and log-format syntax included: a map value reaches the request as written.
    await change({ requestSet: 'two words', requestAdd: '50% %[path] #x', responseSet: 'r2;r3' }, async () => {
      const { echo: seen, headers } = await echo('/headers');
      assert.equal(seen.headers['x-set'], 'two words');
      assert.equal(seen.headers['x-add'], '50% %[path] #x');
      assert.equal(headers['x-answer'], 'r2;r3');
    });

    // The redirect's hostname, then its scheme and port.
    await change({ redirect: { hostname: 'two.example', statusCode: 302 } }, async () => assert.equal((await get('/redirect/a')).headers.location, 'http://two.example/redirect/a'));
    await change({ redirect: { hostname: 'two.example', scheme: 'https', port: 8443, statusCode: 302 } }, async () => assert.equal((await get('/redirect/a')).headers.location, 'https://two.example:8443/redirect/a'));

    // The rewritten prefix and hostname, and the full path.
    await change({ prefix: '/other/deeper', rewriteHost: 'h2.example' }, async () => {
      const { echo: seen } = await echo('/prefix/a?q=1');
      assert.equal(seen.url, '/other/deeper/a?q=1');
      assert.equal(seen.headers.host, 'h2.example');
    });
    await change({ fullPath: '/two%20x' }, async () => assert.equal((await echo('/full/x?q')).echo.url, '/two%20x?q'));

    // The timeout: longer, then none at all (0s).
    await change({ timeout: '5s' }, async () => assert.equal((await get('/slow?delay=1s')).status, 200));
    await change({ timeout: '0s' }, async () => assert.equal((await get('/slow?delay=1s')).status, 200));
    await change({ timeout: '300ms' }, async () => assert.equal((await get('/slow?delay=1s')).status, 504));

    // CORS: another origin (the section's pattern file), max-age and methods (settings.map).
    await change({ cors: { allowOrigins: ['https://a.example', 'https://*.b.example'], allowMethods: ['GET', 'PUT'], maxAge: 20 } }, async () => {
      const answer = await preflight('https://x.b.example');
      assert.equal(answer.headers['access-control-allow-origin'], 'https://x.b.example');
      assert.equal(answer.headers['access-control-max-age'], '20');
      assert.equal(answer.headers['access-control-allow-methods'], 'GET, PUT');
    });
    await change({ cors: { allowOrigins: ['https://*.b.example'], allowMethods: ['GET', 'PUT'], maxAge: 20 } }, async () => assert.equal((await preflight('https://a.example')).headers['access-control-allow-origin'], undefined));

    assert.equal(await currentWorker(portero.stateDir), worker, `the HAProxy worker is the same: no reload\n${portero.logs.filter((l) => l.includes('reload')).join('\n')}`);
    assert.equal(await reloads(), before, 'no structural reload');
    await portero.filesSynced();
    await mapsMatchFiles(portero.stateDir, ['settings.map']);
  });

  test('a new filter on a rule (a new shape) reloads and is served; its values then change without a reload', async () => {
    const worker = await currentWorker(portero.stateDir);
    const header = (value: string) => ({ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-Full', value }] } });
    await portero.write('route.yaml', [route(values, [header('f1')])]);
    await eventually(async () => assert.equal((await echo('/full/x')).headers['x-full'], 'f1'));
    assert.equal((await echo('/full/x')).echo.url, '/two%20x');
    await eventually(async () => assert.notEqual(await currentWorker(portero.stateDir), worker, 'a new filter is new rules: HAProxy reloads'));

    const reloaded = await currentWorker(portero.stateDir);
    await portero.write('route.yaml', [route(values, [header('f2')])]);
    await eventually(async () => assert.equal((await echo('/full/x')).headers['x-full'], 'f2'));
    assert.equal(await currentWorker(portero.stateDir), reloaded, 'the new filter\'s value changes without a reload');
  });
});
