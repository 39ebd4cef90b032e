// The Gateway API attachment stage (src/translate/gateway/): which classes,
// Gateways, listeners and routes Portero serves, and the status it writes.
//
// Each case of the first part is a conformance test of the GATEWAY-HTTP
// profile (Gateway API v1.6, conformance/tests/<name>.go and .yaml) whose
// expectations are status or attachment, built on the suite's base setup
// (test/helpers/gateway.ts) and checked against the statuses the suite
// expects (notes/gateway-api.md §3.1). The later parts cover the rules the
// suite does not reach (conflicts, addresses, filters, GRPCRoute), and
// properties of hostname intersection.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ReferenceGrant } from '../../src/objects/gateway-types.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { attachGateways, type AttachOptions, type GatewayAttachment, type GatewayInput, type RouteParentStatus } from '../../src/translate/gateway/index.js';
import { withAssignedAddresses } from '../../src/translate/gateway/addresses.js';
import { effectiveHostnames, hostnameMatches, intersectHostnames } from '../../src/translate/gateway/hostnames.js';
import {
  APP,
  backendRef,
  CLASS,
  conditionOf,
  conformanceBase,
  deepFreeze,
  gateway,
  gatewayClass,
  grpcRoute,
  httpRoute,
  INFRA,
  namespace,
  parentRef,
  prefix,
  referenceGrant,
  rule,
  service,
  statusReason,
  tlsSecret,
  WEB,
} from '../helpers/gateway.js';

let certificate: { crt: string; key: string };
let webCertificate: { crt: string; key: string };

before(async () => {
  const infra = await generateSelfSigned('tls-validity-checks', ['*', '*.org', '*.wildcard.org', 'example.org', 'second-example.org'], 30);
  certificate = { crt: infra.cert, key: infra.key };
  const web = await generateSelfSigned('web-backend', ['*.example.com'], 30);
  webCertificate = { crt: web.cert, key: web.key };
});

function base(): GatewayInput {
  return conformanceBase(certificate);
}

/** Attaches the base setup plus `extra` (lists are appended), with frozen inputs: the stage must not mutate them. */
function run(extra: Partial<GatewayInput> = {}, options: AttachOptions = {}): GatewayAttachment {
  const input = base();
  for (const [key, value] of Object.entries(extra) as [keyof GatewayInput, readonly never[]][]) {
    (input[key] as unknown[]) = [...input[key], ...value];
  }
  return attachGateways(deepFreeze(input), options);
}

function gatewayOf(result: GatewayAttachment, name: string, ns = INFRA) {
  const found = result.gateways.find((entry) => entry.gateway.metadata.name === name && entry.gateway.metadata.namespace === ns);
  if (!found) throw new Error(`no Gateway ${ns}/${name}`);
  return found;
}

function listenerOf(result: GatewayAttachment, gatewayName: string, listenerName: string) {
  const found = gatewayOf(result, gatewayName).status.listeners.find((entry) => entry.name === listenerName);
  if (!found) throw new Error(`no listener ${listenerName}`);
  return found;
}

function routeOf(result: GatewayAttachment, name: string, ns = INFRA, kind = 'HTTPRoute') {
  const found = result.routes.find((entry) => entry.kind === kind && entry.route.metadata.name === name && entry.route.metadata.namespace === ns);
  if (!found) throw new Error(`no ${kind} ${ns}/${name}`);
  return found;
}

function parentOf(result: GatewayAttachment, routeName: string, gatewayName: string, ns = INFRA): RouteParentStatus {
  const parents = routeOf(result, routeName, ns).status.parents.filter((entry) => entry.parentRef.name === gatewayName);
  assert.equal(parents.length, 1, `one parent status for ${gatewayName}`);
  return parents[0]!;
}

/** `Accepted` and `ResolvedRefs` of a route's parent status, as `status/reason`. */
function routeConditions(result: GatewayAttachment, routeName: string, gatewayName: string, ns = INFRA): [string, string] {
  const parent = parentOf(result, routeName, gatewayName, ns);
  assert.equal(parent.controllerName, 'portero.dev/gateway-controller');
  return [statusReason(parent.conditions, 'Accepted'), statusReason(parent.conditions, 'ResolvedRefs')];
}

function attached(result: GatewayAttachment, gatewayName: string): Record<string, number> {
  return Object.fromEntries(gatewayOf(result, gatewayName).status.listeners.map((entry) => [entry.name, entry.attachedRoutes]));
}

const grantFromInfraRoutes = (to: ReferenceGrant['spec']['to']) =>
  referenceGrant(WEB, 'reference-grant', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA }], to);

