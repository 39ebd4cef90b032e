// More of the Gateway API conformance suite (kubernetes-sigs/gateway-api
// conformance/tests/<name>.go and .yaml, `main` after v1.6: tests newer than
// those gateway-conformance-traffic.test.ts and -status.test.ts port), on the
// suite's base manifests (its namespaces, the same-namespace and
// all-namespaces Gateways, Services with real echo and gRPC echo backends on
// loopback). Each case runs twice:
// - Kubernetes mode: one Portero against the in-repo API test server; the
//   case's objects are applied, its status read back from the API, its
//   requests sent through real HAProxy (HTTP, and gRPC-shaped HTTP/2 with
//   prior knowledge), then the mutations the suite makes, then the objects
//   deleted;
// - standalone mode: one Portero on a directory of manifests, the case's
//   objects written as a file, the same requests; and `portero check
//   --manifests` on the same objects, which must report the same status.
// Every Gateway carries spec.addresses (127.0.5.0/24, one per Gateway, as the
// suite gives each its own address); listeners on 80 and 443 are served on
// Portero's --http-port and --https-port there, other ports on their number.
//
// Ported: httproute-all-backends-weight-zero, httproute-hostname-precedence,
// httproute-multiple-routes-attachment-same-hostname-intersection,
// httproute-303-redirect-scheme, httproute-307-redirect-scheme,
// httproute-308-redirect-scheme, httproute-additional-redirect-scheme,
// cors-allow-credentials-behavior, grpcroute-exact-method-matching,
// grpcroute-header-matching, grpcroute-weight,
// grpcroute-all-backends-weight-zero, grpcroute-multiple-gateways,
// grpcroute-multiple-routes-attachment-same-hostname-intersection,
// grpcroute-named-rule, grpcroute-listener-hostname-matching (its traffic;
// gateway-conformance-status.test.ts checks its status),
// gateway-update-listener-hostname,
// gateway-overlapping-tls-config-hostnames, gateway-with-attached-routes
// (GatewayWithAttachedRoutesWithPort8080), gateway-name-maximum-length and
// gateway-maximum-name-length (one test under two names),
// gateway-preserve-foreign-conditions, gateway-static-addresses (its
// usable address 127.0.5.20, its unusable one 192.0.2.1, which no interface
// of the test machine has; standalone mode checks the first state only, as
// `portero check` judges no machine's addresses), gateway-optional-address-value.
// Reconstructed from the .go file (the .yaml is not in the reference index):
// grpcroute-header-matching (the rules of httproute-header-matching.yaml on
// a GRPCRoute), grpcroute-named-rule (two named rules, Echo and EchoTwo), the
// newer routes of the two *-same-hostname-intersection tests (built in Go);
// cors-allow-credentials-behavior's allowOrigins [https://app.example], which
// the stored .yaml lacks and site-src/guides/http-cors.md, quoting the same
// route, has (without it no origin is allowed, and upstream expects one).
// gRPC: the suite's client reads UNIMPLEMENTED where no route matches; a
// gRPC client reads HTTP 404 as UNIMPLEMENTED (gRPC's HTTP-to-status
// mapping), which is what Portero answers there, so that is asserted.
//
// not ported: grpcroute-exact-path-matching, gateway-invalid-tls-certificateref, gateway-secret-missing-referenced-secret — older names of grpcroute-exact-method-matching and GatewayInvalidTLSConfiguration, which are ported
// not ported: httproute-disallowed-kind, gateway-listener-protocol-and-route-kind-conflicts, gateway-unsupported-route-kind, gateway-https-and-tls-passthrough-same-port — need TLSRoute (feature not claimed)
// not ported: gatewayclass-supported-version-condition — flips the CRD's bundle-version annotation; Portero does not read CRDs (gateway-class.ts reports SupportedVersion True), which is more than an hour's work: reported
// not ported: httproute-backend-request-redirect, httproute-backend-url-rewrite — HTTPRouteBackendRequestRedirect (removed upstream in v1.7) and HTTPRouteBackendURLRewrite: features not claimed
// not ported: grpcroute-request-header-modifier — GRPCRouteRequestHeaderModifier, a v1.7 feature not claimed (gateway-protocols.test.ts covers the filter)
// not ported: grpcroute-request-mirror, *-session-persistence-*, httproute-external-auth-*, httproute-direct-response, backendtlspolicy-*, gateway-*-clientcertificate-*, gateway-tls-backend-client-certificate, gateway-with-addresses, gateway-infrastructure*, gateway-address-routability*, gateway-routability*, gateway-dynamic-listeners, httplistener-multiple-tls-certs-longest-sni-matching, listenerset-*, tlsroute-* — feature not claimed (mirrors, session persistence, external auth, direct response, BackendTLSPolicy, client certificates, static addresses, infrastructure, routability, ListenerSet, multiple TLS certificates by SNI, TLSRoute)
// not ported: the *-reference-policy tests — ReferencePolicy, the pre-v0.6 name of ReferenceGrant, no longer served

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../../kube-api-server/server.js';
import type { CheckReport } from '../../../src/cli/check/report.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { GATEWAY_V1 } from '../../helpers/gateway-api-manifests.js';
import {
  ALL_KINDS, APP, CLASS, INFRA, OURS, READY, WEB,
  backend, certRef, certificates, checkView, deleteIfPresent, expectCondition, expectGateway, expectLatest, expectRoute, from, get, gw, http, kubeView, ns, parent, prefix, route, runCheck, service,
  type Certs, type Endpoint, type Status, type View,
} from '../../helpers/gateway-conformance.js';
import { grpcCall, startGrpcBackend, type GrpcAnswer, type GrpcBackend } from '../../helpers/grpc.js';
import { request, type Response } from '../../helpers/http.js';
import { kubeconfigFile, startApi, tempDir } from '../../helpers/kube.js';
import { tlsSecret, toYaml, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

const address = (n: number) => `127.0.5.${n}`;
/** GatewayStaticAddresses: an IP of no interface of this machine (TEST-NET-1), which Portero cannot bind. */
const UNUSABLE_ADDRESS = '192.0.2.1';
const STATIC_GATEWAY = 'gateway-static-addresses';
/** --publish-status-address of the Kubernetes-mode Portero: what a Gateway asking for an address without value is given. */
const PUBLISHED_ADDRESS = '192.0.2.50';
const SAME = address(1);
const ALL = address(2);
/** The suite's gRPC echo service (conformance echo-basic). */
const ECHO = 'gateway_api_conformance.echo_basic.grpcecho.GrpcEcho';

const HTTP_BACKENDS = ['infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3'];
const GRPC_BACKENDS = ['grpc-infra-backend-v1', 'grpc-infra-backend-v2', 'grpc-infra-backend-v3'];

function base(backends: ReadonlyMap<string, Endpoint>, certs: Certs): Json[] {
  return [
    ns(INFRA, 'infra'),
    ns(APP, 'backend'),
    ns(WEB, 'backend'),
    { apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: { name: CLASS }, spec: { controllerName: OURS } },
    gw('same-namespace', SAME, [http('http', from('Same'))]),
    gw('all-namespaces', ALL, [http('http', from('All'))]),
    ...HTTP_BACKENDS.flatMap((name) => service(INFRA, name, backends.get(name)!)),
    // The gRPC echo Services: appProtocol kubernetes.io/h2c, as the suite's.
    ...GRPC_BACKENDS.flatMap((name) => service(INFRA, name, backends.get(name)!, [{ port: 8080, appProtocol: 'kubernetes.io/h2c' }])),
    tlsSecret('tls-validity-checks-certificate', certs.infra.cert, certs.infra.key, INFRA),
  ];
}

// ---- requests ----

interface HttpExpect {
  address: string;
  host: string;
  path: string;
  /** A listener port other than 80 (served on its own number). */
  port?: number;
  method?: string;
  headers?: Record<string, string>;
  /** The Service whose echo backend must answer (with 200). */
  backend?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseAbsent?: string[];
  location?: string;
}

interface GrpcExpect {
  grpc: true;
  address: string;
  authority: string;
  /** `/<service>/<method>`. */
  path: string;
  headers?: Record<string, string>;
  /** The gRPC Service whose echo backend must answer. */
  backend?: string;
  /** No route: HTTP 404, which gRPC clients read as UNIMPLEMENTED. */
  unimplemented?: true;
  /** A gRPC status in the trailers-only answer (14: UNAVAILABLE). */
  grpcStatus?: string;
}

type Expect = HttpExpect | GrpcExpect;

const isGrpc = (e: Expect): e is GrpcExpect => 'grpc' in e;

function sendHttp(portero: Portero, e: HttpExpect): Promise<Response> {
  return request({ port: e.port ?? portero.httpPort, address: e.address, host: e.host, path: e.path, method: e.method ?? 'GET', headers: e.headers ?? {} });
}

function sendGrpc(portero: Portero, e: GrpcExpect): Promise<GrpcAnswer> {
  return grpcCall({ url: `http://${e.address}:${portero.httpPort}`, authority: e.authority, path: e.path, headers: e.headers ?? {} });
}

async function check(portero: Portero, e: Expect): Promise<void> {
  if (isGrpc(e)) {
    const what = `gRPC ${e.authority}${e.path} ${JSON.stringify(e.headers ?? {})} on ${e.address}`;
    const answer = await sendGrpc(portero, e);
    if (e.backend) {
      assert.equal(answer.status, 200, `${what}: status`);
      assert.equal(answer.trailers['grpc-status'], '0', `${what}: grpc-status`);
      assert.equal(answer.echo?.name, e.backend, `${what}: backend`);
      assert.equal(answer.echo?.path, e.path, `${what}: path seen`);
    } else if (e.unimplemented) {
      assert.equal(answer.status, 404, `${what}: HTTP 404 (UNIMPLEMENTED)`);
      assert.equal(answer.echo, undefined, `${what}: no backend`);
    } else {
      assert.equal(answer.headers['grpc-status'] ?? answer.trailers['grpc-status'], e.grpcStatus, `${what}: grpc-status`);
      assert.equal(answer.echo, undefined, `${what}: no backend`);
    }
    return;
  }
  const what = `${e.method ?? 'GET'} ${e.host}${e.path} ${JSON.stringify(e.headers ?? {})} on ${e.address}:${e.port ?? 80}`;
  const response = await sendHttp(portero, e);
  if (e.backend) {
    assert.equal(response.status, 200, `${what}: status (${response.body.slice(0, 200)})`);
    assert.equal(response.echo?.name, e.backend, `${what}: backend`);
    assert.equal(response.echo?.url, e.path, `${what}: path seen by the backend`);
  } else {
    assert.equal(response.status, e.status, `${what}: status`);
    assert.equal(response.echo, undefined, `${what}: no backend`);
  }
  for (const [name, value] of Object.entries(e.responseHeaders ?? {})) assert.equal(response.headers[name.toLowerCase()], value, `${what}: response header ${name}`);
  for (const name of e.responseAbsent ?? []) assert.equal(response.headers[name.toLowerCase()], undefined, `${what}: response header ${name} absent`);
  if (e.location !== undefined) assert.equal(response.headers.location, e.location, `${what}: Location`);
}

/** The suite's "eventually consistent": every expectation at once, then once more. */
async function expectAll(portero: Portero, expects: readonly Expect[]): Promise<void> {
  await eventually(async () => {
    for (const e of expects) await check(portero, e);
  }, 30_000, 100);
  for (const e of expects) await check(portero, e);
}

/** The suite's weight test: 500 calls, each share within 5 points of its weight, up to 10 tries. */
async function expectShares(call: () => Promise<string>, shares: Record<string, number>): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 500; i += 1) {
      const who = await call();
      counts[who] = (counts[who] ?? 0) + 1;
    }
    last = JSON.stringify(counts);
    for (const who of Object.keys(counts)) assert.ok((shares[who] ?? 0) > 0, `${who} answered: ${last}`);
    if (Object.entries(shares).every(([who, share]) => Math.abs((counts[who] ?? 0) / 500 - share) <= 0.05)) return;
  }
  assert.fail(`weights not within 5% after 10 tries: ${last}`);
}

