// decodeObject for the Gateway API kinds and Namespaces: valid objects come
// out with the API's defaults filled in; invalid ones are refused with the
// field and the message the API server's OpenAPI and CEL rules give.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeObject } from '../../src/objects/decode.js';
import { formatPath } from '../../src/objects/field-errors.js';
import type { Gateway, GRPCRoute, HTTPRoute } from '../../src/objects/gateway-types.js';
import type { KubeObject } from '../../src/objects/types.js';
import { toManifest } from '../../src/source/manifests/kept.js';

type Json = Record<string, any>;
const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };
const V1 = 'gateway.networking.k8s.io/v1';

function ok(raw: Json): KubeObject {
  const result = decodeObject(raw, options);
  assert.equal(result.status, 'ok', JSON.stringify(result));
  return (result as { object: KubeObject }).object;
}

function errorsOf(raw: unknown): string[] {
  const result = decodeObject(raw, options);
  if (result.status !== 'invalid') return [];
  return result.errors.map((error) => `${formatPath(error.path)}: ${error.message}`);
}

const gateway = (spec: Json, apiVersion = V1): Json => ({ apiVersion, kind: 'Gateway', metadata: { name: 'gw', namespace: 'infra' }, spec: { gatewayClassName: 'portero', ...spec } });
const http = (extra: Json = {}): Json => ({ name: 'http', port: 80, protocol: 'HTTP', ...extra });
const https = (extra: Json = {}): Json => ({ name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] }, ...extra });
const route = (spec: Json, kind = 'HTTPRoute', apiVersion = V1): Json => ({ apiVersion, kind, metadata: { name: 'r' }, spec: { parentRefs: [{ name: 'gw' }], ...spec } });
const rule = (extra: Json = {}): Json => ({ backendRefs: [{ name: 'svc', port: 8080 }], ...extra });
const withRule = (extra: Json): Json => route({ rules: [rule(extra)] });
const match = (path: Json): Json => withRule({ matches: [{ path }] });
const filter = (value: Json, ruleExtra: Json = {}): Json => withRule({ filters: [value], ...ruleExtra });

