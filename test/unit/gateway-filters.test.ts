// Gateway API filters → GatewayFilters (translate/gateway/filter-features.ts),
// table by table, and the backend lines they render, which HAProxy accepts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayRequestLines, gatewayResponseLines } from '../../src/dataplane/haproxy/features/gateway-filters.js';
import { filePath } from '../../src/dataplane/haproxy/config-lines.js';
import { patternLists } from '../../src/dataplane/haproxy/features/source-lists.js';
import { settingSample, settingValues, shapeKey, type SettingName } from '../../src/dataplane/haproxy/features/settings.js';
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

const setting = (name: SettingName) => settingSample('/m', 's', name);
const lookup = (name: string) => `str(s|${name}),map_str(/m)`;
const requestLines = (filters: GatewayFilters) => gatewayRequestLines(filters, setting, filePath('/o'));

describe('GatewayFilters → backend lines', () => {
  test('redirects: the Location\'s start from settings.map, around the request\'s Host when the filter keeps it; a new path rewritten first, the query kept', () => {
    assert.deepEqual(requestLines({ redirect: { hostname: 'example.org', port: 80, listenerScheme: 'http', code: 302 } }), [`  http-request redirect location '%[${lookup('gw-location')}]%[pathq]' code 302`]);
    assert.deepEqual(requestLines({ redirect: { scheme: 'https', port: 443, listenerScheme: 'http', code: 301 } }), [
      `  http-request redirect location '%[${lookup('gw-location')},field(1,|)]%[req.hdr(host),field(1,:),lower]%[${lookup('gw-location')},field(2,|)]%[pathq]' code 301`,
    ]);
    assert.deepEqual(requestLines({ redirect: { port: 80, listenerScheme: 'http', code: 302, path: { kind: 'prefix', prefix: '/a.b', replacement: '/c' } } }), [
      `  http-request replace-path '^/a[.]b(/.*)?$' '%[${lookup('gw-redirect-path')}]\\1'`,
      `  http-request redirect location '%[${lookup('gw-location')},field(1,|)]%[req.hdr(host),field(1,:),lower]%[${lookup('gw-location')},field(2,|)]%[pathq]' code 302`,
    ]);
  });

  test('rewrites, headers and timeouts read their values from settings.map; header values a map line cannot carry stay literal', () => {
    assert.deepEqual(
      requestLines({ rewritePath: { kind: 'prefix', prefix: '/prefix', replacement: '' }, rewriteHost: 'one.example.org', requestHeaders: { set: [{ name: 'x-a', value: '50%' }, { name: 'x-s', value: ' padded  ' }], add: [{ name: 'x-b', value: 'b' }], remove: ['x-c'] }, backendTimeoutMs: 500, requestTimeoutMs: 0 }),
      [
        `  http-request set-timeout server ${lookup('gw-timeout')}`,
        "  http-request replace-path '^/prefix/?(.*)$' '/\\1'",
        `  http-request set-header Host %[${lookup('gw-host')}]`,
        `  http-request set-header x-a %[${lookup('gw-request-set-0')}]`,
        "  http-request set-header x-s ' padded  '",
        `  http-request add-header x-b %[${lookup('gw-request-add-0')}]`,
        '  http-request del-header x-c',
      ],
    );
    assert.deepEqual(requestLines({ rewritePath: { kind: 'full', path: '/one' } }), [`  http-request set-path %[${lookup('gw-rewrite-path')}]`]);
    assert.deepEqual(gatewayResponseLines({ responseHeaders: { set: [], add: [{ name: 'x-r', value: 'v' }], remove: ['server'] } }, setting), [`  http-response add-header x-r %[${lookup('gw-response-add-0')}]`, '  http-response del-header server']);
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

describe('Gateway filter values in settings.map: which changes keep the section\'s shape', () => {
  const headers = (value: string, name = 'x-a'): GatewayFilters['requestHeaders'] => ({ set: [{ name, value }], add: [], remove: [] });
  const redirect = (change: Partial<NonNullable<GatewayFilters['redirect']>> = {}): GatewayFilters => ({ redirect: { hostname: 'a.example', port: 80, listenerScheme: 'http', code: 302, ...change } });
  const cors: NonNullable<GatewayFilters['cors']> = { origins: ['https://a.example'], credentials: false, methods: ['GET'], headers: [], exposeHeaders: [], maxAgeSeconds: 5 };
  const shape = (filters: GatewayFilters) => shapeKey({ gateway: filters });

  const sameShape: [string, GatewayFilters, GatewayFilters][] = [
    ['a request header value', { requestHeaders: headers('one') }, { requestHeaders: headers('two words') }],
    ['a response header value, % and # included', { responseHeaders: { set: [], add: [{ name: 'x-r', value: 'v' }], remove: [] } }, { responseHeaders: { set: [], add: [{ name: 'x-r', value: '50% #1 %[path]' }], remove: [] } }],
    ['the backend timeout', { backendTimeoutMs: 500 }, { backendTimeoutMs: 2000 }],
    ['a timeout turned into no timeout (0s)', { requestTimeoutMs: 500 }, { requestTimeoutMs: 0 }],
    ['the request timeout beside the backend timeout', { requestTimeoutMs: 500 }, { requestTimeoutMs: 500, backendTimeoutMs: 100 }],
    ['the redirect hostname', redirect(), redirect({ hostname: 'b.example' })],
    ['the redirect scheme and port', redirect(), redirect({ scheme: 'https', port: 8443 })],
    ['the scheme and port of a redirect that keeps the Host', redirect({ hostname: undefined }), redirect({ hostname: undefined, scheme: 'https', port: 443 })],
    ['the redirect\'s full path', redirect({ path: { kind: 'full', path: '/a' } }), redirect({ path: { kind: 'full', path: '/b%20c' } })],
    ['the redirect\'s new prefix', redirect({ path: { kind: 'prefix', prefix: '/p', replacement: '/x' } }), redirect({ path: { kind: 'prefix', prefix: '/p', replacement: '/y/z' } })],
    ['the rewritten full path', { rewritePath: { kind: 'full', path: '/one' } }, { rewritePath: { kind: 'full', path: '/two' } }],
    ['the rewritten prefix', { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '/x' } }, { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '/y' } }],
    ['the rewritten hostname', { rewriteHost: 'one.example' }, { rewriteHost: 'two.example:8080' }],
    ['CORS max-age, methods, headers and exposed headers', { cors }, { cors: { ...cors, maxAgeSeconds: 10, methods: ['GET', 'PUT'] } }],
  ];
  const newShape: [string, GatewayFilters, GatewayFilters][] = [
    ['a filter added', { requestHeaders: headers('one') }, { requestHeaders: headers('one'), rewriteHost: 'h.example' }],
    ['a header name', { requestHeaders: headers('one') }, { requestHeaders: headers('one', 'x-b') }],
    ['a header set becomes added', { requestHeaders: headers('one') }, { requestHeaders: { set: [], add: [{ name: 'x-a', value: 'one' }], remove: [] } }],
    ['a header value with spaces a map line cannot carry (kept literal)', { requestHeaders: headers('one') }, { requestHeaders: headers('one  two') }],
    ['a literal header value', { requestHeaders: headers(' one') }, { requestHeaders: headers(' two') }],
    ['a timeout added', {}, { backendTimeoutMs: 500 }],
    ['the redirect code', redirect(), redirect({ code: 301 })],
    ['a redirect hostname given where the Host was kept', redirect({ hostname: undefined }), redirect()],
    ['a full path becomes a prefix', { rewritePath: { kind: 'full', path: '/p' } }, { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '/x' } }],
    ['a prefix replaced becomes stripped', { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '/x' } }, { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '' } }],
    ['the route\'s matched prefix (part of the rule\'s regular expression)', { rewritePath: { kind: 'prefix', prefix: '/p', replacement: '/x' } }, { rewritePath: { kind: 'prefix', prefix: '/q', replacement: '/x' } }],
    ['CORS origins become `*`', { cors }, { cors: { ...cors, origins: 'any' } }],
    ['CORS credentials', { cors }, { cors: { ...cors, credentials: true } }],
    ['CORS methods become `*`', { cors }, { cors: { ...cors, methods: 'any' } }],
    ['CORS headers given where there were none', { cors }, { cors: { ...cors, headers: ['x-a'] } }],
    ['CORS exposed headers given where there were none', { cors }, { cors: { ...cors, exposeHeaders: ['x-a'] } }],
  ];
  for (const [title, before, after] of sameShape) {
    test(`same shape, other values: ${title}`, () => {
      assert.equal(shape(before), shape(after));
      assert.notDeepEqual(settingValues({ gateway: before }).map((s) => [s.name, s.value.text]), settingValues({ gateway: after }).map((s) => [s.name, s.value.text]));
    });
  }
  for (const [title, before, after] of newShape) test(`new shape: ${title}`, () => assert.notEqual(shape(before), shape(after)));

  test('CORS origins are the section\'s pattern file: another list keeps the shape', () => {
    const other: GatewayFilters = { cors: { ...cors, origins: ['https://b.example', 'https://*.c.example:8443'] } };
    assert.equal(shape({ cors }), shape(other));
    assert.deepEqual(patternLists('s', { gateway: other }), [{ path: 'sources/s.origins', kind: 'origins', patterns: ['^https://b[.]example(:443)?$', '^https://([a-z0-9-]+[.])+c[.]example:8443$'] }]);
    assert.deepEqual(patternLists('s', { gateway: { cors: { ...cors, origins: 'any' } } }), []);
    assert.deepEqual(settingValues({ gateway: { cors: { ...cors, methods: 'any', headers: ['x-a', 'x-b'], exposeHeaders: ['*'] } } }).map((s) => [s.name, s.value.text]), [['gw-cors', 'x-a, x-b;*;5;']]);
  });

  test('the values: header values by position, the shorter timeout in ms (a day for 0s), the Location\'s start, paths and hostname', () => {
    const values = (filters: GatewayFilters) => Object.fromEntries(settingValues({ gateway: filters }).map((s) => [s.name, s.value.text]));
    assert.deepEqual(values({ requestHeaders: { set: [{ name: 'x-a', value: 'a' }, { name: 'x-s', value: ' s' }], add: [{ name: 'x-b', value: 'b c' }], remove: ['x-d'] }, responseHeaders: { set: [{ name: 'x-r', value: '%' }], add: [], remove: [] } }), {
      'gw-request-set-0': 'a',
      'gw-request-add-0': 'b c',
      'gw-response-set-0': '%',
    });
    assert.deepEqual(values({ requestTimeoutMs: 1500, backendTimeoutMs: 500 }), { 'gw-timeout': '500' });
    assert.deepEqual(values({ requestTimeoutMs: 0, backendTimeoutMs: 700 }), { 'gw-timeout': '700' });
    assert.deepEqual(values({ requestTimeoutMs: 0 }), { 'gw-timeout': '86400000' });
    assert.deepEqual(values(redirect({ scheme: 'https', port: 443 })), { 'gw-location': 'https://a.example' });
    assert.deepEqual(values(redirect({ hostname: undefined, port: 8080, path: { kind: 'prefix', prefix: '/p', replacement: '/x' } })), { 'gw-location': 'http://|:8080', 'gw-redirect-path': '/x' });
    assert.deepEqual(values({ rewritePath: { kind: 'prefix', prefix: '/p', replacement: '' }, rewriteHost: 'h.example' }), { 'gw-host': 'h.example' });
    assert.deepEqual(values({ rewritePath: { kind: 'full', path: '/a;b' } }), { 'gw-rewrite-path': '/a;b' });
  });
});
