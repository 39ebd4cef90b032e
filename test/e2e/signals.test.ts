// Signals as they arrive in real life: to the whole process group (Ctrl-C in
// a terminal, `kill -- -PGID`, `tini -g`), before Portero is ready, twice or
// three times. Real bin/portero, real HAProxy, real signals, and a
// backend that holds a response open until the test lets it finish, so that
// "the request in flight completes" never depends on timing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { nextLoopbackAddress } from '../helpers/backends.js';
import { request, whoAnswers } from '../helpers/http.js';
import { appOn, toYaml, type Json } from '../helpers/objects.js';
import { BIN, eventually, freePorts, Portero, startPortero } from '../helpers/portero.js';

const HOST = 'signals.test';

/** A backend: /hold sends a first line at once and the rest only on release(); other paths answer like the test backends. */
interface HoldingBackend {
  address: string;
  port: number;
  /** Responses to /hold still open. */
  readonly open: number;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingBackend(): Promise<HoldingBackend> {
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    if (req.url === '/hold') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': 'holder' });
      res.write('first\n');
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'holder' });
    res.end(JSON.stringify({ name: 'holder', url: req.url }));
  });
  const address = nextLoopbackAddress();
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return {
    address,
    port: (server.address() as AddressInfo).port,
    get open() {
      return held.size;
    },
    release() {
      for (const res of held) res.end('last\n');
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A GET /hold through Portero: `started` once the first line arrived, `done` with the body and whether it was complete. */
function heldRequest(port: number): { started: Promise<void>; done: Promise<{ complete: boolean; body: string }> } {
  let markStarted!: () => void;
  let failStarted!: (error: Error) => void;
  const started = new Promise<void>((resolve, reject) => ((markStarted = resolve), (failStarted = reject)));
  const done = new Promise<{ complete: boolean; body: string }>((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/hold', headers: { host: HOST }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('first\n')) markStarted();
      });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ complete: res.complete, body }));
    });
    req.on('error', (error) => {
      failStarted(error);
      resolve({ complete: false, body: '' });
    });
  });
  return { started, done };
}

/** PIDs of HAProxy processes (master and workers) using this state directory. */
async function haproxyPids(stateDir: string): Promise<number[]> {
  const marker = join(stateDir, 'master.sock');
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.split('\0').includes(marker) && !(await readFile(`/proc/${name}/stat`, 'utf8')).includes(') Z ')) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function noHaproxyLeft(stateDir: string): Promise<void> {
  await eventually(async () => assert.deepEqual(await haproxyPids(stateDir), [], 'HAProxy processes are left'));
}

/** Starts bin/portero as the leader of its own process group, as a shell or systemd would. */
async function startGroupLeader(files: Record<string, Json[]>, flags: string[]): Promise<Portero> {
  const manifests = await mkdtemp(join(tmpdir(), 'portero-manifests-'));
  const stateDir = await mkdtemp(join(tmpdir(), 'portero-state-'));
  for (const [name, objects] of Object.entries(files)) await writeFile(join(manifests, name), toYaml(objects));
  const [httpPort, httpsPort, healthPort] = (await freePorts(3)) as [number, number, number];
  const args = [
    '--manifests', manifests, '--state-dir', stateDir,
    '--http-port', String(httpPort), '--https-port', String(httpsPort), '--health-port', String(healthPort),
    '--haproxy-metrics-port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug', ...flags,
  ];
  const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const portero = new Portero(child, manifests, stateDir, httpPort, httpsPort, healthPort);
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`portero exited with ${child.exitCode}:\n${portero.logs.join('\n')}`);
    assert.equal(await portero.health('/readyz'), 200);
  }, 30_000, 25);
  return portero;
}

/** After a test, whatever happened: nothing of this Portero keeps running. */
async function cleanUp(portero: Portero | undefined): Promise<void> {
  if (!portero) return;
  if (portero.child.exitCode === null && portero.child.signalCode === null) portero.child.kill('SIGKILL');
  for (const pid of await haproxyPids(portero.stateDir)) process.kill(pid, 'SIGKILL');
  await portero.dispose();
}

function unexpectedRestarts(portero: Portero): string[] {
  return portero.entries().map((entry) => String(entry.msg)).filter((msg) => /exited unexpectedly|started again|could not be started again/.test(msg));
}

const GRACE_MS = 3000;