describe('conformance: routes and their parents', () => {
  test('HTTPRouteSimpleSameNamespace: accepted, resolved, served on every listener with the backend resolved', () => {
    const result = run({ httpRoutes: [httpRoute({ name: 'gateway-conformance-infra-test', parentRefs: [parentRef('same-namespace')] })] });
    assert.deepEqual(routeConditions(result, 'gateway-conformance-infra-test', 'same-namespace'), ['True/Accepted', 'True/ResolvedRefs']);
    const listener = listenerOf(result, 'same-namespace', 'http');
    assert.deepEqual(['Accepted', 'ResolvedRefs', 'Programmed'].map((type) => conditionOf(listener.conditions, type).status), ['True', 'True', 'True']);
    assert.equal(listener.attachedRoutes, 1);
    const served = result.listeners.find((entry) => entry.gateway.name === 'same-namespace');
    assert.ok(served);
    assert.deepEqual([served.port, served.protocol, served.hostname, served.addresses], [80, 'HTTP', undefined, []]);
    assert.equal(served.routes.length, 1);
    assert.equal(served.routes[0]!.hostnames, 'any');
    const backend = served.routes[0]!.route.rules[0]!.backends[0]!;
    assert.ok(backend.ok);
    assert.deepEqual([backend.namespace, backend.name, backend.servicePort.port, backend.weight], [INFRA, 'infra-backend-v1', 8080, 1]);
  });

  test('HTTPRouteCrossNamespace: a route in web-backend attaches through a Selector listener', () => {
    const result = run({ httpRoutes: [httpRoute({ namespace: WEB, name: 'cross-namespace', parentRefs: [parentRef('backend-namespaces', { namespace: INFRA })], rules: [rule({ backendRefs: [backendRef('web-backend')] })] })] });
    assert.deepEqual(routeConditions(result, 'cross-namespace', 'backend-namespaces', WEB), ['True/Accepted', 'True/ResolvedRefs']);
    assert.equal(attached(result, 'backend-namespaces').http, 1);
  });

  test('HTTPRouteInvalidCrossNamespaceParentRef: NotAllowedByListeners, ResolvedRefs True, nothing attached', () => {
    const result = run({ httpRoutes: [httpRoute({ namespace: WEB, name: 'invalid-cross-namespace-parent-ref', parentRefs: [parentRef('same-namespace', { namespace: INFRA })], rules: [rule({ backendRefs: [backendRef('web-backend')] })] })] });
    assert.deepEqual(routeConditions(result, 'invalid-cross-namespace-parent-ref', 'same-namespace', WEB), ['False/NotAllowedByListeners', 'True/ResolvedRefs']);
    assert.equal(attached(result, 'same-namespace').http, 0);
    assert.equal(routeOf(result, 'invalid-cross-namespace-parent-ref', WEB).accepted, false);
  });

  test('HTTPRouteHostnameIntersection: attachedRoutes 2/1/1, NoMatchingListenerHostname, intersected hostnames', () => {
    const listeners = [
      { name: 'listener-1', hostname: 'very.specific.com' },
      { name: 'listener-2', hostname: '*.wildcard.io' },
      { name: 'listener-3', hostname: '*.anotherwildcard.io' },
    ];
    const routes = [
      ['specific-host-matches-listener-specific-host', ['non.matching.com', '*.nonmatchingwildcard.io', 'very.specific.com']],
      ['specific-host-matches-listener-wildcard-host', ['non.matching.com', 'wildcard.io', 'foo.wildcard.io', 'bar.wildcard.io', 'foo.bar.wildcard.io']],
      ['wildcard-host-matches-listener-specific-host', ['non.matching.com', '*.specific.com']],
      ['wildcard-host-matches-listener-wildcard-host', ['*.anotherwildcard.io']],
      ['no-intersecting-hosts', ['specific.but.wrong.com', 'wildcard.io']],
    ] as const;
    const result = run({
      gateways: [gateway({ name: 'httproute-hostname-intersection', listeners }), gateway({ name: 'httproute-hostname-intersection-all', listeners: [{ name: 'http' }] })],
      httpRoutes: routes.map(([name, hostnames]) => httpRoute({ name, hostnames: [...hostnames], parentRefs: [parentRef('httproute-hostname-intersection'), parentRef('httproute-hostname-intersection-all')] })),
    });
    assert.deepEqual(attached(result, 'httproute-hostname-intersection'), { 'listener-1': 2, 'listener-2': 1, 'listener-3': 1 });
    assert.deepEqual(routeConditions(result, 'no-intersecting-hosts', 'httproute-hostname-intersection'), ['False/NoMatchingListenerHostname', 'True/ResolvedRefs']);
    for (const [name] of routes.slice(0, 4)) assert.equal(statusReason(parentOf(result, name, 'httproute-hostname-intersection').conditions, 'Accepted'), 'True/Accepted', name);
    const servedOn = (gatewayName: string, listenerName: string) =>
      Object.fromEntries(result.listeners.find((entry) => entry.gateway.name === gatewayName && entry.name === listenerName)!.routes.map((entry) => [entry.route.route.metadata.name, entry.hostnames]));
    assert.deepEqual(servedOn('httproute-hostname-intersection', 'listener-1'), {
      'specific-host-matches-listener-specific-host': ['very.specific.com'],
      'wildcard-host-matches-listener-specific-host': ['very.specific.com'],
    });
    assert.deepEqual(servedOn('httproute-hostname-intersection', 'listener-2'), { 'specific-host-matches-listener-wildcard-host': ['foo.wildcard.io', 'bar.wildcard.io', 'foo.bar.wildcard.io'] });
    assert.deepEqual(servedOn('httproute-hostname-intersection', 'listener-3'), { 'wildcard-host-matches-listener-wildcard-host': ['*.anotherwildcard.io'] });
    // The Gateway without listener hostnames serves every route's hostnames as written.
    assert.deepEqual(servedOn('httproute-hostname-intersection-all', 'http')['no-intersecting-hosts'], ['specific.but.wrong.com', 'wildcard.io']);
    assert.equal(attached(result, 'httproute-hostname-intersection-all').http, 5);
  });

  const backendCases: [string, ReturnType<typeof backendRef>, string][] = [
    ['HTTPRouteInvalidNonExistentBackendRef', backendRef('nonexistent'), 'BackendNotFound'],
    ['HTTPRouteInvalidBackendRefUnknownKind', backendRef('infra-backend-v2', 8080, { group: 'unknownkind.example.com', kind: 'NonExistent' }), 'InvalidKind'],
    ['HTTPRouteInvalidCrossNamespaceBackendRef', backendRef('web-backend', 8080, { namespace: WEB }), 'RefNotPermitted'],
  ];
  for (const [name, ref, reason] of backendCases) {
    test(`${name}: Accepted, ResolvedRefs False ${reason}, the backend answers 500`, () => {
      const result = run({ httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], rules: [rule({ backendRefs: [ref] })] })] });
      assert.deepEqual(routeConditions(result, 'route', 'same-namespace'), ['True/Accepted', `False/${reason}`]);
      const backend = routeOf(result, 'route').served.rules[0]!.backends[0]!;
      assert.ok(!backend.ok && backend.reason === reason);
      assert.equal(attached(result, 'same-namespace').http, 1);
      assert.ok(result.diagnostics.some((d) => d.object.name === 'route' && d.field === 'spec.rules[0].backendRefs[0]' && /500/.test(d.message)));
    });
  }

  test('HTTPRouteReferenceGrant: resolved with the grant, RefNotPermitted once it is deleted', () => {
    const route = httpRoute({ name: 'reference-grant', parentRefs: [parentRef('same-namespace')], rules: [rule({ backendRefs: [backendRef('web-backend', 8080, { namespace: WEB })] })] });
    const grant = grantFromInfraRoutes([{ group: '', kind: 'Service', name: 'web-backend' }]);
    assert.deepEqual(routeConditions(run({ httpRoutes: [route], referenceGrants: [grant] }), 'reference-grant', 'same-namespace'), ['True/Accepted', 'True/ResolvedRefs']);
    assert.deepEqual(routeConditions(run({ httpRoutes: [route] }), 'reference-grant', 'same-namespace'), ['True/Accepted', 'False/RefNotPermitted']);
  });

  test('HTTPRouteInvalidReferenceGrant: each of 7 near-miss grants leaves RefNotPermitted', () => {
    const good = { from: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA }, to: { group: '', kind: 'Service', name: 'web-backend' } };
    const misses: [string, string, ReferenceGrant['spec']][] = [
      ['wrong namespace', APP, { from: [good.from], to: [good.to] }],
      ['from.group', WEB, { from: [{ ...good.from, group: 'not-the-group-youre-looking-for' }], to: [good.to] }],
      ['from.kind', WEB, { from: [{ ...good.from, kind: 'Gateway' }], to: [good.to] }],
      ['from.namespace', WEB, { from: [{ ...good.from, namespace: APP }], to: [good.to] }],
      ['to.group', WEB, { from: [good.from], to: [{ ...good.to, group: 'not-the-group-youre-looking-for' }] }],
      ['to.kind', WEB, { from: [good.from], to: [{ ...good.to, kind: 'Secret' }] }],
      ['to.name', WEB, { from: [good.from], to: [{ ...good.to, name: 'not-the-service-youre-looking-for' }] }],
    ];
    const route = httpRoute({ name: 'reference-grant', parentRefs: [parentRef('same-namespace')], rules: [rule({ backendRefs: [backendRef('web-backend', 8080, { namespace: WEB })] })] });
    for (const [what, grantNamespace, spec] of misses) {
      const result = run({ httpRoutes: [route], referenceGrants: [referenceGrant(grantNamespace, 'near-miss', spec.from, spec.to)] });
      assert.deepEqual(routeConditions(result, 'reference-grant', 'same-namespace'), ['True/Accepted', 'False/RefNotPermitted'], what);
    }
    const all = run({ httpRoutes: [route], referenceGrants: misses.map(([, ns, spec], i) => referenceGrant(ns, `near-miss-${i}`, spec.from, spec.to)) });
    assert.deepEqual(routeConditions(all, 'reference-grant', 'same-namespace'), ['True/Accepted', 'False/RefNotPermitted'], 'all together');
  });

  test('HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: only the granted Service resolves', () => {
    const grant = referenceGrant(APP, 'app-grant', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: INFRA }], [{ group: '', kind: 'Service', name: 'app-backend-v1' }]);
    const route = httpRoute({
      name: 'invalid-reference-grant',
      parentRefs: [parentRef('same-namespace')],
      rules: [rule({ matches: [prefix('/v2')], backendRefs: [backendRef('app-backend-v2', 8080, { namespace: APP })] }), rule({ backendRefs: [backendRef('app-backend-v1', 8080, { namespace: APP })] })],
    });
    const result = run({ httpRoutes: [route], referenceGrants: [grant] });
    assert.deepEqual(routeConditions(result, 'invalid-reference-grant', 'same-namespace'), ['True/Accepted', 'False/RefNotPermitted']);
    const rules = routeOf(result, 'invalid-reference-grant').served.rules;
    assert.deepEqual(rules.map((entry) => entry.backends[0]!.ok), [false, true]);
  });

  test('HTTPRouteInvalidParentRefNotMatchingSectionName: NoMatchingParent, nothing attached', () => {
    const result = run({ httpRoutes: [httpRoute({ name: 'httproute-not-matching-section-name', parentRefs: [parentRef('same-namespace', { sectionName: 'http1', port: 80 })] })] });
    assert.deepEqual(routeConditions(result, 'httproute-not-matching-section-name', 'same-namespace'), ['False/NoMatchingParent', 'True/ResolvedRefs']);
    assert.equal(attached(result, 'same-namespace').http, 0);
  });

  test('HTTPRouteNoBackendRefs: ResolvedRefs True, the rules without backends are served with none', () => {
    const route = httpRoute({
      name: 'no-backends',
      parentRefs: [parentRef('same-namespace')],
      rules: [rule({ matches: [prefix('/omitted-no-forward')] }), rule({ matches: [prefix('/empty-no-forward')], backendRefs: [] }), rule({ matches: [prefix('/forward')], backendRefs: [backendRef('infra-backend-v1')] })],
    });
    const result = run({ httpRoutes: [route] });
    assert.deepEqual(routeConditions(result, 'no-backends', 'same-namespace'), ['True/Accepted', 'True/ResolvedRefs']);
    assert.deepEqual(routeOf(result, 'no-backends').served.rules.map((entry) => entry.backends.length), [0, 0, 1]);
  });

  test('ListenerPortMatching and sectionName with port: port selects every listener on it; with sectionName both must match', () => {
    const gw = gateway({ name: 'ports', listeners: [{ name: 'http-a', hostname: 'a.example.com' }, { name: 'http-b', hostname: 'b.example.com' }, { name: 'http-8080', port: 8080 }] });
    const result = run({
      gateways: [gw],
      httpRoutes: [
        httpRoute({ name: 'port-80', parentRefs: [parentRef('ports', { port: 80 })] }),
        httpRoute({ name: 'section-and-port', parentRefs: [parentRef('ports', { sectionName: 'http-8080', port: 8080 })] }),
        httpRoute({ name: 'section-wrong-port', parentRefs: [parentRef('ports', { sectionName: 'http-a', port: 8080 })] }),
        httpRoute({ name: 'port-81', parentRefs: [parentRef('ports', { port: 81 })] }),
      ],
    });
    assert.deepEqual(attached(result, 'ports'), { 'http-a': 1, 'http-b': 1, 'http-8080': 1 });
    assert.equal(statusReason(parentOf(result, 'port-80', 'ports').conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(parentOf(result, 'section-and-port', 'ports').conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(parentOf(result, 'section-wrong-port', 'ports').conditions, 'Accepted'), 'False/NoMatchingParent');
    assert.equal(statusReason(parentOf(result, 'port-81', 'ports').conditions, 'Accepted'), 'False/NoMatchingParent');
  });

  test('HTTPRouteHTTPSListener: a route hostname selects the hostname-less HTTPS listener, a sectionName the other', () => {
    const result = run({
      httpRoutes: [
        httpRoute({ name: 'https-test', hostnames: ['example.org'], parentRefs: [parentRef('same-namespace-with-https-listener')] }),
        httpRoute({ name: 'https-with-hostname', parentRefs: [parentRef('same-namespace-with-https-listener', { sectionName: 'https-with-hostname' })], rules: [rule({ backendRefs: [backendRef('infra-backend-v2')] })] }),
      ],
    });
    assert.deepEqual(attached(result, 'same-namespace-with-https-listener'), { https: 1, 'https-with-hostname': 1 });
    const served = result.listeners.filter((entry) => entry.gateway.name === 'same-namespace-with-https-listener');
    assert.deepEqual(
      served.map((entry) => [entry.name, entry.protocol, entry.certificates.map((c) => c.id), entry.routes.map((r) => [r.route.route.metadata.name, r.hostnames])]),
      [
        ['https', 'HTTPS', [`${INFRA}_tls-validity-checks-certificate`], [['https-test', ['example.org']]]],
        ['https-with-hostname', 'HTTPS', [`${INFRA}_tls-validity-checks-certificate`], [['https-with-hostname', ['second-example.org']]]],
      ],
    );
  });

  test('HTTPRouteListenerHostnameMatching: routes by sectionName take the listener hostnames', () => {
    const result = run({
      gateways: [gateway({ name: 'httproute-listener-hostname-matching', listeners: [{ name: 'listener-1', hostname: 'bar.com' }, { name: 'listener-2', hostname: 'foo.bar.com' }, { name: 'listener-3', hostname: '*.bar.com' }, { name: 'listener-4', hostname: '*.foo.com' }] })],
      httpRoutes: [
        httpRoute({ name: 'backend-v1', parentRefs: [parentRef('httproute-listener-hostname-matching', { sectionName: 'listener-1' })] }),
        httpRoute({ name: 'backend-v2', parentRefs: [parentRef('httproute-listener-hostname-matching', { sectionName: 'listener-2' })] }),
        httpRoute({ name: 'backend-v3', parentRefs: [parentRef('httproute-listener-hostname-matching', { sectionName: 'listener-3' }), parentRef('httproute-listener-hostname-matching', { sectionName: 'listener-4' })] }),
      ],
    });
    const served = result.listeners.filter((entry) => entry.gateway.name === 'httproute-listener-hostname-matching');
    assert.deepEqual(served.map((entry) => [entry.name, entry.routes.map((r) => [r.route.route.metadata.name, r.hostnames])]), [
      ['listener-1', [['backend-v1', ['bar.com']]]],
      ['listener-2', [['backend-v2', ['foo.bar.com']]]],
      ['listener-3', [['backend-v3', ['*.bar.com']]]],
      ['listener-4', [['backend-v3', ['*.foo.com']]]],
    ]);
  });

  test('HTTPRouteMultipleGateways: one route on two Gateways with their own addresses is served on both', () => {
    const result = run({
      gateways: [gateway({ name: 'gateway-1', addresses: [{ value: '127.0.0.11' }], listeners: [{ name: 'http' }] }), gateway({ name: 'gateway-2', addresses: [{ value: '127.0.0.12' }], listeners: [{ name: 'http' }] })],
      httpRoutes: [
        httpRoute({ name: 'shared', parentRefs: [parentRef('gateway-1'), parentRef('gateway-2')], rules: [rule({ matches: [prefix('/shared')], backendRefs: [backendRef('infra-backend-v1')] })] }),
        httpRoute({ name: 'route-1', parentRefs: [parentRef('gateway-1')], rules: [rule({ backendRefs: [backendRef('infra-backend-v2')] })] }),
        httpRoute({ name: 'route-2', parentRefs: [parentRef('gateway-2')], rules: [rule({ backendRefs: [backendRef('infra-backend-v3')] })] }),
      ],
    });
    assert.deepEqual(routeOf(result, 'shared').status.parents.map((entry) => [entry.parentRef.name, statusReason(entry.conditions, 'Accepted')]), [['gateway-1', 'True/Accepted'], ['gateway-2', 'True/Accepted']]);
    const served = result.listeners.filter((entry) => entry.gateway.name.startsWith('gateway-'));
    assert.deepEqual(served.map((entry) => [entry.gateway.name, entry.addresses, entry.routes.map((r) => r.route.route.metadata.name).sort()]), [
      ['gateway-1', ['127.0.0.11'], ['route-1', 'shared']],
      ['gateway-2', ['127.0.0.12'], ['route-2', 'shared']],
    ]);
  });

  test('a parentRef to a Gateway that is missing, of another class, or of another kind gets no status from Portero', () => {
    const other = gateway({ name: 'other-class', className: 'someone-else', listeners: [{ name: 'http' }] });
    const result = run({
      gatewayClasses: [gatewayClass('someone-else', 'example.net/gateway-controller')],
      gateways: [other],
      httpRoutes: [
        httpRoute({ name: 'missing', parentRefs: [parentRef('does-not-exist')] }),
        httpRoute({ name: 'foreign', parentRefs: [parentRef('other-class')] }),
        httpRoute({ name: 'service-parent', parentRefs: [parentRef('infra-backend-v1', { group: '', kind: 'Service' })] }),
        httpRoute({ name: 'mixed', parentRefs: [parentRef('other-class'), parentRef('same-namespace')] }),
      ],
    });
    assert.deepEqual(result.routes.map((entry) => entry.route.metadata.name), ['mixed']);
    assert.deepEqual(routeOf(result, 'mixed').status.parents.map((entry) => entry.parentRef.name), ['same-namespace']);
    assert.deepEqual(result.gateways.map((entry) => entry.gateway.metadata.name).includes('other-class'), false);
  });
});

