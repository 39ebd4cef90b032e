// Basic authentication: the annotations' values, htpasswd and auth-map
// parsing (hostile lines included), what a Secret keeps once decoded, the
// Secret lookup in translate, and the rules and files rendered for HAProxy.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { basicAuthFiles, basicAuthLines, basicAuthUserlists, needsBasicAuthLua } from '../../src/dataplane/haproxy/features/basic-auth.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { BasicAuth } from '../../src/model/features.js';
import { decodeObject } from '../../src/objects/decode.js';
import { toManifest } from '../../src/source/manifests/kept.js';
import { hashKind, parseAuthMap, parseHtpasswd } from '../../src/objects/htpasswd.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { assertHaproxyAccepts } from '../helpers/annotations.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';

const APR1 = '$apr1$Vb7nO5rP$Xme3Fy3usD0WC2SYtpt4a.';
const SHA = '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=';
const SHA512 = '$6$saltsalt$' + 'a'.repeat(86);
const BCRYPT = '$2y$05$' + 'b'.repeat(53);

const app = () => serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] });
const secret = (name: string, stringData: Record<string, string>, namespace = 'default'): Json => ({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace }, stringData });
const web = (annotations: Record<string, string>, name = 'web'): Json => ingress({ name, annotations, rules: [{ host: `${name}.test`, paths: [{ service: 'app' }] }] });
const basic = (extra: Record<string, string> = {}) => ({ [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 'users', ...extra });

function translated(annotations: Record<string, string>, secrets: Json[] = [secret('users', { auth: `alice:${APR1}\n` })]) {
  const result = translateJson([...app(), ...secrets, web(annotations)]);
  return { features: result.model.backends.find((backend) => backend.service === 'app')?.features, diagnostics: result.diagnostics };
}

describe('htpasswd and auth-map parsing', () => {
  const FORMATS: [string, string, string | undefined][] = [
    ['apr1', APR1, 'apr1'],
    ['{SHA}', SHA, 'sha'],
    ['{SSHA}', '{SSHA}' + 'A'.repeat(36), 'ssha'],
    ['bcrypt $2y$', BCRYPT, 'crypt'],
    ['bcrypt $2b$', '$2b$12$' + 'c'.repeat(53), 'crypt'],
    ['md5 crypt', '$1$abc$' + 'd'.repeat(22), 'crypt'],
    ['sha256 crypt with rounds', '$5$rounds=5000$salt$' + 'e'.repeat(43), 'crypt'],
    ['sha512 crypt', SHA512, 'crypt'],
    ['DES crypt', 'abJnggxhB/yWI', 'crypt'],
    ['{PLAIN}', '{PLAIN}secret', undefined],
    ['a clear-text password', 'hunter2', undefined],
    ['apr1 with a quote', "$apr1$ab'c$" + 'x'.repeat(22), undefined],
    ['a hash with a space', '$6$salt$' + 'a'.repeat(40) + ' ' + 'a'.repeat(45), undefined],
    ['a hash with a newline', `${APR1}\nbob:${APR1}`, undefined],
    ['yescrypt (not verifiable by HAProxy userlists everywhere)', '$y$j9T$abc$' + 'f'.repeat(43), undefined],
    ['a huge value', '$6$' + 'a'.repeat(5000), undefined],
  ];
  for (const [title, hash, kind] of FORMATS) test(`hash format: ${title}`, () => assert.equal(hashKind(hash), kind));

  test('lines: comments, blank lines, CRLF and a comment field are accepted; the first line of a user wins', () => {
    assert.deepEqual(parseHtpasswd(`# users\r\n\nalice:${APR1}\r\nbob:${SHA}:Bob B.\n  \nalice:${SHA}\n`), {
      users: [
        { name: 'alice', hash: APR1 },
        { name: 'bob', hash: SHA },
      ],
    });
    assert.deepEqual(parseHtpasswd(''), { users: [] });
  });

  const HOSTILE: [string, string, RegExp][] = [
    ['no colon', 'alice', /line 1: user "alice" has not a supported password hash/],
    ['empty user', `:${APR1}`, /line 1: the user name must be/],
    ['a space in the user', `al ice:${APR1}`, /line 1: the user name/],
    ['a quote in the user', `al'ice:${APR1}`, /the user name/],
    ['a backslash in the user', `al\\ice:${APR1}`, /the user name/],
    ['a # user on a later line is a comment, a #-containing user is refused', `a#b:${APR1}`, /the user name/],
    ['a non-ASCII user', `älice:${APR1}`, /the user name/],
    ['a control character', `alice\x00:${APR1}`, /the user name/],
    ['{PLAIN} is refused, the password not quoted', 'eve:{PLAIN}sesame', /line 1: user "eve" has a \{PLAIN\} password, which Portero refuses to store$/],
    ['an unknown scheme', 'eve:$9$abc$def', /a malformed or unsupported \$9\$ hash/],
    ['config injection in the hash', `eve:${APR1}\n\tuser x insecure-password y`, /line 2: the user name/],
    ['a very long line', `eve:${'a'.repeat(2000)}`, /line 1 is longer than 1024 characters/],
  ];
  for (const [title, text, message] of HOSTILE) {
    test(`hostile line: ${title}`, () => {
      const result = parseHtpasswd(text);
      assert.ok('problem' in result, JSON.stringify(result));
      assert.match(result.problem, message);
      assert.doesNotMatch(result.problem, /sesame|Xme3Fy/);
    });
  }

  test('auth-map: keys are users in sorted order; a bad key or value refuses the map', () => {
    assert.deepEqual(parseAuthMap({ zed: SHA, amy: ` ${APR1}\n` }), { users: [{ name: 'amy', hash: APR1 }, { name: 'zed', hash: SHA }] });
    assert.match((parseAuthMap({ amy: APR1, 'b b': SHA }) as { problem: string }).problem, /key "b b": the user name/);
    assert.match((parseAuthMap({ amy: 'clear-text' }) as { problem: string }).problem, /key "amy": not a supported password hash/);
  });
});

describe('Secrets keep only auth data', () => {
  const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  test('an Opaque Secret with key auth keeps the parsed users and nothing else', () => {
    const result = decodeObject(
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's' }, data: { auth: b64(`alice:${APR1}\n`), 'db-password': b64('hunter2') } },
      options,
    );
    assert.equal(result.status, 'ok');
    if (result.status !== 'ok' || result.object.kind !== 'Secret') return;
    assert.deepEqual(result.object.tls, {});
    assert.deepEqual(result.object.auth?.file, { users: [{ name: 'alice', hash: APR1 }] });
    assert.ok('problem' in result.object.auth!.map);
    assert.doesNotMatch(JSON.stringify(result.object), /hunter2|db-password/);
  });

  test('an auth-map Secret (any type) keeps its users; stringData wins over data', () => {
    const result = decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'example.com/creds', metadata: { name: 's' }, data: { bob: b64('x') }, stringData: { bob: SHA } }, options);
    assert.equal(result.status, 'ok');
    if (result.status === 'ok' && result.object.kind === 'Secret') {
      assert.equal(result.object.type, 'example.com/creds');
      assert.deepEqual(result.object.auth, { map: { users: [{ name: 'bob', hash: SHA }] } });
    }
  });

  test('a Secret without auth data is not kept; a TLS Secret keeps no auth', () => {
    assert.equal(decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's' }, stringData: { password: 'hunter2', token: 'abc' } }, options).status, 'ignored');
    const tls = decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 's' }, stringData: { 'tls.crt': 'c', 'tls.key': 'k', auth: `a:${APR1}` } }, options);
    assert.ok(tls.status === 'ok' && tls.object.kind === 'Secret' && tls.object.auth === undefined);
  });

  test('a kept auth Secret (manifests-kept.json) decodes back to the same credentials', () => {
    for (const stringData of [{ auth: `alice:${APR1}\nbob:${SHA}\n`, other: 'dropped' }, { carol: APR1, dave: SHA512 }, { auth: 'eve:{PLAIN}x' }, { amy: APR1, bad: '$6$bad' }]) {
      const first = decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's', namespace: 'default' }, stringData }, options);
      assert.ok(first.status === 'ok' && first.object.kind === 'Secret', JSON.stringify(stringData));
      const again = decodeObject(toManifest(first.object), options);
      assert.ok(again.status === 'ok' && again.object.kind === 'Secret');
      // What an Ingress gets either way: the users, or a denial (whatever its message).
      const users = (auth: typeof first.object.auth) => ({ file: auth?.file && 'users' in auth.file ? auth.file.users : 'denied', map: auth && 'users' in auth.map ? auth.map.users : 'denied' });
      assert.deepEqual(users(again.object.auth), users(first.object.auth), JSON.stringify(stringData));
      assert.doesNotMatch(JSON.stringify(toManifest(first.object)), /dropped/);
    }
  });

  test('bad base64 in key auth is kept as a problem (the paths then deny), never an invalid object', () => {
    const result = decodeObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 's' }, data: { auth: '@@@' } }, options);
    assert.ok(result.status === 'ok' && result.object.kind === 'Secret');
    if (result.status === 'ok' && result.object.kind === 'Secret') assert.deepEqual(result.object.auth?.file, { problem: 'key auth must be base64-encoded' });
  });
});

