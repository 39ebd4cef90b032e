// translate: class selection, host levels, merging and conflicts, default
// backends, backend resolution and TLS, table by table.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { matchRequest } from '../../src/model/match.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { formatDiagnostic } from '../../src/translate/diagnostics.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const app = (name: string, namespace?: string) => serviceWithEndpoints({ name, namespace, endpoints: [{ address: '10.0.0.1', port: 8080 }] });
const route = (name: string, host: string | undefined, path = '/', service = name) => ingress({ name, rules: [{ host, paths: [{ path, service }] }] });
const backend = (service: string, namespace = 'default') => ({ kind: 'backend', id: `${namespace}_${service}_80` });

describe('IngressClass selection', () => {
  const cases: [string, Json[], Partial<Parameters<typeof translateJson>[1]>, boolean][] = [
    ['ingressClassName = --ingress-class', [ingress({ name: 'x', className: 'portero', defaultBackend: { service: 's' } })], {}, true],
    ['ingressClassName names another class', [ingress({ name: 'x', className: 'nginx', defaultBackend: { service: 's' } })], {}, false],
    ['IngressClass with our controller', [ingressClass('mine', 'portero.dev/ingress-controller'), ingress({ name: 'x', className: 'mine', defaultBackend: { service: 's' } })], {}, true],
    ['our flag name taken by another controller', [ingressClass('portero', 'other.io/c'), ingress({ name: 'x', className: 'portero', defaultBackend: { service: 's' } })], {}, false],
    ['annotation names our class', [ingress({ name: 'x', className: null, annotations: { 'kubernetes.io/ingress.class': 'portero' }, defaultBackend: { service: 's' } })], {}, true],
    ['annotation names another class', [ingress({ name: 'x', className: null, annotations: { 'kubernetes.io/ingress.class': 'nginx' }, defaultBackend: { service: 's' } })], {}, false],
    ['no class, nothing default', [ingress({ name: 'x', className: null, defaultBackend: { service: 's' } })], {}, false],
    ['no class, our IngressClass is default', [ingressClass('mine', 'portero.dev/ingress-controller', true), ingress({ name: 'x', className: null, defaultBackend: { service: 's' } })], {}, true],
    ['no class, another controller is default', [ingressClass('theirs', 'other.io/c', true), ingress({ name: 'x', className: null, defaultBackend: { service: 's' } })], {}, false],
    ['no class, --watch-ingress-without-class', [ingress({ name: 'x', className: null, defaultBackend: { service: 's' } })], { watchIngressWithoutClass: true }, true],
    ['--watch-ingress-without-class does not take other classes', [ingress({ name: 'x', className: 'nginx', defaultBackend: { service: 's' } })], { watchIngressWithoutClass: true }, false],
  ];
  for (const [title, objects, options, served] of cases) {
    test(title, () => {
      assert.equal(translateJson(objects, options).served.length, served ? 1 : 0);
    });
  }
});

