// Backend protocols of Gateway API backendRefs (translate/gateway/app-protocol.ts):
// the Service port's appProtocol and the route kind decide how the endpoints
// are spoken to; what Portero cannot speak is UnsupportedProtocol. And how
// GRPCRoute method matches become path keys and path conditions (levels.ts).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GRPCRouteMatch, GRPCRouteRule, HTTPRouteRule } from '../../src/objects/gateway-types.js';
import type { Service } from '../../src/objects/types.js';
import { splitLevelHost } from '../../src/model/model.js';
import { backendProtocol } from '../../src/translate/gateway/app-protocol.js';
import { serveGateways } from '../../src/translate/gateway/serve.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { backendRef, conformanceBase, grpcRoute, httpRoute, INFRA, parentRef, rule, service, statusReason } from '../helpers/gateway.js';

const certificate = await generateSelfSigned('conformance', ['*'], 30);
const base = conformanceBase({ crt: certificate.cert, key: certificate.key });

function withAppProtocol(name: string, appProtocol: string | undefined): Service {
  const plain = service(INFRA, name);
  return { ...plain, spec: { ...plain.spec, ports: plain.spec.ports.map((port) => ({ ...port, ...(appProtocol ? { appProtocol } : {}) })) } };
}

describe('backendProtocol: appProtocol × route kind', () => {
  const table: [string | undefined, string, string][] = [
    [undefined, 'http1', 'h2c'],
    ['kubernetes.io/h2c', 'h2c', 'h2c'],
    ['grpc', 'h2c', 'h2c'],
    ['GRPC', 'h2c', 'h2c'],
    ['kubernetes.io/ws', 'http1', 'UnsupportedProtocol'],
    ['kubernetes.io/wss', 'UnsupportedProtocol', 'UnsupportedProtocol'],
    ['https', 'UnsupportedProtocol', 'UnsupportedProtocol'],
    ['http', 'http1', 'h2c'],
    ['example.com/custom', 'http1', 'h2c'],
  ];
  for (const [appProtocol, http, grpc] of table) {
    test(`${appProtocol ?? '(absent)'}: HTTPRoute ${http}, GRPCRoute ${grpc}`, () => {
      const show = (choice: ReturnType<typeof backendProtocol>) => (choice.ok ? choice.protocol : 'UnsupportedProtocol');
      assert.equal(show(backendProtocol('HTTPRoute', appProtocol)), http);
      assert.equal(show(backendProtocol('GRPCRoute', appProtocol)), grpc);
    });
  }
});

describe('appProtocol in a translation', () => {
  const serve = (services: Service[], routes: { http?: string[]; grpc?: string[] }) =>
    serveGateways(
      {
        ...base,
        ingresses: [],
        ingressClasses: [],
        endpointSlices: [],
        services: [...base.services, ...services],
        httpRoutes: (routes.http ?? []).map((name) => httpRoute({ name: `http-${name}`, parentRefs: [parentRef('same-namespace')], hostnames: [`${name}.http.test`], rules: [rule({ backendRefs: [backendRef(name)] })] })),
        grpcRoutes: (routes.grpc ?? []).map((name) => grpcRoute({ name: `grpc-${name}`, parentRefs: [parentRef('same-namespace')], hostnames: [`${name}.grpc.test`], rules: [{ matches: [], filters: [], backendRefs: [backendRef(name)] }] })),
      },
      { now: new Date(), ingressHosts: new Set<string>() },
    )!;
  const upstreamOf = (serving: ReturnType<typeof serve>, host: string) => {
    const target = serving.levels.find((level) => splitLevelHost(level.host).host === host)!.routes[0]!.target;
    if (target.kind !== 'backend') return target.kind;
    return serving.specs.get(target.id)?.features?.upstream?.kind ?? 'http1';
  };

  test('HTTPRoute: h2c from kubernetes.io/h2c, HTTP/1.1 for ws and without appProtocol; GRPCRoute: always h2c', () => {
    const serving = serve([withAppProtocol('h2c', 'kubernetes.io/h2c'), withAppProtocol('ws', 'kubernetes.io/ws'), withAppProtocol('plain', undefined)], { http: ['h2c', 'ws', 'plain'], grpc: ['plain', 'h2c'] });
    assert.equal(upstreamOf(serving, 'h2c.http.test'), 'h2c');
    assert.equal(upstreamOf(serving, 'ws.http.test'), 'http1');
    assert.equal(upstreamOf(serving, 'plain.http.test'), 'http1');
    assert.equal(upstreamOf(serving, 'plain.grpc.test'), 'h2c');
    assert.equal(upstreamOf(serving, 'h2c.grpc.test'), 'h2c');
    // One Service port, two protocols: two backends, so each keeps its own `proto`.
    const plain = [...serving.specs.values()].filter((spec) => spec.service.metadata.name === 'plain');
    assert.equal(new Set(plain.map((spec) => spec.id)).size, 2);
  });

  test('kubernetes.io/wss (HTTPRoute) and kubernetes.io/ws (GRPCRoute): ResolvedRefs False UnsupportedProtocol, 500; the route stays Accepted', () => {
    const serving = serve([withAppProtocol('wss', 'kubernetes.io/wss'), withAppProtocol('ws', 'kubernetes.io/ws')], { http: ['wss'], grpc: ['ws'] });
    assert.equal(upstreamOf(serving, 'wss.http.test'), 'invalid');
    assert.equal(upstreamOf(serving, 'ws.grpc.test'), 'invalid');
    for (const name of ['http-wss', 'grpc-ws']) {
      const route = serving.attachment.routes.find((entry) => entry.route.metadata.name === name)!;
      const conditions = route.status.parents[0]!.conditions;
      assert.equal(statusReason(conditions, 'Accepted'), 'True/Accepted', name);
      assert.equal(statusReason(conditions, 'ResolvedRefs'), 'False/UnsupportedProtocol', name);
    }
    assert.match(serving.diagnostics.map((diagnostic) => diagnostic.message).join('\n'), /kubernetes\.io\/wss asks for TLS to the endpoints/);
  });
});

