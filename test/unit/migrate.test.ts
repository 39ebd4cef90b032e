// `portero migrate`'s classification, table by table: each annotation
// status, the Ingress verdicts, the ConfigMap keys, the global differences,
// the exit status and the JSON schema. Driven by the real SUPPORT table
// wherever possible, so that annotation groups added later keep these true.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { classify, classifyAnnotations, type Collected, type MigrateSettings } from '../../src/cli/migrate/classify.js';
import { CONFIGMAP_KEYS, classifyConfigMapKey } from '../../src/cli/migrate/configmap-keys.js';
import { GLOBAL_DIFFERENCES } from '../../src/cli/migrate/global-differences.js';
import { renderJson } from '../../src/cli/migrate/render-json.js';
import { renderText } from '../../src/cli/migrate/render-text.js';
import { exitCodeOf, SCHEMA_VERSION, STATUSES, type Report } from '../../src/cli/migrate/report.js';
import type { Ingress } from '../../src/objects/types.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { ROOT } from '../helpers/portero.js';
import { decodeAll } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const NOW = new Date('2026-06-01T00:00:00Z');

const SETTINGS: MigrateSettings = {
  ingressClass: 'nginx',
  controllerClass: 'k8s.io/ingress-nginx',
  watchIngressWithoutClass: false,
  annotations: { prefix: A, allowSnippets: false },
};

function web(name: string, annotations: Record<string, string> = {}, extra: Partial<Parameters<typeof ingress>[0]> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host: `${name}.test`, paths: [{ service: 'app' }] }], ...extra });
}

function collected(objects: Json[], more: Partial<Collected> = {}): Collected {
  return {
    objects: decodeAll([ingressClass('nginx', 'k8s.io/ingress-nginx'), ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }), ...objects]),
    problems: [],
    source: { manifests: 'test' },
    ...more,
  };
}

function report(objects: Json[], more: Partial<Collected> = {}, settings: MigrateSettings = SETTINGS): Report {
  return classify(collected(objects, more), settings, NOW);
}

function only(objects: Json[], settings: MigrateSettings = SETTINGS) {
  const result = report(objects, {}, settings);
  assert.equal(result.ingresses.length, 1);
  return result.ingresses[0]!;
}

function decodedIngress(annotations: Record<string, string>): Ingress {
  return decodeAll([web('one', annotations)])[0] as Ingress;
}