// ---- the upstream tests ----

interface Case {
  /** The upstream test's ShortName and file. */
  name: string;
  objects: () => Json[];
  /** Objects the suite creates after the others are accepted, with a later creationTimestamp. */
  later?: () => Json[];
  /** The Gateways whose addresses the case uses (cleanup waits until they answer nothing). */
  addresses: string[];
  expect?: (view: View) => void;
  traffic?: Expect[];
  /** More traffic checks than expectations allow (weights). */
  more?: (portero: Portero) => Promise<void>;
  /** Kubernetes mode only: what the suite changes next, and what must follow. */
  mutate?: (api: KubeApiServer, portero: Portero) => Promise<void>;
}

const grpcRoute = (name: string, spec: Json) => route(name, spec, INFRA, GATEWAY_V1, 'GRPCRoute');
const httpRoute = (name: string, spec: Json) => route(name, spec, INFRA, GATEWAY_V1);
const echo = (method: string): Json => ({ method: { service: ECHO, method } });
const grpcTo = (address: string, method: string, extra: Partial<GrpcExpect> = {}): GrpcExpect => ({ grpc: true, address, authority: 'grpc.example.com', path: `/${ECHO}/${method}`, ...extra });

const ACCEPTED = { accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] } as const;

function redirectScheme(name: string, code: number): Case {
  return {
    name,
    objects: () => [
      httpRoute(`${code}-redirect-scheme`, {
        parentRefs: [parent('same-namespace')],
        rules: [{ matches: [prefix('/scheme-and-temporary')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: code } }] }],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, `${code}-redirect-scheme`, ACCEPTED),
    // The suite: the status code, and scheme https (port 443, so none in Location); host and path as requested.
    traffic: [{ address: SAME, host: 'redirect.example.com', path: '/scheme-and-temporary', status: code, location: 'https://redirect.example.com/scheme-and-temporary' }],
  };
}

