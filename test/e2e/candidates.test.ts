// Routes with candidates (request conditions and weighted splits) through a
// real HAProxy, driven by the real data plane with hand-built models (their
// translation from HTTPRoutes is written elsewhere): method, header and
// query conditions, first match wins and fall-through, weighted splits and
// `invalid` shares, long lists in parts, runtime changes that never reload
// and end where a fresh start would, and HAProxy's answers against the
// reference matcher for random lists and requests.

import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { matchShares, type RequestParts } from '../../src/model/match.js';
import type { Backend as ModelBackend, Candidate, HostLevel, Model, Route, Target } from '../../src/model/model.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { modelOf, startDataplane, type RunningDataplane } from '../helpers/dataplane.js';
import { mapsMatchFiles } from '../helpers/haproxy.js';
import { request } from '../helpers/http.js';
import { eventually } from '../helpers/portero.js';

const NAMES = ['a', 'b', 'c', 'd'] as const;
type Name = (typeof NAMES)[number];
const servers = new Map<Name, Backend>();

before(async () => {
  for (const name of NAMES) servers.set(name, await startBackend(name));
});
after(async () => {
  for (const server of servers.values()) await server.close();
});

const to = (name: Name): Target => ({ kind: 'backend', id: `default_${name}_80` });
const backends = (names: readonly Name[] = NAMES): ModelBackend[] =>
  names.map((name) => {
    const server = servers.get(name)!;
    return { id: `default_${name}_80`, namespace: 'default', service: name, port: 80, endpoints: [{ address: server.address, port: server.port }] };
  });
const header = (name: string, value: string, kind: 'exact' | 'regex' = 'exact') => ({ name, match: { kind, value } });
const when = (parts: Partial<NonNullable<Candidate['when']>>): NonNullable<Candidate['when']> => ({ headers: [], query: [], ...parts });
const only = (target: Target, condition?: Candidate['when']): Candidate => ({ ...(condition ? { when: condition } : {}), split: [{ target, weight: 1 }] });
const level = (host: string, routes: Route[], fallback: Target = { kind: 'not-found' }): HostLevel => ({ host, routes, fallback });

interface Ask {
  host: string;
  path?: string;
  method?: string;
  /** Header fields in order; a name may repeat. */
  headers?: [string, string][];
}

// Kept-alive connections, one pool per HAProxy: closed before it stops, so that it need not wait for them.
const agents = new Map<number, Agent>();
const agentOf = (dp: RunningDataplane) => agents.get(dp.httpPort) ?? agents.set(dp.httpPort, new Agent({ keepAlive: true, maxSockets: 8 })).get(dp.httpPort)!;

async function stop(dp: RunningDataplane): Promise<void> {
  agents.get(dp.httpPort)?.destroy();
  agents.delete(dp.httpPort);
  await dp.stop();
}

/** Which test server answered (x-backend, so HEAD works too), or `status:<code>`. */
async function who(dp: RunningDataplane, ask: Ask): Promise<string> {
  const response = await request({ port: dp.httpPort, host: ask.host, path: ask.path ?? '/', method: ask.method ?? 'GET', headerList: ask.headers ?? [], agent: agentOf(dp) });
  const backend = response.headers['x-backend'];
  return typeof backend === 'string' ? backend : `status:${response.status}`;
}

/** What the reference matcher says, as `who` reports it: one answer, or the set a split may give. */
function expected(model: Model, ask: Ask): Set<string> {
  const parts: RequestParts = { method: ask.method ?? 'GET', headers: ask.headers ?? [] };
  const shares = matchShares(model, ask.host, ask.path ?? '/', parts);
  return new Set(
    shares.map(({ target }) => {
      if (target.kind === 'backend') return target.id.split('_')[1]!;
      return `status:${{ 'not-found': 404, unavailable: 503, invalid: 500 }[target.kind]}`;
    }),
  );
}

async function assertAnswers(dp: RunningDataplane, model: Model, cases: readonly [Ask, string][]): Promise<void> {
  for (const [ask, answer] of cases) {
    const label = `${ask.method ?? 'GET'} ${ask.host}${ask.path ?? '/'} ${JSON.stringify(ask.headers ?? [])}`;
    assert.deepEqual(expected(model, ask), new Set([answer]), `the reference for ${label}`);
    assert.equal(await who(dp, ask), answer, label);
  }
}

