// The Gateway API conformance suite's GATEWAY-HTTP traffic cases
// (kubernetes-sigs/gateway-api conformance/tests/*.go and *.yaml, v1.6),
// ported to Portero in manifests mode: the suite's base manifests
// (conformance/base/manifests.yaml: its namespaces, Gateways and Services,
// with real echo backends on loopback) are loaded once; each case then
// writes its own manifests, as the suite applies each test's YAML, and sends
// the suite's requests until every expectation holds at once (the suite asks
// for consistent answers within a timeout). Every Gateway carries
// `spec.addresses` (127.0.3.0/24) as in the suite, where each Gateway has its
// own address; listeners on 80 and 443 are served on --http-port and
// --https-port of that address, other ports on their own number.
//
// Manifests are the upstream ones (names, namespaces, rules), with the
// suite's Gateways given addresses. Where the stored upstream copy lacked a
// test's current .yaml, it was rebuilt from the .go expectations: the second
// Gateway of HTTPRouteHostnameIntersection and its route, the Gateway and
// route names of HTTPRouteMultipleGateways, the 307/308 routes (after the
// 303 one), HTTPRouteNoBackendRefs, HTTPRouteBackendRequestHeaderModifier
// (after HTTPRouteRequestHeaderModifier, on the backendRef), the
// backend-weights and named-rule routes, and the last two CORS routes.
//
// Status conditions are not asserted here (the status tests cover them);
// this file checks traffic only.
//
// not ported: HTTPRouteInvalidCrossNamespaceParentRef, HTTPRouteInvalidParentRefNotMatchingSectionName, HTTPRouteObservedGenerationBump, Gateway* status tests — they check status only, no traffic
// not ported here: HTTPRouteRequestMirror, HTTPRouteRequestMultipleMirrors, HTTPRouteRequestPercentageMirror — ported in gateway-conformance-mirror.test.ts
// not ported: HTTPRouteRetry*, BackendTLSPolicy*, GatewayFrontendClientCertificate*, GatewayBackendClientCertificate, ListenerSet* — documented as not supported
// not ported: HTTPRouteHTTPSListenerDetectMisdirectedRequests — not claimed (GatewayHTTPSListenerDetectMisdirectedRequests): Portero routes HTTPS requests by Host; SNI only picks the certificate, so no 421
// not ported: HTTPRouteServiceTypes' v1 Endpoints objects as such — Portero reads EndpointSlices; in a cluster the EndpointSlice mirroring controller turns them into slices, which this port writes instead

import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { startGrpcBackend, type GrpcBackend } from '../../helpers/grpc.js';
import { request, type Response } from '../../helpers/http.js';
import { tlsSecret, toYaml, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const INFRA = 'gateway-conformance-infra';
const APP = 'gateway-conformance-app-backend';
const WEB = 'gateway-conformance-web-backend';

/** Each Gateway's address, as the suite gives every Gateway its own. */
const ADDRESS: Record<string, string> = {
  'same-namespace': '127.0.3.1',
  'all-namespaces': '127.0.3.2',
  'backend-namespaces': '127.0.3.3',
  'same-namespace-with-https-listener': '127.0.3.4',
  'httproute-hostname-intersection': '127.0.3.10',
  'httproute-hostname-intersection-all': '127.0.3.11',
  'httproute-listener-hostname-matching': '127.0.3.12',
  'gateway-multiple-1': '127.0.3.13',
  'gateway-multiple-2': '127.0.3.14',
  'same-namespace-with-http-listener-on-8080': '127.0.3.15',
  'httproute-listener-port-matching': '127.0.3.16',
  'http-listener-isolation': '127.0.3.17',
  'http-listener-isolation-with-hostname-intersection': '127.0.3.18',
};

const addresses = (gateway: string) => `  addresses:\n  - type: IPAddress\n    value: ${ADDRESS[gateway]}\n`;

/** conformance/base/manifests.yaml: namespaces and Gateways (with their addresses). */
const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: portero
spec:
  controllerName: portero.dev/gateway-controller
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${INFRA}
  labels:
    gateway-conformance: infra
    kubernetes.io/metadata.name: ${INFRA}
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${APP}
  labels:
    gateway-conformance: backend
    kubernetes.io/metadata.name: ${APP}
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${WEB}
  labels:
    gateway-conformance: backend
    kubernetes.io/metadata.name: ${WEB}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: same-namespace
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses('same-namespace')}  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: same-namespace-with-https-listener
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses('same-namespace-with-https-listener')}  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    allowedRoutes:
      namespaces:
        from: Same
    tls:
      certificateRefs:
      - group: ""
        kind: Secret
        name: tls-validity-checks-certificate
        namespace: ${INFRA}
  - name: https-with-hostname
    port: 443
    hostname: second-example.org
    protocol: HTTPS
    allowedRoutes:
      namespaces:
        from: Same
    tls:
      certificateRefs:
      - group: ""
        kind: Secret
        name: tls-validity-checks-certificate
        namespace: ${INFRA}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: all-namespaces
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses('all-namespaces')}  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: All
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: backend-namespaces
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses('backend-namespaces')}  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels:
            gateway-conformance: backend
