// The process around the routing: flags, health endpoints, supervision of
// HAProxy, the last good config surviving a refused one, graceful stop.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { BIN, eventually, startPortero, type Portero } from '../helpers/portero.js';

const run = promisify(execFile);

async function portero(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('command line', () => {
  test('--help documents every flag', async () => {
    const { code, stdout } = await portero(['--help']);
    assert.equal(code, 0);
    for (const flag of [
      '--manifests', '--kubeconfig', '--http-port', '--https-port', '--bind-address', '--health-port', '--state-dir',
      '--ingress-class', '--controller-class', '--watch-ingress-without-class', '--default-backend-service',
      '--default-ssl-certificate', '--haproxy', '--log-level',
    ]) {
      assert.ok(stdout.includes(flag), `--help does not mention ${flag}`);
    }
  });

  test('a bad flag value is refused with a message naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['--http-port', '99999'], /--http-port/],
      [['--bind-address', 'localhost'], /--bind-address/],
      [['--default-backend-service', 'no-port'], /--default-backend-service/],
      [['--default-ssl-certificate', 'a/b/c'], /--default-ssl-certificate/],
      [['--log-level', 'loud'], /--log-level/],
      [['--state-dir', '/tmp/with space'], /--state-dir/],
      [['--annotations-prefix', 'Not A Prefix'], /--annotations-prefix/],
      [['--configmap', 'no-slash'], /--configmap/],
      [['--healthz-port', '10254', '--health-port', '10255'], /--healthz-port/],
    ];
    for (const [args, message] of cases) {
      const result = await portero(args);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, message);
    }
  });

  test('a missing HAProxy is reported with the command that installs it', async () => {
    const manifests = await mkdtemp(join(tmpdir(), 'portero-empty-'));
    const result = await portero(['--manifests', manifests, '--haproxy', '/nonexistent/haproxy', '--state-dir', join(manifests, 'state')]);
    await rm(manifests, { recursive: true, force: true });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /apt-get install -y haproxy/);
  });
});

