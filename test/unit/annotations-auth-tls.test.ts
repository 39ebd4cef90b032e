// Client-certificate authentication (auth-tls-*): the annotations' values
// (valid and refused), what a Secret keeps once decoded, the CA bundle and
// revocation-list checks, which host levels get which settings, the
// crt-list lines, rules and files rendered for HAProxy (haproxy -c), and
// what the planner does with changes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { clientAuthFiles, clientAuthFrontendLines, clientAuthRules } from '../../src/dataplane/haproxy/features/client-auth.js';
import { planChange, type LiveState } from '../../src/dataplane/haproxy/plan.js';
import { refusedCertificates } from '../../src/dataplane/haproxy/refusals.js';
import { crtListEntries, renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { Model } from '../../src/model/model.js';
import { decodeObject } from '../../src/objects/decode.js';
import type { Secret } from '../../src/objects/types.js';
import { toManifest } from '../../src/source/manifests/kept.js';
import { inspectCaBundle } from '../../src/tls/ca.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { crlProblem } from '../../src/tls/der.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { parsePem } from '../../src/tls/pem.js';
import { assertHaproxyAccepts } from '../helpers/annotations.js';
import { TestCa } from '../helpers/client-certs.js';
import { ingress, serviceWithEndpoints, tlsSecret, type Json } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const GEN = '/state/gen-1';

let ca: TestCa;
let otherCa: TestCa;
let crl: string;
let site: { cert: string; key: string };
let defaultPem: string;

before(async () => {
  ca = await TestCa.create('Unit CA');
  otherCa = await TestCa.create('Other CA', ca.dir);
  await ca.issue('gone', '/CN=gone');
  await ca.revoke('gone');
  crl = await ca.crl();
  site = await generateSelfSigned('site', ['a.test', 'b.test', 'c.test', '*.w.test'], 30);
  const fallback = await generateSelfSigned('default', ['default.invalid'], 30);
  const inspected = inspectKeyPair(fallback.cert, fallback.key);
  assert.ok(inspected.ok);
  defaultPem = inspected.info.pem;
});

after(async () => {
  await ca?.dispose();
});

const app = () => serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] });
const caSecret = (name: string, data: Record<string, string>, namespace = 'default', type = 'Opaque'): Json => ({ apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace }, stringData: data });
const prefixed = (annotations: Record<string, string>) => Object.fromEntries(Object.entries(annotations).map(([key, value]) => [`${A}/${key}`, value]));
function web(annotations: Record<string, string>, options: { name?: string; hosts?: (string | undefined)[]; tls?: string[]; created?: string; paths?: string[] } = {}): Json {
  return ingress({
    name: options.name ?? 'web',
    annotations: prefixed(annotations),
    ...(options.created ? { creationTimestamp: options.created } : {}),
    ...(options.tls ? { tls: [{ hosts: options.tls, secretName: 'site' }] } : {}),
    rules: (options.hosts ?? ['a.test']).map((host) => ({ ...(host !== undefined ? { host } : {}), paths: (options.paths ?? ['/']).map((path) => ({ path, service: 'app' })) })),
  });
}
const secrets = () => [caSecret('client-ca', { 'ca.crt': ca.cert, 'ca.crl': crl }), caSecret('other-ca', { 'ca.crt': otherCa.cert }), caSecret('shared', { 'ca.crt': ca.cert }, 'certs'), tlsSecret('site', site.cert, site.key)];
const translated = (objects: Json[]) => translateJson([...app(), ...secrets(), ...objects], { fallbackCertificatePem: defaultPem });
/** The client authentication of each level, without the CA's PEM. */
const levels = (model: Model) => (model.clientAuth ?? []).map(({ ca: bundle, ...rest }) => ({ ...rest, ca: bundle.crl ? 'ca+crl' : 'ca' }));

