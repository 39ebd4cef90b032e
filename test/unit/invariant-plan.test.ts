// The pure companion of test/e2e/invariant.test.ts: the data plane's planner
// and executor drive a simulated HAProxy with the runtime API's semantics
// (`add map` appends a duplicate when the key exists, `del map` removes every
// entry with the key, `set map` sets every entry with the key, map_beg takes
// the longest prefix). After every step of the same random sequences as the
// end-to-end test, the simulated live maps, servers and certificates must
// equal the rendered files, and route every request as the files do.
//
// Environment overrides: INVARIANT_PURE_SEED (one seed), INVARIANT_PURE_STEPS,
// INVARIANT_DEFAULT_BACKEND=0|1, INVARIANT_WATCH_WITHOUT_CLASS=0|1 (else drawn from the seed).

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { Model } from '../../src/model/model.js';
import { DEFAULT_GENERATOR, REQUIRED_BOUNDARIES } from '../helpers/invariant/generate.js';
import { reloadsBetween, scrape } from '../helpers/invariant/metrics.js';
import { routingDifferences, runPureSequence, type PureResult } from '../helpers/invariant/pure.js';
import { PlanSimulator, routeThrough, SimulatedHaproxy } from '../helpers/invariant/simulate.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const app = (name: string, address: string) => serviceWithEndpoints({ name, endpoints: [{ address, port: 8080 }] });
const SERVICES: Json[] = [...app('dflt', '10.0.0.1'), ...app('web', '10.0.0.2'), ...app('other', '10.0.0.3')];
const web = ingress({ name: 'web', rules: [{ host: 'web.test', paths: [{ path: '/', service: 'web' }] }] });
const catchAll = ingress({ name: 'dflt', creationTimestamp: '2020-01-01T00:00:00Z', defaultBackend: { service: 'dflt' } });
const hostless = ingress({ name: 'hostless', rules: [{ paths: [{ path: '/x', service: 'other' }] }] });
const FLAG = { defaultBackendService: { namespace: 'default', name: 'dflt', port: 80 } };

/** Applies `to` on top of `from` and returns what differs from the files, and where an unknown host's request goes live. */
async function transition(from: Model, to: Model): Promise<{ diffs: string[]; routing: string[]; unknown: string }> {
  const simulator = new PlanSimulator(from);
  await simulator.apply(to);
  return {
    diffs: simulator.compare(),
    routing: routingDifferences(simulator, []),
    unknown: routeThrough(simulator.liveMaps(), simulator.live.names.structure, 'unknown.test', '/y'),
  };
}

