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
import { after, before, describe, test } from 'node:test';
import { nextLoopbackAddress, startBackend } from '../helpers/backends.js';
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
  // In Kubernetes SIGTERM comes at any moment, and configuration changes are
  // frequent: a stop must work at every moment of a reload. HAProxy's master
  // re-executes itself to reload and loses a signal that arrives meanwhile,
  // and a `reload` sent to a master that is already stopping brings it back
  // to life with a fresh worker that nobody stops. Either way HAProxy kept
  // serving and Portero waited for its fallback (--hard-stop-after + 5 s).
  //
  // The grace period is 0: the stop then begins at once, in the middle of
  // the reload (with a grace period the reload is long over by then).
  const GRACE_MS = 0;
  const HARD_STOP_AFTER_S = 60;
  // A reload in progress when the signal comes finishes first (about a
  // second, see DESIGN.md; 10 s leave room for a loaded machine), then
  // HAProxy finishes the request in flight, released at once. Portero's
  // fallback for an HAProxy that does not stop takes --hard-stop-after + 5 s
  // (65 s here): an exit within the bound never relies on it.
  const EXIT_BOUND_MS = GRACE_MS + 10_000;
  const ROUNDS = 2;

  let backend: HoldingBackend;
  let gateDir: string;
  before(async () => {
    backend = await startHoldingBackend();
  });
  after(async () => {
    await backend?.close();
    if (gateDir) await rm(gateDir, { recursive: true, force: true });
  });

  /**
   * An HAProxy whose next `-c` after the test creates `armed` waits until
   * the test creates `go`: the signal then comes, every time, after Portero
   * decided to reload and before it asked HAProxy to.
   */
  async function gatedHaproxy(): Promise<{ path: string; armed: string; checking: string; go: string }> {
    gateDir = await mkdtemp(join(tmpdir(), 'portero-gate-'));
    const [armed, checking, go, path] = ['armed', 'checking', 'go', 'haproxy'].map((name) => join(gateDir, name)) as [string, string, string, string];
    await writeFile(path, `#!/bin/sh\nif [ "$1" = "-c" ] && [ -e "${armed}" ]; then rm -f "${armed}"; : > "${checking}"; while [ ! -e "${go}" ]; do sleep 0.01; done; fi\nexec haproxy "$@"\n`);
    await chmod(path, 0o755);
    return { path, armed, checking, go };
  }

  let gate: Awaited<ReturnType<typeof gatedHaproxy>>;
  type Moment = { name: string; gated?: true; arm?: (portero: Portero) => Promise<unknown> | undefined; reached: (armed: Promise<unknown> | undefined) => Promise<unknown> };
  const afterChange = (ms: number): Moment => ({ name: `${ms} ms after the change is written`, reached: () => new Promise((resolve) => setTimeout(resolve, ms)) });
  const onLog = (name: string, predicate: (entry: Record<string, unknown>) => boolean): Moment => ({ name, arm: (portero) => portero.nextLog(predicate, 20_000), reached: (armed) => armed! });
  const moments: Moment[] = [
    afterChange(0),
    afterChange(20),
    afterChange(50),
    afterChange(80),
    afterChange(110),
    afterChange(140),
    { name: 'while the new configuration is checked (before HAProxy is asked to reload)', gated: true, reached: () => eventually(() => readFile(gate.checking), 20_000) },
    onLog('the instant HAProxy\'s master begins to re-execute itself', (entry) => entry.component === 'haproxy' && entry.msg === 'Reloading HAProxy'),
    onLog('the instant the new worker is forked', (entry) => entry.component === 'haproxy' && /^New worker \(\d+\) forked$/.test(String(entry.msg))),
    onLog('right after Portero logs the reload', (entry) => entry.msg === 'configuration applied with a reload'),
  ];

  test('Portero stops promptly at every moment of a reload, no reload starts once the stop has begun, and the request in flight completes', async () => {
    gate = await gatedHaproxy();
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const moment of moments) {
        const what = `round ${round}, SIGTERM ${moment.name}`;
        let portero: Portero | undefined;
        try {
          await rm(gate.checking, { force: true });
          await rm(gate.go, { force: true });
          portero = await startPortero({
            flags: ['--haproxy', gate.path, '--shutdown-grace-period', `${GRACE_MS}ms`, '--hard-stop-after', `${HARD_STOP_AFTER_S}s`],
            files: { 'app.yaml': appOn(HOST, [backend]) },
          });
          const held = heldRequest(portero.httpPort);
          await held.started;
          if (moment.gated) await writeFile(gate.armed, '');
          const armed = moment.arm?.(portero);
          // The first Exact path needs a lookup the loaded configuration lacks: a reload.
          await portero.write('exact.yaml', appOn('exact.test', [backend], 'exact').map((object) => (object.kind === 'Ingress' ? withExactPath(object) : object)));
          await moment.reached(armed);
          const stopping = portero.nextLog((entry) => String(entry.msg).startsWith('stopping:'), EXIT_BOUND_MS);
          const sent = Date.now();
          portero.child.kill('SIGTERM');
          await stopping;
          const logsAtStop = portero.logs.length;
          if (moment.gated) {
            // Let the check finish, and wait until Portero is done with the change, whatever it did with it.
            const concluded = portero.nextLog((entry) => /^configuration (not )?applied|^HAProxy stopped during the reload/.test(String(entry.msg)), EXIT_BOUND_MS);
            await writeFile(gate.go, '');
            await concluded;
          }
          // HAProxy stops listening (no grace period) while the request in flight is still held open.
          await eventually(() => assert.rejects(request({ port: portero!.httpPort, host: HOST, timeoutMs: 2000 }), /ECONNREFUSED/), Math.max(0, EXIT_BOUND_MS - (Date.now() - sent)))
            .catch((error: Error) => assert.fail(`${what}: HAProxy still accepts connections ${Date.now() - sent} ms after the signal (${error.message})\n${portero!.logs.slice(-40).join('\n')}`));
          assert.equal(backend.open, 1, `${what}: the request in flight is still open`);
          backend.release();
          assert.deepEqual(await held.done, { complete: true, body: 'first\nlast\n' }, `${what}: the request in flight completes`);
          const exited = await Promise.race([portero.exit, new Promise((resolve) => setTimeout(() => resolve('still running'), Math.max(0, EXIT_BOUND_MS - (Date.now() - sent))))]);
          assert.deepEqual(exited, { code: 0, signal: null }, `${what}: Portero exits with 0 within ${EXIT_BOUND_MS} ms\n${portero.logs.slice(-40).join('\n')}`);
          if (moment.gated) {
            // Shutdown began before Portero asked HAProxy to reload: it never asks.
            const reloads = portero.logs.slice(logsAtStop).filter((line) => /"component":"haproxy".*"msg":"(Reloading HAProxy|New worker)/.test(line));
            assert.deepEqual(reloads, [], `${what}: no reload once the stop has begun`);
            assert.ok(portero.entries().some((entry) => String(entry.msg).startsWith('configuration not applied: Portero is stopping')), `${what}: the change is reported as not applied`);
          }
          await noHaproxyLeft(portero.stateDir);
          assert.deepEqual(unexpectedRestarts(portero), [], what);
        } finally {
          backend.release();
          await cleanUp(portero);
        }
      }
    }
  });
});