describe('a signal to the whole process group (Ctrl-C in a terminal, kill -- -PGID, tini -g)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: HAProxy is not restarted, keeps serving through the grace period, and finishes the request in flight`, async () => {
      const backend = await startHoldingBackend();
      let portero: Portero | undefined;
      try {
        portero = await startGroupLeader({ 'app.yaml': appOn(HOST, [backend]) }, ['--shutdown-grace-period', `${GRACE_MS}ms`]);
        const held = heldRequest(portero.httpPort);
        await held.started;
        const sent = Date.now();
        process.kill(-portero.child.pid!, signal);
        await portero.waitForLog((entry) => String(entry.msg).startsWith('stopping:'));
        // The grace period starts when Portero gets the signal, after `sent`: probing
        // for half of it stays inside it however slow the machine is.
        let probes = 0;
        while (Date.now() - sent < GRACE_MS / 2) {
          assert.equal(await whoAnswers(portero.httpPort, HOST, `/probe-${probes}`), 'holder', `probe ${probes} during the grace period`);
          probes += 1;
        }
        // Once the grace period is over HAProxy stops listening, while the request in flight is still held open.
        await eventually(() => assert.rejects(request({ port: portero!.httpPort, host: HOST, timeoutMs: 2000 }), /ECONNREFUSED/), 20_000);
        assert.equal(backend.open, 1, 'the request in flight is still open');
        backend.release();
        assert.deepEqual(await held.done, { complete: true, body: 'first\nlast\n' });
        assert.deepEqual(await portero.exit, { code: 0, signal: null });
        await noHaproxyLeft(portero.stateDir);
        assert.deepEqual(unexpectedRestarts(portero), []);
        assert.ok(probes > 0);
      } finally {
        await cleanUp(portero);
        await backend.close();
      }
    });
  }

  test('HAProxy, in its own process group, still stops when Portero is killed (SIGKILL)', async () => {
    const backend = await startHoldingBackend();
    let portero: Portero | undefined;
    try {
      portero = await startGroupLeader({ 'app.yaml': appOn(HOST, [backend]) }, []);
      const master = Number((await readFile(join(portero.stateDir, 'haproxy.pid'), 'utf8')).trim());
      assert.notEqual(master, 0);
      assert.equal(await readFile(`/proc/${master}/stat`, 'utf8').then((stat) => stat.split(') ')[1]?.split(' ')[2]), String(master), 'HAProxy leads its own process group');
      portero.child.kill('SIGKILL');
      await portero.exit;
      await noHaproxyLeft(portero.stateDir);
    } finally {
      await cleanUp(portero);
      await backend.close();
    }
  });
});

describe('signals before Portero is ready', () => {
  let wrapperDir: string;

  /** An HAProxy whose `-v` (Portero's first check) waits until the test creates `go`. */
  async function blockingHaproxy(): Promise<{ path: string; waiting: string; go: string }> {
    wrapperDir = await mkdtemp(join(tmpdir(), 'portero-wrapper-'));
    const waiting = join(wrapperDir, 'waiting');
    const go = join(wrapperDir, 'go');
    const path = join(wrapperDir, 'haproxy');
    await writeFile(path, `#!/bin/sh\nif [ "$1" = "-v" ]; then : > "${waiting}"; while [ ! -e "${go}" ]; do sleep 0.01; done; fi\nexec haproxy "$@"\n`);
    await chmod(path, 0o755);
    return { path, waiting, go };
  }

  after(async () => {
    if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
  });

  test('SIGHUP during start-up is logged and ignored; after start-up it reloads', async () => {
    const haproxy = await blockingHaproxy();
    const backend = await startHoldingBackend();
    const portero = await startPortero({ flags: ['--haproxy', haproxy.path], files: { 'app.yaml': appOn(HOST, [backend]) }, noWait: true });
    try {
      await eventually(() => readFile(haproxy.waiting));
      portero.child.kill('SIGHUP');
      await portero.waitForLog((entry) => String(entry.msg).startsWith('SIGHUP before Portero is ready: ignored'));
      await writeFile(haproxy.go, '');
      await eventually(async () => assert.equal(await portero.health('/readyz'), 200), 30_000);
      assert.equal(await whoAnswers(portero.httpPort, HOST, '/'), 'holder');
      portero.child.kill('SIGHUP');
      await portero.waitForLog((entry) => entry.msg === 'SIGHUP: reloading HAProxy with the current configuration');
      assert.deepEqual(await portero.stop('SIGTERM'), { code: 0, signal: null });
    } finally {
      await cleanUp(portero);
      await backend.close();
    }
  });

  test('SIGTERM during start-up stops Portero cleanly (exit 0) without starting HAProxy', async () => {
    const haproxy = await blockingHaproxy();
    const portero = await startPortero({ flags: ['--haproxy', haproxy.path], noWait: true });
    try {
      await eventually(() => readFile(haproxy.waiting));
      portero.child.kill('SIGTERM');
      await portero.waitForLog((entry) => String(entry.msg).startsWith('stopping:'));
      await writeFile(haproxy.go, '');
      assert.deepEqual(await portero.exit, { code: 0, signal: null });
      assert.deepEqual(await haproxyPids(portero.stateDir), []);
      assert.ok(!portero.entries().some((entry) => entry.msg === 'Portero is ready'));
    } finally {
      await cleanUp(portero);
    }
  });
});

