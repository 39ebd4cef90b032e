// Request mirroring: the mirror-* grammar (accepted and refused values, table
// by table), annotation values → features and endpoints, Gateway API
// RequestMirror → features, and the rendered rules.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Mirror } from '../../src/model/features.js';
import { featureLines } from '../../src/dataplane/haproxy/render-features.js';
import { mirrorRequestLines, needsMirrorLua } from '../../src/dataplane/haproxy/features/mirror.js';
import { MIRROR_LUA } from '../../src/dataplane/haproxy/features/mirror-lua.js';
import { endpointsArg, MAX_ENDPOINT_ARGS } from '../../src/dataplane/haproxy/features/lua-common.js';
import { backendSettings } from '../../src/dataplane/haproxy/structure.js';
import { parseMirrorHost, parseMirrorTarget } from '../../src/translate/annotations/mirror.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { mirrorOf } from '../../src/translate/gateway/mirror-filter.js';
import type { BackendResolution } from '../../src/translate/gateway/types.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';

describe('mirror-target grammar', () => {
  const accepted: [string, ReturnType<typeof parseMirrorTarget>][] = [
    ['http://mirror.ns.svc.cluster.local$request_uri', { ok: true, value: { target: { kind: 'service', namespace: 'ns', name: 'mirror', port: 80 }, host: 'mirror.ns.svc.cluster.local', path: { prefix: '', requestUri: true } } }],
    ['http://mirror.ns.svc/$request_uri', { ok: true, value: { target: { kind: 'service', namespace: 'ns', name: 'mirror', port: 80 }, host: 'mirror.ns.svc', path: { prefix: '/', requestUri: true } } }],
    ['http://mirror.ns.svc:8080/mirror', { ok: true, value: { target: { kind: 'service', namespace: 'ns', name: 'mirror', port: 8080 }, host: 'mirror.ns.svc', path: { prefix: '/mirror', requestUri: false } } }],
    ['HTTP://Mirror.NS.svc/a/b%20c$request_uri', { ok: true, value: { target: { kind: 'service', namespace: 'ns', name: 'mirror', port: 80 }, host: 'mirror.ns.svc', path: { prefix: '/a/b%20c', requestUri: true } } }],
    ['http://mirror.ns.svc', { ok: true, value: { target: { kind: 'service', namespace: 'ns', name: 'mirror', port: 80 }, host: 'mirror.ns.svc' } }],
    ['http://10.0.0.7:9000/shadow', { ok: true, value: { target: { kind: 'address', address: '10.0.0.7', port: 9000 }, host: '10.0.0.7', path: { prefix: '/shadow', requestUri: false } } }],
  ];
  for (const [value, expected] of accepted) test(`accepted: ${value}`, () => assert.deepEqual(parseMirrorTarget(value), expected));

  const refused: [string, RegExp][] = [
    ['https://test.env.com/$request_uri', /https mirror targets are not supported/],
    ['https://mirror.ns.svc/$request_uri', /https mirror targets are not supported/],
    ['ftp://mirror.ns.svc/', /must be an http:\/\/ URL/],
    ['http://localhost/mirror', /cannot be resolved.*Service name/],
    ['http://test.env.com/mirror', /cannot be resolved/],
    ['http://mirror.ns.svc/$host', /only nginx variable Portero accepts is \$request_uri/],
    ['http://mirror.ns.svc$request_uri$args', /only nginx variable/],
    ['http://$host/mirror', /only nginx variable/],
    ['http://mirror.ns.svc/$request_uri/more', /only nginx variable/],
    ['http://mirror.ns.svc/a?b=c', /no query/],
    ['http://mirror.ns.svc/a#frag', /must be http:/],
    ['http://mirror.ns.svc/a b', /must be http:/],
    ["http://mirror.ns.svc/a'b", /must be http:/],
    ['http://mirror.ns.svc/a"b', /must be http:/],
    ['http://mirror.ns.svc/a\\b', /must be http:/],
    ['http://mirror.ns.svc/x;}location /y {', /must be http:/],
    ['http://mirror.ns.svc/x\nbind :1', /must be http:/],
    ['http://mirror.ns.svc/%zz', /must be http:/],
    ['http://user@mirror.ns.svc/', /must be http:/],
    ['http://mirror.ns.svc:0/', /out of range/],
    ['http://mirror.ns.svc:65536/', /out of range/],
    ['http://[::1]:8080/m', /IPv6/],
    ['mirror.ns.svc/m', /must be http:/],
    ['', /must be http:/],
  ];
  for (const [value, message] of refused) {
    test(`refused: ${JSON.stringify(value)}`, () => {
      const parsed = parseMirrorTarget(value);
      assert.ok(!parsed.ok);
      assert.match(parsed.message, message);
    });
  }
});