describe('annotation statuses', () => {
  test('no annotations: served the same, exit 0', () => {
    const result = report([web('plain')]);
    assert.equal(result.ingresses[0]!.verdict, 'same');
    assert.deepEqual(result.ingresses[0]!.annotations, []);
    assert.equal(result.exitCode, 0);
  });

  test('supported: as SUPPORT says, without a note', () => {
    const entry = only([web('one', { [`${A}/force-ssl-redirect`]: 'true' })]).annotations[0]!;
    assert.equal(SUPPORT['force-ssl-redirect']?.status, 'supported');
    assert.deepEqual(entry, { name: 'force-ssl-redirect', key: `${A}/force-ssl-redirect`, value: 'true', status: 'supported' });
  });

  test("difference: SUPPORT's note says which", () => {
    const result = only([web('one', { [`${A}/proxy-body-size`]: '8m' })]);
    assert.equal(result.annotations[0]!.status, SUPPORT['proxy-body-size']!.status);
    assert.equal(result.annotations[0]!.note, SUPPORT['proxy-body-size']!.note);
    assert.equal(result.verdict, SUPPORT['proxy-body-size']!.status === 'supported' ? 'same' : 'different');
  });

  test('ignored: known, no effect, the note says why (a table with an ignored entry)', () => {
    const table = { ...SUPPORT, 'proxy-buffer-size': { status: 'ignored' as const, note: 'HAProxy sizes its buffers globally' } };
    const [entry] = classifyAnnotations(decodedIngress({ [`${A}/proxy-buffer-size`]: '8k' }), SETTINGS.annotations, table);
    assert.deepEqual(entry, { name: 'proxy-buffer-size', key: `${A}/proxy-buffer-size`, value: '8k', status: 'ignored', note: 'HAProxy sizes its buffers globally' });
  });

  test('known but not implemented (limit-rate, affinity-canary-behavior, ...): ignored, with the reason', () => {
    const result = only([web('one', { [`${A}/limit-rate`]: '1024', [`${A}/affinity-canary-behavior`]: 'sticky' })]);
    assert.deepEqual(result.annotations.map((entry) => [entry.name, entry.status]), [['affinity-canary-behavior', 'ignored'], ['limit-rate', 'ignored']]);
    assert.match(result.annotations.find((entry) => entry.name === 'limit-rate')!.note!, /bandwidth/);
    assert.equal(result.verdict, 'different');
  });

  test('mirror-*: a target Portero serves is a difference (what is copied), mirror-host supported; an https target is a difference with the refusal, the Ingress still served', () => {
    const served = only([web('one', { [`${A}/mirror-target`]: 'http://mirror.ns.svc.cluster.local$request_uri', [`${A}/mirror-host`]: 'shadow.test', [`${A}/mirror-request-body`]: 'off' })]);
    assert.deepEqual(served.annotations.map((entry) => [entry.name, entry.status]), [['mirror-host', 'supported'], ['mirror-request-body', 'difference'], ['mirror-target', 'difference']]);
    const refused = only([web('two', { [`${A}/mirror-target`]: 'https://mirror.test$request_uri' })]);
    assert.deepEqual(refused.annotations.map((entry) => [entry.name, entry.status]), [['mirror-target', 'difference']]);
    assert.match(refused.annotations[0]!.note!, /https mirror targets are not supported/);
    assert.equal(refused.verdict, 'different');
  });

  test('satisfy, proxy-redirect-*, proxy-cookie-*: supported (applied, no longer ignored)', () => {
    const result = only([
      web('one', {
        [`${A}/satisfy`]: 'any',
        [`${A}/proxy-redirect-from`]: 'http://svc/',
        [`${A}/proxy-redirect-to`]: 'https://app.example/',
        [`${A}/proxy-cookie-domain`]: 'svc.internal app.example',
        [`${A}/proxy-cookie-path`]: '/one/ /',
      }),
    ]);
    assert.deepEqual(
      result.annotations.map((entry) => [entry.name, entry.status]),
      [['proxy-cookie-domain', 'supported'], ['proxy-cookie-path', 'supported'], ['proxy-redirect-from', 'supported'], ['proxy-redirect-to', 'supported'], ['satisfy', 'supported']],
    );
    assert.equal(result.verdict, 'same');
    // A value Portero refuses is reported as such (the Ingress is not served).
    const refused = only([web('two', { [`${A}/proxy-cookie-path`]: '/one/ $uri' })]);
    assert.equal(refused.annotations[0]!.status, 'refused');
    assert.match(refused.annotations[0]!.message!, /nginx variables/);
  });

  test('unknown: not in SUPPORT, not applied', () => {
    const result = only([web('one', { [`${A}/no-such-annotation`]: 'x' })]);
    assert.equal(result.annotations[0]!.status, 'unknown');
    assert.match(result.annotations[0]!.note!, /not applied/);
    assert.equal(result.verdict, 'different');
  });

  test('refused, not served: the diagnostic message, and the Ingress is NOT SERVED', () => {
    const result = only([web('one', { [`${A}/configuration-snippet`]: 'more_set_headers "A: b";' })]);
    const entry = result.annotations[0]!;
    assert.equal(entry.status, 'refused');
    assert.equal(entry.effect, 'not-served');
    assert.match(entry.message!, /Snippet directives are disabled by the Ingress administrator/);
    assert.equal(result.verdict, 'not-served');
  });

  test('refused, fails closed: served, its paths answer 503', () => {
    const result = only([web('one', { [`${A}/whitelist-source-range`]: '10.0.0.0/33' })]);
    assert.equal(result.annotations[0]!.status, 'refused');
    assert.equal(result.annotations[0]!.effect, 'fails-closed');
    assert.match(result.annotations[0]!.message!, /10\.0\.0\.0\/33/);
    assert.equal(result.verdict, 'different');
  });

  test('client certificates: what differs is said per annotation (the depth is not enforced); an invalid value fails closed', () => {
    const result = only([
      web('one', {
        [`${A}/auth-tls-secret`]: 'default/ca',
        [`${A}/auth-tls-verify-client`]: 'optional',
        [`${A}/auth-tls-verify-depth`]: '2',
        [`${A}/auth-tls-match-cn`]: 'CN=alice',
        [`${A}/auth-tls-pass-certificate-to-upstream`]: 'true',
      }),
    ]);
    const byName = Object.fromEntries(result.annotations.map((entry) => [entry.name, entry]));
    assert.equal(byName['auth-tls-verify-depth']!.status, 'difference');
    assert.match(byName['auth-tls-verify-depth']!.note!, /not enforced: HAProxy 2\.6 cannot limit the chain length/);
    assert.match(byName['auth-tls-secret']!.note!, /session resumption is off/);
    assert.match(byName['auth-tls-verify-client']!.note!, /plain-HTTP requests/);
    assert.equal(byName['auth-tls-match-cn']!.status, 'supported');
    assert.equal(byName['auth-tls-pass-certificate-to-upstream']!.status, 'supported');
    assert.equal(result.verdict, 'different');
    const refused = only([web('one', { [`${A}/auth-tls-secret`]: 'ca', [`${A}/auth-tls-match-cn`]: "CN=x';" })]);
    const entry = refused.annotations.find((candidate) => candidate.name === 'auth-tls-match-cn')!;
    assert.equal(entry.status, 'refused');
    assert.equal(entry.effect, 'fails-closed');
  });

  test('every annotation in SUPPORT is reported with its SUPPORT status, or refused with a message', () => {
    for (const [name, support] of Object.entries(SUPPORT)) {
      const entries = classifyAnnotations(decodedIngress({ [`${A}/${name}`]: 'true' }), SETTINGS.annotations);
      const entry = entries.find((candidate) => candidate.name === name);
      assert.ok(entry, name);
      if (entry.status === 'refused') assert.ok(entry.message && entry.message.length > 0, name);
      else assert.equal(entry.status, support.status, name);
      for (const other of entries) assert.ok(STATUSES.includes(other.status));
    }
  });

  test('--annotations-prefix: only annotations under it are read; others are not reported', () => {
    const settings = { ...SETTINGS, annotations: { prefix: 'ingress.kubernetes.io', allowSnippets: false } };
    const result = only([web('one', { 'ingress.kubernetes.io/force-ssl-redirect': 'true', [`${A}/no-such-annotation`]: 'x', 'cert-manager.io/cluster-issuer': 'le' })], settings);
    assert.deepEqual(result.annotations.map((entry) => [entry.key, entry.status]), [['ingress.kubernetes.io/force-ssl-redirect', 'supported']]);
  });

  test('--allow-snippet-annotations changes what a snippet gets, as in the controller', () => {
    const annotations = { [`${A}/configuration-snippet`]: 'more_set_headers "A: b";' };
    const refused = only([web('one', annotations)]).annotations[0]!;
    const allowed = only([web('one', annotations)], { ...SETTINGS, annotations: { prefix: A, allowSnippets: true } }).annotations[0]!;
    assert.match(refused.message!, /--allow-snippet-annotations/);
    assert.doesNotMatch(allowed.message ?? '', /disabled by the Ingress administrator/);
  });
});

