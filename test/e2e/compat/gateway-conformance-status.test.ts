// The Gateway API conformance suite's GATEWAY-HTTP *status* checks (core,
// and the common extended ones), ported from kubernetes-sigs/gateway-api
// conformance/tests/<name>.go and .yaml on conformance/base/manifests.yaml,
// run twice on the same manifests:
// - Kubernetes mode: one Portero against the in-repo API test server, one
//   upstream test after the other (its manifests applied, its status read
//   back from the API, a few requests through real HAProxy, then its
//   manifests deleted, as the suite cleans up), plus the mutations the
//   suite makes (a ReferenceGrant deleted, generation bumps, listeners
//   added and removed);
// - `portero check --manifests DIR -o json` on the base and each test's
//   manifests, which must report the same conditions (the same translate
//   code computes them).
// Conditions are checked by type, status and reason (where upstream names
// one), with observedGeneration equal to the object's metadata.generation
// (absent in manifests, as users write them, so absent in check's report).
// Every Gateway carries spec.addresses (a loopback IP of 127.0.4.0/24, one
// per Gateway, as the suite gives each Gateway its own address); listeners
// on 80 and 443 are served on Portero's --http-port and --https-port there.
//
// Manifests differ from upstream only in: the class name (portero); the
// addresses; API versions the v1.6 CRDs no longer serve (v1alpha2 HTTPRoute,
// GRPCRoute and ReferenceGrant → v1beta1 / v1); and Services with
// EndpointSlices on real loopback backends instead of Deployments.
// Reconstructed (the upstream .yaml is not in the reference index; built
// from the .go file and notes/gateway-api.md §3): gateway-invalid-parameters-ref,
// httproute-omitted-backendrefs, httproute-invalid-nonexistent-backendref,
// httproute-invalid-backendref-unknown-kind, httproute-invalid-cross-namespace-*,
// httproute-reference-grant, httproute-invalid-reference-grant (the 7
// near-miss grants), httproute-observed-generation-bump,
// gateway-observed-generation-bump, gatewayclass-observed-generation-bump,
// gateway-secret-{missing,invalid}-reference-grant and -reference-grant-*,
// the unresolved HTTPS Gateway of gateway-with-attached-routes, and
// httproute-listener-port-matching / -invalid-parentref-not-matching-listener-port.
//
// not ported: HTTPRouteDisallowedKind — runs only when TLSRoute is claimed; Portero serves no TLS listeners (docs/gateway-api.md)
// not ported: GatewayWithAttachedRoutes "route with a non-matching hostname" sub-case — its v1.6 manifest is not in the reference index; NoMatchingListenerHostname is covered by HTTPRouteHostnameIntersection
// not ported here: GatewayWithAttachedRoutesWithPort8080 — ported in gateway-conformance-more.test.ts, with the conformance tests newer than these
// not ported: the traffic halves of HTTPRouteHostnameIntersection's second Gateway and of GRPCRouteListenerHostnameMatching — traffic, ported with the Gateway traffic checks

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeApiServer } from '../../kube-api-server/server.js';
import type { CheckReport } from '../../../src/cli/check/report.js';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { GATEWAY_V1, GATEWAY_V1BETA1 } from '../../helpers/gateway-api-manifests.js';
import { request } from '../../helpers/http.js';
import {
  ALL_KINDS, APP, CLASS, FOREIGN, GROUP, INFRA, OURS, READY, WEB,
  backend, certRef, certificates, checkView, deleteIfPresent, expectCondition, expectGateway, expectRoute, expectTraffic, from, get, grant, gw, http, https, kubeView, ns, parent, prefix, route, runCheck, selector, service,
  type Case, type Certs, type Endpoint, type ListenerExpectation, type Status,
} from '../../helpers/gateway-conformance.js';
import { kubeconfigFile, startApi, tempDir } from '../../helpers/kube.js';
import { tlsSecret, toYaml, type Json } from '../../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../../helpers/portero.js';

/** Addresses: the base Gateways first, then one per test Gateway. */
const ADDRESS = {
  sameNamespace: '127.0.4.1',
  withHttps: '127.0.4.2',
  allNamespaces: '127.0.4.3',
  backendNamespaces: '127.0.4.4',
};
const address = (n: number) => `127.0.4.${n}`;


function base(backends: ReadonlyMap<string, Endpoint>, certs: Certs): Json[] {
  const b = (name: string) => backends.get(name)!;
  return [
    ns(INFRA, 'infra'),
    ns(APP, 'backend'),
    ns(WEB, 'backend'),
    { apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: { name: CLASS }, spec: { controllerName: OURS } },
    gw('same-namespace', ADDRESS.sameNamespace, [http('http', from('Same'))]),
    gw('same-namespace-with-https-listener', ADDRESS.withHttps, [
      https('https', from('Same'), [certRef('tls-validity-checks-certificate', { namespace: INFRA })]),
      https('https-with-hostname', from('Same'), [certRef('tls-validity-checks-certificate', { namespace: INFRA })], { hostname: 'second-example.org' }),
    ]),
    gw('all-namespaces', ADDRESS.allNamespaces, [http('http', from('All'))]),
    gw('backend-namespaces', ADDRESS.backendNamespaces, [http('http', selector({ 'gateway-conformance': 'backend' }))]),
    ...service(INFRA, 'infra-backend-v1', b('infra-backend-v1'), [
      { name: 'first-port', port: 8080 },
      { name: 'second-port', port: 8081, appProtocol: 'kubernetes.io/h2c' },
      { name: 'third-port', port: 8082, appProtocol: 'kubernetes.io/ws' },
    ]),
    ...service(INFRA, 'infra-backend-v2', b('infra-backend-v2')),
    ...service(INFRA, 'infra-backend-v3', b('infra-backend-v3')),
    ...service(APP, 'app-backend-v1', b('app-backend-v1')),
    ...service(APP, 'app-backend-v2', b('app-backend-v2')),
    ...service(WEB, 'web-backend', b('web-backend')),
    ...['v1', 'v2', 'v3'].flatMap((v) => service(INFRA, `grpc-infra-backend-${v}`, b('infra-backend-v1'), [{ port: 8080, appProtocol: 'kubernetes.io/h2c' }])),
    tlsSecret('tls-validity-checks-certificate', certs.infra.cert, certs.infra.key, INFRA),
    tlsSecret('certificate', certs.web.cert, certs.web.key, WEB),
  ];
}