describe('host levels and precedence', () => {
  const objects = [
    ...app('exact'), ...app('wild'), ...app('hostless'), ...app('old'), ...app('new'),
    route('exact', 'a.example.com'),
    route('wild', '*.example.com'),
    route('hostless', undefined, '/public'),
    ingress({ name: 'old', creationTimestamp: '2020-01-01T00:00:00Z', rules: [{ host: 'dup.test', paths: [{ path: '/x', service: 'old' }] }] }),
    ingress({ name: 'new', creationTimestamp: '2021-01-01T00:00:00Z', rules: [{ host: 'dup.test', paths: [{ path: '/x/', service: 'new' }, { path: '/y', service: 'new' }, { path: '/z', service: 'new' }] }] }),
    ingress({ name: 'newer', creationTimestamp: '2022-01-01T00:00:00Z', rules: [{ host: 'dup.test', paths: [{ path: '/z', service: 'old' }] }] }),
    ingress({ name: 'both', creationTimestamp: '2023-01-01T00:00:00Z', rules: [{ host: 'both.test', paths: [{ path: '/foo', service: 'old' }, { path: '/foo/', service: 'new' }] }] }),
  ];
  const { model, diagnostics } = translateJson(objects);
  const cases: [string, string, string, unknown][] = [
    ['exact host', 'a.example.com', '/', backend('exact')],
    ['exact host, any case and port', 'A.Example.COM:443', '/', backend('exact')],
    ['wildcard, one label', 'b.example.com', '/', backend('wild')],
    ['wildcard, not two labels', 'x.b.example.com', '/public', backend('hostless')],
    ['wildcard, not its own domain', 'example.com', '/public', backend('hostless')],
    ['host-less for unknown hosts', 'other.test', '/public/x', backend('hostless')],
    ['no fall-through from exact to host-less', 'a.example.com', '/public', backend('exact')],
    ['/x/ beats /x (both Prefix): the longer path wins, whatever the age', 'dup.test', '/x', backend('new')],
    ['... for every request both match', 'dup.test', '/x/y', backend('new')],
    ['the same path: the oldest Ingress wins', 'dup.test', '/z', backend('new')],
    ['/foo and /foo/ in one Ingress: /foo/ wins', 'both.test', '/foo', backend('new')],
    ['other paths of the newer Ingress are merged', 'dup.test', '/y', backend('new')],
    ['unmatched host-less path: catch-all', 'other.test', '/private', { kind: 'not-found' }],
  ];
  for (const [title, host, path, expected] of cases) {
    test(title, () => assert.deepEqual(matchRequest(model, host, path), expected));
  }
  test('the loser of a conflict gets one warning naming the winner', () => {
    const messages = diagnostics.map(formatDiagnostic);
    assert.deepEqual(messages.sort(), [
      'Ingress default/both spec.rules[0].http.paths[0]: Prefix path "/foo" on host both.test matches the same requests as the longer path "/foo/" of another path of this Ingress, which takes priority; this path is ignored',
      'Ingress default/newer spec.rules[0].http.paths[0]: Prefix path "/z" on host dup.test is already routed by older Ingress default/new; this path is ignored',
      'Ingress default/old spec.rules[0].http.paths[0]: Prefix path "/x" on host dup.test matches the same requests as the longer path "/x/" of Ingress default/new, which takes priority; this path is ignored',
    ]);
  });
  test('levels are sorted and carry their fallback', () => {
    assert.deepEqual(model.levels.map((level) => level.host), ['', '*.example.com', 'a.example.com', 'both.test', 'dup.test']);
  });
});

