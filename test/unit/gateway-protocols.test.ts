// Backend protocols of Gateway API backendRefs (translate/gateway/app-protocol.ts):
// the Service port's appProtocol and the route kind decide how the endpoints
// are spoken to; what Portero cannot speak is UnsupportedProtocol.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from '../../src/objects/types.js';
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
    const target = serving.levels.find((level) => level.host === host)!.routes[0]!.target;
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
