// Basic authentication (auth-type, auth-secret, auth-secret-type,
// auth-realm) through real HAProxy: htpasswd files and auth-map Secrets with
// every hash format Portero verifies, hashes generated at test time by the
// same tools users run (openssl passwd, htpasswd when installed), and the
// life of a Secret on one running Portero: missing, added, changed.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function openssl(...args: string[]): string {
  return execFileSync('openssl', ['passwd', ...args], { encoding: 'utf8' }).trim();
}

/**
 * bcrypt (Node has none): apache2-utils' htpasswd (`$2y$`) when installed,
 * else Python's crypt module on libxcrypt (`$2b$`).
 */
function bcrypt(user: string, password: string): string | undefined {
  try {
    return execFileSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(':')[1];
  } catch {
    try {
      const script = 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))';
      return execFileSync('python3', ['-W', 'ignore', '-c', script, password], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

const sha = (password: string) => `{SHA}${createHash('sha1').update(password).digest('base64')}`;
/** Salted SHA-1 as OpenLDAP's slappasswd writes it: base64 of digest + salt. */
const ssha = (password: string, salt: string) => `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), Buffer.from(salt)]).toString('base64')}`;
const BCRYPT = bcrypt('bea', 'bcrypt-pw');

const HTPASSWD = [
  '# users of the protected site',
  `alice:${openssl('-apr1', 'alice-pw')}`,
  `sam:${sha('sam-pw')}`,
  `sal:${ssha('sal-pw', 'pepper!')}`,
  `five:${openssl('-5', 'five-pw')}`,
  `six:${openssl('-6', 'six-pw')}`,
  `md5:${openssl('-1', 'md5-pw')}`,
  ...(BCRYPT ? [`bea:${BCRYPT}`, `bey:${BCRYPT.replace(/^\$2[ab]\$/, '$2y$')}`] : []),
  '',
].join('\n');

function secret(name: string, stringData: Record<string, string>): Json {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: 'default' }, stringData };
}

function annotated(name: string, host: string, annotations: Record<string, string>): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ service: 'app' }] }] });
}

