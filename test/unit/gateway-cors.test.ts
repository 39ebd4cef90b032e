// The HTTPRoute CORS filter, stage by stage: decoded and validated as the
// CRD says, translated to GatewayCors (translate/gateway/cors-filter.ts) with
// the values Portero cannot render refused, rendered into backend lines
// (features/gateway-cors.ts) that HAProxy accepts, and the origin patterns
// matching what the spec says they match.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filePath, gatewayOriginRegex, UnsafeValueError } from '../../src/dataplane/haproxy/config-lines.js';
import { gatewayCorsRequestLines, gatewayCorsResponseLines, gatewayCorsValue } from '../../src/dataplane/haproxy/features/gateway-cors.js';
import { settingSample, type SettingName } from '../../src/dataplane/haproxy/features/settings.js';
import { patternLists } from '../../src/dataplane/haproxy/features/source-lists.js';
import { featuredBackendId } from '../../src/model/features.js';
import type { GatewayCors } from '../../src/model/gateway-features.js';
import type { Model } from '../../src/model/model.js';
import { decodeObject } from '../../src/objects/decode.js';
import { formatPath } from '../../src/objects/field-errors.js';
import type { HTTPRoute, HTTPRouteFilter } from '../../src/objects/gateway-types.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { corsFeature } from '../../src/translate/gateway/cors-filter.js';
import { filterFeatures } from '../../src/translate/gateway/filter-features.js';
import { assertHaproxyAccepts, translateWith } from '../helpers/annotations.js';

type Cors = NonNullable<HTTPRouteFilter['cors']>;
const cors = (extra: Partial<Cors> = {}): Cors => ({ allowOrigins: [], allowMethods: [], allowHeaders: [], exposeHeaders: [], maxAge: 5, ...extra });
const routeWith = (value: unknown) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'default' },
  spec: { parentRefs: [{ name: 'gw' }], rules: [{ filters: [{ type: 'CORS', cors: value }], backendRefs: [{ name: 's', port: 80 }] }] },
});
const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };

describe('HTTPRoute CORS filter: decoded and validated as the CRD says', () => {
  test('defaults: maxAge 5, lists empty, allowCredentials absent', () => {
    const result = decodeObject(routeWith({}), options);
    assert.equal(result.status, 'ok');
    const route = (result as { object: HTTPRoute }).object;
    assert.deepEqual(route.spec.rules[0]!.filters[0]!.cors, cors());
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['65 origins', { allowOrigins: Array.from({ length: 65 }, (_, i) => `https://o${i}.test`) }, 'allowOrigins', /at most 64 items/],
    ['an origin twice', { allowOrigins: ['https://a.test', 'https://a.test'] }, 'allowOrigins[1]', /Duplicate value/],
    ['an origin with a path', { allowOrigins: ['https://a.test/x'] }, 'allowOrigins[0]', /must be '\*' or an origin/],
    ['* with other methods', { allowMethods: ['*', 'GET'] }, 'allowMethods', /AllowMethods cannot contain '\*' alongside other methods/],
    ['a header name with a space', { allowHeaders: ['x y'] }, 'allowHeaders[0]', /must be an HTTP token/],
    ['an expose header with a colon', { exposeHeaders: ['x:y'] }, 'exposeHeaders[0]', /must be an HTTP token/],
    ['a negative maxAge', { maxAge: -1 }, 'maxAge', /greater than or equal to 1/],
  ];
  for (const [title, value, field, message] of invalid) {
    test(`refused: ${title}`, () => {
      const result = decodeObject(routeWith(value), options);
      assert.equal(result.status, 'invalid', title);
      const errors = result.status === 'invalid' ? result.errors.map((error) => `${formatPath(error.path)}: ${error.message}`) : [];
      const prefix = `spec.rules[0].filters[0].cors.${field}: `;
      assert.ok(errors.some((error) => error.startsWith(prefix) && message.test(error)), errors.join('\n'));
    });
  }
});

describe('HTTPRoute CORS filter → GatewayCors', () => {
  const accepted: [string, Cors, GatewayCors][] = [
    [
      'the conformance route: origins normalised, lists kept in order',
      cors({ allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], allowCredentials: true, maxAge: 3600 }),
      { origins: ['https://www.foo.com', 'https://*.bar.com'], credentials: true, methods: ['GET', 'OPTIONS'], headers: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], maxAgeSeconds: 3600 },
    ],
    ['* everywhere', cors({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'] }), { origins: 'any', credentials: false, methods: 'any', headers: 'any', exposeHeaders: ['*'], maxAgeSeconds: 5 }],
    ['expose * is dropped with credentials (it would name a header)', cors({ exposeHeaders: ['*', 'x-a'], allowCredentials: true }), { origins: [], credentials: true, methods: [], headers: [], exposeHeaders: ['x-a'], maxAgeSeconds: 5 }],
    [
      'lowercased, the default port left out, duplicates after that merged, other ports and IPv4 kept, https://* as a host wildcard',
      cors({ allowOrigins: ['HTTPS://A.Test', 'https://a.test:443', 'http://b.test:80', 'http://b.test:8080', 'http://127.0.0.1:3000', 'https://*'] }),
      { origins: ['https://a.test', 'http://b.test', 'http://b.test:8080', 'http://127.0.0.1:3000', 'https://*'], credentials: false, methods: [], headers: [], exposeHeaders: [], maxAgeSeconds: 5 },
    ],
  ];
  for (const [title, value, expected] of accepted) {
    test(title, () => assert.deepEqual(corsFeature(value, 'cors'), { ok: true, cors: expected }));
  }

  // Valid for the CRD (its grammar allows any scheme, any host character but `:/?#`, any token character).
  const refused: [string, Cors, string][] = [
    ['another scheme', cors({ allowOrigins: ['chrome-extension://abc'] }), 'cors.allowOrigins[0]'],
    ['a wildcard inside the host', cors({ allowOrigins: ['https://a.*.test'] }), 'cors.allowOrigins[0]'],
    ['a wildcard glued to a label', cors({ allowOrigins: ['https://*bar.com'] }), 'cors.allowOrigins[0]'],
    ['a quote in the host', cors({ allowOrigins: ["https://a'.test"] }), 'cors.allowOrigins[0]'],
    ['an IPv6 host', cors({ allowOrigins: ['https://[::1]'] }), 'cors.allowOrigins[0]'],
    ['port 0', cors({ allowOrigins: ['https://a.test:0'] }), 'cors.allowOrigins[0]'],
    ['port 70000', cors({ allowOrigins: ['https://a.test:70000'] }), 'cors.allowOrigins[0]'],
    ['a header name with %', cors({ allowHeaders: ['x-%[src]'] }), 'cors.allowHeaders[0]'],
    ['an expose header with an apostrophe', cors({ exposeHeaders: ["x'a"] }), 'cors.exposeHeaders[0]'],
    ['a lowercase method', cors({ allowMethods: ['get'] }), 'cors.allowMethods[0]'],
  ];
  for (const [title, value, field] of refused) {
    test(`refused: ${title}`, () => {
      const result = corsFeature(value, 'cors');
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.field, field);
    });
  }

  test('through filterFeatures: the rule gets it, a refusal names the filter field', () => {
    const good = filterFeatures([{ type: 'CORS', cors: cors({ allowOrigins: ['*'] }) }], 'spec.rules[0].filters', { listenerPort: 80, listenerScheme: 'http' });
    assert.ok(good.ok && good.filters?.cors?.origins === 'any');
    const bad = filterFeatures([{ type: 'CORS', cors: cors({ allowOrigins: ['ftp://a.test'] }) }], 'spec.rules[0].filters', { listenerPort: 80, listenerScheme: 'http' });
    assert.equal(!bad.ok && bad.field, 'spec.rules[0].filters[0].cors.allowOrigins[0]');
  });
});

describe('Gateway CORS origin patterns match what the spec says', () => {
  // HAProxy matches case-insensitively (-i); JavaScript's `i` flag is the same for these patterns.
  const matches = (origin: string, value: string) => new RegExp(gatewayOriginRegex(origin).text, 'i').test(value);
  const table: [string, string[], string[]][] = [
    ['https://*.bar.com', ['https://www.bar.com', 'https://xpto.www.bar.com', 'https://a-b.c.bar.com:443', 'HTTPS://WWW.BAR.COM'], ['https://bar.com', 'https://evilbar.com', 'http://www.bar.com', 'https://www.bar.com:8443', 'https://www.bar.com.evil.test', 'https://www.bar.com/']],
    ['https://www.foo.com', ['https://www.foo.com', 'https://www.foo.com:443'], ['https://wwwxfoo.com', 'https://a.www.foo.com', 'https://www.foo.com:4430', 'null']],
    ['http://a.test:8080', ['http://a.test:8080'], ['http://a.test', 'http://a.test:80', 'https://a.test:8080']],
    ['https://*', ['https://a.test', 'https://127.0.0.1', 'https://a.test:443'], ['http://a.test', 'https://a.test:8443']],
  ];
  for (const [origin, yes, no] of table) {
    test(origin, () => {
      for (const value of yes) assert.ok(matches(origin, value), `${origin} should match ${value}`);
      for (const value of no) assert.ok(!matches(origin, value), `${origin} should not match ${value}`);
    });
  }

  test('the renderer refuses what the translation refuses', () => {
    for (const origin of ["https://a'.test", 'ftp://a.test', 'https://a.*.test', 'https://a.test:0', 'https://a.test/x']) {
      assert.throws(() => gatewayOriginRegex(origin), UnsafeValueError, origin);
    }
  });
});

describe('GatewayCors → backend lines', () => {
  const conformance: GatewayCors = { origins: ['https://www.foo.com', 'https://*.bar.com'], credentials: true, methods: ['GET', 'OPTIONS'], headers: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], maxAgeSeconds: 3600 };
  const any: GatewayCors = { origins: 'any', credentials: false, methods: 'any', headers: 'any', exposeHeaders: [], maxAgeSeconds: 5 };

  const setting = (name: SettingName) => settingSample('/m', 's', name);
  const requestLines = (cors: GatewayCors | undefined) => gatewayCorsRequestLines(cors, filePath('/o'), setting);

  test('origin lists: the origin ACL on the pattern file, the values read once, the preflight 204, the headers on answers to allowed origins', () => {
    assert.deepEqual(requestLines(conformance), [
      '  acl portero_gw_cors_origin req.fhdr(origin) -m reg -i -f /o',
      '  http-request set-var(txn.portero_gw_cors) req.fhdr(origin) if { req.fhdr_cnt(origin) eq 1 } portero_gw_cors_origin',
      '  http-request set-var(txn.portero_gw_cors_pf) bool(true) if METH_OPTIONS { req.fhdr_cnt(origin) eq 1 } { req.fhdr_cnt(access-control-request-method) eq 1 }',
      '  http-request set-var(txn.portero_gw_cors_v) str(s|gw-cors),map_str(/m) if { var(txn.portero_gw_cors) -m found }',
      '  http-request return status 204 if { var(txn.portero_gw_cors_pf) -m found }',
    ]);
    assert.equal(gatewayCorsValue(conformance).text, 'x-header-1, x-header-2;x-header-3, x-header-4;3600;GET, OPTIONS');
    const when = 'if { var(txn.portero_gw_cors) -m found }';
    const preflight = `${when} { var(txn.portero_gw_cors_pf) -m found }`;
    const field = (n: number) => `%[var(txn.portero_gw_cors_v),field(${n},;)]`;
    assert.deepEqual(gatewayCorsResponseLines(conformance), [
      `  http-after-response set-header Access-Control-Allow-Origin %[var(txn.portero_gw_cors)] ${when}`,
      `  http-after-response set-header Access-Control-Allow-Credentials "true" ${when}`,
      `  http-after-response set-header Access-Control-Expose-Headers ${field(2)} ${when}`,
      `  http-after-response set-header Access-Control-Allow-Methods ${field(4)} ${preflight}`,
      `  http-after-response set-header Access-Control-Allow-Headers ${field(1)} ${preflight}`,
      `  http-after-response set-header Access-Control-Max-Age ${field(3)} ${preflight}`,
      '  http-after-response add-header Vary Origin',
    ]);
  });

  test('* without credentials: plain origins echoed, others answered *; asked method and headers echoed, else *', () => {
    const request = requestLines(any);
    assert.ok(request.includes("  acl portero_gw_cors_origin req.fhdr(origin) -m reg -i '^https?://[a-z0-9.-]+(:[0-9]{1,5})?$'"));
    assert.ok(request.includes('  http-request set-var(txn.portero_gw_cors) str(*) if { req.fhdr_cnt(origin) eq 1 } !{ var(txn.portero_gw_cors) -m found }'));
    assert.ok(request.some((line) => line.startsWith('  http-request set-var(txn.portero_gw_cors_m) req.fhdr(access-control-request-method) if ')));
    assert.ok(request.some((line) => line.startsWith('  http-request set-var(txn.portero_gw_cors_h) req.fhdr(access-control-request-headers) if ')));
    const response = gatewayCorsResponseLines(any);
    assert.ok(response.some((line) => line.includes('Access-Control-Allow-Methods %[var(txn.portero_gw_cors_m)]')));
    assert.ok(response.some((line) => line.includes('Access-Control-Allow-Methods "*"') && line.endsWith('!{ var(txn.portero_gw_cors_m) -m found }')));
    assert.ok(!response.some((line) => line.includes('Credentials')));
  });

  test('* with credentials: never *; nothing asked, nothing answered', () => {
    const request = requestLines({ ...any, credentials: true });
    const response = gatewayCorsResponseLines({ ...any, credentials: true });
    assert.ok(!request.some((line) => line.includes('str(*)')));
    assert.ok(!response.some((line) => line.includes('"*"')));
  });

  test('no origin allowed: an empty pattern file, preflights still answered 204 (without headers); no filter, no lines', () => {
    const none = requestLines({ ...conformance, origins: [] });
    assert.ok(none.includes('  acl portero_gw_cors_origin req.fhdr(origin) -m reg -i -f /o'));
    assert.deepEqual(patternLists('s', { gateway: { cors: { ...conformance, origins: [] } } }), [{ path: 'sources/s.origins', kind: 'origins', patterns: [] }]);
    assert.ok(none.includes('  http-request return status 204 if { var(txn.portero_gw_cors_pf) -m found }'));
    assert.deepEqual(requestLines(undefined), []);
    assert.deepEqual(gatewayCorsResponseLines(undefined), []);
  });

  test('HAProxy accepts every kind of CORS filter, alone and with other filters', async () => {
    const generated = await generateSelfSigned('test', ['a.test'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const base = { ...translateWith({}).model, defaultCertificate: { id: 'default', pem: inspected.info.pem, hosts: [] } };
    const many = Array.from({ length: 20 }, (_, i) => `https://*.o${i}.example:${8000 + i}`);
    const all = [
      { cors: conformance },
      { cors: any },
      { cors: { ...any, credentials: true, exposeHeaders: ['x-a', 'x-b'] } },
      { cors: { ...conformance, origins: many }, responseHeaders: { set: [{ name: 'x-r', value: 'v' }], add: [], remove: [] } },
      { cors: conformance, redirect: { scheme: 'https' as const, port: 443, listenerScheme: 'http' as const, code: 301 as const } },
    ];
    const backends = all.map((filters) => {
      const plain = base.backends[0]!;
      const features = { gateway: filters };
      return { ...plain, id: featuredBackendId(plain.id, features), features };
    });
    const model: Model = { ...base, backends: [...base.backends, ...backends], levels: [{ ...base.levels[0]!, routes: backends.map((backend, index) => ({ match: 'prefix', path: `/r${index}`, target: { kind: 'backend', id: backend.id } })) }] };
    const config = await assertHaproxyAccepts(model);
    assert.equal(config.match(/acl portero_gw_cors_origin req.fhdr\(origin\) -m reg -i -f \S+[.]origins/g)?.length, 3, 'listed origins are a pattern file of the section');
  });
});