describe('Gateway API objects decode with the API defaults filled in', () => {
  test('GatewayClass, in v1 and v1beta1', () => {
    for (const apiVersion of [V1, 'gateway.networking.k8s.io/v1beta1']) {
      const object = ok({ apiVersion, kind: 'GatewayClass', metadata: { name: 'portero' }, spec: { controllerName: 'portero.dev/gateway-controller', parametersRef: { group: '', kind: 'ConfigMap', name: 'c', namespace: 'p' } } });
      assert.equal(object.metadata.namespace, '', 'cluster-scoped');
      assert.deepEqual(object.kind === 'GatewayClass' && object.spec, { controllerName: 'portero.dev/gateway-controller', parametersRef: { group: '', kind: 'ConfigMap', name: 'c', namespace: 'p' } });
    }
  });

  test('Gateway: listener allowedRoutes, TLS mode and certificate references, address types', () => {
    const object = ok(gateway({ listeners: [http(), https(), http({ name: 'other', port: 8080, allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } }, kinds: [{ kind: 'HTTPRoute' }] } })], addresses: [{ value: '127.0.0.2' }] })) as Gateway;
    assert.equal(object.metadata.namespace, 'infra');
    const [plain, secure, other] = object.spec.listeners;
    assert.deepEqual(plain, { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' }, kinds: [] } });
    assert.deepEqual(secure?.tls, { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'cert' }] });
    assert.deepEqual(other?.allowedRoutes, { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' }, matchExpressions: [] } }, kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }] });
    assert.deepEqual(object.spec.addresses, [{ type: 'IPAddress', value: '127.0.0.2' }]);
  });

  test('listeners the API accepts but Portero may not serve decode: TLS passthrough, TCP, a domain-prefixed protocol', () => {
    const object = ok(gateway({ listeners: [{ name: 'tls', port: 443, protocol: 'TLS', hostname: '*.example.com', tls: { mode: 'Passthrough' } }, { name: 'tcp', port: 5432, protocol: 'TCP' }, { name: 'custom', port: 9000, protocol: 'example.com/proto' }] })) as Gateway;
    assert.deepEqual(object.spec.listeners.map((listener) => listener.protocol), ['TLS', 'TCP', 'example.com/proto']);
    assert.equal(object.spec.listeners[0]?.tls?.mode, 'Passthrough');
  });

  test('HTTPRoute without rules gets the rule that matches every request', () => {
    const object = ok(route({})) as HTTPRoute;
    assert.deepEqual(object.spec.parentRefs, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }]);
    assert.deepEqual(object.spec.rules, [{ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }], filters: [], backendRefs: [] }]);
    assert.equal(object.metadata.namespace, 'default');
  });

  test('HTTPRoute matches, backendRefs and filters get their defaults', () => {
    const object = ok(
      route({
        hostnames: ['*.example.com'],
        rules: [
          {
            name: 'first',
            matches: [{ path: { value: '/a' }, headers: [{ name: 'x-v', value: '1' }], queryParams: [{ name: 'q', value: '2' }], method: 'GET' }, { headers: [{ name: 'x-only', value: 'y' }] }],
            filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: 'b' }] } }, { type: 'CORS', cors: { allowOrigins: ['https://a.test'] } }, { type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 80 }, fraction: { numerator: 1 } } }],
            backendRefs: [{ name: 'svc', port: 8080, filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x'] } }] }, { name: 'other', namespace: 'b', port: 80, weight: 0 }],
            timeouts: { request: '10s', backendRequest: '2s' },
          },
          { matches: [], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }] },
        ],
      }),
    ) as HTTPRoute;
    const [first, second] = object.spec.rules;
    assert.deepEqual(first?.matches, [
      { path: { type: 'PathPrefix', value: '/a' }, headers: [{ type: 'Exact', name: 'x-v', value: '1' }], queryParams: [{ type: 'Exact', name: 'q', value: '2' }], method: 'GET' },
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-only', value: 'y' }], queryParams: [] },
    ]);
    assert.deepEqual(first?.filters[0]?.requestHeaderModifier, { set: [{ name: 'a', value: 'b' }], add: [], remove: [] });
    assert.deepEqual(first?.filters[1]?.cors, { allowOrigins: ['https://a.test'], allowMethods: [], allowHeaders: [], exposeHeaders: [], maxAge: 5 });
    assert.deepEqual(first?.filters[2]?.requestMirror, { backendRef: { group: '', kind: 'Service', name: 'm', port: 80 }, fraction: { numerator: 1, denominator: 100 } });
    assert.deepEqual(first?.backendRefs, [
      { group: '', kind: 'Service', name: 'svc', port: 8080, weight: 1, filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [], add: [], remove: ['x'] } }] },
      { group: '', kind: 'Service', name: 'other', namespace: 'b', port: 80, weight: 0, filters: [] },
    ]);
    assert.deepEqual(first?.timeouts, { request: '10s', backendRequest: '2s' });
    assert.equal(first?.name, 'first');
    assert.deepEqual(second?.matches, [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }], 'no matches: PathPrefix /');
    assert.deepEqual(second?.filters[0]?.requestRedirect, { scheme: 'https', statusCode: 302 });
  });

  test('filters and matches the API accepts but Portero may not support decode', () => {
    const object = ok(
      withRule({
        matches: [{ path: { type: 'RegularExpression', value: '/a(b|c)+' }, headers: [{ type: 'RegularExpression', name: 'x', value: '.*' }] }],
        filters: [{ type: 'ExtensionRef', extensionRef: { kind: 'Thing', name: 't' } }, { type: 'RequestMirror', requestMirror: { backendRef: { name: 'a', port: 1 } } }, { type: 'RequestMirror', requestMirror: { backendRef: { name: 'b', port: 1 }, percent: 50 } }],
      }),
    ) as HTTPRoute;
    assert.deepEqual(object.spec.rules[0]?.filters.map((f) => f.type), ['ExtensionRef', 'RequestMirror', 'RequestMirror']);
    assert.deepEqual(object.spec.rules[0]?.filters[0]?.extensionRef, { group: '', kind: 'Thing', name: 't' });
  });

  test('GRPCRoute: method match type defaults to Exact; rules have no default', () => {
    const object = ok(route({ rules: [{ matches: [{ method: { service: 'pkg.Svc', method: 'Get' }, headers: [{ name: 'x', value: 'y' }] }, {}], backendRefs: [{ name: 'svc', port: 9000 }] }] }, 'GRPCRoute')) as GRPCRoute;
    assert.deepEqual(object.spec.rules[0]?.matches, [{ method: { type: 'Exact', service: 'pkg.Svc', method: 'Get' }, headers: [{ type: 'Exact', name: 'x', value: 'y' }] }, { headers: [] }]);
    assert.deepEqual((ok(route({}, 'GRPCRoute')) as GRPCRoute).spec.rules, []);
  });

  test('ReferenceGrant in v1 and v1beta1', () => {
    for (const apiVersion of [V1, 'gateway.networking.k8s.io/v1beta1']) {
      const object = ok({ apiVersion, kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'backend' }, spec: { from: [{ group: V1.split('/')[0], kind: 'HTTPRoute', namespace: 'infra' }], to: [{ group: '', kind: 'Service' }, { group: '', kind: 'Secret', name: 's' }] } });
      assert.deepEqual(object.kind === 'ReferenceGrant' && object.spec.to, [{ group: '', kind: 'Service' }, { group: '', kind: 'Secret', name: 's' }]);
    }
  });

  test('Namespaces keep their labels only', () => {
    const object = ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a', team: 'a' }, annotations: { big: 'x'.repeat(1000) } }, spec: { finalizers: ['kubernetes'] } });
    assert.deepEqual(object.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a', team: 'a' });
    assert.deepEqual(object.metadata.annotations, {});
    assert.equal(object.metadata.namespace, '');
  });

  test('a Namespace carries its name label, as the API server sets it, whatever the manifest says', () => {
    assert.deepEqual(ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } }).metadata.labels, { 'kubernetes.io/metadata.name': 'b' });
    assert.deepEqual(ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b', labels: { 'kubernetes.io/metadata.name': 'other', x: 'y' } } }).metadata.labels, { 'kubernetes.io/metadata.name': 'b', x: 'y' });
  });

  test('a decoded object written back as a manifest decodes to the same object (kept last good versions)', () => {
    const objects = [
      ok(gateway({ listeners: [http(), https({ tls: { certificateRefs: [{ name: 'c' }], options: { 'example.com/min-tls': '1.3' } } })] })),
      ok(withRule({ matches: [{ path: { value: '/x' } }], filters: [{ type: 'CORS', cors: { allowOrigins: ['*'] } }] })),
      ok(route({ rules: [{ matches: [{ method: { service: 's' } }] }] }, 'GRPCRoute')),
      ok({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: { a: 'b' } } }),
    ];
    for (const object of objects) assert.deepEqual(ok(JSON.parse(JSON.stringify(toManifest(object)))), object);
  });

  test('empty lists are shared between objects (decoded objects are never changed)', () => {
    const a = ok(withRule({})) as HTTPRoute;
    const b = ok(withRule({})) as HTTPRoute;
    assert.equal(a.spec.rules[0]?.filters, b.spec.rules[0]?.filters);
    assert.equal(a.spec.hostnames, b.spec.hostnames);
    assert.equal(a.spec.rules[0]?.matches, b.spec.rules[0]?.matches);
  });
});