describe('conformance: Gateways and listeners', () => {
  test('GatewayWithAttachedRoutes: 1 and 2 routes; an HTTPS listener with a missing certificate still counts its route', () => {
    const selector = { matchLabels: { 'kubernetes.io/metadata.name': INFRA } };
    const result = run({
      gateways: [
        gateway({ name: 'gateway-with-one-attached-route', listeners: [{ name: 'http', hostname: 'foo.example.com', from: 'Selector', selector, kinds: [{ kind: 'HTTPRoute' }] }] }),
        gateway({ name: 'gateway-with-two-attached-routes', listeners: [{ name: 'http', from: 'Selector', selector, kinds: [{ kind: 'HTTPRoute' }] }] }),
        gateway({
          name: 'unresolved-gateway-with-one-attached-unresolved-route',
          listeners: [{ name: 'tls', protocol: 'HTTPS', from: 'Selector', selector, kinds: [{ kind: 'HTTPRoute' }], certificateRefs: [{ name: 'does-not-exist' }] }],
        }),
      ],
      httpRoutes: [
        httpRoute({ name: 'http-route-1', parentRefs: [parentRef('gateway-with-one-attached-route')] }),
        httpRoute({ name: 'http-route-wrong-hostname', hostnames: ['bar.example.com'], parentRefs: [parentRef('gateway-with-one-attached-route')] }),
        httpRoute({ name: 'http-route-2', parentRefs: [parentRef('gateway-with-two-attached-routes')] }),
        httpRoute({ name: 'http-route-3', parentRefs: [parentRef('gateway-with-two-attached-routes')] }),
        httpRoute({ name: 'http-route-4', parentRefs: [parentRef('unresolved-gateway-with-one-attached-unresolved-route', { sectionName: 'tls' })], rules: [rule({ backendRefs: [backendRef('does-not-exist')] })] }),
      ],
    });
    assert.equal(attached(result, 'gateway-with-one-attached-route').http, 1);
    assert.equal(statusReason(parentOf(result, 'http-route-wrong-hostname', 'gateway-with-one-attached-route').conditions, 'Accepted'), 'False/NoMatchingListenerHostname');
    assert.equal(attached(result, 'gateway-with-two-attached-routes').http, 2);
    const tls = listenerOf(result, 'unresolved-gateway-with-one-attached-unresolved-route', 'tls');
    assert.equal(tls.attachedRoutes, 1);
    assert.deepEqual([statusReason(tls.conditions, 'Programmed'), statusReason(tls.conditions, 'ResolvedRefs')], ['False/Invalid', 'False/InvalidCertificateRef']);
    assert.deepEqual(tls.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
    assert.deepEqual(routeConditions(result, 'http-route-4', 'unresolved-gateway-with-one-attached-unresolved-route'), ['True/Accepted', 'False/BackendNotFound']);
    assert.ok(!result.listeners.some((entry) => entry.gateway.name === 'unresolved-gateway-with-one-attached-unresolved-route'), 'a listener without certificate is not served');
  });

  test('GatewayInvalidRouteKind: InvalidRouteKinds, unknown kinds left out of supportedKinds', () => {
    const result = run({
      gateways: [
        gateway({ name: 'gateway-only-invalid-route-kind', listeners: [{ name: 'http', kinds: [{ kind: 'InvalidRoute' }] }] }),
        gateway({ name: 'gateway-supported-and-invalid-route-kind', listeners: [{ name: 'http', kinds: [{ kind: 'InvalidRoute' }, { kind: 'HTTPRoute' }] }] }),
      ],
    });
    const only = listenerOf(result, 'gateway-only-invalid-route-kind', 'http');
    assert.deepEqual([only.supportedKinds, statusReason(only.conditions, 'ResolvedRefs'), only.attachedRoutes], [[], 'False/InvalidRouteKinds', 0]);
    const mixed = listenerOf(result, 'gateway-supported-and-invalid-route-kind', 'http');
    assert.deepEqual([mixed.supportedKinds, statusReason(mixed.conditions, 'ResolvedRefs')], [[{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }], 'False/InvalidRouteKinds']);
  });

  test('GatewayInvalidTLSConfiguration: missing Secret, wrong group, wrong kind, malformed PEM are InvalidCertificateRef', () => {
    const cases: [string, { group?: string; kind?: string; name: string }][] = [
      ['gateway-certificate-nonexistent-secret', { name: 'nonexistent-certificate' }],
      ['gateway-certificate-unsupported-group', { group: 'wrong.group.company.io', name: 'tls-validity-checks-certificate' }],
      ['gateway-certificate-unsupported-kind', { kind: 'WrongKind', name: 'tls-validity-checks-certificate' }],
      ['gateway-certificate-malformed-secret', { name: 'malformed-certificate' }],
    ];
    const result = run({
      gateways: cases.map(([name, ref]) => gateway({ name, listeners: [{ name: 'https', protocol: 'HTTPS', from: 'All', certificateRefs: [ref] }] })),
      secrets: [tlsSecret(INFRA, 'malformed-certificate', '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n', 'also not a key')],
    });
    for (const [name] of cases) {
      const https = listenerOf(result, name, 'https');
      assert.deepEqual([statusReason(https.conditions, 'ResolvedRefs'), statusReason(https.conditions, 'Programmed')], ['False/InvalidCertificateRef', 'False/Invalid'], name);
    }
  });

  describe('Gateway certificates in another namespace', () => {
    const gatewayWith = (name: string) => gateway({ name, listeners: [{ name: 'https', protocol: 'HTTPS', from: 'All', certificateRefs: [{ name: 'certificate', namespace: WEB }] }] });
    const fromGateways = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: INFRA }];
    const cases: [string, ReferenceGrant[], string][] = [
      ['GatewaySecretMissingReferenceGrant', [], 'False/RefNotPermitted'],
      ['GatewaySecretInvalidReferenceGrant', [referenceGrant(WEB, 'g', fromGateways, [{ group: '', kind: 'Secret', name: 'not-the-certificate' }])], 'False/RefNotPermitted'],
      ['GatewaySecretReferenceGrantSpecific', [referenceGrant(WEB, 'g', fromGateways, [{ group: '', kind: 'Secret', name: 'certificate' }])], 'True/ResolvedRefs'],
      ['GatewaySecretReferenceGrantAllInNamespace', [referenceGrant(WEB, 'g', fromGateways, [{ group: '', kind: 'Secret' }])], 'True/ResolvedRefs'],
    ];
    for (const [name, grants, expected] of cases) {
      test(`${name}: ${expected}`, () => {
        const result = run({ gateways: [gatewayWith('gateway-secret')], referenceGrants: grants, secrets: [tlsSecret(WEB, 'certificate', webCertificate.crt, webCertificate.key)] });
        const https = listenerOf(result, 'gateway-secret', 'https');
        assert.equal(statusReason(https.conditions, 'ResolvedRefs'), expected);
        const served = result.listeners.find((entry) => entry.gateway.name === 'gateway-secret');
        if (expected.startsWith('True')) {
          assert.equal(statusReason(https.conditions, 'Programmed'), 'True/Programmed');
          assert.deepEqual(served?.certificates.map((entry) => entry.id), [`${WEB}_certificate`]);
          assert.match(served!.certificates[0]!.info.pem, /BEGIN PRIVATE KEY/);
        } else {
          assert.equal(statusReason(https.conditions, 'Programmed'), 'False/Invalid');
          assert.equal(served, undefined);
        }
      });
    }
  });

  test('GatewayListenerUnsupportedProtocol: all invalid → Accepted False, mixed → Accepted True, both ListenersNotValid', () => {
    const result = run({
      gateways: [
        gateway({ name: 'gateway-only-unsupported-protocols', listeners: [{ name: 'invalid', port: 1111, protocol: 'INVALID' }] }),
        gateway({ name: 'gateway-supported-and-unsupported-protocols', listeners: [{ name: 'http' }, { name: 'invalid', port: 1111, protocol: 'INVALID' }] }),
      ],
      httpRoutes: [httpRoute({ name: 'control', hostnames: ['unsupported-protocol.example.com'], parentRefs: [parentRef('gateway-supported-and-unsupported-protocols', { sectionName: 'http' })] })],
    });
    assert.equal(statusReason(gatewayOf(result, 'gateway-only-unsupported-protocols').status.conditions, 'Accepted'), 'False/ListenersNotValid');
    assert.equal(gatewayOf(result, 'gateway-only-unsupported-protocols').accepted, false);
    assert.equal(statusReason(gatewayOf(result, 'gateway-supported-and-unsupported-protocols').status.conditions, 'Accepted'), 'True/ListenersNotValid');
    for (const gatewayName of ['gateway-only-unsupported-protocols', 'gateway-supported-and-unsupported-protocols']) {
      const invalid = listenerOf(result, gatewayName, 'invalid');
      assert.deepEqual([invalid.supportedKinds, statusReason(invalid.conditions, 'Accepted'), invalid.attachedRoutes], [[], 'False/UnsupportedProtocol', 0]);
    }
    const http = listenerOf(result, 'gateway-supported-and-unsupported-protocols', 'http');
    assert.equal(statusReason(http.conditions, 'Accepted'), 'True/Accepted');
    assert.ok(http.supportedKinds.some((kind) => kind.kind === 'HTTPRoute'));
    assert.equal(http.attachedRoutes, 1);
    assert.deepEqual(result.listeners.filter((entry) => entry.gateway.name.startsWith('gateway-')).map((entry) => entry.name), ['http']);
  });

  test('GatewayInvalidParametersRef: Accepted False InvalidParameters, not served', () => {
    const result = run({ gateways: [gateway({ name: 'gateway-invalid-parameters-ref', listeners: [{ name: 'http' }], parametersRef: { group: 'gateway.networking.k8s.io', kind: 'UnknownKind', name: 'nonexistent' } })] });
    const status = gatewayOf(result, 'gateway-invalid-parameters-ref').status;
    assert.deepEqual([statusReason(status.conditions, 'Accepted'), statusReason(status.conditions, 'Programmed')], ['False/InvalidParameters', 'False/Invalid']);
    assert.ok(!result.listeners.some((entry) => entry.gateway.name === 'gateway-invalid-parameters-ref'));
  });

  test('GatewayClass: ours is Accepted with SupportedVersion and sorted features; parametersRef is InvalidParameters; others are not ours', () => {
    const result = run(
      { gatewayClasses: [gatewayClass('with-parameters', 'portero.dev/gateway-controller', { parametersRef: { group: 'example.com', kind: 'Config', name: 'c' } }), gatewayClass('theirs', 'example.net/gateway-controller')] },
      { supportedFeatures: ['HTTPRoute', 'Gateway', 'HTTPRoute', 'ReferenceGrant'] },
    );
    assert.deepEqual(result.gatewayClasses.map((entry) => entry.gatewayClass.metadata.name), [CLASS, 'with-parameters']);
    const ours = result.gatewayClasses[0]!;
    assert.deepEqual([statusReason(ours.status.conditions, 'Accepted'), statusReason(ours.status.conditions, 'SupportedVersion')], ['True/Accepted', 'True/SupportedVersion']);
    assert.deepEqual(ours.status.supportedFeatures, [{ name: 'Gateway' }, { name: 'HTTPRoute' }, { name: 'ReferenceGrant' }]);
    assert.equal(statusReason(result.gatewayClasses[1]!.status.conditions, 'Accepted'), 'False/InvalidParameters');
    // A Gateway of a class that is not accepted is ours but not served.
    const gw = run({ gatewayClasses: [gatewayClass('with-parameters', 'portero.dev/gateway-controller', { parametersRef: { group: 'example.com', kind: 'Config', name: 'c' } })], gateways: [gateway({ name: 'of-bad-class', className: 'with-parameters', listeners: [{ name: 'http' }] })] });
    assert.equal(statusReason(gatewayOf(gw, 'of-bad-class').status.conditions, 'Accepted'), 'False/Invalid');
  });

  test('observedGeneration: every condition carries the generation of its own object', () => {
    const input = base();
    input.gatewayClasses = [gatewayClass(CLASS, 'portero.dev/gateway-controller', {}, 4)];
    input.gateways = [gateway({ name: 'same-namespace', listeners: [{ name: 'http' }], generation: 7 })];
    input.httpRoutes = [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], generation: 3 })];
    const result = attachGateways(deepFreeze(input));
    assert.deepEqual(new Set(result.gatewayClasses[0]!.status.conditions.map((entry) => entry.observedGeneration)), new Set([4]));
    const gw = gatewayOf(result, 'same-namespace').status;
    assert.deepEqual(new Set([...gw.conditions, ...gw.listeners.flatMap((entry) => entry.conditions)].map((entry) => entry.observedGeneration)), new Set([7]));
    assert.deepEqual(new Set(parentOf(result, 'route', 'same-namespace').conditions.map((entry) => entry.observedGeneration)), new Set([3]));
    assert.ok([...gw.conditions, ...parentOf(result, 'route', 'same-namespace').conditions].every((entry) => entry.lastTransitionTime === undefined), 'the writer sets lastTransitionTime');
    // HTTPRouteObservedGenerationBump / GatewayObservedGenerationBump: a new generation, new observedGenerations.
    const bumped = attachGateways({
      ...input,
      gateways: [gateway({ name: 'same-namespace', listeners: [{ name: 'http' }, { name: 'http-8080', port: 8080 }], generation: 8 })],
      httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], generation: 4, rules: [rule({ backendRefs: [backendRef('infra-backend-v2')] })] })],
    });
    assert.deepEqual(new Set(parentOf(bumped, 'route', 'same-namespace').conditions.map((entry) => entry.observedGeneration)), new Set([4]));
    assert.deepEqual(gatewayOf(bumped, 'same-namespace').status.listeners.map((entry) => [entry.name, entry.attachedRoutes, entry.conditions[0]!.observedGeneration]), [['http', 1, 8], ['http-8080', 1, 8]]);
  });
});