describe('GRPCRoute method matches → routes and candidates', () => {
  const levelOf = (rules: GRPCRouteRule[], extra: HTTPRouteRule[] = []) => {
    const serving = serveGateways(
      {
        ...base,
        ingresses: [],
        ingressClasses: [],
        endpointSlices: [],
        httpRoutes: extra.length > 0 ? [httpRoute({ name: 'h', parentRefs: [parentRef('same-namespace')], hostnames: ['h.test'], rules: extra })] : [],
        grpcRoutes: [grpcRoute({ name: 'g', parentRefs: [parentRef('same-namespace')], hostnames: ['g.test'], rules })],
      },
      { now: new Date(), ingressHosts: new Set<string>() },
    )!;
    return { serving, level: (host: string) => serving.levels.find((level) => splitLevelHost(level.host).host === host)! };
  };
  const grpcRule = (method: GRPCRouteMatch['method'], backend: string, headers: GRPCRouteMatch['headers'] = []): GRPCRouteRule => ({ matches: [{ ...(method ? { method } : {}), headers }], filters: [], backendRefs: [backendRef(backend)] });
  const backendOf = (target: { kind: string; id?: string }) => (target.kind === 'backend' ? target.id!.split('_')[1] : target.kind);

  test('service and method: an exact key; service only: a prefix key; a method alone and regular expressions: path conditions on every path, most characters first', () => {
    const { level } = levelOf([
      grpcRule({ type: 'Exact', service: 'a.B', method: 'M' }, 'infra-backend-v1'),
      grpcRule({ type: 'Exact', service: 'a.B' }, 'infra-backend-v2'),
      grpcRule({ type: 'Exact', method: 'Ping' }, 'infra-backend-v3'),
      grpcRule({ type: 'RegularExpression', service: 'x\\.[a-z]+' }, 'grpc-infra-backend-v1'),
      grpcRule({ type: 'RegularExpression', method: 'Get.*' }, 'infra-backend-v1'),
    ]);
    const routes = level('g.test').routes;
    assert.equal(backendOf(routes.find((route) => route.match === 'exact' && route.path === '/a.B/M')!.target), 'infra-backend-v1');
    assert.equal(backendOf(routes.find((route) => route.match === 'prefix' && route.path === '/a.B')!.target), 'infra-backend-v2');
    const every = routes.find((route) => route.match === 'prefix' && route.path === '')!;
    assert.deepEqual(
      every.candidates!.map((candidate) => [candidate.when?.path?.value, backendOf(candidate.split[0]!.target)]),
      [
        ['^/(?:x[.][a-z]+)/[^/]+$', 'grpc-infra-backend-v1'],
        ['^/[^/]+/(?:Get.*)$', 'infra-backend-v1'],
        ['^/[^/]+/Ping$', 'infra-backend-v3'],
      ],
    );
    assert.equal(every.target.kind, 'not-found');
  });

  test('header regular expressions reach the model in the data plane\'s form (escapes as classes), anchors kept', () => {
    const { level } = levelOf([grpcRule(undefined, 'infra-backend-v1', [{ type: 'RegularExpression', name: 'X-V', value: '^v\\d$' }])], [rule({ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'RegularExpression', name: 'x', value: 'a\\.b' }], queryParams: [] }], backendRefs: [backendRef('infra-backend-v2')] })]);
    assert.deepEqual(level('g.test').routes[0]!.candidates![0]!.when!.headers, [{ name: 'x-v', match: { kind: 'regex', value: '^v[0-9]$' } }]);
    assert.deepEqual(level('h.test').routes[0]!.candidates![0]!.when!.headers, [{ name: 'x', match: { kind: 'regex', value: 'a[.]b' } }]);
  });
});