`;

interface PortSpec {
  name?: string;
  port: number;
  appProtocol?: string;
  endpoint: { address: string; port: number };
}

/** A Service of the base manifests (`targetPort` by name) and the EndpointSlices the endpointslice controller would make for its pods. */
function service(namespace: string, name: string, ports: PortSpec[], extra: Json = {}): Json[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ...extra, ports: ports.map((p, i) => ({ name: p.name ?? `port-${i}`, protocol: 'TCP', port: p.port, targetPort: p.name ?? `port-${i}`, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })) },
    },
    ...ports.map((p, i) => endpointSlice(namespace, `${name}-${i}`, name, p.name ?? `port-${i}`, p.endpoint)),
  ];
}

function endpointSlice(namespace: string, sliceName: string, serviceName: string, portName: string, endpoint: { address: string; port: number }, labels: Record<string, string> = {}): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sliceName, namespace, labels: { 'kubernetes.io/service-name': serviceName, ...labels } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpoint.address], conditions: { ready: true } }],
    ports: [{ name: portName, port: endpoint.port, protocol: 'TCP' }],
  };
}

/** One of the suite's requests and what it expects (conformance/utils/http ExpectedResponse). */
interface Expect {
  gateway: string;
  host?: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  tls?: boolean;
  /** A listener port other than 80/443 (served on that port). */
  listenerPort?: number;
  /** The Service whose echo backend must answer. */
  backend?: string;
  status?: number;
  /** The path (and query) the backend must see; the request's by default. */
  seenPath?: string;
  seenHost?: string;
  seenHeaders?: Record<string, string>;
  absentHeaders?: string[];
  responseHeaders?: Record<string, string>;
  responseAbsent?: string[];
  /** Response headers that must have one of the values (spaces after commas ignored), as the suite's ValidHeaderValues. */
  responseOneOf?: Record<string, string[]>;
  /** The whole Location of a redirect. */
  location?: string;
}

/** Header values as the suite's echo server joins repeated ones (`a,b`); Node's joins with `, `. */
const joined = (value: string | string[] | undefined) => (value === undefined ? undefined : (Array.isArray(value) ? value.join(',') : value).split(/,\s*/).join(','));

describe('Gateway API conformance (GATEWAY-HTTP traffic) through real HAProxy', () => {
  let portero: Portero;
  const backends: Record<string, Backend> = {};
  let h2cBackend: GrpcBackend;

  const send = (e: Expect): Promise<Response> =>
    request({
      port: e.listenerPort ?? (e.tls ? portero.httpsPort : portero.httpPort),
      address: ADDRESS[e.gateway]!,
      host: e.host ?? ADDRESS[e.gateway]!,
      path: e.path,
      method: e.method ?? 'GET',
      headers: e.headers ?? {},
      tls: e.tls ?? false,
    });

  async function check(e: Expect): Promise<void> {
    const what = `${e.method ?? 'GET'} ${e.host ?? e.gateway} ${e.path} ${JSON.stringify(e.headers ?? {})}`;
    const response = await send(e);
    if (e.backend) {
      assert.equal(response.status, e.status ?? 200, `${what}: status (${response.body.slice(0, 200)})`);
      assert.equal(response.echo?.name, e.backend, `${what}: backend`);
      assert.equal(response.echo?.url, e.seenPath ?? e.path, `${what}: path seen by the backend`);
      if (e.seenHost) assert.equal(response.echo?.headers.host, e.seenHost, `${what}: Host seen`);
      for (const [name, value] of Object.entries(e.seenHeaders ?? {})) assert.equal(joined(response.echo?.headers[name.toLowerCase()]), value, `${what}: request header ${name}`);
      for (const name of e.absentHeaders ?? []) assert.equal(response.echo?.headers[name.toLowerCase()], undefined, `${what}: request header ${name} absent`);
    } else {
      assert.equal(response.status, e.status, `${what}: status`);
      assert.equal(response.echo, undefined, `${what}: no backend`);
    }
    for (const [name, value] of Object.entries(e.responseHeaders ?? {})) assert.equal(joined(response.headers[name.toLowerCase()]), value, `${what}: response header ${name}`);
    for (const name of e.responseAbsent ?? []) assert.equal(response.headers[name.toLowerCase()], undefined, `${what}: response header ${name} absent`);
    for (const [name, values] of Object.entries(e.responseOneOf ?? {})) {
      const value = joined(response.headers[name.toLowerCase()]);
      assert.ok(value !== undefined && values.includes(value), `${what}: response header ${name} is ${String(value)}, not one of ${values.join(' | ')}`);
    }
    if (e.location !== undefined) assert.equal(response.headers.location, e.location, `${what}: Location`);
  }

  /**
   * Applies a case's manifests and waits until every expectation holds at
   * once, then checks them once more. The previous case's objects are
   * removed first, and every request of this case must be answered 404 (or
   * find no socket, for a Gateway of its own) before the new objects are
   * written, so no expectation can pass on what the previous case left.
   * `keep`: change the running case instead (e.g. delete one object);
   * `probes`: the requests that must be 404 first, when not `expects`.
   */
  async function scenario(manifests: string, expects: Expect[], options: { keep?: boolean; probes?: Expect[] } = {}): Promise<void> {
    if (!options.keep) {
      await portero.remove('case.yaml');
      await eventually(async () => {
        for (const e of options.probes ?? expects) {
          const status = await send(e).then(
            (response) => response.status,
            () => 404,
          );
          assert.equal(status, 404, `${e.path} still served by the previous case`);
        }
      }, 30_000, 100);
    }
    await portero.write('case.yaml', manifests);
    await eventually(async () => {
      for (const e of expects) await check(e);
    }, 30_000, 100);
    for (const e of expects) await check(e);
  }

  before(async () => {
    const names = ['infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3', 'app-backend-v1', 'app-backend-v2', 'web-backend'];
    for (const name of names) backends[name] = await startBackend(name);
    h2cBackend = await startGrpcBackend('infra-backend-v1');
    const certificate = await generateSelfSigned('example.org', ['example.org', '*.org', 'second-example.org', 'unknown-example.org', '*.wildcard.org'], 30);
    const b = backends;
    portero = await startPortero({
      files: {
        'base.yaml': BASE,
        'secret.yaml': [tlsSecret('tls-validity-checks-certificate', certificate.cert, certificate.key, INFRA)],
        'services.yaml': toYaml([
          // infra-backend-v1: 8080 (HTTP), 8081 (appProtocol kubernetes.io/h2c: an HTTP/2-only echo), 8082 (kubernetes.io/ws: the echo, which speaks WebSocket).
          ...service(INFRA, 'infra-backend-v1', [
            { name: 'first-port', port: 8080, endpoint: b['infra-backend-v1']! },
            { name: 'second-port', port: 8081, appProtocol: 'kubernetes.io/h2c', endpoint: h2cBackend },
            { name: 'third-port', port: 8082, appProtocol: 'kubernetes.io/ws', endpoint: b['infra-backend-v1']! },
          ]),
          ...service(INFRA, 'infra-backend-v2', [{ port: 8080, endpoint: b['infra-backend-v2']! }]),
          ...service(INFRA, 'infra-backend-v3', [{ port: 8080, endpoint: b['infra-backend-v3']! }]),
          ...service(APP, 'app-backend-v1', [{ port: 8080, endpoint: b['app-backend-v1']! }]),
          ...service(APP, 'app-backend-v2', [{ port: 8080, endpoint: b['app-backend-v2']! }]),
          ...service(WEB, 'web-backend', [{ port: 8080, endpoint: b['web-backend']! }]),
        ]),
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    for (const backend of Object.values(backends)) await backend.close();
    await h2cBackend?.close();
  });

  // ---- core ----

  test('HTTPRouteSimpleSameNamespace (httproute-simple-same-namespace.go): a route on same-namespace reaches v1', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: gateway-conformance-infra-test
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - backendRefs:
    - name: infra-backend-v1
      port: 8080
`,
      [{ gateway: 'same-namespace', path: '/', backend: 'infra-backend-v1' }],
    );
  });

  test('HTTPRouteCrossNamespace (httproute-cross-namespace.go): a web-backend route on backend-namespaces (Selector)', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: cross-namespace
  namespace: ${WEB}
spec:
  parentRefs:
  - name: backend-namespaces
    namespace: ${INFRA}
  rules:
  - backendRefs:
    - name: web-backend
      port: 8080
`,
      [{ gateway: 'backend-namespaces', path: '/', backend: 'web-backend' }],
    );
  });

  test('HTTPRouteExactPathMatching (httproute-exact-path-matching.go): Exact is the whole, case-sensitive path', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: exact-matching
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: Exact
        value: /one
    backendRefs:
    - name: infra-backend-v1
      port: 8080
  - matches:
    - path:
        type: Exact
        value: /two
    backendRefs:
    - name: infra-backend-v2
      port: 8080
`,
      [
        { gateway: 'same-namespace', path: '/one', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/two', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', status: 404 },
        { gateway: 'same-namespace', path: '/one/example', status: 404 },
        { gateway: 'same-namespace', path: '/two/', status: 404 },
        { gateway: 'same-namespace', path: '/Two', status: 404 },
      ],
    );
  });

  test('HTTPRouteMatching (httproute-matching.go): ORed matches, element-wise prefixes', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: matching
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    - headers:
      - name: version
        value: one
    backendRefs:
    - name: infra-backend-v1
      port: 8080
  - matches:
    - path:
        type: PathPrefix
        value: /v2
    - headers:
      - name: version
        value: two
    backendRefs:
    - name: infra-backend-v2
      port: 8080
`,
      [
        { gateway: 'same-namespace', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/example', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'one' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/v2', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/v2/example', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'two' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/v2example', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/foo/v2/example', backend: 'infra-backend-v1' },
      ],
    );
  });

  test('HTTPRoutePathMatchOrder (httproute-path-match-order.go): Exact first, then the longest prefix', async () => {
    const rule = (type: string, value: string, backend: string) => `  - matches:\n    - path:\n        type: ${type}\n        value: ${value}\n    backendRefs:\n    - name: ${backend}\n      port: 8080\n`;
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: path-matching-order
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
${rule('Exact', '/match', 'infra-backend-v1')}${rule('Exact', '/match/exact', 'infra-backend-v2')}${rule('Exact', '/match/exact/one', 'infra-backend-v3')}${rule('PathPrefix', '/match/', 'infra-backend-v3')}${rule('PathPrefix', '/match/prefix/', 'infra-backend-v1')}${rule('PathPrefix', '/match/prefix/one', 'infra-backend-v2')}`,
      [
        { gateway: 'same-namespace', path: '/match', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/match/exact', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/match/exact/one', backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', path: '/match/', backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', path: '/match/prefix/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/match/prefix/one', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/match/prefix/one/any', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/match/any', backend: 'infra-backend-v3' },
      ],
    );
  });

  test('HTTPRouteHeaderMatching (httproute-header-matching.go): more header matches win, ties go to the earlier rule', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: header-matching
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - headers:
      - name: version
        value: one
    backendRefs:
    - name: infra-backend-v1
      port: 8080
  - matches:
    - headers:
      - name: version
        value: two
    backendRefs:
    - name: infra-backend-v2
      port: 8080
  - matches:
    - headers:
      - name: version
        value: two
      - name: color
        value: orange
    backendRefs:
    - name: infra-backend-v1
      port: 8080
  - matches:
    - headers:
      - name: color
        value: blue
    - headers:
      - name: color
        value: green
    backendRefs:
    - name: infra-backend-v1
      port: 8080
  - matches:
    - headers:
      - name: color
        value: red
    - headers:
      - name: color
        value: yellow
    backendRefs:
    - name: infra-backend-v2
      port: 8080
`,
      [
        { gateway: 'same-namespace', path: '/', headers: { version: 'one' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'two' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'two', color: 'orange' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'one', color: 'blue' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'one', color: 'green' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'two', color: 'blue' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { version: 'two', color: 'red' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { color: 'red' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { color: 'yellow' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/', headers: { color: 'purple' }, status: 404 },
        { gateway: 'same-namespace', path: '/', headers: { version: 'three' }, status: 404 },
        { gateway: 'same-namespace', path: '/', status: 404 },
      ],
    );
  });

  test('HTTPRouteMatchingAcrossRoutes (httproute-matching-across-routes.go): precedence spans the routes of a hostname', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: matching-part1
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  hostnames:
  - example.com
  - example.net
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    - headers:
      - name: version
        value: one
    backendRefs:
    - name: infra-backend-v1
      port: 8080
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: matching-part2
  namespace: ${INFRA}
spec:
  hostnames:
  - example.com
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /v2
    - headers:
      - name: version
        value: two
    backendRefs:
    - name: infra-backend-v2
      port: 8080
`,
      [
        { gateway: 'same-namespace', host: 'example.com', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.net', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.com', path: '/example', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.com', path: '/', headers: { version: 'one' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.com', path: '/v2', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', host: 'example.com', path: '/v2/example', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', host: 'example.com', path: '/', headers: { version: 'two' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', host: 'example.net', path: '/v2', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.net', path: '/', headers: { version: 'two' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', host: 'example.org', path: '/', status: 404 },
      ],
    );
  });

  test('HTTPRouteHostnameIntersection (httproute-hostname-intersection.go): only intersecting hostnames are served; the port in Host is ignored', async () => {
    const route = (name: string, hostnames: string[], path: string, backend: string, gateway = 'httproute-hostname-intersection') => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: ${gateway}
    namespace: ${INFRA}
  hostnames:
${hostnames.map((h) => `  - "${h}"`).join('\n')}
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: ${path}
    backendRefs:
    - name: ${backend}
      port: 8080
`;
    const listener = (name: string, hostname?: string) => `  - name: ${name}\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Same\n${hostname ? `    hostname: "${hostname}"\n` : ''}`;
    const g = 'httproute-hostname-intersection';
    const all = 'httproute-hostname-intersection-all';
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${g}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(g)}  listeners:
${listener('listener-1', 'very.specific.com')}${listener('listener-2', '*.wildcard.io')}${listener('listener-3', '*.anotherwildcard.io')}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${all}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(all)}  listeners:
${listener('listener-1')}${route('specific-host-matches-listener-specific-host', ['non.matching.com', '*.nonmatchingwildcard.io', 'very.specific.com'], '/s1', 'infra-backend-v1')}${route(
        'specific-host-matches-listener-wildcard-host',
        ['non.matching.com', 'wildcard.io', 'foo.wildcard.io', 'bar.wildcard.io', 'foo.bar.wildcard.io'],
        '/s2',
        'infra-backend-v2',
      )}${route('wildcard-host-matches-listener-specific-host', ['non.matching.com', '*.specific.com'], '/s3', 'infra-backend-v3')}${route('wildcard-host-matches-listener-wildcard-host', ['*.anotherwildcard.io'], '/s4', 'infra-backend-v1')}${route(
        'no-intersecting-hosts',
        ['specific.but.wrong.com', 'wildcard.io'],
        '/s5',
        'infra-backend-v2',
      )}${route('httproute-hostname-intersection-all', ['first.com', '*.first.com', 'second.com', '*.second.com'], '/', 'infra-backend-v2', all)}`,
      [
        { gateway: g, host: 'very.specific.com', path: '/s1', backend: 'infra-backend-v1' },
        { gateway: g, host: 'very.specific.com:1234', path: '/s1', backend: 'infra-backend-v1' },
        { gateway: g, host: 'non.matching.com', path: '/s1', status: 404 },
        { gateway: g, host: 'foo.nonmatchingwildcard.io', path: '/s1', status: 404 },
        { gateway: g, host: 'foo.wildcard.io', path: '/s1', status: 404 },
        { gateway: g, host: 'very.specific.com', path: '/non-matching-prefix', status: 404 },
        { gateway: g, host: 'foo.wildcard.io', path: '/s2', backend: 'infra-backend-v2' },
        { gateway: g, host: 'bar.wildcard.io', path: '/s2', backend: 'infra-backend-v2' },
        { gateway: g, host: 'foo.bar.wildcard.io', path: '/s2', backend: 'infra-backend-v2' },
        { gateway: g, host: 'non.matching.com', path: '/s2', status: 404 },
        { gateway: g, host: 'wildcard.io', path: '/s2', status: 404 },
        { gateway: g, host: 'very.specific.com', path: '/s2', status: 404 },
        { gateway: g, host: 'foo.wildcard.io', path: '/non-matching-prefix', status: 404 },
        { gateway: g, host: 'very.specific.com', path: '/s3', backend: 'infra-backend-v3' },
        { gateway: g, host: 'non.matching.com', path: '/s3', status: 404 },
        { gateway: g, host: 'foo.specific.com', path: '/s3', status: 404 },
        { gateway: g, host: 'foo.wildcard.io', path: '/s3', status: 404 },
        { gateway: g, host: 'foo.anotherwildcard.io', path: '/s4', backend: 'infra-backend-v1' },
        { gateway: g, host: 'bar.anotherwildcard.io', path: '/s4', backend: 'infra-backend-v1' },
        { gateway: g, host: 'foo.bar.anotherwildcard.io', path: '/s4', backend: 'infra-backend-v1' },
        { gateway: g, host: 'anotherwildcard.io', path: '/s4', status: 404 },
        { gateway: g, host: 'foo.wildcard.io', path: '/s4', status: 404 },
        { gateway: g, host: 'very.specific.com', path: '/s4', status: 404 },
        { gateway: g, host: 'foo.anotherwildcard.io', path: '/non-matching-prefix', status: 404 },
        { gateway: g, host: 'specific.but.wrong.com', path: '/s5', status: 404 },
        { gateway: g, host: 'wildcard.io', path: '/s5', status: 404 },
        // The second Gateway, without listener hostnames, serves the route's hostnames exactly.
        { gateway: all, host: 'first.com', path: '/', backend: 'infra-backend-v2' },
        { gateway: all, host: 'sub.first.com', path: '/', backend: 'infra-backend-v2' },
        { gateway: all, host: 'second.com', path: '/', backend: 'infra-backend-v2' },
        { gateway: all, host: 'sub.second.com', path: '/', backend: 'infra-backend-v2' },
        { gateway: all, host: 'third.com', path: '/', status: 404 },
        { gateway: all, host: 'sub.third.com', path: '/', status: 404 },
      ],
    );
  });

  test('HTTPRouteListenerHostnameMatching (httproute-listener-hostname-matching.go): an exact listener beats a wildcard one', async () => {
    const g = 'httproute-listener-hostname-matching';
    const listener = (name: string, hostname: string) => `  - name: ${name}\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Same\n    hostname: "${hostname}"\n`;
    const route = (name: string, sections: string[], backend: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${INFRA}
spec:
  parentRefs:
${sections.map((s) => `  - name: ${g}\n    namespace: ${INFRA}\n    sectionName: ${s}`).join('\n')}
  rules:
  - backendRefs:
    - name: ${backend}
      port: 8080
`;
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${g}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(g)}  listeners:
${listener('listener-1', 'bar.com')}${listener('listener-2', 'foo.bar.com')}${listener('listener-3', '*.bar.com')}${listener('listener-4', '*.foo.com')}${route('backend-v1', ['listener-1'], 'infra-backend-v1')}${route('backend-v2', ['listener-2'], 'infra-backend-v2')}${route('backend-v3', ['listener-3', 'listener-4'], 'infra-backend-v3')}`,
      [
        { gateway: g, host: 'bar.com', path: '/', backend: 'infra-backend-v1' },
        { gateway: g, host: 'foo.bar.com', path: '/', backend: 'infra-backend-v2' },
        { gateway: g, host: 'baz.bar.com', path: '/', backend: 'infra-backend-v3' },
        { gateway: g, host: 'boo.bar.com', path: '/', backend: 'infra-backend-v3' },
        { gateway: g, host: 'multiple.prefixes.bar.com', path: '/', backend: 'infra-backend-v3' },
        { gateway: g, host: 'multiple.prefixes.foo.com', path: '/', backend: 'infra-backend-v3' },
        { gateway: g, host: 'foo.com', path: '/', status: 404 },
        { gateway: g, host: 'no.matching.host', path: '/', status: 404 },
      ],
    );
  });

  const singleRoute = (name: string, namespace: string, backendRefs: string, parent = 'same-namespace', matches = '') => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  parentRefs:
  - name: ${parent}
    namespace: ${INFRA}
  rules:
  - ${matches}backendRefs:
${backendRefs}`;

  test('HTTPRouteInvalidNonExistentBackendRef (httproute-invalid-nonexistent-backendref.go): 500', async () => {
    await scenario(singleRoute('invalid-nonexistent-backend-ref', INFRA, '    - name: nonexistent\n      port: 8080\n'), [{ gateway: 'same-namespace', path: '/', status: 500 }]);
  });

  test('HTTPRouteInvalidBackendRefUnknownKind (httproute-invalid-backendref-unknown-kind.go): 500', async () => {
    await scenario(
      singleRoute('invalid-backend-ref-unknown-kind', INFRA, '    - group: unknownkind.example.com\n      kind: NonExistent\n      name: infra-backend-v2\n      port: 8080\n', 'same-namespace', 'matches:\n    - path:\n        type: PathPrefix\n        value: /v2\n    '),
      [{ gateway: 'same-namespace', path: '/v2', status: 500 }],
    );
  });

  test('HTTPRouteInvalidCrossNamespaceBackendRef (httproute-invalid-cross-namespace-backend-ref.go): no ReferenceGrant, 500', async () => {
    await scenario(singleRoute('invalid-cross-namespace-backend-ref', INFRA, `    - name: web-backend\n      namespace: ${WEB}\n      port: 8080\n`), [{ gateway: 'same-namespace', path: '/', status: 500 }]);
  });

  test('HTTPRouteReferenceGrant (httproute-reference-grant.go): the grant lets the route reach web-backend; deleting it makes 500', async () => {
    const route = singleRoute('reference-grant', INFRA, `    - name: web-backend\n      namespace: ${WEB}\n      port: 8080\n`);
    const grant = `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: reference-grant
  namespace: ${WEB}
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: ${INFRA}
  to:
  - group: ""
    kind: Service
    name: web-backend
`;
    await scenario(route + grant, [{ gateway: 'same-namespace', path: '/', backend: 'web-backend' }]);
    // The suite deletes the ReferenceGrant from the running cluster.
    await scenario(route, [{ gateway: 'same-namespace', path: '/', status: 500 }], { keep: true });
  });

  test('HTTPRouteInvalidReferenceGrant (httproute-invalid-reference-grant.go): seven near-miss grants permit nothing, 500', async () => {
    const grant = (name: string, namespace: string, from: { group: string; kind: string; namespace: string }, to: { group: string; kind: string; name: string }) => `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  from:
  - group: "${from.group}"
    kind: ${from.kind}
    namespace: ${from.namespace}
  to:
  - group: "${to.group}"
    kind: ${to.kind}
    name: ${to.name}
