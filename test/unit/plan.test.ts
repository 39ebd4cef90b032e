// The runtime planner: which changes go through the runtime API and which
// need a reload, table by table; and, for any two models, applying the
// planned map changes to the old maps gives exactly the new maps.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { planChange, type LiveState, type MapDiff, type RuntimePlan } from '../../src/dataplane/haproxy/plan.js';
import { UnsafeValueError } from '../../src/dataplane/haproxy/config-lines.js';
import { mapContents, type MapName } from '../../src/dataplane/haproxy/render-files.js';
import { executePlan } from '../../src/dataplane/haproxy/runtime-apply.js';
import type { RuntimeApi, RuntimeCommand } from '../../src/dataplane/haproxy/runtime.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { RuntimeSimulator } from '../helpers/runtime-simulator.js';
import type { Model } from '../../src/model/model.js';
import { translate } from '../../src/translate/translate.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { BASE_OPTIONS, decodeAll, snapshotOf, translateJson } from '../helpers/translate.js';

const GEN = '/state/gen-1';
const app = (name: string, addresses: string[] = ['10.0.0.1']) => serviceWithEndpoints({ name, endpoints: addresses.map((address) => ({ address, port: 8080 })) });
const live = (model: Model): LiveState => ({ model, names: new BackendNames(structureFor(model)), sparesUsed: 0 });
const baseObjects = [...app('a'), ...app('b'), ingress({ name: 'i', rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'a' }, { path: '/b', service: 'b' }] }] })];
const base = translateJson(baseObjects).model;

function runtime(next: Json[]): RuntimePlan {
  const plan = planChange(live(base), translateJson(next).model);
  assert.equal(plan.kind, 'runtime', JSON.stringify(plan));
  return plan as RuntimePlan;
}

const keys = (diff: MapDiff) => ({ add: diff.add.map((e) => `${e.key} ${e.value.text}`), set: diff.set.map((e) => `${e.key} ${e.value.text}`), remove: diff.remove });

describe('planChange', () => {
  test('nothing changed', () => {
    assert.deepEqual(planChange(live(base), translateJson(baseObjects).model), { kind: 'unchanged' });
  });

  test('an endpoint added and one removed: server changes only', () => {
    const plan = runtime([...app('a', ['10.0.0.2']), ...app('b'), baseObjects[4]!]);
    assert.deepEqual(plan.addServers.map((s) => `${s.backend}/${s.server}`), ['default_a_80/10.0.0.2_8080']);
    assert.deepEqual(plan.removeServers.map((s) => `${s.backend}/${s.server}`), ['default_a_80/10.0.0.1_8080']);
    assert.ok(Object.values(plan.maps).every((diff) => diff.add.length + diff.set.length + diff.remove.length === 0));
  });

  test('a route changed to another existing Service: one map entry set', () => {
    const plan = runtime([...app('a'), ...app('b'), ingress({ name: 'i', rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'b' }, { path: '/b', service: 'b' }] }] })]);
    assert.deepEqual(keys(plan.maps.prefix), { add: [], set: ['a.test/a/ default_b_80'], remove: [] });
    assert.deepEqual(plan.addServers, []);
  });

  test('a new host: its routes and the host itself are added', () => {
    const plan = runtime([...baseObjects, ingress({ name: 'j', rules: [{ host: 'b.test', paths: [{ path: '/', service: 'b' }] }] })]);
    assert.deepEqual(keys(plan.maps.hosts).add, ['b.test b.test', 'b.test. b.test']);
    assert.deepEqual(keys(plan.maps.prefix).add, ['b.test/ default_b_80']);
  });

  test('a new Service behind a new Ingress takes a spare backend', () => {
    const plan = runtime([...baseObjects, ...app('c', ['10.0.0.9']), ingress({ name: 'k', rules: [{ host: 'c.test', paths: [{ service: 'c' }] }] })]);
    assert.equal(plan.names.nameOf('default_c_80'), 'portero:spare:0');
    assert.deepEqual(plan.addServers.map((s) => `${s.backend}/${s.server}`), ['portero:spare:0/10.0.0.9_8080']);
    assert.deepEqual(keys(plan.maps.prefix).add, ['c.test/ portero:spare:0']);
    assert.equal(plan.sparesUsed, 1);
  });

  const reloads: [string, Json[], string][] = [
    ['the first wildcard host', [...baseObjects, ingress({ name: 'w', rules: [{ host: '*.w.test', paths: [{ service: 'a' }] }] })], 'structural'],
    ['the first Exact path', [...baseObjects, ingress({ name: 'e', rules: [{ host: 'e.test', paths: [{ path: '/e', pathType: 'Exact', service: 'a' }] }] })], 'structural'],
    ['the first TLS host', [...baseObjects, ingress({ name: 't', tls: [{ hosts: ['t.test'] }], rules: [{ host: 't.test', paths: [{ service: 'a' }] }] })], 'structural'],
  ];
  for (const [title, objects, reason] of reloads) {
    test(`${title} needs a reload`, () => {
      const plan = planChange(live(base), translateJson(objects).model);
      assert.equal(plan.kind, 'reload');
      assert.equal(plan.kind === 'reload' && plan.reason, reason);
    });
  }

  test('when the spares are used up, a reload', () => {
    const objects: Json[] = [...baseObjects];
    for (let i = 0; i < 40; i += 1) objects.push(...app(`new${i}`), ingress({ name: `n${i}`, rules: [{ host: `n${i}.test`, paths: [{ service: `new${i}` }] }] }));
    const plan = planChange(live(base), translateJson(objects).model);
    assert.equal(plan.kind === 'reload' && plan.reason, 'spares-exhausted');
  });

  test('removing a Service drains its servers; the level falls back', () => {
    const plan = runtime([...app('b'), ingress({ name: 'i', rules: [{ host: 'a.test', paths: [{ path: '/a', service: 'b' }, { path: '/b', service: 'b' }] }] })]);
    assert.deepEqual(plan.removeServers.map((s) => `${s.backend}/${s.server}`), ['default_a_80/10.0.0.1_8080']);
  });
});