const basic = (secretName: string, extra: Record<string, string> = {}) => ({ [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: secretName, ...extra });

function authorization(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

describe('ingress-nginx annotations: basic authentication', () => {
  let portero: Portero;
  let app: Backend;

  before(async () => {
    app = await startBackend('app');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'app.yaml': serviceWithEndpoints({ name: 'app', endpoints: [app] }),
        'secrets.yaml': [
          secret('htpasswd', { auth: HTPASSWD, unrelated: 'never stored' }),
          secret('map', { carol: openssl('-apr1', 'carol-pw'), dave: sha('dave-pw') }),
          secret('plain', { auth: 'eve:{PLAIN}eve-pw\n' }),
        ],
        'ingresses.yaml': [
          annotated('open', 'open.auth.test', {}),
          annotated('file', 'file.auth.test', basic('htpasswd', { [`${A}/auth-realm`]: 'Protected 100% area' })),
          annotated('map', 'map.auth.test', basic('default/map', { [`${A}/auth-secret-type`]: 'auth-map' })),
          annotated('missing', 'missing.auth.test', basic('nowhere')),
          annotated('no-key', 'nokey.auth.test', basic('map')),
          annotated('plain', 'plain.auth.test', basic('plain')),
          annotated('digest', 'digest.auth.test', { [`${A}/auth-type`]: 'digest', [`${A}/auth-secret`]: 'htpasswd' }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
  });

  const get = (host: string, headers: Record<string, string> = {}) => request({ port: portero.httpPort, host, path: '/p', headers });

  test('an Ingress without auth is not affected', async () => {
    assert.equal((await get('open.auth.test')).status, 200);
  });

  test('no credentials: 401 with the realm, and the request never reaches the Service', async () => {
    const before = app.requests.length;
    const response = await get('file.auth.test');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Basic realm="Protected 100% area"');
    assert.equal(app.requests.length, before);
  });

  test('auth-file: $apr1$ (htpasswd default), {SHA}, $5$, $6$ and $1$ and {SSHA} users get in; Authorization is not forwarded', async () => {
    for (const [user, password] of [['alice', 'alice-pw'], ['sam', 'sam-pw'], ['sal', 'sal-pw'], ['five', 'five-pw'], ['six', 'six-pw'], ['md5', 'md5-pw']] as const) {
      const response = await get('file.auth.test', authorization(user, password));
      assert.equal(response.status, 200, user);
      assert.equal(response.echo?.headers.authorization, undefined, user);
    }
  });

  test('auth-file: bcrypt ($2b$, $2y$) users get in', async () => {
    assert.ok(BCRYPT, 'this test needs a bcrypt hash: install apache2-utils (htpasswd) or python3 with its crypt module');
    assert.equal((await get('file.auth.test', authorization('bea', 'bcrypt-pw'))).status, 200);
    assert.equal((await get('file.auth.test', authorization('bey', 'bcrypt-pw'))).status, 200);
    assert.equal((await get('file.auth.test', authorization('bea', 'wrong'))).status, 401);
  });

  test('a wrong password, an unknown user or another scheme: 401 with the realm', async () => {
    for (const headers of [authorization('alice', 'alice-pw!'), authorization('sam', 'nope'), authorization('six', 'five-pw'), authorization('sal', 'pepper!'), authorization('nobody', 'alice-pw'), authorization('alice', ''), { authorization: 'Bearer abc' }, { authorization: 'Basic !!!' }]) {
      const response = await get('file.auth.test', headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(response.headers['www-authenticate'], 'Basic realm="Protected 100% area"');
    }
  });

  test('auth-map: each key is a user, its value the hash; the default realm is empty', async () => {
    assert.equal((await get('map.auth.test', authorization('carol', 'carol-pw'))).status, 200);
    assert.equal((await get('map.auth.test', authorization('dave', 'dave-pw'))).status, 200);
    const refused = await get('map.auth.test', authorization('carol', 'dave-pw'));
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['www-authenticate'], 'Basic realm=""');
  });

  test('a missing Secret, a missing key, a refused hash or digest: 503, with a warning naming the annotation and the Secret', async () => {
    for (const host of ['missing.auth.test', 'nokey.auth.test', 'plain.auth.test', 'digest.auth.test']) {
      assert.equal((await get(host, authorization('alice', 'alice-pw'))).status, 503, host);
    }
    const missing = await portero.waitForLog((line) => line.object === 'Ingress default/missing' && line.field === `metadata.annotations["${A}/auth-secret"]`);
    assert.match(String(missing.msg), /Secret default\/nowhere not found .*; its paths answer 503/);
    const noKey = await portero.waitForLog((line) => line.object === 'Ingress default/no-key');
    assert.match(String(noKey.msg), /Secret default\/map has no key auth/);
    const plain = await portero.waitForLog((line) => line.object === 'Ingress default/plain');
    assert.match(String(plain.msg), /line 1: user "eve" has a \{PLAIN\} password/);
    assert.doesNotMatch(String(plain.msg), /eve-pw/);
    const digest = await portero.waitForLog((line) => line.object === 'Ingress default/digest');
    assert.match(String(digest.msg), /digest authentication is not supported/);
  });

  test('on one running Portero: a Secret added later protects the paths, a change of its users applies, removing it fails closed', async () => {
    await portero.write('late.yaml', [annotated('late', 'late.auth.test', basic('late', { [`${A}/auth-realm`]: 'late' }))]);
    await eventually(async () => assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw'))).status, 503));
    await portero.write('late-secret.yaml', [secret('late', { auth: `frank:${openssl('-apr1', 'frank-pw')}\n` })]);
    await eventually(async () => assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw'))).status, 200));
    assert.equal((await get('late.auth.test')).status, 401);
    // An accepted $apr1$ password is remembered by the worker (basic-auth-lua.ts): a new password must still end it at once.
    for (let i = 0; i < 3; i += 1) assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw'))).status, 200);
    assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw!'))).status, 401);
    await portero.write('late-secret.yaml', [secret('late', { auth: `frank:${openssl('-apr1', 'frank-new-pw')}\n` })]);
    await eventually(async () => assert.equal((await get('late.auth.test', authorization('frank', 'frank-new-pw'))).status, 200));
    assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw'))).status, 401);
    await portero.write('late-secret.yaml', [secret('late', { auth: `grace:${openssl('-6', 'grace-pw')}\nfrank:${sha('new-pw')}\n` })]);
    await eventually(async () => assert.equal((await get('late.auth.test', authorization('grace', 'grace-pw'))).status, 200));
    assert.equal((await get('late.auth.test', authorization('frank', 'frank-pw'))).status, 401);
    assert.equal((await get('late.auth.test', authorization('frank', 'new-pw'))).status, 200);
    await portero.remove('late-secret.yaml');
    await eventually(async () => assert.equal((await get('late.auth.test', authorization('grace', 'grace-pw'))).status, 503));
  });

  test('only user names and hashes reach the state directory, in files only Portero can read', async () => {
    const { readdir, readFile, stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const generations = (await readdir(portero.stateDir)).filter((name) => /^gen-\d+$/.test(name));
    const texts: string[] = [];
    for (const generation of generations) {
      const dir = join(portero.stateDir, generation, 'auth');
      for (const file of await readdir(dir).catch(() => [] as string[])) {
        assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600);
        texts.push(await readFile(join(dir, file), 'utf8'));
      }
    }
    texts.push(await readFile(join(portero.stateDir, 'haproxy.cfg'), 'utf8'));
    for (const text of texts) {
      assert.doesNotMatch(text, /never stored|alice-pw|carol-pw/);
    }
    assert.ok(texts.some((text) => text.includes('carol $apr1$')));
  });
});
