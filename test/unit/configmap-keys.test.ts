// The ingress-nginx ConfigMap's header keys (add-headers, proxy-set-headers,
// hide-headers), global request lists (block-user-agents, block-referers),
// no-tls-redirect-locations, and the service-upstream / proxy-next-upstream*
// annotation defaults: each through its grammar, joined in translate, and
// the lines they render, which HAProxy accepts. Nothing is rendered for a
// key that is not set.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { BackendNames, misfit, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { exemptFromHttpsRedirect } from '../../src/model/globals.js';
import type { Model } from '../../src/model/model.js';
import { answer } from '../../src/model/match.js';
import { readConfigMap } from '../../src/translate/configmap.js';
import { blockPattern } from '../../src/translate/configmap-headers.js';
import { classifyConfigMapKey } from '../../src/cli/migrate/configmap-keys.js';
import { assertHaproxyAccepts, withTestCertificate } from '../helpers/annotations.js';
import { translateJson } from '../helpers/translate.js';

const REF = { kind: 'ConfigMap' as const, namespace: 'ingress-nginx', name: 'ingress-nginx-controller' };
const read = (data: Record<string, string>) => readConfigMap({ kind: 'ConfigMap', metadata: { namespace: REF.namespace, name: REF.name, creationTimestamp: '', labels: {}, annotations: {} }, data }, REF);
const warnings = (data: Record<string, string>, key: string) => read(data).diagnostics.filter((diagnostic) => diagnostic.field === `data[${JSON.stringify(key)}]`).map((diagnostic) => diagnostic.message);