describe('listener conflicts and overlapping TLS', () => {
  test('listeners of one port with different protocols are all ProtocolConflict, and not served', () => {
    const result = run({
      gateways: [gateway({ name: 'mixed', listeners: [{ name: 'http', port: 8443 }, { name: 'https', protocol: 'HTTPS', port: 8443, certificateRefs: [{ name: 'tls-validity-checks-certificate' }] }, { name: 'other', port: 80 }] })],
    });
    for (const name of ['http', 'https']) {
      const listener = listenerOf(result, 'mixed', name);
      assert.deepEqual([statusReason(listener.conditions, 'Conflicted'), statusReason(listener.conditions, 'Accepted'), statusReason(listener.conditions, 'Programmed')], ['True/ProtocolConflict', 'False/ProtocolConflict', 'False/Invalid'], name);
    }
    assert.equal(statusReason(listenerOf(result, 'mixed', 'other').conditions, 'Conflicted'), 'False/NoConflicts');
    assert.equal(statusReason(gatewayOf(result, 'mixed').status.conditions, 'Accepted'), 'True/ListenersNotValid');
    assert.deepEqual(result.listeners.filter((entry) => entry.gateway.name === 'mixed').map((entry) => entry.name), ['other']);
  });

  test('listeners of one port and protocol with the same hostname are HostnameConflict; a protocol written in lowercase is the same protocol', () => {
    const result = run({ gateways: [gateway({ name: 'dup', listeners: [{ name: 'a', hostname: 'x.example.com' }, { name: 'b', protocol: 'http', hostname: 'x.example.com' }, { name: 'c' }, { name: 'd', hostname: 'y.example.com' }] })] });
    assert.deepEqual(['a', 'b', 'c', 'd'].map((name) => statusReason(listenerOf(result, 'dup', name).conditions, 'Conflicted')), ['True/HostnameConflict', 'True/HostnameConflict', 'False/NoConflicts', 'False/NoConflicts']);
  });

  test('an unsupported protocol does not conflict with a supported listener on its port', () => {
    const result = run({ gateways: [gateway({ name: 'tcp', listeners: [{ name: 'http' }, { name: 'tcp', protocol: 'TCP' }] })] });
    assert.equal(statusReason(listenerOf(result, 'tcp', 'http').conditions, 'Conflicted'), 'False/NoConflicts');
    assert.equal(statusReason(listenerOf(result, 'tcp', 'tcp').conditions, 'Accepted'), 'False/UnsupportedProtocol');
  });

  test('Gateways sharing an address conflict when one port has two protocols; same protocol is merged', () => {
    const https = { name: 'https', protocol: 'HTTPS', port: 8000, certificateRefs: [{ name: 'tls-validity-checks-certificate' }] };
    const result = run({
      gateways: [
        gateway({ name: 'shared-a', listeners: [{ name: 'http', port: 8000 }] }),
        gateway({ name: 'shared-b', listeners: [https] }),
        gateway({ name: 'own-address', addresses: [{ value: '127.0.0.9' }], listeners: [https] }),
      ],
    });
    assert.equal(statusReason(listenerOf(result, 'shared-a', 'http').conditions, 'Conflicted'), 'True/ProtocolConflict');
    assert.equal(statusReason(listenerOf(result, 'shared-b', 'https').conditions, 'Conflicted'), 'True/ProtocolConflict');
    assert.equal(statusReason(listenerOf(result, 'own-address', 'https').conditions, 'Conflicted'), 'False/NoConflicts');
    // The base Gateways share port 80 and protocol HTTP: served side by side.
    assert.equal(statusReason(listenerOf(result, 'same-namespace', 'http').conditions, 'Conflicted'), 'False/NoConflicts');
  });

  test('OverlappingTLSConfig: set on HTTPS listeners of one port whose hostnames overlap, never written False', () => {
    const cert = [{ name: 'tls-validity-checks-certificate' }];
    const result = run({
      gateways: [
        gateway({
          name: 'gateway-overlapping-hostnames',
          listeners: [
            { name: 'foo-https', protocol: 'HTTPS', hostname: 'foo.example.com', certificateRefs: cert },
            { name: 'bar-https', protocol: 'HTTPS', hostname: 'bar.bar.example.com', certificateRefs: cert },
            { name: 'wildcard-https', protocol: 'HTTPS', hostname: '*.example.com', certificateRefs: cert },
            { name: 'not-overlapping-https', protocol: 'HTTPS', hostname: 'example.com', certificateRefs: cert },
            { name: 'not-overlapping-other-port', protocol: 'HTTPS', port: 9443, hostname: 'foo.example.com', certificateRefs: cert },
          ],
        }),
      ],
    });
    for (const name of ['foo-https', 'bar-https', 'wildcard-https']) {
      assert.equal(statusReason(listenerOf(result, 'gateway-overlapping-hostnames', name).conditions, 'OverlappingTLSConfig'), 'True/OverlappingHostnames', name);
    }
    for (const name of ['not-overlapping-https', 'not-overlapping-other-port']) {
      assert.ok(!listenerOf(result, 'gateway-overlapping-hostnames', name).conditions.some((entry) => entry.type === 'OverlappingTLSConfig'), name);
    }
  });

  test('HTTPS with tls.mode Passthrough is not accepted (UnsupportedValue)', () => {
    const result = run({ gateways: [gateway({ name: 'passthrough', listeners: [{ name: 'https', protocol: 'HTTPS', mode: 'Passthrough', certificateRefs: [] }] })] });
    assert.equal(statusReason(listenerOf(result, 'passthrough', 'https').conditions, 'Accepted'), 'False/UnsupportedValue');
  });

  test('a second, invalid certificateRef leaves ResolvedRefs False but the listener served with the valid one', () => {
    const result = run({ gateways: [gateway({ name: 'two-certs', listeners: [{ name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'tls-validity-checks-certificate' }, { name: 'missing' }] }] })] });
    const https = listenerOf(result, 'two-certs', 'https');
    assert.deepEqual([statusReason(https.conditions, 'ResolvedRefs'), statusReason(https.conditions, 'Programmed')], ['False/InvalidCertificateRef', 'True/Programmed']);
    assert.equal(result.listeners.find((entry) => entry.gateway.name === 'two-certs')?.certificates.length, 1);
  });

  test('a certificate HAProxy refused is an invalid certificateRef', () => {
    const first = run({ gateways: [gateway({ name: 'refused', listeners: [{ name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'tls-validity-checks-certificate' }] }] })] });
    const served = first.listeners.find((entry) => entry.gateway.name === 'refused')!;
    const pem = served.certificates[0]!.info.pem;
    const refusedCertificates = new Map([[served.certificates[0]!.id, { pem, reason: 'key too small' }]]);
    const second = run({ gateways: [gateway({ name: 'refused', listeners: [{ name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'tls-validity-checks-certificate' }] }] })] }, { refusedCertificates });
    assert.equal(statusReason(listenerOf(second, 'refused', 'https').conditions, 'ResolvedRefs'), 'False/InvalidCertificateRef');
    assert.match(conditionOf(listenerOf(second, 'refused', 'https').conditions, 'ResolvedRefs').message, /key too small/);
  });
});

