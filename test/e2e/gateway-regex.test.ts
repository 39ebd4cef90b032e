// Gateway API RegularExpression paths through real HAProxy, in manifests
// mode: the whole path, case-sensitively, after the Exact and PathPrefix
// matches of the same host; a GRPCRoute method pattern; a hostile pattern
// refused with a diagnostic while the other routes keep answering; and a
// regex route added, changed and removed on one running Portero without a
// reload.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { gateway, gatewayClass, GATEWAY_V1 } from '../helpers/gateway-api-manifests.js';
import { grpcCall, startGrpcBackend, type GrpcBackend } from '../helpers/grpc.js';
import { request } from '../helpers/http.js';
import { serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

function route(name: string, hostnames: string[], rules: Json[]): Json {
  return { apiVersion: GATEWAY_V1, kind: 'HTTPRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs: [{ name: 'gw' }], hostnames, rules } };
}
const path = (type: string, value: string, more: Json = {}) => ({ path: { type, value }, ...more });
const to = (service: string) => [{ name: service, port: 80 }];

describe('Gateway API: RegularExpression paths through real HAProxy', () => {
  let portero: Portero;
  const backends: Backend[] = [];
  let grpc: GrpcBackend;
  const served = async (host: string, target: string, method = 'GET', headers: Record<string, string> = {}) => {
    const response = await request({ port: portero.httpPort, host, path: target, method, headers });
    return response.status === 200 ? String(response.headers['x-backend']) : response.status;
  };
  const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;

  before(async () => {
    for (const name of ['v1', 'v2', 'v3']) backends.push(await startBackend(name));
    // GRPCRoute backends are reached with HTTP/2: an h2c backend of its own.
    grpc = await startGrpcBackend('g2');
    portero = await startPortero({
      files: {
        'gateway.yaml': [gatewayClass('portero'), gateway('gw', { namespace: 'default' })],
        'services.yaml': [...backends.flatMap((backend) => serviceWithEndpoints({ name: backend.name, endpoints: [backend] })), ...serviceWithEndpoints({ name: 'g2', endpoints: [grpc] })],
        'routes.yaml': [
          route('paths', ['regex.gw.test'], [
            { matches: [path('Exact', '/exact')], backendRefs: to('v1') },
            { matches: [path('PathPrefix', '/api')], backendRefs: to('v2') },
            { matches: [path('RegularExpression', '/api/v[0-9]+/users'), path('RegularExpression', '^/users/\\d+$')], backendRefs: to('v3') },
            { matches: [path('RegularExpression', '/exact|/other/.*')], backendRefs: to('v2') },
            { matches: [path('RegularExpression', '/team/.*', { headers: [{ name: 'team', value: 'a' }] })], backendRefs: to('v1') },
          ]),
          route('hostile', ['hostile.gw.test'], [
            { matches: [path('RegularExpression', '/(a+)+$')], backendRefs: to('v3') },
            { matches: [path('PathPrefix', '/ok')], backendRefs: to('v1') },
            { matches: [path('RegularExpression', '/(a|aa)+x')], backendRefs: to('v3') },
            { matches: [path('RegularExpression', '/.*.*.*x')], backendRefs: to('v3') },
          ]),
          {
            apiVersion: GATEWAY_V1,
            kind: 'GRPCRoute',
            metadata: { name: 'grpc', namespace: 'default' },
            spec: { parentRefs: [{ name: 'gw' }], hostnames: ['grpc.gw.test'], rules: [{ matches: [{ method: { type: 'RegularExpression', service: 'echo[.]v[0-9]+[.]Echo', method: 'Get.*' } }], backendRefs: to('g2') }] },
          },
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of backends) await backend.close();
    await grpc?.close();
  });

  test('the whole path, case-sensitively; Exact and PathPrefix of the same host first', async () => {
    assert.equal(await served('regex.gw.test', '/users/42'), 'v3');
    assert.equal(await served('regex.gw.test', '/users/42?x=/y'), 'v3', 'the query takes no part');
    assert.equal(await served('regex.gw.test', '/users/42/more'), 404, 'a partial match is no match');
    assert.equal(await served('regex.gw.test', '/Users/42'), 404, 'case-sensitive');
    assert.equal(await served('regex.gw.test', '/users/x'), 404);
    assert.equal(await served('regex.gw.test', '/exact'), 'v1', 'Exact beats a pattern');
    assert.equal(await served('regex.gw.test', '/api/v1/users'), 'v2', 'PathPrefix beats a pattern');
    assert.equal(await served('regex.gw.test', '/other/thing'), 'v2');
    assert.equal(await served('regex.gw.test', '/team/x', 'GET', { team: 'a' }), 'v1', 'a pattern with a header match');
    assert.equal(await served('regex.gw.test', '/team/x', 'GET', { team: 'b' }), 404);
    assert.equal(await served('regex.gw.test', '/nothing'), 404);
  });

  test('a GRPCRoute method pattern: the service and the method, each matched whole', async () => {
    const call = (path: string) => grpcCall({ url: `http://127.0.0.1:${portero.httpPort}`, authority: 'grpc.gw.test', path });
    const answer = await call('/echo.v2.Echo/GetAll');
    assert.equal(answer.status, 200);
    assert.equal(answer.echo?.name, 'g2');
    assert.equal(answer.echo?.path, '/echo.v2.Echo/GetAll');
    assert.equal((await call('/echo.v2.Echo/Put')).status, 404);
    assert.equal((await call('/echo.v2.EchoX/GetAll')).status, 404);
  });

  test('a hostile pattern is refused with a diagnostic naming the route and field; the rest keeps answering', async () => {
    const entry = await portero.waitForLog((line) => JSON.stringify(line).includes('spec.rules[0].matches[0].path.value') && JSON.stringify(line).includes('hostile'));
    assert.match(JSON.stringify(entry), /nested quantifiers/);
    for (const [rule, why] of [[2, /has alternatives that can start with the same character/], [3, /has 3 repetitions that can each stop at many places/]] as const) {
      const refused = await portero.waitForLog((line) => JSON.stringify(line).includes(`spec.rules[${rule}].matches[0].path.value`) && JSON.stringify(line).includes('hostile'));
      assert.match(JSON.stringify(refused), why);
    }
    assert.equal(await served('hostile.gw.test', `/${'a'.repeat(40)}`), 404);
    assert.equal(await served('hostile.gw.test', `/${'a'.repeat(40)}b`), 404);
    assert.equal(await served('hostile.gw.test', '/ok/1'), 'v1');
    assert.equal(await served('regex.gw.test', '/users/7'), 'v3');
  });

  test('on a running Portero: a regex route added, its pattern changed, then removed, with no reload', async () => {
    const before = await reloads();
    const live = (pattern: string) => portero.write('live.yaml', [route('live', ['live.gw.test'], [{ matches: [path('RegularExpression', pattern)], backendRefs: to('v1') }, { matches: [path('Exact', '/fixed')], backendRefs: to('v2') }])]);
    await live('/v[0-9]+/items');
    await eventually(async () => assert.equal(await served('live.gw.test', '/v1/items'), 'v1'));
    assert.equal(await served('live.gw.test', '/v1/other'), 404);
    assert.equal(await served('live.gw.test', '/fixed'), 'v2');
    await live('/v[0-9]+/(items|other)');
    await eventually(async () => assert.equal(await served('live.gw.test', '/v1/other'), 'v1'));
    assert.equal(await served('live.gw.test', '/v1/items'), 'v1');
    await portero.write('live.yaml', [route('live', ['live.gw.test'], [{ matches: [path('Exact', '/fixed')], backendRefs: to('v2') }])]);
    await eventually(async () => assert.equal(await served('live.gw.test', '/v1/items'), 404));
    assert.equal(await served('live.gw.test', '/fixed'), 'v2');
    await portero.remove('live.yaml');
    await eventually(async () => assert.equal(await served('live.gw.test', '/fixed'), 404));
    assert.equal(await reloads(), before, 'no reload');
    assert.equal(await served('regex.gw.test', '/users/7'), 'v3');
  });
});