describe('mirror-host grammar', () => {
  for (const [value, expected] of [['shadow.example.com', 'shadow.example.com'], ['Shadow.Example.COM:8080', 'shadow.example.com:8080'], ['10.0.0.1', '10.0.0.1'], ['localhost', 'localhost']] as const) {
    test(`accepted: ${value}`, () => assert.deepEqual(parseMirrorHost(value), { ok: true, value: expected }));
  }
  for (const value of ['a b', 'a"b', "a'b", 'a\nb', 'a.test:80\r\nX: y', '-a.test', 'a..test', 'a.test:', 'a.test:99999', '$host', '%[src]', '[::1]', 'a'.repeat(254), '']) {
    test(`refused: ${JSON.stringify(value.slice(0, 40))}`, () => assert.equal(parseMirrorHost(value).ok, false));
  }
});

describe('mirror-* annotations → features and endpoints', () => {
  const translateWith = (annotations: Record<string, string>) =>
    translateJson([
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
      ...serviceWithEndpoints({ name: 'mirror', namespace: 'shadow', endpoints: [{ address: '10.1.0.8', port: 9000 }, { address: '10.1.0.7', port: 9000 }], servicePort: 8080 }),
      ingress({ name: 'web', annotations: Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value])), rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] }),
    ]);
  const appBackend = (annotations: Record<string, string>) => {
    const { model, diagnostics } = translateWith(annotations);
    return { backend: model.backends.find((candidate) => candidate.service === 'app')!, diagnostics };
  };

  test('a Service name resolves through the Service port to its ready endpoints; mirror-host and mirror-request-body', () => {
    const { backend, diagnostics } = appBackend({ 'mirror-target': 'http://mirror.shadow.svc.cluster.local:8080/copy$request_uri', 'mirror-host': 'Shadow.Test', 'mirror-request-body': 'off' });
    assert.deepEqual(backend.features?.mirrors, [{ target: { kind: 'service', namespace: 'shadow', name: 'mirror', port: 8080 }, host: 'shadow.test', path: { prefix: '/copy', requestUri: true }, body: false }]);
    assert.deepEqual(backend.mirrorEndpoints, [[{ address: '10.1.0.7', port: 9000 }, { address: '10.1.0.8', port: 9000 }]]);
    assert.deepEqual(diagnostics.filter((d) => d.object.name === 'web'), []);
  });

  test('the default Host is the target\'s host; the body is copied unless off (any other value is read as on, with a warning)', () => {
    const { backend, diagnostics } = appBackend({ 'mirror-target': 'http://mirror.shadow.svc:8080', 'mirror-request-body': 'yes' });
    assert.deepEqual(backend.features?.mirrors, [{ target: { kind: 'service', namespace: 'shadow', name: 'mirror', port: 8080 }, host: 'mirror.shadow.svc', body: true }]);
    assert.ok(diagnostics.some((d) => d.field === `metadata.annotations["${A}/mirror-request-body"]` && d.severity === 'warning'));
  });

  test('an invalid target: the Ingress is served without a mirror, with a warning naming annotation and value', () => {
    const { backend, diagnostics } = appBackend({ 'mirror-target': 'http://mirror.shadow.svc/$host' });
    assert.equal(backend.features?.mirrors, undefined);
    const warning = diagnostics.find((d) => d.field === `metadata.annotations["${A}/mirror-target"]`);
    assert.ok(warning && warning.severity === 'warning' && warning.message.includes('$host'), JSON.stringify(warning));
  });

  test('an invalid mirror-host: the target\'s host is the copy\'s Host, with a warning', () => {
    const { backend, diagnostics } = appBackend({ 'mirror-target': 'http://mirror.shadow.svc:8080/', 'mirror-host': 'a"b' });
    assert.equal(backend.features?.mirrors?.[0]?.host, 'mirror.shadow.svc');
    assert.ok(diagnostics.some((d) => d.field === `metadata.annotations["${A}/mirror-host"]`));
  });

  test('a missing Service or port: no endpoints (no copy), and a warning', () => {
    const { backend, diagnostics } = appBackend({ 'mirror-target': 'http://nowhere.shadow.svc/' });
    assert.deepEqual(backend.mirrorEndpoints, [[]]);
    assert.ok(diagnostics.some((d) => d.field === `metadata.annotations["${A}/mirror-target"]` && /no copy of the requests is sent/.test(d.message)));
  });

  test('migrate and docs: mirror-host supported, the others differences', () => {
    assert.equal(SUPPORT['mirror-host']?.status, 'supported');
    assert.equal(SUPPORT['mirror-target']?.status, 'difference');
    assert.equal(SUPPORT['mirror-request-body']?.status, 'difference');
  });
});