describe('default backends', () => {
  const objects = [
    ...app('da'), ...app('db'), ...app('ax'), ...app('cx'),
    ingress({ name: 'a', creationTimestamp: '2020-01-01T00:00:00Z', defaultBackend: { service: 'da' }, rules: [{ host: 'a.test', paths: [{ path: '/x', service: 'ax' }] }] }),
    ingress({ name: 'b', creationTimestamp: '2021-01-01T00:00:00Z', defaultBackend: { service: 'db' }, rules: [{ host: 'b.test' }] }),
    ingress({ name: 'c', rules: [{ host: 'c.test', paths: [{ path: '/x', service: 'cx' }] }] }),
  ];
  const { model, diagnostics } = translateJson(objects);
  test("an Ingress's default backend serves unmatched paths on its own hosts", () => {
    assert.deepEqual(matchRequest(model, 'a.test', '/y'), backend('da'));
    assert.deepEqual(matchRequest(model, 'b.test', '/anything'), backend('db'));
  });
  test('the oldest default backend is the catch-all', () => {
    assert.deepEqual(model.catchAll, backend('da'));
    assert.deepEqual(matchRequest(model, 'nowhere.test', '/'), backend('da'));
    assert.deepEqual(matchRequest(model, 'c.test', '/y'), backend('da'));
  });
  test('the newer default backend is warned about the catch-all role', () => {
    assert.ok(diagnostics.some((d) => d.object.name === 'b' && d.field === 'spec.defaultBackend' && /older Ingress default\/a is the catch-all/.test(d.message)));
  });
  test('--default-backend-service when no Ingress sets one', () => {
    const result = translateJson([...app('fallback', 'infra'), ...app('cx'), route('c', 'c.test', '/x', 'cx')], { defaultBackendService: { namespace: 'infra', name: 'fallback', port: 80 } });
    assert.deepEqual(result.model.catchAll, backend('fallback', 'infra'));
    assert.ok(result.model.backends.some((b) => b.id === 'infra_fallback_80'));
  });
  test('a plain 404 otherwise', () => {
    assert.deepEqual(translateJson([...app('cx'), route('c', 'c.test', '/x', 'cx')]).model.catchAll, { kind: 'not-found' });
  });
  test("a canary's default backend is never the catch-all, even when it is the oldest (ingress-nginx canary.go)", () => {
    const canary = { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary' };
    const alone = translateJson([...app('next'), ingress({ name: 'foo-canary', annotations: canary, defaultBackend: { service: 'next' } })]);
    assert.deepEqual(alone.model.catchAll, { kind: 'not-found' });
    const both = translateJson([...app('next'), ...app('main'), ingress({ name: 'foo-canary', annotations: canary, defaultBackend: { service: 'next' } }), ingress({ name: 'foo', defaultBackend: { service: 'main' } })]);
    assert.deepEqual(both.model.catchAll, backend('main'));
  });
  test('--disable-catch-all: an Ingress with a default backend and no rules is not served, with a warning; one with rules keeps it for its own hosts only (ingress-nginx disable_catch_all.go)', () => {
    const catchAllOnly = ingress({ name: 'z', creationTimestamp: '2019-01-01T00:00:00Z', defaultBackend: { service: 'db' } });
    const result = translateJson([...objects, catchAllOnly], { disableCatchAll: true });
    assert.deepEqual(result.served.map((ref) => ref.name), ['a', 'b', 'c']);
    assert.deepEqual(result.model.catchAll, { kind: 'not-found' });
    assert.deepEqual(matchRequest(result.model, 'c.test', '/x'), backend('cx'));
    assert.deepEqual(matchRequest(result.model, 'a.test', '/y'), backend('da'), "a's default backend answers its own host");
    assert.deepEqual(matchRequest(result.model, 'nowhere.test', '/'), { kind: 'not-found' }, 'no Ingress is the catch-all');
    const warnings = result.diagnostics.filter((d) => d.field === 'spec.defaultBackend');
    assert.deepEqual(warnings.map((d) => [d.severity, d.object.name, /--disable-catch-all/.test(d.message)]), [['warning', 'z', true]]);
  });
});

describe('--watch-namespace-selector', () => {
  const namespace = (name: string, labels: Record<string, string> = {}): Json => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const site = (ns: string, host: string): Json[] => [
    ...serviceWithEndpoints({ name: 'app', namespace: ns, endpoints: [{ address: '10.0.0.1', port: 80 }] }),
    ingress({ name: 'site', namespace: ns, rules: [{ host, paths: [{ service: 'app' }] }] }),
  ];
  const selector = { matchLabels: {}, matchExpressions: [{ key: 'foo', operator: 'In' as const, values: ['bar'] }] };
  test('only the Ingresses of selected namespaces are served (ingress-nginx namespace_selector.go)', () => {
    const objects = [namespace('matched', { foo: 'bar' }), namespace('other'), ...site('matched', 'foo.test'), ...site('other', 'bar.test')];
    const result = translateJson(objects, { namespaceSelector: selector });
    assert.deepEqual(result.served.map((ref) => ref.namespace), ['matched']);
    assert.equal(matchRequest(result.model, 'bar.test', '/').kind, 'not-found');
    assert.equal(matchRequest(result.model, 'foo.test', '/').kind, 'backend');
  });
  test('labelling the namespace selects it; without the flag every namespace is served', () => {
    const relabelled = translateJson([namespace('matched', { foo: 'bar' }), namespace('other', { foo: 'bar' }), ...site('matched', 'foo.test'), ...site('other', 'bar.test')], { namespaceSelector: selector });
    assert.deepEqual(relabelled.served.map((ref) => ref.namespace).sort(), ['matched', 'other']);
    assert.equal(translateJson([namespace('other'), ...site('other', 'bar.test')]).served.length, 1);
  });
  test('a namespace without its Namespace object has only its name label', () => {
    const byName = { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' }, matchExpressions: [] };
    assert.deepEqual(translateJson([...site('team-a', 'a.test'), ...site('team-b', 'b.test')], { namespaceSelector: byName }).served.map((ref) => ref.namespace), ['team-a']);
  });
});

describe('a Service that does not exist', () => {
  const redirect = { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://example.org/' };
  test('with annotations: a backend of that name without endpoints carries them, with a warning; it takes the endpoints once the Service exists', () => {
    const lone = ingress({ name: 'moved', annotations: redirect, rules: [{ host: 'a.test', paths: [{ service: 'later' }] }] });
    const before = translateJson([lone]);
    const target = matchRequest(before.model, 'a.test', '/x');
    assert.equal(target.kind, 'backend');
    const standIn = before.model.backends.find((b) => target.kind === 'backend' && b.id === target.id);
    assert.deepEqual([standIn?.service, standIn?.endpoints, standIn?.features?.redirect?.location], ['later', [], 'https://example.org/']);
    assert.ok(before.diagnostics.some((d) => d.severity === 'warning' && /Service default\/later not found; its annotations apply/.test(d.message)));
    const after = translateJson([...app('later'), lone]);
    assert.deepEqual(matchRequest(after.model, 'a.test', '/x'), target, 'the same backend id');
    assert.equal(after.model.backends.find((b) => b.id === (target as { id: string }).id)?.endpoints.length, 1);
  });
  test('without annotations: 503 as before', () => {
    assert.deepEqual(matchRequest(translateJson([route('plain', 'b.test', '/', 'nowhere')]).model, 'b.test', '/'), { kind: 'unavailable' });
  });
});

describe('backend resolution', () => {
  const slice = (name: string, service: string, port: { name?: string; port: number }, endpoints: { addresses: string[]; conditions?: { ready?: boolean } }[], addressType = 'IPv4') => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType,
    endpoints,
    ports: [{ ...port, protocol: 'TCP' }],
  });
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'admin', port: 9000 }] },
  };
  const objects: Json[] = [
    svc,
    slice('web-1', 'web', { name: 'http', port: 8080 }, [{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.3'], conditions: { ready: false } }]),
    slice('web-2', 'web', { name: 'http', port: 8080 }, [{ addresses: ['fd00::1'] }], 'IPv6'),
    slice('web-4', 'web', { name: 'http', port: 8080 }, [{ addresses: ['10.0.0.1'] }]),
    slice('web-3', 'web', { name: 'admin', port: 9090 }, [{ addresses: ['10.0.0.9'] }]),
    slice('other', 'other', { name: 'http', port: 1 }, [{ addresses: ['10.9.9.9'] }]),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] } },
    ingress({
      name: 'i',
      rules: [
        {
          host: 'r.test',
          paths: [
            { path: '/by-number', service: 'web', port: 80 },
            { path: '/by-name', service: 'web', port: 'http' },
            { path: '/admin', service: 'web', port: 'admin' },
            { path: '/missing', service: 'nope' },
            { path: '/no-port', service: 'web', port: 81 },
            { path: '/external', service: 'ext' },
          ],
        },
      ],
    }),
  ];
  const { model, diagnostics } = translateJson(objects);
  test('by number and by name reach one backend, keyed by the Service port number', () => {
    assert.deepEqual(matchRequest(model, 'r.test', '/by-number'), { kind: 'backend', id: 'default_web_80' });
    assert.deepEqual(matchRequest(model, 'r.test', '/by-name'), { kind: 'backend', id: 'default_web_80' });
  });
  test('only ready endpoints, from every slice of the Service, for the matching port name, deduplicated and sorted', () => {
    assert.deepEqual(model.backends.find((b) => b.id === 'default_web_80')?.endpoints, [
      { address: '10.0.0.1', port: 8080 },
      { address: '10.0.0.2', port: 8080 },
      { address: 'fd00::1', port: 8080 },
    ]);
    assert.deepEqual(model.backends.find((b) => b.id === 'default_web_9000')?.endpoints, [{ address: '10.0.0.9', port: 9090 }]);
  });
  const unavailable: [string, RegExp][] = [
    ['/missing', /Service default\/nope not found/],
    ['/no-port', /has no port 81/],
    ['/external', /ExternalName, which is not supported/],
  ];
  for (const [path, message] of unavailable) {
    test(`${path} answers 503 with a warning`, () => {
      assert.deepEqual(matchRequest(model, 'r.test', path), { kind: 'unavailable' });
      assert.ok(diagnostics.some((d) => d.severity === 'warning' && message.test(d.message)), `no diagnostic ${message}`);
    });
  }
});