async function counts(dp: RunningDataplane, ask: Ask, n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i += 1) {
    const answer = await who(dp, ask);
    out.set(answer, (out.get(answer) ?? 0) + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------

describe('request conditions through HAProxy', () => {
  const hostile = `a b|c&d>e,f*g=h%i#j;k'l"m`;
  const routes: Route[] = [
    {
      match: 'prefix',
      path: '',
      target: to('a'),
      candidates: [
        only(to('b'), when({ method: 'HEAD' })),
        only(to('b'), when({ headers: [header('x-exact', 'Hello World')] })),
        only(to('c'), when({ headers: [header('x-re', '^v[0-9]+$', 'regex')] })),
        only(to('c'), when({ query: [header('animal', 'whale')] })),
        only(to('d'), when({ query: [header('ANIMAL', 'dolphin')] })),
        only(to('d'), when({ method: 'POST', headers: [header('x-and', '1')], query: [header('and', '1')] })),
        only(to('b'), when({ headers: [header('x-multi', 'one, two')] })),
        only(to('c'), when({ headers: [header('x-hostile', hostile)], query: [header('v', 'a&b=c d')] })),
        only({ kind: 'invalid' }, when({ headers: [header('x-invalid', 'yes')] })),
        only({ kind: 'unavailable' }, when({ headers: [header('x-unavailable', 'yes')] })),
      ],
    },
    // A more specific path whose conditions fail falls through to the route's own target; translate appends the less specific candidates when they apply.
    { match: 'exact', path: '/exact', target: to('d'), candidates: [only(to('b'), when({ headers: [header('x-exact', 'Hello World')] }))] },
    { match: 'prefix', path: '/plain', target: to('a') },
  ];
  let dp: RunningDataplane;
  let model: Model;
  before(async () => {
    model = await modelOf(
      [
        level('m.test', routes),
        level('r.test', [{ match: 'regex', path: '/api/v[0-9]+', target: to('a'), candidates: [only(to('b'), when({ headers: [header('x-r', 'yes')] }))] }]),
        // An Ingress canary (its rules follow txn.be, which the candidates' rules come before).
        level('canary.test', [{ match: 'prefix', path: '', target: to('c'), canary: { target: { kind: 'backend', id: 'default_d_80' }, header: 'x-canary', weight: 0 } }]),
      ],
      backends(),
    );
    model.levels[1]!.regex = true;
    dp = await startDataplane(model);
  });
  after(() => stop(dp));

  test('method: HEAD is not GET, and falls through to the route target', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', method: 'HEAD' }, 'b'],
      [{ host: 'm.test', method: 'GET' }, 'a'],
      [{ host: 'm.test', method: 'PUT' }, 'a'],
    ]);
  });

  test('header exact: the whole value, case-sensitive; header names in any case', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', headers: [['x-exact', 'Hello World']] }, 'b'],
      [{ host: 'm.test', headers: [['X-EXACT', 'Hello World']] }, 'b'],
      [{ host: 'm.test', headers: [['X-Exact', 'hello world']] }, 'a'],
      [{ host: 'm.test', headers: [['x-exact', 'Hello World!']] }, 'a'],
      [{ host: 'm.test', headers: [['x-exact', 'Hello']] }, 'a'],
    ]);
  });

  test('header regex: PCRE2 as written', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', headers: [['x-re', 'v12']] }, 'c'],
      [{ host: 'm.test', headers: [['X-Re', 'v1']] }, 'c'],
      [{ host: 'm.test', headers: [['x-re', 'v12x']] }, 'a'],
      [{ host: 'm.test', headers: [['x-re', 'V12']] }, 'a'],
    ]);
  });

  test('repeated header fields are compared joined with ", "', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', headers: [['x-multi', 'one'], ['X-Multi', 'two']] }, 'b'],
      [{ host: 'm.test', headers: [['x-multi', 'one, two']] }, 'b'],
      [{ host: 'm.test', headers: [['x-multi', 'one']] }, 'a'],
    ]);
  });

  test('query exact: names case-sensitive, values percent-decoded, the first value counts', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', path: '/?animal=whale' }, 'c'],
      [{ host: 'm.test', path: '/x?ANIMAL=whale' }, 'a'],
      [{ host: 'm.test', path: '/x?ANIMAL=dolphin' }, 'd'],
      [{ host: 'm.test', path: '/x?animal=dolphin' }, 'a'],
      [{ host: 'm.test', path: '/x?animal=wh%61le' }, 'c'],
      [{ host: 'm.test', path: '/x?%61nimal=whale' }, 'c'],
      [{ host: 'm.test', path: '/x?other=1&animal=whale' }, 'c'],
      [{ host: 'm.test', path: '/x?animal=shark&animal=whale' }, 'a'],
      [{ host: 'm.test', path: '/x?animal=whale2' }, 'a'],
    ]);
  });

  test('several conditions are ANDed', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', method: 'POST', path: '/?and=1', headers: [['x-and', '1']] }, 'd'],
      [{ host: 'm.test', method: 'GET', path: '/?and=1', headers: [['x-and', '1']] }, 'a'],
      [{ host: 'm.test', method: 'POST', path: '/?and=2', headers: [['x-and', '1']] }, 'a'],
      [{ host: 'm.test', method: 'POST', path: '/?and=1' }, 'a'],
    ]);
  });

  test('the first candidate that holds wins; none holds: the route target', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', method: 'HEAD', headers: [['x-re', 'v1']] }, 'b'],
      [{ host: 'm.test', path: '/?animal=whale', headers: [['x-re', 'v1']] }, 'c'],
      [{ host: 'm.test', path: '/?animal=whale', headers: [['x-exact', 'Hello World']] }, 'b'],
      [{ host: 'm.test', path: '/exact' }, 'd'],
      [{ host: 'm.test', path: '/exact', headers: [['x-exact', 'Hello World']] }, 'b'],
      [{ host: 'm.test', path: '/plain/x', method: 'HEAD' }, 'a'],
    ]);
  });

  test('values with every separator of the list format, and spaces, match as written', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', path: '/?v=a%26b%3Dc%20d', headers: [['x-hostile', hostile]] }, 'c'],
      [{ host: 'm.test', path: '/?v=a%26b%3Dc%20e', headers: [['x-hostile', hostile]] }, 'a'],
      [{ host: 'm.test', path: '/?v=a%26b%3Dc%20d', headers: [['x-hostile', hostile.slice(1)]] }, 'a'],
    ]);
  });

  test('invalid answers 500, unavailable 503', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'm.test', headers: [['x-invalid', 'yes']] }, 'status:500'],
      [{ host: 'm.test', headers: [['x-unavailable', 'yes']] }, 'status:503'],
    ]);
    const response = await request({ port: dp.httpPort, host: 'm.test', headers: { 'x-invalid': 'yes' } });
    assert.equal(response.body, '500 Internal Server Error');
  });

  test('an Ingress canary still decides on its own route', async () => {
    assert.equal(await who(dp, { host: 'canary.test', headers: [['x-canary', 'always']] }), 'd');
    assert.equal(await who(dp, { host: 'canary.test', headers: [['x-canary', 'never']] }), 'c');
    assert.equal(await who(dp, { host: 'canary.test' }), 'c');
    assert.equal(await who(dp, { host: 'm.test', method: 'HEAD', headers: [['x-canary', 'always']] }), 'b');
  });

  test('a route of a regex level with candidates', async () => {
    await assertAnswers(dp, model, [
      [{ host: 'r.test', path: '/api/v2/x', headers: [['x-r', 'yes']] }, 'b'],
      [{ host: 'r.test', path: '/API/V2', headers: [['x-r', 'yes']] }, 'b'],
      [{ host: 'r.test', path: '/api/v2' }, 'a'],
      [{ host: 'r.test', path: '/other', headers: [['x-r', 'yes']] }, 'status:404'],
    ]);
  });
});