/** The two *-same-hostname-intersection tests: an exact route newer than a wildcard one on an exact listener, a more specific wildcard route newer than a wider one on a wildcard listener. */
function sameHostnameIntersection(kind: 'HTTPRoute' | 'GRPCRoute', exactGateway: number, wildcardGateway: number): Case {
  const lower = kind === 'HTTPRoute' ? 'httproute' : 'grpcroute';
  const v = (n: number) => (kind === 'HTTPRoute' ? `infra-backend-v${n}` : `grpc-infra-backend-v${n}`);
  const make = (name: string, spec: Json) => (kind === 'HTTPRoute' ? httpRoute(name, spec) : grpcRoute(name, spec));
  const gateway = (name: string, n: number, listener: string, hostname: string) =>
    gw(name, address(n), [http(listener, { namespaces: { from: 'Same' }, kinds: [{ kind }] }, { hostname })], { apiVersion: GATEWAY_V1 });
  const exactGw = `gw-${lower}-exact-hostname-x`;
  const wildcardGw = `gw-${lower}-wc-hostname-x`;
  const one = (gateway: string, hostname: string, n: number) => ({ parentRefs: [parent(gateway, { namespace: INFRA })], hostnames: [hostname], rules: [{ backendRefs: [backend(v(n))] }] });
  const ask = (n: number): Expect =>
    kind === 'HTTPRoute' ? { address: address(n), host: 'abc.example.com', path: '/', backend: v(2) } : { grpc: true, address: address(n), authority: 'abc.example.com', path: `/${ECHO}/Echo`, backend: v(2) };
  return {
    name: `${kind}MultipleRoutesAttachmentSameHostnameIntersection (${lower}-multiple-routes-attachment-same-hostname-intersection.go): the route's own hostname ranks, not its intersection with the listener's; the more specific, newer route wins`,
    objects: () => [
      gateway(exactGw, exactGateway, 'listener-exact-hostname', 'abc.example.com'),
      gateway(wildcardGw, wildcardGateway, 'listener-wc-hostname', '*.example.com'),
      make(`${lower}-wc-hostname-x-older`, one(exactGw, '*.example.com', 1)),
      make(`${lower}-less-specific-wc-hostname-x-older`, one(wildcardGw, '*.com', 1)),
    ],
    later: () => [make(`${lower}-exact-hostname-x-newer`, { ...one(exactGw, 'abc.example.com', 2), parentRefs: [parent(exactGw)] }), make(`${lower}-more-specific-wc-hostname-x-newer`, { ...one(wildcardGw, '*.example.com', 2), parentRefs: [parent(wildcardGw)] })],
    addresses: [address(exactGateway), address(wildcardGateway)],
    expect: (view) => {
      for (const name of [`${lower}-wc-hostname-x-older`, `${lower}-less-specific-wc-hostname-x-older`, `${lower}-exact-hostname-x-newer`, `${lower}-more-specific-wc-hostname-x-newer`]) expectRoute(view, name, { kind, ...ACCEPTED });
    },
    traffic: [ask(exactGateway), ask(wildcardGateway)],
  };
}

