// The Gateway API translation reuses the previous one's work (route-rules.ts,
// route-entries.ts, levels.ts, serve.ts): for any sequence of changes to
// routes, Gateways, Namespaces, ReferenceGrants and Services, every step
// translated with the previous model equals a translation from scratch of the
// same objects (deep copies, so that no cache keyed by identity can answer),
// and a level equal to the previous model's level for its host is that very
// object (the data plane skips levels by identity, plan.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitLevelHost, type Model } from '../../src/model/model.js';
import { decodeObject } from '../../src/objects/decode.js';
import type { KubeObject } from '../../src/objects/types.js';
import { snapshotOf, translate, type Snapshot, type Translation } from '../../src/translate/translate.js';
import { BASE_OPTIONS } from '../helpers/translate.js';

type Json = Record<string, unknown>;
const V1 = 'gateway.networking.k8s.io/v1';
const NAMESPACES = ['default', 'team-a', 'team-b'] as const;
const ROUTES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
const SERVICES = ['s0', 's1', 's2'];

function decoded(raw: Json): KubeObject {
  const result = decodeObject(raw, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
  if (result.status !== 'ok') throw new Error(`does not decode: ${JSON.stringify(result)}`);
  return result.object;
}

const metadata = (name: string, namespace: string, second = 0) => ({ name, namespace, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString() });

// --- Arbitraries of each object's spec ---------------------------------------

const hostnames = fc.subarray(['a.example.com', 'b.example.com', '*.example.com', 'x.a.example.com'], { maxLength: 2 });
const pathMatch = fc.constantFrom(
  { type: 'PathPrefix', value: '/' },
  { type: 'PathPrefix', value: '/x' },
  { type: 'PathPrefix', value: '/x/' },
  { type: 'Exact', value: '/x' },
  { type: 'Exact', value: '/y' },
  { type: 'RegularExpression', value: '/r[0-9]+' },
  { type: 'RegularExpression', value: '/x.*' },
);
const match = fc.record({
  path: pathMatch,
  headers: fc.constantFrom([], [{ name: 'x-version', value: 'v2' }]),
  method: fc.constantFrom(undefined, 'POST'),
}).map(({ method, ...rest }) => ({ ...rest, ...(method ? { method } : {}) }));
const backendRef = fc.record({
  name: fc.constantFrom(...SERVICES, 'missing'),
  namespace: fc.constantFrom(undefined, 'default', 'team-a'),
  port: fc.constantFrom(80, 8080),
  weight: fc.constantFrom(1, 0, 3),
}).map(({ namespace, ...rest }) => ({ ...rest, ...(namespace ? { namespace } : {}) }));
const filters = fc.constantFrom(
  [],
  [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }] } }],
  [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
  [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 's0', port: 80 } } }],
);
// A redirect answers itself: the API refuses backendRefs beside it.
const rule = fc
  .record({ matches: fc.array(match, { minLength: 1, maxLength: 2 }), backendRefs: fc.array(backendRef, { maxLength: 2 }), filters })
  .map((written) => ((written.filters as readonly { type: string }[]).some((filter) => filter.type === 'RequestRedirect') ? { ...written, backendRefs: [] } : written));
const routeSpec = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  second: fc.nat(3),
  hostnames,
  parentRefs: fc.constantFrom([{ name: 'gw', namespace: 'default' }], [{ name: 'gw', namespace: 'default', sectionName: 'http' }], [{ name: 'gw', namespace: 'default', port: 8080 }], [{ name: 'other', namespace: 'default' }]),
  rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
});
type RouteSpec = typeof routeSpec extends fc.Arbitrary<infer T> ? T : never;

const listeners = fc.constantFrom(
  [{ name: 'http', port: 80, protocol: 'HTTP' }],
  [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }],
  [
    { name: 'http', port: 80, protocol: 'HTTP', hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'yes' } } } } },
    { name: 'alt', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
  ],
  [
    { name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example.com', allowedRoutes: { namespaces: { from: 'All' } } },
    { name: 'b', port: 80, protocol: 'HTTP', hostname: 'b.example.com', allowedRoutes: { namespaces: { from: 'All' } } },
  ],
);
const servicePorts = fc.constantFrom([80], [8080], [80, 8080], [81]);

const change = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('route' as const), index: fc.nat(ROUTES.length - 1), spec: fc.option(routeSpec, { nil: undefined }) }) },
  // The same route content as a new object (a status or label change upstream).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), index: fc.nat(ROUTES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gateway' as const), listeners }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('namespace' as const), namespace: fc.constantFrom(...NAMESPACES), selected: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('grant' as const), present: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('service' as const), namespace: fc.constantFrom('default', 'team-a'), name: fc.constantFrom(...SERVICES), ports: fc.option(servicePorts, { nil: undefined }) }) },
);
type Change = typeof change extends fc.Arbitrary<infer T> ? T : never;

// --- Objects ------------------------------------------------------------------

function routeObject(name: string, spec: RouteSpec): KubeObject {
  return decoded({ apiVersion: V1, kind: 'HTTPRoute', metadata: metadata(name, spec.namespace, spec.second), spec: { parentRefs: spec.parentRefs, hostnames: spec.hostnames, rules: spec.rules } });
}

function gatewayObject(listenerList: readonly Json[]): KubeObject {
  return decoded({ apiVersion: V1, kind: 'Gateway', metadata: metadata('gw', 'default'), spec: { gatewayClassName: 'portero', listeners: listenerList } });
}