describe('runtime plans keep HAProxy equal to its files (simulated HAProxy)', () => {
  test('the simulated HAProxy has the runtime API semantics the planner relies on', async () => {
    const haproxy = new SimulatedHaproxy();
    haproxy.load(new Map([['/g/prefix.map', 'a/ x\n']]), ['/g/prefix.map'], '/g/crt-list.txt', new Map());
    await haproxy.run([{ text: 'add map /g/prefix.map a/ y', expect: 'empty' }]);
    assert.deepEqual(haproxy.maps.get('/g/prefix.map'), [{ key: 'a/', value: 'x' }, { key: 'a/', value: 'y' }], 'add map on an existing key appends a duplicate');
    await haproxy.run([{ text: 'set map /g/prefix.map a/ z', expect: 'empty' }]);
    assert.deepEqual(haproxy.maps.get('/g/prefix.map'), [{ key: 'a/', value: 'z' }, { key: 'a/', value: 'z' }], 'set map sets every entry with the key');
    await haproxy.run([{ text: 'del map /g/prefix.map a/', expect: 'empty' }]);
    assert.deepEqual(haproxy.maps.get('/g/prefix.map'), [], 'del map removes every entry with the key');
    await assert.rejects(haproxy.run([{ text: 'del map /g/prefix.map a/', expect: 'empty' }]), /Key not found/);
  });

  // Defect 1 (adding) and M1 (removing): one prefix-map diff holds both `add _/` (one level's
  // entry) and `del _/` (the other's); the adds go first and `del map` removes both.
  for (const [title, options] of [
    ['an Ingress default backend', {}],
    ['--default-backend-service', FLAG],
  ] as const) {
    const base = translateJson([...SERVICES, ...('defaultBackendService' in options ? [] : [catchAll]), web], options).model;
    const withHostless = translateJson([...SERVICES, ...('defaultBackendService' in options ? [] : [catchAll]), web, hostless], options).model;

    test(`adding a host-less rule while the catch-all is ${title} keeps the catch-all (defect 1)`, async () => {
      const result = await transition(base, withHostless);
      assert.deepEqual(result.diffs, [], 'simulated live state equals the files');
      assert.equal(result.unknown, 'default_dflt_80', 'a request for an unknown host reaches the catch-all');
      assert.deepEqual(result.routing, []);
    });

    test(`removing the last host-less rule while the catch-all is ${title} keeps the catch-all (M1)`, async () => {
      const result = await transition(withHostless, base);
      assert.deepEqual(result.diffs, [], 'simulated live state equals the files');
      assert.equal(result.unknown, 'default_dflt_80', 'a request for an unknown host reaches the catch-all');
      assert.deepEqual(result.routing, []);
    });
  }

  const seeds = process.env.INVARIANT_PURE_SEED !== undefined ? [Number(process.env.INVARIANT_PURE_SEED) >>> 0] : [1, 2, 3, 4, 5];
  const steps = Number(process.env.INVARIANT_PURE_STEPS ?? 80);
  const flag = (name: string): boolean | undefined => (process.env[name] === undefined ? undefined : process.env[name] === '1');
  const settings = { defaultBackendService: flag('INVARIANT_DEFAULT_BACKEND'), watchIngressWithoutClass: flag('INVARIANT_WATCH_WITHOUT_CLASS') };
  test(`random sequences (seeds ${seeds.join(', ')}; ${steps} steps each) keep the simulated live state equal to the files`, async () => {
    const results: PureResult[] = [];
    for (const seed of seeds) results.push(await runPureSequence({ seed, steps, ...settings }));
    const failed = results.filter((result) => result.failure);
    assert.ok(
      failed.length === 0,
      `${failed.length} of ${results.length} sequences left the files: ${failed.map((result) => `seed ${result.seed} at step ${result.failure!.step}`).join(', ')}\n\n${failed[0]?.failure?.report ?? ''}`,
    );
    for (const result of results) {
      assert.equal(result.steps, steps);
      const missing = REQUIRED_BOUNDARIES.filter((boundary) => !result.covered.has(boundary));
      assert.deepEqual(missing, [], `seed ${result.seed} crossed every boundary`);
      assert.ok((result.applies.get('runtime') ?? 0) > steps / 2, `seed ${result.seed}: most steps went through the runtime API (${[...result.applies].join(' ')})`);
    }
  });

  test('with client certificates (auth-tls-*) changing on top of the same worlds, the live state still equals the files', async () => {
    const clientSeeds = process.env.INVARIANT_PURE_SEED !== undefined ? seeds : [1, 2, 3];
    for (const seed of clientSeeds) {
      const result = await runPureSequence({ seed, steps, ...settings, generator: { ...DEFAULT_GENERATOR, clientAuth: true } });
      assert.equal(result.failure, undefined, result.failure?.report);
      assert.equal(result.steps, steps);
      for (const boundary of ['client-auth:first', 'client-auth:last', 'client-certificates:first', 'client-certificates:last']) assert.ok(result.covered.has(boundary), `seed ${seed} crossed ${boundary}`);
      assert.ok((result.applies.get('runtime') ?? 0) > 0, `seed ${seed}: some steps went through the runtime API (${[...result.applies].join(' ')})`);
    }
  });

  test('the harness reads the file-sync gauge and the reloads by reason from /metrics', async () => {
    let body = '# HELP portero_haproxy_reloads_total x\nportero_haproxy_reloads_total{reason="start"} 1\n';
    const server = createServer((_request, response) => response.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const before = await scrape(port);
      assert.equal(before.filesSynced, undefined, 'no gauge: the harness falls back to polling');
      body += 'portero_haproxy_reloads_total{reason="spares-exhausted"} 2\n# TYPE portero_dataplane_files_synced gauge\nportero_dataplane_files_synced 0\n';
      const after = await scrape(port);
      assert.equal(after.filesSynced, 0);
      assert.deepEqual(reloadsBetween(before, after), ['spares-exhausted', 'spares-exhausted']);
    } finally {
      server.close();
    }
  });
});