describe('state directory', () => {
  // `--haproxy /nonexistent/haproxy`: Portero checks the state directory first
  // and stops at the HAProxy check right after, so nothing is served.
  const missingHaproxy = ['--haproxy', '/nonexistent/haproxy'];

  test('a state directory other users can write is refused with what to do', async () => {
    const base = await mkdtemp(join(tmpdir(), 'portero-open-'));
    const state = join(base, 'state');
    await mkdir(state);
    await chmod(state, 0o777);
    const result = await portero(['--manifests', base, '--state-dir', state, ...missingHaproxy]);
    await rm(base, { recursive: true, force: true });
    assert.equal(result.code, 1);
    assert.match(result.stdout, new RegExp(`"err":"state directory ${state} is writable by group and others \\(mode 0777\\); another local user could plant a certificate or replace the admin socket in it`));
  });

  // The December 2026 campaign: another local user creates the predictable
  // $TMPDIR/portero-UID first and plants a certificate in it.
  const asRoot = process.getuid?.() === 0 ? false : 'needs root to run Portero as another user';
  test("another user's default directory is refused; $XDG_RUNTIME_DIR is used when set", { skip: asRoot }, async () => {
    const base = await mkdtemp(join(tmpdir(), 'portero-users-'));
    await chmod(base, 0o755);
    const planted = join(base, 'portero-65534');
    await mkdir(planted);
    await chmod(planted, 0o777);
    await writeFile(join(planted, 'default-cert.pem'), 'planted');
    const runtime = join(base, 'run-65534');
    await mkdir(runtime, { mode: 0o700 });
    await chown(runtime, 65534, 65534);
    const asNobody = async (env: Record<string, string>) => {
      try {
        await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, BIN, '--manifests', base, ...missingHaproxy], { timeout: 20_000 });
        return { code: 0, stdout: '' };
      } catch (error) {
        return error as { code: number; stdout: string };
      }
    };
    try {
      const attacked = await asNobody({ TMPDIR: base, XDG_RUNTIME_DIR: '' });
      assert.equal(attacked.code, 1);
      assert.match(attacked.stdout, /"err":"state directory [^"]*\/portero-65534 belongs to uid 0, not to this user \(uid 65534\); another local user could plant a certificate/);
      const private_ = await asNobody({ TMPDIR: base, XDG_RUNTIME_DIR: runtime });
      assert.equal(private_.code, 1);
      assert.match(private_.stdout, /apt-get install -y haproxy/, 'got past the state directory');
      const created = await lstat(join(runtime, 'portero'));
      assert.ok(created.isDirectory());
      assert.equal(created.mode & 0o777, 0o700);
      assert.equal(created.uid, 65534);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('supervision', () => {
  let instance: Portero;
  let app: Backend;
  let wrapperDir: string;
  let failMarker: string;

  before(async () => {
    app = await startBackend('app');
    // An HAProxy that refuses every config check while the marker file exists.
    wrapperDir = await mkdtemp(join(tmpdir(), 'portero-wrapper-'));
    failMarker = join(wrapperDir, 'fail-check');
    const wrapper = join(wrapperDir, 'haproxy');
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ -e "${failMarker}" ]; then for a in "$@"; do if [ "$a" = "-c" ]; then echo "[ALERT] (1) : simulated refusal" >&2; exit 1; fi; done; fi\nexec haproxy "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    instance = await startPortero({
      flags: ['--haproxy', wrapper],
      files: {
        'app.yaml': [
          ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
          ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ path: '/v1', service: 'app' }] }] }),
        ],
      },
    });
  });

  after(async () => {
    await instance?.dispose();
    await app?.close();
    await rm(wrapperDir, { recursive: true, force: true });
  });

  test('/healthz and /readyz answer 200 once serving', async () => {
    assert.equal(await instance.health('/healthz'), 200);
    assert.equal(await instance.health('/readyz'), 200);
  });

  test('a configuration HAProxy refuses is never loaded; the last good one keeps serving', async () => {
    await writeFile(failMarker, '');
    // The first wildcard host changes the configuration's structure: that takes a checked reload.
    await instance.write('app.yaml', [
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ path: '/v1', service: 'app' }] }, { host: '*.wild.test', paths: [{ service: 'app' }] }] }),
    ]);
    const error = await instance.waitForLog((entry) => entry.level === 'error' && String(entry.reason ?? '').includes('simulated refusal'));
    assert.match(String(error.msg), /last good configuration keeps serving/);
    assert.equal(await whoAnswers(instance.httpPort, 'app.test', '/v1'), 'app');
    assert.equal(await whoAnswers(instance.httpPort, 'a.wild.test', '/'), 'status:404');

    await rm(failMarker);
    await instance.write('app.yaml', [
      ...serviceWithEndpoints({ name: 'app', endpoints: [app] }),
      ingress({ name: 'app', rules: [{ host: 'app.test', paths: [{ path: '/v3', service: 'app' }] }, { host: '*.wild.test', paths: [{ service: 'app' }] }] }),
    ]);
    await eventually(async () => assert.equal(await whoAnswers(instance.httpPort, 'a.wild.test', '/'), 'app'));
    assert.equal(await whoAnswers(instance.httpPort, 'app.test', '/v3'), 'app');
  });

  test('HAProxy is started again when it dies', async () => {
    const pid = Number((await readFile(join(instance.stateDir, 'haproxy.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await instance.waitForLog((entry) => entry.msg === 'HAProxy started again', 15_000);
    await eventually(async () => assert.equal(await whoAnswers(instance.httpPort, 'app.test', '/v3'), 'app'));
    assert.equal(await instance.health('/healthz'), 200);
  });

  test('SIGTERM stops HAProxy gracefully and exits 0', async () => {
    const pid = Number((await readFile(join(instance.stateDir, 'haproxy.pid'), 'utf8')).trim());
    assert.ok(alive(pid));
    const result = await instance.stop('SIGTERM');
    assert.deepEqual(result, { code: 0, signal: null });
    await eventually(() => assert.ok(!alive(pid), 'HAProxy still runs'));
  });
});