describe('changes during the grace period', () => {
  test('a change the runtime API can make still applies; one that needs a reload does not, and the stop is unaffected', async () => {
    const first = await startBackend('first');
    const second = await startBackend('second');
    // A grace period far longer than the test: it ends with the second signal.
    const portero = await startPortero({ flags: ['--shutdown-grace-period', '1h'], files: { 'app.yaml': appOn(HOST, [first]) } });
    try {
      assert.equal(await whoAnswers(portero.httpPort, HOST, '/'), 'first');
      const stopping = portero.nextLog((entry) => entry.msg === 'not ready any more; still serving during the grace period');
      portero.child.kill('SIGTERM');
      await stopping;
      const logsAtStop = portero.logs.length;
      // Endpoints come and go while load balancers drain: followed without a reload.
      await portero.write('app.yaml', appOn(HOST, [second]));
      await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, HOST, '/'), 'second'));
      // The first Exact path needs a reload: none starts once shutdown has begun.
      const notApplied = portero.nextLog((entry) => entry.msg === 'configuration not applied: Portero is stopping');
      await portero.write('exact.yaml', appOn('exact.test', [second], 'exact').map((object) => (object.kind === 'Ingress' ? withExactPath(object) : object)));
      await notApplied;
      assert.equal(await whoAnswers(portero.httpPort, 'exact.test', '/exact'), 'status:404', 'the loaded configuration keeps serving');
      portero.child.kill('SIGTERM');
      assert.deepEqual(await portero.exit, { code: 0, signal: null });
      const reloads = portero.logs.slice(logsAtStop).filter((line) => /"component":"haproxy".*"msg":"(Reloading HAProxy|New worker)/.test(line) || line.includes('"msg":"configuration applied with a reload"'));
      assert.deepEqual(reloads, [], 'no reload once shutdown has begun');
      await noHaproxyLeft(portero.stateDir);
    } finally {
      await cleanUp(portero);
      await first.close();
      await second.close();
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