/** [title, object, field path, message pattern] */
type Case = [string, unknown, string, RegExp];

function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const [name, raw, field, message] of cases) {
      test(name, () => {
        const errors = errorsOf(raw);
        assert.ok(
          errors.some((error) => error.startsWith(`${field}: `) && message.test(error.slice(field.length + 2))),
          `expected ${field}: ${message} in ${JSON.stringify(errors, null, 1)}`,
        );
      });
    }
  });
}

table('GatewayClass and ReferenceGrant: refused as the API refuses them', [
  ['apiVersion not served', { apiVersion: 'gateway.networking.k8s.io/v1alpha2', kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'a.b/c' } }, 'apiVersion', /^Unsupported value: "gateway\.networking\.k8s\.io\/v1alpha2": GatewayClass must be one of gateway\.networking\.k8s\.io\/v1, gateway\.networking\.k8s\.io\/v1beta1$/],
  ['GRPCRoute in v1beta1', route({}, 'GRPCRoute', 'gateway.networking.k8s.io/v1beta1'), 'apiVersion', /GRPCRoute must be gateway\.networking\.k8s\.io\/v1$/],
  ['no spec', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' } }, 'spec', /^Required value$/],
  ['no controllerName', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: {} }, 'spec.controllerName', /^Required value$/],
  ['controllerName without a path', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'example.com' } }, 'spec.controllerName', /^Invalid value: "example\.com": must be a domain-prefixed path/],
  ['description too long', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'a.b/c', description: 'x'.repeat(65) } }, 'spec.description', /must be no more than 64 characters/],
  ['parametersRef without group', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'a.b/c', parametersRef: { kind: 'ConfigMap', name: 'x' } } }, 'spec.parametersRef.group', /^Required value$/],
  ['parametersRef kind with a slash', { apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'c' }, spec: { controllerName: 'a.b/c', parametersRef: { group: '', kind: 'a/b', name: 'x' } } }, 'spec.parametersRef.kind', /^Invalid value: "a\/b": must start with a letter/],
  ['ReferenceGrant without from', { apiVersion: V1, kind: 'ReferenceGrant', metadata: { name: 'g' }, spec: { to: [{ group: '', kind: 'Service' }] } }, 'spec.from', /^Required value: must have at least 1 item$/],
  ['ReferenceGrant from a namespace that is no label', { apiVersion: V1, kind: 'ReferenceGrant', metadata: { name: 'g' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'a.b' }], to: [{ group: '', kind: 'Service' }] } }, 'spec.from[0].namespace', /lowercase RFC 1123 label/],
  ['ReferenceGrant to without kind', { apiVersion: V1, kind: 'ReferenceGrant', metadata: { name: 'g' }, spec: { from: [{ group: '', kind: 'Gateway', namespace: 'a' }], to: [{ group: '' }] } }, 'spec.to[0].kind', /^Required value$/],
  ['ReferenceGrant with 17 to entries', { apiVersion: V1, kind: 'ReferenceGrant', metadata: { name: 'g' }, spec: { from: [{ group: '', kind: 'Gateway', namespace: 'a' }], to: Array.from({ length: 17 }, () => ({ group: '', kind: 'Secret' })) } }, 'spec.to', /^Too many: 17: must have at most 16 items$/],
  ['a Namespace name that is no label', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }, 'metadata.name', /lowercase RFC 1123 label/],
]);