const CASES: Case[] = [
  {
    name: 'HTTPRouteSimpleSameNamespace (httproute-simple-same-namespace.go): Accepted and ResolvedRefs, every listener Accepted, ResolvedRefs and Programmed',
    objects: () => [route('gateway-conformance-infra-test', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('infra-backend-v1')] }] })],
    expect: (view) => {
      expectRoute(view, 'gateway-conformance-infra-test', { gateway: 'same-namespace', accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] });
      expectGateway(view, 'same-namespace', { accepted: ['True', 'Accepted'], programmed: ['True', 'Programmed'], address: ADDRESS.sameNamespace, listeners: { http: { attachedRoutes: 1, supportedKinds: ALL_KINDS, conditions: READY } } });
    },
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 'infra-backend-v1' }],
  },
  {
    name: 'HTTPRouteCrossNamespace (httproute-cross-namespace.go): a route of a selected namespace is accepted',
    objects: () => [route('cross-namespace', { parentRefs: [parent('backend-namespaces', { namespace: INFRA })], rules: [{ backendRefs: [backend('web-backend')] }] }, WEB)],
    expect: (view) => {
      expectRoute(view, 'cross-namespace', { namespace: WEB, accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] });
      expectGateway(view, 'backend-namespaces', { address: ADDRESS.backendNamespaces, listeners: { http: { attachedRoutes: 1, supportedKinds: ALL_KINDS, conditions: READY } } });
    },
    traffic: [{ address: ADDRESS.backendNamespaces, path: '/', expect: 'web-backend' }],
  },
  {
    name: 'HTTPRouteInvalidCrossNamespaceParentRef (httproute-invalid-cross-namespace-parent-ref.go): NotAllowedByListeners, attachedRoutes 0',
    objects: () => [route('invalid-cross-namespace-parent-ref', { parentRefs: [parent('same-namespace', { namespace: INFRA })], rules: [{ backendRefs: [backend('web-backend')] }] }, WEB)],
    expect: (view) => {
      expectRoute(view, 'invalid-cross-namespace-parent-ref', { namespace: WEB, accepted: ['False', 'NotAllowedByListeners'], resolvedRefs: ['True', 'ResolvedRefs'] });
      expectGateway(view, 'same-namespace', { address: ADDRESS.sameNamespace, listeners: { http: { attachedRoutes: 0, conditions: READY } } });
    },
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 404 }],
  },
  {
    name: 'HTTPRouteHostnameIntersection (httproute-hostname-intersection.go): NoMatchingListenerHostname for the 5th route, attachedRoutes 2/1/1',
    objects: () => [
      gw('httproute-hostname-intersection', address(10), [
        http('listener-1', from('Same'), { hostname: 'very.specific.com' }),
        http('listener-2', from('Same'), { hostname: '*.wildcard.io' }),
        http('listener-3', from('Same'), { hostname: '*.anotherwildcard.io' }),
      ]),
      ...(
        [
          ['specific-host-matches-listener-specific-host', ['non.matching.com', '*.nonmatchingwildcard.io', 'very.specific.com'], '/s1', 'infra-backend-v1'],
          ['specific-host-matches-listener-wildcard-host', ['non.matching.com', 'wildcard.io', 'foo.wildcard.io', 'bar.wildcard.io', 'foo.bar.wildcard.io'], '/s2', 'infra-backend-v2'],
          ['wildcard-host-matches-listener-specific-host', ['non.matching.com', '*.specific.com'], '/s3', 'infra-backend-v3'],
          ['wildcard-host-matches-listener-wildcard-host', ['*.anotherwildcard.io'], '/s4', 'infra-backend-v1'],
          ['no-intersecting-hosts', ['specific.but.wrong.com', 'wildcard.io'], '/s5', 'infra-backend-v2'],
        ] as const
      ).map(([name, hostnames, path, service]) =>
        route(name, { parentRefs: [parent('httproute-hostname-intersection', { namespace: INFRA })], hostnames, rules: [{ matches: [prefix(path)], backendRefs: [backend(service)] }] }),
      ),
    ],
    expect: (view) => {
      for (const name of ['specific-host-matches-listener-specific-host', 'specific-host-matches-listener-wildcard-host', 'wildcard-host-matches-listener-specific-host', 'wildcard-host-matches-listener-wildcard-host']) {
        expectRoute(view, name, { accepted: ['True', 'Accepted'], resolvedRefs: ['True'] });
      }
      expectRoute(view, 'no-intersecting-hosts', { accepted: ['False', 'NoMatchingListenerHostname'] });
      expectGateway(view, 'httproute-hostname-intersection', {
        address: address(10),
        listeners: { 'listener-1': { attachedRoutes: 2, conditions: READY }, 'listener-2': { attachedRoutes: 1, conditions: READY }, 'listener-3': { attachedRoutes: 1, conditions: READY } },
      });
    },
    traffic: [
      { address: address(10), host: 'very.specific.com', path: '/s1', expect: 'infra-backend-v1' },
      { address: address(10), host: 'very.specific.com:1234', path: '/s3', expect: 'infra-backend-v3' },
      { address: address(10), host: 'foo.bar.wildcard.io', path: '/s2', expect: 'infra-backend-v2' },
      { address: address(10), host: 'anything.anotherwildcard.io', path: '/s4', expect: 'infra-backend-v1' },
      { address: address(10), host: 'non.matching.com', path: '/s1', expect: 404 },
      { address: address(10), host: 'wildcard.io', path: '/s5', expect: 404 },
    ],
  },
  {
    name: 'HTTPRouteInvalidNonExistentBackendRef (httproute-invalid-nonexistent-backendref.go): Accepted, ResolvedRefs False BackendNotFound, 500',
    objects: () => [route('invalid-nonexistent-backend-ref', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('nonexistent-backend')] }] })],
    expect: (view) => expectRoute(view, 'invalid-nonexistent-backend-ref', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'BackendNotFound'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 500 }],
  },
  {
    name: 'HTTPRouteInvalidBackendRefUnknownKind (httproute-invalid-backendref-unknown-kind.go): ResolvedRefs False InvalidKind, 500',
    objects: () => [
      route('invalid-backend-ref-unknown-kind', {
        parentRefs: [parent('same-namespace')],
        rules: [{ matches: [prefix('/v2')], backendRefs: [backend('infra-backend-v2', { group: 'unknownkind.example.com', kind: 'NonExistent' })] }],
      }),
    ],
    expect: (view) => expectRoute(view, 'invalid-backend-ref-unknown-kind', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'InvalidKind'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/v2', expect: 500 }],
  },
  {
    name: 'HTTPRouteInvalidCrossNamespaceBackendRef (httproute-invalid-cross-namespace-backend-ref.go): ResolvedRefs False RefNotPermitted, 500',
    objects: () => [route('invalid-cross-namespace-backend-ref', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('web-backend', { namespace: WEB })] }] })],
    expect: (view) => expectRoute(view, 'invalid-cross-namespace-backend-ref', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'RefNotPermitted'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 500 }],
  },
  {
    name: 'HTTPRouteReferenceGrant (httproute-reference-grant.go): ResolvedRefs True with the grant; deleting it flips ResolvedRefs to RefNotPermitted and answers 500',
    objects: () => [
      grant('reference-grant', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service', name: 'web-backend' }),
      route('reference-grant', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('web-backend', { namespace: WEB })] }] }),
    ],
    expect: (view) => expectRoute(view, 'reference-grant', { accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 'web-backend' }],
    mutate: async (api, portero) => {
      api.delete(GATEWAY_V1, 'ReferenceGrant', WEB, 'reference-grant');
      await eventually(() => expectRoute(kubeView(api), 'reference-grant', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'RefNotPermitted'] }), 15_000);
      await expectTraffic(portero, [{ address: ADDRESS.sameNamespace, path: '/', expect: 500 }]);
    },
  },
  {
    name: 'HTTPRouteInvalidReferenceGrant (httproute-invalid-reference-grant.go): 7 near-miss grants permit nothing: RefNotPermitted, 500',
    objects: () => [
      grant('reference-grant-wrong-namespace', APP, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service', name: 'web-backend' }),
      grant('reference-grant-wrong-from-group', WEB, { group: 'not-the-group-youre-looking-for', kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service', name: 'web-backend' }),
      grant('reference-grant-wrong-from-kind', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Service', name: 'web-backend' }),
      grant('reference-grant-wrong-from-namespace', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: 'not-the-namespace-youre-looking-for' }, { group: '', kind: 'Service', name: 'web-backend' }),
      grant('reference-grant-wrong-to-group', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: 'not-the-group-youre-looking-for', kind: 'Service', name: 'web-backend' }),
      grant('reference-grant-wrong-to-kind', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Secret', name: 'web-backend' }),
      grant('reference-grant-wrong-to-name', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service', name: 'not-the-service-youre-looking-for' }),
      route('invalid-reference-grant', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('web-backend', { namespace: WEB })] }] }),
    ],
    expect: (view) => expectRoute(view, 'invalid-reference-grant', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'RefNotPermitted'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 500 }],
  },
  {
    name: 'HTTPRoutePartiallyInvalidViaInvalidReferenceGrant (httproute-partially-invalid-via-reference-grant.go): the ungranted rule answers 500, the granted one is served',
    objects: () => [
      grant('invalid-reference-grant', APP, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Service', name: 'app-backend-v1' }),
      route('invalid-reference-grant', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { matches: [prefix('/v2')], backendRefs: [backend('app-backend-v2', { namespace: APP })] },
          { backendRefs: [backend('app-backend-v1', { namespace: APP })] },
        ],
      }),
    ],
    expect: (view) => expectRoute(view, 'invalid-reference-grant', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'RefNotPermitted'] }),
    traffic: [
      { address: ADDRESS.sameNamespace, path: '/v2', expect: 500 },
      { address: ADDRESS.sameNamespace, path: '/', expect: 'app-backend-v1' },
    ],
  },
  {
    name: 'HTTPRouteInvalidParentRefNotMatchingSectionName (httproute-invalid-parentref-not-matching-section-name.go): NoMatchingParent, attachedRoutes 0',
    objects: () => [route('httproute-listener-not-matching-route-port', { parentRefs: [parent('same-namespace', { namespace: INFRA, port: 80, sectionName: 'http1' })], rules: [{ backendRefs: [backend('infra-backend-v1', { kind: 'Service' })] }] })],
    expect: (view) => {
      expectRoute(view, 'httproute-listener-not-matching-route-port', { accepted: ['False', 'NoMatchingParent'] });
      expectGateway(view, 'same-namespace', { address: ADDRESS.sameNamespace, listeners: { http: { attachedRoutes: 0, conditions: READY } } });
    },
  },
  {
    name: 'HTTPRouteNoBackendRefs (httproute-no-backendrefs.go): omitted and empty backendRefs answer 500 with ResolvedRefs True',
    objects: () => [
      route('omitted-backendrefs', {
        parentRefs: [parent('same-namespace')],
        rules: [
          { matches: [prefix('/omitted-no-forward')] },
          { matches: [prefix('/empty-no-forward')], backendRefs: [] },
          { matches: [prefix('/forward')], backendRefs: [backend('infra-backend-v1')] },
        ],
      }),
    ],
    expect: (view) => expectRoute(view, 'omitted-backendrefs', { gateway: 'same-namespace', accepted: ['True'], resolvedRefs: ['True', 'ResolvedRefs'] }),
    traffic: [
      { address: ADDRESS.sameNamespace, path: '/forward', expect: 'infra-backend-v1' },
      { address: ADDRESS.sameNamespace, path: '/omitted-no-forward', expect: 500 },
      { address: ADDRESS.sameNamespace, path: '/empty-no-forward', expect: 500 },
    ],
  },
  {
    name: 'HTTPRouteObservedGenerationBump (httproute-observed-generation-bump.go): after a spec change every condition carries the new generation',
    objects: () => [route('observed-generation-bump', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('infra-backend-v1')] }] })],
    expect: (view) => expectRoute(view, 'observed-generation-bump', { accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] }),
    traffic: [{ address: ADDRESS.sameNamespace, path: '/', expect: 'infra-backend-v1' }],
    mutate: async (api, portero) => {
      const current = get(api, 'HTTPRoute', INFRA, 'observed-generation-bump');
      assert.equal(current.metadata.generation, 1);
      api.apply({ ...current, spec: { ...current.spec, rules: [{ backendRefs: [backend('infra-backend-v2')] }] }, status: undefined });
      assert.equal(get(api, 'HTTPRoute', INFRA, 'observed-generation-bump').metadata.generation, 2);
      // expectRoute compares observedGeneration with the current generation: 2.
      await eventually(() => expectRoute(kubeView(api), 'observed-generation-bump', { accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] }), 15_000);
      await expectTraffic(portero, [{ address: ADDRESS.sameNamespace, path: '/', expect: 'infra-backend-v2' }]);
    },
  },
  {
    name: 'GatewayWithAttachedRoutes (gateway-with-attached-routes.go): attachedRoutes 1 and 2; an HTTPS listener with a missing certificate still counts its route',
    objects: () => {
      const infraOnly = selector({ 'kubernetes.io/metadata.name': INFRA }, ['HTTPRoute']);
      const toGateway = (name: string, extra: Json = {}) => [{ kind: 'Gateway', name, namespace: INFRA, ...extra }];
      return [
        gw('gateway-with-one-attached-route', address(11), [http('http', infraOnly)]),
        route('http-route-1', { parentRefs: toGateway('gateway-with-one-attached-route'), rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
        gw('gateway-with-two-attached-routes', address(12), [http('http', infraOnly)]),
        route('http-route-2', { parentRefs: toGateway('gateway-with-two-attached-routes'), rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
        route('http-route-3', { parentRefs: toGateway('gateway-with-two-attached-routes'), rules: [{ backendRefs: [backend('infra-backend-v1')] }] }),
        gw('unresolved-gateway-with-one-attached-unresolved-route', address(13), [https('tls', infraOnly, [certRef('does-not-exist')])]),
        route('http-route-4', { parentRefs: toGateway('unresolved-gateway-with-one-attached-unresolved-route', { sectionName: 'tls' }), rules: [{ backendRefs: [backend('does-not-exist')] }] }),
      ];
    },
    expect: (view) => {
      const ok = (attachedRoutes: number): ListenerExpectation => ({ attachedRoutes, supportedKinds: ['HTTPRoute'], conditions: { Accepted: ['True'], ResolvedRefs: ['True'] } });
      expectGateway(view, 'gateway-with-one-attached-route', { address: address(11), listeners: { http: ok(1) } });
      expectGateway(view, 'gateway-with-two-attached-routes', { address: address(12), listeners: { http: ok(2) } });
      expectGateway(view, 'unresolved-gateway-with-one-attached-unresolved-route', {
        address: address(13),
        listeners: { tls: { attachedRoutes: 1, supportedKinds: ['HTTPRoute'], conditions: { Accepted: ['True'], Programmed: ['False'], ResolvedRefs: ['False', 'InvalidCertificateRef'] } } },
      });
      for (const name of ['http-route-1', 'http-route-2', 'http-route-3']) expectRoute(view, name, { accepted: ['True', 'Accepted'], resolvedRefs: ['True'] });
      expectRoute(view, 'http-route-4', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'BackendNotFound'] });
    },
    traffic: [
      { address: address(11), path: '/', expect: 'infra-backend-v1' },
      { address: address(12), path: '/', expect: 'infra-backend-v1' },
    ],
  },
  {
    name: 'GatewayInvalidRouteKind (gateway-invalid-route-kind.go): ResolvedRefs False InvalidRouteKinds, supportedKinds [] or [HTTPRoute]',
    objects: () => [
      gw('gateway-only-invalid-route-kind', address(14), [http('http', { namespaces: { from: 'All' }, kinds: [{ kind: 'InvalidRoute' }] })], { apiVersion: GATEWAY_V1 }),
      gw('gateway-http-supported-and-invalid-route-kind', address(15), [http('http', { namespaces: { from: 'All' }, kinds: [{ kind: 'InvalidRoute' }, { kind: 'HTTPRoute' }] })], { apiVersion: GATEWAY_V1 }),
      gw('gateway-tls-supported-and-invalid-route-kind', address(16), [{ name: 'tls', port: 443, protocol: 'TLS', allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'TCPRoute' }, { kind: 'TLSRoute' }] }, tls: { mode: 'Passthrough' } }], { apiVersion: GATEWAY_V1 }),
    ],
    expect: (view) => {
      expectGateway(view, 'gateway-only-invalid-route-kind', { address: address(14), listeners: { http: { attachedRoutes: 0, supportedKinds: [], conditions: { ResolvedRefs: ['False', 'InvalidRouteKinds'] } } } });
      expectGateway(view, 'gateway-http-supported-and-invalid-route-kind', { address: address(15), listeners: { http: { attachedRoutes: 0, supportedKinds: ['HTTPRoute'], conditions: { ResolvedRefs: ['False', 'InvalidRouteKinds'] } } } });
      // Deliberate difference (docs/gateway-api.md: HTTP and HTTPS listeners only): upstream expects this TLS listener to
      // keep TLSRoute in supportedKinds when TLSRoute is claimed; Portero serves no TLS protocol, so the listener is not
      // accepted (UnsupportedProtocol) and supports no kind, and the Gateway, with no listener accepted, is not accepted.
      expectGateway(view, 'gateway-tls-supported-and-invalid-route-kind', {
        accepted: ['False', 'ListenersNotValid'],
        address: address(16),
        listeners: { tls: { attachedRoutes: 0, supportedKinds: [], conditions: { Accepted: ['False', 'UnsupportedProtocol'] } } },
      });
    },
  },
  {
    name: 'GatewayInvalidTLSConfiguration (gateway-invalid-tls-configuration.go): missing Secret, wrong group, wrong kind, malformed PEM → InvalidCertificateRef; the HTTP listener still serves',
    objects: () => {
      const variants = [
        ['gateway-certificate-nonexistent-secret', certRef('nonexistent-certificate'), 'nonexistent-certificate.example.com'],
        ['gateway-certificate-unsupported-group', { group: 'wrong.group.company.io', kind: 'Secret', name: 'tls-validity-checks-certificate' }, 'unsupported-group-certificate.example.com'],
        ['gateway-certificate-unsupported-kind', { group: '', kind: 'WrongKind', name: 'tls-validity-checks-certificate' }, 'unsupported-kind-certificate.example.com'],
        ['gateway-certificate-malformed-secret', certRef('malformed-certificate'), 'malformed-certificate.example.com'],
      ] as const;
      return [
        ...variants.flatMap(([name, ref, hostname], index) => [
          gw(name, address(17 + index), [http('http', from('Same')), https('https', from('All'), [ref])], { apiVersion: GATEWAY_V1 }),
          route(`${name}-control`, { parentRefs: [parent(name, { sectionName: 'http' })], hostnames: [hostname], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }, INFRA, GATEWAY_V1),
        ]),
        // "base64 of "Hello world"", certificate and key identical.
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'malformed-certificate', namespace: INFRA }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'SGVsbG8gd29ybGQK', 'tls.key': 'SGVsbG8gd29ybGQK' } },
      ];
    },
    expect: (view) => {
      ['gateway-certificate-nonexistent-secret', 'gateway-certificate-unsupported-group', 'gateway-certificate-unsupported-kind', 'gateway-certificate-malformed-secret'].forEach((name, index) => {
        expectGateway(view, name, {
          address: address(17 + index),
          listeners: {
            http: { attachedRoutes: 1, conditions: READY },
            https: { attachedRoutes: 0, conditions: { Accepted: ['True'], ResolvedRefs: ['False', 'InvalidCertificateRef'], Programmed: ['False'] } },
          },
        });
        expectRoute(view, `${name}-control`, { accepted: ['True', 'Accepted'], resolvedRefs: ['True'] });
      });
    },
    traffic: [
      { address: address(17), host: 'nonexistent-certificate.example.com', path: '/', expect: 'infra-backend-v1' },
      { address: address(20), host: 'malformed-certificate.example.com', path: '/', expect: 'infra-backend-v1' },
    ],
  },
  {
    name: 'GatewaySecretMissingReferenceGrant (gateway-secret-missing-reference-grant.go): a Secret of another namespace without a grant is RefNotPermitted',
    objects: () => [gw('gateway-secret-missing-reference-grant', address(21), [https('https', from('All'), [certRef('certificate', { namespace: WEB })])])],
    expect: (view) =>
      expectGateway(view, 'gateway-secret-missing-reference-grant', { address: address(21), listeners: { https: { attachedRoutes: 0, conditions: { ResolvedRefs: ['False', 'RefNotPermitted'], Programmed: ['False'] } } } }),
  },
  {
    name: 'GatewaySecretInvalidReferenceGrant (gateway-secret-invalid-reference-grant.go): 7 near-miss grants permit nothing: RefNotPermitted',
    objects: () => [
      gw('gateway-secret-invalid-reference-grant', address(22), [https('https', from('All'), [certRef('certificate', { namespace: WEB })])]),
      grant('reference-grant-wrong-namespace', APP, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Secret', name: 'certificate' }),
      grant('reference-grant-wrong-from-group', WEB, { group: 'not-the-group-youre-looking-for', kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Secret', name: 'certificate' }),
      grant('reference-grant-wrong-from-kind', WEB, { group: GROUP, kind: 'HTTPRoute', namespace: INFRA }, { group: '', kind: 'Secret', name: 'certificate' }),
      grant('reference-grant-wrong-from-namespace', WEB, { group: GROUP, kind: 'Gateway', namespace: 'not-the-namespace-youre-looking-for' }, { group: '', kind: 'Secret', name: 'certificate' }),
      grant('reference-grant-wrong-to-group', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: 'not-the-group-youre-looking-for', kind: 'Secret', name: 'not-the-certificate-youre-looking-for' }),
      grant('reference-grant-wrong-to-kind', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Service', name: 'certificate' }),
      grant('reference-grant-wrong-to-name', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Secret', name: 'not-the-certificate-youre-looking-for' }),
    ],
    expect: (view) =>
      expectGateway(view, 'gateway-secret-invalid-reference-grant', { address: address(22), listeners: { https: { attachedRoutes: 0, conditions: { ResolvedRefs: ['False', 'RefNotPermitted'], Programmed: ['False'] } } } }),
  },
  {
    name: 'GatewaySecretReferenceGrantSpecific (gateway-secret-reference-grant-specific.go): a grant naming the Secret resolves it; Programmed',
    objects: () => [
      gw('gateway-secret-reference-grant-specific', address(23), [https('https', from('All'), [certRef('certificate', { namespace: WEB })])]),
      grant('reference-grant-specific', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Secret', name: 'certificate' }),
    ],
    expect: (view) =>
      expectGateway(view, 'gateway-secret-reference-grant-specific', { programmed: ['True', 'Programmed'], address: address(23), listeners: { https: { attachedRoutes: 0, conditions: { Accepted: ['True'], ResolvedRefs: ['True'], Programmed: ['True', 'Programmed'] } } } }),
  },
  {
    name: 'GatewaySecretReferenceGrantAllInNamespace (gateway-secret-reference-grant-all-in-namespace.go): a grant without a name resolves every Secret there',
    objects: () => [
      gw('gateway-secret-reference-grant-all-in-namespace', address(24), [https('https', from('All'), [certRef('certificate', { namespace: WEB })])]),
      grant('reference-grant-all-in-namespace', WEB, { group: GROUP, kind: 'Gateway', namespace: INFRA }, { group: '', kind: 'Secret' }),
    ],
    expect: (view) =>
      expectGateway(view, 'gateway-secret-reference-grant-all-in-namespace', { programmed: ['True', 'Programmed'], address: address(24), listeners: { https: { attachedRoutes: 0, conditions: { Accepted: ['True'], ResolvedRefs: ['True'], Programmed: ['True', 'Programmed'] } } } }),
  },
  {
    name: 'GatewayListenerUnsupportedProtocol (gateway-invalid-listeners-unsupported-protocol.go): UnsupportedProtocol; ListenersNotValid False when none is valid, True when some are',
    objects: () => [
      { ...gw('gateway-only-unsupported-protocols', address(25), [{ name: 'invalid', port: 1111, protocol: 'INVALID' }], { apiVersion: GATEWAY_V1 }), metadata: { name: 'gateway-only-unsupported-protocols', namespace: INFRA, annotations: { 'gateway-api/skip-this-for-readiness': 'true' } } },
      gw('gateway-supported-and-unsupported-protocols', address(26), [{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'invalid', port: 1111, protocol: 'INVALID' }], { apiVersion: GATEWAY_V1 }),
      route('gateway-supported-and-unsupported-protocols-control', { parentRefs: [parent('gateway-supported-and-unsupported-protocols', { sectionName: 'http' })], hostnames: ['unsupported-protocol.example.com'], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }, INFRA, GATEWAY_V1),
    ],
    expect: (view) => {
      const invalid: ListenerExpectation = { attachedRoutes: 0, supportedKinds: [], conditions: { Accepted: ['False', 'UnsupportedProtocol'] } };
      expectGateway(view, 'gateway-only-unsupported-protocols', { accepted: ['False', 'ListenersNotValid'], address: address(25), listeners: { invalid } });
      // Upstream's .go (v1.6.1) lists the http listener with attachedRoutes 0, though its own manifest attaches the
      // control route to it by sectionName; Portero counts the accepted route (ListenerStatus.AttachedRoutes).
      expectGateway(view, 'gateway-supported-and-unsupported-protocols', { accepted: ['True', 'ListenersNotValid'], address: address(26), listeners: { http: { attachedRoutes: 1, conditions: READY }, invalid } });
      expectRoute(view, 'gateway-supported-and-unsupported-protocols-control', { accepted: ['True', 'Accepted'] });
    },
    traffic: [{ address: address(26), host: 'unsupported-protocol.example.com', path: '/', expect: 'infra-backend-v1' }],
  },
  {
    name: 'GatewayInvalidParametersRef (gateway-invalid-parameters-ref.go): Accepted False InvalidParameters',
    objects: () => [
      gw('gateway-invalid-parameters-ref', address(27), [http('http', from('Same'))], { apiVersion: GATEWAY_V1, spec: { infrastructure: { parametersRef: { group: 'example.com', kind: 'NonExistentKind', name: 'does-not-exist' } } } }),
    ],
    expect: (view) => expectGateway(view, 'gateway-invalid-parameters-ref', { accepted: ['False', 'InvalidParameters'], programmed: ['False'], address: address(27), listeners: { http: { attachedRoutes: 0, conditions: { Programmed: ['False'] } } } }),
  },
  {
    name: 'GatewayModifyListeners (gateway-modify-listeners.go): an added listener and a removed one show in status with the routes attached to them',
    objects: () => {
      const secure = https('https', from('All'), [certRef('tls-validity-checks-certificate', { namespace: INFRA })], { hostname: 'secure.test.com' });
      return [
        gw('gateway-add-listener', address(28), [secure]),
        route('http-route-1', { parentRefs: [{ kind: 'Gateway', name: 'gateway-add-listener', namespace: INFRA }], rules: [{ backendRefs: [backend('foo-svc')] }] }),
        gw('gateway-remove-listener', address(29), [secure, http('http', from('All'))]),
        route('http-route-2', { parentRefs: [{ kind: 'Gateway', name: 'gateway-remove-listener', namespace: INFRA }], rules: [{ backendRefs: [backend('foo-svc')] }] }),
      ];
    },
    expect: (view) => {
      expectGateway(view, 'gateway-add-listener', { address: address(28), listeners: { https: { attachedRoutes: 1, conditions: READY } } });
      expectGateway(view, 'gateway-remove-listener', { address: address(29), listeners: { https: { attachedRoutes: 1, conditions: READY }, http: { attachedRoutes: 1, conditions: READY } } });
      expectRoute(view, 'http-route-1', { accepted: ['True', 'Accepted'], resolvedRefs: ['False', 'BackendNotFound'] });
    },
    traffic: [
      { address: address(28), host: 'secure.test.com', path: '/', tls: true, expect: 500 },
      { address: address(29), host: 'secure.test.com', path: '/', tls: true, expect: 500 },
      { address: address(29), host: 'secure.test.com', path: '/', expect: 500 },
    ],
    mutate: async (api, portero) => {
      const add = get(api, 'Gateway', INFRA, 'gateway-add-listener');
      api.apply({ ...add, spec: { ...add.spec, listeners: [...add.spec.listeners, http('http', from('All'), { hostname: 'data.test.com' })] }, status: undefined });
      const remove = get(api, 'Gateway', INFRA, 'gateway-remove-listener');
      api.apply({ ...remove, spec: { ...remove.spec, listeners: remove.spec.listeners.filter((listener: Json) => listener.name !== 'https') }, status: undefined });
      assert.equal(get(api, 'Gateway', INFRA, 'gateway-add-listener').metadata.generation, 2);
      await eventually(() => {
        const view = kubeView(api);
        expectGateway(view, 'gateway-add-listener', { address: address(28), listeners: { https: { attachedRoutes: 1, conditions: READY }, http: { attachedRoutes: 1, conditions: READY } } });
        expectGateway(view, 'gateway-remove-listener', { address: address(29), listeners: { http: { attachedRoutes: 1, conditions: READY } } });
      }, 15_000);
      // The added listener routes (to foo-svc, which does not exist: 500); the removed one no longer accepts connections.
      await expectTraffic(portero, [{ address: address(28), host: 'data.test.com', path: '/', expect: 500 }]);
      await eventually(async () => {
        const outcome = await request({ port: portero.httpsPort, address: address(29), host: 'secure.test.com', path: '/', tls: true }).then((response) => response.status, (error: Error) => error.message);
        assert.match(String(outcome), /ECONNREFUSED/);
      }, 15_000);
    },
  },
  {
    name: 'GatewayObservedGenerationBump (gateway-observed-generation-bump.go): after a listener is added every condition carries the new generation',
    objects: () => [gw('gateway-observed-generation-bump', address(30), [http('http', from('All'))])],
    expect: (view) => expectGateway(view, 'gateway-observed-generation-bump', { programmed: ['True'], address: address(30), listeners: { http: { attachedRoutes: 0, conditions: READY } } }),
    mutate: async (api) => {
      const current = get(api, 'Gateway', INFRA, 'gateway-observed-generation-bump');
      api.apply({ ...current, spec: { ...current.spec, listeners: [...current.spec.listeners, { name: 'alternate', port: 8080, protocol: 'HTTP', allowedRoutes: from('All') }] }, status: undefined });
      assert.equal(get(api, 'Gateway', INFRA, 'gateway-observed-generation-bump').metadata.generation, 2);
      await eventually(
        () => expectGateway(kubeView(api), 'gateway-observed-generation-bump', { programmed: ['True'], address: address(30), listeners: { http: { attachedRoutes: 0, conditions: READY }, alternate: { attachedRoutes: 0, conditions: READY } } }),
        15_000,
      );
    },
  },
  {
    name: 'GatewayClassObservedGenerationBump (gatewayclass-observed-generation-bump.go): after a spec change Accepted carries the new generation',
    objects: () => [{ apiVersion: GATEWAY_V1BETA1, kind: 'GatewayClass', metadata: { name: 'gatewayclass-observed-generation-bump' }, spec: { controllerName: OURS } }],
    expect: (view) => {
      const status = view.status('GatewayClass', '', 'gatewayclass-observed-generation-bump');
      expectCondition(status?.conditions, 'Accepted', ['True', 'Accepted'], view.generation('GatewayClass', '', 'gatewayclass-observed-generation-bump'), 'GatewayClass');
    },
    mutate: async (api) => {
      const current = get(api, 'GatewayClass', '', 'gatewayclass-observed-generation-bump');
      api.apply({ ...current, spec: { ...current.spec, description: 'new' }, status: undefined });
      assert.equal(get(api, 'GatewayClass', '', 'gatewayclass-observed-generation-bump').metadata.generation, 2);
      await eventually(() => expectCondition(get(api, 'GatewayClass', '', 'gatewayclass-observed-generation-bump').status?.conditions, 'Accepted', ['True', 'Accepted'], 2, 'GatewayClass'), 15_000);
    },
  },
  {
    name: 'HTTPRouteListenerPortMatching (httproute-listener-port-matching.go, ParentRefPort): a parentRef port selects every listener on that port; with sectionName, both must match',
    objects: () => [
      gw('httproute-listener-port-matching', address(31), [
        http('http-foo', from('Same'), { hostname: 'foo.example.com' }),
        http('http-bar', from('Same'), { hostname: 'bar.example.com' }),
        { name: 'http-8081', port: 8081, protocol: 'HTTP', hostname: 'baz.example.com', allowedRoutes: from('Same') },
      ], { apiVersion: GATEWAY_V1 }),
      route('port-80', { parentRefs: [parent('httproute-listener-port-matching', { port: 80 })], rules: [{ backendRefs: [backend('infra-backend-v1')] }] }, INFRA, GATEWAY_V1),
      route('port-8081-http-8081', { parentRefs: [parent('httproute-listener-port-matching', { port: 8081, sectionName: 'http-8081' })], rules: [{ backendRefs: [backend('infra-backend-v2')] }] }, INFRA, GATEWAY_V1),
    ],
    expect: (view) => {
      expectRoute(view, 'port-80', { accepted: ['True', 'Accepted'] });
      expectRoute(view, 'port-8081-http-8081', { accepted: ['True', 'Accepted'] });
      expectGateway(view, 'httproute-listener-port-matching', {
        address: address(31),
        listeners: { 'http-foo': { attachedRoutes: 1, conditions: READY }, 'http-bar': { attachedRoutes: 1, conditions: READY }, 'http-8081': { attachedRoutes: 1, conditions: READY } },
      });
    },
    traffic: [
      { address: address(31), host: 'foo.example.com', path: '/', expect: 'infra-backend-v1' },
      { address: address(31), host: 'bar.example.com', path: '/', expect: 'infra-backend-v1' },
    ],
  },
  {
    name: 'HTTPRouteInvalidParentRefSectionNameNotMatchingPort (httproute-invalid-parentref-section-name-not-matching-port.go): sectionName matches, port does not: NoMatchingParent',
    objects: () => [
      gw('gw-with-one-section-name-not-matching-port-route', address(32), [http('http', { kinds: [{ kind: 'HTTPRoute' }], namespaces: { from: 'All' } })], { apiVersion: GATEWAY_V1 }),
      route('httproute-listener-section-name-not-matching-port', { parentRefs: [parent('gw-with-one-section-name-not-matching-port-route', { namespace: INFRA, sectionName: 'http', port: 81 })], rules: [{ backendRefs: [backend('infra-backend-v1', { kind: 'Service' })] }] }, INFRA, GATEWAY_V1),
    ],
    expect: (view) => {
      expectRoute(view, 'httproute-listener-section-name-not-matching-port', { accepted: ['False', 'NoMatchingParent'] });
      expectGateway(view, 'gw-with-one-section-name-not-matching-port-route', { address: address(32), listeners: { http: { attachedRoutes: 0, supportedKinds: ['HTTPRoute'], conditions: READY } } });
    },
  },
  {
    name: 'HTTPRouteInvalidParentRefNotMatchingListenerPort (httproute-invalid-parentref-not-matching-listener-port.go): a port no listener has: NoMatchingParent',
    objects: () => [route('httproute-listener-not-matching-route-port', { parentRefs: [parent('same-namespace', { namespace: INFRA, port: 81 })], rules: [{ backendRefs: [backend('infra-backend-v1', { kind: 'Service' })] }] }, INFRA, GATEWAY_V1)],
    expect: (view) => {
      expectRoute(view, 'httproute-listener-not-matching-route-port', { accepted: ['False', 'NoMatchingParent'] });
      expectGateway(view, 'same-namespace', { address: ADDRESS.sameNamespace, listeners: { http: { attachedRoutes: 0, conditions: READY } } });
    },
  },
  {
    name: 'GRPCRouteListenerHostnameMatching (grpcroute-listener-hostname-matching.go): GRPCRoutes by sectionName, one per listener, two on the third route',
    objects: () => [
      gw('grpcroute-listener-hostname-matching', address(33), [
        http('listener-1', from('Same'), { hostname: 'bar.com' }),
        http('listener-2', from('Same'), { hostname: 'foo.bar.com' }),
        http('listener-3', from('Same'), { hostname: '*.bar.com' }),
        http('listener-4', from('Same'), { hostname: '*.foo.com' }),
      ], { apiVersion: GATEWAY_V1 }),
      route('backend-v1', { parentRefs: [parent('grpcroute-listener-hostname-matching', { namespace: INFRA, sectionName: 'listener-1' })], rules: [{ backendRefs: [backend('grpc-infra-backend-v1')] }] }, INFRA, GATEWAY_V1, 'GRPCRoute'),
      route('backend-v2', { parentRefs: [parent('grpcroute-listener-hostname-matching', { namespace: INFRA, sectionName: 'listener-2' })], rules: [{ backendRefs: [backend('grpc-infra-backend-v2')] }] }, INFRA, GATEWAY_V1, 'GRPCRoute'),
      route('backend-v3', {
        parentRefs: [parent('grpcroute-listener-hostname-matching', { namespace: INFRA, sectionName: 'listener-3' }), parent('grpcroute-listener-hostname-matching', { namespace: INFRA, sectionName: 'listener-4' })],
        rules: [{ backendRefs: [backend('grpc-infra-backend-v3')] }],
      }, INFRA, GATEWAY_V1, 'GRPCRoute'),
    ],
    expect: (view) => {
      expectRoute(view, 'backend-v1', { kind: 'GRPCRoute', accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] });
      expectRoute(view, 'backend-v2', { kind: 'GRPCRoute', accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] });
      // Two parentRefs to one Gateway: one entry of ours for each.
      const parents = (view.status('GRPCRoute', INFRA, 'backend-v3')?.parents ?? []) as Status[];
      assert.deepEqual(parents.filter((entry) => entry.controllerName === OURS).map((entry) => entry.parentRef.sectionName), ['listener-3', 'listener-4']);
      for (const entry of parents) expectCondition(entry.conditions, 'Accepted', ['True', 'Accepted'], view.generation('GRPCRoute', INFRA, 'backend-v3'), `GRPCRoute backend-v3 → ${entry.parentRef.sectionName}`);
      expectGateway(view, 'grpcroute-listener-hostname-matching', {
        address: address(33),
        listeners: Object.fromEntries(['listener-1', 'listener-2', 'listener-3', 'listener-4'].map((name) => [name, { attachedRoutes: 1, supportedKinds: ALL_KINDS, conditions: READY }])),
      });
    },
  },
];

// ---- the runs ----

const BACKEND_NAMES = ['infra-backend-v1', 'infra-backend-v2', 'infra-backend-v3', 'app-backend-v1', 'app-backend-v2', 'web-backend'];

describe('Gateway API conformance status, Kubernetes mode', () => {
  let api: KubeApiServer;
  let portero: Portero;
  let backends: Map<string, Backend>;
  let certs: Certs;

  before(async () => {
    backends = new Map();
    for (const name of BACKEND_NAMES) backends.set(name, await startBackend(name));
    certs = await certificates();
    api = await startApi();
    api.apply({ apiVersion: GATEWAY_V1, kind: 'GatewayClass', metadata: { name: 'other' }, spec: { controllerName: FOREIGN } });
    for (const object of base(backends, certs)) api.apply(object);
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, env: { POD_NAMESPACE: 'default', POD_NAME: 'portero-0' } });
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
    for (const backend of backends?.values() ?? []) await backend.close();
  });

  test('GatewayClass: ours Accepted with observedGeneration, supportedFeatures; another controller\'s class untouched', async () => {
    await eventually(() => expectCondition(get(api, 'GatewayClass', '', CLASS)?.status?.conditions, 'Accepted', ['True', 'Accepted'], 1, 'GatewayClass'), 15_000);
    assert.ok((get(api, 'GatewayClass', '', CLASS).status.supportedFeatures as Status[]).some((feature) => feature.name === 'HTTPRoute'));
    assert.equal(get(api, 'GatewayClass', '', 'other').status?.conditions, undefined);
  });

  test('base Gateways (conformance/base/manifests.yaml): Accepted and Programmed on their own addresses, every listener ready with no route', async () => {
    const view = kubeView(api);
    await eventually(() => {
      for (const [name, address] of [['same-namespace', ADDRESS.sameNamespace], ['all-namespaces', ADDRESS.allNamespaces], ['backend-namespaces', ADDRESS.backendNamespaces]] as const) {
        expectGateway(view, name, { accepted: ['True', 'Accepted'], programmed: ['True', 'Programmed'], address, listeners: { http: { attachedRoutes: 0, supportedKinds: ALL_KINDS, conditions: READY } } });
      }
      expectGateway(view, 'same-namespace-with-https-listener', {
        programmed: ['True', 'Programmed'],
        address: ADDRESS.withHttps,
        listeners: { https: { attachedRoutes: 0, conditions: READY }, 'https-with-hostname': { attachedRoutes: 0, conditions: READY } },
      });
    }, 15_000);
  });

  for (const testCase of CASES) {
    test(testCase.name, async () => {
      const objects = testCase.objects(backends, certs);
      for (const object of objects) api.apply(object);
      try {
        await eventually(() => testCase.expect(kubeView(api)), 15_000);
        await expectTraffic(portero, testCase.traffic ?? []);
        await testCase.mutate?.(api, portero);
      } finally {
        for (const object of [...objects].reverse()) deleteIfPresent(api, object);
      }
    });
  }

  test('only our parent entries are written: another controller\'s entry for the same Gateway survives every write (HTTPRouteSimpleSameNamespace)', async () => {
    const foreign = {
      parentRef: { group: GROUP, kind: 'Gateway', namespace: INFRA, name: 'same-namespace' },
      controllerName: FOREIGN,
      conditions: [{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'not ours', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }],
    };
    const object = route('gateway-conformance-infra-test', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('infra-backend-v1')] }] });
    api.apply({ ...object, status: { parents: [foreign] } });
    try {
      await eventually(() => expectRoute(kubeView(api), 'gateway-conformance-infra-test', { gateway: 'same-namespace', accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] }), 15_000);
      assert.deepEqual(get(api, 'HTTPRoute', INFRA, 'gateway-conformance-infra-test').status.parents.filter((entry: Status) => entry.controllerName === FOREIGN), [foreign]);
      // A spec change makes Portero write again: the foreign entry is still kept as it was.
      const current = get(api, 'HTTPRoute', INFRA, 'gateway-conformance-infra-test');
      api.apply({ ...current, spec: { ...current.spec, rules: [{ backendRefs: [backend('infra-backend-v2')] }] }, status: undefined });
      await eventually(() => expectRoute(kubeView(api), 'gateway-conformance-infra-test', { gateway: 'same-namespace', accepted: ['True', 'Accepted'], resolvedRefs: ['True', 'ResolvedRefs'] }), 15_000);
      await expectTraffic(portero, [{ address: ADDRESS.sameNamespace, path: '/', expect: 'infra-backend-v2' }]);
      const parents = get(api, 'HTTPRoute', INFRA, 'gateway-conformance-infra-test').status.parents as Status[];
      assert.deepEqual(parents.filter((entry) => entry.controllerName === FOREIGN), [foreign]);
      assert.equal(parents.length, 2);
    } finally {
      deleteIfPresent(api, object);
    }
  });

  test('a route that stops naming our Gateways loses our entry, and only ours: its parentRef moved to another controller\'s Gateway, or our Gateway deleted', async () => {
    const elsewhere = { ...gw('elsewhere', address(40), [http('http', from('Same'))]), spec: { gatewayClassName: 'other', listeners: [http('http', from('Same'))] } };
    const foreign = {
      parentRef: { group: GROUP, kind: 'Gateway', namespace: INFRA, name: 'elsewhere' },
      controllerName: FOREIGN,
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }],
    };
    const temporary = gw('temporary', address(41), [http('http', from('Same'))]);
    const object = route('leaving', { parentRefs: [parent('same-namespace')], rules: [{ backendRefs: [backend('infra-backend-v1')] }] });
    const parentsOf = () => (get(api, 'HTTPRoute', INFRA, 'leaving').status?.parents ?? []) as Status[];
    const moveTo = (gateway: string) => {
      const current = get(api, 'HTTPRoute', INFRA, 'leaving');
      api.apply({ ...current, spec: { ...current.spec, parentRefs: [parent(gateway)] }, status: undefined });
    };
    api.apply(elsewhere);
    api.apply(temporary);
    api.apply({ ...object, status: { parents: [foreign] } });
    try {
      await eventually(() => expectRoute(kubeView(api), 'leaving', { gateway: 'same-namespace', accepted: ['True', 'Accepted'] }), 15_000);
      moveTo('elsewhere');
      await eventually(() => assert.deepEqual(parentsOf(), [foreign]), 15_000);
      await expectTraffic(portero, [{ address: ADDRESS.sameNamespace, path: '/', expect: 404 }]);

      moveTo('temporary');
      await eventually(() => expectRoute(kubeView(api), 'leaving', { gateway: 'temporary', accepted: ['True', 'Accepted'] }), 15_000);
      api.delete(GATEWAY_V1, 'Gateway', INFRA, 'temporary');
      await eventually(() => assert.deepEqual(parentsOf(), [foreign]), 15_000);
    } finally {
      for (const each of [object, temporary, elsewhere]) deleteIfPresent(api, each);
    }
  });
});