// For random sequences of routing setups, the planned runtime commands,
// carried out with HAProxy's semantics (runtime-simulator.ts), turn the live
// maps into exactly the maps a reload would load.
const host = fc.constantFrom('a.test', 'b.test', '*.w.test', undefined);
const path = fc.constantFrom('/', '/x', '/x/', '/x/y', '/z');
const service = fc.constantFrom('s0', 's1', 's2');
const setup = fc.record({
  ingresses: fc.array(
    fc.record({ host, path, pathType: fc.constantFrom('Prefix', 'ImplementationSpecific', 'Exact'), service, withDefault: fc.boolean(), tls: fc.boolean() }),
    { minLength: 0, maxLength: 6 },
  ),
  addresses: fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'), { minLength: 3, maxLength: 3 }),
  defaultService: fc.option(service, { nil: undefined }),
});
type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;

function modelOf({ ingresses, addresses, defaultService }: Setup): Model {
  const objects: Json[] = ['s0', 's1', 's2'].flatMap((name, i) => app(name, [addresses[i] ?? '10.0.0.1']));
  ingresses.forEach((entry, i) =>
    objects.push(
      ingress({
        name: `i${i}`,
        creationTimestamp: `2026-01-01T00:00:0${i}Z`,
        rules: [{ host: entry.host, paths: [{ path: entry.path, pathType: entry.pathType, service: entry.service }] }],
        ...(entry.withDefault ? { defaultBackend: { service: entry.service } } : {}),
        ...(entry.tls && entry.host ? { tls: [{ hosts: [entry.host] }] } : {}),
      }),
    ),
  );
  const options = defaultService ? { ...BASE_OPTIONS, defaultBackendService: { namespace: 'default', name: defaultService, port: 80 } } : BASE_OPTIONS;
  return translate(snapshotOf(decodeAll(objects)), options).model;
}

const LIVE_MAPS: MapName[] = ['hosts', 'exact', 'prefix', 'redirect', 'backends'];
const mapFile = (name: MapName) => `${GEN}/${name}.map`;

/** A reload: HAProxy loads the maps of the model as files. */
function reloadInto(simulator: RuntimeSimulator, model: Model, names: BackendNames): void {
  const maps = mapContents(model, names);
  for (const name of LIVE_MAPS) simulator.load(mapFile(name), maps[name].map((entry) => `${entry.key} ${entry.value.text}\n`).join(''));
}

