// Gateway API HTTPRoutes through real HAProxy, in manifests mode: the
// conformance suite's matching rules (paths, headers, query, method,
// precedence), weights, invalid references (500), filters (headers,
// redirects, rewrites), an Ingress on the same host winning, and a
// sequence of changes on one running Portero.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { request } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

type Rule = Json;

function route(name: string, hostnames: string[], rules: Rule[], extra: Json = {}): Json {
  return { apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name, namespace: 'default', ...extra }, spec: { parentRefs: [{ name: 'gw' }], hostnames, rules } };
}
const prefix = (value: string, more: Json = {}) => ({ path: { type: 'PathPrefix', value }, ...more });
const exact = (value: string) => ({ path: { type: 'Exact', value } });
const to = (service: string, weight?: number, more: Json = {}) => ({ name: service, port: 80, ...(weight === undefined ? {} : { weight }), ...more });

describe('Gateway API: HTTPRoutes through real HAProxy', () => {
  let portero: Portero;
  const backends: Backend[] = [];
  const get = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') => request({ port: portero.httpPort, host, path, headers, method });
  const served = async (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const response = await get(host, path, headers, method);
    return response.status === 200 ? String(response.headers['x-backend']) : response.status;
  };

  before(async () => {
    for (const name of ['v1', 'v2', 'v3']) backends.push(await startBackend(name));
    portero = await startPortero({
      files: {
        'gateway.yaml': [gatewayClass('portero'), gateway('gw', { namespace: 'default' })],
        'services.yaml': backends.flatMap((backend) => serviceWithEndpoints({ name: backend.name, endpoints: [backend] })),
        'routes.yaml': [
          route('matching', ['match.gw.test'], [
            { matches: [prefix('/'), prefix('/', { headers: [{ name: 'version', value: 'one' }] })], backendRefs: [to('v1')] },
            { matches: [prefix('/v2'), prefix('/', { headers: [{ name: 'version', value: 'two' }] })], backendRefs: [to('v2')] },
          ]),
          route('precedence', ['prec.gw.test'], [
            { matches: [prefix('/', { queryParams: [{ name: 'animal', value: 'whale' }] })], backendRefs: [to('v1')] },
            { matches: [prefix('/', { headers: [{ name: 'version', value: 'four' }] })], backendRefs: [to('v2')] },
            { matches: [prefix('/', { method: 'PATCH' })], backendRefs: [to('v3')] },
            { matches: [exact('/path5')], backendRefs: [to('v1')] },
          ]),
          route('weights', ['weights.gw.test'], [{ backendRefs: [to('v1', 70), to('v2', 30), to('v3', 0)] }]),
          route('invalid', ['invalid.gw.test'], [
            { matches: [prefix('/missing')], backendRefs: [to('nonexistent')] },
            { matches: [prefix('/none')] },
          ]),
          route('filters', ['filters.gw.test'], [
            { matches: [prefix('/headers')], filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Set', value: 'set-value' }], add: [{ name: 'X-Add', value: 'added' }], remove: ['X-Remove'] } }, { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'X-Response', value: 'yes' }] } }], backendRefs: [to('v1')] },
            { matches: [prefix('/redirect')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'example.org', statusCode: 301 } }] },
            { matches: [prefix('/original-prefix')], filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } } }] },
            { matches: [prefix('/prefix/one')], filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'one.example.org', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' } } }], backendRefs: [to('v2')] },
            { matches: [prefix('/strip-prefix')], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], backendRefs: [to('v2')] },
            { matches: [prefix('/full')], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } } }], backendRefs: [to('v3')] },
          ]),
          route('shadowed', ['ingress.gw.test'], [{ backendRefs: [to('v2')] }]),
          route('deep', ['*.deep.gw.test'], [{ backendRefs: [to('v3')] }]),
          route('deeper', ['*.b.deep.gw.test'], [{ backendRefs: [to('v2')] }]),
        ],
        'ingress.yaml': [ingress({ name: 'first', rules: [{ host: 'ingress.gw.test', paths: [{ service: 'v1' }] }] })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of backends) await backend.close();
  });

  test('HTTPRouteMatching: ORed matches, element-wise prefixes, a header match never shadows a shorter path', async () => {
    assert.equal(await served('match.gw.test', '/'), 'v1');
    assert.equal(await served('match.gw.test', '/v2/example'), 'v2');
    assert.equal(await served('match.gw.test', '/', { version: 'two' }), 'v2');
    assert.equal(await served('match.gw.test', '/v2example'), 'v1');
    assert.equal(await served('match.gw.test', '/foo/v2/example'), 'v1');
  });

  test('precedence: path beats method beats headers beats query; HEAD is not GET; no match is 404', async () => {
    assert.equal(await served('prec.gw.test', '/?animal=whale'), 'v1');
    assert.equal(await served('prec.gw.test', '/?ANIMAL=whale'), 404);
    assert.equal(await served('prec.gw.test', '/path5?animal=hydra', {}, 'PATCH'), 'v1');
    assert.equal(await served('prec.gw.test', '/?animal=whale', { version: 'four' }), 'v2');
    assert.equal(await served('prec.gw.test', '/', { version: 'four' }, 'PATCH'), 'v3');
    assert.equal(await served('prec.gw.test', '/', {}, 'HEAD'), 404);
  });

  // 1,000 requests: ±5% is then 3.5 standard deviations of a 70/30 split, so a correct router fails
  // about once in 2,000 runs (at 500 requests, 2.4 deviations, it would fail one run in 60).
  test('weights 70/30/0 over 1,000 requests, each share within 5%', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i += 1) {
      const who = await served('weights.gw.test', '/');
      counts[String(who)] = (counts[String(who)] ?? 0) + 1;
    }
    assert.equal(counts.v3, undefined);
    assert.ok(Math.abs((counts.v1 ?? 0) / 1000 - 0.7) <= 0.05, JSON.stringify(counts));
    assert.ok(Math.abs((counts.v2 ?? 0) / 1000 - 0.3) <= 0.05, JSON.stringify(counts));
  });

  test('an invalid backendRef and a rule without backends answer 500', async () => {
    assert.equal(await served('invalid.gw.test', '/missing'), 500);
    assert.equal(await served('invalid.gw.test', '/none'), 500);
  });

  test('filters: request and response headers, redirects, rewrites', async () => {
    const headers = await get('filters.gw.test', '/headers', { 'x-set': 'client', 'x-add': 'first', 'x-remove': 'gone' });
    assert.equal(headers.echo?.headers['x-set'], 'set-value');
    assert.equal(headers.echo?.headers['x-add'], 'first, added');
    assert.equal(headers.echo?.headers['x-remove'], undefined);
    assert.equal(headers.headers['x-response'], 'yes');
    const redirect = await get('filters.gw.test', '/redirect/a?b=c');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, 'https://example.org/redirect/a?b=c');
    const prefixed = await get('filters.gw.test', '/original-prefix/lemon');
    assert.equal(prefixed.status, 302);
    assert.equal(prefixed.headers.location, 'http://filters.gw.test/replacement-prefix/lemon');
    const rewritten = await get('filters.gw.test', '/prefix/one/two?x=1');
    assert.equal(rewritten.echo?.url, '/one/two?x=1');
    assert.equal(rewritten.echo?.headers.host, 'one.example.org');
    assert.equal((await get('filters.gw.test', '/strip-prefix')).echo?.url, '/');
    assert.equal((await get('filters.gw.test', '/strip-prefix/a')).echo?.url, '/a');
    assert.equal((await get('filters.gw.test', '/full/anything')).echo?.url, '/one');
  });

  test('a Gateway wildcard matches any number of labels, the longest wildcard first', async () => {
    assert.equal(await served('x.deep.gw.test', '/'), 'v3');
    assert.equal(await served('multiple.prefixes.deep.gw.test', '/'), 'v3');
    assert.equal(await served('a.b.deep.gw.test', '/'), 'v2');
    assert.equal(await served('z.a.b.deep.gw.test', '/'), 'v2');
    assert.equal(await served('deep.gw.test', '/'), 404);
  });

  test('an Ingress on the same host wins over the HTTPRoute, with a warning on the route', async () => {
    assert.equal(await served('ingress.gw.test', '/'), 'v1');
    await portero.waitForLog((entry) => JSON.stringify(entry).includes('is served by an Ingress'));
  });

  test('on a running Portero: a route added, its header match changed, a weight changed, then removed', async () => {
    const live = (rules: Rule[]) => portero.write('live.yaml', [route('live', ['live.gw.test'], rules)]);
    await live([{ matches: [prefix('/', { headers: [{ name: 'team', value: 'a' }] })], backendRefs: [to('v1')] }, { backendRefs: [to('v2')] }]);
    await eventually(async () => assert.equal(await served('live.gw.test', '/', { team: 'a' }), 'v1'));
    assert.equal(await served('live.gw.test', '/', { team: 'b' }), 'v2');
    await live([{ matches: [prefix('/', { headers: [{ name: 'team', value: 'b' }] })], backendRefs: [to('v1')] }, { backendRefs: [to('v2')] }]);
    await eventually(async () => assert.equal(await served('live.gw.test', '/', { team: 'b' }), 'v1'));
    assert.equal(await served('live.gw.test', '/', { team: 'a' }), 'v2');
    await live([{ backendRefs: [to('v1', 0), to('v3', 1)] }]);
    await eventually(async () => assert.equal(await served('live.gw.test', '/'), 'v3'));
    await portero.remove('live.yaml');
    await eventually(async () => assert.equal(await served('live.gw.test', '/'), 404));
  });
});

