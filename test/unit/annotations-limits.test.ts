// limit-*, server-alias and from-to-www-redirect: annotations → features and
// host levels, the rules they render, and HAProxy's acceptance of them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostRedirectLines, limitLines, limitTableName, limitTableSections } from '../../src/dataplane/haproxy/features/limits.js';
import { settingSample, shapeKey, type SettingName } from '../../src/dataplane/haproxy/features/settings.js';
import { patternLists } from '../../src/dataplane/haproxy/features/source-lists.js';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import type { Features, Limits } from '../../src/model/features.js';
import { matchRequest } from '../../src/model/match.js';
import type { Model } from '../../src/model/model.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { assertHaproxyAccepts } from '../helpers/annotations.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { simulateMaps } from '../helpers/map-simulator.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';

const app = () => serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] });
const other = () => serviceWithEndpoints({ name: 'other', endpoints: [{ address: '127.0.0.3', port: 8080 }] });

function web(annotations: Record<string, string>, hosts = ['a.test'], name = 'web'): Json {
  return ingress({ name, annotations, rules: hosts.map((host) => ({ host, paths: [{ service: 'app' }] })) });
}

function featuresOf(annotations: Record<string, string>): Features | undefined {
  const { model, diagnostics } = translateJson([...app(), web(annotations)]);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return model.backends.find((backend) => backend.service === 'app')?.features;
}

const VALID: [string, Record<string, string>, Features | undefined][] = [
  ['limit-rps with the default multiplier', { [`${A}/limit-rps`]: '10' }, { limits: { zone: 'default/web', rps: 10, burstMultiplier: 5 } }],
  ['limit-rpm and a multiplier', { [`${A}/limit-rpm`]: '300', [`${A}/limit-burst-multiplier`]: '2' }, { limits: { zone: 'default/web', rpm: 300, burstMultiplier: 2 } }],
  ['limit-connections', { [`${A}/limit-connections`]: '3' }, { limits: { zone: 'default/web', connections: 3, burstMultiplier: 5 } }],
  [
    'all limits with a whitelist, normalised and sorted',
    { [`${A}/limit-connections`]: '3', [`${A}/limit-rpm`]: '60', [`${A}/limit-rps`]: '2', [`${A}/limit-whitelist`]: ' 10.0.0.0/08, ::1 ,10.0.0.0/8' },
    { limits: { zone: 'default/web', connections: 3, rpm: 60, rps: 2, burstMultiplier: 5, exempt: ['10.0.0.0/8', '::1'] } },
  ],
  ['0 is no limit', { [`${A}/limit-rps`]: '0', [`${A}/limit-connections`]: '0' }, undefined],
  ['a whitelist or multiplier alone limits nothing', { [`${A}/limit-whitelist`]: '10.0.0.0/8', [`${A}/limit-burst-multiplier`]: '3' }, undefined],
  ['server-alias is not a feature of the routes', { [`${A}/server-alias`]: 'b.test' }, undefined],
  ['from-to-www-redirect is not a feature of the routes', { [`${A}/from-to-www-redirect`]: 'true' }, undefined],
];

const REFUSED: [string, Record<string, string>, RegExp][] = [
  ['a rate with a unit', { [`${A}/limit-rps`]: '10r/s' }, /whole number/],
  ['a negative rate', { [`${A}/limit-rpm`]: '-1' }, /between 0 and/],
  ['a huge connection limit', { [`${A}/limit-connections`]: '99999999999' }, /whole number|between/],
  ['a multiplier of 0', { [`${A}/limit-rps`]: '1', [`${A}/limit-burst-multiplier`]: '0' }, /between 1 and 100/],
  ['a whitelist entry that is no address', { [`${A}/limit-rps`]: '1', [`${A}/limit-whitelist`]: '10.0.0.0/8, evil host' }, /"evil host" is not an IP address/],
  ['a whitelist with config text', { [`${A}/limit-rps`]: '1', [`${A}/limit-whitelist`]: '10.0.0.1\n  bind :1' }, /is not an IP address/],
  ['an alias with uppercase', { [`${A}/server-alias`]: 'B.test' }, /is not a host name/],
  ['an alias with a space', { [`${A}/server-alias`]: 'b.test c.test' }, /is not a host name/],
  ['an alias that is an IP', { [`${A}/server-alias`]: '10.0.0.1' }, /is not a host name/],
  ['an alias with a newline', { [`${A}/server-alias`]: 'b.test\nbind :1' }, /is not a host name/],
  ['a deeper wildcard alias', { [`${A}/server-alias`]: 'a.*.test' }, /is not a host name/],
  ['from-to-www-redirect not a boolean', { [`${A}/from-to-www-redirect`]: 'yes' }, /true or false/],
];