const CASES: Case[] = [
  {
    name: 'HTTPRouteAllBackendsWeightZero (httproute-all-backends-weight-zero.go): every weight 0 answers 500; Accepted, ResolvedRefs True',
    objects: () => [httpRoute('all-backends-weight-zero', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('infra-backend-v1', { weight: 0 }), backend('infra-backend-v2', { weight: 0 })] }] })],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'all-backends-weight-zero', ACCEPTED),
    traffic: [{ address: SAME, host: 'example.com', path: '/', status: 500 }],
  },
  {
    name: 'HTTPRouteHostnamePrecedence (httproute-hostname-precedence.go): a route naming the hostname beats one without, on the same path',
    objects: () => [
      httpRoute('hostname-precedence-without-specific', { parentRefs: [parent('same-namespace')], rules: [{ matches: [prefix('/hostname-precedence')], backendRefs: [backend('infra-backend-v1')] }] }),
      httpRoute('hostname-precedence-with-specific', {
        parentRefs: [parent('same-namespace')],
        hostnames: ['test.com'],
        rules: [{ matches: [prefix('/hostname-precedence')], filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'test', value: 'true' }] } }], backendRefs: [backend('infra-backend-v1')] }],
      }),
    ],
    addresses: [SAME],
    expect: (view) => {
      expectRoute(view, 'hostname-precedence-without-specific', ACCEPTED);
      expectRoute(view, 'hostname-precedence-with-specific', ACCEPTED);
    },
    traffic: [
      { address: SAME, host: 'test.com', path: '/hostname-precedence', backend: 'infra-backend-v1', responseHeaders: { test: 'true' } },
      { address: SAME, host: SAME, path: '/hostname-precedence', backend: 'infra-backend-v1', responseAbsent: ['test'] },
    ],
  },
  sameHostnameIntersection('HTTPRoute', 10, 11),
  redirectScheme('HTTPRoute303RedirectScheme (httproute-303-redirect-scheme.go): scheme https with 303', 303),
  redirectScheme('HTTPRoute307RedirectScheme (httproute-307-redirect-scheme.go): scheme https with 307', 307),
  redirectScheme('HTTPRoute308RedirectScheme (httproute-308-redirect-scheme.go): scheme https with 308', 308),
  {
    name: 'HTTPRouteAdditionalRedirectScheme (httproute-additional-redirect-scheme.go): 307 and 308 scheme redirects on two rules',
    objects: () => [
      httpRoute('additional-redirect-scheme', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { matches: [prefix('/scheme-and-temporary')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 307 } }] },
          { matches: [prefix('/scheme-and-permanent')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }] },
        ],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'additional-redirect-scheme', ACCEPTED),
    traffic: [
      { address: SAME, host: 'redirect.example.com', path: '/scheme-and-temporary', status: 307, location: 'https://redirect.example.com/scheme-and-temporary' },
      { address: SAME, host: 'redirect.example.com', path: '/scheme-and-permanent', status: 308, location: 'https://redirect.example.com/scheme-and-permanent' },
    ],
  },
  {
    name: 'CORSAllowCredentialsBehavior (cors-allow-credentials-behavior.go): Access-Control-Allow-Credentials only where allowCredentials is true, with the Origin echoed',
    objects: () => [
      httpRoute('cors-allow-credentials', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { matches: [prefix('/cors-behavior-creds-false')], backendRefs: [backend('infra-backend-v1')], filters: [{ type: 'CORS', cors: { allowOrigins: ['https://app.example'], allowCredentials: false } }] },
          { matches: [prefix('/cors-behavior-creds-true')], backendRefs: [backend('infra-backend-v1')], filters: [{ type: 'CORS', cors: { allowOrigins: ['https://app.example'], allowCredentials: true } }] },
        ],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'cors-allow-credentials', ACCEPTED),
    traffic: [
      { address: SAME, host: 'example.com', path: '/cors-behavior-creds-false', headers: { Origin: 'https://app.example', Cookie: 'sid=abc123', Authorization: 'Bearer test' }, backend: 'infra-backend-v1', responseAbsent: ['access-control-allow-credentials'] },
      {
        address: SAME,
        host: 'example.com',
        path: '/cors-behavior-creds-true',
        headers: { Origin: 'https://app.example', Cookie: 'sid=abc123', Authorization: 'Bearer test' },
        backend: 'infra-backend-v1',
        responseHeaders: { 'access-control-allow-credentials': 'true', 'access-control-allow-origin': 'https://app.example' },
      },
    ],
  },
  {
    name: 'GRPCExactMethodMatching (grpcroute-exact-method-matching.go): Echo and EchoTwo to their backends, EchoThree UNIMPLEMENTED',
    objects: () => [
      grpcRoute('exact-matching', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { matches: [echo('Echo')], backendRefs: [backend('grpc-infra-backend-v1')] },
          { matches: [echo('EchoTwo')], backendRefs: [backend('grpc-infra-backend-v2')] },
        ],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'exact-matching', { kind: 'GRPCRoute', ...ACCEPTED }),
    traffic: [grpcTo(SAME, 'Echo', { backend: 'grpc-infra-backend-v1' }), grpcTo(SAME, 'EchoTwo', { backend: 'grpc-infra-backend-v2' }), grpcTo(SAME, 'EchoThree', { unimplemented: true })],
  },
  {
    name: 'GRPCRouteHeaderMatching (grpcroute-header-matching.go): more header matches win, ties go to the earlier rule, no match is UNIMPLEMENTED',
    objects: () => {
      const headers = (...pairs: [string, string][]): Json => ({ headers: pairs.map(([name, value]) => ({ name, value })) });
      return [
        grpcRoute('grpc-header-matching', {
          parentRefs: [parent('same-namespace')],
          rules: [
            { matches: [headers(['version', 'one'])], backendRefs: [backend('grpc-infra-backend-v1')] },
            { matches: [headers(['version', 'two'])], backendRefs: [backend('grpc-infra-backend-v2')] },
            { matches: [headers(['version', 'two'], ['color', 'orange'])], backendRefs: [backend('grpc-infra-backend-v1')] },
            { matches: [headers(['color', 'blue']), headers(['color', 'green'])], backendRefs: [backend('grpc-infra-backend-v1')] },
            { matches: [headers(['color', 'red']), headers(['color', 'yellow'])], backendRefs: [backend('grpc-infra-backend-v2')] },
          ],
        }),
      ];
    },
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'grpc-header-matching', { kind: 'GRPCRoute', ...ACCEPTED }),
    traffic: (
      [
        [{ Version: 'one' }, 'grpc-infra-backend-v1'],
        [{ Version: 'two' }, 'grpc-infra-backend-v2'],
        [{ Version: 'two', Color: 'orange' }, 'grpc-infra-backend-v1'],
        [{ Version: 'two', Color: 'blue' }, 'grpc-infra-backend-v2'],
        [{ Color: 'orange' }, undefined],
        [{ 'Some-Other-Header': 'one' }, undefined],
        [{ Color: 'blue' }, 'grpc-infra-backend-v1'],
        [{ Color: 'green' }, 'grpc-infra-backend-v1'],
        [{ Color: 'red' }, 'grpc-infra-backend-v2'],
        [{ Color: 'yellow' }, 'grpc-infra-backend-v2'],
        [{ Color: 'purple' }, undefined],
      ] as const
    ).map(([metadata, to]) => grpcTo(SAME, 'Echo', { headers: Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value])), ...(to ? { backend: to } : { unimplemented: true }) })),
  },
  {
    name: 'GRPCRouteWeight (grpcroute-weight.go): 70/30/0 over 500 calls, each share within 5% (up to 10 tries)',
    objects: () => [
      grpcRoute('weighted-backends', {
        parentRefs: [parent('same-namespace')],
        rules: [{ backendRefs: [backend('grpc-infra-backend-v1', { weight: 70 }), backend('grpc-infra-backend-v2', { weight: 30 }), backend('grpc-infra-backend-v3', { weight: 0 })] }],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'weighted-backends', { kind: 'GRPCRoute', ...ACCEPTED }),
    more: async (portero) => {
      const call = async () => {
        const answer = await sendGrpc(portero, grpcTo(SAME, 'Echo'));
        return answer.echo?.name ?? `status:${answer.status}`;
      };
      await eventually(async () => assert.match(await call(), /^grpc-infra-backend-v[12]$/), 30_000, 100);
      await expectShares(call, { 'grpc-infra-backend-v1': 0.7, 'grpc-infra-backend-v2': 0.3 });
    },
  },
  {
    name: 'GRPCRouteAllBackendsWeightZero (grpcroute-all-backends-weight-zero.go): every weight 0 answers UNAVAILABLE',
    objects: () => [grpcRoute('all-backends-weight-zero', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('grpc-infra-backend-v1', { weight: 0 }), backend('grpc-infra-backend-v2', { weight: 0 })] }] })],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'all-backends-weight-zero', { kind: 'GRPCRoute', accepted: ['True', 'Accepted'] }),
    traffic: [grpcTo(SAME, 'Echo', { grpcStatus: '14' })],
  },
  {
    name: 'GRPCRouteMultipleGateways (grpcroute-multiple-gateways.go): a route shared by two Gateways, and one of its own on each',
    objects: () => [
      grpcRoute('multiple-gateways-shared-route', { parentRefs: [parent('same-namespace'), parent('all-namespaces')], rules: [{ matches: [echo('Echo')], backendRefs: [backend('grpc-infra-backend-v1')] }] }),
      grpcRoute('same-namespace-dedicated-route', { parentRefs: [parent('same-namespace')], rules: [{ matches: [echo('EchoTwo')], backendRefs: [backend('grpc-infra-backend-v2')] }] }),
      grpcRoute('all-namespaces-dedicated-route', { parentRefs: [parent('all-namespaces')], rules: [{ matches: [echo('EchoTwo')], backendRefs: [backend('grpc-infra-backend-v3')] }] }),
    ],
    addresses: [SAME, ALL],
    expect: (view) => {
      expectRoute(view, 'multiple-gateways-shared-route', { kind: 'GRPCRoute', gateway: 'same-namespace', ...ACCEPTED });
      expectRoute(view, 'multiple-gateways-shared-route', { kind: 'GRPCRoute', gateway: 'all-namespaces', ...ACCEPTED });
      expectRoute(view, 'same-namespace-dedicated-route', { kind: 'GRPCRoute', ...ACCEPTED });
      expectRoute(view, 'all-namespaces-dedicated-route', { kind: 'GRPCRoute', ...ACCEPTED });
    },
    traffic: [
      grpcTo(SAME, 'Echo', { backend: 'grpc-infra-backend-v1' }),
      grpcTo(ALL, 'Echo', { backend: 'grpc-infra-backend-v1' }),
      grpcTo(SAME, 'EchoTwo', { backend: 'grpc-infra-backend-v2' }),
      grpcTo(ALL, 'EchoTwo', { backend: 'grpc-infra-backend-v3' }),
    ],
  },
  sameHostnameIntersection('GRPCRoute', 12, 13),
  {
    name: 'GRPCRouteListenerHostnameMatching (grpcroute-listener-hostname-matching.go), traffic: the exact listener beats the wildcard one; a host no listener has is UNIMPLEMENTED',
    objects: () => {
      const gateway = 'grpcroute-listener-hostname-matching';
      const on = (...sections: string[]) => sections.map((sectionName) => parent(gateway, { namespace: INFRA, sectionName }));
      return [
        gw(gateway, address(19), [
          http('listener-1', from('Same'), { hostname: 'bar.com' }),
          http('listener-2', from('Same'), { hostname: 'foo.bar.com' }),
          http('listener-3', from('Same'), { hostname: '*.bar.com' }),
          http('listener-4', from('Same'), { hostname: '*.foo.com' }),
        ], { apiVersion: GATEWAY_V1 }),
        grpcRoute('backend-v1', { parentRefs: on('listener-1'), rules: [{ backendRefs: [backend('grpc-infra-backend-v1')] }] }),
        grpcRoute('backend-v2', { parentRefs: on('listener-2'), rules: [{ backendRefs: [backend('grpc-infra-backend-v2')] }] }),
        grpcRoute('backend-v3', { parentRefs: on('listener-3', 'listener-4'), rules: [{ backendRefs: [backend('grpc-infra-backend-v3')] }] }),
      ];
    },
    addresses: [address(19)],
    // Its status is checked in gateway-conformance-status.test.ts.
    traffic: (
      [
        ['bar.com', 'grpc-infra-backend-v1'],
        ['foo.bar.com', 'grpc-infra-backend-v2'],
        ['baz.bar.com', 'grpc-infra-backend-v3'],
        ['boo.bar.com', 'grpc-infra-backend-v3'],
        ['multiple.prefixes.bar.com', 'grpc-infra-backend-v3'],
        ['multiple.prefixes.foo.com', 'grpc-infra-backend-v3'],
        ['foo.com', undefined],
        ['no.matching.host', undefined],
      ] as const
    ).map(([authority, to]) => grpcTo(address(19), 'Echo', { authority, ...(to ? { backend: to } : { unimplemented: true }) })),
  },
  {
    name: 'GRPCRouteNamedRule (grpcroute-named-rule.go): named rules are accepted and serve',
    objects: () => [
      grpcRoute('grpc-named-rules', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { name: 'named-rule-one', matches: [echo('Echo')], backendRefs: [backend('grpc-infra-backend-v1')] },
          { name: 'named-rule-two', matches: [echo('EchoTwo')], backendRefs: [backend('grpc-infra-backend-v2')] },
        ],
      }),
    ],
    addresses: [SAME],
    expect: (view) => expectRoute(view, 'grpc-named-rules', { kind: 'GRPCRoute', ...ACCEPTED }),
    traffic: [grpcTo(SAME, 'Echo', { backend: 'grpc-infra-backend-v1' }), grpcTo(SAME, 'EchoTwo', { backend: 'grpc-infra-backend-v2' })],
  },
  {
    name: 'GatewayUpdateListenerHostname (gateway-update-listener-hostname.go): NoMatchingListenerHostname until the listener hostname is changed to the route\'s; then Accepted, attachedRoutes 1, served',
    objects: () => [
      gw('gateway-update-listener-hostname', address(14), [http('http', from('Same'), { hostname: 'other.example.com' })], { apiVersion: GATEWAY_V1 }),
      httpRoute('httproute-update-listener-hostname', { parentRefs: [{ kind: 'Gateway', name: 'gateway-update-listener-hostname', namespace: INFRA }], hostnames: ['accepted.example.com'], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
    ],
    addresses: [address(14)],
    expect: (view) => {
      expectRoute(view, 'httproute-update-listener-hostname', { accepted: ['False', 'NoMatchingListenerHostname'] });
      expectGateway(view, 'gateway-update-listener-hostname', { address: address(14), listeners: { http: { attachedRoutes: 0, supportedKinds: ALL_KINDS, conditions: READY } } });
    },
    traffic: [{ address: address(14), host: 'accepted.example.com', path: '/', status: 404 }],
    mutate: async (api, portero) => {
      const current = get(api, 'Gateway', INFRA, 'gateway-update-listener-hostname');
      api.apply({ ...current, spec: { ...current.spec, listeners: [{ ...current.spec.listeners[0], hostname: 'accepted.example.com' }] }, status: undefined });
      await eventually(() => {
        const view = kubeView(api);
        expectRoute(view, 'httproute-update-listener-hostname', { accepted: ['True', 'Accepted'] });
        expectGateway(view, 'gateway-update-listener-hostname', { address: address(14), listeners: { http: { attachedRoutes: 1, supportedKinds: ALL_KINDS, conditions: { Accepted: ['True'], ResolvedRefs: ['True'] } } } });
      }, 15_000);
      await expectAll(portero, [{ address: address(14), host: 'accepted.example.com', path: '/', backend: 'infra-backend-v1' }]);
    },
  },
  {
    name: 'GatewayOverlappingTLSConfigHostnames (gateway-overlapping-tls-config-hostnames.go): OverlappingTLSConfig on the overlapping HTTPS listeners of one port only',
    objects: () => {
      const tls = (name: string, hostname: string, port = 443): Json => ({ name, port, protocol: 'HTTPS', hostname, tls: { mode: 'Terminate', certificateRefs: [certRef('tls-validity-checks-certificate')] }, allowedRoutes: from('Same') });
      return [
        gw('gateway-overlapping-hostnames', address(15), [tls('foo-https', 'foo.example.com'), tls('bar-https', 'bar.bar.example.com'), tls('wildcard-https', '*.example.com'), tls('not-overlapping-https', 'example.com'), tls('not-overlapping-other-port', 'foo.example.com', 9443)], { apiVersion: GATEWAY_V1 }),
      ];
    },
    addresses: [],
    expect: (view) => {
      const status = view.status('Gateway', INFRA, 'gateway-overlapping-hostnames');
      assert.ok(status, 'Gateway gateway-overlapping-hostnames has no status');
      const generation = view.generation('Gateway', INFRA, 'gateway-overlapping-hostnames');
      const listeners = (status.listeners ?? []) as Status[];
      const of = (name: string) => listeners.find((listener) => listener.name === name)?.conditions as Status[] | undefined;
      for (const name of ['foo-https', 'bar-https', 'wildcard-https', 'not-overlapping-https', 'not-overlapping-other-port']) expectCondition(of(name), 'Accepted', ['True', 'Accepted'], generation, name);
      for (const name of ['foo-https', 'bar-https', 'wildcard-https']) expectCondition(of(name), 'OverlappingTLSConfig', ['True', 'OverlappingHostnames'], generation, name);
      for (const name of ['not-overlapping-https', 'not-overlapping-other-port']) assert.equal(of(name)?.find((entry) => entry.type === 'OverlappingTLSConfig'), undefined, `${name}: no OverlappingTLSConfig`);
    },
  },
  {
    name: 'GatewayWithAttachedRoutesWithPort8080 (gateway-with-attached-routes.go): the route names listener http by sectionName; the 8080 listener has none',
    objects: () => [
      gw('gateway-with-two-listeners-and-one-attached-route', address(16), [
        { name: 'http-unattached', port: 8080, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }], namespaces: { from: 'All' } } },
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }], namespaces: { from: 'All' } } },
      ], { apiVersion: GATEWAY_V1 }),
      httpRoute('http-route-4-port8080', { parentRefs: [{ kind: 'Gateway', name: 'gateway-with-two-listeners-and-one-attached-route', namespace: INFRA, sectionName: 'http' }], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
    ],
    addresses: [address(16)],
    expect: (view) => {
      expectRoute(view, 'http-route-4-port8080', ACCEPTED);
      const ready = { Accepted: ['True'], ResolvedRefs: ['True'] } as const;
      expectGateway(view, 'gateway-with-two-listeners-and-one-attached-route', {
        address: address(16),
        listeners: { 'http-unattached': { attachedRoutes: 0, supportedKinds: ['HTTPRoute'], conditions: ready }, http: { attachedRoutes: 1, supportedKinds: ['HTTPRoute'], conditions: ready } },
      });
    },
    traffic: [
      { address: address(16), host: 'example.com', path: '/', backend: 'infra-backend-v1' },
      { address: address(16), port: 8080, host: 'example.com', path: '/', status: 404 },
    ],
  },
  {
    name: 'GatewayNameMaximumLength, GatewayMaximumNameLength (gateway-name-maximum-length.go, gateway-maximum-name-length.go): a Gateway with a 253-character name gets status with its generation, and serves',
    objects: () => [
      gw(`gateway-name-maximum-length-${'a'.repeat(253 - 'gateway-name-maximum-length-'.length)}`, address(17), [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: from('Same') }], { apiVersion: GATEWAY_V1 }),
      httpRoute('route-to-a-long-name', { parentRefs: [parent(`gateway-name-maximum-length-${'a'.repeat(253 - 'gateway-name-maximum-length-'.length)}`)], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
    ],
    addresses: [address(17)],
    expect: (view) => {
      const name = `gateway-name-maximum-length-${'a'.repeat(253 - 'gateway-name-maximum-length-'.length)}`;
      assert.equal(name.length, 253);
      const status = view.status('Gateway', INFRA, name);
      assert.ok(status?.conditions?.length > 0, 'the Gateway has conditions');
      const generation = view.generation('Gateway', INFRA, name);
      expectLatest(status!.conditions, generation, 'Gateway');
      for (const listener of (status!.listeners ?? []) as Status[]) expectLatest(listener.conditions, generation, `listener ${listener.name}`);
      expectRoute(view, 'route-to-a-long-name', ACCEPTED);
    },
    traffic: [{ address: address(17), host: 'example.com', path: '/', backend: 'infra-backend-v1' }],
  },
  {
    name: 'GatewayPreserveForeignConditions (gateway-preserve-foreign-conditions.go): conditions of types Portero does not own, on the Gateway and a listener, survive its writes unchanged',
    objects: () => [gw('gateway-preserve-foreign-conditions', address(18), [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: from('Same') }], { apiVersion: GATEWAY_V1 })],
    addresses: [],
    expect: (view) => expectGateway(view, 'gateway-preserve-foreign-conditions', { address: address(18), listeners: { http: { attachedRoutes: 0, conditions: READY } } }),
    mutate: async (api) => {
      const name = 'gateway-preserve-foreign-conditions';
      const current = get(api, 'Gateway', INFRA, name);
      const seeded = { type: 'StaleCondition', status: 'True', reason: 'Seeded', message: '', observedGeneration: current.metadata.generation, lastTransitionTime: '2026-01-01T00:00:00Z' };
      const status = structuredClone(current.status);
      status.conditions.push(seeded);
      status.listeners[0].conditions.push(seeded);
      api.apply({ ...current, status });
      // Bump the generation: Portero writes the status again while the seeded conditions are there.
      const seededObject = get(api, 'Gateway', INFRA, name);
      api.apply({ ...seededObject, spec: { ...seededObject.spec, listeners: [{ ...seededObject.spec.listeners[0], hostname: 'second.example.com' }] }, status: undefined });
      await eventually(() => {
        const gateway = get(api, 'Gateway', INFRA, name);
        assert.ok(gateway.metadata.generation > current.metadata.generation, 'generation bumped');
        const ours = (conditions: Status[]) => conditions.filter((entry) => entry.type !== 'StaleCondition');
        expectLatest(ours(gateway.status.conditions), gateway.metadata.generation, 'Gateway');
        for (const listener of gateway.status.listeners as Status[]) expectLatest(ours(listener.conditions), gateway.metadata.generation, `listener ${listener.name}`);
        assert.deepEqual(gateway.status.conditions.find((entry: Status) => entry.type === 'StaleCondition'), seeded, 'the Gateway\'s seeded condition');
        assert.deepEqual(gateway.status.listeners[0].conditions.find((entry: Status) => entry.type === 'StaleCondition'), seeded, 'the listener\'s seeded condition');
      }, 15_000);
    },
  },
  {
    name: 'GatewayStaticAddresses (gateway-static-addresses.go): an address type Portero does not bind is UnsupportedAddress; an IP that is not the node\'s is AddressNotUsable; the usable one alone is programmed, bound and the only status address',
    objects: () => [
      gw(STATIC_GATEWAY, address(20), [{ name: 'http', port: 8080, protocol: 'HTTP' }], {
        spec: { addresses: [{ type: 'test/fake-invalid-type', value: 'fake address teehee!' }, { type: 'IPAddress', value: UNUSABLE_ADDRESS }, { type: 'IPAddress', value: address(20) }] },
      }),
    ],
    addresses: [],
    expect: (view) => {
      const status = view.status('Gateway', INFRA, STATIC_GATEWAY);
      expectCondition(status?.conditions, 'Accepted', ['False', 'UnsupportedAddress'], view.generation('Gateway', INFRA, STATIC_GATEWAY), 'Gateway');
    },
    mutate: async (api, portero) => {
      const withAddresses = (keep: (value: string) => boolean) => {
        const current = get(api, 'Gateway', INFRA, STATIC_GATEWAY);
        api.apply({ ...current, spec: { ...current.spec, addresses: current.spec.addresses.filter((entry: Status) => keep(String(entry.value))) }, status: undefined });
      };
      withAddresses((value) => value !== 'fake address teehee!');
      await eventually(() => {
        const gateway = get(api, 'Gateway', INFRA, STATIC_GATEWAY);
        expectLatest(gateway.status.conditions, gateway.metadata.generation, 'Gateway');
        expectCondition(gateway.status.conditions, 'Accepted', ['True', 'Accepted'], gateway.metadata.generation, 'Gateway');
        expectCondition(gateway.status.conditions, 'Programmed', ['False', 'AddressNotUsable'], gateway.metadata.generation, 'Gateway');
      }, 15_000);
      withAddresses((value) => value !== UNUSABLE_ADDRESS);
      await eventually(() => {
        const view = kubeView(api);
        // The suite expects HTTPRoute among the supported kinds (a subset: "the implementation might support more").
        expectGateway(view, STATIC_GATEWAY, { programmed: ['True', 'Programmed'], address: address(20), listeners: { http: { attachedRoutes: 0, supportedKinds: ALL_KINDS, conditions: { Accepted: ['True'], ResolvedRefs: ['True'] } } } });
        assert.equal(get(api, 'Gateway', INFRA, STATIC_GATEWAY).spec.addresses.length, 1);
      }, 15_000);
      // Bound on the usable address: its listener answers (no route attached: 404).
      await eventually(async () => assert.equal((await request({ port: 8080, address: address(20), host: 'example.com', path: '/' })).status, 404), 15_000);
    },
  },
  {
    name: 'GatewayOptionalAddressValue (gateway-optional-address-value.go): an IPAddress without value is assigned the published address',
    objects: () => [
      {
        apiVersion: GATEWAY_V1,
        kind: 'Gateway',
        metadata: { name: 'gateway-without-address-value', namespace: INFRA },
        // Upstream's listener is on 8080; on the shared bind address (127.0.0.1) Portero's --http-port stands in for it, so no test depends on 8080 being free there.
        spec: { gatewayClassName: CLASS, addresses: [{ type: 'IPAddress' }], listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      },
    ],
    addresses: [],
    expect: (view) => {
      const status = view.status('Gateway', INFRA, 'gateway-without-address-value');
      const generation = view.generation('Gateway', INFRA, 'gateway-without-address-value');
      expectLatest(status?.conditions, generation, 'Gateway');
      expectCondition(status?.conditions, 'Accepted', ['True', 'Accepted'], generation, 'Gateway');
      expectCondition(status?.conditions, 'Programmed', ['True', 'Programmed'], generation, 'Gateway');
      // portero check does not know the addresses a running Portero publishes (flags, Service, nodes): it reports none.
      assert.deepEqual(status?.addresses, view.mode === 'check' ? [] : [{ type: 'IPAddress', value: PUBLISHED_ADDRESS }]);
    },
  },
];