describe('Gateway addresses', () => {
  const published = [{ ip: '192.0.2.10' }, { hostname: 'lb.example.com' }];
  const cases: [string, { type?: string; value: string }[], { accepted: string; programmed: string; status: { type: string; value: string }[]; bind: string[] | undefined }][] = [
    ['no spec addresses: the published ones, on the shared bind address', [], { accepted: 'True/Accepted', programmed: 'True/Programmed', status: [{ type: 'IPAddress', value: '192.0.2.10' }, { type: 'Hostname', value: 'lb.example.com' }], bind: [] }],
    ['IP addresses: bound and reported', [{ value: '127.0.0.2' }, { value: '::1' }], { accepted: 'True/Accepted', programmed: 'True/Programmed', status: [{ type: 'IPAddress', value: '127.0.0.2' }, { type: 'IPAddress', value: '::1' }], bind: ['127.0.0.2', '::1'] }],
    ['a Hostname address: UnsupportedAddress', [{ type: 'Hostname', value: 'gw.example.com' }], { accepted: 'False/UnsupportedAddress', programmed: 'False/Invalid', status: [], bind: undefined }],
    ['a value that is no IP: AddressNotUsable, left out of status', [{ value: '127.0.0.2' }, { value: 'not-an-ip' }], { accepted: 'True/Accepted', programmed: 'False/AddressNotUsable', status: [{ type: 'IPAddress', value: '127.0.0.2' }], bind: undefined }],
    ['an empty IPAddress: assigned the published IP addresses (it asks for an IPAddress)', [{ value: '' }], { accepted: 'True/Accepted', programmed: 'True/Programmed', status: [{ type: 'IPAddress', value: '192.0.2.10' }], bind: [] }],
  ];
  for (const [name, addresses, expected] of cases) {
    test(name, () => {
      const result = run({ gateways: [gateway({ name: 'addressed', addresses, listeners: [{ name: 'http', port: 8080 }] })] }, { publishedAddresses: published });
      const status = gatewayOf(result, 'addressed').status;
      assert.deepEqual([statusReason(status.conditions, 'Accepted'), statusReason(status.conditions, 'Programmed'), status.addresses], [expected.accepted, expected.programmed, expected.status]);
      assert.deepEqual(result.listeners.find((entry) => entry.gateway.name === 'addressed')?.addresses, expected.bind);
    });
  }

  test('an empty IPAddress with nothing published is AddressNotAssigned; addressProblem makes an IP unusable', () => {
    const empty = run({ gateways: [gateway({ name: 'addressed', addresses: [{ value: '' }], listeners: [{ name: 'http', port: 8080 }] })] }, { publishedAddresses: [{ hostname: 'lb.example.com' }] });
    assert.equal(statusReason(gatewayOf(empty, 'addressed').status.conditions, 'Programmed'), 'False/AddressNotAssigned');
    const foreign = run({ gateways: [gateway({ name: 'addressed', addresses: [{ value: '203.0.113.7' }], listeners: [{ name: 'http', port: 8080 }] })] }, { addressProblem: (ip) => (ip.startsWith('127.') ? undefined : 'not an address of this node') });
    assert.equal(statusReason(gatewayOf(foreign, 'addressed').status.conditions, 'Programmed'), 'False/AddressNotUsable');
    assert.match(conditionOf(gatewayOf(foreign, 'addressed').status.conditions, 'Programmed').message, /203\.0\.113\.7: not an address of this node/);
  });
});