describe('hand-written EndpointSlices are read leniently where nothing else can be meant', () => {
  const service = (ports: Json[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports } });
  const slice = (ports: Json[] | undefined) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'svc-1', labels: { 'kubernetes.io/service-name': 'svc' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.5'] }],
    ...(ports ? { ports } : {}),
  });
  const cases: [string, Json[], Json[] | undefined, number | undefined][] = [
    ['same names', [{ name: 'http', port: 80 }], [{ name: 'http', port: 8080 }], 8080],
    ['both unnamed', [{ port: 80 }], [{ port: 8080 }], 8080],
    ['a named Service port, one unnamed slice port', [{ name: 'http', port: 80 }], [{ port: 8080 }], 8080],
    ['a slice without ports uses the numeric targetPort', [{ port: 80, targetPort: 9090 }], undefined, 9090],
    ['a multi-port Service needs the names to match', [{ name: 'http', port: 80 }, { name: 'admin', port: 81 }], [{ name: 'other', port: 8080 }], undefined],
    ['a UDP slice port never serves', [{ port: 80 }], [{ port: 8080, protocol: 'UDP' }], undefined],
  ];
  for (const [title, servicePorts, slicePorts, expected] of cases) {
    test(title, () => {
      const { model } = translateJson([service(servicePorts), slice(slicePorts), ingress({ name: 'i', defaultBackend: { service: 'svc', port: 80 } })]);
      const endpoints = model.backends[0]?.endpoints ?? [];
      assert.deepEqual(endpoints, expected === undefined ? [] : [{ address: '127.0.0.5', port: expected }]);
    });
  }
});