describe('repeated SIGTERM during shutdown', () => {
  test('a second signal ends the grace period early; HAProxy still finishes the request in flight; exit 0', async () => {
    const backend = await startHoldingBackend();
    // A grace period far longer than the test: it can only end because of the second signal.
    const portero = await startPortero({ flags: ['--shutdown-grace-period', '1h'], files: { 'app.yaml': appOn(HOST, [backend]) } });
    try {
      const held = heldRequest(portero.httpPort);
      await held.started;
      portero.child.kill('SIGTERM');
      await portero.waitForLog((entry) => entry.msg === 'not ready any more; still serving during the grace period');
      assert.equal(await whoAnswers(portero.httpPort, HOST, '/during-grace'), 'holder');
      portero.child.kill('SIGTERM');
      await portero.waitForLog((entry) => String(entry.msg).startsWith('second signal: the grace period ends now'));
      await eventually(() => assert.rejects(request({ port: portero.httpPort, host: HOST, timeoutMs: 2000 }), /ECONNREFUSED/), 20_000);
      assert.equal(backend.open, 1, 'the request in flight is still open');
      assert.equal(portero.child.exitCode, null, 'Portero waits for HAProxy to finish');
      backend.release();
      assert.deepEqual(await held.done, { complete: true, body: 'first\nlast\n' });
      assert.deepEqual(await portero.exit, { code: 0, signal: null });
      await noHaproxyLeft(portero.stateDir);
    } finally {
      await cleanUp(portero);
      await backend.close();
    }
  });

  test('a third signal stops HAProxy at once and exits 1', async () => {
    const backend = await startHoldingBackend();
    const portero = await startPortero({ flags: ['--shutdown-grace-period', '1h'], files: { 'app.yaml': appOn(HOST, [backend]) } });
    try {
      const held = heldRequest(portero.httpPort);
      await held.started;
      portero.child.kill('SIGTERM');
      await portero.waitForLog((entry) => String(entry.msg).startsWith('stopping:'));
      portero.child.kill('SIGTERM');
      await portero.waitForLog((entry) => String(entry.msg).startsWith('second signal'));
      portero.child.kill('SIGTERM');
      assert.deepEqual(await portero.exit, { code: 1, signal: null });
      await portero.waitForLog((entry) => String(entry.msg).startsWith('third signal: stopping HAProxy at once'));
      assert.deepEqual(await held.done, { complete: false, body: 'first\n' }, 'the request in flight was cut');
      await noHaproxyLeft(portero.stateDir);
    } finally {
      await cleanUp(portero);
      await backend.close();
    }
  });
});

describe('SIGTERM while a reload is in progress', () => {
  // The master re-executes itself during a reload and loses a signal that
  // arrives meanwhile; Portero used to wait for --hard-stop-after (5 min).
  test('Portero and HAProxy stop at every moment of a reload', async () => {
    for (const delayMs of [20, 50, 80, 110, 140]) {
      const portero = await startPortero({ files: { 'app.yaml': appOn(HOST, [{ address: '127.0.0.9', port: 9 }]) } });
      try {
        // The first Exact path reloads HAProxy (a structural change).
        await portero.write('exact.yaml', appOn('exact.test', [{ address: '127.0.0.9', port: 9 }], 'exact').map((object) => (object.kind === 'Ingress' ? withExactPath(object) : object)));
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        portero.child.kill('SIGTERM');
        const exited = await Promise.race([portero.exit, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
        assert.deepEqual(exited, { code: 0, signal: null }, `SIGTERM ${delayMs} ms after the change`);
        await noHaproxyLeft(portero.stateDir);
      } finally {
        await cleanUp(portero);
      }
    }
  });
});

function withExactPath(object: Json): Json {
  const spec = object.spec as { rules: { http: { paths: { pathType: string; path: string }[] } }[] };
  for (const path of spec.rules[0]!.http.paths) {
    path.pathType = 'Exact';
    path.path = '/exact';
  }
  return object;
}