// ---------------------------------------------------------------------------

describe('weighted splits through HAProxy', () => {
  let dp: RunningDataplane;
  let model: Model;
  before(async () => {
    model = await modelOf(
      [
        level('s.test', [{ match: 'prefix', path: '', target: to('d'), candidates: [{ split: [{ target: to('a'), weight: 70 }, { target: to('b'), weight: 30 }, { target: to('c'), weight: 0 }] }] }]),
        level('i.test', [{ match: 'prefix', path: '', target: to('d'), candidates: [{ split: [{ target: to('a'), weight: 1 }, { target: { kind: 'invalid' }, weight: 1 }] }] }]),
        level('z.test', [{ match: 'prefix', path: '', target: to('d'), candidates: [{ split: [{ target: to('a'), weight: 0 }] }] }]),
      ],
      backends(),
    );
    dp = await startDataplane(model);
  });
  after(() => stop(dp));

  // 1,000 requests rather than 500: at 500, ±5% is 2.4 standard deviations of the 70% share (a 1.6% chance of failing a correct router); at 1,000 it is 3.5.
  test('70/30/0: each share within ±5% of its weight, and none to the weight-0 share', async () => {
    const n = 1000;
    const seen = await counts(dp, { host: 's.test' }, n);
    assert.deepEqual([...seen.keys()].sort(), ['a', 'b'], JSON.stringify([...seen]));
    assert.ok(Math.abs(seen.get('a')! / n - 0.7) <= 0.05, JSON.stringify([...seen]));
    assert.ok(Math.abs(seen.get('b')! / n - 0.3) <= 0.05, JSON.stringify([...seen]));
    assert.deepEqual(expected(model, { host: 's.test' }), new Set(['a', 'b']));
  });

  test('an invalid share answers 500 for its share of the requests', async () => {
    const n = 600;
    const seen = await counts(dp, { host: 'i.test' }, n);
    assert.deepEqual([...seen.keys()].sort(), ['a', 'status:500'], JSON.stringify([...seen]));
    assert.ok(Math.abs(seen.get('status:500')! / n - 0.5) <= 0.1, JSON.stringify([...seen]));
  });

  test('a split whose weights are all 0 answers 500', async () => {
    assert.deepEqual(await counts(dp, { host: 'z.test' }, 20), new Map([['status:500', 20]]));
    assert.deepEqual(expected(model, { host: 'z.test' }), new Set(['status:500']));
  });
});

