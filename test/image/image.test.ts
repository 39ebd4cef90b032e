// The container image, end to end, without a Docker engine (`npm run test:image`):
// scripts/image.mjs builds the Dockerfile with buildah (or reuses the build
// when nothing it copies changed), then this test runs the image's own
// entrypoint with `buildah run` as the image's non-root user, serving the
// manifests of examples/, and checks what a kubelet would: real traffic
// through HAProxy in the container, /readyz, that nothing is written outside
// the state directory and /tmp, and a clean stop on SIGTERM.
//
// How the container runs, and why:
// - `buildah run --isolation chroot` shares the host's network and process
//   namespaces (it has no others to give). So the test's backends and
//   Portero's ports meet on 127.0.0.1, and the process tree is visible: the
//   test sends SIGTERM to the image's PID 1 program (tini) itself, as a
//   container runtime does. `buildah run` forwards no signal (it kills its
//   child on SIGTERM), so signalling it would test nothing.
// - tini is not PID 1 here, so TINI_SUBREAPER=1 makes it adopt orphans as
//   PID 1 would (and keeps it from warning about it).
// - Writes outside the state directory and /tmp: buildah run has no
//   read-only root file system, so the test compares the container's root
//   file system (`buildah mount`) before and after the run instead, and
//   mounts the volume /var/lib/portero itself, as an emptyDir (mode 1777),
//   where only state/ may appear. buildah itself writes a few files into the
//   root at every run (/etc/hosts, /etc/resolv.conf, the mount point of
//   /manifests): a control run of `true`, with the same flags, before the
//   real one finds them, so that they are told apart from Portero's own
//   writes without a hand-kept list.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { request } from '../helpers/http.js';
import { eventually, freePorts, ROOT } from '../helpers/portero.js';

const execFileAsync = promisify(execFile);
const IMAGE = process.env.PORTERO_IMAGE || 'localhost/portero:dev';
const BUILDAH = ['--storage-driver', 'vfs'];
const USER = '10001:10001';
/** The image's VOLUME, where deploy/ mounts an emptyDir; the entrypoint's default state directory is inside. */
const VOLUME = '/var/lib/portero';
const STATE_DIR = `${VOLUME}/state`;
/** What Portero may write in the root file system: its state directory (on the volume, see below) and /tmp. */
const ALLOWED = [STATE_DIR, '/tmp'];

async function buildah(...args: string[]): Promise<string> {
  try {
    return (await execFileAsync('buildah', [...BUILDAH, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('buildah is missing: run `npm run image` first (it installs buildah with apt-get), or `sudo apt-get install -y buildah`');
    throw new Error(`buildah ${args.join(' ')}: ${failure.stderr?.trim() || failure.message}`);
  }
}

/** One line per file of a root file system: type, mode, owner, size, modification time, inode, link target. */
async function snapshot(rootfs: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  async function walk(relative: string): Promise<void> {
    for (const name of await readdir(join(rootfs, relative))) {
      const path = `${relative}/${name}`;
      const info = await lstat(join(rootfs, path), { bigint: true });
      const kind = info.isDirectory() ? 'dir' : info.isSymbolicLink() ? `link->${await readlink(join(rootfs, path))}` : info.isFile() ? 'file' : 'other';
      // A directory's own time changes whenever an entry comes or goes; the entry itself is what counts.
      const time = info.isDirectory() ? '' : `${info.mtimeNs}/${info.ctimeNs}`;
      entries.set(path, `${kind} ${info.mode.toString(8)} ${info.uid}:${info.gid} ${info.isDirectory() ? '' : info.size} ${time} ${info.ino}`);
      if (info.isDirectory()) await walk(path);
    }
  }
  await walk('');
  return entries;
}

/** Paths added, removed or changed between two snapshots. */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, line] of after) if (before.get(path) !== line) changed.push(before.has(path) ? `changed ${path}` : `added ${path}`);
  for (const path of before.keys()) if (!after.has(path)) changed.push(`removed ${path}`);
  return changed.sort();
}

const pathOf = (change: string) => change.slice(change.indexOf(' ') + 1);
const allowed = (path: string) => ALLOWED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));

/**
 * The processes under `pid`, with their program names (argv[0] without its
 * folder: /proc/PID/comm would say node-MainThread or memfd:buildah-c) and
 * real user ids, from /proc.
 */