function namespaceObject(name: string, selected: boolean): KubeObject {
  return decoded({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...(selected ? { team: 'yes' } : {}) } } });
}

function grantObject(): KubeObject {
  return decoded({ apiVersion: V1, kind: 'ReferenceGrant', metadata: metadata('grant', 'team-a'), spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], to: [{ group: '', kind: 'Service' }] } });
}

function serviceObject(namespace: string, name: string, ports: readonly number[]): KubeObject {
  return decoded({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: ports.map((port) => ({ name: `p${port}`, port })) } });
}

/** The snapshot as the store keeps it: a list is a new array only when an object of its kind changed. */
class World {
  snapshot: Snapshot;

  constructor() {
    const all = [
      decoded({ apiVersion: V1, kind: 'GatewayClass', metadata: { name: 'portero' }, spec: { controllerName: 'portero.dev/gateway-controller' } }),
      gatewayObject([{ name: 'http', port: 80, protocol: 'HTTP' }]),
      ...NAMESPACES.map((name) => namespaceObject(name, false)),
      ...SERVICES.map((name) => serviceObject('default', name, [80])),
      serviceObject('team-a', 's0', [80]),
    ];
    this.snapshot = snapshotOf(all);
  }

  private replace<K extends 'httpRoutes' | 'gateways' | 'namespaces' | 'referenceGrants' | 'services'>(list: K, key: string, object: KubeObject | undefined): void {
    const keyOf = (candidate: KubeObject) => `${candidate.metadata.namespace}/${candidate.metadata.name}`;
    const others = ((this.snapshot[list] ?? []) as readonly KubeObject[]).filter((candidate) => keyOf(candidate) !== key);
    this.snapshot = { ...this.snapshot, [list]: object ? [...others, object] : others };
  }

  apply(step: Change): void {
    switch (step.kind) {
      case 'route': {
        const name = ROUTES[step.index]!;
        for (const namespace of NAMESPACES) this.replace('httpRoutes', `${namespace}/${name}`, undefined);
        if (step.spec) this.replace('httpRoutes', `${step.spec.namespace}/${name}`, routeObject(name, step.spec));
        return;
      }
      case 'touch': {
        const found = (this.snapshot.httpRoutes ?? []).find((route) => route.metadata.name === ROUTES[step.index]);
        if (found) this.replace('httpRoutes', `${found.metadata.namespace}/${found.metadata.name}`, structuredClone(found) as KubeObject);
        return;
      }
      case 'gateway':
        this.replace('gateways', 'default/gw', gatewayObject(step.listeners));
        return;
      case 'namespace':
        this.replace('namespaces', `/${step.namespace}`, namespaceObject(step.namespace, step.selected));
        return;
      case 'grant':
        this.replace('referenceGrants', 'team-a/grant', step.present ? grantObject() : undefined);
        return;
      case 'service':
        this.replace('services', `${step.namespace}/${step.name}`, step.ports ? serviceObject(step.namespace, step.name, step.ports) : undefined);
    }
  }
}

function comparable(translation: Translation): unknown {
  return { model: translation.model, diagnostics: translation.diagnostics, served: translation.served, gateway: translation.gateway };
}

/** Levels equal to the previous model's level for their host are that very object. */
function assertSameObjectsWhenEqual(previous: Model, next: Model): void {
  const before = new Map(previous.levels.map((level) => [level.host, level]));
  for (const level of next.levels) {
    const was = before.get(level.host);
    if (was && was !== level) assert.notDeepEqual(level, was, `level ${level.host} is equal to the previous one but a new object`);
  }
}

test('a translation reusing the previous one equals a translation from scratch, at every step of any sequence of changes', () => {
  fc.assert(
    fc.property(fc.array(change, { minLength: 1, maxLength: 25 }), (steps) => {
      const world = new World();
      let previous = translate(world.snapshot, BASE_OPTIONS);
      for (const step of steps) {
        world.apply(step);
        const next = translate(world.snapshot, BASE_OPTIONS, previous.model);
        // Deep copies: no object of the fresh translation is a key of any cache.
        const fresh = translate(structuredClone(world.snapshot), BASE_OPTIONS);
        assert.deepEqual(comparable(next), comparable(fresh));
        assertSameObjectsWhenEqual(previous.model, next.model);
        previous = next;
      }
    }),
    { numRuns: 150 },
  );
});

test('an unchanged route keeps its levels: one route changed among many rebuilds only its own host level', () => {
  const world = new World();
  for (let i = 0; i < ROUTES.length; i += 1) {
    world.apply({ kind: 'route', index: i, spec: { namespace: 'default', second: i, hostnames: [`h${i}.example.com`], parentRefs: [{ name: 'gw', namespace: 'default' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [] }], backendRefs: [{ name: 's0', port: 80, weight: 1 }], filters: [] }] } });
  }
  const first = translate(world.snapshot, BASE_OPTIONS);
  world.apply({ kind: 'route', index: 2, spec: { namespace: 'default', second: 2, hostnames: ['h2.example.com'], parentRefs: [{ name: 'gw', namespace: 'default' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/v2' as '/' }, headers: [] }], backendRefs: [{ name: 's0', port: 80, weight: 1 }], filters: [] }] } });
  const second = translate(world.snapshot, BASE_OPTIONS, first.model);
  const changed = second.model.levels.filter((level) => !first.model.levels.includes(level)).map((level) => splitLevelHost(level.host).host);
  assert.deepEqual(changed, ['h2.example.com']);
});
