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
  });
});