table('Gateway: refused as the API refuses it', [
  ['no gatewayClassName', { apiVersion: V1, kind: 'Gateway', metadata: { name: 'g' }, spec: { listeners: [http()] } }, 'spec.gatewayClassName', /^Required value$/],
  ['no listeners', gateway({}), 'spec.listeners', /^Required value: must have at least 1 item$/],
  ['65 listeners', gateway({ listeners: Array.from({ length: 65 }, (_, i) => http({ name: `l${i}`, port: 1000 + i })) }), 'spec.listeners', /^Too many: 65: must have at most 64 items$/],
  ['listener names repeat', gateway({ listeners: [http(), http({ port: 81 })] }), 'spec.listeners[1].name', /^Duplicate value: "http"$/],
  ['port, protocol and hostname repeat', gateway({ listeners: [http(), http({ name: 'again' })] }), 'spec.listeners[1]', /^Invalid value: Combination of port, protocol and hostname must be unique for each listener$/],
  ['port 0', gateway({ listeners: [http({ port: 0 })] }), 'spec.listeners[0].port', /^Invalid value: 0: must be between 1 and 65535, inclusive$/],
  ['no port', gateway({ listeners: [{ name: 'a', protocol: 'HTTP' }] }), 'spec.listeners[0].port', /^Required value$/],
  ['a listener name with a slash', gateway({ listeners: [http({ name: 'a/b' })] }), 'spec.listeners[0].name', /lowercase RFC 1123 subdomain/],
  ['an uppercase hostname', gateway({ listeners: [http({ hostname: 'A.example.com' })] }), 'spec.listeners[0].hostname', /lowercase DNS name/],
  ['an inner wildcard hostname', gateway({ listeners: [http({ hostname: 'a.*.com' })] }), 'spec.listeners[0].hostname', /wildcard label/],
  ['a protocol with a space', gateway({ listeners: [http({ protocol: 'HT TP' })] }), 'spec.listeners[0].protocol', /must be a protocol name/],
  ['tls on HTTP', gateway({ listeners: [http({ tls: { certificateRefs: [{ name: 'c' }] } })] }), 'spec.listeners[0].tls', /^Invalid value: tls must not be specified for protocols \['HTTP', 'TCP', 'UDP'\]$/],
  ['tls on tcp, any case', gateway({ listeners: [{ name: 't', port: 9, protocol: 'tcp', tls: { mode: 'Passthrough' } }] }), 'spec.listeners[0].tls', /tls must not be specified/],
  ['HTTPS in Passthrough', gateway({ listeners: [https({ tls: { mode: 'Passthrough' } })] }), 'spec.listeners[0].tls.mode', /^Invalid value: tls mode must be Terminate for protocol HTTPS$/],
  ['TLS without tls', gateway({ listeners: [{ name: 't', port: 443, protocol: 'TLS' }] }), 'spec.listeners[0].tls', /^Invalid value: tls mode must be set for protocol TLS$/],
  ['hostname on UDP', gateway({ listeners: [{ name: 'u', port: 53, protocol: 'UDP', hostname: 'a.test' }] }), 'spec.listeners[0].hostname', /^Invalid value: hostname must not be specified for protocols \['TCP', 'UDP'\]$/],
  ['Terminate without certificates or options', gateway({ listeners: [https({ tls: { mode: 'Terminate' } })] }), 'spec.listeners[0].tls', /^Invalid value: certificateRefs or options must be specified when mode is Terminate$/],
  ['an unknown TLS mode', gateway({ listeners: [https({ tls: { mode: 'Reencrypt', certificateRefs: [{ name: 'c' }] } })] }), 'spec.listeners[0].tls.mode', /^Unsupported value: "Reencrypt": supported values: "Terminate", "Passthrough"$/],
  ['a certificate namespace that is no label', gateway({ listeners: [https({ tls: { certificateRefs: [{ name: 'c', namespace: 'A' }] } })] }), 'spec.listeners[0].tls.certificateRefs[0].namespace', /lowercase RFC 1123 label/],
  ['a TLS option key with spaces', gateway({ listeners: [https({ tls: { certificateRefs: [{ name: 'c' }], options: { 'a b': 'x' } } })] }), 'spec.listeners[0].tls.options["a b"]', /^Invalid value: "a b"/],
  ['allowedRoutes from None (not in the enum)', gateway({ listeners: [http({ allowedRoutes: { namespaces: { from: 'None' } } })] }), 'spec.listeners[0].allowedRoutes.namespaces.from', /^Unsupported value: "None": supported values: "All", "Selector", "Same"$/],
  ['nine route kinds', gateway({ listeners: [http({ allowedRoutes: { kinds: Array.from({ length: 9 }, () => ({ kind: 'HTTPRoute' })) } })] }), 'spec.listeners[0].allowedRoutes.kinds', /^Too many: 9/],
  ['a selector operator metav1 does not know', gateway({ listeners: [http({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] } } } })] }), 'spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].operator', /^Unsupported value: "Gt"/],
  ['In without values', gateway({ listeners: [http({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } } })] }), 'spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values', /must be specified when `operator` is 'In' or 'NotIn'/],
  ['an IPAddress that is none', gateway({ listeners: [http()], addresses: [{ type: 'IPAddress', value: 'example.com' }] }), 'spec.addresses[0].value', /must be a valid IPv4 or IPv6 address/],
  ['an IPAddress twice', gateway({ listeners: [http()], addresses: [{ value: '10.0.0.1' }, { value: '10.0.0.1' }] }), 'spec.addresses[1].value', /^Invalid value: IPAddress values must be unique$/],
  ['a Hostname address with an underscore', gateway({ listeners: [http()], addresses: [{ type: 'Hostname', value: 'a_b.test' }] }), 'spec.addresses[0].value', /Hostname value must be empty or contain only valid characters/],
  ['an address type that is no type', gateway({ listeners: [http()], addresses: [{ type: 'ip', value: '10.0.0.1' }] }), 'spec.addresses[0].type', /must be IPAddress, Hostname/],
  ['nine infrastructure labels', gateway({ listeners: [http()], infrastructure: { labels: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, 'v'])) } }), 'spec.infrastructure.labels', /^Too many: 9: must have at most 8 items$/],
  ['a listener that is a string', gateway({ listeners: ['http'] }), 'spec.listeners[0]', /^must be an object$/],
  ['a port that is a string', gateway({ listeners: [http({ port: '80' })] }), 'spec.listeners[0].port', /^must be an integer$/],
]);