describe('auth annotations → features', () => {
  test('auth-file with a realm', () => {
    const { features, diagnostics } = translated(basic({ [`${A}/auth-realm`]: 'Secure 100%' }));
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(features, { basicAuth: { realm: 'Secure 100%', secret: 'default/users', users: [{ name: 'alice', hash: APR1 }] } });
  });

  test('auth-map from another namespace', () => {
    const { features } = translated(basic({ [`${A}/auth-secret`]: 'creds/users', [`${A}/auth-secret-type`]: 'auth-map' }), [secret('users', { bob: SHA }, 'creds')]);
    assert.deepEqual(features, { basicAuth: { realm: '', secret: 'creds/users', users: [{ name: 'bob', hash: SHA }] } });
  });

  test('without auth-type nothing is asked', () => {
    assert.equal(translated({ [`${A}/auth-secret`]: 'users' }).features, undefined);
  });

  const DENIED: [string, Record<string, string>, Json[], RegExp, string][] = [
    ['a missing Secret', basic(), [], /Secret default\/users not found \(or it holds no basic-auth credentials\); its paths answer 503/, 'auth-secret'],
    ['a Secret without key auth', basic(), [secret('users', { bob: SHA })], /Secret default\/users has no key auth/, 'auth-secret'],
    ['an unparsable file', basic(), [secret('users', { auth: 'eve:{PLAIN}x' })], /key auth: line 1: user "eve" has a \{PLAIN\}/, 'auth-secret'],
    ['auth-map over an htpasswd file', basic({ [`${A}/auth-secret-type`]: 'auth-map' }), [secret('users', { auth: `alice:${APR1}` })], /auth-map\): key "auth": not a supported/, 'auth-secret'],
    ['digest', { [`${A}/auth-type`]: 'digest', [`${A}/auth-secret`]: 'users' }, [], /digest authentication is not supported by Portero/, 'auth-type'],
    ['another type', { [`${A}/auth-type`]: 'Basic ' }, [], /must be basic/, 'auth-type'],
    ['no auth-secret', { [`${A}/auth-type`]: 'basic' }, [], /is required/, 'auth-secret'],
    ['a bad secret name', basic({ [`${A}/auth-secret`]: 'a/b/c' }), [], /namespace\/name/, 'auth-secret'],
    ['an upper-case secret name', basic({ [`${A}/auth-secret`]: 'Users' }), [], /namespace\/name/, 'auth-secret'],
    ['a bad secret type', basic({ [`${A}/auth-secret-type`]: 'file' }), [], /auth-file or auth-map/, 'auth-secret-type'],
    ['a realm with a quote', basic({ [`${A}/auth-realm`]: 'a"b' }), [], /without quotes/, 'auth-realm'],
    ['a realm with a newline', basic({ [`${A}/auth-realm`]: 'a\nb' }), [], /without quotes/, 'auth-realm'],
  ];
  for (const [title, annotations, secrets, message, annotation] of DENIED) {
    test(`fails closed: ${title}`, () => {
      const { features, diagnostics } = translated(annotations, secrets);
      assert.deepEqual(features, { denied: true });
      const warning = diagnostics.find((d) => d.field === `metadata.annotations["${A}/${annotation}"]`);
      assert.ok(warning, JSON.stringify(diagnostics));
      assert.equal(warning.severity, 'warning');
      assert.match(warning.message, message);
    });
  }

  test('a change of the Secret changes the backend; an unrelated Secret changes nothing', () => {
    const one = translateJson([...app(), secret('users', { auth: `alice:${APR1}` }), web(basic())]);
    const two = translateJson([...app(), secret('users', { auth: `alice:${SHA}` }), web(basic())]);
    const three = translateJson([...app(), secret('users', { auth: `alice:${APR1}` }), secret('other', { auth: `x:${SHA}` }), web(basic())]);
    assert.notEqual(one.model.backends[0]!.id, two.model.backends[0]!.id);
    assert.equal(one.model.backends[0]!.id, three.model.backends[0]!.id);
  });

  test('a TLS secretName naming an auth Secret is not a certificate', () => {
    const objects = [...app(), secret('users', { auth: `alice:${APR1}` }), ingress({ name: 'tls', tls: [{ hosts: ['tls.test'], secretName: 'users' }], rules: [{ host: 'tls.test', paths: [{ service: 'app' }] }] })];
    const { model, diagnostics } = translateJson(objects);
    assert.deepEqual(model.certificates, []);
    assert.ok(diagnostics.some((d) => /not found \(or not of type kubernetes.io\/tls\)/.test(d.message)));
  });
});