describe('checks beyond the API server', () => {
  test('a path with characters no request path has refuses the Ingress', () => {
    const result = translateJson([...app('s'), ingress({ name: 'bad', rules: [{ host: 'a.test', paths: [{ path: '/a b', pathType: 'ImplementationSpecific', service: 's' }] }] })]);
    assert.equal(result.served.length, 0);
    assert.equal(result.diagnostics[0]?.severity, 'error');
    assert.equal(result.diagnostics[0]?.field, 'spec.rules[0].http.paths[0].path');
  });
  test('a regular expression in an ImplementationSpecific path is served as a prefix, with a warning', () => {
    const result = translateJson([...app('s'), ingress({ name: 'rx', rules: [{ host: 'a.test', paths: [{ path: '/api/(.*)', pathType: 'ImplementationSpecific', service: 's' }] }] })]);
    assert.equal(result.served.length, 1);
    assert.match(result.diagnostics[0]?.message ?? '', /treats ImplementationSpecific as Prefix unless the Ingress sets the use-regex annotation/);
  });
  test('a refused Ingress never affects the others', () => {
    const result = translateJson([...app('s'), route('good', 'good.test', '/', 's'), ingress({ name: 'bad', rules: [{ host: 'good.test', paths: [{ path: '/x y', pathType: 'ImplementationSpecific', service: 's' }] }] })]);
    assert.deepEqual(matchRequest(result.model, 'good.test', '/x'), backend('s'));
  });
});