table('HTTPRoute: refused as the API refuses it', [
  ['no spec', { apiVersion: V1, kind: 'HTTPRoute', metadata: { name: 'r' } }, 'spec', /^Required value$/],
  ['an empty rules list', route({ rules: [] }), 'spec.rules', /^Required value: must have at least 1 item$/],
  ['17 rules', route({ rules: Array.from({ length: 17 }, () => rule()) }), 'spec.rules', /^Too many: 17: must have at most 16 items$/],
  ['more than 128 matches in all', route({ rules: Array.from({ length: 3 }, () => rule({ matches: Array.from({ length: 50 }, (_, i) => ({ path: { value: `/${i}` } })) })) }), 'spec.rules', /the total number of matches across all rules in a route must be less than 128/],
  ['a rule name twice', route({ rules: [rule({ name: 'a' }), rule({ name: 'a' })] }), 'spec.rules[1].name', /^Invalid value: Rule name must be unique within the route$/],
  ['33 parentRefs', route({ parentRefs: Array.from({ length: 33 }, (_, i) => ({ name: `g${i}` })) }), 'spec.parentRefs', /^Too many: 33/],
  ['a parentRef without name', route({ parentRefs: [{ sectionName: 'http' }] }), 'spec.parentRefs[0].name', /^Required value$/],
  ['two references to one parent, one with sectionName', route({ parentRefs: [{ name: 'gw' }, { name: 'gw', sectionName: 'http' }] }), 'spec.parentRefs[1]', /^Invalid value: sectionName must be specified when parentRefs includes 2 or more references to the same parent$/],
  ['two references to one parent, same sectionName', route({ parentRefs: [{ name: 'gw', sectionName: 'a' }, { name: 'gw', sectionName: 'a' }] }), 'spec.parentRefs[1]', /^Invalid value: sectionName must be unique when parentRefs includes 2 or more references to the same parent$/],
  ['a parentRef port out of range', route({ parentRefs: [{ name: 'gw', port: 70000 }] }), 'spec.parentRefs[0].port', /must be between 1 and 65535/],
  ['a hostname with a port', route({ hostnames: ['a.test:80'] }), 'spec.hostnames[0]', /lowercase DNS name/],
  ['17 hostnames', route({ hostnames: Array.from({ length: 17 }, (_, i) => `h${i}.test`) }), 'spec.hostnames', /^Too many: 17/],
  ['a relative path', match({ type: 'PathPrefix', value: 'a' }), 'spec.rules[0].matches[0].path.value', /^Invalid value: value must be an absolute path and start with '\/' when type one of \['Exact', 'PathPrefix'\]$/],
  ['// in a path', match({ value: '/a//b' }), 'spec.rules[0].matches[0].path.value', /must not contain '\/\/' when type one of/],
  ['/./ in a path', match({ type: 'Exact', value: '/a/./b' }), 'spec.rules[0].matches[0].path.value', /must not contain '\/\.\/'/],
  ['%2F in a path', match({ value: '/a%2Fb' }), 'spec.rules[0].matches[0].path.value', /must not contain '%2F'/],
  ['# in a path', match({ value: '/a#b' }), 'spec.rules[0].matches[0].path.value', /must not contain '#'/],
  ['a path ending in /..', match({ value: '/a/..' }), 'spec.rules[0].matches[0].path.value', /must not end with '\/\.\.'/],
  ['a space in a path', match({ value: '/a b' }), 'spec.rules[0].matches[0].path.value', /must only contain valid characters .* for types \['Exact', 'PathPrefix'\]$/],
  ['an unknown path type', match({ type: 'Prefix', value: '/a' }), 'spec.rules[0].matches[0].path.type', /^Unsupported value: "Prefix": supported values: "Exact", "PathPrefix", "RegularExpression"$/],
  ['a path over 1024 characters', match({ type: 'RegularExpression', value: `/${'a'.repeat(1024)}` }), 'spec.rules[0].matches[0].path.value', /must be no more than 1024 characters/],
  ['a header name twice', withRule({ matches: [{ headers: [{ name: 'x', value: '1' }, { name: 'x', value: '2' }] }] }), 'spec.rules[0].matches[0].headers[1].name', /^Duplicate value: "x"$/],
  ['a header name with a colon', withRule({ matches: [{ headers: [{ name: ':method', value: 'GET' }] }] }), 'spec.rules[0].matches[0].headers[0].name', /must be an HTTP token/],
  ['an empty header value', withRule({ matches: [{ headers: [{ name: 'x', value: '' }] }] }), 'spec.rules[0].matches[0].headers[0].value', /^Required value$/],
  ['an unknown header match type', withRule({ matches: [{ headers: [{ name: 'x', value: 'y', type: 'Prefix' }] }] }), 'spec.rules[0].matches[0].headers[0].type', /^Unsupported value: "Prefix"/],
  ['a query parameter value over 1024', withRule({ matches: [{ queryParams: [{ name: 'q', value: 'v'.repeat(1025) }] }] }), 'spec.rules[0].matches[0].queryParams[0].value', /must be no more than 1024 characters/],
  ['a lowercase method', withRule({ matches: [{ method: 'get' }] }), 'spec.rules[0].matches[0].method', /^Unsupported value: "get"/],
  ['65 matches in a rule', withRule({ matches: Array.from({ length: 65 }, () => ({})) }), 'spec.rules[0].matches', /^Too many: 65: must have at most 64 items$/],
  ['RequestRedirect with URLRewrite', filter({ type: 'URLRewrite', urlRewrite: { hostname: 'a.test' } }, { backendRefs: [], filters: [{ type: 'RequestRedirect', requestRedirect: {} }, { type: 'URLRewrite', urlRewrite: {} }] }), 'spec.rules[0].filters', /^Invalid value: May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both$/],
  ['RequestHeaderModifier twice', withRule({ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: {} }, { type: 'RequestHeaderModifier', requestHeaderModifier: {} }] }), 'spec.rules[0].filters', /^Invalid value: RequestHeaderModifier filter cannot be repeated$/],
  ['CORS twice on a backendRef', withRule({ backendRefs: [{ name: 's', port: 1, filters: [{ type: 'CORS', cors: {} }, { type: 'CORS', cors: {} }] }] }), 'spec.rules[0].backendRefs[0].filters', /^Invalid value: CORS filter cannot be repeated$/],
  ['RequestRedirect with backendRefs', filter({ type: 'RequestRedirect', requestRedirect: { hostname: 'a.test' } }), 'spec.rules[0]', /^Invalid value: RequestRedirect filter must not be used together with backendRefs$/],
  ['an unknown filter type', filter({ type: 'Rewrite' }), 'spec.rules[0].filters[0].type', /^Unsupported value: "Rewrite": supported values: "RequestHeaderModifier"/],
  ['a filter type without its settings', filter({ type: 'RequestHeaderModifier' }), 'spec.rules[0].filters[0].requestHeaderModifier', /^Invalid value: filter\.requestHeaderModifier must be specified for RequestHeaderModifier filter\.type$/],
  ['settings of another filter type', filter({ type: 'RequestHeaderModifier', requestHeaderModifier: {}, urlRewrite: {} }), 'spec.rules[0].filters[0].urlRewrite', /^Invalid value: filter\.urlRewrite must be nil if the filter\.type is not URLRewrite$/],
  ['a header set twice', filter({ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }] } }), 'spec.rules[0].filters[0].requestHeaderModifier.set[1].name', /^Duplicate value: "a"$/],
  ['a header removed twice', filter({ type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['a', 'a'] } }), 'spec.rules[0].filters[0].responseHeaderModifier.remove[1]', /^Duplicate value: "a"$/],
  ['a redirect scheme ftp', filter({ type: 'RequestRedirect', requestRedirect: { scheme: 'ftp' } }, { backendRefs: [] }), 'spec.rules[0].filters[0].requestRedirect.scheme', /^Unsupported value: "ftp": supported values: "http", "https"$/],
  ['a redirect status 305', filter({ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }, { backendRefs: [] }), 'spec.rules[0].filters[0].requestRedirect.statusCode', /^Unsupported value: 305: supported values: 301, 302, 303, 307, 308$/],
  ['a redirect to a wildcard host', filter({ type: 'RequestRedirect', requestRedirect: { hostname: '*.a.test' } }, { backendRefs: [] }), 'spec.rules[0].filters[0].requestRedirect.hostname', /without a wildcard/],
  ['ReplaceFullPath without its value', filter({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath' } } }), 'spec.rules[0].filters[0].urlRewrite.path', /^Invalid value: replaceFullPath must be specified when type is set to 'ReplaceFullPath'$/],
  ['replacePrefixMatch under ReplaceFullPath', filter({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/', replacePrefixMatch: '/' } } }), 'spec.rules[0].filters[0].urlRewrite.path', /^Invalid value: type must be 'ReplacePrefixMatch' when replacePrefixMatch is set$/],
  ['ReplacePrefixMatch with an Exact match', filter({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }, { matches: [{ path: { type: 'Exact', value: '/a' } }] }), 'spec.rules[0]', /^Invalid value: When using URLRewrite filter with path\.replacePrefixMatch, exactly one PathPrefix match must be specified$/],
  ['ReplacePrefixMatch with two matches', filter({ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }, { backendRefs: [], matches: [{ path: { value: '/a' } }, { path: { value: '/c' } }] }), 'spec.rules[0]', /^Invalid value: When using RequestRedirect filter with path\.replacePrefixMatch, exactly one PathPrefix match must be specified$/],
  ['ReplacePrefixMatch on a backendRef with a RegularExpression match', withRule({ matches: [{ path: { type: 'RegularExpression', value: '/a.*' } }], backendRefs: [{ name: 's', port: 1, filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] }] }), 'spec.rules[0]', /^Invalid value: Within backendRefs, When using URLRewrite filter with path\.replacePrefixMatch/],
  ['a mirror with percent and fraction', filter({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 1 }, percent: 5, fraction: { numerator: 1 } } }), 'spec.rules[0].filters[0].requestMirror', /^Invalid value: Only one of percent or fraction may be specified in HTTPRequestMirrorFilter$/],
  ['a mirror fraction over 1', filter({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 1 }, fraction: { numerator: 3, denominator: 2 } } }), 'spec.rules[0].filters[0].requestMirror.fraction', /^Invalid value: numerator must be less than or equal to denominator$/],
  ['a mirror percent over 100', filter({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm', port: 1 }, percent: 101 } }), 'spec.rules[0].filters[0].requestMirror.percent', /must be between 0 and 100/],
  ['a mirror to a Service without port', filter({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'm' } } }), 'spec.rules[0].filters[0].requestMirror.backendRef.port', /^Invalid value: Must have port for Service reference$/],
  ['CORS origin * with others', filter({ type: 'CORS', cors: { allowOrigins: ['*', 'https://a.test'] } }), 'spec.rules[0].filters[0].cors.allowOrigins', /^Invalid value: AllowOrigins cannot contain '\*' alongside other origins$/],
  ['a CORS origin without scheme', filter({ type: 'CORS', cors: { allowOrigins: ['a.test'] } }), 'spec.rules[0].filters[0].cors.allowOrigins[0]', /must be '\*' or an origin/],
  ['a CORS method that is no method', filter({ type: 'CORS', cors: { allowMethods: ['FETCH'] } }), 'spec.rules[0].filters[0].cors.allowMethods[0]', /^Unsupported value: "FETCH"/],
  ['a CORS maxAge of 0', filter({ type: 'CORS', cors: { maxAge: 0 } }), 'spec.rules[0].filters[0].cors.maxAge', /must be greater than or equal to 1/],
  ['an extensionRef without kind', filter({ type: 'ExtensionRef', extensionRef: { name: 'x' } }), 'spec.rules[0].filters[0].extensionRef.kind', /^Required value$/],
  ['a Service backendRef without port', withRule({ backendRefs: [{ name: 'svc' }] }), 'spec.rules[0].backendRefs[0].port', /^Invalid value: Must have port for Service reference$/],
  ['a weight over a million', withRule({ backendRefs: [{ name: 'svc', port: 1, weight: 1_000_001 }] }), 'spec.rules[0].backendRefs[0].weight', /must be between 0 and 1000000/],
  ['a negative weight', withRule({ backendRefs: [{ name: 'svc', port: 1, weight: -1 }] }), 'spec.rules[0].backendRefs[0].weight', /must be between 0 and 1000000/],
  ['a backendRef group with a slash', withRule({ backendRefs: [{ group: 'a/b', kind: 'X', name: 'svc' }] }), 'spec.rules[0].backendRefs[0].group', /must be empty \(the core API group\) or a lowercase DNS subdomain/],
  ['17 backendRefs', withRule({ backendRefs: Array.from({ length: 17 }, () => ({ name: 's', port: 1 })) }), 'spec.rules[0].backendRefs', /^Too many: 17/],
  ['backendRequest longer than request', withRule({ timeouts: { request: '1s', backendRequest: '2s' } }), 'spec.rules[0].timeouts', /^Invalid value: backendRequest timeout cannot be longer than request timeout$/],
  ['a timeout in days', withRule({ timeouts: { request: '1d' } }), 'spec.rules[0].timeouts.request', /must be a duration such as 500ms/],
]);