// ---------------------------------------------------------------------------

describe('runtime changes of candidates', () => {
  const host = 'rt.test';
  const probes: Ask[] = [
    { host },
    { host, method: 'HEAD' },
    { host, headers: [['x-version', 'v1']] },
    { host, headers: [['x-version', 'v2']] },
    { host, path: '/?animal=whale' },
    { host, path: '/x?animal=whale', headers: [['x-version', 'v2']] },
    { host, path: '/e' },
    { host, path: '/e', headers: [['x-e', 'yes']] },
    { host, path: '/long', headers: [['x-long', 'k39']] },
    { host, path: '/long', headers: [['x-long', 'k3']] },
    { host: 'plain.test' },
  ];
  const longRoute = (tag: string, winner: Name): Route => ({
    match: 'prefix',
    path: '/long',
    target: to('a'),
    // Over 8,000 characters: the list is cut into parts.
    candidates: Array.from({ length: 40 }, (_, i) =>
      i === 39 ? only(to(winner), when({ headers: [header('x-long', 'k39')] })) : only(to('b'), when({ headers: [header('x-long', `k${i}`), header('x-pad', `${tag}${'p'.repeat(300)}`)] })),
    ),
  });
  const base = (version: string, weights: [number, number], extra: Candidate[] = [], names: readonly Name[] = ['a', 'b', 'c']): Promise<Model> =>
    modelOf(
      [
        level(host, [
          {
            match: 'prefix',
            path: '',
            target: to('a'),
            candidates: [only(to('b'), when({ headers: [header('x-version', version)] })), ...extra, { when: when({ query: [header('animal', 'whale')] }), split: [{ target: to('b'), weight: weights[0] }, { target: to('c'), weight: weights[1] }] }],
          },
          { match: 'exact', path: '/e', target: to('c'), candidates: [only(to('b'), when({ headers: [header('x-e', 'yes')] }))] },
          longRoute('one', 'c'),
        ]),
        level('plain.test', [{ match: 'prefix', path: '', target: to('a') }]),
      ],
      backends(names),
    );

  /** Every probe gets the same answer from the running HAProxy as from one started afresh with the model, and as the reference says. */
  async function sameAsFreshStart(dp: RunningDataplane, model: Model, step: string): Promise<void> {
    const fresh = await startDataplane(model);
    try {
      for (const probe of probes) {
        const live = await who(dp, probe);
        const reference = expected(model, probe);
        assert.equal(reference.size, 1, `${step}: deterministic probe`);
        assert.equal(live, [...reference][0], `${step}: ${JSON.stringify(probe)} live`);
        assert.equal(await who(fresh, probe), live, `${step}: ${JSON.stringify(probe)} fresh start`);
      }
    } finally {
      await stop(fresh);
    }
    // The live maps equal the files of the loaded generation, once they are written.
    await eventually(() => mapsMatchFiles(dp.stateDir, ['hosts.map', 'exact.map', 'prefix.map', 'candidates.map']), 15_000, 200);
  }

  test('a header value, a weight, a new candidate, a long list, a new Service in a split, every candidate removed: no reload, and the same answers as a fresh start', async () => {
    const first = await base('v1', [1, 0]);
    const dp = await startDataplane(first);
    try {
      const worker = await dp.worker();
      const reloads = await dp.reloads();
      await sameAsFreshStart(dp, first, 'start');
      const steps: [string, Model][] = [
        ['a header value changed', await base('v2', [1, 0])],
        ['a weight changed', await base('v2', [0, 1])],
        ['a candidate added', await base('v2', [0, 1], [only(to('c'), when({ method: 'HEAD' }))])],
        ['a long list changed (new parts)', await (async () => {
          const m = await base('v2', [0, 1], [only(to('c'), when({ method: 'HEAD' }))]);
          m.levels[0]!.routes[2] = longRoute('two', 'b');
          return m;
        })()],
        ['a new Service in a split (a spare backend)', await base('v2', [0, 1], [only(to('d'), when({ method: 'HEAD' }))], ['a', 'b', 'c', 'd'])],
        ['every candidate removed', await modelOf([level(host, [{ match: 'prefix', path: '', target: to('a') }, { match: 'exact', path: '/e', target: to('c') }, { match: 'prefix', path: '/long', target: to('a') }]), level('plain.test', [{ match: 'prefix', path: '', target: to('a') }])], backends(['a', 'b', 'c']))],
      ];
      for (const [step, model] of steps) {
        const result = await dp.applyWithoutReload(model);
        assert.equal(result.status, 'runtime', step);
        await sameAsFreshStart(dp, model, step);
        assert.equal(await dp.worker(), worker, `${step}: the same HAProxy worker`);
        assert.equal(await dp.reloads(), reloads, `${step}: no reload`);
      }
      assert.ok(!dp.logs.some((line) => /reload|differs from the files/i.test(line)), dp.logs.filter((line) => /reload|differs/i.test(line)).join('\n'));
    } finally {
      await stop(dp);
    }
  });

  test('hundreds of lists changed at once (candidates.map replaced whole): no reload, every route answers as the reference', async () => {
    const many = (tag: string, keep: (i: number) => boolean) =>
      modelOf(
        [level(host, Array.from({ length: 300 }, (_, i): Route => ({ match: 'exact', path: `/r${i}`, target: to('a'), ...(keep(i) ? { candidates: [only(to(i % 2 === 0 ? 'b' : 'c'), when({ headers: [header('x-tag', `${tag}-${i}`)] }))] } : {}) })))],
        backends(['a', 'b', 'c']),
      );
    const first = await many('one', () => true);
    const dp = await startDataplane(first);
    try {
      const reloads = await dp.reloads();
      const next = await many('two', (i) => i % 3 !== 0);
      assert.equal((await dp.applyWithoutReload(next)).status, 'runtime');
      for (const i of [0, 1, 2, 3, 149, 298, 299]) {
        for (const tag of ['one', 'two']) {
          const ask: Ask = { host, path: `/r${i}`, headers: [['x-tag', `${tag}-${i}`]] };
          assert.equal(await who(dp, ask), [...expected(next, ask)][0], JSON.stringify(ask));
        }
      }
      assert.equal(await dp.reloads(), reloads);
      await eventually(() => mapsMatchFiles(dp.stateDir, ['exact.map', 'candidates.map']), 15_000, 200);
    } finally {
      await stop(dp);
    }
  });

  test('a pattern PCRE2 refuses (JavaScript takes it) answers 500 and logs why, never a 404', async () => {
    const model = await modelOf([level(host, [{ match: 'prefix', path: '', target: to('a'), candidates: [only(to('b'), when({ headers: [header('x-lb', '(?<=a+)b', 'regex')] }))] }])], backends(['a', 'b']));
    const dp = await startDataplane(model);
    try {
      assert.equal(await who(dp, { host, headers: [['x-lb', 'aab']] }), 'status:500');
      assert.equal(await who(dp, { host }), 'status:500');
      await eventually(() => assert.ok(dp.logs.some((line) => line.includes('portero candidates: regular expression refused by PCRE2')), dp.logs.join('\n')));
    } finally {
      await stop(dp);
    }
  });
});

