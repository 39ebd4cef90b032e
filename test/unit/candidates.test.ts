// Routes with candidates (request conditions and weighted splits, the Gateway
// API's matches and weighted backendRefs) in the data plane, without HAProxy
// running: the grammar of candidate lists, their encoding and its round
// trip, long lists cut into parts, the rendered maps and rules (and
// `haproxy -c` on them), the capability that turns them on, the reference
// matcher, and runtime plans for candidates.map carried out with HAProxy's
// semantics. test/e2e/candidates.test.ts asks a real HAProxy.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { planChange, type LiveState, type RuntimePlan } from '../../src/dataplane/haproxy/plan.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { backendName, INVALID_BACKEND, MAP_FILES, mapContents, routeKeyOf } from '../../src/dataplane/haproxy/render-files.js';
import { executePlan } from '../../src/dataplane/haproxy/runtime-apply.js';
import { MAX_PAYLOAD_BYTES } from '../../src/dataplane/haproxy/runtime.js';
import { BackendNames, misfit, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { answer, effectiveShares, matchRequest, matchShares, type RequestParts } from '../../src/model/match.js';
import type { Backend, Candidate, HostLevel, Model, Route, Target } from '../../src/model/model.js';
import { assertHaproxyAccepts } from '../helpers/annotations.js';
import { parseCandidateList, wholeList, type ParsedCandidate } from '../helpers/candidates.js';
import { testCertificate } from '../helpers/dataplane.js';
import { simulateShares } from '../helpers/map-simulator.js';
import { RuntimeSimulator } from '../helpers/runtime-simulator.js';

const GEN = '/state/gen-1';
const certificate = await testCertificate();

const backend = (name: string, address = '10.0.0.1'): Backend => ({ id: `default_${name}_80`, namespace: 'default', service: name, port: 80, endpoints: [{ address, port: 8080 }] });
const to = (name: string): Target => ({ kind: 'backend', id: `default_${name}_80` });
const only = (target: Target, when?: Candidate['when']): Candidate => ({ ...(when ? { when } : {}), split: [{ target, weight: 1 }] });
const header = (name: string, value: string, kind: 'exact' | 'regex' = 'exact') => ({ name, match: { kind, value } });
const when = (parts: Partial<NonNullable<Candidate['when']>>): NonNullable<Candidate['when']> => ({ headers: [], query: [], ...parts });

function model(levels: HostLevel[], backends: Backend[] = ['a', 'b', 'c'].map((name) => backend(name))): Model {
  return { levels, backends, catchAll: { kind: 'not-found' }, defaultCertificate: certificate, certificates: [], redirectHosts: [] };
}

const get = (headers: [string, string][] = [], method = 'GET'): RequestParts => ({ method, headers });

// ---------------------------------------------------------------------------

describe('candidate lists: grammar', () => {
  const share = [{ weight: 1, backend: c.ident('be') }];
  const one = (candidate: Partial<c.CandidateText>) => c.candidateList([{ headers: [], query: [], shares: share, ...candidate }], c.ident('fallback'));
  const refused: [string, () => unknown][] = [
    ['a header name with a space', () => one({ headers: [header('x y', '1')] })],
    ['a header name in uppercase (the model lowercases them)', () => one({ headers: [header('X-Y', '1')] })],
    ['a header name with a colon', () => one({ headers: [header('x:y', '1')] })],
    ['an empty header name', () => one({ headers: [header('', '1')] })],
    ['a header name with a newline', () => one({ headers: [header('x\ny', '1')] })],
    ['a header name of 257 characters', () => one({ headers: [header('x'.repeat(257), '1')] })],
    ['a query name with a space', () => one({ query: [header('a b', '1')] })],
    ['a query name with =', () => one({ query: [header('a=b', '1')] })],
    ['a header value with CR LF', () => one({ headers: [header('x', 'a\r\nx-injected: 1')] })],
    ['a header value with NUL', () => one({ headers: [header('x', 'a\0')] })],
    ['a header value with DEL', () => one({ headers: [header('x', 'a\x7f')] })],
    ['an empty header value', () => one({ headers: [header('x', '')] })],
    ['a header value of 4097 characters', () => one({ headers: [header('x', 'v'.repeat(4097))] })],
    ['a header value with a lone surrogate', () => one({ headers: [header('x', 'a\uD800b')] })],
    ['a query value of 1025 characters', () => one({ query: [header('q', 'v'.repeat(1025))] })],
    ['a lowercase method', () => one({ method: 'get' })],
    ['a method with a space', () => one({ method: 'GE T' })],
    ['an empty method', () => one({ method: '' })],
    ['a pattern with a backslash', () => one({ headers: [header('x', 'a\\d', 'regex')] })],
    ['a path pattern with a backslash', () => one({ path: { kind: 'regex', value: '^/a\\d' } })],
    ['a path with CR LF', () => one({ path: { kind: 'exact', value: '/a\r\nx' } })],
    ['a pattern that does not compile', () => one({ headers: [header('x', '(a', 'regex')] })],
    ['a pattern with a newline', () => one({ headers: [header('x', 'a\nb', 'regex')] })],
    ['an unknown match kind', () => one({ headers: [{ name: 'x', match: { kind: 'prefix' as 'exact', value: 'a' } }] })],
    ['weight 0 (effectiveShares drops it first)', () => one({ shares: [{ weight: 0, backend: c.ident('be') }] })],
    ['a negative weight', () => one({ shares: [{ weight: -1, backend: c.ident('be') }] })],
    ['a fractional weight', () => one({ shares: [{ weight: 1.5, backend: c.ident('be') }] })],
    ['a weight over 1,000,000', () => one({ shares: [{ weight: 1_000_001, backend: c.ident('be') }] })],
    ['no shares', () => one({ shares: [] })],
    ['a backend name with a space', () => one({ shares: [{ weight: 1, backend: { text: 'a b' } as c.Safe }] })],
    ['a backend name with a separator', () => one({ shares: [{ weight: 1, backend: { text: 'a|b' } as c.Safe }] })],
    ['a fallback that is no identifier', () => c.candidateList([], { text: 'a>b' } as c.Safe)],
    ['a list with a space', () => c.candidateEntries(c.routeKey('?0123456789abcdef'), 'a b', () => '0'.repeat(12))],
    ['a list that looks like a first part', () => c.candidateEntries(c.routeKey('?0123456789abcdef'), '+2.abc/x', () => '0'.repeat(12))],
    ['a route key that is not ? and 16 hex digits', () => c.routeKey('?abc')],
    ['a route key with a space', () => c.routeKey('? 123456789abcdef')],
  ];
  for (const [title, call] of refused) test(`refused: ${title}`, () => assert.throws(call, c.UnsafeValueError));

  test('hostile but valid values are percent-encoded: no separator, space, quote, backslash or # survives', () => {
    const value = `a b|c&d>e,f*g=h%i#j;k'l"m\\n<<\t+/:é€😀`;
    const list = one({ method: 'PATCH', headers: [header('x-h', value)], query: [header('Q&', value.slice(0, 40)), header('r', '^(a|b)[*]{1,3} ?$', 'regex')] });
    assert.match(list, /^[A-Za-z0-9._~%>|&,*=+/:-]+$/);
    assert.equal(list, list.trim());
    const parsed = parseCandidateList(list);
    assert.deepEqual(parsed.candidates[0]!.conditions, [
      { what: 'm', value: 'PATCH' },
      { what: 'h', kind: 'exact', name: 'x-h', value },
      { what: 'q', kind: 'exact', name: 'Q&', value: value.slice(0, 40) },
      { what: 'q', kind: 'regex', name: 'r', value: '^(a|b)[*]{1,3} ?$' },
    ]);
    assert.equal(parsed.fallback, 'fallback');
  });
});

// ---------------------------------------------------------------------------

const printable = fc.string({ unit: fc.constantFrom(...'aZ09 -_.~%|&>,*=#;\'"\\<+/:\té€😀'.split(/(?:)/u)), minLength: 1, maxLength: 40 });
const tokenName = fc.string({ unit: fc.constantFrom(...'abz09-_.!#$%&\'*+^`|~'.split('')), minLength: 1, maxLength: 12 });
const pattern = fc.constantFrom('^a', 'b$', '(x|y)+z', '[0-9]{2,4}', '^v[.]1( beta)?$', '.*');
const valueMatch = fc.oneof(printable.map((value) => ({ kind: 'exact' as const, value })), pattern.map((value) => ({ kind: 'regex' as const, value })));
const candidateText = fc.record({
  method: fc.option(fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE'), { nil: undefined }),
  path: fc.option(valueMatch, { nil: undefined }),
  headers: fc.array(fc.record({ name: tokenName, match: valueMatch }), { maxLength: 3 }),
  query: fc.array(fc.record({ name: tokenName.map((name) => name.toUpperCase()), match: valueMatch }), { maxLength: 3 }),
  shares: fc.array(fc.record({ weight: fc.integer({ min: 1, max: 1_000_000 }), backend: fc.constantFrom('default_a_80', 'portero:spare:3', INVALID_BACKEND) }), { minLength: 1, maxLength: 4 }),
});

describe('candidate lists: encoding', () => {
  test('round trip: what the Lua reads back is what was rendered, for any valid list', () => {
    fc.assert(
      fc.property(fc.array(candidateText, { maxLength: 6 }), (candidates) => {
        const texts: c.CandidateText[] = candidates.map((candidate) => ({
          ...(candidate.method ? { method: candidate.method } : {}),
          ...(candidate.path ? { path: candidate.path } : {}),
          headers: candidate.headers,
          query: candidate.query,
          shares: candidate.shares.map((share) => ({ weight: share.weight, backend: c.ident(share.backend) })),
        }));
        const list = c.candidateList(texts, c.ident('portero:unavailable'));
        assert.match(list, /^[A-Za-z0-9._~%>|&,*=+/:-]+$/);
        const parsed = parseCandidateList(list);
        const expected: ParsedCandidate[] = candidates.map((candidate) => ({
          conditions: [
            ...(candidate.method ? [{ what: 'm' as const, value: candidate.method }] : []),
            ...(candidate.path ? [{ what: 'p' as const, kind: candidate.path.kind, name: '', value: candidate.path.value }] : []),
            ...candidate.headers.map((h) => ({ what: 'h' as const, kind: h.match.kind, name: h.name, value: h.match.value })),
            ...candidate.query.map((q) => ({ what: 'q' as const, kind: q.match.kind, name: q.name, value: q.match.value })),
          ],
          shares: candidate.shares.map((share) => ({ weight: share.weight, backend: share.backend })),
        }));
        assert.deepEqual(parsed, { candidates: expected, fallback: 'portero:unavailable' });
      }),
      { numRuns: 500 },
    );
  });

  test('a long list is cut into parts under the map and runtime API limits, and reassembles whole', () => {
    const texts: c.CandidateText[] = Array.from({ length: 30 }, (_, i) => ({ headers: [header('x-long', `${i}-${'é'.repeat(300)}`)], query: [], shares: [{ weight: i + 1, backend: c.ident('default_a_80') }] }));
    const list = c.candidateList(texts, c.ident('default_b_80'));
    assert.ok(list.length > 3 * c.CANDIDATE_PART_BYTES, `${list.length} characters`);
    const key = c.routeKey('?0123456789abcdef');
    const entries = c.candidateEntries(key, list, () => 'abcdef012345');
    assert.equal(entries.length, Math.ceil(list.length / c.CANDIDATE_PART_BYTES));
    assert.match(entries[0]!.value.text, new RegExp(`^\\+${entries.length}\\.abcdef012345/`));
    assert.deepEqual(
      entries.slice(1).map((entry) => entry.key),
      entries.slice(1).map((_, i) => `?0123456789abcdef.abcdef012345.${i + 1}`),
    );
    for (const entry of entries) {
      // A map file line and an `add map <file> <key> <value>` command both fit HAProxy's 16 KiB buffer; a payload line fits a payload.
      assert.ok(Buffer.byteLength(c.mapLine(entry)) + 200 < 16384 && Buffer.byteLength(c.mapLine(entry)) < MAX_PAYLOAD_BYTES);
    }
    const byKey = new Map(entries.map((entry) => [entry.key, entry.value.text]));
    assert.equal(wholeList((k) => byKey.get(k), key.text), list);
    assert.equal(parseCandidateList(wholeList((k) => byKey.get(k), key.text)!).candidates.length, 30);
    // A part missing: the list is not whole (the Lua answers 500 then; the runtime order never lets it happen).
    byKey.delete(entries[2]!.key);
    assert.equal(wholeList((k) => byKey.get(k), key.text), undefined);
  });

  test('a short list is one entry, as written', () => {
    const list = c.candidateList([{ method: 'GET', headers: [], query: [], shares: [{ weight: 1, backend: c.ident('a') }] }], c.ident('b'));
    assert.equal(list, 'mGET>1*a|b');
    assert.deepEqual(
      c.candidateEntries(c.routeKey('?0123456789abcdef'), list, () => 'x').map((entry) => `${entry.key} ${entry.value.text}`),
      ['?0123456789abcdef mGET>1*a|b'],
    );
  });
});

// ---------------------------------------------------------------------------

const conditional: Route = {
  match: 'prefix',
  path: '',
  target: to('a'),
  candidates: [
    only(to('b'), when({ method: 'POST' })),
    only(to('c'), when({ headers: [header('x-version', 'v2')] })),
    { when: when({ query: [header('canary', '1')] }), split: [{ target: to('b'), weight: 70 }, { target: to('c'), weight: 30 }, { target: to('a'), weight: 0 }] },
  ],
};

describe('rendering routes with candidates', () => {
  const levels: HostLevel[] = [
    { host: 'c.test', routes: [conditional, { match: 'exact', path: '/e', target: to('b'), candidates: [only({ kind: 'invalid' }, when({ headers: [header('x-e', '^[0-9]+$', 'regex')] }))] }, { match: 'prefix', path: '/plain', target: to('c') }], fallback: { kind: 'not-found' } },
    { host: 'p.test', routes: [{ match: 'prefix', path: '', target: to('a') }], fallback: { kind: 'not-found' } },
  ];

  test('the route maps hold route keys, candidates.map the lists; other routes are unchanged', () => {
    const maps = mapContents(model(levels));
    const key = routeKeyOf('c.test', conditional).text;
    assert.match(key, /^\?[0-9a-f]{16}$/);
    const prefix = new Map(maps.prefix.map((entry) => [entry.key, entry.value.text]));
    assert.equal(prefix.get('c.test/'), key);
    assert.equal(prefix.get('c.test/plain/'), 'default_c_80');
    assert.equal(prefix.get('p.test/'), 'default_a_80');
    const exactKey = maps.exact.find((entry) => entry.key === 'c.test/e')!.value.text;
    assert.match(exactKey, /^\?/);
    const candidates = new Map(maps.candidates.map((entry) => [entry.key, entry.value.text]));
    assert.equal(candidates.get(key), 'mPOST>1*default_b_80|hex-version=v2>1*default_c_80|qecanary=1>70*default_b_80,30*default_c_80|default_a_80');
    assert.equal(candidates.get(exactKey), `hrx-e=%5E%5B0-9%5D%2B%24>1*${INVALID_BACKEND}|default_b_80`);
  });

  test('route keys are stable: from the level, the match and the path only', () => {
    const changed: Route = { ...conditional, target: to('b'), candidates: [only(to('c'))] };
    assert.equal(routeKeyOf('c.test', conditional).text, routeKeyOf('c.test', changed).text);
    assert.notEqual(routeKeyOf('c.test', conditional).text, routeKeyOf('d.test', conditional).text);
    assert.notEqual(routeKeyOf('c.test', conditional).text, routeKeyOf('c.test', { match: 'exact', path: '' }).text);
    assert.notEqual(routeKeyOf('c.test', conditional).text, routeKeyOf('~c.test', conditional).text);
  });

  const settings = { stateDir: '/state', adminSocket: '/state/admin.sock', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, hardStopAfter: '5m', maxReloads: 8 };
  const frontends = (m: Model) => {
    const config = renderConfig(m, settings, GEN, new BackendNames(structureFor(m)));
    return { config, rules: config.split('\n').filter((line) => /^ {2}(http-request|use_backend)/.test(line)) };
  };

  test('with candidates: two rules after the route lookups, the Lua loaded per thread, and use_backend on txn.be', () => {
    const { config, rules } = frontends(model(levels));
    assert.ok(config.includes(`  lua-load-per-thread ${GEN}/candidates.lua`));
    const tail = rules.slice(rules.findIndex((line) => line.includes('set-var(txn.be)')));
    assert.deepEqual(tail.slice(0, 5), [
      `  http-request set-var(txn.be) var(txn.level),concat(,txn.path),map_str(${GEN}/exact.map)`,
      `  http-request set-var(txn.be) var(txn.level),concat(,txn.path,/),map_beg(${GEN}/prefix.map) if !{ var(txn.be) -m found }`,
      '  http-request set-var-fmt(txn.cin) "%[var(txn.be)] %[method] %[pathq]\\r\\n%[req.hdrs]" if { var(txn.be) -m beg ? }',
      '  http-request set-var(txn.be) var(txn.cin),lua.portero_candidates',
      '  use_backend %[var(txn.be)]',
    ]);
    // gRPC calls get UNAVAILABLE; the rest 500.
    assert.match(config, /backend portero:invalid\n(?: {2}.*\n)* {2}http-request return status 200 hdr grpc-status 14 .*\n(?: {2}.*\n)* {2}http-request return status 500 /);
  });

  test('without candidates: no lookup of candidates.map, no Lua, the routing rules of before', () => {
    const { config, rules } = frontends(model([levels[1]!]));
    assert.ok(!config.includes('candidates'), 'nothing about candidates');
    assert.ok(!config.includes('lua-load'));
    assert.ok(!rules.some((line) => line.includes('txn.be')), rules.join('\n'));
    assert.ok(rules.includes(`  use_backend %[var(txn.level),concat(,txn.path,/),map_beg(${GEN}/prefix.map)]`));
  });

  test('HAProxy accepts the configuration: exact, prefix and regex routes with candidates, a wildcard, a long list, hostile values', async () => {
    const hostile = `a b|c&d>e,f*g=h%i#j;k'l"m\\n<<`;
    const long: Route = { match: 'prefix', path: '/long', target: to('a'), candidates: Array.from({ length: 40 }, (_, i) => only(to('b'), when({ headers: [header('x-long', `${i}${'x'.repeat(500)}`)] }))) };
    const withRegexLevel: HostLevel[] = [
      { ...levels[0]!, routes: [...levels[0]!.routes, long, { match: 'prefix', path: '/h', target: to('a'), candidates: [only(to('c'), when({ method: 'PUT', headers: [header('x-h', hostile)], query: [header('q', hostile)] }))] }] },
      { host: '*.w.test', routes: [{ ...conditional }], fallback: to('c') },
      { host: 'r.test', regex: true, routes: [{ match: 'regex', path: '/api/v[0-9]+', target: to('a'), candidates: [only(to('b'), when({ headers: [header('x-r', 'yes')] }))] }], fallback: { kind: 'not-found' } },
    ];
    const m = model(withRegexLevel);
    assert.ok(mapContents(m).candidates.length > 2, 'the long list is in parts');
    const config = await assertHaproxyAccepts(m);
    assert.ok(config.includes('lua.portero_candidates'));
  });
});

// ---------------------------------------------------------------------------

describe('the capability', () => {
  const plain: HostLevel = { host: 'c.test', routes: [{ match: 'prefix', path: '', target: to('a') }], fallback: { kind: 'not-found' } };
  const withCandidates: HostLevel = { ...plain, routes: [conditional] };

  test('the first route with candidates is a structural change', () => {
    assert.match(misfit(structureFor(model([plain])), model([withCandidates])) ?? '', /request conditions or a weighted split/);
  });

  test('changing lists, and removing every candidate, fit the loaded structure', () => {
    const loaded = structureFor(model([withCandidates]));
    assert.equal(misfit(loaded, model([{ ...withCandidates, routes: [{ ...conditional, candidates: [only(to('c'))] }] }])), undefined);
    assert.equal(misfit(loaded, model([plain])), undefined);
  });

  test('an empty candidate list is no list: a plain route, no capability', () => {
    const empty = model([{ ...plain, routes: [{ ...plain.routes[0]!, candidates: [] }] }]);
    assert.equal(structureFor(empty).capabilities.candidates, false);
    assert.equal(mapContents(empty).prefix.find((entry) => entry.key === 'c.test/')!.value.text, 'default_a_80');
  });
});

// ---------------------------------------------------------------------------

describe('the reference matcher', () => {
  const m = model([
    {
      host: 'c.test',
      routes: [
        {
          match: 'prefix',
          path: '',
          target: to('a'),
          candidates: [
            only(to('b'), when({ method: 'HEAD' })),
            only(to('c'), when({ headers: [header('x-env', 'canary')], query: [header('animal', 'whale')] })),
            only({ kind: 'unavailable' }, when({ headers: [header('x-multi', 'a, b')] })),
            only({ kind: 'invalid' }, when({ headers: [header('x-re', '^v[0-9]$', 'regex')] })),
            only(to('b'), when({ query: [header('ANIMAL', 'dolphin')] })),
            { when: when({ query: [header('split', 'yes')] }), split: [{ target: to('a'), weight: 7 }, { target: to('b'), weight: 0 }, { target: to('c'), weight: 3 }] },
            { when: when({ query: [header('zero', 'yes')] }), split: [{ target: to('a'), weight: 0 }] },
            only(to('d'), when({ path: { kind: 'regex', value: '^(?:/re/[0-9]+)$' } })),
            only(to('c'), when({ path: { kind: 'regex', value: '^(?:/re/.*)$' }, method: 'POST' })),
            only(to('c'), when({ path: { kind: 'regex', value: '^/[^/]+/Ping$' } })),
            only(to('b'), when({ path: { kind: 'exact', value: '/exact/Path' }, method: 'PUT' })),
          ],
        },
      ],
      fallback: { kind: 'not-found' },
    },
  ]);
  const cases: [string, string, RequestParts, Target | Target[]][] = [
    ['no condition holds: the route target', '/', get(), to('a')],
    ['method HEAD', '/', get([], 'HEAD'), to('b')],
    ['method GET is not HEAD', '/', get([], 'GET'), to('a')],
    ['lowercase head is not HEAD', '/', get([], 'head'), to('a')],
    ['header and query, both hold', '/x?animal=whale', get([['X-Env', 'canary']]), to('c')],
    ['header name in any case', '/x?animal=whale', get([['X-ENV', 'canary']]), to('c')],
    ['header without the query: no', '/x', get([['x-env', 'canary']]), to('a')],
    ['query without the header: no', '/x?animal=whale', get(), to('a')],
    ['header value compared whole', '/x?animal=whale', get([['x-env', 'canary2']]), to('a')],
    ['header value is case-sensitive', '/x?animal=whale', get([['x-env', 'Canary']]), to('a')],
    ['query value percent-decoded', '/x?animal=wh%61le', get([['x-env', 'canary']]), to('c')],
    ['query name percent-decoded', '/x?%61nimal=whale', get([['x-env', 'canary']]), to('c')],
    ['the first value of a repeated parameter', '/x?animal=shark&animal=whale', get([['x-env', 'canary']]), to('a')],
    ['query names are case-sensitive: ANIMAL is not animal', '/x?ANIMAL=whale', get([['x-env', 'canary']]), to('a')],
    ['ANIMAL=dolphin matches its own condition', '/x?ANIMAL=dolphin', get(), to('b')],
    ['repeated header fields are joined with ", "', '/', get([['x-multi', 'a'], ['X-Multi', 'b']]), { kind: 'unavailable' }],
    ['blanks around a field value do not count', '/', get([['x-multi', ' a '], ['x-multi', 'b\t']]), { kind: 'unavailable' }],
    ['one field "a, b" is the same', '/', get([['x-multi', 'a, b']]), { kind: 'unavailable' }],
    ['a header regex, unanchored as written', '/', get([['x-re', 'v7']]), { kind: 'invalid' }],
    ['a header regex that does not match', '/', get([['x-re', 'v77']]), to('a')],
    ['the first candidate that holds wins', '/', get([['x-re', 'v7']], 'HEAD'), to('b')],
    ['a split: weight 0 dropped', '/?split=yes', get(), [to('a'), to('c')]],
    ['a split whose weights are all 0 answers 500', '/?zero=yes', get(), { kind: 'invalid' }],
    ['"+" stays "+"', '/x?animal=wh+ale', get([['x-env', 'canary']]), to('a')],
    ['a path pattern: the whole path', '/re/42', get(), to('d')],
    ['a path pattern: the query takes no part', '/re/42?a=b', get(), to('d')],
    ['a path pattern: a partial match is none', '/re/42/x', get(), to('a')],
    ['a path pattern: case-sensitive', '/RE/42', get(), to('a')],
    ['a path pattern and a method, both hold', '/re/x', get([], 'POST'), to('c')],
    ['a path pattern and a method, one fails', '/re/x', get(), to('a')],
    ['a path pattern, anchored by its own ^ and $', '/svc.A/Ping', get(), to('c')],
    ['a path pattern ignores the query', '/svc.A/Ping?x=/y/Ping', get(), to('c')],
    ['a path pattern that does not match the whole path', '/a/svc.A/Ping', get(), to('a')],
    ['an exact path with a method', '/exact/Path?q', get([], 'PUT'), to('b')],
    ['an exact path is case-sensitive', '/exact/path', get([], 'PUT'), to('a')],
  ];
  for (const [title, path, parts, expected] of cases) {
    test(title, () => {
      const shares = matchShares(m, 'c.test', path, parts);
      assert.deepEqual(
        shares.map((share) => share.target),
        Array.isArray(expected) ? expected : [expected],
      );
    });
  }

  test('weights of a split are kept; matchRequest refuses to pick one, answer() lists them', () => {
    assert.deepEqual(
      matchShares(m, 'c.test', '/?split=yes').map((share) => share.weight),
      [7, 3],
    );
    assert.throws(() => matchRequest(m, 'c.test', '/?split=yes'), /weighted split/);
    const answered = answer(m, { scheme: 'http', host: 'c.test', path: '/?split=yes', httpsPort: 443 });
    assert.equal(answered.kind === 'route' && answered.shares?.length, 2);
    assert.deepEqual(answer(m, { scheme: 'http', host: 'c.test', path: '/', httpsPort: 443, parts: get([], 'HEAD') }), { kind: 'route', target: to('b') });
  });

  test('effectiveShares: positive weights only, else 500', () => {
    assert.deepEqual(effectiveShares([{ target: to('a'), weight: 0 }]), [{ target: { kind: 'invalid' }, weight: 1 }]);
    assert.deepEqual(effectiveShares([{ target: to('a'), weight: 2 }, { target: to('b'), weight: 0 }]), [{ target: to('a'), weight: 2 }]);
  });

  test('the rendered maps, read as the Lua reads them, give the same shares', () => {
    for (const [title, path, parts] of cases) {
      const expected = matchShares(m, 'c.test', path, parts).map((share) => ({ weight: share.weight, backend: backendName(share.target).text }));
      assert.deepEqual(simulateShares(m, 'c.test', path, parts), expected, title);
    }
  });
});

// ---------------------------------------------------------------------------
// Runtime plans for candidates.map, carried out with HAProxy's semantics.

const live = (m: Model): LiveState => ({ model: m, names: new BackendNames(structureFor(m)), sparesUsed: 0 });
const file = (name: keyof typeof MAP_FILES) => `${GEN}/${MAP_FILES[name]}`;
const ROUTE_MAPS = ['exact', 'prefix'] as const;
const LOADED = ['hosts', 'exact', 'prefix', 'candidates'] as const;

function reloadInto(simulator: RuntimeSimulator, m: Model, names: BackendNames): void {
  const maps = mapContents(m, names);
  for (const name of LOADED) simulator.load(file(name), maps[name].map((entry) => `${entry.key} ${entry.value.text}\n`).join(''));
}

/** What a request arriving now would meet: every route key a route map names has its whole list, and it parses. */
function checkReferences(simulator: RuntimeSimulator, after: string): void {
  for (const name of ROUTE_MAPS) {
    for (const line of simulator.lines(file(name))) {
      const value = line.slice(line.lastIndexOf(' ') + 1);
      if (!value.startsWith('?')) continue;
      const list = wholeList((key) => simulator.lookup(file('candidates'), key), value);
      assert.ok(list !== undefined, `after "${after.slice(0, 120)}": ${value} has no whole list`);
      parseCandidateList(list);
    }
  }
}

async function carryOut(simulator: RuntimeSimulator, state: LiveState, next: Model): Promise<{ state: LiveState; plan: ReturnType<typeof planChange> }> {
  const plan = planChange(state, next);
  if (plan.kind === 'reload') {
    const names = new BackendNames(structureFor(next));
    reloadInto(simulator, next, names);
    return { state: { model: next, names, sparesUsed: 0 }, plan };
  }
  if (plan.kind === 'unchanged') return { state: { ...state, model: next }, plan };
  await executePlan(plan, { runtime: simulator.api, genDir: GEN, defaultCertificateId: 'default', draining: new Set(), unloaded: new Set(['backends', 'redirect', 'canary', 'passthrough']) });
  return { state: { model: next, names: plan.names, sparesUsed: plan.sparesUsed }, plan };
}

function assertMapsAreFiles(simulator: RuntimeSimulator, state: LiveState, step: string): void {
  const files = mapContents(state.model, state.names);
  for (const name of LOADED) assert.deepEqual(simulator.lines(file(name)), files[name].map((entry) => `${entry.key} ${entry.value.text}`).sort(), `${name} after ${step}`);
}

describe('runtime plans for candidate lists', () => {
  const level = (routes: Route[]): HostLevel => ({ host: 'c.test', routes, fallback: { kind: 'not-found' } });
  const base = model([level([conditional, { match: 'prefix', path: '/plain', target: to('a') }])]);

  const runtimePlan = (next: Model): RuntimePlan => {
    const plan = planChange(live(base), next);
    assert.equal(plan.kind, 'runtime', JSON.stringify(plan).slice(0, 300));
    return plan as RuntimePlan;
  };

  test('a header value changed: one candidates.map entry set, nothing else', () => {
    const changed = { ...conditional, candidates: [conditional.candidates![0]!, only(to('c'), when({ headers: [header('x-version', 'v3')] })), conditional.candidates![2]!] };
    const plan = runtimePlan(model([level([changed, { match: 'prefix', path: '/plain', target: to('a') }])]));
    assert.deepEqual(
      plan.maps.candidates.set.map((entry) => entry.key),
      [routeKeyOf('c.test', conditional).text],
    );
    assert.equal(plan.maps.candidates.add.length + plan.maps.candidates.remove.length, 0);
    assert.equal(plan.maps.prefix.add.length + plan.maps.prefix.set.length + plan.maps.prefix.remove.length, 0);
  });

  test('a weight changed, a candidate added, a new Service in a split (a spare): runtime changes', () => {
    const split = { ...conditional, candidates: [...conditional.candidates!.slice(0, 2), { ...conditional.candidates![2]!, split: [{ target: to('b'), weight: 50 }, { target: to('new'), weight: 50 }] }, only(to('c'), when({ method: 'DELETE' }))] };
    const next = model([level([split, { match: 'prefix', path: '/plain', target: to('a') }])], [...base.backends, backend('new', '10.0.0.9')]);
    const plan = runtimePlan(next);
    assert.equal(plan.names.nameOf('default_new_80'), 'portero:spare:0');
    assert.match(plan.maps.candidates.set[0]!.value.text, /50\*portero:spare:0/);
    assert.deepEqual(
      plan.addServers.map((server) => `${server.backend}/${server.server}`),
      ['portero:spare:0/10.0.0.9_8080'],
    );
  });

  test('every candidate removed: the route names its backend again, and its list goes after', async () => {
    const next = model([level([{ ...conditional, candidates: undefined }, { match: 'prefix', path: '/plain', target: to('a') }])]);
    const plan = runtimePlan(next);
    assert.deepEqual(
      plan.maps.prefix.set.map((entry) => `${entry.key} ${entry.value.text}`),
      ['c.test/ default_a_80'],
    );
    assert.deepEqual(plan.maps.candidates.remove, [routeKeyOf('c.test', conditional).text]);
    const simulator = new RuntimeSimulator();
    const state = live(base);
    reloadInto(simulator, base, state.names);
    simulator.afterCommand = (command) => checkReferences(simulator, command);
    const done = await carryOut(simulator, state, next);
    assertMapsAreFiles(simulator, done.state, 'removing every candidate');
    const sent = simulator.sent.join('\n');
    assert.ok(sent.indexOf('set map /state/gen-1/prefix.map') < sent.indexOf('del map /state/gen-1/candidates.map'), sent);
  });

  test('a long list changed: the new parts go in before the first entry names them, the old ones after', async () => {
    const longRoute = (tag: string): Route => ({ ...conditional, candidates: Array.from({ length: 30 }, (_, i) => only(to('b'), when({ headers: [header('x-long', `${tag}${i}${'y'.repeat(400)}`)] }))) });
    const first = model([level([longRoute('one')])]);
    const next = model([level([longRoute('two')])]);
    const simulator = new RuntimeSimulator();
    const state = live(first);
    reloadInto(simulator, first, state.names);
    assert.ok(simulator.lines(file('candidates')).length >= 2, 'in parts');
    simulator.afterCommand = (command) => checkReferences(simulator, command);
    const done = await carryOut(simulator, state, next);
    assert.equal(done.plan.kind, 'runtime');
    assertMapsAreFiles(simulator, done.state, 'a long list changed');
    for (const command of simulator.sent) assert.ok(Buffer.byteLength(command) < 16000, `${command.length} bytes`);
  });

  test('a change of hundreds of lists replaces candidates.map whole, keeping lost lists until no route names them', async () => {
    const many = (tag: string, count: number) =>
      model([level(Array.from({ length: count }, (_, i): Route => ({ match: 'exact', path: `/r${i}`, target: to('a'), candidates: [only(to('b'), when({ headers: [header('x-tag', `${tag}-${i}-${'z'.repeat(100)}`)] }))] })))]);
    const first = many('one', 400);
    const simulator = new RuntimeSimulator();
    let state = live(first);
    reloadInto(simulator, first, state.names);
    simulator.afterCommand = (command) => checkReferences(simulator, command);
    // All lists change, and half of the routes lose theirs.
    const next = model([level(many('two', 400).levels[0]!.routes.map((route, i) => (i % 2 === 0 ? route : { ...route, candidates: undefined })))]);
    const done = await carryOut(simulator, state, next);
    state = done.state;
    assert.equal(done.plan.kind, 'runtime');
    assert.equal(simulator.sent.filter((command) => command.startsWith(`commit map @`) && command.endsWith('candidates.map')).length, 2, 'replaced twice: with the lost lists, then without');
    for (const command of simulator.sent) assert.ok(!command.includes('<<') || Buffer.byteLength(command) <= MAX_PAYLOAD_BYTES + 200);
    assertMapsAreFiles(simulator, state, 'hundreds of lists');
  });

  // Random sequences: the live maps equal the files after each step, and between any two commands every route key has its list.
  const share = fc.record({ target: fc.constantFrom<Target>(to('a'), to('b'), to('c'), to('d'), { kind: 'invalid' }, { kind: 'unavailable' }), weight: fc.integer({ min: 0, max: 3 }) });
  const randomCandidate = fc.record({
    when: fc.option(
      fc.record({
        method: fc.option(fc.constantFrom('GET', 'POST'), { nil: undefined }),
        path: fc.option(fc.constantFrom('/x/.*', '.*').map((value) => ({ kind: 'regex' as const, value: `^(?:${value})$` })), { nil: undefined }),
        headers: fc.uniqueArray(fc.record({ name: fc.constantFrom('x-a', 'x-b'), match: fc.oneof(fc.constantFrom('1', '2', 'a b').map((value) => ({ kind: 'exact' as const, value })), fc.constantFrom('^1', '[ab]$').map((value) => ({ kind: 'regex' as const, value }))) }), { selector: (h) => h.name, maxLength: 2 }),
        query: fc.uniqueArray(fc.record({ name: fc.constantFrom('q', 'Q'), match: fc.constantFrom('1', '2', 'x'.repeat(900)).map((value) => ({ kind: 'exact' as const, value })) }), { selector: (q) => q.name, maxLength: 2 }),
      }),
      { nil: undefined },
    ),
    split: fc.array(share, { minLength: 1, maxLength: 3 }),
  });
  const randomRoute = (match: 'prefix' | 'exact', path: string) =>
    fc.record({ target: fc.constantFrom<Target>(to('a'), to('b'), { kind: 'not-found' }), candidates: fc.option(fc.array(randomCandidate, { minLength: 1, maxLength: 12 }), { nil: undefined }) }).map((route): Route => ({ match, path, ...route }));
  const randomModel = fc
    .tuple(randomRoute('prefix', ''), randomRoute('prefix', '/x'), randomRoute('exact', '/x/y'), fc.boolean(), fc.boolean())
    .map(([root, x, xy, withD, wildcard]) => model([{ host: wildcard ? '*.c.test' : 'c.test', routes: [root, x, xy], fallback: { kind: 'not-found' } }], ['a', 'b', 'c', ...(withD ? ['d'] : [])].map((name) => backend(name))));
  const requests: [string, string, RequestParts][] = [
    ['c.test', '/', get()],
    ['c.test', '/x?q=1', get([['X-A', '1']], 'POST')],
    ['c.test', '/x/y?Q=2&q=1', get([['x-b', 'a b']])],
    ['v.c.test', '/x/z?q=1', get([['x-a', '1'], ['x-a', '2']])],
  ];

  test('random sequences of models: live maps equal the files, and every route key has its whole list between any two commands', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomModel, { minLength: 2, maxLength: 5 }), async (models) => {
        const simulator = new RuntimeSimulator();
        let state = live(models[0]!);
        reloadInto(simulator, models[0]!, state.names);
        simulator.afterCommand = (command) => checkReferences(simulator, command);
        for (const [step, next] of models.slice(1).entries()) {
          state = (await carryOut(simulator, state, next)).state;
          assertMapsAreFiles(simulator, state, `step ${step + 1}`);
          for (const [host, path, parts] of requests) {
            const expected = matchShares(next, host, path, parts).map((s) => ({ weight: s.weight, backend: backendName(s.target, state.names).text }));
            assert.deepEqual(simulateShares(next, host, path, parts, state.names), expected, `${host}${path} after step ${step + 1}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