const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } };
const cm = (data: Record<string, string>, name = 'ingress-nginx-controller', namespace = 'ingress-nginx') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data });
function ingress(name: string, annotations: Record<string, string> = {}, tls = false) {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      ingressClassName: 'portero',
      rules: [{ host: `${name}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      ...(tls ? { tls: [{ hosts: [`${name}.test`] }] } : {}),
    },
  };
}
const WITH_CONFIGMAP = { configMap: { namespace: 'ingress-nginx', name: 'ingress-nginx-controller' } };
const SETTINGS = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };
const render = (model: Model) => renderConfig(model, SETTINGS, '/s/gen-1', new BackendNames(structureFor(model)));

describe('ConfigMap keys: block-user-agents, block-referers', () => {
  test('exact entries, ~ and ~* regular expressions, as nginx map keys', () => {
    const { globals } = read({ 'block-user-agents': '~*chrome\\/68\\.0\\.3440\\.106\\ safari\\/537\\.36, AlphaBot,~^curl/', 'block-referers': '~*example\\.com,qwerty' });
    assert.deepEqual(globals.blockUserAgents, [
      { kind: 'regex', pattern: 'chrome/68[.]0[.]3440[.]106 safari/537[.]36', caseInsensitive: true },
      { kind: 'exact', text: 'AlphaBot' },
      { kind: 'regex', pattern: '^curl/', caseInsensitive: false },
    ]);
    assert.deepEqual(globals.blockReferers, [
      { kind: 'regex', pattern: 'example[.]com', caseInsensitive: true },
      { kind: 'exact', text: 'qwerty' },
    ]);
  });

  test('an entry outside the safe subset is skipped with a warning naming the key and the entry; the others are kept', () => {
    const data = { 'block-user-agents': '~(a+)+$,~(?=x),Good Bot,bad"quote' };
    assert.deepEqual(read(data).globals.blockUserAgents, [{ kind: 'exact', text: 'Good Bot' }]);
    const messages = warnings(data, 'block-user-agents');
    assert.equal(messages.length, 3, messages.join('\n'));
    assert.ok(messages.some((message) => message.includes('"~(a+)+$"') && /skipped/.test(message)), messages.join('\n'));
    assert.ok(messages.some((message) => message.includes('"~(?=x)"')), messages.join('\n'));
    assert.ok(messages.some((message) => message.includes('bad\\"quote')), messages.join('\n'));
  });

  test('blockPattern refuses an empty regular expression and a backslash escape outside the subset', () => {
    assert.ok('problem' in blockPattern('~*'));
    assert.ok('problem' in blockPattern('~a\\sb'));
  });

  test('an empty value blocks nothing and renders nothing', () => {
    assert.deepEqual(read({ 'block-user-agents': ' , ', 'block-referers': '' }).globals, {});
  });
});

describe('ConfigMap keys: hide-headers, no-tls-redirect-locations, add-headers/proxy-set-headers names', () => {
  test('hide-headers: header names, lowercase and sorted; a bad name ignores the key', () => {
    assert.deepEqual(read({ 'hide-headers': 'X-Powered-By, Server,x-powered-by' }).globals.hideHeaders, ['server', 'x-powered-by']);
    assert.equal(read({ 'hide-headers': 'X-Powered-By, bad name' }).globals.hideHeaders, undefined);
    assert.match(warnings({ 'hide-headers': 'bad name' }, 'hide-headers')[0]!, /"bad name" is not a header name; the key is ignored/);
  });

  test('no-tls-redirect-locations: path prefixes; an empty value exempts nothing; a bad path keeps the default', () => {
    assert.deepEqual(read({ 'no-tls-redirect-locations': '/check-no-tls, /.well-known/acme-challenge' }).globals.noRedirectPaths, ['/.well-known/acme-challenge', '/check-no-tls']);
    assert.deepEqual(read({ 'no-tls-redirect-locations': '' }).globals.noRedirectPaths, []);
    assert.equal(read({ 'no-tls-redirect-locations': 'relative' }).globals.noRedirectPaths, undefined);
    assert.equal(read({ 'no-tls-redirect-locations': '/a b' }).globals.noRedirectPaths, undefined);
    assert.equal(exemptFromHttpsRedirect(undefined, '/.well-known/acme-challenge/t'), true);
    assert.equal(exemptFromHttpsRedirect(undefined, '/check-no-tls'), false);
    assert.equal(exemptFromHttpsRedirect({ noRedirectPaths: ['/check-no-tls'] }, '/check-no-tls/x'), true);
    assert.equal(exemptFromHttpsRedirect({ noRedirectPaths: ['/check-no-tls'] }, '/.well-known/acme-challenge/t'), false);
  });

  test('add-headers and proxy-set-headers must name a ConfigMap as namespace/name', () => {
    assert.deepEqual(read({ 'add-headers': 'default/extra', 'proxy-set-headers': 'default/upstream' }).headerConfigMaps, [
      { key: 'add-headers', namespace: 'default', name: 'extra' },
      { key: 'proxy-set-headers', namespace: 'default', name: 'upstream' },
    ]);
    for (const value of ['extra', 'a/b/c', 'Default/extra', 'default/ex tra']) {
      assert.deepEqual(read({ 'add-headers': value }).headerConfigMaps, [], value);
      assert.match(warnings({ 'add-headers': value }, 'add-headers')[0] ?? '', /namespace\/name; the key is ignored/, value);
    }
  });
});

describe('ConfigMap keys: annotation defaults (service-upstream, proxy-next-upstream*)', () => {
  test('read as the annotations, each checked alone', () => {
    assert.deepEqual(read({ 'service-upstream': 'true', 'proxy-next-upstream': 'timeout http_502', 'proxy-next-upstream-tries': '5', 'proxy-next-upstream-timeout': '10' }).annotationDefaults, {
      'service-upstream': 'true',
      'proxy-next-upstream': 'timeout http_502',
      'proxy-next-upstream-tries': '5',
      'proxy-next-upstream-timeout': '10',
    });
    const bad = read({ 'proxy-next-upstream': 'timeout http_418', 'proxy-next-upstream-tries': '888888', 'proxy-next-upstream-timeout': '999999', 'service-upstream': 'yes' });
    assert.deepEqual(bad.annotationDefaults, {});
    for (const key of ['proxy-next-upstream', 'proxy-next-upstream-tries', 'proxy-next-upstream-timeout', 'service-upstream']) {
      assert.ok(bad.diagnostics.some((diagnostic) => diagnostic.field === `data[${JSON.stringify(key)}]` && /the key is ignored$/.test(diagnostic.message)), key);
    }
  });

  test('an Ingress without the annotation takes the ConfigMap value; the annotation replaces it', () => {
    const objects = [
      service,
      cm({ 'service-upstream': 'true', 'proxy-next-upstream': 'timeout http_502', 'proxy-next-upstream-tries': '5' }),
      ingress('plain'),
      ingress('own', { 'nginx.ingress.kubernetes.io/service-upstream': 'false', 'nginx.ingress.kubernetes.io/proxy-next-upstream': 'error' }),
    ];
    const { model } = translateJson(objects, WITH_CONFIGMAP);
    const features = (host: string) => model.backends.find((backend) => model.levels.find((level) => level.host === host)?.routes.some((route) => route.target.kind === 'backend' && route.target.id === backend.id))?.features;
    assert.equal(features('plain.test')?.serviceUpstream, true);
    assert.deepEqual(features('plain.test')?.nextUpstream, { on: ['timeout', 'http_502'], tries: 5, nonIdempotent: false });
    assert.equal(features('own.test')?.serviceUpstream, undefined);
    assert.deepEqual(features('own.test')?.nextUpstream, { on: ['error'], tries: 5, nonIdempotent: false });
  });
});

describe('ConfigMap keys: add-headers and proxy-set-headers ConfigMaps in translate', () => {
  const objects = (extra: Record<string, string>, headers: Record<string, string> | undefined, upstream: Record<string, string> | undefined) => [
    service,
    cm({ 'add-headers': 'default/extra', 'proxy-set-headers': 'default/upstream', ...extra }),
    ...(headers ? [cm(headers, 'extra', 'default')] : []),
    ...(upstream ? [cm(upstream, 'upstream', 'default')] : []),
    ingress('a'),
  ];

  test('the headers of the named ConfigMaps, with the grammar of custom-headers; double quotes are plain characters', () => {
    const { model, diagnostics } = translateJson(objects({}, { NEL: '{"report_to":"network-errors"}', Foo: 'bar', Gone: '' }, { Quux: '{"ack":["quack"]}' }), WITH_CONFIGMAP);
    assert.deepEqual(model.globals?.responseHeaders, [{ name: 'foo', value: 'bar' }, { name: 'gone' }, { name: 'nel', value: '{"report_to":"network-errors"}' }]);
    assert.deepEqual(model.globals?.requestHeaders, [{ name: 'quux', value: '{"ack":["quack"]}' }]);
    assert.deepEqual(diagnostics.filter((diagnostic) => diagnostic.object.kind === 'ConfigMap'), []);
  });

  test('a missing ConfigMap is a warning naming it, and changes nothing else', () => {
    const { model, diagnostics, served } = translateJson(objects({ 'hide-headers': 'Server' }, undefined, { 'X-Up': '1' }), WITH_CONFIGMAP);
    assert.equal(served.length, 1);
    assert.equal(model.globals?.responseHeaders, undefined);
    assert.deepEqual(model.globals?.requestHeaders, [{ name: 'x-up', value: '1' }]);
    assert.deepEqual(model.globals?.hideHeaders, ['server']);
    const missing = diagnostics.filter((diagnostic) => diagnostic.field === 'data["add-headers"]');
    assert.equal(missing.length, 1);
    assert.match(missing[0]!.message, /ConfigMap default\/extra not found/);
    assert.equal(missing[0]!.severity, 'warning');
  });

  test('values with nginx variables, single quotes or backslashes, bad names and fixed request headers are left out with a warning', () => {
    const { model, diagnostics } = translateJson(objects({}, { 'X-Var': '$host', 'X-Ok': 'fine', 'X-Quote': "it's" }, { Host: 'other', 'X-Back': 'a\\b', 'X-Ok': 'yes' }), WITH_CONFIGMAP);
    assert.deepEqual(model.globals?.responseHeaders, [{ name: 'x-ok', value: 'fine' }]);
    assert.deepEqual(model.globals?.requestHeaders, [{ name: 'x-ok', value: 'yes' }]);
    const messages = diagnostics.filter((diagnostic) => diagnostic.object.kind === 'ConfigMap').map((diagnostic) => `${diagnostic.field} ${diagnostic.message}`);
    assert.ok(messages.some((message) => message.startsWith('data["add-headers"]') && message.includes('X-Var')), messages.join('\n'));
    assert.ok(messages.some((message) => message.startsWith('data["add-headers"]') && message.includes('X-Quote')), messages.join('\n'));
    assert.ok(messages.some((message) => message.startsWith('data["proxy-set-headers"]') && message.includes('X-Back')), messages.join('\n'));
    assert.ok(messages.some((message) => message.startsWith('data["proxy-set-headers"]') && message.includes('host')), messages.join('\n'));
  });

  test('a change of a named ConfigMap changes the globals (a reload)', () => {
    const before = translateJson(objects({}, { Foo: 'bar' }, undefined), WITH_CONFIGMAP).model;
    const after = translateJson(objects({}, { Foo: 'baz', Rar: 'quux' }, undefined), WITH_CONFIGMAP).model;
    assert.match(misfit(structureFor(before), after) ?? '', /ConfigMap/);
    assert.equal(misfit(structureFor(before), translateJson(objects({}, { Foo: 'bar' }, undefined), WITH_CONFIGMAP).model), undefined);
  });
});

describe('ConfigMap keys in haproxy.cfg', () => {
  const everything = {
    'block-user-agents': '~*chrome\\/68\\.0\\.3440\\.106\\ safari\\/537\\.36,AlphaBot,Mozilla/5.0 (X11; Linux)',
    'block-referers': '~example\\.com,qwerty',
    'hide-headers': 'X-Powered-By',
    'add-headers': 'default/extra',
    'proxy-set-headers': 'default/upstream',
    'no-tls-redirect-locations': '/check-no-tls,/.well-known/acme-challenge',
  };
  const modelWith = (data: Record<string, string>, annotations: Record<string, string> = {}) =>
    translateJson([service, cm(data), cm({ NEL: '{"report_to":"x"}', 'X-Empty': '' }, 'extra', 'default'), cm({ Quux: '{"ack":["quack"]} 100%' }, 'upstream', 'default'), ingress('a', annotations, true)], WITH_CONFIGMAP).model;

  test('the rendered lines', () => {
    const config = render(modelWith(everything, { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }));
    const expected = [
      /^ {2}acl portero_block_ua req\.fhdr\(user-agent,1\) -m reg -i 'chrome\/68\[\.\]0\[\.\]3440\[\.\]106 safari\/537\[\.\]36'$/m,
      /^ {2}acl portero_block_ua req\.fhdr\(user-agent,1\) -m str -i 'AlphaBot'$/m,
      /^ {2}acl portero_block_ua req\.fhdr\(user-agent,1\) -m str -i 'Mozilla\/5\.0 \(X11; Linux\)'$/m,
      /^ {2}http-request deny deny_status 403 if portero_block_ua$/m,
      /^ {2}acl portero_block_referer req\.fhdr\(referer,1\) -m reg 'example\[\.\]com'$/m,
      /^ {2}http-request deny deny_status 403 if portero_block_referer$/m,
      /^ {2}http-request set-header quux '\{"ack":\["quack"\]\} 100%%'$/m,
      /^ {2}http-response del-header x-powered-by$/m,
      /^ {2}http-response set-header nel '\{"report_to":"x"\}'$/m,
      /^ {2}http-after-response set-header nel '\{"report_to":"x"\}' if !\{ res\.hdr\(nel\) -m found \}$/m,
      /^ {2}http-response del-header x-empty$/m,
      /redirect code 308 location https:.*%\[pathq\] if !\{ path_beg '\/\.well-known\/acme-challenge' '\/check-no-tls' \} \{/,
      /redirect code 308 location https:.*%\[pathq\] if !\{ ssl_fc \} !\{ path_beg '\/\.well-known\/acme-challenge' '\/check-no-tls' \}$/m,
    ];
    for (const pattern of expected) assert.match(config, pattern);
  });

  test('without the keys nothing is rendered, and ACME challenges stay exempt as before', () => {
    const config = render(modelWith({}, { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }));
    const withoutConfigMap = render(translateJson([service, ingress('a', { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' }, true)]).model);
    assert.equal(config, withoutConfigMap);
    assert.doesNotMatch(config, /portero_block_ua|portero_block_referer|quux| nel /);
    assert.match(config, /%\[pathq\] if !\{ path_beg \/\.well-known\/acme-challenge\/ \} \{/);
    assert.match(config, /%\[pathq\] if !\{ ssl_fc \} !\{ path_beg \/\.well-known\/acme-challenge\/ \}$/m);
  });

  test('an empty no-tls-redirect-locations exempts nothing', () => {
    const model = modelWith({ 'no-tls-redirect-locations': '' });
    assert.match(render(model), /%\[pathq\] if \{ req\.hdr/);
    assert.equal(answer(model, { scheme: 'http', host: 'a.test', path: '/.well-known/acme-challenge/t', httpsPort: 443 }).kind, 'redirect');
    assert.notEqual(answer(modelWith({}), { scheme: 'http', host: 'a.test', path: '/.well-known/acme-challenge/t', httpsPort: 443 }).kind, 'redirect');
  });

  test('portero migrate says supported for each key', () => {
    for (const key of ['add-headers', 'hide-headers', 'block-user-agents', 'block-referers', 'service-upstream']) assert.equal(classifyConfigMapKey(key, 'x').status, 'supported', key);
    for (const key of ['proxy-set-headers', 'no-tls-redirect-locations', 'proxy-next-upstream', 'proxy-next-upstream-tries', 'proxy-next-upstream-timeout']) assert.notEqual(classifyConfigMapKey(key, 'x').status, 'ignored', key);
  });

  test('HAProxy accepts the configuration (haproxy -c)', async () => {
    await assertHaproxyAccepts(await withTestCertificate(modelWith(everything, { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' })));
  });
});