// ---------------------------------------------------------------------------
// Random lists and requests: HAProxy answers as the reference matcher says.

const value = fc.constantFrom('1', '2', 'a b', 'v10', 'x,y');
const share = fc.record({ target: fc.constantFrom<Target>(to('a'), to('b'), to('c'), to('d'), { kind: 'invalid' }, { kind: 'unavailable' }), weight: fc.integer({ min: 0, max: 2 }) });
const candidate = fc.record({
  when: fc.option(
    fc.record({
      method: fc.option(fc.constantFrom('GET', 'HEAD', 'POST'), { nil: undefined }),
      // Gateway API RegularExpression paths: the whole path, case-sensitively, without the query.
      path: fc.option(fc.constantFrom('/x(/.*)?', '/x/y', '/[xy]+', '.*', '/X.*', '/x/y/').map((value) => ({ kind: 'regex' as const, value: `^(?:${value})$` })), { nil: undefined }),
      headers: fc.uniqueArray(fc.record({ name: fc.constantFrom('x-a', 'x-b'), match: fc.oneof(value.map((v) => ({ kind: 'exact' as const, value: v })), fc.constantFrom('^v[0-9]+$', '1|2', ' b$', ',').map((v) => ({ kind: 'regex' as const, value: v }))) }), { selector: (h) => h.name, maxLength: 2 }),
      query: fc.uniqueArray(fc.record({ name: fc.constantFrom('q', 'Q'), match: fc.oneof(value.map((v) => ({ kind: 'exact' as const, value: v })), fc.constantFrom('^[0-9]$', 'a').map((v) => ({ kind: 'regex' as const, value: v }))) }), { selector: (q) => q.name, maxLength: 2 }),
    }),
    { nil: undefined },
  ),
  split: fc.array(share, { minLength: 1, maxLength: 3 }),
});
const routeArb = (match: 'prefix' | 'exact', path: string) =>
  fc.record({ target: fc.constantFrom<Target>(to('a'), to('b'), { kind: 'not-found' }), candidates: fc.option(fc.array(candidate, { minLength: 1, maxLength: 6 }), { nil: undefined }) }).map((route): Route => ({ match, path, ...route }));
