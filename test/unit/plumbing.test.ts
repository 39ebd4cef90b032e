// Small pure parts: `show proc` parsing, HAProxy version parsing, flag
// parsing, and the store's coalesced change signal.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs, parseFlags } from '../../src/cli/flags.js';
import { parseVersion } from '../../src/dataplane/haproxy/binary.js';
import { parseShowProc } from '../../src/dataplane/haproxy/socket-cli.js';
import { Store } from '../../src/store/store.js';
import { Coalescer } from '../../src/util/coalesce.js';
import { decodeAll } from '../helpers/translate.js';
import { ingress } from '../helpers/objects.js';

describe('parseShowProc', () => {
  test('reads master, workers, old workers and failed reloads', () => {
    const text = [
      '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
      '2772            master          3 [failed: 1]   0d00h00m01s     2.6.12-1+deb12u3',
      '# workers',
      '2790            worker          0               0d00h00m00s     2.6.12-1+deb12u3',
      '# old workers',
      '2784            worker          1               0d00h00m01s     2.6.12-1+deb12u3',
      '# programs',
      '',
    ].join('\n');
    assert.deepEqual(parseShowProc(text), { masterPid: 2772, reloads: 3, failedReloads: 1, workers: [2790], oldWorkers: [2784] });
  });
});

describe('parseVersion', () => {
  const cases: [string, string | undefined][] = [
    ['HAProxy version 2.6.12-1+deb12u3 2025/10/03 - https://haproxy.org/', '2.6.12-1+deb12u3'],
    ['HA-Proxy version 1.8.19 2019/02/11', '1.8.19'],
    ['nginx version: nginx/1.22.1', undefined],
  ];
  for (const [output, expected] of cases) test(output, () => assert.equal(parseVersion(output)?.text, expected));
});

describe('parseFlags', () => {
  test('defaults', () => {
    const flags = parseFlags(['--manifests', 'examples']);
    assert.equal(flags.httpPort, 80);
    assert.equal(flags.httpsPort, 443);
    assert.equal(flags.healthPort, 10254);
    assert.equal(flags.bindAddress, '0.0.0.0');
    assert.equal(flags.ingressClass, 'portero');
    assert.equal(flags.controllerClass, 'portero.dev/ingress-controller');
    assert.equal(flags.watchIngressWithoutClass, false);
    assert.equal(flags.logLevel, 'info');
  });
  test('values', () => {
    const flags = parseFlags(['--http-port', '8080', '--default-backend-service', 'infra/fallback:http', '--default-ssl-certificate', 'infra/cert', '--watch-ingress-without-class', '--state-dir', '/tmp/x']);
    assert.equal(flags.httpPort, 8080);
    assert.deepEqual(flags.defaultBackendService, { namespace: 'infra', name: 'fallback', port: 'http' });
    assert.deepEqual(flags.defaultSslCertificate, { namespace: 'infra', name: 'cert' });
    assert.equal(flags.watchIngressWithoutClass, true);
    assert.equal(flags.stateDir, '/tmp/x');
    assert.deepEqual(parseFlags(['--default-backend-service', 'a/b:8080']).defaultBackendService, { namespace: 'a', name: 'b', port: 8080 });
  });
  test('durations: a whole number with ms, s, m or h', () => {
    const flags = parseFlags(['--shutdown-grace-period', '0s', '--watch-idle-timeout', '2m', '--status-refresh-interval', '500ms', '--hard-stop-after', '1h']);
    assert.equal(flags.shutdownGracePeriod, 0);
    assert.equal(flags.watchIdleTimeout, 120_000);
    assert.equal(flags.statusRefreshInterval, 500);
    assert.equal(flags.hardStopAfter, '1h', 'passed to HAProxy as written');
    assert.equal(durationMs('1h'), 3_600_000);
    for (const bad of ['10', '1.5s', '5d', '-1s', ' 1s']) assert.throws(() => durationMs(bad), /must be a duration such as 500ms, 10s, 5m or 1h/, bad);
  });
});

describe('Store', () => {
  test('coalesces a burst of changes into one signal, and ignores unchanged objects', async () => {
    const store = new Store({ debounceMs: 10, maxDelayMs: 100 });
    let signals = 0;
    store.onChange(() => (signals += 1));
    const objects = decodeAll([0, 1, 2, 3, 4].map((i) => ingress({ name: `i${i}`, defaultBackend: { service: 's' } })));
    for (const object of objects) store.upsert(object);
    await sleep(50);
    assert.equal(signals, 1);
    assert.equal(store.upsert(objects[0]!), false);
    assert.equal(store.count('Ingress'), 5);
    assert.equal(store.delete('Ingress', 'default', 'i0'), true);
    assert.equal(store.delete('Ingress', 'default', 'i0'), false);
    await sleep(50);
    assert.equal(signals, 2);
  });

  test('a steady stream of changes is still signalled every maxDelayMs', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const store = new Store({ debounceMs: 20, maxDelayMs: 60 });
    const signalledAt: number[] = [];
    const started = Date.now();
    store.onChange(() => signalledAt.push(Date.now() - started));
    const objects = decodeAll(Array.from({ length: 12 }, (_, i) => ingress({ name: `i${i}`, defaultBackend: { service: 's' } })));
    for (const object of objects) {
      store.upsert(object);
      context.mock.timers.tick(10);
    }
    context.mock.timers.tick(100);
    // Writes every 10 ms never leave 20 ms of quiet, yet listeners run at most 60 ms after a burst began.
    assert.deepEqual(signalledAt, [60, 120]);
  });
});

describe('SingleFlight', () => {
  test('runs one at a time; requests during a run make exactly one more run', async () => {
    const { SingleFlight } = await import('../../src/util/single-flight.js');
    let runs = 0;
    let concurrent = 0;
    let most = 0;
    const flight = new SingleFlight(async () => {
      runs += 1;
      concurrent += 1;
      most = Math.max(most, concurrent);
      await sleep(20);
      concurrent -= 1;
    });
    flight.request();
    flight.request();
    flight.request();
    await sleep(5);
    flight.request();
    await flight.idle();
    await sleep(60);
    assert.equal(most, 1);
    assert.equal(runs, 2);
  });

  test('a failing run is reported and does not stop later runs', async () => {
    const { SingleFlight } = await import('../../src/util/single-flight.js');
    const errors: unknown[] = [];
    let calls = 0;
    const flight = new SingleFlight(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    }, (error) => errors.push(error));
    flight.request();
    await flight.idle();
    flight.request();
    await flight.idle();
    assert.equal(calls, 2);
    assert.equal(errors.length, 1);
  });
});

describe('Coalescer', () => {
  test('fires once after a quiet gap, and a cancelled burst not at all', (context) => {
    context.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    const started = Date.now();
    const firedAt: number[] = [];
    // Mocked Date moves with whole ticks: advance 5 ms at a time.
    const advance = (ms: number) => {
      for (let t = 0; t < ms; t += 5) context.mock.timers.tick(5);
    };
    const burst = new Coalescer(20, 60, () => firedAt.push(Date.now() - started));
    burst.request();
    advance(5);
    burst.request();
    advance(100);
    assert.deepEqual(firedAt, [25]);
    burst.request();
    burst.cancel();
    advance(100);
    assert.deepEqual(firedAt, [25]);
  });
});