describe('an address to assign, with the published addresses unknown (every replica translates; the leader knows them)', () => {
  const asking = () => run({ gateways: [gateway({ name: 'addressed', addresses: [{ value: '' }], listeners: [{ name: 'http', port: 8080 }] })] });

  test('served on the shared bind address and marked for the status reporter', () => {
    const result = asking();
    const addressed = gatewayOf(result, 'addressed');
    assert.equal(statusReason(addressed.status.conditions, 'Programmed'), 'True/Programmed');
    assert.deepEqual(addressed.status.addresses, []);
    assert.equal(addressed.assignsPublished, true);
    assert.deepEqual(result.listeners.find((entry) => entry.gateway.name === 'addressed')?.addresses, []);
    assert.equal(gatewayOf(run({ gateways: [gateway({ name: 'fixed', addresses: [{ value: '127.0.0.2' }], listeners: [{ name: 'http', port: 8080 }] })] }), 'fixed').assignsPublished, undefined);
  });

  test('withAssignedAddresses: the published IP addresses; none: AddressNotAssigned; unmarked statuses unchanged', () => {
    const status = gatewayOf(asking(), 'addressed').status;
    assert.deepEqual(withAssignedAddresses(status, true, [{ type: 'Hostname', value: 'lb.example.com' }, { type: 'IPAddress', value: '192.0.2.10' }]).addresses, [{ type: 'IPAddress', value: '192.0.2.10' }]);
    const none = withAssignedAddresses(status, true, [{ type: 'Hostname', value: 'lb.example.com' }]);
    assert.equal(statusReason(none.conditions, 'Programmed'), 'False/AddressNotAssigned');
    assert.equal(statusReason(none.conditions, 'Accepted'), 'True/Accepted');
    assert.equal(withAssignedAddresses(status, false, []), status);
  });
});

describe('allowedRoutes', () => {
  const selectorCases: [string, NonNullable<Parameters<typeof gateway>[0]['listeners'][number]['selector']>, string[]][] = [
    ['matchLabels', { matchLabels: { 'gateway-conformance': 'backend' } }, [APP, WEB]],
    ['In', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [WEB, 'elsewhere'] }] }, [WEB]],
    ['NotIn', { matchExpressions: [{ key: 'gateway-conformance', operator: 'NotIn', values: ['backend'] }] }, [INFRA, 'unlabelled', 'undeclared']],
    ['Exists', { matchExpressions: [{ key: 'gateway-conformance', operator: 'Exists' }] }, [INFRA, APP, WEB]],
    ['DoesNotExist', { matchExpressions: [{ key: 'gateway-conformance', operator: 'DoesNotExist' }] }, ['unlabelled', 'undeclared']],
    ['the implied name label, also for a namespace without Namespace object', { matchLabels: { 'kubernetes.io/metadata.name': 'undeclared' } }, ['undeclared']],
    ['empty selector: every namespace', {}, [INFRA, APP, WEB, 'unlabelled', 'undeclared']],
  ];
  for (const [name, selector, expected] of selectorCases) {
    test(`Selector, ${name}`, () => {
      const namespaces = [INFRA, APP, WEB, 'unlabelled', 'undeclared'];
      const unlabelled = namespace('unlabelled');
      delete (unlabelled.metadata.labels as Record<string, string>)['kubernetes.io/metadata.name'];
      const result = run({
        namespaces: [unlabelled],
        gateways: [gateway({ name: 'selective', listeners: [{ name: 'http', port: 8080, from: 'Selector', selector }] })],
        httpRoutes: namespaces.map((ns) => httpRoute({ namespace: ns, name: 'route', parentRefs: [parentRef('selective', { namespace: INFRA })], rules: [rule()] })),
      });
      const accepted = namespaces.filter((ns) => routeOf(result, 'route', ns).accepted);
      assert.deepEqual(accepted, expected);
    });
  }

  test('from None allows no route; kinds restrict the route kinds', () => {
    const result = run({
      gateways: [gateway({ name: 'none', listeners: [{ name: 'http', port: 8080, from: 'None' }] }), gateway({ name: 'http-only', listeners: [{ name: 'http', port: 8081, kinds: [{ kind: 'HTTPRoute' }] }] })],
      httpRoutes: [httpRoute({ name: 'to-none', parentRefs: [parentRef('none')] })],
      grpcRoutes: [grpcRoute({ name: 'grpc', parentRefs: [parentRef('http-only')] })],
    });
    assert.equal(statusReason(parentOf(result, 'to-none', 'none').conditions, 'Accepted'), 'False/NotAllowedByListeners');
    const grpc = routeOf(result, 'grpc', INFRA, 'GRPCRoute').status.parents[0]!;
    assert.equal(statusReason(grpc.conditions, 'Accepted'), 'False/NotAllowedByListeners');
  });

  test('a route is accepted when one of the selected listeners accepts it; counted once per listener', () => {
    const gw = gateway({ name: 'two', listeners: [{ name: 'a', hostname: 'a.example.com' }, { name: 'b', hostname: 'b.example.com', from: 'None' }] });
    const result = run({ gateways: [gw], httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('two'), parentRef('two', { sectionName: 'a' })] })] });
    assert.deepEqual(attached(result, 'two'), { a: 1, b: 0 });
    assert.deepEqual(routeOf(result, 'r').status.parents.map((entry) => statusReason(entry.conditions, 'Accepted')), ['True/Accepted', 'True/Accepted']);
    assert.deepEqual(result.listeners.find((entry) => entry.gateway.name === 'two')!.routes[0]!.parentRefs, [0, 1]);
  });
});

