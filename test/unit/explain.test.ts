// `portero explain` on hand-written objects: each reason a rule can lose
// (docs/routing.md's cases), the listener and level, defaults, the HTTPS
// redirect, 400s, certificates, features that answer, and the text form.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainRequest } from '../../src/explain/explain.js';
import { ExplainInputError } from '../../src/explain/request.js';
import { renderExplanationText } from '../../src/explain/render-text.js';
import type { Explanation, ExplainInput } from '../../src/explain/types.js';
import { translate, type TranslateOptions } from '../../src/translate/translate.js';
import { ingress, ingressClass, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { BASE_OPTIONS, decodeAll, snapshotOf } from '../helpers/translate.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildExplainCommand } from '../../src/cli/explain/command.js';
import { ROOT } from '../helpers/portero.js';

const CLASSES = { ingressClass: 'portero', controllerClass: 'portero.dev/ingress-controller', watchIngressWithoutClass: false };

function explain(objects: readonly Json[], input: ExplainInput, options: Partial<TranslateOptions> = {}, ports = { http: 80, https: 443 }): Explanation {
  const snapshot = snapshotOf(decodeAll(objects));
  const translation = translate(snapshot, { ...BASE_OPTIONS, ...options });
  return explainRequest({ translation, snapshot, classes: CLASSES, ports }, input);
}

const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString();
const svc = (name: string, address: string, ready = true) => serviceWithEndpoints({ name, endpoints: [{ address, port: 8080, ready }] });
const SERVICES = [...svc('a', '10.0.0.1'), ...svc('b', '10.0.0.2'), ...svc('c', '10.0.0.3'), ...svc('d', '10.0.0.4')];

function resultsOf(explanation: Explanation): string[] {
  return explanation.considered.map((rule) => `${rule.source.name} ${rule.source.field} ${rule.result}`);
}

describe('portero explain: rules and why they lose', () => {
  test('the longest prefix wins; shorter ones are less specific, others do not match', () => {
    const e = explain([...SERVICES, ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }, { path: '/aaa', service: 'b' }, { path: '/aaa/bbb', service: 'c' }, { path: '/zzz', service: 'd' }] }] })], { url: 'http://x.test/aaa/bbb/ccc' });
    assert.equal(e.decision.kind, 'route');
    assert.equal(e.decision.matched, true);
    assert.deepEqual(e.route?.source, { kind: 'Ingress', namespace: 'default', name: 'web', field: 'spec.rules[0].http.paths[2]' });
    assert.deepEqual(resultsOf(e), [
      'web spec.rules[0].http.paths[0] less-specific',
      'web spec.rules[0].http.paths[1] less-specific',
      'web spec.rules[0].http.paths[2] matched',
      'web spec.rules[0].http.paths[3] no-match',
    ]);
    assert.equal(e.targets[0]?.backend?.service, 'c');
    assert.deepEqual(e.targets[0]?.backend?.endpoints, ['10.0.0.3:8080']);
    assert.equal(e.answer.status, null);
  });

  test('Exact beats Prefix of the same length; Prefix /aaa/bb never matches /aaa/bbb', () => {
    const e = explain([...SERVICES, ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/foo', service: 'a' }, { path: '/foo', pathType: 'Exact', service: 'b' }, { path: '/aaa/bb', service: 'c' }] }] })], { url: 'http://x.test/foo' });
    assert.deepEqual(resultsOf(e), ['web spec.rules[0].http.paths[0] less-specific', 'web spec.rules[0].http.paths[1] matched', 'web spec.rules[0].http.paths[2] no-match']);
    assert.match(e.considered[0]!.reason, /Exact beats Prefix/);
    assert.equal(explain([...SERVICES, ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/aaa/bb', service: 'c' }] }] })], { url: 'http://x.test/aaa/bbb' }).decision.kind, 'level-default');
  });

  test('the same host, path and type: the older Ingress wins, the newer is a conflict', () => {
    const objects = [
      ...SERVICES,
      ingress({ name: 'new', creationTimestamp: at(20), rules: [{ host: 'x.test', paths: [{ path: '/p', service: 'b' }] }] }),
      ingress({ name: 'old', creationTimestamp: at(10), rules: [{ host: 'x.test', paths: [{ path: '/p', service: 'a' }] }] }),
    ];
    const e = explain(objects, { url: 'http://x.test/p/q' });
    assert.deepEqual(resultsOf(e), ['old spec.rules[0].http.paths[0] matched', 'new spec.rules[0].http.paths[0] conflict']);
    assert.match(e.considered[1]!.reason, /older Ingress default\/old/);
    assert.equal(e.targets[0]?.backend?.service, 'a');
    assert.ok(e.diagnostics.some((d) => d.object.name === 'new'), 'the conflict warning is among the diagnostics');
  });

  test('Prefix /foo and /foo/: the longer one wins whichever Ingress is older; the other is shadowed', () => {
    const objects = [
      ...SERVICES,
      ingress({ name: 'old', creationTimestamp: at(10), rules: [{ host: 'x.test', paths: [{ path: '/foo', service: 'a' }] }] }),
      ingress({ name: 'new', creationTimestamp: at(20), rules: [{ host: 'x.test', paths: [{ path: '/foo/', service: 'b' }] }] }),
    ];
    const e = explain(objects, { url: 'http://x.test/foo' });
    assert.deepEqual(resultsOf(e), ['old spec.rules[0].http.paths[0] shadowed', 'new spec.rules[0].http.paths[0] matched']);
    assert.equal(e.targets[0]?.backend?.service, 'b');
  });

  test('no fall-through: an exact host level hides the wildcard and host-less rules', () => {
    const objects = [
      ...SERVICES,
      ingress({ name: 'exact', rules: [{ host: 'only.example.com', paths: [{ path: '/x', service: 'a' }] }] }),
      ingress({ name: 'wild', rules: [{ host: '*.example.com', paths: [{ path: '/', service: 'b' }] }] }),
      ingress({ name: 'any', rules: [{ paths: [{ path: '/', service: 'c' }] }] }),
    ];
    const e = explain(objects, { url: 'http://Only.Example.com:80/y' });
    assert.equal(e.decision.kind, 'level-default');
    assert.equal(e.decision.matched, false);
    assert.deepEqual(e.level, { host: 'only.example.com', kind: 'exact', regex: false });
    assert.deepEqual(resultsOf(e), ['exact spec.rules[0].http.paths[0] no-match', 'wild spec.rules[0].http.paths[0] other-level', 'any spec.rules[0].http.paths[0] other-level']);
    assert.equal(e.answer.status, 404);
    const wildcard = explain(objects, { url: 'http://a.example.com/y' });
    assert.deepEqual(wildcard.level, { host: '*.example.com', kind: 'wildcard', regex: false });
    assert.equal(wildcard.targets[0]?.backend?.service, 'b');
    // Two labels under the wildcard: not covered, the host-less rules answer.
    assert.equal(explain(objects, { url: 'http://a.b.example.com/y' }).level?.kind, 'any-host');
  });

  test('other classes and refused Ingresses are listed with the reason', () => {
    const objects = [
      ...SERVICES,
      ingressClass('nginx', 'k8s.io/ingress-nginx'),
      ingress({ name: 'theirs', className: 'nginx', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] }),
      ingress({ name: 'broken', rules: [{ host: 'x.test', paths: [{ path: '/', pathType: 'Exact', service: 'b' }, { path: '/a b', service: 'b' }] }] }),
      ingress({ name: 'ok', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'c' }] }] }),
    ];
    const e = explain(objects, { url: 'http://x.test/' });
    const byName = new Map(e.considered.map((rule) => [`${rule.source.name} ${rule.source.field}`, rule]));
    assert.equal(byName.get('theirs spec.rules[0].http.paths[0]')?.result, 'other-class');
    assert.match(byName.get('theirs spec.rules[0].http.paths[0]')!.reason, /"nginx" is not one of Portero's classes/);
    assert.equal(byName.get('broken spec.rules[0].http.paths[0]')?.result, 'invalid');
    assert.match(byName.get('broken spec.rules[0].http.paths[0]')!.reason, /refused/);
    assert.equal(byName.get('ok spec.rules[0].http.paths[0]')?.result, 'matched');
  });
});