describe('HTTPRoute: what the API accepts is accepted', () => {
  const accepted: [string, Json][] = [
    ['backendRequest within request', withRule({ timeouts: { request: '1m', backendRequest: '59s500ms' } })],
    ['backendRequest with request 0s (no limit)', withRule({ timeouts: { request: '0s', backendRequest: '1h' } })],
    ['ReplacePrefixMatch with one PathPrefix match', filter({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }, { matches: [{ path: { value: '/a' } }] })],
    ['ReplacePrefixMatch with no match (PathPrefix / by default)', filter({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } })],
    ['RequestMirror twice, ExtensionRef twice', withRule({ filters: [1, 2].flatMap((i) => [{ type: 'RequestMirror', requestMirror: { backendRef: { name: `m${i}`, port: 1 } } }, { type: 'ExtensionRef', extensionRef: { kind: 'K', name: `e${i}` } }]) })],
    ['header names that differ only in case (the first counts)', withRule({ matches: [{ headers: [{ name: 'X', value: '1' }, { name: 'x', value: '2' }] }] })],
    ['two references to one parent with distinct sectionNames', route({ parentRefs: [{ name: 'gw', sectionName: 'a' }, { name: 'gw', sectionName: 'b' }, { name: 'gw', namespace: 'other' }] })],
    ['a backendRef to another kind without port', withRule({ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b' }] })],
    ['a RegularExpression path with characters Exact forbids', match({ type: 'RegularExpression', value: '^/a b#$' })],
  ];
  for (const [name, raw] of accepted) test(name, () => assert.deepEqual(errorsOf(raw), []));
});

table('GRPCRoute: refused as the API refuses it', [
  ['a method match with neither service nor method', route({ rules: [{ matches: [{ method: { type: 'Exact' } }] }] }, 'GRPCRoute'), 'spec.rules[0].matches[0].method', /^Invalid value: One or both of 'service' or 'method' must be specified$/],
  ['a service with a slash', route({ rules: [{ matches: [{ method: { service: 'a/b' } }] }] }, 'GRPCRoute'), 'spec.rules[0].matches[0].method.service', /service must only contain valid characters/],
  ['a method with a dot', route({ rules: [{ matches: [{ method: { service: 'a', method: 'b.c' } }] }] }, 'GRPCRoute'), 'spec.rules[0].matches[0].method.method', /method must only contain valid characters/],
  ['an unknown method match type', route({ rules: [{ matches: [{ method: { type: 'Prefix', service: 'a' } }] }] }, 'GRPCRoute'), 'spec.rules[0].matches[0].method.type', /^Unsupported value: "Prefix"/],
  ['nine matches', route({ rules: [{ matches: Array.from({ length: 9 }, () => ({})) }] }, 'GRPCRoute'), 'spec.rules[0].matches', /^Too many: 9: must have at most 8 items$/],
  ['an HTTP-only filter type', route({ rules: [{ filters: [{ type: 'URLRewrite', urlRewrite: {} }] }] }, 'GRPCRoute'), 'spec.rules[0].filters[0].type', /^Unsupported value: "URLRewrite": supported values: "ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"$/],
  ['ResponseHeaderModifier twice', route({ rules: [{ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: {} }, { type: 'ResponseHeaderModifier', responseHeaderModifier: {} }] }] }, 'GRPCRoute'), 'spec.rules[0].filters', /^Invalid value: ResponseHeaderModifier filter cannot be repeated$/],
  ['a Service backendRef without port', route({ rules: [{ backendRefs: [{ name: 's' }] }] }, 'GRPCRoute'), 'spec.rules[0].backendRefs[0].port', /Must have port for Service reference/],
]);

describe('GRPCRoute: what the API accepts is accepted', () => {
  test('a RegularExpression service with characters Exact forbids', () => {
    assert.deepEqual(errorsOf(route({ rules: [{ matches: [{ method: { type: 'RegularExpression', service: 'a/.*' } }] }] }, 'GRPCRoute')), []);
  });
});