describe('annotation values', () => {
  const valid: [string, Record<string, string>, Record<string, unknown>][] = [
    ['the Secret alone: on, depth 1', { 'auth-tls-secret': 'client-ca' }, { verify: 'on', depth: 1, passCertificate: false, ca: 'ca+crl' }],
    ['a Secret of another namespace', { 'auth-tls-secret': 'certs/shared' }, { verify: 'on', depth: 1, passCertificate: false, ca: 'ca' }],
    ['off', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'off' }, { verify: 'off' }],
    ['optional', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'optional' }, { verify: 'optional' }],
    ['optional_no_ca', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': ' optional_no_ca ' }, { verify: 'optional_no_ca' }],
    ['a depth', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-depth': '3' }, { depth: 3 }],
    ['an error page', { 'auth-tls-secret': 'client-ca', 'auth-tls-error-page': 'https://errors.example/cert?x=1&y=%20' }, { errorPage: 'https://errors.example/cert?x=1&y=%20' }],
    ['pass the certificate (Go booleans)', { 'auth-tls-secret': 'client-ca', 'auth-tls-pass-certificate-to-upstream': 'True' }, { passCertificate: true }],
    ['match-cn', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(hello-app|ok|goodbye)' }, { matchCn: 'CN=(hello-app|ok|goodbye)' }],
    ['match-cn with spaces and escapes', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=John Doe\\.\\d+$' }, { matchCn: 'CN=John Doe[.][0-9]+$' }],
  ];
  for (const [title, annotations, expected] of valid) {
    test(title, () => {
      const { model, diagnostics } = translated([web(annotations)]);
      assert.deepEqual(diagnostics, []);
      const [auth] = levels(model);
      assert.ok(auth, 'a.test has client authentication');
      assert.equal(auth.host, 'a.test');
      for (const [key, value] of Object.entries(expected)) assert.deepEqual((auth as Record<string, unknown>)[key], value, key);
    });
  }

  test('without auth-tls-secret the other auth-tls-* annotations mean nothing (as in ingress-nginx), and are not unknown', () => {
    const { model, diagnostics } = translated([web({ 'auth-tls-verify-client': 'bogus', 'auth-tls-match-cn': 'nope', 'auth-tls-verify-depth': 'x' })]);
    assert.deepEqual(diagnostics, []);
    assert.equal(model.clientAuth, undefined);
    assert.equal(model.backends[0]!.features, undefined);
  });

  const failClosed: [string, Record<string, string>, string, RegExp][] = [
    ['a Secret name with two slashes', { 'auth-tls-secret': 'a/b/c' }, 'auth-tls-secret', /must be a Secret name, or namespace\/name/],
    ['a Secret name that is no DNS name', { 'auth-tls-secret': 'Client_CA' }, 'auth-tls-secret', /must be a Secret name/],
    ['verify-client in capitals', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'ON' }, 'auth-tls-verify-client', /must be one of on, off, optional, optional_no_ca/],
    ['verify-client required', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'required' }, 'auth-tls-verify-client', /must be one of/],
    ['depth 0', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-depth': '0' }, 'auth-tls-verify-depth', /between 1 and/],
    ['depth not a number', { 'auth-tls-secret': 'client-ca', 'auth-tls-verify-depth': '1.5' }, 'auth-tls-verify-depth', /whole number/],
    ['an error page that is a path', { 'auth-tls-secret': 'client-ca', 'auth-tls-error-page': '/error' }, 'auth-tls-error-page', /absolute http:\/\/ or https:\/\/ URL.*internal redirect/],
    ['an error page without scheme', { 'auth-tls-secret': 'client-ca', 'auth-tls-error-page': 'ok.com/error' }, 'auth-tls-error-page', /absolute/],
    ['an error page with a quote', { 'auth-tls-secret': 'client-ca', 'auth-tls-error-page': "https://x.example/'%[src]" }, 'auth-tls-error-page', /without spaces, quotes or backslashes/],
    ['pass-certificate yes', { 'auth-tls-secret': 'client-ca', 'auth-tls-pass-certificate-to-upstream': 'yes' }, 'auth-tls-pass-certificate-to-upstream', /true or false/],
    ['match-cn without CN=', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'alice' }, 'auth-tls-match-cn', /must start with CN=/],
    ['match-cn with a look-ahead', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(?=admin)' }, 'auth-tls-match-cn', /\(\? groups/],
    ['match-cn with nested quantifiers', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(a+)+$' }, 'auth-tls-match-cn', /nested quantifiers/],
    ['match-cn with a quote (CVE-2025-1097)', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': "CN=a';}\nload_module /x;#" }, 'auth-tls-match-cn', /no quotes/],
    ['match-cn with a backreference', { 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(a)\\1' }, 'auth-tls-match-cn', /escape \\1 is not supported/],
    ['a missing Secret', { 'auth-tls-secret': 'nowhere' }, 'auth-tls-secret', /Secret default\/nowhere not found \(or it holds no ca\.crt\); its paths answer 503/],
  ];
  for (const [title, annotations, field, message] of failClosed) {
    test(`fail closed: ${title}`, () => {
      const { model, diagnostics, served } = translated([web(annotations)]);
      const warning = diagnostics.find((d) => d.field === `metadata.annotations["${A}/${field}"]`);
      assert.ok(warning, JSON.stringify(diagnostics));
      assert.equal(warning.severity, 'warning');
      assert.equal(warning.object.name, 'web');
      assert.match(warning.message, message);
      assert.deepEqual(served.map((ref) => ref.name), ['web']);
      assert.equal(model.backends.find((backend) => backend.service === 'app')?.features?.denied, true);
      assert.equal(model.clientAuth, undefined);
    });
  }

  test('Secrets that hold no usable CA fail closed with the reason, never a key', () => {
    const { key } = { key: 'PRIVATE-KEY-MATERIAL' };
    const cases: [Json, RegExp][] = [
      [tlsSecret('bad', site.cert, site.key), /Secret default\/bad: holds no key ca\.crt; its paths answer 503/],
      [caSecret('bad', { 'ca.crt': 'not a certificate' }), /Secret default\/bad: ca\.crt holds no PEM certificate/],
      [caSecret('bad', { 'ca.crt': `${ca.cert}-----BEGIN PRIVATE KEY-----\n${Buffer.from(key).toString('base64')}\n-----END PRIVATE KEY-----\n` }), /ca\.crt holds a PRIVATE KEY block at line \d+; only CERTIFICATE blocks/],
      [caSecret('bad', { 'ca.crt': ca.cert, 'ca.crl': ca.cert }), /ca\.crl holds a CERTIFICATE block.*only X509 CRL blocks/],
      [caSecret('bad', { 'ca.crt': ca.cert, 'ca.crl': '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' }), /ca\.crl revocation list 1 is not a DER-encoded revocation list/],
      [{ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'bad' }, data: { 'ca.crt': '@@@' } }, /Secret default\/bad: key ca\.crt must be base64-encoded/],
    ];
    for (const [object, message] of cases) {
      const { diagnostics, model } = translated([object, web({ 'auth-tls-secret': 'bad' })]);
      const warning = diagnostics.find((d) => d.field === `metadata.annotations["${A}/auth-tls-secret"]`);
      assert.ok(warning, JSON.stringify(diagnostics));
      assert.match(warning.message, message);
      assert.doesNotMatch(warning.message, /PRIVATE-KEY-MATERIAL|UFJJVkFURS1LRVkt/);
      assert.equal(model.backends[0]!.features?.denied, true);
    }
  });

  test('a CA bundle HAProxy refused fails closed until the Secret changes', () => {
    const { model } = translated([web({ 'auth-tls-secret': 'client-ca' })]);
    const bundle = model.clientAuth![0]!.ca;
    const refused = new Map([[bundle.id, { pem: bundle.pem, reason: 'unable to load CA file' }]]);
    const again = translateJson([...app(), ...secrets(), web({ 'auth-tls-secret': 'client-ca' })], { fallbackCertificatePem: defaultPem, refusedCertificates: refused });
    assert.equal(again.model.clientAuth, undefined);
    assert.equal(again.model.backends[0]!.features?.denied, true);
    assert.match(again.diagnostics.map((d) => d.message).join('\n'), /HAProxy refuses its CA bundle or revocation list \(unable to load CA file\)/);
  });
});

describe('which hosts', () => {
  test('every rule host of the Ingress (rules without host: the host-less level), and every path of those hosts', () => {
    const { model } = translated([web({ 'auth-tls-secret': 'client-ca' }, { hosts: ['a.test', 'b.test', undefined] }), web({}, { name: 'other', hosts: ['a.test', 'c.test'], paths: ['/other'] })]);
    assert.deepEqual(levels(model).map((auth) => auth.host), ['', 'a.test', 'b.test']);
  });

  test('the oldest Ingress of a host wins; a newer one that disagrees gets a warning, one that agrees does not', () => {
    const { model, diagnostics } = translated([
      web({ 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'optional' }, { name: 'old', created: '2026-01-01T00:00:00Z' }),
      web({ 'auth-tls-secret': 'other-ca' }, { name: 'new', created: '2026-02-01T00:00:00Z', paths: ['/new'] }),
      web({ 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'optional' }, { name: 'same', created: '2026-03-01T00:00:00Z', paths: ['/same'] }),
    ]);
    assert.deepEqual(levels(model).map((auth) => [auth.host, auth.verify, auth.ca]), [['a.test', 'optional', 'ca+crl']]);
    assert.deepEqual(
      diagnostics.map((d) => [d.object.name, d.message]),
      [['new', 'client authentication for host a.test is already set by older Ingress default/old; its settings apply to every path of the host']],
    );
  });

  test('an older Ingress whose Secret is missing sets nothing: a newer one applies (as ingress-nginx), and only the older paths answer 503', () => {
    const { model } = translated([
      web({ 'auth-tls-secret': 'nowhere' }, { name: 'old', created: '2026-01-01T00:00:00Z', paths: ['/old'] }),
      web({ 'auth-tls-secret': 'other-ca' }, { name: 'new', created: '2026-02-01T00:00:00Z', paths: ['/new'] }),
    ]);
    assert.deepEqual(levels(model).map((auth) => [auth.host, auth.ca]), [['a.test', 'ca']]);
    const level = model.levels.find((candidate) => candidate.host === 'a.test')!;
    const denied = (path: string) => model.backends.find((backend) => backend.id === (level.routes.find((route) => route.path === path)!.target as { id: string }).id)?.features?.denied === true;
    assert.equal(denied('/old'), true);
    assert.equal(denied('/new'), false);
  });

  test('a server-alias level gets its host\'s settings; a rule host without http does not', () => {
    const { model } = translated([
      web({ 'auth-tls-secret': 'client-ca', 'server-alias': 'alias.test' }),
      ingress({ name: 'bare', annotations: prefixed({ 'auth-tls-secret': 'client-ca' }), rules: [{ host: 'c.test' }] }),
    ]);
    assert.deepEqual(levels(model).map((auth) => auth.host), ['a.test', 'alias.test']);
  });

  test('a canary Ingress sets nothing for the host', () => {
    const { model } = translated([web({}), web({ canary: 'true', 'canary-weight': '10', 'auth-tls-secret': 'client-ca' }, { name: 'canary' })]);
    assert.equal(model.clientAuth, undefined);
  });
});

describe('what HAProxy gets', () => {
  test('crt-list: a line of its own per host that asks for certificates, with the certificate that serves it and its CA', () => {
    const { model } = translated([
      web({ 'auth-tls-secret': 'client-ca' }, { hosts: ['a.test', 'b.test'], tls: ['a.test', 'b.test', 'c.test'] }),
      web({ 'auth-tls-secret': 'other-ca', 'auth-tls-verify-client': 'optional' }, { name: 'plain', hosts: ['d.test', 'x.w.test'] }),
      web({}, { name: 'wild', hosts: ['*.w.test'], tls: ['*.w.test'] }),
      web({ 'auth-tls-secret': 'other-ca', 'auth-tls-verify-client': 'off' }, { name: 'off', hosts: ['e.test'] }),
    ]);
    const ids = Object.fromEntries(model.clientAuth!.map((auth) => [auth.host, auth.ca]));
    const lines = crtListEntries(model, GEN).map((entry) => c.crtListLine(entry));
    const ca = (host: string) => `${GEN}/certs/${ids[host]!.id}.pem`;
    assert.deepEqual(lines, [
      `${GEN}/certs/default.pem`,
      // The same Secret serves the wildcard (another Ingress) and c.test.
      `${GEN}/certs/default_site.pem *.w.test c.test`,
      `${GEN}/certs/default_site.pem [verify optional ca-file ${ca('a.test')} crl-file ${GEN}/certs/${ids['a.test']!.crl!.id}.pem] a.test`,
      `${GEN}/certs/default_site.pem [verify optional ca-file ${ca('a.test')} crl-file ${GEN}/certs/${ids['a.test']!.crl!.id}.pem] b.test`,
      // No certificate of its own: the default one; under a wildcard TLS host: the wildcard's.
      `${GEN}/certs/default.pem [verify optional ca-file ${ca('d.test')}] d.test`,
      `${GEN}/certs/default_site.pem [verify optional ca-file ${ca('x.w.test')}] x.w.test`,
    ]);
  });

  test('the host-less level puts its CA on the default certificate\'s line', () => {
    const { model } = translated([web({ 'auth-tls-secret': 'other-ca' }, { hosts: [undefined] })]);
    const [first] = crtListEntries(model, GEN).map((entry) => c.crtListLine(entry));
    assert.equal(first, `${GEN}/certs/default.pem [verify optional ca-file ${GEN}/certs/${model.clientAuth![0]!.ca.id}.pem]`);
    assert.deepEqual(clientAuthRules(model).map((rule) => rule.level), ['_']);
  });

  test('files: CA bundles and lists with mode 0600, the level map, error pages, match-cn patterns, OpenSSL\'s texts', () => {
    const { model } = translated([
      web({ 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=John Doe', 'auth-tls-error-page': 'https://e.example/x', 'auth-tls-pass-certificate-to-upstream': 'true' }),
      web({ 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'optional_no_ca' }, { name: 'b', hosts: ['b.test'] }),
    ]);
    const files = new Map(clientAuthFiles(model).map((file) => [file.path, file]));
    const [a, b] = clientAuthRules(model);
    assert.equal(files.get('client-auth.map')!.content, `a.test on:cep:${a!.id}\nb.test nca::${b!.id}\n`);
    assert.equal(files.get('client-auth-pages.map')!.content, `${a!.id} https://e.example/x\n`);
    assert.equal(files.get('client-auth-names.lst')!.content, `^${a!.id}[|].*(?:CN=John Doe)\n`);
    assert.match(files.get('verify-errors.map')!.content, /^10 certificate has expired$/m);
    assert.match(files.get('verify-errors.map')!.content, /^23 certificate revoked$/m);
    const pems = [...files.values()].filter((file) => file.path.startsWith('certs/'));
    assert.deepEqual(pems.map((file) => file.mode), [0o600, 0o600]);
    assert.ok(pems.some((file) => file.content.startsWith('-----BEGIN X509 CRL-----\n')));
    // And nothing of it without client authentication.
    assert.deepEqual(clientAuthFiles(translated([web({})]).model), []);
    assert.deepEqual(clientAuthFrontendLines([], GEN, 'https'), []);
  });

  test('the rules are the same whatever the number of hosts: settings come from the map', () => {
    const one = translated([web({ 'auth-tls-secret': 'client-ca' })]).model;
    const many = translated([web({ 'auth-tls-secret': 'client-ca' }), web({ 'auth-tls-secret': 'other-ca', 'auth-tls-match-cn': 'CN=x' }, { name: 'b', hosts: ['b.test', 'c.test'] })]).model;
    assert.equal(clientAuthFrontendLines(clientAuthRules(one), GEN, 'https').length, clientAuthFrontendLines(clientAuthRules(many), GEN, 'https').length);
  });

  test('HAProxy accepts a configuration with client authentication of every kind (haproxy -c)', async () => {
    const { model } = translated([
      web({ 'auth-tls-secret': 'client-ca', 'auth-tls-match-cn': 'CN=(alice|John Doe)', 'auth-tls-error-page': 'https://e.example/x?y=%41', 'auth-tls-pass-certificate-to-upstream': 'true' }, { tls: ['a.test'] }),
      web({ 'auth-tls-secret': 'other-ca', 'auth-tls-verify-client': 'optional_no_ca' }, { name: 'b', hosts: ['b.test', undefined] }),
      web({ 'auth-tls-secret': 'certs/shared', 'auth-tls-verify-client': 'off' }, { name: 'c', hosts: ['*.w.test'] }),
      web({ 'auth-tls-secret': 'certs/shared', 'auth-tls-verify-client': 'optional', 'server-alias': 'alias.test' }, { name: 'd', hosts: ['d.test'] }),
    ]);
    const config = await assertHaproxyAccepts(model);
    assert.match(config, /^ {2}tune\.ssl\.cachesize 0$/m);
    assert.match(config, / ca-ignore-err all crt-ignore-err all$/m);
    assert.equal((config.match(/map_str\(\S+client-auth\.map\)/g) ?? []).length, 2);
  });

  test('only off: nothing asks for certificates, so the handshake and the session cache stay as they were', async () => {
    const { model } = translated([web({ 'auth-tls-secret': 'client-ca', 'auth-tls-verify-client': 'off' })]);
    const config = await assertHaproxyAccepts(model);
    assert.doesNotMatch(config, /cachesize|ignore-err/);
    assert.doesNotMatch(crtListEntries(model, GEN).map((entry) => c.crtListLine(entry)).join('\n'), /verify/);
  });

  test('the grammars of what reaches HAProxy refuse anything else', () => {
    assert.throws(() => c.keyedPattern('abc', "CN='x"), c.UnsafeValueError);
    assert.throws(() => c.keyedPattern('abc', 'CN=a\\d'), c.UnsafeValueError);
    assert.throws(() => c.keyedPattern('abc', 'CN=a\nb'), c.UnsafeValueError);
    assert.throws(() => c.keyedPattern('ab|c', 'CN=a'), c.UnsafeValueError);
    assert.throws(() => c.keyedPattern('abc', 'CN=(a'), c.UnsafeValueError);
    assert.throws(() => c.urlValue('https://a.example/ x'), c.UnsafeValueError);
    assert.throws(() => c.urlValue('javascript:alert(1)'), c.UnsafeValueError);
    assert.throws(() => c.mapText('100%'), c.UnsafeValueError);
    assert.throws(() => c.mapText(' leading'), c.UnsafeValueError);
    assert.throws(() => c.crtListLine({ file: '/s/a.pem', sni: ['a.test'], verify: { caFile: '/s/ca.pem x' } }), c.UnsafeValueError);
  });

  test('HAProxy\'s refusal of a CA bundle is read from its output like a certificate\'s', () => {
    const output = `[ALERT]    (1) : config : parsing [/s/gen-2/crt-list.txt:3] : 'bind 127.0.0.1:8443' : unable to load CA file '/s/gen-2/certs/clientca-0123456789abcdef0123.pem'.`;
    assert.deepEqual(refusedCertificates(output).map((entry) => entry.id), ['clientca-0123456789abcdef0123']);
  });
});

describe('changes', () => {
  const live = (model: Model): LiveState => ({ model, names: new BackendNames(structureFor(model)), sparesUsed: 0 });
  const plain = () => translated([web({}, { tls: ['a.test', 'b.test'] })]).model;
  const withAuth = (annotations: Record<string, string> = {}, extra: Json[] = []) => translated([web({ 'auth-tls-secret': 'client-ca', ...annotations }, { tls: ['a.test', 'b.test'] }), ...extra]).model;

  const reloads: [string, () => Model, () => Model][] = [
    ['client authentication added', plain, () => withAuth()],
    ['client authentication removed', () => withAuth(), plain],
    ['the verify mode changed', () => withAuth(), () => withAuth({ 'auth-tls-verify-client': 'optional' })],
    ['match-cn changed', () => withAuth({ 'auth-tls-match-cn': 'CN=a' }), () => withAuth({ 'auth-tls-match-cn': 'CN=b' })],
    ['the CA changed', () => withAuth(), () => translated([web({ 'auth-tls-secret': 'other-ca' }, { tls: ['a.test', 'b.test'] })]).model],
  ];
  for (const [title, from, to] of reloads) {
    test(`${title}: a reload`, () => {
      const plan = planChange(live(from()), to());
      assert.equal(plan.kind, 'reload');
      assert.equal(plan.kind === 'reload' && plan.reason, 'structural');
    });
  }

  test('the depth alone changes nothing HAProxy runs', () => {
    assert.equal(planChange(live(withAuth()), withAuth({ 'auth-tls-verify-depth': '4' })).kind, 'unchanged');
  });

  test('a new host without client authentication, next to one with it: runtime', () => {
    const plan = planChange(live(withAuth()), withAuth({}, [web({}, { name: 'new', hosts: ['new.test'] })]));
    assert.equal(plan.kind, 'runtime');
  });

  test('a host of a certificate that also serves a host with client authentication: a reload (its crt-list lines cannot be told apart at runtime)', () => {
    const from = withAuth();
    const to = translated([web({ 'auth-tls-secret': 'client-ca' }, { hosts: ['a.test'], tls: ['a.test', 'b.test', 'c.test'] }), web({}, { name: 'b', hosts: ['b.test', 'c.test'] })]).model;
    const plan = planChange(live(from), to);
    assert.equal(plan.kind, 'reload');
    assert.match(plan.kind === 'reload' ? plan.detail : '', /also serves a host with client authentication/);
  });

  test('the rotation of that certificate goes through the runtime API (all its lines take the new one)', async () => {
    const from = withAuth();
    const rotated = await generateSelfSigned('site rotated', ['a.test', 'b.test'], 30);
    const to = translateJson([...app(), ...secrets().slice(0, 3), tlsSecret('site', rotated.cert, rotated.key), web({ 'auth-tls-secret': 'client-ca' }, { tls: ['a.test', 'b.test'] })], { fallbackCertificatePem: defaultPem }).model;
    const plan = planChange(live(from), to);
    assert.equal(plan.kind, 'runtime');
    assert.deepEqual(plan.kind === 'runtime' ? plan.certificates.update.map((certificate) => certificate.id) : [], ['default_site']);
  });

  test('renderFiles writes everything a reload needs, the same for the same model', () => {
    const model = withAuth({ 'auth-tls-match-cn': 'CN=alice' });
    const names = new BackendNames(structureFor(model));
    assert.deepEqual(renderFiles(model, GEN, names), renderFiles(withAuth({ 'auth-tls-match-cn': 'CN=alice' }), GEN, names));
  });
});

describe('Secrets and CA bundles', () => {
  const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };
  const decoded = (raw: Json): Secret => {
    const result = decodeObject(raw, options);
    assert.equal(result.status, 'ok', JSON.stringify(result));
    return (result as { object: Secret }).object;
  };

  test('an Opaque Secret with ca.crt is kept with ca.crt and ca.crl only; a TLS Secret keeps them next to its key pair', () => {
    const opaque = decoded(caSecret('ca', { 'ca.crt': 'A', 'ca.crl': 'B', password: 'never kept' }));
    assert.deepEqual(opaque.ca, { crt: 'A', crl: 'B' });
    assert.doesNotMatch(JSON.stringify(opaque), /never kept/);
    const withTls = decoded({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 't' }, data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==', 'ca.crt': Buffer.from('C').toString('base64') } });
    assert.deepEqual(withTls.ca, { crt: 'C' });
    assert.equal(decodeObject(caSecret('none', { 'ca.crl': 'B' }), options).status, 'ignored');
  });

  test('kept Secrets decode back to the same CA keys', () => {
    for (const raw of [caSecret('ca', { 'ca.crt': ca.cert, 'ca.crl': crl }), { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 't' }, stringData: { 'tls.crt': 'x', 'tls.key': 'y', 'ca.crt': ca.cert } }]) {
      const first = decoded(raw);
      assert.deepEqual(decoded(toManifest(first)), first);
    }
  });

  test('a bundle is re-encoded certificate by certificate, text around the blocks dropped', () => {
    const result = inspectCaBundle(`Bag Attributes: x\n${ca.cert}\n# comment\n${otherCa.cert}`, crl);
    assert.ok(result.ok);
    assert.equal(result.bundle.count, 2);
    assert.doesNotMatch(result.bundle.pem, /Bag Attributes|comment/);
    const blocks = parsePem(result.bundle.pem);
    assert.equal(blocks.ok && blocks.blocks.length, 2);
    assert.match(result.bundle.crl!, /^-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]+-----END X509 CRL-----\n$/);
  });

  test('revocation lists: what OpenSSL writes passes; truncated, padded or reshaped DER does not', () => {
    const parsed = parsePem(crl);
    assert.ok(parsed.ok);
    const der = parsed.blocks[0]!.der;
    assert.equal(crlProblem(der), undefined);
    assert.match(crlProblem(der.subarray(0, der.length - 1)) ?? '', /not a DER-encoded revocation list/);
    assert.match(crlProblem(Buffer.concat([der, Buffer.from([0])])) ?? '', /not a DER-encoded revocation list/);
    const certificate = parsePem(ca.cert);
    assert.ok(certificate.ok);
    assert.ok(crlProblem(certificate.blocks[0]!.der) !== undefined, 'a certificate is no revocation list');
    assert.match(crlProblem(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])) ?? '', /shaped/);
  });

  test('a bundle holding too many blocks is refused, whatever their size', () => {
    const block = '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n';
    const result = inspectCaBundle(block.repeat(300));
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /more than 256 PEM blocks/);
  });
});