describe('rules, filters and backends', () => {
  const attach = (rules: ReturnType<typeof rule>[], options: AttachOptions = {}) =>
    run({ httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('same-namespace')], rules })] }, options);

  test('every rule invalid: Accepted False UnsupportedValue, not attached', () => {
    const result = attach([rule({ filters: [{ type: 'NotAFilter' }], backendRefs: [backendRef('infra-backend-v1')] })]);
    assert.equal(statusReason(parentOf(result, 'r', 'same-namespace').conditions, 'Accepted'), 'False/UnsupportedValue');
    assert.equal(attached(result, 'same-namespace').http, 0);
  });

  test('some rules invalid: Accepted, PartiallyInvalid "Dropped Rule", a filter it cannot apply answers 500, an invalid match is left out', () => {
    const result = attach([
      rule({ matches: [prefix('/ok')], backendRefs: [backendRef('infra-backend-v1')] }),
      rule({ matches: [prefix('/extension')], filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Thing', name: 't' } }], backendRefs: [backendRef('infra-backend-v1')] }),
      rule({ matches: [{ path: { type: 'Glob', value: '/x*' }, headers: [], queryParams: [] }], backendRefs: [backendRef('infra-backend-v1')] }),
    ]);
    const conditions = parentOf(result, 'r', 'same-namespace').conditions;
    assert.deepEqual([statusReason(conditions, 'Accepted'), statusReason(conditions, 'PartiallyInvalid')], ['True/Accepted', 'True/UnsupportedValue']);
    assert.match(conditionOf(conditions, 'PartiallyInvalid').message, /^Dropped Rules: /);
    const served = routeOf(result, 'r');
    assert.deepEqual(served.served.rules.map((entry) => [entry.index, entry.fail?.reason]), [[0, undefined], [1, 'UnsupportedValue']]);
    assert.deepEqual(served.droppedRules.map((entry) => entry.index), [2]);
  });

  test('supported filters by default, and the option extends them', () => {
    const filters = [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [], add: [{ name: 'x', value: 'y' }], remove: [] } },
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [], add: [], remove: ['z'] } },
      { type: 'CORS', cors: { allowOrigins: ['https://*.bar.com'], allowMethods: ['*'], allowHeaders: [], exposeHeaders: [] } },
    ];
    const redirect = rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] });
    const result = attach([rule({ filters, backendRefs: [backendRef('infra-backend-v1', 8080, { filters })] }), redirect]);
    assert.ok(!parentOf(result, 'r', 'same-namespace').conditions.some((entry) => entry.type === 'PartiallyInvalid'));
    const mirror = [rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backendRef('infra-backend-v2') } }], backendRefs: [backendRef('infra-backend-v1')] })];
    assert.equal(statusReason(parentOf(attach(mirror), 'r', 'same-namespace').conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(parentOf(attach(mirror, { httpRouteFilters: ['RequestHeaderModifier'] }), 'r', 'same-namespace').conditions, 'Accepted'), 'False/UnsupportedValue');
  });

  test('RequestMirror: its backendRef resolved as backendRefs are (BackendNotFound, RefNotPermitted, with the field), the rule served; on a backendRef it is UnsupportedValue', () => {
    const mirrorOf = (ref: ReturnType<typeof backendRef>) => ({ type: 'RequestMirror', requestMirror: { backendRef: ref } });
    const cases: [ReturnType<typeof backendRef>, string][] = [
      [backendRef('nonexistent'), 'False/BackendNotFound'],
      [backendRef('web-backend', 8080, { namespace: WEB }), 'False/RefNotPermitted'],
      [backendRef('infra-backend-v2'), 'True/ResolvedRefs'],
    ];
    for (const [ref, resolved] of cases) {
      const result = attach([rule({ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [], add: [{ name: 'x', value: 'y' }], remove: [] } }, mirrorOf(ref)], backendRefs: [backendRef('infra-backend-v1')] })]);
      const conditions = parentOf(result, 'r', 'same-namespace').conditions;
      assert.deepEqual([statusReason(conditions, 'Accepted'), statusReason(conditions, 'ResolvedRefs')], ['True/Accepted', resolved]);
      const served = routeOf(result, 'r').served.rules[0]!;
      assert.equal(served.fail, undefined);
      assert.equal(served.mirrors?.get(1)?.ok, resolved === 'True/ResolvedRefs');
      if (resolved !== 'True/ResolvedRefs') assert.ok(result.diagnostics.some((d) => d.field === 'spec.rules[0].filters[1].requestMirror.backendRef' && /no copy/.test(d.message)));
    }
    const onBackend = attach([rule({ backendRefs: [backendRef('infra-backend-v1', 8080, { filters: [mirrorOf(backendRef('infra-backend-v2'))] })] })]);
    assert.equal(statusReason(parentOf(onBackend, 'r', 'same-namespace').conditions, 'Accepted'), 'False/UnsupportedValue');
  });

  const invalidRules: [string, ReturnType<typeof rule>, string][] = [
    ['RequestRedirect with URLRewrite', rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 302 } }, { type: 'URLRewrite', urlRewrite: { hostname: 'x' } }] }), 'IncompatibleFilters'],
    ['a redirect status code outside the enum', rule({ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }] }), 'UnsupportedValue'],
    ['ReplacePrefixMatch on an Exact match', rule({ matches: [{ path: { type: 'Exact', value: '/a' }, headers: [], queryParams: [] }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }] }), 'UnsupportedValue'],
    ['an unknown header match type', rule({ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Glob', name: 'a', value: 'b' }], queryParams: [] }] }), 'UnsupportedValue'],
    ['a lowercase method', rule({ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [], method: 'get' }] }), 'UnsupportedValue'],
    ['an ExtensionRef filter', rule({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Auth', name: 'a' } }] }), 'UnsupportedValue'],
    ['an unsupported filter on a backendRef', rule({ backendRefs: [backendRef('infra-backend-v1', 8080, { filters: [{ type: 'CORS2' }] })] }), 'UnsupportedValue'],
    // Valid for the API, outside what the data plane renders: attachment says so, as the router does (filter-features.ts).
    ['a CORS origin of another scheme', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['chrome-extension://abc'], allowMethods: [], allowHeaders: [], exposeHeaders: [] } }], backendRefs: [backendRef('infra-backend-v1')] }), 'UnsupportedValue'],
  ];
  for (const [name, invalidRule, reason] of invalidRules) {
    test(`${name}: ${reason}`, () => {
      assert.equal(statusReason(parentOf(attach([invalidRule]), 'r', 'same-namespace').conditions, 'Accepted'), `False/${reason}`);
    });
  }

  test('the checkRule option invalidates rules (a match problem drops the rule)', () => {
    const result = attach([rule({ matches: [prefix('/a')] }), rule({ matches: [prefix('/b')] })], {
      checkRule: ({ index, field }) => (index === 1 ? { reason: 'UnsupportedValue', field: `${field}.matches[0].path`, message: 'catastrophic backtracking', inMatches: true } : undefined),
    });
    assert.deepEqual(routeOf(result, 'r').droppedRules.map((entry) => [entry.index, entry.message]), [[1, 'catastrophic backtracking']]);
    assert.ok(result.diagnostics.some((d) => d.field === 'spec.rules[1].matches[0].path' && /catastrophic/.test(d.message)));
  });

  const backendProblems: [string, ReturnType<typeof backendRef>, string][] = [
    ['no port', backendRef('infra-backend-v1', null), 'BackendNotFound'],
    ['a port the Service lacks', backendRef('infra-backend-v1', 9999), 'BackendNotFound'],
    ['an ExternalName Service', backendRef('external'), 'InvalidKind'],
    ['a UDP port', backendRef('dns', 53), 'UnsupportedProtocol'],
    ['a ServiceImport', backendRef('infra-backend-v1', 8080, { group: 'multicluster.x-k8s.io', kind: 'ServiceImport' }), 'InvalidKind'],
  ];
  for (const [name, ref, reason] of backendProblems) {
    test(`backendRef to ${name}: ResolvedRefs False ${reason}`, () => {
      const dns = service(INFRA, 'dns', [53]);
      (dns.spec.ports[0] as { protocol: string }).protocol = 'UDP';
      const result = run({
        services: [service(INFRA, 'external', [8080], { type: 'ExternalName', externalName: 'example.com' }), dns],
        httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('same-namespace')], rules: [rule({ backendRefs: [ref, backendRef('infra-backend-v2')] })] })],
      });
      assert.deepEqual(routeConditions(result, 'r', 'same-namespace'), ['True/Accepted', `False/${reason}`]);
      assert.deepEqual(routeOf(result, 'r').served.rules[0]!.backends.map((entry) => entry.ok), [false, true]);
    });
  }

  test('a missing Service in a namespace without a grant is RefNotPermitted, not BackendNotFound (nothing is learnt across namespaces)', () => {
    const result = run({ httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('same-namespace')], rules: [rule({ backendRefs: [backendRef('secret-service', 8080, { namespace: WEB })] })] })] });
    assert.deepEqual(routeConditions(result, 'r', 'same-namespace'), ['True/Accepted', 'False/RefNotPermitted']);
  });
});