describe('basic auth → HAProxy', () => {
  const auth = (users: BasicAuth['users'], realm = 'R'): BasicAuth => ({ realm, secret: 'default/users', users });

  test('crypt hashes only: a userlist, no Lua, no map', () => {
    const a = auth([{ name: 'six', hash: SHA512 }]);
    const lines = basicAuthLines(a, '/state/gen-1');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^  http-request return status 401 content-type text\/plain string "401 Unauthorized" hdr WWW-Authenticate 'Basic realm="R"' unless \{ http_auth\(portero:auth:[0-9a-f]{16}\) \}$/);
    assert.equal(lines[1], '  http-request del-header Authorization');
    const userlist = basicAuthUserlists([{ basicAuth: a }]);
    assert.match(userlist[0]!, /^userlist portero:auth:[0-9a-f]{16}$/);
    assert.equal(userlist[1], `  user 'six' password '${SHA512}'`);
    assert.equal(needsBasicAuthLua([{ basicAuth: a }]), false);
    assert.deepEqual(basicAuthFiles([{ basicAuth: a }]), []);
  });

  test('apr1 and {SHA} through Lua and a 0600 map, returning users through the accepted map; the checks are alternatives', () => {
    const a = auth([{ name: 'alice', hash: APR1 }, { name: 'bea', hash: BCRYPT }, { name: 'sam', hash: SHA }], 'Say 100%');
    const lines = basicAuthLines(a, '/state/gen-1');
    assert.match(lines[0]!, /^  http-request set-var\(txn\.portero_auth_hash\) http_auth_user,map_str\(\/state\/gen-1\/auth\/[0-9a-f]{16}\.map\) if \{ http_auth_type -m str -i basic \}$/);
    assert.deepEqual(lines.slice(1, 5), [
      '  http-request set-var(txn.portero_auth_key) http_auth_pass,concat(|,txn.portero_auth_hash),sha2(256),hex if { var(txn.portero_auth_hash) -m found }',
      '  http-request set-var(txn.portero_auth_known) bool(1) if { var(txn.portero_auth_key),map_str(/state/gen-1/auth-accepted.map) -m found }',
      '  http-request lua.portero_basic_auth if { var(txn.portero_auth_hash) -m found } !{ var(txn.portero_auth_known) -m bool }',
      '  http-request set-map(/state/gen-1/auth-accepted.map) %[var(txn.portero_auth_key)] 1 if { var(txn.portero_auth_ok) -m bool }',
    ]);
    assert.match(lines[5]!, /hdr WWW-Authenticate 'Basic realm="Say 100%%"' unless \{ http_auth\(portero:auth:[0-9a-f]{16}\) \} \|\| \{ var\(txn\.portero_auth_known\) -m bool \} \|\| \{ var\(txn\.portero_auth_ok\) -m bool \}$/);
    const files = basicAuthFiles([{ basicAuth: a }, { basicAuth: a }]);
    assert.deepEqual(files.map((file) => [file.path.replace(/[0-9a-f]{16}/, 'ID'), file.mode]), [['auth/ID.map', 0o600], ['portero-auth.lua', 0o644], ['auth-accepted.map', 0o600]]);
    assert.equal(files[0]!.content, `alice ${APR1}\nsam ${SHA}\n`);
    assert.deepEqual(basicAuthUserlists([{ basicAuth: a }]).slice(1, 2), [`  user 'bea' password '${BCRYPT}'`]);
  });

  test('no users: every request is refused', () => {
    assert.match(basicAuthLines(auth([]), '/g')[0]!, /WWW-Authenticate 'Basic realm="R"'$/);
  });

  test('the data plane checks every value again', () => {
    assert.throws(() => basicAuthUserlists([{ basicAuth: auth([{ name: "x'", hash: SHA512 }]) }]), c.UnsafeValueError);
    assert.throws(() => basicAuthUserlists([{ basicAuth: auth([{ name: 'x', hash: `${SHA512}' insecure-password 'y` }]) }]), c.UnsafeValueError);
    assert.throws(() => basicAuthFiles([{ basicAuth: auth([{ name: 'x', hash: `${APR1}\ny ${APR1}` }]) }]), c.UnsafeValueError);
    assert.throws(() => basicAuthLines(auth([], "a' b"), '/g'), c.UnsafeValueError);
    assert.throws(() => basicAuthLines(auth([], '%[env(HOME)]"'), '/g'), c.UnsafeValueError);
    // `%` alone is doubled: never a log-format expression.
    assert.match(basicAuthLines(auth([], '%[env(HOME)]'), '/g')[0]!, /realm="%%\[env\(HOME\)\]"/);
  });

  test('only featured backends pay: a configuration without basic auth has no Lua and no userlist', () => {
    const { model } = translateJson([...app(), web({})]);
    const names = new BackendNames(structureFor(model));
    const config = renderConfig(model, { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, '/s/gen-1', names);
    assert.doesNotMatch(config, /lua|userlist|Authorization/);
  });

  test('HAProxy accepts a configuration with basic auth of every kind (haproxy -c)', async () => {
    const objects = [
      ...app(),
      secret('users', { auth: `alice:${APR1}\nsix:${SHA512}\nsam:${SHA}\n` }),
      secret('crypt', { auth: `bea:${BCRYPT}\n` }),
      web(basic({ [`${A}/auth-realm`]: 'Protected 100% area' }), 'one'),
      web(basic({ [`${A}/auth-secret`]: 'crypt' }), 'two'),
      web(basic({ [`${A}/auth-secret`]: 'missing' }), 'three'),
    ];
    const generated = await generateSelfSigned('test', ['a.test'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const { model } = translateJson(objects, { fallbackCertificatePem: inspected.info.pem });
    const config = await assertHaproxyAccepts(model);
    assert.equal((config.match(/^userlist /gm) ?? []).length, 2);
    assert.equal((config.match(/lua-load-per-thread/g) ?? []).length, 1);
  });
});