describe('RequestMirror → a mirror', () => {
  const resolved = { ok: true, namespace: 'infra', name: 'v2', servicePort: { name: 'http', port: 8080, protocol: 'TCP' } } as unknown as BackendResolution;
  const ref = { group: '', kind: 'Service', name: 'v2', port: 8080 };
  test('every request without a share; percent and fraction; 0 and invalid references send nothing', () => {
    const target = { kind: 'service', namespace: 'infra', name: 'v2', port: 8080 } as const;
    assert.deepEqual(mirrorOf({ backendRef: ref }, resolved), { target, body: true });
    assert.deepEqual(mirrorOf({ backendRef: ref, percent: 20 }, resolved), { target, body: true, fraction: { numerator: 20, denominator: 100 } });
    assert.deepEqual(mirrorOf({ backendRef: ref, fraction: { numerator: 25, denominator: 50 } }, resolved), { target, body: true, fraction: { numerator: 25, denominator: 50 } });
    assert.deepEqual(mirrorOf({ backendRef: ref, percent: 100 }, resolved), { target, body: true });
    assert.equal(mirrorOf({ backendRef: ref, percent: 0 }, resolved), undefined);
    assert.equal(mirrorOf({ backendRef: ref }, { ok: false, reason: 'BackendNotFound', message: 'x', weight: 1, ref: { ...ref, weight: 1, filters: [] } }), undefined);
  });
});