describe('Gateway API: Gateways with spec.addresses keep their routes apart', () => {
  let portero: Portero;
  const backends: Backend[] = [];
  const on = async (address: string, host: string, path = '/') => {
    const response = await request({ port: portero.httpPort, address, host, path });
    return response.status === 200 ? String(response.headers['x-backend']) : response.status;
  };
  const parent = (name: string) => ({ parentRefs: [{ name }] });

  before(async () => {
    for (const name of ['v1', 'v2', 'v3', 'ing']) backends.push(await startBackend(name));
    const routeOn = (name: string, gatewayName: string, service: string, hostnames: string[] = []) => ({
      apiVersion: GATEWAY_V1,
      kind: 'HTTPRoute',
      metadata: { name, namespace: 'default' },
      spec: { ...parent(gatewayName), hostnames, rules: [{ backendRefs: [to(service)] }] },
    });
    portero = await startPortero({
      files: {
        'gateway.yaml': [
          gatewayClass('portero'),
          gateway('one', { namespace: 'default', addresses: [{ type: 'IPAddress', value: '127.0.0.201' }] }),
          gateway('two', { namespace: 'default', addresses: [{ value: '127.0.0.202' }] }),
        ],
        'services.yaml': backends.flatMap((backend) => serviceWithEndpoints({ name: backend.name, endpoints: [backend] })),
        'routes.yaml': [routeOn('shared-one', 'one', 'v1', ['shared.gw.test']), routeOn('shared-two', 'two', 'v2', ['shared.gw.test']), routeOn('any-two', 'two', 'v3')],
        'ingress.yaml': [ingress({ name: 'ing', rules: [{ host: 'ingress.gw.test', paths: [{ service: 'ing' }] }] })],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of backends) await backend.close();
  });

  test('one host, two Gateways on two addresses, two backends; what matches nothing on an address is 404', async () => {
    assert.equal(await on('127.0.0.201', 'shared.gw.test'), 'v1');
    assert.equal(await on('127.0.0.202', 'shared.gw.test'), 'v2');
    assert.equal(await on('127.0.0.202', 'other.gw.test'), 'v3');
    assert.equal(await on('127.0.0.201', 'other.gw.test'), 404);
  });

  test('Ingresses stay on the shared address, and Gateway addresses do not serve them', async () => {
    assert.equal(await on('127.0.0.1', 'ingress.gw.test'), 'ing');
    assert.equal(await on('127.0.0.1', 'shared.gw.test'), 404);
    assert.equal(await on('127.0.0.201', 'ingress.gw.test'), 404);
  });

  test('on a running Portero: a route moved from one Gateway to the other', async () => {
    await portero.write('moved.yaml', [{ apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name: 'moved', namespace: 'default' }, spec: { ...parent('one'), hostnames: ['moved.gw.test'], rules: [{ backendRefs: [to('v3')] }] } }]);
    await eventually(async () => assert.equal(await on('127.0.0.201', 'moved.gw.test'), 'v3'));
    assert.equal(await on('127.0.0.202', 'moved.gw.test'), 'v3');
    await portero.write('moved.yaml', [{ apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name: 'moved', namespace: 'default' }, spec: { ...parent('two'), hostnames: ['moved.gw.test'], rules: [{ backendRefs: [to('v1')] }] } }]);
    await eventually(async () => assert.equal(await on('127.0.0.202', 'moved.gw.test'), 'v1'));
    assert.equal(await on('127.0.0.201', 'moved.gw.test'), 404);
  });
});