// ---- the runs ----

/** After a case: every address it used answers 404 (no route) to any request, so no later case passes on what it left. */
async function cleared(portero: Portero, addresses: readonly string[]): Promise<void> {
  await eventually(async () => {
    for (const at of addresses) {
      const status = await request({ port: portero.httpPort, address: at, host: 'cleared.example.com', path: '/' }).then((response) => response.status, () => 404);
      assert.equal(status, 404, `${at} still serves`);
    }
  }, 30_000, 100);
}

/** Manifests mode: the suite's older and newer objects, by creationTimestamp. */
const stamped = (objects: Json[], time: string) => objects.map((object) => ({ ...object, metadata: { ...(object.metadata as Json), creationTimestamp: time } }));

async function startBackends(): Promise<{ endpoints: Map<string, Endpoint>; close: () => Promise<void> }> {
  const http: Backend[] = [];
  const grpc: GrpcBackend[] = [];
  for (const name of HTTP_BACKENDS) http.push(await startBackend(name));
  for (const name of GRPC_BACKENDS) grpc.push(await startGrpcBackend(name));
  const endpoints = new Map<string, Endpoint>([...http, ...grpc].map((server) => [server.name, server]));
  return { endpoints, close: async () => void (await Promise.all([...http, ...grpc].map((server) => server.close()))) };
}