describe('mirror rules', () => {
  const endpoints = [[{ address: '10.1.0.7', port: 9000 }, { address: 'fd00::1', port: 9000 }]];
  const mirror = (extra: Partial<Mirror> = {}): Mirror => ({ target: { kind: 'service', namespace: 'shadow', name: 'mirror', port: 8080 }, body: false, ...extra });

  test('every request, the request\'s path, no body: one rule, no condition', () => {
    assert.deepEqual(mirrorRequestLines([mirror()], endpoints), ["  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '-' request '0'"]);
  });

  test('a host, a prefix with $request_uri, a literal path', () => {
    assert.deepEqual(mirrorRequestLines([mirror({ host: 'shadow.test:8080', path: { prefix: '/copy', requestUri: true } })], endpoints), ["  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' 'shadow.test:8080' '/copy' prefixed '0'"]);
    assert.deepEqual(mirrorRequestLines([mirror({ path: { prefix: '', requestUri: true } })], endpoints), ["  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '-' prefixed '0'"]);
    assert.deepEqual(mirrorRequestLines([mirror({ path: { prefix: '/m', requestUri: false } })], endpoints), ["  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '/m' literal '0'"]);
  });

  test('a share: the rule under rand(); with the body, one draw for the wait and the copy', () => {
    assert.deepEqual(mirrorRequestLines([mirror({ fraction: { numerator: 20, denominator: 100 } })], endpoints), ["  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '-' request '0' if { rand(100) lt 20 }"]);
    assert.deepEqual(mirrorRequestLines([mirror({ body: true, fraction: { numerator: 25, denominator: 50 } })], endpoints), [
      '  http-request set-var(txn.portero_mirror0) bool(1) if { rand(50) lt 25 }',
      '  http-request wait-for-body time 1s if { var(txn.portero_mirror0) -m bool } { req.hdr(content-length) -m found }',
      "  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '-' request '1' if { var(txn.portero_mirror0) -m bool }",
    ]);
    assert.deepEqual(mirrorRequestLines([mirror({ body: true })], endpoints), [
      '  http-request wait-for-body time 1s if { req.hdr(content-length) -m found }',
      "  http-request lua.portero_mirror '10.1.0.7:9000,[fd00::1]:9000' '-' '-' request '1'",
    ]);
  });

  test('several mirrors, each its own rule (and variable); a mirror without endpoints has none', () => {
    const lines = mirrorRequestLines([mirror({ body: true, fraction: { numerator: 35, denominator: 100 } }), mirror(), mirror({ body: true, fraction: { numerator: 1, denominator: 2 } })], [endpoints[0]!, [], [{ address: '10.0.0.3', port: 80 }]]);
    assert.equal(lines.length, 6);
    assert.ok(lines[0]!.includes('txn.portero_mirror0') && lines[3]!.includes('txn.portero_mirror2'));
    assert.ok(!lines.some((line) => line.includes("'-' '-' request '0'")), 'the mirror without endpoints renders nothing');
  });

  test('values outside the grammar never render', () => {
    assert.throws(() => mirrorRequestLines([mirror({ host: 'a"b' })], endpoints));
    assert.throws(() => mirrorRequestLines([mirror({ path: { prefix: "/a'b", requestUri: false } })], endpoints));
    assert.throws(() => mirrorRequestLines([mirror()], [[{ address: 'not-an-ip', port: 80 }]]));
  });

  test('after the access checks, before the rewrite; the Lua is loaded only when a mirror has endpoints; endpoints are settings (a change reloads)', () => {
    const lines = featureLines({ allowSources: ['10.0.0.0/8'], rewrite: { pattern: '/a', target: '/b' }, mirrors: [mirror()] }, { httpsPort: 443, genDir: '/g', section: 's' }, [], endpoints);
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    assert.ok(at(/src -f/) < at(/lua\.portero_mirror/) && at(/lua\.portero_mirror/) < at(/replace-path/), lines.join('\n'));
    assert.equal(needsMirrorLua([{ mirrorEndpoints: [[]] }, undefined]), false);
    assert.equal(needsMirrorLua([{ mirrorEndpoints: endpoints }]), true);
    const base = { features: { mirrors: [mirror()] }, mirrorEndpoints: endpoints };
    assert.notEqual(backendSettings(base), backendSettings({ ...base, mirrorEndpoints: [[endpoints[0]![0]!]] }));
  });

  test('the Lua: copies from a task, round robin, bounded, framing headers dropped', () => {
    assert.match(MIRROR_LUA, /core\.register_task\(function\(\)/);
    assert.match(MIRROR_LUA, /core\.register_action\("portero_mirror", \{ "http-req" \}/);
    assert.match(MIRROR_LUA, /\["transfer-encoding"\] = true/);
    assert.match(MIRROR_LUA, /local MAX_IN_FLIGHT = 256/);
  });
});

describe('endpoints as a Lua argument', () => {
  test('a Service with hundreds of endpoints renders: the first 64 are named, within a Lua argument', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ address: `2001:db8:ffff:ffff:ffff:ffff:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`, port: 65535 }));
    const arg = endpointsArg(many).text;
    assert.equal(arg.split(',').length, MAX_ENDPOINT_ARGS);
    assert.ok(arg.length <= 4096 + 2, `${arg.length} characters`);
    const lines = mirrorRequestLines([{ target: { kind: 'address', address: '10.0.0.1', port: 80 }, host: 'm.test', body: false }], [many]);
    assert.equal(lines.length, 1);
    assert.equal(endpointsArg([]).text, "'-'");
  });
});