describe('limit-* annotations → features', () => {
  for (const [title, annotations, expected] of VALID) test(title, () => assert.deepEqual(featuresOf(annotations), expected));

  for (const [title, annotations, message] of REFUSED) {
    test(`refused: ${title}`, () => {
      const { model, diagnostics, served } = translateJson([...app(), web(annotations)]);
      const error = diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, 'an error diagnostic');
      assert.match(error.field ?? '', /^metadata\.annotations\["nginx\.ingress\.kubernetes\.io\/[a-z-]+"\]$/);
      assert.match(error.message, message);
      assert.match(error.message, /the Ingress is not served/);
      assert.equal(model.levels.length, 0);
      assert.deepEqual(served, []);
    });
  }

  test('two Ingresses with the same limits get backends (and tables) of their own', () => {
    const limit = { [`${A}/limit-rps`]: '5' };
    const { model } = translateJson([...app(), web(limit, ['a.test'], 'one'), web(limit, ['b.test'], 'two')]);
    const featured = model.backends.filter((backend) => backend.features?.limits);
    assert.equal(featured.length, 2);
    assert.notEqual(featured[0]?.id, featured[1]?.id);
    assert.notEqual(limitTableName(featured[0]!.features!.limits!.zone, 'rps').text, limitTableName(featured[1]!.features!.limits!.zone, 'rps').text);
  });

  test('the paths of one Ingress to two Services share its tables', () => {
    const objects = [...app(), ...other(), ingress({ name: 'web', annotations: { [`${A}/limit-rps`]: '5' }, rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'app' }, { path: '/o', service: 'other' }] }] })];
    const { model } = translateJson(objects);
    assert.equal(model.backends.length, 2);
    const sections = limitTableSections(model.backends.map((backend) => backend.features));
    assert.equal(sections.filter((line) => line.startsWith('backend ')).length, 1);
  });
});