describe('Gateway API conformance, more cases, Kubernetes mode', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let backends: Awaited<ReturnType<typeof startBackends>>;

  before(async () => {
    backends = await startBackends();
    api = await startApi();
    for (const object of base(backends.endpoints, await certificates())) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--publish-status-address', PUBLISHED_ADDRESS], env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    await backends?.close();
  });

  for (const testCase of CASES) {
    test(testCase.name, async () => {
      const objects = testCase.objects();
      const later = testCase.later?.() ?? [];
      for (const object of objects) api.apply(object);
      try {
        if (later.length > 0) {
          // As the suite: the older routes accepted first, the newer ones created at least a second (the timestamps' precision) later.
          const routes = objects.filter((object) => String(object.kind).endsWith('Route'));
          await eventually(() => {
            for (const object of routes) expectRoute(kubeView(api), String((object.metadata as Json).name), { kind: object.kind as 'HTTPRoute' | 'GRPCRoute', accepted: ['True', 'Accepted'] });
          }, 15_000);
          const newest = Math.max(...routes.map((object) => Date.parse(get(api, String(object.kind), INFRA, String((object.metadata as Json).name)).metadata.creationTimestamp)));
          await eventually(() => assert.ok(Date.now() >= newest + 1000, 'a second later'), 3_000, 50);
          for (const object of later) api.apply(object);
        }
        if (testCase.expect) await eventually(() => testCase.expect!(kubeView(api)), 15_000);
        await expectAll(portero, testCase.traffic ?? []);
        await testCase.more?.(portero);
        await testCase.mutate?.(api, portero);
      } finally {
        for (const object of [...objects, ...later].reverse()) deleteIfPresent(api, object);
      }
      await cleared(portero, testCase.addresses);
    });
  }
});