describe('planned map changes', () => {
  test('carried out as HAProxy does, turn the live maps into the files, for any sequence of models', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(setup, { minLength: 2, maxLength: 6 }), async (setups) => {
        const simulator = new RuntimeSimulator();
        const first = modelOf(setups[0]!);
        // Every lookup loaded, so that most steps are runtime changes.
        let state: LiveState = { model: first, names: new BackendNames({ ...structureFor(first), capabilities: { exactLookup: true, wildcardLookup: true, deepWildcardLookup: true, redirect: true, wildcardRedirect: true, regexLookup: true, candidates: true, passthrough: true, canaries: [], globals: {}, clientAuth: [], ports: [], scopes: [] } }), sparesUsed: 0 };
        reloadInto(simulator, first, state.names);
        for (const [step, next] of setups.slice(1).map(modelOf).entries()) {
          const plan = planChange(state, next);
          if (plan.kind === 'reload') {
            state = { model: next, names: new BackendNames(structureFor(next)), sparesUsed: 0 };
            reloadInto(simulator, next, state.names);
            continue;
          }
          if (plan.kind === 'runtime') {
            await executePlan(plan, { runtime: simulator.api, genDir: GEN, defaultCertificateId: 'default', draining: new Set() });
            state = { model: next, names: plan.names, sparesUsed: plan.sparesUsed };
          } else state = { ...state, model: next };
          const files = mapContents(next, state.names);
          for (const name of LIVE_MAPS) {
            assert.deepEqual(simulator.lines(mapFile(name)), files[name].map((entry) => `${entry.key} ${entry.value.text}`).sort(), `${name} after step ${step + 1}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

// The commands a plan turns into, recorded by a stand-in for the runtime API.
function recordingRuntime(): { runtime: RuntimeApi; sent: string[] } {
  const sent: string[] = [];
  const runtime = {
    async run(commands: readonly RuntimeCommand[]) {
      sent.push(...commands.map((command) => (command.payload === undefined ? command.text : `${command.text} << ${command.payload}`)));
      return commands.map(() => '');
    },
    async one(text: string) {
      sent.push(text);
      return 'New version created: 1';
    },
  };
  return { runtime: runtime as unknown as RuntimeApi, sent };
}

describe('runtime commands', () => {
  test('servers, map entries and crt-list lines are rendered from checked values', async () => {
    const plan = runtime([...baseObjects, ...app('c', ['10.0.0.9']), ingress({ name: 'k', rules: [{ host: 'c.test', paths: [{ path: '/a;b', service: 'c' }] }] })]);
    plan.addServers.push({ backend: 'portero:spare:0', server: 'fd00::9_8080', address: 'fd00::9', port: 8080 });
    plan.certificates.add.push({ id: 'default_c-tls', pem: 'PEM', hosts: ['c.test', '*.c.test'] });
    const { runtime: api, sent } = recordingRuntime();
    await executePlan(plan, { runtime: api, genDir: GEN, defaultCertificateId: 'default', draining: new Set() });
    assert.ok(sent.includes('add server portero:spare:0/10.0.0.9_8080 10.0.0.9:8080'), sent.join('\n'));
    assert.ok(sent.includes('add server portero:spare:0/fd00::9_8080 [fd00::9]:8080'), sent.join('\n'));
    assert.ok(sent.includes(`add ssl crt-list ${GEN}/crt-list.txt << ${GEN}/certs/default_c-tls.pem c.test *.c.test`), sent.join('\n'));
    assert.ok(sent.includes(`add map ${GEN}/prefix.map c.test/a\\;b/ portero:spare:0`), sent.join('\n'));
    assert.ok(sent.includes(`add map ${GEN}/hosts.map c.test c.test`), sent.join('\n'));
  });

  const hostile: [string, (plan: RuntimePlan) => void][] = [
    ['a map key with a space', (plan) => plan.maps.prefix.add.push({ key: 'a.test/x y/', value: plan.maps.prefix.next()[0]!.value })],
    ['a map key removed with a newline', (plan) => plan.maps.prefix.remove.push('a.test/x\n/')],
    ['a server address that is no IP', (plan) => plan.addServers.push({ backend: 'default_a_80', server: 'x_1', address: '10.0.0.1 check', port: 80 })],
    ['a backend name with a slash', (plan) => plan.addServers.push({ backend: 'a/b', server: 'x_1', address: '10.0.0.1', port: 80 })],
    ['an SNI name with a space', (plan) => plan.certificates.add.push({ id: 'c', pem: 'x', hosts: ['a.test b'] })],
  ];
  for (const [title, spoil] of hostile) {
    test(`${title} is refused before any command is sent`, async () => {
      const plan = runtime([...baseObjects, ...app('c'), ingress({ name: 'k', rules: [{ host: 'c.test', paths: [{ service: 'c' }] }] })]);
      spoil(plan);
      const { runtime: api, sent } = recordingRuntime();
      await assert.rejects(executePlan(plan, { runtime: api, genDir: GEN, defaultCertificateId: 'default', draining: new Set() }), UnsafeValueError);
      assert.deepEqual(sent, []);
    });
  }
});