describe('Gateway API conformance status, portero check --manifests -o json', () => {
  const reports = new Map<string, { report: CheckReport; objects: Json[] }>();
  // Nothing is served: the endpoints need not answer.
  const backends = new Map<string, Endpoint>(BACKEND_NAMES.map((name, index) => [name, { address: '127.0.0.1', port: 10_000 + index }]));

  before(async () => {
    const certs = await certificates();
    const root = await tempDir('portero-conformance-check-');
    const runs = CASES.map((testCase, index) => async () => {
      const objects = [...base(backends, certs), ...testCase.objects(backends, certs)];
      const dir = join(root, String(index));
      await mkdir(dir);
      await writeFile(join(dir, 'base-and-test.yaml'), toYaml(objects));
      const run = await runCheck(dir);
      assert.ok(run.code === 0 || run.code === 1, `check exited ${run.code}: ${run.stderr}`);
      assert.equal(run.stderr, '', `check on ${testCase.name}: nothing refused`);
      reports.set(testCase.name, { report: JSON.parse(run.stdout) as CheckReport, objects });
    });
    // A few at a time: the machine is shared.
    for (let start = 0; start < runs.length; start += 4) await Promise.all(runs.slice(start, start + 4).map((run) => run()));
  });

  for (const testCase of CASES) {
    test(testCase.name, () => {
      const { report, objects } = reports.get(testCase.name)!;
      testCase.expect(checkView(report, objects));
    });
  }
});