describe('portero explain: defaults, redirects, refusals', () => {
  test('the catch-all: the oldest spec.defaultBackend, else --default-backend-service, else 404', () => {
    const objects = [...SERVICES, ingress({ name: 'web', creationTimestamp: at(10), defaultBackend: { service: 'd' }, rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] })];
    const e = explain(objects, { url: 'http://unknown.test/' });
    assert.equal(e.decision.kind, 'catch-all');
    assert.deepEqual(e.fallback, { role: 'catch-all', source: { kind: 'Ingress', namespace: 'default', name: 'web', field: 'spec.defaultBackend' } });
    assert.equal(e.targets[0]?.backend?.service, 'd');
    const none = explain(SERVICES, { url: 'http://unknown.test/' });
    assert.equal(none.answer.status, 404);
    assert.equal(none.fallback?.source, undefined);
  });

  test('plain HTTP to a TLS host is redirected (a match, exit 0); HTTPS gets the Secret certificate by SNI', async () => {
    const material = await generateSelfSigned('x.test', ['x.test', '*.w.test'], 30);
    const objects = [...SERVICES, tlsSecret('x-tls', material.cert, material.key), ingress({ name: 'web', tls: [{ hosts: ['x.test'], secretName: 'x-tls' }], rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] })];
    const redirect = explain(objects, { url: 'http://x.test:8080/a?b=1' }, {}, { http: 8080, https: 8443 });
    assert.equal(redirect.decision.kind, 'https-redirect');
    assert.equal(redirect.decision.matched, true);
    assert.deepEqual([redirect.answer.status, redirect.answer.location], [308, 'https://x.test:8443/a?b=1']);
    const acme = explain(objects, { url: 'http://x.test/.well-known/acme-challenge/t' });
    assert.equal(acme.decision.kind, 'route');
    const https = explain(objects, { url: 'https://x.test/' });
    assert.equal(https.tls?.certificate.id, 'default_x-tls');
    assert.deepEqual(https.tls?.certificate.secret, { namespace: 'default', name: 'x-tls' });
    assert.equal(https.tls?.certificate.selectedBy, 'exact');
    assert.deepEqual(https.tls?.certificate.subjectAltNames, ['DNS:x.test', 'DNS:*.w.test']);
    assert.ok(https.tls?.certificate.notAfter);
    const other = explain(objects, { url: 'https://x.test/', sni: 'other.test' });
    assert.equal(other.tls?.certificate.default, true);
    assert.equal(explain(objects, { url: 'https://x.test/', sni: null }).tls?.sni, null);
  });

  test('a path only a backend would resolve answers 400; dot segments are routed as normalised', () => {
    const objects = [...SERVICES, ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/public', service: 'a' }, { path: '/private', service: 'b' }] }] })];
    const bad = explain(objects, { url: 'http://x.test/public/..%2fprivate' });
    assert.deepEqual([bad.decision.kind, bad.answer.status, bad.request.routedPath], ['bad-request', 400, null]);
    const dots = explain(objects, { url: 'http://x.test/public/%2e%2e/private' });
    assert.equal(dots.request.routedPath, '/private');
    assert.equal(dots.targets[0]?.backend?.service, 'b');
  });

  test('a Service without ready endpoints answers 503, and its not-ready endpoints are named', () => {
    const objects = [...svc('down', '10.0.0.9', false), ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'down' }] }] })];
    const e = explain(objects, { url: 'http://x.test/' });
    assert.equal(e.answer.status, 503);
    assert.deepEqual(e.targets[0]?.backend?.notReady, ['10.0.0.9']);
    assert.deepEqual(e.targets[0]?.backend?.endpoints, []);
  });

  test('annotations that answer: a permanent redirect; basic auth without credentials; rewrite-target shown', () => {
    const redirect = explain([...SERVICES, ingress({ name: 'web', annotations: { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://elsewhere.test/new' }, rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] })], { url: 'http://x.test/old' });
    assert.deepEqual([redirect.answer.status, redirect.answer.location], [301, 'https://elsewhere.test/new']);
    assert.ok(redirect.features.some((feature) => feature.name === 'redirect' && feature.answers));
    const rewrite = explain(
      [...SERVICES, ingress({ name: 'web', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2', 'nginx.ingress.kubernetes.io/use-regex': 'true' }, rules: [{ host: 'x.test', paths: [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'a' }] }] })],
      { url: 'http://x.test/api/users?x=1' },
    );
    assert.equal(rewrite.level?.regex, true);
    assert.equal(rewrite.decision.kind, 'route');
    assert.equal(rewrite.considered[0]?.result, 'matched');
    assert.match(rewrite.features.find((feature) => feature.name === 'rewrite')?.detail ?? '', /receives \/users\?x=1/);
  });
});

test('satisfy: any and response rewrites: basic auth without credentials does not decide alone; the rewrites are named', () => {
  const A = 'nginx.ingress.kubernetes.io';
  const users = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'users', namespace: 'default' }, stringData: { auth: 'alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n' } };
  const annotations = { [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 'users', [`${A}/allowlist-source-range`]: '10.0.0.0/8', [`${A}/proxy-cookie-path`]: '/one/ /' };
  const web = (extra: Record<string, string>) => [...SERVICES, users, ingress({ name: 'web', annotations: { ...annotations, ...extra }, rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] })];
  // satisfy all: without credentials, basic auth answers 401 whatever the address.
  assert.equal(explain(web({}), { url: 'http://x.test/' }).answer.status, 401);
  const any = explain(web({ [`${A}/satisfy`]: 'any' }), { url: 'http://x.test/' });
  assert.notEqual(any.answer.status, 401);
  assert.ok(any.features.some((feature) => feature.name === 'satisfy'));
  assert.match(any.features.find((feature) => feature.name === 'proxy-cookie-path')?.detail ?? '', /starting with \/one\/ gets \/ instead/);
});

test('ssl-passthrough: TLS for the host goes to its backend as it is, whatever the path', () => {
  const objects = [...SERVICES, ingress({ name: 'pass', annotations: { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true' }, rules: [{ host: 'pass.test', paths: [{ path: '/only', service: 'a' }] }] })];
  const snapshot = snapshotOf(decodeAll(objects));
  const annotations = { prefix: 'nginx.ingress.kubernetes.io', allowSnippets: false, sslPassthrough: true };
  const translation = translate(snapshot, { ...BASE_OPTIONS, annotations });
  const e = explainRequest({ translation, snapshot, classes: CLASSES, annotations, ports: { http: 80, https: 443 } }, { url: 'https://pass.test/elsewhere' });
  assert.equal(e.decision.kind, 'route');
  assert.match(e.decision.reason, /ssl-passthrough/);
  assert.equal(e.tls, undefined);
  assert.equal(e.targets[0]?.backend?.service, 'a');
  assert.deepEqual(e.targets[0]?.backend?.endpoints, ['10.0.0.1:8080']);
});

describe('portero explain: input and output', () => {
  test('a request to a port nothing listens on, and input that cannot be sent', () => {
    const e = explain(SERVICES, { url: 'http://x.test:9999/' });
    assert.equal(e.decision.kind, 'no-listener');
    assert.throws(() => explain(SERVICES, { url: 'ftp://x.test/' }), ExplainInputError);
    assert.throws(() => explain(SERVICES, { url: 'http://x.test/', method: 'GE T' }), ExplainInputError);
    assert.throws(() => explain(SERVICES, { url: 'http://user@x.test/' }), ExplainInputError);
  });

  test('the Host header replaces the URL authority; the text names the decision and each rule', () => {
    const objects = [...SERVICES, ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }, { path: '/b', pathType: 'Exact', service: 'b' }] }] })];
    const e = explain(objects, { url: 'http://127.0.0.1/b', headers: [['Host', 'X.test:80']] });
    assert.equal(e.request.host, 'x.test');
    assert.equal(e.targets[0]?.backend?.service, 'b');
    const text = renderExplanationText(e);
    assert.match(text, /matched: route exact "\/b" of x\.test \(Ingress default\/web spec\.rules\[0\]\.http\.paths\[1\]\)/);
    assert.match(text, /ready endpoints: 10\.0\.0\.2:8080/);
    assert.match(text, /less-specific +x\.test Prefix "\/"/);
    // JSON round trip: the explanation is plain data.
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  });
});

describe('portero explain: the ConfigMap\'s global settings', () => {
  const configMap = (data: Record<string, string>, name = 'ingress-nginx-controller', namespace = 'ingress-nginx') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data });
  const objects = [
    ...SERVICES,
    ingress({ name: 'web', rules: [{ host: 'x.test', paths: [{ path: '/', service: 'a' }] }] }),
    configMap({ 'add-headers': 'default/extra', 'proxy-set-headers': 'default/upstream', 'hide-headers': 'X-Powered-By', 'use-gzip': 'true', 'gzip-types': 'text/css', 'gzip-disable': 'msie6', 'block-cidrs': '192.0.2.0/24' }),
    configMap({ NEL: '{"report_to":"x"}', 'X-Empty': '' }, 'extra', 'default'),
    configMap({ 'X-Team': 'shop' }, 'upstream', 'default'),
  ];
  const options = { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' } };

  test('headers, hidden headers and compression are features of every request; the block lists are notes on the answer', () => {
    const e = explain(objects, { url: 'http://x.test/', headers: [['Accept-Encoding', 'br, gzip;q=0.5']] }, options);
    const byName = new Map(e.features.map((feature) => [feature.name, feature.detail]));
    assert.equal(byName.get('proxy-set-headers'), 'the request sent to the endpoints gets x-team: shop');
    assert.equal(byName.get('add-headers'), 'every answer gets nel: {"report_to":"x"}; x-empty removed');
    assert.equal(byName.get('hide-headers'), "removed from the endpoints' answer: x-powered-by");
    assert.match(byName.get('use-gzip') ?? '', /^answers of type text\/css, text\/html are compressed with gzip, except for 1 User-Agent pattern\(s\) of gzip-disable; this request accepts gzip$/);
    assert.ok(e.answer.notes.includes('block-cidrs: clients in 192.0.2.0/24 get 403'));
    assert.match(renderExplanationText(e), /add-headers: every answer gets nel/);
  });

  test('a client that refuses gzip is told so; without the ConfigMap there are no such notes', () => {
    const refused = explain(objects, { url: 'http://x.test/', headers: [['Accept-Encoding', 'gzip;q=0, br']] }, options);
    assert.match(refused.features.find((feature) => feature.name === 'use-gzip')?.detail ?? '', /does not accept gzip/);
    const without = explain(objects, { url: 'http://x.test/' });
    assert.deepEqual(without.features, []);
    assert.deepEqual(without.answer.notes, []);
  });
});

test('docs/explain.md describes every flag of portero explain, and the docs link to it', () => {
  const documented = readFileSync(join(ROOT, 'docs', 'explain.md'), 'utf8');
  for (const option of buildExplainCommand().options) {
    if (option.long === '--help') continue;
    assert.ok(documented.includes(`\`${option.long}`), `docs/explain.md does not describe ${option.long}`);
  }
  for (const page of ['README.md', 'docs/configuration.md', 'docs/routing.md']) assert.match(readFileSync(join(ROOT, page), 'utf8'), /explain\.md/, page);
});