describe('limits → backend rules', () => {
  const limits: Limits = { zone: 'default/web', connections: 2, rpm: 60, rps: 3, burstMultiplier: 5, exempt: ['127.0.0.9'] };
  const conn = limitTableName('default/web', 'conn').text;
  const rpm = limitTableName('default/web', 'rpm').text;
  const rps = limitTableName('default/web', 'rps').text;

  const setting = (name: SettingName) => settingSample('/g/settings.map', 'web', name);
  const exemptFile = c.filePath('/g/sources/web.exempt');

  test('track, check connections then rpm then rps (counts from settings.map), then charge the rates', () => {
    assert.deepEqual(limitLines(limits, setting, exemptFile), [
      '  acl portero_limit_exempt src -f /g/sources/web.exempt',
      `  http-request track-sc0 src table ${conn} if !portero_limit_exempt`,
      `  http-request track-sc1 src table ${rpm} if !portero_limit_exempt`,
      `  http-request track-sc2 src table ${rps} if !portero_limit_exempt`,
      '  http-request set-var(txn.portero_limit) str(web|limit-conn),map_str(/g/settings.map) if !portero_limit_exempt',
      '  http-request deny deny_status 503 if !portero_limit_exempt { sc_conn_cur(0),sub(txn.portero_limit) gt 0 }',
      '  http-request set-var(txn.portero_limit) str(web|limit-rpm),map_str(/g/settings.map) if !portero_limit_exempt',
      '  http-request deny deny_status 503 if !portero_limit_exempt { sc_gpc0_rate(1),sub(txn.portero_limit) ge 0 }',
      '  http-request set-var(txn.portero_limit) str(web|limit-rps),map_str(/g/settings.map) if !portero_limit_exempt',
      '  http-request deny deny_status 503 if !portero_limit_exempt { sc_gpc0_rate(2),sub(txn.portero_limit) ge 0 }',
      '  http-request sc-inc-gpc0(1) if !portero_limit_exempt',
      '  http-request sc-inc-gpc0(2) if !portero_limit_exempt',
    ]);
  });

  test('one ipv6 table per kind; the window is multiplier periods', () => {
    assert.deepEqual(limitTableSections([{ limits }, { limits }]), [
      `backend ${conn}`,
      '  stick-table type ipv6 size 100k expire 1m store conn_cur',
      '',
      `backend ${rpm}`,
      '  stick-table type ipv6 size 100k expire 600s store gpc0_rate(300s)',
      '',
      `backend ${rps}`,
      '  stick-table type ipv6 size 100k expire 10s store gpc0_rate(5s)',
      '',
    ]);
  });

  test('www redirect: same scheme, port kept unless default, one trailing slash removed', () => {
    assert.deepEqual(hostRedirectLines({ host: 'www.a.test', code: 308 }, { httpPort: 80, httpsPort: 8443 }), [
      "  http-request redirect code 308 location 'https://www.a.test:8443%[pathq,regsub(/$,)]' if { ssl_fc }",
      "  http-request redirect code 308 location 'http://www.a.test%[pathq,regsub(/$,)]' if !{ ssl_fc }",
    ]);
  });

  test('limit-whitelist is a pattern file of the section: a new list keeps the shape (no reload), having one or not changes it', () => {
    assert.deepEqual(patternLists('web', { limits }), [{ path: 'sources/web.exempt', kind: 'exempt', patterns: ['127.0.0.9'] }]);
    assert.deepEqual(patternLists('web', { limits: { ...limits, exempt: [] } }), []);
    const shape = (exempt?: string[]) => shapeKey({ limits: { ...limits, ...(exempt ? { exempt } : { exempt: undefined }) } });
    assert.equal(shape(['127.0.0.9']), shape(['10.0.0.0/8', '::1']));
    assert.notEqual(shape(['127.0.0.9']), shape());
  });

  test('values that slipped past the grammar are never rendered', () => {
    assert.throws(() => patternLists('web', { limits: { ...limits, exempt: ['10.0.0.0/8 || 1'] } }));
    assert.throws(() => limitLines({ ...limits, connections: -1 }, setting, exemptFile));
    assert.throws(() => hostRedirectLines({ host: "a.test' if", code: 308 }, { httpPort: 80, httpsPort: 443 }));
    assert.throws(() => hostRedirectLines({ host: 'a.test', code: 200 }, { httpPort: 80, httpsPort: 443 }));
  });
});

function hostTarget(model: Model, host: string, path = '/'): string {
  const target = matchRequest(model, host, path);
  return target.kind === 'backend' ? target.id : target.kind;
}