describe('Ingresses', () => {
  test("only ingress-nginx's: by class name, by IngressClass controller, by the legacy annotation; others counted", () => {
    const result = report([
      web('by-name'),
      ingress({ name: 'by-controller', className: 'company-nginx', rules: [{ host: 'c.test', paths: [{ service: 'app' }] }] }),
      ingressClass('company-nginx', 'k8s.io/ingress-nginx'),
      ingress({ name: 'legacy', className: null, annotations: { 'kubernetes.io/ingress.class': 'nginx' }, rules: [{ host: 'l.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'traefik', className: 'traefik', rules: [{ host: 't.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'classless', className: null, rules: [{ host: 'n.test', paths: [{ service: 'app' }] }] }),
    ]);
    assert.deepEqual(
      result.ingresses.map((entry) => [entry.name, entry.class]),
      [
        ['by-controller', { source: 'ingressClassName', name: 'company-nginx' }],
        ['by-name', { source: 'ingressClassName', name: 'nginx' }],
        ['legacy', { source: 'annotation', name: 'nginx' }],
      ],
    );
    assert.equal(result.summary.ingresses.otherClass, 2);
  });

  test('--watch-ingress-without-class reports Ingresses without a class too', () => {
    const result = report([ingress({ name: 'classless', className: null, rules: [{ host: 'n.test', paths: [{ service: 'app' }] }] })], {}, { ...SETTINGS, watchIngressWithoutClass: true });
    assert.deepEqual(result.ingresses.map((entry) => entry.class), [{ source: 'none' }]);
  });

  test("translate's Ingress diagnostics: an invalid path makes the Ingress NOT SERVED, with the field", () => {
    const result = only([ingress({ name: 'regex', className: 'nginx', rules: [{ host: 'r.test', paths: [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'app' }] }] })]);
    assert.equal(result.verdict, 'not-served');
    assert.ok(result.diagnostics.some((d) => d.severity === 'error' && d.field === 'spec.rules[0].http.paths[0].path'));
  });

  test('warnings (a missing Service) are listed and change no verdict; annotation problems are not repeated as diagnostics', () => {
    const result = only([
      ingress({ name: 'gone', className: 'nginx', annotations: { [`${A}/no-such-annotation`]: 'x' }, rules: [{ host: 'g.test', paths: [{ service: 'missing' }] }] }),
    ]);
    assert.deepEqual(result.diagnostics.map((d) => d.severity), ['warning']);
    assert.match(result.diagnostics[0]!.message, /Service default\/missing not found/);
    const plain = only([ingress({ name: 'gone', className: 'nginx', rules: [{ host: 'g.test', paths: [{ service: 'missing' }] }] })]);
    assert.equal(plain.verdict, 'same');
  });
});

describe('ConfigMap keys', () => {
  test('every key of the table: ignored (or a difference) by default, supported when the value is what Portero does anyway', () => {
    assert.ok(Object.keys(CONFIGMAP_KEYS).length >= 40);
    for (const key of Object.keys(CONFIGMAP_KEYS)) assert.ok(['ignored', 'difference', 'supported'].includes(classifyConfigMapKey(key, 'some value').status), key);
    // Keys Portero reads with --configmap (translate/configmap.ts).
    assert.equal(classifyConfigMapKey('proxy-body-size', '20m').status, 'difference');
    assert.equal(classifyConfigMapKey('ssl-redirect', 'true').status, 'supported');
    assert.equal(classifyConfigMapKey('use-forwarded-headers', 'true').status, 'supported');
    assert.equal(classifyConfigMapKey('allow-snippet-annotations', 'true').status, 'supported');
    // Keys it does not read.
    assert.equal(classifyConfigMapKey('enable-brotli', 'true').status, 'ignored');
    assert.equal(classifyConfigMapKey('enable-brotli', 'false').status, 'supported');
    assert.equal(classifyConfigMapKey('worker-processes', '4').status, 'ignored');
    assert.equal(classifyConfigMapKey('reuse-port', 'true').status, 'supported');
    assert.equal(classifyConfigMapKey('reuse-port', 'false').status, 'ignored');
    assert.equal(classifyConfigMapKey('ssl-session-tickets', 'true').status, 'difference');
    assert.equal(classifyConfigMapKey('use-http2', 'false').status, 'supported');
    assert.equal(classifyConfigMapKey('no-such-key', '4').status, 'unknown');
  });

  test('a section with the keys sorted; found or not; counted in the summary', () => {
    const data = { 'no-such-key': '4', 'ssl-redirect': 'true', hsts: 'true' };
    const found = report([web('one')], { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', data } });
    assert.deepEqual(found.configMap?.keys.map((key) => [key.key, key.status]), [['hsts', 'supported'], ['no-such-key', 'unknown'], ['ssl-redirect', 'supported']]);
    assert.deepEqual(found.summary.configMapKeys, { supported: 2, difference: 0, ignored: 0, unknown: 1 });
    assert.equal(found.exitCode, 1);
    const missing = report([web('one')], { configMap: { namespace: 'ingress-nginx', name: 'nope' } });
    assert.deepEqual(missing.configMap, { namespace: 'ingress-nginx', name: 'nope', found: false, keys: [] });
    assert.equal(missing.exitCode, 1);
    const same = report([web('one')], { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', data: { 'ssl-redirect': 'true' } } });
    assert.equal(same.exitCode, 0);
  });
});

describe('global differences', () => {
  test('listed once, with the Ingresses each concerns; they do not change the exit status', () => {
    const result = report([
      web('plain'),
      web('tls', {}, { tls: [{ hosts: ['tls.test'], secretName: 'tls' }] }),
      web('sized', { [`${A}/proxy-body-size`]: '0' }),
      ingress({ name: 'impl', className: 'nginx', rules: [{ host: 'i.test', paths: [{ path: '/x', pathType: 'ImplementationSpecific', service: 'app' }] }] }),
    ]);
    assert.deepEqual(
      result.globalDifferences.map((d) => [d.id, d.ingresses]),
      [['default-body-size', 3], ['hsts', 1], ['ssl-redirect-trailing-slash', 1], ['header-size', 4], ['implementation-specific-paths', 1]],
    );
    assert.equal(result.ingresses.find((entry) => entry.name === 'plain')!.verdict, 'same');
  });

  test("the ConfigMap's proxy-body-size, hsts: false and large-client-header-buffers take their difference away", () => {
    const result = report([web('tls', {}, { tls: [{ hosts: ['tls.test'], secretName: 'tls' }] })], { configMap: { namespace: 'i', name: 'c', data: { 'proxy-body-size': '10m', hsts: 'false', 'large-client-header-buffers': '4 8k' } } });
    assert.deepEqual(result.globalDifferences.map((d) => d.id), ['ssl-redirect-trailing-slash']);
  });

  test('every rule has an id and a description naming ingress-nginx', () => {
    for (const rule of GLOBAL_DIFFERENCES) assert.match(rule.description, /ingress-nginx/);
  });
});

describe('exit status', () => {
  const base = report([web('plain')]);
  test('0 when every Ingress is served the same', () => assert.equal(exitCodeOf(base), 0));
  for (const verdict of ['different', 'not-served'] as const) {
    test(`1 when an Ingress is ${verdict}`, () => assert.equal(exitCodeOf({ ...base, ingresses: [{ ...base.ingresses[0]!, verdict }] }), 1));
  }
  test('1 when an object could not be read', () => assert.equal(exitCodeOf({ ...base, inputProblems: [{ source: 'x.yaml', message: 'cannot parse' }] }), 1));
  test('0 with no Ingress at all', () => assert.equal(report([]).exitCode, 0));
});

describe('JSON schema', () => {
  const result = report(
    [
      web('plain'),
      web('mixed', { [`${A}/proxy-body-size`]: '8m', [`${A}/no-such-annotation`]: 'x', [`${A}/whitelist-source-range`]: 'bad' }, { tls: [{ hosts: ['mixed.test'], secretName: 'missing' }] }),
      web('refused', { [`${A}/server-snippet`]: 'return 200;' }),
    ],
    { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', data: { 'ssl-redirect': 'true' } }, problems: [{ source: 'a.yaml', line: 3, message: 'cannot parse' }] },
  );
  const json = JSON.parse(renderJson(result)) as Record<string, any>;

  test('top level, in a fixed order', () => {
    assert.deepEqual(Object.keys(json), ['schemaVersion', 'source', 'settings', 'ingresses', 'globalDifferences', 'configMap', 'inputProblems', 'summary', 'exitCode']);
    assert.equal(json.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(Object.keys(json.settings), ['ingressClass', 'controllerClass', 'watchIngressWithoutClass', 'annotationsPrefix', 'allowSnippetAnnotations']);
    assert.deepEqual(Object.keys(json.summary), ['ingresses', 'annotations', 'configMapKeys']);
    assert.deepEqual(Object.keys(json.summary.ingresses), ['total', 'same', 'different', 'notServed', 'otherClass']);
    assert.deepEqual(Object.keys(json.summary.annotations), [...STATUSES]);
    assert.deepEqual(json.summary.ingresses, { total: 3, same: 1, different: 1, notServed: 1, otherClass: 0 });
    assert.equal(json.exitCode, 1);
  });

  test('Ingress, annotation, diagnostic, ConfigMap and problem entries', () => {
    for (const entry of json.ingresses) assert.deepEqual(Object.keys(entry), ['namespace', 'name', 'class', 'verdict', 'annotations', 'diagnostics']);
    const mixed = json.ingresses.find((entry: any) => entry.name === 'mixed');
    const byName = Object.fromEntries(mixed.annotations.map((entry: any) => [entry.name, entry]));
    assert.deepEqual(Object.keys(byName['no-such-annotation']), ['name', 'key', 'value', 'status', 'note']);
    assert.deepEqual(Object.keys(byName['whitelist-source-range']), ['name', 'key', 'value', 'status', 'effect', 'message']);
    for (const diagnostic of mixed.diagnostics) assert.deepEqual(Object.keys(diagnostic), ['severity', 'field', 'message']);
    assert.deepEqual(Object.keys(json.configMap), ['namespace', 'name', 'found', 'keys']);
    assert.deepEqual(Object.keys(json.configMap.keys[0]), ['key', 'value', 'status', 'note']);
    assert.deepEqual(json.inputProblems, [{ source: 'a.yaml', line: 3, message: 'cannot parse' }]);
    for (const difference of json.globalDifferences) assert.deepEqual(Object.keys(difference), ['id', 'description', 'ingresses']);
  });

  test('docs/migrating-from-ingress-nginx.md documents every field and status', () => {
    const documented = readFileSync(join(ROOT, 'docs', 'migrating-from-ingress-nginx.md'), 'utf8');
    // Object keys are schema fields only (annotation and ConfigMap key names are values), and status names in the summary.
    const fields = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === 'object' && value !== null) {
        for (const [key, child] of Object.entries(value)) {
          fields.add(key);
          walk(child);
        }
      }
    };
    walk(json);
    for (const field of fields) assert.ok(documented.includes(`\`${field}\``), `the JSON field ${field} is not documented`);
    for (const status of STATUSES) assert.ok(documented.includes(`\`${status}\``), `status ${status} is not documented`);
    for (const id of GLOBAL_DIFFERENCES.map((rule) => rule.id)) assert.ok(documented.includes(`\`${id}\``), `global difference ${id} is not documented`);
  });
});

describe('text', () => {
  test('one line per annotation with its status; refusals say what happens; a summary', () => {
    const text = renderText(
      report([web('one', { [`${A}/no-such-annotation`]: 'x', [`${A}/whitelist-source-range`]: 'bad', [`${A}/server-snippet`]: 'return 200;' }), web('two')]),
    );
    assert.match(text, /^Ingress default\/one \(class nginx\): NOT SERVED$/m);
    assert.match(text, /^ {4}unknown +no-such-annotation: "x"$/m);
    assert.match(text, /^ {4}refused +whitelist-source-range: "bad"\n.*\(its paths answer 503\)$/m);
    assert.match(text, /^ {4}refused +server-snippet: "return 200;"\n.*\(the Ingress is not served\)$/m);
    assert.match(text, /^Ingress default\/two \(class nginx\): served the same$/m);
    assert.match(text, /^ {2}Ingresses: 2 \(1 served the same, 0 served with differences, 1 not served\)/m);
    assert.match(text, /^ {2}Annotations: 0 supported, 0 supported with a difference, 0 ignored, 2 refused, 1 unknown$/m);
  });
});