function descendants(pid: number): { pid: number; comm: string; uid: number }[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; comm: string; uid: number }[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    try {
      const comm = readFileSync(`/proc/${next}/cmdline`, 'utf8').split('\0')[0]!.split('/').pop()!;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${next}/status`, 'utf8'))?.[1]);
      found.push({ pid: next, comm, uid });
    } catch {
      continue;
    }
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

function backend(name: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name}: ${req.method} ${req.headers.host ?? ''}${req.url ?? ''}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe(`the image ${IMAGE}`, () => {
  const container = `portero-image-test-${process.pid}`;
  let workdir = '';
  let rootfs = '';
  let run: ChildProcess | undefined;
  let exit: Promise<number | null> | undefined;
  const logs: string[] = [];
  const servers: Server[] = [];
  let httpPort = 0;
  let httpsPort = 0;
  let healthPort = 0;
  let metricsPort = 0;
  let baseline = new Map<string, string>();
  let buildahOwn: string[] = [];
  /** The same for the control run and the real one, so that buildah writes the same things (e.g. the mount point /manifests). */
  const runFlags = () => [
    'run', '--isolation', 'chroot', '--user', USER, '--env', 'TINI_SUBREAPER=1',
    '--volume', `${join(workdir, 'manifests')}:/manifests:ro`,
    '--volume', `${join(workdir, 'volume')}:${VOLUME}`,
  ];

  before(async () => {
    // buildah builds and runs containers as root here (chroot isolation, vfs storage).
    if (process.getuid?.() !== 0) throw new Error('the image test runs buildah as root: run  sudo env "PATH=$PATH" npm run test:image');
    // Builds the image, or reuses it when the files the Dockerfile copies are unchanged.
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'image.mjs')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    assert.equal(build.status, 0, 'scripts/image.mjs failed to build the image (its output is above)');

    // The example manifests, with the demo backends' ports (18081, 18082) moved to free ones.
    const ports = await freePorts(6);
    const [v1, v2] = ports as [number, number];
    [httpPort, httpsPort, healthPort, metricsPort] = ports.slice(2) as [number, number, number, number];
    servers.push(await backend('api-v1', v1), await backend('api-v2', v2));
    workdir = await mkdtemp(join(tmpdir(), 'portero-image-'));
    const manifests = join(workdir, 'manifests');
    await mkdir(manifests);
    for (const name of (await readdir(join(ROOT, 'examples'))).filter((file) => /\.ya?ml$/.test(file))) {
      const text = await readFile(join(ROOT, 'examples', name), 'utf8');
      await writeFile(join(manifests, name), text.replace(/\b18081\b/g, String(v1)).replace(/\b18082\b/g, String(v2)), { mode: 0o644 });
    }
    // mkdtemp makes 0700 directories: the image's user must be able to read them.
    await chmod(workdir, 0o755);
    await chmod(manifests, 0o755);
    // The volume, as a Kubernetes emptyDir is: empty and writable by everyone.
    await mkdir(join(workdir, 'volume'));
    await chmod(join(workdir, 'volume'), 0o1777);

    await buildah('rm', container).catch(() => undefined);
    await buildah('from', '--pull=never', '--name', container, IMAGE);
    // The test mounts the volume itself (below), as the kubelet mounts the emptyDir. buildah 1.28 would
    // otherwise also mount an anonymous volume of its own there, on top of the test's one or under it
    // depending on the other mounts: the image's VOLUME is dropped from the working container only.
    await buildah('config', '--volume', `${VOLUME}-`, container);
    rootfs = (await buildah('mount', container)).trim();
    // The control run: what buildah itself writes into the root at every run.
    const pristine = await snapshot(rootfs);
    await buildah(...runFlags(), container, '--', 'true');
    baseline = await snapshot(rootfs);
    buildahOwn = changes(pristine, baseline).map(pathOf);
  });

  after(async () => {
    // Whatever happened, nothing the test started outlives it.
    if (run?.pid !== undefined && run.exitCode === null) {
      for (const child of descendants(run.pid).reverse()) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      run.kill('SIGKILL');
      await exit;
    }
    for (const server of servers) server.close();
    await buildah('rm', container).catch((error: Error) => console.error(`could not remove the container ${container}: ${error.message}`));
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  test('its entrypoint serves the examples as user 10001, ready, and stops cleanly on SIGTERM, writing only its state directory and /tmp', async () => {
    const config = JSON.parse(await buildah('inspect', '--type', 'image', IMAGE)) as { OCIv1: { config: { Entrypoint?: string[]; User?: string; Volumes?: Record<string, unknown> } } };
    const entrypoint = config.OCIv1.config.Entrypoint ?? [];
    assert.deepEqual(entrypoint.slice(0, 2), ['/usr/bin/tini', '--'], 'the image starts Portero under tini');
    assert.equal(config.OCIv1.config.User, USER, 'the image runs as its non-root user');
    assert.deepEqual(Object.keys(config.OCIv1.config.Volumes ?? {}), [VOLUME], 'the image declares its state volume');

    // The image's entrypoint, with arguments as `docker run IMAGE ARGS...` would give them
    // (no --state-dir: the entrypoint's default is part of what is tested).
    const args = [
      '--manifests', '/manifests',
      '--http-port', String(httpPort),
      '--https-port', String(httpsPort),
      '--health-port', String(healthPort),
      '--haproxy-metrics-port', String(metricsPort),
      // The host's network: listen on loopback only.
      '--bind-address', '127.0.0.1',
      // Nothing balances traffic onto it: a short grace period still takes the graceful path.
      '--shutdown-grace-period', '1s',
    ];
    run = spawn(
      'buildah',
      [...BUILDAH, ...runFlags(), container, '--', ...entrypoint, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter((line) => line !== ''));
    run.stdout!.on('data', collect);
    run.stderr!.on('data', collect);
    const started = run;
    exit = new Promise((resolve) => started.on('exit', (code) => resolve(code)));
    const recent = () => logs.slice(-30).join('\n');

    // Ready: the first configuration serves. Start-up in the container (Node.js, then HAProxy) takes a few seconds.
    await eventually(async () => {
      if (started.exitCode !== null) throw new Error(`the container exited with ${started.exitCode}:\n${recent()}`);
      const ready = await request({ port: healthPort, path: '/readyz' });
      assert.equal(ready.status, 200, `/readyz answered ${ready.status}:\n${recent()}`);
    }, 90_000, 100);

    // Every process of the container runs as the image's user, and tini is its first.
    const processes = descendants(started.pid!).filter((proc) => !proc.comm.startsWith('buildah'));
    const names = processes.map((proc) => proc.comm);
    for (const expected of ['tini', 'node', 'haproxy']) assert.ok(names.includes(expected), `no ${expected} process in the container (found ${names.join(', ')})`);
    for (const proc of processes) assert.equal(proc.uid, 10001, `${proc.comm} (${proc.pid}) runs as uid ${proc.uid}`);

    // Traffic through HAProxy in the container to the test's backends, routed as examples/ says.
    const v1 = await request({ port: httpPort, host: 'example.com', path: '/api/v1/users' });
    assert.equal(v1.status, 200);
    assert.match(v1.body, /^api-v1: GET example\.com\/api\/v1\/users/);
    const v2 = await request({ port: httpPort, host: 'example.com', path: '/api/v2' });
    assert.equal(v2.status, 200);
    assert.match(v2.body, /^api-v2: /);
    assert.equal((await request({ port: httpPort, host: 'example.com', path: '/api/v3' })).status, 404);
    const rewritten = await request({ port: httpPort, host: 'legacy.example.com', path: '/app/users?page=2' });
    assert.equal(rewritten.status, 200, 'the ingress-nginx example (rewrite-target) is served');
    // HTTPS: its Secret exists only after `npm start`, so the host is served on the certificate Portero generated at start.
    const secure = await request({ port: httpsPort, host: 'secure.example.com', path: '/', tls: true });
    assert.equal(secure.status, 200);
    assert.match(secure.body, /^api-v1: /);
    assert.equal((await request({ port: httpPort, host: 'secure.example.com', path: '/' })).status, 308, 'plain HTTP to a TLS host redirects');
    assert.equal((await request({ port: metricsPort, path: '/metrics' })).status, 200, "HAProxy's exporter answers");

    // SIGTERM to the container's first process, as the runtime sends it on `docker stop` or pod deletion.
    const tini = processes.find((proc) => proc.comm === 'tini')!;
    process.kill(tini.pid, 'SIGTERM');
    const deadline = 30_000;
    const code = await Promise.race([exit, new Promise<'timeout'>((resolve) => setTimeout(resolve, deadline, 'timeout').unref())]);
    assert.notEqual(code, 'timeout', `the container did not stop within ${deadline / 1000} s of SIGTERM:\n${recent()}`);
    assert.equal(code, 0, `the container exited with ${code} on SIGTERM:\n${recent()}`);
    assert.ok(logs.some((line) => line.includes('"msg":"stopped"')), `Portero did not log "stopped":\n${recent()}`);
    assert.deepEqual(descendants(started.pid!), [], 'processes of the container outlived it');

    // Nothing written outside the state directory and /tmp.
    const written = changes(baseline, await snapshot(rootfs)).filter((change) => !allowed(pathOf(change)) && !buildahOwn.includes(pathOf(change)));
    assert.deepEqual(written, [], 'Portero wrote outside its state directory and /tmp');
    // On the volume: the state directory only, private to the image's user.
    assert.deepEqual(await readdir(join(workdir, 'volume')), ['state'], `Portero wrote next to its state directory on the volume ${VOLUME}`);
    const state = await lstat(join(workdir, 'volume', 'state'));
    assert.equal(state.uid, 10001);
    assert.equal(state.mode & 0o777, 0o700);
    assert.ok((await readdir(join(workdir, 'volume', 'state'))).length > 0, `Portero wrote nothing into ${STATE_DIR}: is the entrypoint's default state directory used?`);
  });
});