describe('server-alias and from-to-www-redirect → host levels', () => {
  test('an alias serves the very routes and fallback of the host, across Ingresses', () => {
    const objects = [
      ...app(),
      ...other(),
      ingress({ name: 'web', annotations: { [`${A}/server-alias`]: 'b.test, *.c.test' }, rules: [{ host: 'a.test', paths: [{ path: '/', service: 'app' }] }] }),
      ingress({ name: 'more', rules: [{ host: 'a.test', paths: [{ path: '/o', service: 'other' }] }] }),
    ];
    const { model, diagnostics } = translateJson(objects);
    assert.deepEqual(diagnostics, []);
    const level = (host: string) => model.levels.find((l) => l.host === host);
    assert.equal(level('b.test')?.routes, level('a.test')?.routes);
    assert.equal(level('*.c.test')?.routes, level('a.test')?.routes);
    for (const host of ['b.test', 'x.c.test']) {
      assert.equal(hostTarget(model, host, '/o/1'), 'default_other_80');
      assert.equal(hostTarget(model, host, '/x'), 'default_app_80');
    }
  });

  test('an alias that is a real host is ignored with a warning; the first claim of an alias wins', () => {
    const objects = [
      ...app(),
      web({ [`${A}/server-alias`]: 'b.test, shared.test' }, ['a.test'], 'first'),
      web({ [`${A}/server-alias`]: 'a.test, shared.test' }, ['b.test'], 'second'),
    ];
    const { model, diagnostics } = translateJson(objects);
    const warnings = diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.object.name}: ${d.message}`);
    assert.equal(warnings.length, 3);
    assert.ok(warnings.some((w) => /^first: b\.test is a host of an Ingress rule/.test(w)));
    assert.ok(warnings.some((w) => /^second: a\.test is a host of an Ingress rule/.test(w)));
    assert.ok(warnings.some((w) => /^second: shared\.test is already an alias of a\.test by older Ingress default\/first/.test(w)));
    assert.deepEqual(model.levels.map((l) => l.host), ['a.test', 'b.test', 'shared.test']);
  });

  test('from-to-www-redirect adds the twin of each exact host, redirecting every path', () => {
    const { model, diagnostics } = translateJson([...app(), web({ [`${A}/from-to-www-redirect`]: 'true' }, ['a.test', 'www.b.test', '*.c.test'])]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(model.levels.map((l) => l.host), ['*.c.test', 'a.test', 'b.test', 'www.a.test', 'www.b.test']);
    const toA = model.backends.find((b) => b.features?.hostRedirect?.host === 'a.test');
    const toB = model.backends.find((b) => b.features?.hostRedirect?.host === 'www.b.test');
    assert.deepEqual(toA?.features, { hostRedirect: { host: 'a.test', code: 308 } });
    assert.ok(toB);
    for (const path of ['/', '/deep/path']) {
      assert.equal(hostTarget(model, 'www.a.test', path), toA?.id);
      assert.equal(hostTarget(model, 'b.test', path), toB?.id);
    }
  });

  test('no twin when the twin host has a rule of its own, or is an alias', () => {
    const objects = [
      ...app(),
      web({ [`${A}/from-to-www-redirect`]: 'true' }, ['a.test', 'b.test'], 'web'),
      web({}, ['www.a.test'], 'www'),
      web({ [`${A}/server-alias`]: 'www.b.test' }, ['x.test'], 'alias'),
    ];
    const { model } = translateJson(objects);
    assert.deepEqual(model.backends.filter((b) => b.features?.hostRedirect), []);
    assert.equal(hostTarget(model, 'www.b.test'), 'default_app_80');
  });

  test('the rendered maps route aliases and twins as the reference matcher does', () => {
    const objects = [
      ...app(),
      ...other(),
      ingress({ name: 'web', annotations: { [`${A}/server-alias`]: 'b.test, *.c.test', [`${A}/from-to-www-redirect`]: 'true' }, rules: [{ host: 'a.test', paths: [{ path: '/', service: 'app' }, { path: '/x', pathType: 'Exact', service: 'other' }] }] }),
      ingress({ name: 'more', rules: [{ host: 'a.test', paths: [{ path: '/o', service: 'other' }] }, { paths: [{ path: '/', service: 'other' }] }] }),
    ];
    const { model } = translateJson(objects);
    for (const host of ['a.test', 'b.test', 'q.c.test', 'www.a.test', 'c.test', 'nowhere.test', 'WWW.A.TEST:80']) {
      for (const path of ['/', '/x', '/x/', '/o', '/o/p', '/other']) {
        const target = matchRequest(model, host, path);
        const expected = target.kind === 'backend' ? target.id : `portero:${target.kind}`;
        assert.equal(simulateMaps(model, host, path), expected, `${host}${path}`);
      }
    }
  });

  test('HAProxy accepts a configuration with limits, aliases and www redirects (haproxy -c)', async () => {
    const objects = [
      ...app(),
      ...other(),
      web({ [`${A}/limit-rps`]: '5', [`${A}/limit-rpm`]: '100', [`${A}/limit-connections`]: '4', [`${A}/limit-whitelist`]: '127.0.0.9, ::1/128', [`${A}/from-to-www-redirect`]: 'true', [`${A}/server-alias`]: 'alias.test, *.w.test' }, ['a.test'], 'one'),
      web({ [`${A}/limit-rps`]: '5' }, ['b.test'], 'two'),
    ];
    const generated = await generateSelfSigned('test', ['a.test'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const { model } = translateJson(objects, { fallbackCertificatePem: inspected.info.pem });
    const config = await assertHaproxyAccepts(model);
    assert.equal((config.match(/stick-table/g) ?? []).length, 4);
  });
});