const routesArb = fc.tuple(routeArb('prefix', ''), routeArb('prefix', '/x'), routeArb('exact', '/x/y'));
const casing = (name: string) => fc.constantFrom(name, name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1));
const askArb = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'),
  path: fc.constantFrom('/', '/x', '/x/y', '/x/y/z', '/xy', '/X/y'),
  query: fc.array(fc.tuple(fc.constantFrom('q', 'Q', 'r', '%71'), fc.constantFrom('1', '2', 'a%20b', 'a+b', 'v10', 'x%2Cy', '')), { maxLength: 3 }),
  headers: fc.array(fc.tuple(fc.constantFrom('x-a', 'x-b', 'x-c').chain(casing), value), { maxLength: 3 }),
});

describe('HAProxy and the reference matcher agree', () => {
  test('for random candidate lists applied at runtime, and random requests', async () => {
    // Every lookup the random models may need is loaded from the start: each of them is a runtime change.
    const initial = await modelOf([level('p.test', [{ match: 'prefix', path: '', target: to('a'), candidates: [only(to('b'), when({ method: 'POST' }))] }, { match: 'exact', path: '/x/y', target: to('a') }])], backends());
    const dp = await startDataplane(initial);
    try {
      const reloads = await dp.reloads();
      await fc.assert(
        fc.asyncProperty(routesArb, fc.array(askArb, { minLength: 20, maxLength: 20 }), async (routes, asks) => {
          const model = await modelOf([level('p.test', routes)], backends());
          await dp.applyWithoutReload(model);
          for (const generated of asks) {
            const path = generated.query.length === 0 ? generated.path : `${generated.path}?${generated.query.map(([k, v]) => `${k}=${v}`).join('&')}`;
            const ask: Ask = { host: 'p.test', method: generated.method, path, headers: generated.headers };
            const answer = await who(dp, ask);
            const allowed = expected(model, ask);
            assert.ok(allowed.has(answer), `${JSON.stringify(ask)}: HAProxy answered ${answer}, the reference allows ${[...allowed].join(' ')}\nroutes: ${JSON.stringify(routes)}`);
          }
        }),
        { numRuns: 25 },
      );
      assert.equal(await dp.reloads(), reloads, 'no reload');
    } finally {
      await stop(dp);
    }
  });
});