describe('Gateway API conformance, more cases, standalone mode (manifests; status by portero check)', () => {
  let portero: Portero;
  let backends: Awaited<ReturnType<typeof startBackends>>;
  let certs: Certs;
  let root: string;

  before(async () => {
    backends = await startBackends();
    certs = await certificates();
    root = await tempDir('portero-conformance-more-');
    portero = await startPortero({ files: { 'base.yaml': base(backends.endpoints, certs) } });
  });

  after(async () => {
    await portero?.dispose();
    await backends?.close();
  });

  for (const [index, testCase] of CASES.entries()) {
    test(testCase.name, async () => {
      const objects = [...stamped(testCase.objects(), '2026-01-01T00:00:00Z'), ...stamped(testCase.later?.() ?? [], '2026-01-01T00:00:01Z')];
      if (testCase.expect) {
        const dir = join(root, String(index));
        await mkdir(dir);
        const all = [...base(backends.endpoints, certs), ...objects];
        await writeFile(join(dir, 'base-and-test.yaml'), toYaml(all));
        const run = await runCheck(dir);
        assert.ok(run.code === 0 || run.code === 1, `check exited ${run.code}: ${run.stderr}`);
        assert.equal(run.stderr, '', 'check: nothing refused');
        testCase.expect(checkView(JSON.parse(run.stdout) as CheckReport, all));
      }
      await portero.write('case.yaml', objects);
      try {
        await expectAll(portero, testCase.traffic ?? []);
        await testCase.more?.(portero);
      } finally {
        await portero.remove('case.yaml');
      }
      await cleared(portero, testCase.addresses);
    });
  }
});
