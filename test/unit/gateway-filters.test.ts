// Gateway API filters → GatewayFilters (translate/gateway/filter-features.ts),
// table by table, and the backend lines they render, which HAProxy accepts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayRequestLines, gatewayResponseLines } from '../../src/dataplane/haproxy/features/gateway-filters.js';
import { featuredBackendId } from '../../src/model/features.js';
import type { GatewayFilters } from '../../src/model/gateway-features.js';
import type { Model } from '../../src/model/model.js';
import type { HTTPRouteFilter } from '../../src/objects/gateway-types.js';
import { combineFilters, filterFeatures, parseDuration, type FilterContext } from '../../src/translate/gateway/filter-features.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { assertHaproxyAccepts, translateWith } from '../helpers/annotations.js';

const HTTP: FilterContext = { listenerPort: 80, listenerScheme: 'http', matchedPrefix: '/original-prefix' };
const modifier = (set: [string, string][] = [], add: [string, string][] = [], remove: string[] = []) => ({
  set: set.map(([name, value]) => ({ name, value })),
  add: add.map(([name, value]) => ({ name, value })),
  remove,
});

const accepted: [string, HTTPRouteFilter[], GatewayFilters | undefined, FilterContext?][] = [
  ['no filters', [], undefined],
  [
    'request headers: set, add, remove; names lowercased',
    [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X-Header-Set', 'set-overwrites-values']], [['X-Header-Add', 'add-appends-values']], ['X-Header-Remove']) }],
    { requestHeaders: { set: [{ name: 'x-header-set', value: 'set-overwrites-values' }], add: [{ name: 'x-header-add', value: 'add-appends-values' }], remove: ['x-header-remove'] } },
  ],
  ['response headers', [{ type: 'ResponseHeaderModifier', responseHeaderModifier: modifier([['X-Header-Set', 'v']]) }], { responseHeaders: { set: [{ name: 'x-header-set', value: 'v' }], add: [], remove: [] } }],
  ['redirect: hostname only, 302, the listener\'s port', [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.org', statusCode: 302 } }], { redirect: { hostname: 'example.org', port: 80, listenerScheme: 'http', code: 302 } }],
  ['redirect: scheme https takes port 443', [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }], { redirect: { scheme: 'https', port: 443, listenerScheme: 'http', code: 301 } }],
  ['redirect: an explicit port wins', [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', port: 8443, statusCode: 302 } }], { redirect: { scheme: 'https', port: 8443, listenerScheme: 'http', code: 302 } }],
  [
    'redirect: a listener on 8080 keeps its port',
    [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.org', statusCode: 302 } }],
    { redirect: { hostname: 'example.org', port: 8080, listenerScheme: 'http', code: 302 } },
    { listenerPort: 8080, listenerScheme: 'http' },
  ],
  [
    'redirect: ReplacePrefixMatch',
    [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' }, statusCode: 302 } }],
    { redirect: { port: 80, listenerScheme: 'http', path: { kind: 'prefix', prefix: '/original-prefix', replacement: '/replacement-prefix' }, code: 302 } },
  ],
  [
    'rewrite: hostname and ReplaceFullPath',
    [{ type: 'URLRewrite', urlRewrite: { hostname: 'one.example.org', path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } } }],
    { rewriteHost: 'one.example.org', rewritePath: { kind: 'full', path: '/one' } },
  ],
  ['rewrite: ReplacePrefixMatch with `/` strips the prefix', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }], { rewritePath: { kind: 'prefix', prefix: '/original-prefix', replacement: '' } }],
];

const refused: [string, HTTPRouteFilter[], string, FilterContext?][] = [
  ['a header name outside the renderer\'s grammar', [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X!Bad', 'v']]) }], 'filters[0].requestHeaderModifier.set[0].name'],
  ['an empty header value', [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X-A', '']]) }], 'filters[0].requestHeaderModifier.set[0].value'],
  ['a header value with a quote', [{ type: 'ResponseHeaderModifier', responseHeaderModifier: modifier([], [['X-A', "it's"]]) }], 'filters[0].responseHeaderModifier.add[0].value'],
  ['a header value with an nginx-style variable', [{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X-A', '$host']]) }], 'filters[0].requestHeaderModifier.set[0].value'],
  ['ReplacePrefixMatch without a PathPrefix match', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }], 'filters[0].urlRewrite.path.replacePrefixMatch', { listenerPort: 80, listenerScheme: 'http' }],
  ['a path with a quote', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: "/a'b" } } }], 'filters[0].urlRewrite.path.replaceFullPath'],
  ['an unknown path modifier', [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceSomething' } } }], 'filters[0].urlRewrite.path.type'],
  ['status 300', [{ type: 'RequestRedirect', requestRedirect: { statusCode: 300 } }], 'filters[0].requestRedirect.statusCode'],
  ['RequestMirror (not supported yet)', [{ type: 'RequestMirror', requestMirror: { backendRef: { group: '', kind: 'Service', name: 'm', port: 80 } } }], 'filters[0].type'],
  ['an unknown filter type', [{ type: 'Teleport' }], 'filters[0].type'],
];

describe('Gateway API filters → GatewayFilters', () => {
  for (const [title, filters, expected, context] of accepted) {
    test(title, () => assert.deepEqual(filterFeatures(filters, 'filters', context ?? HTTP), { ok: true, filters: expected }));
  }
  for (const [title, filters, field, context] of refused) {
    test(`refused: ${title}`, () => {
      const result = filterFeatures(filters, 'filters', context ?? HTTP);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.field, field);
    });
  }

  test('timeouts: durations in milliseconds; 0s disables; a bad duration names its field', () => {
    assert.deepEqual(filterFeatures([], 'filters', HTTP, { request: '1m30s', backendRequest: '500ms' }), { ok: true, filters: { requestTimeoutMs: 90_000, backendTimeoutMs: 500 } });
    assert.deepEqual(filterFeatures([], 'filters', HTTP, { request: '0s' }), { ok: true, filters: { requestTimeoutMs: 0 } });
    const bad = filterFeatures([], 'filters', HTTP, { request: '5 seconds' }, 'spec.rules[0].timeouts');
    assert.equal(!bad.ok && bad.field, 'spec.rules[0].timeouts.request');
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004);
    assert.equal(parseDuration('1d'), undefined);
  });

  test('a backendRef\'s filters apply after its rule\'s', () => {
    const rule = filterFeatures([{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X-Rule', 'r']]) }], 'f', HTTP);
    const backend = filterFeatures([{ type: 'RequestHeaderModifier', requestHeaderModifier: modifier([['X-Backend', 'b']]) }], 'f', HTTP);
    assert.ok(rule.ok && backend.ok);
    assert.deepEqual(combineFilters(rule.filters, backend.filters)?.requestHeaders?.set.map((h) => h.name), ['x-rule', 'x-backend']);
    assert.equal(combineFilters(undefined, backend.filters), backend.filters);
  });
});

describe('GatewayFilters → backend lines', () => {
  test('redirects: the Location from the scheme, host and port rules; a new path rewritten first, the query kept', () => {
    assert.deepEqual(gatewayRequestLines({ redirect: { hostname: 'example.org', port: 80, listenerScheme: 'http', code: 302 } }), ["  http-request redirect location 'http://example.org%[pathq]' code 302"]);
    assert.deepEqual(gatewayRequestLines({ redirect: { scheme: 'https', port: 443, listenerScheme: 'http', code: 301 } }), ["  http-request redirect location 'https://%[req.hdr(host),field(1,:),lower]%[pathq]' code 301"]);
    assert.deepEqual(gatewayRequestLines({ redirect: { port: 8083, listenerScheme: 'http', code: 302 } }), ["  http-request redirect location 'http://%[req.hdr(host),field(1,:),lower]:8083%[pathq]' code 302"]);
    assert.deepEqual(gatewayRequestLines({ redirect: { port: 80, listenerScheme: 'http', code: 302, path: { kind: 'prefix', prefix: '/a.b', replacement: '/c' } } }), [
      "  http-request replace-path '^/a[.]b(/.*)?$' '/c\\1'",
      "  http-request redirect location 'http://%[req.hdr(host),field(1,:),lower]%[pathq]' code 302",
    ]);
  });

  test('rewrites, headers and timeouts', () => {
    assert.deepEqual(
      gatewayRequestLines({ rewritePath: { kind: 'prefix', prefix: '/prefix', replacement: '' }, rewriteHost: 'one.example.org', requestHeaders: { set: [{ name: 'x-a', value: '50%' }], add: [{ name: 'x-b', value: 'b' }], remove: ['x-c'] }, backendTimeoutMs: 500, requestTimeoutMs: 0 }),
      [
        '  timeout server 500ms',
        "  http-request replace-path '^/prefix/?(.*)$' '/\\1'",
        '  http-request set-header Host one.example.org',
        "  http-request set-header x-a '50%%'",
        "  http-request add-header x-b 'b'",
        '  http-request del-header x-c',
      ],
    );
    assert.deepEqual(gatewayRequestLines({ requestTimeoutMs: 0 }), ['  timeout server 1d']);
    assert.deepEqual(gatewayResponseLines({ responseHeaders: { set: [], add: [{ name: 'x-r', value: 'v' }], remove: ['server'] } }), ["  http-response add-header x-r 'v'", '  http-response del-header server']);
  });

  test('every kind of filter renders a configuration HAProxy accepts', async () => {
    const generated = await generateSelfSigned('test', ['a.test'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const base = { ...translateWith({}).model, defaultCertificate: { id: 'default', pem: inspected.info.pem, hosts: [] } };
    const all: GatewayFilters[] = [
      { redirect: { scheme: 'https', hostname: 'example.org', port: 8443, listenerScheme: 'http', code: 308, path: { kind: 'full', path: '/new(1)*+$' } } },
      { redirect: { port: 80, listenerScheme: 'http', code: 303, path: { kind: 'prefix', prefix: '/a(b)+c$', replacement: '' } } },
      { rewritePath: { kind: 'prefix', prefix: '', replacement: '/x' }, rewriteHost: 'h.example', requestHeaders: { set: [{ name: 'x-a', value: 'a b %{x} !#&()*+,-./:;<=>?@[]^_`{|}~' }], add: [], remove: ['x-b'] }, responseHeaders: { set: [], add: [{ name: 'x-c', value: 'c' }], remove: [] }, requestTimeoutMs: 1500, backendTimeoutMs: 0 },
    ];
    const backends = all.map((filters) => {
      const plain = base.backends[0]!;
      const features = { gateway: filters };
      return { ...plain, id: featuredBackendId(plain.id, features), features };
    });
    const model: Model = { ...base, backends: [...base.backends, ...backends], levels: [{ ...base.levels[0]!, routes: backends.map((backend, index) => ({ match: 'prefix', path: `/r${index}`, target: { kind: 'backend', id: backend.id } })) }] };
    const config = await assertHaproxyAccepts(model);
    assert.match(config, /http-request replace-path '\^\/a\[\(\]b\[\)\]\[\+\]c\[\$\]\/\?\(\.\*\)\$'/);
  });
});