describe('GRPCRoute', () => {
  test('attaches to HTTP listeners (empty kinds allow it) and resolves Services granted to GRPCRoutes', () => {
    const grant = referenceGrant(WEB, 'grpc', [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: INFRA }], [{ group: '', kind: 'Service' }]);
    const result = run({
      referenceGrants: [grant],
      grpcRoutes: [grpcRoute({ name: 'g', hostnames: ['grpc.example.com'], parentRefs: [parentRef('same-namespace')], rules: [{ matches: [{ method: { type: 'Exact', service: 'a.B', method: 'C' }, headers: [] }], filters: [], backendRefs: [backendRef('web-backend', 8080, { namespace: WEB })] }] })],
    });
    const parent = routeOf(result, 'g', INFRA, 'GRPCRoute').status.parents[0]!;
    assert.deepEqual([statusReason(parent.conditions, 'Accepted'), statusReason(parent.conditions, 'ResolvedRefs')], ['True/Accepted', 'True/ResolvedRefs']);
    const served = result.listeners.find((entry) => entry.gateway.name === 'same-namespace')!.routes[0]!;
    assert.deepEqual([served.route.kind, served.hostnames], ['GRPCRoute', ['grpc.example.com']]);
  });

  test('an HTTPRoute grant does not cover GRPCRoutes; GRPCRoute filters beyond the header modifiers are unsupported', () => {
    const result = run({
      referenceGrants: [grantFromInfraRoutes([{ group: '', kind: 'Service' }])],
      grpcRoutes: [
        grpcRoute({ name: 'g', parentRefs: [parentRef('same-namespace')], rules: [{ matches: [], filters: [], backendRefs: [backendRef('web-backend', 8080, { namespace: WEB })] }] }),
        grpcRoute({ name: 'm', parentRefs: [parentRef('same-namespace')], rules: [{ matches: [], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: backendRef('grpc-infra-backend-v1') } }], backendRefs: [] }] }),
      ],
    });
    assert.equal(statusReason(routeOf(result, 'g', INFRA, 'GRPCRoute').status.parents[0]!.conditions, 'ResolvedRefs'), 'False/RefNotPermitted');
    assert.equal(statusReason(routeOf(result, 'm', INFRA, 'GRPCRoute').status.parents[0]!.conditions, 'Accepted'), 'False/UnsupportedValue');
  });

  test('an HTTPRoute and a GRPCRoute with intersecting hostnames on one listener: the older is accepted, the other not', () => {
    const result = run({
      httpRoutes: [
        httpRoute({ name: 'old-http', hostnames: ['*.example.com'], parentRefs: [parentRef('same-namespace')], creationTimestamp: '2026-01-01T00:00:00Z' }),
        httpRoute({ name: 'young-http', hostnames: ['other.example.org'], parentRefs: [parentRef('same-namespace')], creationTimestamp: '2026-03-01T00:00:00Z' }),
      ],
      grpcRoutes: [
        grpcRoute({ name: 'grpc-clash', hostnames: ['api.example.com'], parentRefs: [parentRef('same-namespace')], creationTimestamp: '2026-02-01T00:00:00Z' }),
        grpcRoute({ name: 'grpc-older', hostnames: ['other.example.org'], parentRefs: [parentRef('same-namespace')], creationTimestamp: '2025-12-01T00:00:00Z' }),
      ],
    });
    assert.equal(statusReason(routeOf(result, 'grpc-clash', INFRA, 'GRPCRoute').status.parents[0]!.conditions, 'Accepted'), 'False/NotAllowedByListeners');
    assert.equal(statusReason(routeOf(result, 'grpc-older', INFRA, 'GRPCRoute').status.parents[0]!.conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(parentOf(result, 'old-http', 'same-namespace').conditions, 'Accepted'), 'True/Accepted');
    assert.equal(statusReason(parentOf(result, 'young-http', 'same-namespace').conditions, 'Accepted'), 'False/NotAllowedByListeners');
    assert.equal(attached(result, 'same-namespace').http, 2);
  });
});

describe('the output as a whole', () => {
  test('is deterministic, does not mutate its input (which is frozen), and lists served routes oldest first', () => {
    const routes = [
      httpRoute({ name: 'b', parentRefs: [parentRef('all-namespaces')], creationTimestamp: '2026-01-02T00:00:00Z' }),
      httpRoute({ name: 'a', parentRefs: [parentRef('all-namespaces')], creationTimestamp: '2026-01-02T00:00:00Z' }),
      httpRoute({ namespace: WEB, name: 'z', parentRefs: [parentRef('all-namespaces', { namespace: INFRA })], creationTimestamp: '2026-01-01T00:00:00Z', rules: [rule()] }),
    ];
    const first = run({ httpRoutes: routes });
    const second = run({ httpRoutes: [...routes].reverse() });
    assert.deepEqual(first, second);
    const served = first.listeners.find((entry) => entry.gateway.name === 'all-namespaces')!;
    assert.deepEqual(served.routes.map((entry) => entry.route.route.metadata.name), ['z', 'a', 'b']);
    assert.deepEqual(first.routes.map((entry) => `${entry.route.metadata.namespace}/${entry.route.metadata.name}`), [`${INFRA}/a`, `${INFRA}/b`, `${WEB}/z`]);
  });

  test('diagnostics name the object and field users must fix', () => {
    const result = run({
      gateways: [gateway({ name: 'bad', listeners: [{ name: 'udp', protocol: 'UDP', port: 53 }, { name: 'https', protocol: 'HTTPS', certificateRefs: [{ name: 'missing' }] }] })],
      httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('same-namespace', { sectionName: 'nope' })] })],
    });
    const lines = result.diagnostics.map((d) => `${d.severity} ${d.object.kind} ${d.object.name} ${d.field}`);
    assert.ok(lines.includes('error Gateway bad spec.listeners[0]'), lines.join('\n'));
    assert.ok(lines.includes('error Gateway bad spec.listeners[1].tls.certificateRefs[0]'), lines.join('\n'));
    assert.ok(lines.includes('error HTTPRoute r spec.parentRefs[0]'), lines.join('\n'));
  });

  test('a certificate that expired, or does not cover the listener hostname, is served with a warning', () => {
    const result = run(
      { gateways: [gateway({ name: 'warn', listeners: [{ name: 'https', protocol: 'HTTPS', hostname: 'www.example.net', certificateRefs: [{ name: 'tls-validity-checks-certificate' }] }] })] },
      { now: new Date(Date.now() + 365 * 24 * 3600 * 1000) },
    );
    const messages = result.diagnostics.filter((d) => d.object.name === 'warn').map((d) => `${d.severity}: ${d.message}`);
    assert.ok(messages.some((m) => /^warning: .*expired/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^warning: .*does not cover .*www\.example\.net/.test(m)), messages.join('\n'));
    assert.equal(statusReason(listenerOf(result, 'warn', 'https').conditions, 'Programmed'), 'True/Programmed');
  });
});

describe('hostname intersection (properties)', () => {
  const label = fc.constantFrom('a', 'b', 'c', 'ab');
  const precise = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
  const hostname = fc.oneof(precise, precise.map((rest) => `*.${rest}`));
  const concrete = fc.array(label, { minLength: 1, maxLength: 6 }).map((labels) => labels.join('.'));

  test('is symmetric', () => {
    fc.assert(fc.property(hostname, hostname, (a, b) => intersectHostnames(a, b) === intersectHostnames(b, a)), { numRuns: 2000 });
  });

  test('matches exactly the hosts both sides match', () => {
    fc.assert(
      fc.property(hostname, hostname, concrete, (a, b, host) => {
        const both = hostnameMatches(a, host) && hostnameMatches(b, host);
        const intersection = intersectHostnames(a, b);
        return intersection === undefined ? !both : hostnameMatches(intersection, host) === both;
      }),
      { numRuns: 5000 },
    );
  });

  test('is one of its two sides, and a side with itself is itself', () => {
    fc.assert(
      fc.property(hostname, hostname, (a, b) => {
        const intersection = intersectHostnames(a, b);
        return (intersection === undefined || intersection === a || intersection === b) && intersectHostnames(a, a) === a;
      }),
      { numRuns: 2000 },
    );
  });

  test('effective hostnames are matched by the listener and by a route hostname', () => {
    fc.assert(
      fc.property(fc.option(hostname, { nil: undefined }), fc.array(hostname, { maxLength: 4 }), concrete, (listenerHostname, routeHostnames, host) => {
        const effective = effectiveHostnames(listenerHostname, routeHostnames);
        if (effective === 'any') return listenerHostname === undefined && routeHostnames.length === 0;
        const served = effective.some((name) => hostnameMatches(name, host));
        const expected = (listenerHostname === undefined || hostnameMatches(listenerHostname, host)) && (routeHostnames.length === 0 || routeHostnames.some((name) => hostnameMatches(name, host)));
        return served === expected;
      }),
      { numRuns: 5000 },
    );
  });

  test('a wildcard matches one or more labels, never the bare suffix', () => {
    assert.deepEqual(['a.example.com', 'a.b.example.com', 'example.com', 'xexample.com'].map((host) => hostnameMatches('*.example.com', host)), [true, true, false, false]);
    assert.deepEqual([intersectHostnames('*.a.com', 'x.a.com'), intersectHostnames('*.a.com', '*.com'), intersectHostnames('*.a.com', '*.b.com'), intersectHostnames('*.a.com', 'a.com')], ['x.a.com', '*.a.com', undefined, undefined]);
  });
});