`;
    const from = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA };
    const to = { group: '', kind: 'Service', name: 'web-backend' };
    await scenario(
      singleRoute('reference-grant', INFRA, `    - name: web-backend\n      namespace: ${WEB}\n      port: 8080\n`) +
        grant('reference-grant-wrong-namespace', INFRA, from, to) +
        grant('reference-grant-wrong-from-group', WEB, { ...from, group: 'not-the-group-youre-looking-for' }, to) +
        grant('reference-grant-wrong-from-kind', WEB, { ...from, kind: 'Gateway' }, to) +
        grant('reference-grant-wrong-from-namespace', WEB, { ...from, namespace: 'not-the-namespace-youre-looking-for' }, to) +
        grant('reference-grant-wrong-to-group', WEB, from, { ...to, group: 'not-the-group-youre-looking-for' }) +
        grant('reference-grant-wrong-to-kind', WEB, from, { ...to, kind: 'Secret' }) +
        grant('reference-grant-wrong-to-name', WEB, from, { ...to, name: 'not-the-service-youre-looking-for' }),
      [{ gateway: 'same-namespace', path: '/', status: 500 }],
    );
  });

  test('HTTPRoutePartiallyInvalidViaInvalidReferenceGrant (httproute-partially-invalid-via-invalid-reference-grant.go): the granted rule serves, the other is 500', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: reference-grant
  namespace: ${APP}
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: ${INFRA}
  to:
  - group: ""
    kind: Service
    name: app-backend-v1
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: invalid-reference-grant
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /v2
    backendRefs:
    - name: app-backend-v2
      namespace: ${APP}
      port: 8080
  - backendRefs:
    - name: app-backend-v1
      namespace: ${APP}
      port: 8080
`,
      [
        { gateway: 'same-namespace', path: '/v2', status: 500 },
        { gateway: 'same-namespace', path: '/', backend: 'app-backend-v1' },
      ],
    );
  });

  test('HTTPRouteNoBackendRefs (httproute-no-backendrefs.go): rules without backends answer 500, the others forward', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: no-backendrefs
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /omitted-no-forward
  - matches:
    - path:
        type: PathPrefix
        value: /empty-no-forward
    backendRefs: []
  - matches:
    - path:
        type: PathPrefix
        value: /forward
    backendRefs:
    - name: infra-backend-v1
      port: 8080
`,
      [
        { gateway: 'same-namespace', path: '/omitted-no-forward', status: 500 },
        { gateway: 'same-namespace', path: '/empty-no-forward', status: 500 },
        { gateway: 'same-namespace', path: '/forward', backend: 'infra-backend-v1' },
      ],
    );
  });

  test('HTTPRouteMultipleGateways (httproute-multiple-gateways.go): a route shared by two Gateways, and one of its own on each', async () => {
    const gw = (name: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(name)}  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
`;
    const route = (name: string, parents: string[], path: string, backend: string) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${INFRA}
spec:
  parentRefs:
${parents.map((p) => `  - name: ${p}`).join('\n')}
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: ${path}
    backendRefs:
    - name: ${backend}
      port: 8080
`;
    await scenario(
      gw('gateway-multiple-1') +
        gw('gateway-multiple-2') +
        route('shared-route', ['gateway-multiple-1', 'gateway-multiple-2'], '/shared', 'infra-backend-v1') +
        route('route-gateway-1', ['gateway-multiple-1'], '/', 'infra-backend-v2') +
        route('route-gateway-2', ['gateway-multiple-2'], '/', 'infra-backend-v3'),
      [
        { gateway: 'gateway-multiple-1', path: '/shared', backend: 'infra-backend-v1' },
        { gateway: 'gateway-multiple-2', path: '/shared', backend: 'infra-backend-v1' },
        { gateway: 'gateway-multiple-1', path: '/', backend: 'infra-backend-v2' },
        { gateway: 'gateway-multiple-2', path: '/', backend: 'infra-backend-v3' },
      ],
    );
  });

  const redirectRoute = (name: string, rules: { path: string; redirect: Record<string, string | number | Json> }[], parent = 'same-namespace') =>
    toYaml([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name, namespace: INFRA },
        spec: {
          parentRefs: [{ name: parent }],
          rules: rules.map((r) => ({ matches: [{ path: { type: 'PathPrefix', value: r.path } }], filters: [{ type: 'RequestRedirect', requestRedirect: r.redirect }] })),
        },
      },
    ]);

  test('HTTPRouteRedirectHostAndStatus (httproute-redirect-host-and-status.go): hostname, and hostname with 301', async () => {
    await scenario(
      redirectRoute('redirect-host-and-status', [
        { path: '/hostname-redirect', redirect: { hostname: 'example.org' } },
        { path: '/host-and-status', redirect: { hostname: 'example.org', statusCode: 301 } },
      ]),
      [
        { gateway: 'same-namespace', path: '/hostname-redirect', status: 302, location: 'http://example.org/hostname-redirect' },
        { gateway: 'same-namespace', path: '/host-and-status', status: 301, location: 'http://example.org/host-and-status' },
      ],
    );
  });

  test('HTTPRouteRequestHeaderModifier (httproute-request-header-modifier.go): set, add, remove, several, case-insensitive', async () => {
    const edits = (path: string, modifier: Json) => ({ matches: [{ path: { type: 'PathPrefix', value: path } }], filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier }], backendRefs: [{ name: 'infra-backend-v1', port: 8080 }] });
    await scenario(
      toYaml([
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'request-header-modifier', namespace: INFRA },
          spec: {
            parentRefs: [{ name: 'same-namespace' }],
            rules: [
              edits('/set', { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }] }),
              edits('/add', { add: [{ name: 'X-Header-Add', value: 'add-appends-values' }] }),
              edits('/remove', { remove: ['X-Header-Remove'] }),
              edits('/multiple', {
                set: [{ name: 'X-Header-Set-1', value: 'header-set-1' }, { name: 'X-Header-Set-2', value: 'header-set-2' }],
                add: [{ name: 'X-Header-Add-1', value: 'header-add-1' }, { name: 'X-Header-Add-2', value: 'header-add-2' }, { name: 'X-Header-Add-3', value: 'header-add-3' }],
                remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
              }),
              edits('/case-insensitivity', { set: [{ name: 'X-Header-Set', value: 'header-set' }], add: [{ name: 'X-Header-Add', value: 'header-add' }], remove: ['X-Header-Remove'] }),
            ],
          },
        },
      ]),
      [
        { gateway: 'same-namespace', path: '/set', headers: { 'Some-Other-Header': 'val' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        { gateway: 'same-namespace', path: '/set', headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        { gateway: 'same-namespace', path: '/add', headers: { 'Some-Other-Header': 'val' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'add-appends-values' } },
        { gateway: 'same-namespace', path: '/add', headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value,add-appends-values' } },
        { gateway: 'same-namespace', path: '/remove', headers: { 'X-Header-Remove': 'val' }, backend: 'infra-backend-v1', absentHeaders: ['X-Header-Remove'] },
        {
          gateway: 'same-namespace',
          path: '/multiple',
          headers: { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val' },
          backend: 'infra-backend-v1',
          seenHeaders: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2', 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'add-val-2,header-add-2', 'X-Header-Add-3': 'header-add-3', 'Another-Header': 'another-header-val' },
          absentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        {
          gateway: 'same-namespace',
          path: '/case-insensitivity',
          headers: { 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove', 'Another-Header': 'another-header-val' },
          backend: 'infra-backend-v1',
          seenHeaders: { 'X-Header-Set': 'header-set', 'X-Header-Add': 'original-val-add,header-add', 'Another-Header': 'another-header-val' },
          absentHeaders: ['x-header-remove'],
        },
      ],
    );
  });

  test('HTTPRouteWeight (httproute-weight.go): 70/30/0 over 500 requests, each share within 5% (up to 10 tries)', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: weighted-backends
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    backendRefs:
    - name: infra-backend-v1
      port: 8080
      weight: 70
    - name: infra-backend-v2
      port: 8080
      weight: 30
    - name: infra-backend-v3
      port: 8080
      weight: 0
`,
      [],
      { probes: [{ gateway: 'same-namespace', path: '/' }] },
    );
    await eventually(async () => assert.equal((await send({ gateway: 'same-namespace', path: '/' })).status, 200), 30_000, 100);
    // As the suite: 500 requests, each share within 5 points of its weight, up to 10 tries.
    let last = '';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 500; i += 1) {
        const response = await send({ gateway: 'same-namespace', path: '/' });
        const who = response.echo?.name ?? `status:${response.status}`;
        counts[who] = (counts[who] ?? 0) + 1;
      }
      last = JSON.stringify(counts);
      assert.equal(counts['infra-backend-v3'], undefined, last);
      if (Math.abs((counts['infra-backend-v1'] ?? 0) / 500 - 0.7) <= 0.05 && Math.abs((counts['infra-backend-v2'] ?? 0) / 500 - 0.3) <= 0.05) return;
    }
    assert.fail(`weights not within 5% after 10 tries: ${last}`);
  });

  test('HTTPRouteServiceTypes (httproute-service-types.go): headless Services and hand-written EndpointSlices', async () => {
    const v1 = backends['infra-backend-v1']!;
    const headlessService = (name: string, selector: boolean) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: INFRA },
      spec: { ...(name.startsWith('headless') ? { clusterIP: 'None' } : {}), ...(selector ? { selector: { app: 'infra-backend-v1' } } : {}), ports: [{ name: 'first-port', protocol: 'TCP', port: 8080, targetPort: 3000 }] },
    });
    const names = ['manual-endpoints', 'manual-endpointslices', 'headless', 'headless-manual-endpoints', 'headless-manual-endpointslices'];
    await scenario(
      toYaml([
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'service-types', namespace: INFRA },
          spec: { parentRefs: [{ name: 'same-namespace' }], rules: names.map((name) => ({ matches: [{ path: { type: 'Exact', value: `/${name}` } }], backendRefs: [{ name, port: 8080 }] })) },
        },
        ...names.map((name) => headlessService(name, name === 'headless')),
        // The suite fills the slices (and Endpoints) with infra-backend-v1's pod addresses; the
        // Endpoints objects reach a data plane as the slices the mirroring controller makes of them.
        ...names.map((name) =>
          endpointSlice(INFRA, name, name, 'first-port', v1, name.includes('manual-endpoints') && !name.includes('slices') ? { 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' } : {}),
        ),
      ]),
      names.map((name) => ({ gateway: 'same-namespace', path: `/${name}`, backend: 'infra-backend-v1' })),
    );
  });

  test('HTTPRouteHTTPSListener (httproute-https-listener.go): routes on the HTTPS Gateway by SNI and Host', async () => {
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: httproute-https-test
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace-with-https-listener
  hostnames:
  - example.org
  rules:
  - backendRefs:
    - name: infra-backend-v1
      port: 8080
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: httproute-https-test-no-hostname
  namespace: ${INFRA}
spec:
  parentRefs:
  - name: same-namespace-with-https-listener
    sectionName: https-with-hostname
  rules:
  - backendRefs:
    - name: infra-backend-v1
      port: 8080
`,
      [
        { gateway: 'same-namespace-with-https-listener', tls: true, host: 'example.org', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace-with-https-listener', tls: true, host: 'second-example.org', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace-with-https-listener', tls: true, host: 'unknown-example.org', path: '/', status: 404 },
      ],
    );
  });

  // ---- extended (the features Portero claims in GatewayClass status.supportedFeatures) ----

  const route = (name: string, rules: Json[], spec: Json = {}, parent: Json = { name: 'same-namespace' }) =>
    toYaml([{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: INFRA }, spec: { parentRefs: [parent], ...spec, rules } }]);
  const prefix = (value: string, more: Json = {}) => ({ path: { type: 'PathPrefix', value }, ...more });
  const to = (name: string, more: Json = {}) => ({ name, port: 8080, ...more });

  test('HTTPRouteQueryParamMatching (httproute-query-param-matching.go): case-sensitive names; path > headers > query', async () => {
    const q = (name: string, value: string) => ({ name, value });
    const h = (name: string, value: string) => ({ name, value });
    await scenario(
      route('query-param-matching', [
        { matches: [{ queryParams: [q('animal', 'whale')] }], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ queryParams: [q('animal', 'dolphin')] }], backendRefs: [to('infra-backend-v2')] },
        { matches: [{ queryParams: [q('animal', 'dolphin'), q('color', 'blue')] }, { queryParams: [q('ANIMAL', 'Whale')] }], backendRefs: [to('infra-backend-v3')] },
        { matches: [prefix('/path1', { queryParams: [q('animal', 'whale')] })], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ headers: [h('version', 'one')], queryParams: [q('animal', 'whale')] }], backendRefs: [to('infra-backend-v2')] },
        { matches: [prefix('/path2', { headers: [h('version', 'two')], queryParams: [q('animal', 'whale')] })], backendRefs: [to('infra-backend-v3')] },
        { matches: [prefix('/path3', { queryParams: [q('animal', 'shark')] }), prefix('/path4', { headers: [h('version', 'three')], queryParams: [q('animal', 'kraken')] })], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/path5')], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ queryParams: [q('animal', 'hydra')] }], backendRefs: [to('infra-backend-v2')] },
        { matches: [{ headers: [h('version', 'four')] }], backendRefs: [to('infra-backend-v3')] },
      ]),
      [
        { gateway: 'same-namespace', path: '/?animal=whale', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/?animal=dolphin', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/?animal=dolphin&color=blue', backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', path: '/?ANIMAL=Whale', backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', path: '/?animal=whale&otherparam=irrelevant', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/?animal=dolphin&color=yellow', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/?color=blue', status: 404 },
        { gateway: 'same-namespace', path: '/?animal=dog', status: 404 },
        { gateway: 'same-namespace', path: '/?animal=whaledolphin', status: 404 },
        { gateway: 'same-namespace', path: '/', status: 404 },
        { gateway: 'same-namespace', path: '/path1?animal=whale', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/?animal=whale', headers: { version: 'one' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', path: '/path2?animal=whale', headers: { version: 'two' }, backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', path: '/path3?animal=shark', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/path4?animal=kraken', headers: { version: 'three' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/?animal=shark', status: 404 },
        { gateway: 'same-namespace', path: '/path4?animal=kraken', status: 404 },
        { gateway: 'same-namespace', path: '/path5?animal=hydra', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/?animal=hydra', headers: { version: 'four' }, backend: 'infra-backend-v3' },
      ],
    );
  });

  test('HTTPRouteMethodMatching (httproute-method-matching.go): HEAD is not GET; path > method > headers', async () => {
    const h = (name: string, value: string) => ({ name, value });
    await scenario(
      route('method-matching', [
        { matches: [{ method: 'POST' }], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ method: 'GET' }], backendRefs: [to('infra-backend-v2')] },
        { matches: [prefix('/path1', { method: 'GET' })], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ headers: [h('version', 'one')], method: 'PUT' }], backendRefs: [to('infra-backend-v2')] },
        { matches: [prefix('/path2', { headers: [h('version', 'two')], method: 'POST' })], backendRefs: [to('infra-backend-v3')] },
        { matches: [prefix('/path3', { method: 'PATCH' }), prefix('/path4', { headers: [h('version', 'three')], method: 'DELETE' })], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/path5')], backendRefs: [to('infra-backend-v1')] },
        { matches: [{ method: 'PATCH' }], backendRefs: [to('infra-backend-v2')] },
        { matches: [{ headers: [h('version', 'four')] }], backendRefs: [to('infra-backend-v3')] },
      ]),
      [
        { gateway: 'same-namespace', method: 'POST', path: '/', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', method: 'GET', path: '/', backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', method: 'HEAD', path: '/', status: 404 },
        { gateway: 'same-namespace', method: 'GET', path: '/path1', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', method: 'PUT', path: '/', headers: { version: 'one' }, backend: 'infra-backend-v2' },
        { gateway: 'same-namespace', method: 'POST', path: '/path2', headers: { version: 'two' }, backend: 'infra-backend-v3' },
        { gateway: 'same-namespace', method: 'PATCH', path: '/path3', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', method: 'DELETE', path: '/path4', headers: { version: 'three' }, backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', method: 'PUT', path: '/', status: 404 },
        { gateway: 'same-namespace', method: 'DELETE', path: '/path4', status: 404 },
        { gateway: 'same-namespace', method: 'PATCH', path: '/path5', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', method: 'PATCH', path: '/', headers: { version: 'four' }, backend: 'infra-backend-v2' },
      ],
    );
  });

  test('HTTPRouteResponseHeaderModifier (httproute-response-header-modifier.go): set, add, remove on the answer', async () => {
    const edits = (path: string, modifier: Json, more: Json[] = []) => ({ matches: [prefix(path)], filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: modifier }, ...more], backendRefs: [to('infra-backend-v1')] });
    // The echo backend answers with the headers `X-Echo-Set-Header` names, as the suite's echo server does.
    const echoSet = (pairs: Record<string, string>) => ({ 'X-Echo-Set-Header': Object.entries(pairs).map(([name, value]) => `${name}:${value}`).join(',') });
    await scenario(
      route('response-header-modifier', [
        edits('/set', { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }] }),
        edits('/add', { add: [{ name: 'X-Header-Add', value: 'add-appends-values' }] }),
        edits('/remove', { remove: ['X-Header-Remove'] }),
        edits('/multiple', {
          set: [{ name: 'X-Header-Set-1', value: 'header-set-1' }, { name: 'X-Header-Set-2', value: 'header-set-2' }],
          add: [{ name: 'X-Header-Add-1', value: 'header-add-1' }, { name: 'X-Header-Add-2', value: 'header-add-2' }, { name: 'X-Header-Add-3', value: 'header-add-3' }],
          remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        }),
        edits('/case-insensitivity', {
          set: [{ name: 'X-Header-Set', value: 'header-set' }],
          add: [{ name: 'X-Header-Add', value: 'header-add' }, { name: 'x-lowercase-add', value: 'lowercase-add' }, { name: 'x-Mixedcase-ADD-1', value: 'mixedcase-add-1' }, { name: 'X-mixeDcase-add-2', value: 'mixedcase-add-2' }, { name: 'X-UPPERCASE-ADD', value: 'uppercase-add' }],
          remove: ['X-Header-Remove'],
        }),
      ]),
      [
        { gateway: 'same-namespace', path: '/set', headers: echoSet({ 'Some-Other-Header': 'val' }), backend: 'infra-backend-v1', responseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        { gateway: 'same-namespace', path: '/set', headers: echoSet({ 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }), backend: 'infra-backend-v1', responseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        { gateway: 'same-namespace', path: '/add', headers: echoSet({ 'Some-Other-Header': 'val' }), backend: 'infra-backend-v1', responseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'add-appends-values' } },
        { gateway: 'same-namespace', path: '/add', headers: echoSet({ 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }), backend: 'infra-backend-v1', responseHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value,add-appends-values' } },
        { gateway: 'same-namespace', path: '/remove', headers: echoSet({ 'X-Header-Remove': 'val' }), backend: 'infra-backend-v1', responseAbsent: ['X-Header-Remove'] },
        {
          gateway: 'same-namespace',
          path: '/multiple',
          headers: echoSet({ 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val' }),
          backend: 'infra-backend-v1',
          responseHeaders: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2', 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'add-val-2,header-add-2', 'X-Header-Add-3': 'header-add-3', 'Another-Header': 'another-header-val' },
          responseAbsent: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        {
          gateway: 'same-namespace',
          path: '/case-insensitivity',
          headers: echoSet({ 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove', 'Another-Header': 'another-header-val' }),
          backend: 'infra-backend-v1',
          responseHeaders: { 'X-Header-Set': 'header-set', 'X-Header-Add': 'original-val-add,header-add', 'Another-Header': 'another-header-val', 'x-lowercase-add': 'lowercase-add', 'x-mixedcase-add-1': 'mixedcase-add-1', 'x-mixedcase-add-2': 'mixedcase-add-2', 'x-uppercase-add': 'uppercase-add' },
          responseAbsent: ['X-Header-Remove'],
        },
      ],
    );
  });

  const redirects = (name: string, rules: [string, Json][], parent?: Json) =>
    route(name, rules.map(([path, redirect]) => ({ matches: [prefix(path)], filters: [{ type: 'RequestRedirect', requestRedirect: redirect }] })), {}, parent);
  const ip = ADDRESS['same-namespace'];

  test('HTTPRouteRedirectScheme (httproute-redirect-scheme.go): https without a port', async () => {
    await scenario(
      redirects('redirect-scheme', [
        ['/scheme', { scheme: 'https' }],
        ['/scheme-and-host', { hostname: 'example.org', scheme: 'https' }],
        ['/scheme-and-status', { scheme: 'https', statusCode: 301 }],
        ['/scheme-and-host-and-status', { scheme: 'https', statusCode: 302, hostname: 'example.org' }],
      ]),
      [
        { gateway: 'same-namespace', path: '/scheme', status: 302, location: `https://${ip}/scheme` },
        { gateway: 'same-namespace', path: '/scheme-and-host', status: 302, location: 'https://example.org/scheme-and-host' },
        { gateway: 'same-namespace', path: '/scheme-and-status', status: 301, location: `https://${ip}/scheme-and-status` },
        { gateway: 'same-namespace', path: '/scheme-and-host-and-status', status: 302, location: 'https://example.org/scheme-and-host-and-status' },
      ],
    );
  });

  test('HTTPRouteRedirectPath (httproute-redirect-path.go): ReplacePrefixMatch and ReplaceFullPath', async () => {
    const prefixTo = (value: string) => ({ type: 'ReplacePrefixMatch', replacePrefixMatch: value });
    const fullTo = (value: string) => ({ type: 'ReplaceFullPath', replaceFullPath: value });
    await scenario(
      redirects('redirect-path', [
        ['/original-prefix', { path: prefixTo('/replacement-prefix') }],
        ['/full', { path: fullTo('/full-path-replacement') }],
        ['/path-and-host', { hostname: 'example.org', path: prefixTo('/replacement-prefix') }],
        ['/path-and-status', { path: prefixTo('/replacement-prefix'), statusCode: 301 }],
        ['/full-path-and-host', { hostname: 'example.org', path: fullTo('/replacement-full') }],
        ['/full-path-and-status', { path: fullTo('/replacement-full'), statusCode: 301 }],
      ]),
      [
        { gateway: 'same-namespace', path: '/original-prefix/lemon', status: 302, location: `http://${ip}/replacement-prefix/lemon` },
        { gateway: 'same-namespace', path: '/full/path/original', status: 302, location: `http://${ip}/full-path-replacement` },
        { gateway: 'same-namespace', path: '/path-and-host', status: 302, location: 'http://example.org/replacement-prefix' },
        { gateway: 'same-namespace', path: '/path-and-status', status: 301, location: `http://${ip}/replacement-prefix` },
        { gateway: 'same-namespace', path: '/full-path-and-host', status: 302, location: 'http://example.org/replacement-full' },
        { gateway: 'same-namespace', path: '/full-path-and-status', status: 301, location: `http://${ip}/replacement-full` },
      ],
    );
  });

  test('HTTPRouteRedirectPort (httproute-redirect-port.go): the port appears in Location', async () => {
    await scenario(
      redirects('redirect-port', [
        ['/port', { port: 8083 }],
        ['/port-and-host', { hostname: 'example.org', port: 8083 }],
        ['/port-and-status', { port: 8083, statusCode: 301 }],
        ['/port-and-host-and-status', { port: 8083, hostname: 'example.org', statusCode: 302 }],
      ]),
      [
        { gateway: 'same-namespace', path: '/port', status: 302, location: `http://${ip}:8083/port` },
        { gateway: 'same-namespace', path: '/port-and-host', status: 302, location: 'http://example.org:8083/port-and-host' },
        { gateway: 'same-namespace', path: '/port-and-status', status: 301, location: `http://${ip}:8083/port-and-status` },
        { gateway: 'same-namespace', path: '/port-and-host-and-status', status: 302, location: 'http://example.org:8083/port-and-host-and-status' },
      ],
    );
  });

  test('HTTPRouteRedirectPortAndScheme (httproute-redirect-port-and-scheme.go): listener ports 80, 8080 and 443; a scheme implies its port', async () => {
    const g8080 = 'same-namespace-with-http-listener-on-8080';
    const rules = (pairs: [string, Json][]): [string, Json][] => pairs.map(([path, redirect]) => [path, { ...redirect, hostname: 'example.org' }]);
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${g8080}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(g8080)}  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
---
` +
        redirects(
          'http-route-for-listener-on-port-80',
          rules([
            ['/scheme-nil-and-port-nil', {}],
            ['/scheme-nil-and-port-80', { port: 80 }],
            ['/scheme-nil-and-port-8080', { port: 8080 }],
            ['/scheme-https-and-port-nil', { scheme: 'https' }],
            ['/scheme-https-and-port-443', { scheme: 'https', port: 443 }],
            ['/scheme-https-and-port-8443', { scheme: 'https', port: 8443 }],
          ]),
        ) +
        '---\n' +
        redirects('http-route-for-listener-on-port-8080', rules([['/scheme-nil-and-port-nil', {}], ['/scheme-nil-and-port-80', { port: 80 }], ['/scheme-https-and-port-nil', { scheme: 'https' }]]), { name: g8080 }) +
        '---\n' +
        redirects(
          'http-route-for-listener-on-port-443',
          rules([
            ['/scheme-nil-and-port-nil', {}],
            ['/scheme-nil-and-port-443', { port: 443 }],
            ['/scheme-nil-and-port-8443', { port: 8443 }],
            ['/scheme-http-and-port-nil', { scheme: 'http' }],
            ['/scheme-http-and-port-80', { scheme: 'http', port: 80 }],
            ['/scheme-http-and-port-8080', { scheme: 'http', port: 8080 }],
          ]),
          { name: 'same-namespace-with-https-listener' },
        ),
      [
        { gateway: 'same-namespace', path: '/scheme-nil-and-port-nil', status: 302, location: 'http://example.org/scheme-nil-and-port-nil' },
        { gateway: 'same-namespace', path: '/scheme-nil-and-port-80', status: 302, location: 'http://example.org/scheme-nil-and-port-80' },
        { gateway: 'same-namespace', path: '/scheme-nil-and-port-8080', status: 302, location: 'http://example.org:8080/scheme-nil-and-port-8080' },
        { gateway: 'same-namespace', path: '/scheme-https-and-port-nil', status: 302, location: 'https://example.org/scheme-https-and-port-nil' },
        { gateway: 'same-namespace', path: '/scheme-https-and-port-443', status: 302, location: 'https://example.org/scheme-https-and-port-443' },
        { gateway: 'same-namespace', path: '/scheme-https-and-port-8443', status: 302, location: 'https://example.org:8443/scheme-https-and-port-8443' },
        { gateway: g8080, listenerPort: 8080, path: '/scheme-nil-and-port-nil', status: 302, location: 'http://example.org:8080/scheme-nil-and-port-nil' },
        { gateway: g8080, listenerPort: 8080, path: '/scheme-nil-and-port-80', status: 302, location: 'http://example.org/scheme-nil-and-port-80' },
        { gateway: g8080, listenerPort: 8080, path: '/scheme-https-and-port-nil', status: 302, location: 'https://example.org/scheme-https-and-port-nil' },
        ...[
          ['/scheme-nil-and-port-nil', 'https://example.org'],
          ['/scheme-nil-and-port-443', 'https://example.org'],
          ['/scheme-nil-and-port-8443', 'https://example.org:8443'],
          ['/scheme-http-and-port-nil', 'http://example.org'],
          ['/scheme-http-and-port-80', 'http://example.org'],
          ['/scheme-http-and-port-8080', 'http://example.org:8080'],
        ].map(([path, origin]) => ({ gateway: 'same-namespace-with-https-listener', tls: true, host: 'example.org', path: path!, status: 302, location: `${origin}${path}` })),
      ],
    );
  });

  test('HTTPRoute303Redirect, 307, 308 (httproute-303-redirect.go, -307-, -308-): the exact status codes', async () => {
    await scenario(
      redirects('303-redirect', [['/see-other', { statusCode: 303 }]]) +
        '---\n' +
        redirects('307-redirect', [['/temporary-redirect', { statusCode: 307 }]]) +
        '---\n' +
        redirects('308-redirect', [['/permanent-redirect', { statusCode: 308 }]]),
      [
        { gateway: 'same-namespace', method: 'POST', path: '/see-other', status: 303, location: `http://${ip}/see-other` },
        { gateway: 'same-namespace', method: 'POST', path: '/temporary-redirect', status: 307, location: `http://${ip}/temporary-redirect` },
        { gateway: 'same-namespace', method: 'POST', path: '/permanent-redirect', status: 308, location: `http://${ip}/permanent-redirect` },
      ],
    );
  });

  const modifyHeaders = { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }], add: [{ name: 'X-Header-Add', value: 'header-val-1' }, { name: 'X-Header-Add-Append', value: 'header-val-2' }], remove: ['X-Header-Remove'] } };
  const sentHeaders = { 'X-Header-Remove': 'remove-val', 'X-Header-Add-Append': 'append-val-1', 'X-Header-Set': 'set-val' };
  const seenHeaders = { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'append-val-1,header-val-2', 'X-Header-Set': 'set-overwrites-values' };

  test('HTTPRouteRewriteHost (httproute-rewrite-host.go): the backend sees the rewritten Host', async () => {
    const rewrite = (hostname: string) => ({ type: 'URLRewrite', urlRewrite: { hostname } });
    await scenario(
      route(
        'rewrite-host',
        [
          { matches: [prefix('/one')], filters: [rewrite('one.example.org')], backendRefs: [to('infra-backend-v1')] },
          { filters: [rewrite('example.org')], backendRefs: [to('infra-backend-v2')] },
          { matches: [prefix('/rewrite-host-and-modify-headers')], filters: [rewrite('test.example.org'), modifyHeaders], backendRefs: [to('infra-backend-v2')] },
        ],
        { hostnames: ['rewrite.example'] },
      ),
      [
        { gateway: 'same-namespace', host: 'rewrite.example', path: '/one', backend: 'infra-backend-v1', seenHost: 'one.example.org' },
        { gateway: 'same-namespace', host: 'rewrite.example', path: '/', backend: 'infra-backend-v2', seenHost: 'example.org' },
        { gateway: 'same-namespace', host: 'rewrite.example', path: '/rewrite-host-and-modify-headers', headers: sentHeaders, backend: 'infra-backend-v2', seenHost: 'test.example.org', seenHeaders, absentHeaders: ['X-Header-Remove'] },
      ],
    );
  });

  test('HTTPRouteRewritePath (httproute-rewrite-path.go): prefix and full path rewrites, stripping a prefix', async () => {
    const rewrite = (path: Json) => ({ type: 'URLRewrite', urlRewrite: { path } });
    await scenario(
      route('rewrite-path', [
        { matches: [prefix('/prefix/one')], filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' })], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/strip-prefix')], filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/' })], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/full/one')], filters: [rewrite({ type: 'ReplaceFullPath', replaceFullPath: '/one' })], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/full/rewrite-path-and-modify-headers')], filters: [rewrite({ type: 'ReplaceFullPath', replaceFullPath: '/test' }), modifyHeaders], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/prefix/rewrite-path-and-modify-headers')], filters: [rewrite({ type: 'ReplacePrefixMatch', replacePrefixMatch: '/prefix' }), modifyHeaders], backendRefs: [to('infra-backend-v1')] },
      ]),
      [
        { gateway: 'same-namespace', path: '/prefix/one/two', backend: 'infra-backend-v1', seenPath: '/one/two' },
        { gateway: 'same-namespace', path: '/full/one/two', backend: 'infra-backend-v1', seenPath: '/one' },
        { gateway: 'same-namespace', path: '/strip-prefix/three', backend: 'infra-backend-v1', seenPath: '/three' },
        { gateway: 'same-namespace', path: '/strip-prefix', backend: 'infra-backend-v1', seenPath: '/' },
        { gateway: 'same-namespace', path: '/full/rewrite-path-and-modify-headers/test', headers: sentHeaders, backend: 'infra-backend-v1', seenPath: '/test', seenHeaders, absentHeaders: ['X-Header-Remove'] },
        { gateway: 'same-namespace', path: '/prefix/rewrite-path-and-modify-headers/one', headers: sentHeaders, backend: 'infra-backend-v1', seenPath: '/prefix/one', seenHeaders, absentHeaders: ['X-Header-Remove'] },
      ],
    );
  });

  test('HTTPRouteTimeoutRequest, HTTPRouteTimeoutBackendRequest (httproute-timeout-request.go, -backend-request.go): 504 past 500ms; 0s disables', async () => {
    const timed = (path: string, timeouts: Json) => ({ matches: [prefix(path)], timeouts, backendRefs: [to('infra-backend-v1')] });
    await scenario(
      route('request-timeout', [timed('/request-timeout', { request: '500ms' }), timed('/disable-request-timeout', { request: '0s' })]) +
        '---\n' +
        route('backend-request-timeout', [timed('/backend-timeout', { request: '1s', backendRequest: '500ms' }), timed('/disable-backend-timeout', { request: '0s', backendRequest: '0s' })]),
      [
        { gateway: 'same-namespace', path: '/request-timeout?delay=1s', status: 504 },
        { gateway: 'same-namespace', path: '/disable-request-timeout?delay=1s', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/backend-timeout?delay=1s', status: 504 },
        { gateway: 'same-namespace', path: '/disable-backend-timeout?delay=1s', backend: 'infra-backend-v1' },
      ],
    );
  });

  test('HTTPRouteListenerPortMatching (httproute-listener-port-matching.go): parentRef port selects the listeners of that port', async () => {
    const g = 'httproute-listener-port-matching';
    const listener = (name: string, port: number, hostname: string) => `  - name: ${name}\n    port: ${port}\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: Same\n    hostname: ${hostname}\n`;
    await scenario(
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: ${g}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(g)}  listeners:
${listener('listener-1', 80, 'foo.com')}${listener('listener-2', 8080, 'foo.com')}${listener('listener-3', 8080, 'bar.com')}${listener('listener-4', 8090, 'foo.com')}${listener('listener-5', 8090, 'bar.com')}---
` +
        route('backend-v1', [{ backendRefs: [to('infra-backend-v1')] }], {}, { name: g, namespace: INFRA, port: 80 }) +
        '---\n' +
        route('backend-v2', [{ backendRefs: [to('infra-backend-v2')] }], {}, { name: g, namespace: INFRA, port: 8080 }) +
        '---\n' +
        route('backend-v3', [{ backendRefs: [to('infra-backend-v3')] }], {}, { name: g, namespace: INFRA, port: 8090, sectionName: 'listener-4' }),
      [
        { gateway: g, host: 'foo.com', path: '/', backend: 'infra-backend-v1' },
        { gateway: g, host: 'bar.com', path: '/', status: 404 },
        { gateway: g, listenerPort: 8080, host: 'foo.com:8080', path: '/', backend: 'infra-backend-v2' },
        { gateway: g, listenerPort: 8080, host: 'bar.com:8080', path: '/', backend: 'infra-backend-v2' },
        { gateway: g, listenerPort: 8090, host: 'foo.com:8090', path: '/', backend: 'infra-backend-v3' },
        { gateway: g, listenerPort: 8090, host: 'bar.com:8090', path: '/', status: 404 },
      ],
    );
  });

  test('GatewayHTTPListenerIsolation (gateway-http-listener-isolation.go): a request sees only the routes of its most specific listener', async () => {
    const gatewayOf = (name: string) => {
      const listener = (section: string, hostname?: string) => `  - name: ${section}\n    port: 80\n    protocol: HTTP\n${hostname ? `    hostname: "${hostname}"\n` : ''}    allowedRoutes:\n      namespaces:\n        from: All\n`;
      return `---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${INFRA}
spec:
  gatewayClassName: portero
${addresses(name)}  listeners:
${listener('empty-hostname')}${listener('wildcard-example-com', '*.example.com')}${listener('wildcard-foo-example-com', '*.foo.example.com')}${listener('abc-foo-example-com', 'abc.foo.example.com')}`;
    };
    const sections = ['empty-hostname', 'wildcard-example-com', 'wildcard-foo-example-com', 'abc-foo-example-com'];
    const routesOf = (gateway: string, suffix: string, hostnames?: string[]) =>
      sections.map((section) => `---\n${route(`attaches-to-${section}${suffix}`, [{ matches: [prefix(`/${section}`)], backendRefs: [to('infra-backend-v1')] }], hostnames ? { hostnames } : {}, { name: gateway, namespace: INFRA, sectionName: section })}`).join('');
    const plain = 'http-listener-isolation';
    const crossed = 'http-listener-isolation-with-hostname-intersection';
    const hosts: [string, string][] = [['bar.com', 'empty-hostname'], ['bar.example.com', 'wildcard-example-com'], ['bar.foo.example.com', 'wildcard-foo-example-com'], ['abc.foo.example.com', 'abc-foo-example-com']];
    const expects = (gateway: string): Expect[] =>
      hosts.flatMap(([host, owner]) => sections.map((section) => (section === owner ? { gateway, host, path: `/${section}`, backend: 'infra-backend-v1' } : { gateway, host, path: `/${section}`, status: 404 })));
    await scenario(
      gatewayOf(plain) + routesOf(plain, '') + gatewayOf(crossed) + routesOf(crossed, '-with-hostname-intersection', ['bar.com', '*.example.com', '*.foo.example.com', 'abc.foo.example.com']),
      [...expects(plain), ...expects(crossed)],
    );
  });

  test('HTTPRouteBackendRequestHeaderModifier (httproute-request-header-modifier-backend.go): filters on the backendRef', async () => {
    const onBackend = (path: string, modifier: Json) => ({ matches: [prefix(path)], backendRefs: [to('infra-backend-v1', { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier }] })] });
    await scenario(
      route('request-header-modifier-backend', [
        onBackend('/set', { set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }] }),
        onBackend('/add', { add: [{ name: 'X-Header-Add', value: 'add-appends-values' }] }),
        onBackend('/remove', { remove: ['X-Header-Remove'] }),
        onBackend('/multiple', {
          set: [{ name: 'X-Header-Set-1', value: 'header-set-1' }, { name: 'X-Header-Set-2', value: 'header-set-2' }],
          add: [{ name: 'X-Header-Add-1', value: 'header-add-1' }, { name: 'X-Header-Add-2', value: 'header-add-2' }, { name: 'X-Header-Add-3', value: 'header-add-3' }],
          remove: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        }),
        onBackend('/case-insensitivity', { set: [{ name: 'X-Header-Set', value: 'header-set' }], add: [{ name: 'X-Header-Add', value: 'header-add' }], remove: ['X-Header-Remove'] }),
      ]),
      [
        { gateway: 'same-namespace', path: '/set', headers: { 'Some-Other-Header': 'val', 'X-Header-Set': 'some-other-value' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Set': 'set-overwrites-values' } },
        { gateway: 'same-namespace', path: '/add', headers: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value' }, backend: 'infra-backend-v1', seenHeaders: { 'Some-Other-Header': 'val', 'X-Header-Add': 'some-other-value,add-appends-values' } },
        { gateway: 'same-namespace', path: '/remove', headers: { 'X-Header-Remove': 'val' }, backend: 'infra-backend-v1', absentHeaders: ['X-Header-Remove'] },
        {
          gateway: 'same-namespace',
          path: '/multiple',
          headers: { 'X-Header-Set-2': 'set-val-2', 'X-Header-Add-2': 'add-val-2', 'X-Header-Remove-2': 'remove-val-2', 'Another-Header': 'another-header-val' },
          backend: 'infra-backend-v1',
          seenHeaders: { 'X-Header-Set-1': 'header-set-1', 'X-Header-Set-2': 'header-set-2', 'X-Header-Add-1': 'header-add-1', 'X-Header-Add-2': 'add-val-2,header-add-2', 'X-Header-Add-3': 'header-add-3', 'Another-Header': 'another-header-val' },
          absentHeaders: ['X-Header-Remove-1', 'X-Header-Remove-2'],
        },
        {
          gateway: 'same-namespace',
          path: '/case-insensitivity',
          headers: { 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove' },
          backend: 'infra-backend-v1',
          seenHeaders: { 'X-Header-Set': 'header-set', 'X-Header-Add': 'original-val-add,header-add' },
          absentHeaders: ['X-Header-Remove'],
        },
      ],
    );
  });

  test('HTTPRouteRequestHeaderModifierBackendWeights (httproute-request-header-modifier-backend-weights.go): each backend gets only its own filter', async () => {
    const backendWith = (name: string) => to(name, { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'Backend', value: name }] } }] });
    await scenario(route('request-header-modifier-backend-weights', [{ backendRefs: [backendWith('infra-backend-v1'), backendWith('infra-backend-v2'), backendWith('infra-backend-v3')] }]), [], { probes: [{ gateway: 'same-namespace', path: '/' }] });
    await eventually(async () => assert.equal((await send({ gateway: 'same-namespace', path: '/' })).status, 200), 30_000, 100);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i += 1) {
      const response = await send({ gateway: 'same-namespace', path: '/' });
      assert.equal(response.status, 200);
      assert.equal(response.echo?.headers.backend, response.echo?.name, 'the Backend header names the backend that answered');
      seen.add(String(response.echo?.name));
    }
    assert.equal(seen.size, 3, [...seen].join());
  });

  test('HTTPRouteNamedRule (httproute-named-rule.go): named rules are accepted and serve', async () => {
    await scenario(
      route('named-rule', [
        { name: 'named-rule-one', matches: [prefix('/named')], backendRefs: [to('infra-backend-v1')] },
        { matches: [prefix('/unnamed')], backendRefs: [to('infra-backend-v2')] },
      ]),
      [
        { gateway: 'same-namespace', path: '/named', backend: 'infra-backend-v1' },
        { gateway: 'same-namespace', path: '/unnamed', backend: 'infra-backend-v2' },
      ],
    );
  });

  // Upstream asks some preflights for 200 and accepts 200 or 204 for others; Portero answers every
  // preflight with 204 (docs/gateway-api.md#cors), so 200 or 204 is accepted throughout.
  test('HTTPRouteCORS (httproute-cors.go): preflights and simple requests, exact and wildcard origins, wildcard methods and headers, credentials', async () => {
    const cors = (path: string, filter: Json) => ({ matches: [prefix(path)], filters: [{ type: 'CORS', cors: filter }], backendRefs: [to('infra-backend-v1')] });
    const preflight = (path: string, origin: string, method: string, headers?: string): Pick<Expect, 'gateway' | 'path' | 'method' | 'headers'> => ({
      gateway: 'same-namespace',
      path,
      method: 'OPTIONS',
      headers: { Origin: origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
    });
    const allowed1 = (origin: string) => ({
      'access-control-allow-origin': [origin],
      'access-control-allow-methods': ['GET,OPTIONS', 'OPTIONS,GET'],
      'access-control-allow-headers': ['x-header-1,x-header-2', 'x-header-2,x-header-1'],
      'access-control-expose-headers': ['x-header-3,x-header-4', 'x-header-4,x-header-3'],
      'access-control-max-age': ['3600'],
      'access-control-allow-credentials': ['true'],
    });
    const wildcard = { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };
    await scenario(
      route('cors-multiple-origins-methods-headers', [
        cors('/cors-1', { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAge: 3600 }),
      ]) +
        '---\n' +
        route('cors-wildcard-methods', [cors('/cors-2', { allowOrigins: ['https://www.foo.com'], allowMethods: ['*'] })]) +
        '---\n' +
        // The two routes below are reconstructed from the .go expectations (the stored .yaml predates them).
        route('cors-wildcard-origin', [cors('/cors-wildcard-origin', { allowOrigins: ['*'], allowMethods: ['*'] })]) +
        '---\n' +
        route('cors-wildcard-methods-headers', [cors('/cors-wildcard-methods-headers-unauth', wildcard), cors('/cors-wildcard-methods-headers', { ...wildcard, allowCredentials: true })]),
      [
        { ...preflight('/cors-1', 'https://www.foo.com', 'GET', 'x-header-1, x-header-2'), status: 204, responseOneOf: allowed1('https://www.foo.com') },
        { ...preflight('/cors-1', 'https://www.bar.com', 'GET', 'x-header-1, x-header-2'), status: 204, responseOneOf: allowed1('https://www.bar.com') },
        { ...preflight('/cors-1', 'https://xpto.www.bar.com', 'GET', 'x-header-1, x-header-2'), status: 204, responseOneOf: allowed1('https://xpto.www.bar.com') },
        { ...preflight('/cors-1', 'https://foobar.com', 'GET'), status: 204, responseAbsent: ['access-control-allow-origin'] },
        { gateway: 'same-namespace', path: '/cors-1', headers: { Origin: 'https://www.foo.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' }, backend: 'infra-backend-v1', responseHeaders: { 'access-control-allow-origin': 'https://www.foo.com' } },
        { gateway: 'same-namespace', path: '/cors-1', headers: { Origin: 'https://www.bar.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-header-1, x-header-2' }, backend: 'infra-backend-v1', responseHeaders: { 'access-control-allow-origin': 'https://www.bar.com' } },
        { gateway: 'same-namespace', path: '/cors-1', headers: { Origin: 'https://foobar.com', 'access-control-request-method': 'GET' }, backend: 'infra-backend-v1', responseAbsent: ['access-control-allow-origin'] },
        { ...preflight('/cors-2', 'https://www.foo.com', 'POST'), status: 204, responseOneOf: { 'access-control-allow-methods': ['POST', '*'], 'access-control-allow-origin': ['https://www.foo.com'] }, responseAbsent: ['access-control-allow-credentials'] },
        { ...preflight('/cors-wildcard-origin', 'https://foobar.com', 'PUT'), status: 204, responseOneOf: { 'access-control-allow-origin': ['https://foobar.com', '*'], 'access-control-allow-methods': ['PUT'] }, responseAbsent: ['access-control-allow-credentials'] },
        { ...preflight('/cors-wildcard-origin', 'https://foobar.com:12345', 'PUT'), status: 204, responseOneOf: { 'access-control-allow-origin': ['https://foobar.com:12345', '*'], 'access-control-allow-methods': ['PUT'] }, responseAbsent: ['access-control-allow-credentials'] },
        { gateway: 'same-namespace', method: 'PUT', path: '/cors-wildcard-origin', headers: { Origin: 'https://foobar.com:12345' }, backend: 'infra-backend-v1', responseOneOf: { 'access-control-allow-origin': ['https://foobar.com:12345', '*'] } },
        { gateway: 'same-namespace', method: 'PUT', path: '/cors-wildcard-origin', headers: { Origin: 'https://foobar.com' }, backend: 'infra-backend-v1', responseOneOf: { 'access-control-allow-origin': ['https://foobar.com', '*'] }, responseAbsent: ['access-control-allow-credentials'] },
        {
          ...preflight('/cors-wildcard-methods-headers', 'https://other.foo.com', 'PUT', 'x-header-1, x-header-2'),
          status: 204,
          responseOneOf: { 'access-control-allow-origin': ['https://other.foo.com'], 'access-control-allow-methods': ['PUT'], 'access-control-allow-headers': ['x-header-1,x-header-2', 'x-header-2,x-header-1'], 'access-control-allow-credentials': ['true'] },
        },
        {
          ...preflight('/cors-wildcard-methods-headers-unauth', 'https://other.foo.com', 'PUT', 'x-header-1, x-header-2'),
          status: 204,
          responseOneOf: { 'access-control-allow-origin': ['https://other.foo.com', '*'], 'access-control-allow-methods': ['PUT', '*'], 'access-control-allow-headers': ['x-header-1,x-header-2', 'x-header-2,x-header-1', '*'] },
          responseAbsent: ['access-control-allow-credentials'],
        },
        { gateway: 'same-namespace', path: '/cors-wildcard-methods-headers', headers: { Origin: 'https://other.foo.com', Authorization: 'Bearer test' }, backend: 'infra-backend-v1', responseOneOf: { 'access-control-allow-origin': ['https://other.foo.com'], 'access-control-allow-credentials': ['true'] } },
        { gateway: 'same-namespace', path: '/cors-wildcard-methods-headers-unauth', headers: { Origin: 'https://other.foo.com', Authorization: 'Bearer test' }, backend: 'infra-backend-v1', responseOneOf: { 'access-control-allow-origin': ['https://other.foo.com'] }, responseAbsent: ['access-control-allow-credentials'] },
      ],
    );
  });

  test('HTTPRouteBackendProtocolWebSocket (httproute-backend-protocol-websocket.go): text and binary frames through port 8082 (kubernetes.io/ws)', async () => {
    await scenario(route('backend-protocol-ws', [{ backendRefs: [{ name: 'infra-backend-v1', port: 8082 }] }]), [{ gateway: 'same-namespace', path: '/', backend: 'infra-backend-v1' }]);
    const client = new WebSocket(`ws://${ip}:${portero.httpPort}/`, { headers: { host: ip! } });
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('open', () => {
        client.send('Hello, World!');
        client.send(Buffer.from([0, 1, 2, 3]), { binary: true });
      });
      client.on('message', (data) => {
        replies.push(data.toString());
        if (replies.length === 2) resolve();
      });
      client.on('error', reject);
    });
    client.close();
    // The echo backend prefixes its name: the frames reached infra-backend-v1 and came back.
    assert.deepEqual(replies, ['infra-backend-v1: Hello, World!', `infra-backend-v1: ${Buffer.from([0, 1, 2, 3]).toString()}`]);
  });

  test('HTTPRouteBackendProtocolH2C (httproute-backend-protocol-h2c.go): HTTP/2 prior knowledge through to the h2c port 8081', async () => {
    await scenario(route('backend-protocol-h2c', [{ backendRefs: [{ name: 'infra-backend-v1', port: 8081 }] }]), [], { probes: [{ gateway: 'same-namespace', path: '/' }] });
    const h2c = () =>
      new Promise<{ status: number; backend: string; type: string }>((resolve, reject) => {
        const session = connect(`http://${ip}:${portero.httpPort}`);
        session.on('error', reject);
        const stream = session.request({ ':method': 'GET', ':path': '/', ':authority': ip! });
        stream.on('response', (headers) => {
          stream.resume();
          stream.on('end', () => {
            session.close();
            resolve({ status: Number(headers[':status']), backend: String(headers['x-backend'] ?? ''), type: String(headers['content-type'] ?? '') });
          });
        });
        stream.on('error', reject);
        stream.end();
      });
    // Port 8081's endpoint is an HTTP/2-only echo (it answers as a gRPC server does, application/grpc): its answer proves HTTP/2 reached it.
    await eventually(async () => assert.deepEqual(await h2c(), { status: 200, backend: 'infra-backend-v1', type: 'application/grpc' }), 30_000, 100);
  });
});