describe('TLS', () => {
  let certs: Record<string, { cert: string; key: string }>;
  before(async () => {
    certs = {
      a: await generateSelfSigned('a.test', ['a.test'], 30),
      renewedA: await generateSelfSigned('a.test renewed', ['a.test'], 30),
      wild: await generateSelfSigned('wild', ['*.w.test'], 30),
      other: await generateSelfSigned('other', ['other.test'], 30),
      expired: await generateSelfSigned('old', ['old.test'], 1),
    };
  });

  test('Secrets serve their hosts; empty hosts take the rule hosts; invalid Secrets fall back with warnings', () => {
    const objects = [
      ...app('s'),
      tlsSecret('a', certs.a!.cert, certs.a!.key),
      tlsSecret('wild', certs.wild!.cert, certs.wild!.key),
      tlsSecret('mismatch', certs.other!.cert, certs.a!.key),
      tlsSecret('old', certs.expired!.cert, certs.expired!.key),
      ingress({
        name: 'tls',
        tls: [{ secretName: 'a' }, { hosts: ['*.w.test'], secretName: 'wild' }, { hosts: ['m.test'], secretName: 'mismatch' }, { hosts: ['gone.test'], secretName: 'nope' }, { hosts: ['old.test'], secretName: 'old' }],
        rules: [{ host: 'a.test', paths: [{ service: 's' }] }],
      }),
    ];
    // Two days from now: the one-day certificate has expired, the others have not.
    const { model, diagnostics } = translateJson(objects, { now: new Date(Date.now() + 2 * 86_400_000) });
    assert.deepEqual(
      model.certificates.map((c) => [c.id, c.hosts]),
      [['default_a', ['a.test']], ['default_old', ['old.test']], ['default_wild', ['*.w.test']]],
    );
    assert.deepEqual(model.redirectHosts, ['*.w.test', 'a.test', 'gone.test', 'm.test', 'old.test']);
    const messages = diagnostics.map(formatDiagnostic).join('\n');
    assert.equal(diagnostics.length, 3);
    assert.match(messages, /spec\.tls\[2\]\.secretName: Secret default\/mismatch: tls\.key does not match the certificate/);
    assert.match(messages, /spec\.tls\[3\]\.secretName: Secret default\/nope not found/);
    assert.match(messages, /spec\.tls\[4\]\.secretName: Secret default\/old: certificate expired/);
    assert.ok(model.certificates[0]?.pem.includes('BEGIN CERTIFICATE') && model.certificates[0].pem.includes('BEGIN PRIVATE KEY'));
  });

  test('a certificate HAProxy refused is left out until its Secret changes; a long Secret name gets a short id', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const objects = [
      ...app('s'),
      tlsSecret('a', certs.a!.cert, certs.a!.key),
      tlsSecret(long, certs.other!.cert, certs.other!.key),
      ingress({ name: 'tls', tls: [{ hosts: ['a.test'], secretName: 'a' }, { hosts: ['other.test'], secretName: long }], rules: [{ host: 'a.test', paths: [{ service: 's' }] }] }),
    ];
    const first = translateJson(objects);
    const longId = first.model.certificates.find((c) => c.hosts.includes('other.test'))?.id ?? '';
    assert.match(longId, /^default_a{63}\.b{63}\.c+_[0-9a-f]{16}$/);
    assert.equal(longId.length, 200);
    const refused = new Map([['default_a', { pem: first.model.certificates.find((c) => c.id === 'default_a')!.pem, reason: 'unable to load SSL certificate' }]]);
    const { model, diagnostics } = translateJson(objects, { refusedCertificates: refused });
    assert.deepEqual(model.certificates.map((c) => c.id), [longId]);
    assert.deepEqual(model.redirectHosts, ['a.test', 'other.test']);
    assert.match(diagnostics.map(formatDiagnostic).join('\n'), /spec\.tls\[0\]\.secretName: Secret default\/a: HAProxy refuses the certificate \(unable to load SSL certificate\); its hosts use the default certificate/);
    // The same Secret with another certificate is tried again.
    const renewed = translateJson([...objects.slice(0, 2), tlsSecret('a', certs.renewedA!.cert, certs.renewedA!.key), ...objects.slice(3)], { refusedCertificates: refused });
    assert.deepEqual(renewed.model.certificates.map((c) => c.id), ['default_a', longId]);
  });

  test('a host its certificate does not cover stays on the default certificate, with a warning (as in ingress-nginx)', () => {
    const objects = [
      ...app('s'),
      tlsSecret('a', certs.a!.cert, certs.a!.key),
      ingress({ name: 'tls', tls: [{ hosts: ['a.test', 'foo.test'], secretName: 'a' }], rules: [{ host: 'foo.test', paths: [{ service: 's' }] }] }),
    ];
    const { model, diagnostics } = translateJson(objects);
    assert.deepEqual(model.certificates.map((c) => [c.id, c.hosts]), [['default_a', ['a.test']]]);
    // Still a TLS host: plain HTTP redirects to HTTPS, served on the default certificate.
    assert.deepEqual(model.redirectHosts, ['a.test', 'foo.test']);
    assert.match(diagnostics.map(formatDiagnostic).join('\n'), /spec\.tls\[0\]\.hosts: certificate in Secret default\/a does not cover host foo\.test; the host uses the default certificate/);
  });

  test('two Ingresses naming the same certificate that does not cover a host: no conflict between them', () => {
    const tlsIngress = (name: string, creationTimestamp: string) => ingress({ name, creationTimestamp, tls: [{ hosts: ['foo.test'], secretName: 'a' }], rules: [{ host: 'foo.test', paths: [{ path: `/${name}`, service: 's' }] }] });
    const { diagnostics } = translateJson([...app('s'), tlsSecret('a', certs.a!.cert, certs.a!.key), tlsIngress('one', '2020-01-01T00:00:00Z'), tlsIngress('two', '2021-01-01T00:00:00Z')]);
    assert.doesNotMatch(diagnostics.map(formatDiagnostic).join('\n'), /already set by older Ingress/);
  });

  test('two Ingresses claiming one TLS host: the oldest Secret is used', () => {
    const objects = [
      tlsSecret('a', certs.a!.cert, certs.a!.key),
      tlsSecret('a2', certs.a!.cert, certs.a!.key),
      ingress({ name: 'old', creationTimestamp: '2020-01-01T00:00:00Z', tls: [{ hosts: ['a.test'], secretName: 'a' }], defaultBackend: { service: 's' } }),
      ingress({ name: 'new', creationTimestamp: '2021-01-01T00:00:00Z', tls: [{ hosts: ['a.test'], secretName: 'a2' }], defaultBackend: { service: 's' } }),
    ];
    const { model, diagnostics } = translateJson(objects);
    assert.deepEqual(model.certificates.map((c) => c.id), ['default_a']);
    assert.ok(diagnostics.some((d) => d.object.name === 'new' && /already set by older Ingress default\/old/.test(d.message)));
  });

  test('--default-ssl-certificate replaces the generated certificate when valid', () => {
    const objects = [tlsSecret('dflt', certs.other!.cert, certs.other!.key, 'infra')];
    const valid = translateJson(objects, { defaultSslCertificate: { namespace: 'infra', name: 'dflt' } });
    assert.notEqual(valid.model.defaultCertificate.pem, 'GENERATED');
    const missing = translateJson([], { defaultSslCertificate: { namespace: 'infra', name: 'dflt' } });
    assert.equal(missing.model.defaultCertificate.pem, 'GENERATED');
    assert.match(formatDiagnostic(missing.diagnostics[0]!), /--default-ssl-certificate: Secret not found/);
  });
});