describe('Gateway API: an HTTPS listener', () => {
  let portero: Portero;
  let backend: Backend;

  before(async () => {
    backend = await startBackend('secure');
    const site = await generateSelfSigned('secure.gw.test', ['secure.gw.test', '*.wild.gw.test'], 30);
    portero = await startPortero({
      files: {
        'gateway.yaml': [
          gatewayClass('portero'),
          gateway('tls', { namespace: 'default', listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'site' }] } }] }),
        ],
        'secret.yaml': [tlsSecret('site', site.cert, site.key)],
        'services.yaml': serviceWithEndpoints({ name: 'secure', endpoints: [backend] }),
        'routes.yaml': [{ apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name: 'secure', namespace: 'default' }, spec: { parentRefs: [{ name: 'tls' }], hostnames: ['secure.gw.test', 'a.wild.gw.test'], rules: [{ backendRefs: [to('secure')] }] } }],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await backend?.close();
  });

  test('the listener\'s certificate is served for the route\'s hostnames by SNI, and the route answers', async () => {
    for (const host of ['secure.gw.test', 'a.wild.gw.test']) {
      const response = await request({ port: portero.httpsPort, tls: true, host, path: '/' });
      assert.equal(response.status, 200, host);
      assert.equal(response.headers['x-backend'], 'secure');
      assert.equal(response.certificate?.subject?.CN, 'secure.gw.test', host);
    }
    assert.equal((await request({ port: portero.httpsPort, tls: true, host: 'unknown.gw.test', path: '/' })).status, 404);
  });
});
