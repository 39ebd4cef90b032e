// Gateway API RegularExpression paths (translate/gateway/regex-paths.ts and
// levels.ts): the whole path, case-sensitively, after every Exact and
// PathPrefix match of the hostname, the longest pattern first; refused
// patterns; GRPCRoute method patterns; and, for random routes and requests,
// the levels against the precedence written out as one sorted list.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { matchShares } from '../../src/model/match.js';
import { splitLevelHost, type HostLevel, type Model, type Target } from '../../src/model/model.js';
import type { GRPCRouteRule, HTTPRouteMatch, HTTPRouteRule } from '../../src/objects/gateway-types.js';
import { attachGateways } from '../../src/translate/gateway/index.js';
import { gatewayLevels } from '../../src/translate/gateway/levels.js';
import { literalPrefix, regexPath, regexReaches } from '../../src/translate/gateway/regex-paths.js';
import { serveGateways } from '../../src/translate/gateway/serve.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { backendRef, conformanceBase, grpcRoute, httpRoute, parentRef, rule } from '../helpers/gateway.js';

const certificate = await generateSelfSigned('conformance', ['*', '*.org'], 30);
const base = conformanceBase({ crt: certificate.cert, key: certificate.key });

const match = (path: string, type = 'PathPrefix', headers: Record<string, string> = {}): HTTPRouteMatch => ({ path: { type, value: path }, headers: Object.entries(headers).map(([name, value]) => ({ type: 'Exact', name, value })), queryParams: [] });
const regex = (path: string, headers: Record<string, string> = {}) => match(path, 'RegularExpression', headers);
const to = (service: string, matches: HTTPRouteMatch[]) => rule({ matches, backendRefs: [backendRef(`infra-backend-${service}`)] });

function levelsFor(rules: HTTPRouteRule[]) {
  return gatewayLevels(attachGateways({ ...base, httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], rules })] }).listeners);
}

// Every listener of these tests is in one scope (port 80, no addresses): the reference matcher sees the levels by their plain hosts.
const modelOf = (levels: HostLevel[]): Model => ({ levels: levels.map((level) => ({ ...level, host: splitLevelHost(level.host).host })), backends: [], catchAll: { kind: 'not-found' }, defaultCertificate: { id: 'default', pem: '', hosts: [] }, certificates: [], redirectHosts: [] });

function name(target: Target): string {
  return target.kind === 'backend' ? target.id.split('_')[1]!.replace(/^infra-backend-/, '') : target.kind;
}

/** What the reference matcher (model/match.ts) answers on the levels, as a service name. */
function answer(levels: HostLevel[], path: string, headers: [string, string][] = []): string {
  return matchShares(modelOf(levels), 'any.test', path, { method: 'GET', headers })
    .map((share) => name(share.target))
    .join(' ');
}

describe('RegularExpression paths: semantics and precedence', () => {
  const { levels, diagnostics } = levelsFor([
    to('v1', [match('/exact', 'Exact')]),
    to('v2', [match('/prefix')]),
    to('v3', [regex('/exact|/prefix/[0-9]+|/re/[0-9]+')]),
    to('v1', [regex('^/re/.*$')]),
    to('v2', [regex('/Case')]),
  ]);
  const cases: [string, string, string][] = [
    ['Exact beats a pattern that matches the same path', '/exact', 'v1'],
    ['PathPrefix beats a pattern that matches the same path', '/prefix/42', 'v2'],
    ['the whole path must match', '/re/42/more', 'v1'],
    ['the longest pattern first', '/re/42', 'v3'],
    ['a leading ^ and a trailing $ change nothing', '/re/', 'v1'],
    ['case-sensitive', '/case', 'not-found'],
    ['case-sensitive, as written', '/Case', 'v2'],
    ['the query takes no part', '/Case?x=/y', 'v2'],
    ['not anchored at the end: no partial match', '/Cases', 'not-found'],
    ['no match of any kind: 404', '/other', 'not-found'],
  ];
  for (const [title, path, expected] of cases) test(title, () => assert.equal(answer(levels, path), expected));

  test('plain routes stay plain: the Exact and PathPrefix keys have no candidates, `/` carries the patterns', () => {
    const routes = levels[0]!.routes;
    assert.deepEqual(
      routes.map((route) => [route.match, route.path, route.candidates?.map((candidate) => candidate.when?.path?.value) ?? null]),
      [
        ['prefix', '', ['^(?:/exact|/prefix/[0-9]+|/re/[0-9]+)$', '^(?:/re/.*$)$', '^(?:/Case)$']],
        ['exact', '/exact', null],
        ['prefix', '/prefix', null],
      ],
    );
    assert.deepEqual(diagnostics, []);
  });

  test('a pattern shadowed by an unconditional `/` is reported, and a conditional `/` does not shadow it', () => {
    const shadowed = levelsFor([to('v1', [match('/')]), to('v2', [regex('/api/.*')])]);
    assert.equal(answer(shadowed.levels, '/api/x'), 'v1');
    assert.deepEqual(
      shadowed.diagnostics.map((d) => [d.object.name, d.field, /never reached/.test(d.message)]),
      [['route', 'spec.rules[1].matches[0].path', true]],
    );
    const conditional = levelsFor([to('v1', [match('/', 'PathPrefix', { team: 'a' })]), to('v2', [regex('/api/.*')])]);
    assert.equal(answer(conditional.levels, '/api/x'), 'v2');
    assert.equal(answer(conditional.levels, '/api/x', [['team', 'a']]), 'v1');
    assert.deepEqual(conditional.diagnostics, []);
  });

  test('a pattern with headers: both must hold, and the more headers first among equal patterns', () => {
    const { levels } = levelsFor([to('v1', [regex('/h/.*')]), to('v2', [regex('/h/.*', { version: 'two' })])]);
    assert.equal(answer(levels, '/h/x'), 'v1');
    assert.equal(answer(levels, '/h/x', [['version', 'two']]), 'v2');
  });

  test('a pattern on a prefix key whose own candidates all fail, and on an exact key it matches', () => {
    const { levels } = levelsFor([to('v1', [match('/api', 'PathPrefix', { team: 'a' }), match('/api/exact', 'Exact', { team: 'a' })]), to('v2', [regex('/api/.*')]), to('v3', [regex('/other')])]);
    assert.equal(answer(levels, '/api/x'), 'v2');
    assert.equal(answer(levels, '/api/exact'), 'v2');
    assert.equal(answer(levels, '/api/exact', [['team', 'a']]), 'v1');
    assert.equal(answer(levels, '/other'), 'v3');
    const exact = levels[0]!.routes.find((route) => route.match === 'exact')!;
    assert.deepEqual(exact.candidates?.map((candidate) => candidate.when?.path?.value ?? null), [null, null, '^(?:/api/.*)$'], 'only the patterns that match the exact path');
  });
});

describe('RegularExpression paths and hostnames', () => {
  test('hostnames come first: a wildcard\'s pattern serves the hosts whose own paths leave the request, after their own patterns', () => {
    const input = {
      ...base,
      gateways: base.gateways.filter((g) => g.metadata.name === 'all-namespaces'),
      httpRoutes: [
        httpRoute({ name: 'exact', parentRefs: [parentRef('all-namespaces')], hostnames: ['a.example.com'], rules: [to('v1', [match('/a'), regex('/r/[0-9]+')])] }),
        httpRoute({ name: 'wild', parentRefs: [parentRef('all-namespaces')], hostnames: ['*.example.com'], rules: [to('v2', [regex('/r/.*')])] }),
        httpRoute({ name: 'any', parentRefs: [parentRef('all-namespaces')], rules: [to('v3', [match('/')])] }),
      ],
    };
    const { levels, diagnostics } = gatewayLevels(attachGateways(input).listeners);
    const on = (host: string, path: string) => matchShares(modelOf(levels), host, path).map((share) => name(share.target)).join(' ');
    assert.equal(on('a.example.com', '/r/1'), 'v1');
    assert.equal(on('a.example.com', '/r/x'), 'v2');
    assert.equal(on('a.example.com', '/other'), 'v3');
    assert.equal(on('b.example.com', '/r/1'), 'v2');
    assert.equal(on('other.test', '/r/1'), 'v3');
    assert.deepEqual(diagnostics, []);
  });
});

describe('RegularExpression paths: refused patterns', () => {
  const snapshot = (rules: HTTPRouteRule[]) => ({ ...base, ingresses: [], ingressClasses: [], endpointSlices: [], httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], rules })] });
  const refused: [string, string, RegExp][] = [
    ['nested quantifiers (catastrophic backtracking)', '/(a+)+$', /nested quantifiers/],
    ['a look-ahead', '/(?=admin)', /\(\? groups/],
    ['a back-reference', '/(a)\\1', /escape/],
    ['a space', '/a b', /may contain only/],
    ['a quote', "/it's", /may contain only/],
    ['^ in the middle', '/a^b', /\^ may only come first/],
  ];
  for (const [title, pattern, problem] of refused) {
    test(`${title}: the rule is UnsupportedValue, the route's other rules are served`, () => {
      const served = serveGateways(snapshot([to('v1', [regex(pattern)]), to('v2', [match('/ok')])]), { now: new Date(), ingressHosts: new Set() })!;
      const status = JSON.stringify(served.attachment.routes[0]!.status);
      assert.match(status, /UnsupportedValue/);
      assert.match(status, /Dropped Rule: spec\.rules\[0\]/);
      assert.ok(served.diagnostics.some((d) => d.object.name === 'route' && d.field === 'spec.rules[0].matches[0].path.value' && /regular expression/.test(d.message)), JSON.stringify(served.diagnostics));
      const check = regexPath(pattern);
      assert.ok(!check.ok && problem.test(check.problem), JSON.stringify(check));
      assert.equal(answer(served.levels, '/ok'), 'v2');
      assert.ok(served.levels[0]!.routes.every((route) => (route.candidates ?? []).every((candidate) => candidate.when?.path === undefined)));
    });
  }
});

describe('GRPCRoute RegularExpression method matches', () => {
  test('service and method patterns are each matched whole; an absent one matches any one element', () => {
    const grpc = (method: GRPCRouteRule['matches'][number]['method'], service: string): GRPCRouteRule => ({ matches: [{ method, headers: [] }], filters: [], backendRefs: [backendRef(`infra-backend-${service}`)] });
    const input = { ...base, grpcRoutes: [grpcRoute({ name: 'g', parentRefs: [parentRef('same-namespace')], rules: [grpc({ type: 'RegularExpression', service: 'echo[.]v[0-9]+[.]Echo' }, 'v1'), grpc({ type: 'RegularExpression', method: 'Get.*' }, 'v2')] })] };
    const { levels } = gatewayLevels(attachGateways(input).listeners);
    assert.equal(answer(levels, '/echo.v2.Echo/Say'), 'v1');
    assert.equal(answer(levels, '/other.Svc/GetAll'), 'v2');
    assert.equal(answer(levels, '/other.Svc/Put'), 'not-found');
    assert.equal(answer(levels, '/echo.v2.Echo/Say/more'), 'not-found');
  });

  for (const [part, written] of [['service', 'a/b'], ['service', '^echo'], ['method', 'Get$']] as const) {
    test(`a ${part} pattern holding ^, $ or / (${written}) makes its rule UnsupportedValue`, () => {
      const rules: GRPCRouteRule[] = [{ matches: [{ method: { type: 'RegularExpression', [part]: written }, headers: [] }], filters: [], backendRefs: [backendRef('infra-backend-v1')] }];
      const served = serveGateways({ ...base, ingresses: [], ingressClasses: [], endpointSlices: [], grpcRoutes: [grpcRoute({ name: 'g', parentRefs: [parentRef('same-namespace')], rules })] }, { now: new Date(), ingressHosts: new Set() })!;
      assert.ok(served.diagnostics.some((d) => d.field === `spec.rules[0].matches[0].method.${part}` && /may not hold \^, \$ or \//.test(d.message)), JSON.stringify(served.diagnostics));
    });
  }
});

describe('which path keys a pattern can reach', () => {
  const prefixes: [string, string][] = [
    ['/api/v[0-9]+', '/api/v'],
    ['/api/v?', '/api/'],
    ['/api/v*x', '/api/'],
    ['/api/v{2}', '/api/'],
    ['/api/v+', '/api/v'],
    ['/a|/b', ''],
    ['/a(/b|/c)', '/a'],
    ['/[|]x', '/'],
    ['.*', ''],
    ['/x[.]y', '/x'],
  ];
  for (const [pattern, literal] of prefixes) test(`literal prefix of ${pattern}: ${JSON.stringify(literal)}`, () => assert.equal(literalPrefix(pattern), literal));

  test('prefix keys by the literal prefix, exact keys by the path itself', () => {
    assert.equal(regexReaches('/api/v[0-9]+', 'prefix', ''), true);
    assert.equal(regexReaches('/api/v[0-9]+', 'prefix', '/api'), true);
    assert.equal(regexReaches('/api/v[0-9]+', 'prefix', '/api/v1'), true);
    assert.equal(regexReaches('/api/v[0-9]+', 'prefix', '/apix'), false);
    assert.equal(regexReaches('/api/v[0-9]+', 'prefix', '/static'), false);
    assert.equal(regexReaches('/api/v[0-9]+', 'exact', '/api/v1'), true);
    assert.equal(regexReaches('/api/v[0-9]+', 'exact', '/api/v1/x'), false);
  });
});

describe('property: the levels route as the precedence written out as one sorted list', () => {
  const segment = fc.constantFrom('a', 'b', 'ab');
  const path = fc.array(segment, { maxLength: 3 }).map((segments) => `/${segments.join('/')}`);
  const pattern = fc.constantFrom('/a/.*', '/a(/b)?', '/[ab]+', '/ab?', '/b/[^/]+', '.*', '/a|/b/a', '/a/b', '/(a|b)/b.*', '/ab/.+', '/b?a');
  const written = fc.oneof(
    path.map((value) => ({ type: 'Exact', value })),
    path.map((value) => ({ type: 'PathPrefix', value })),
    pattern.map((value) => ({ type: 'RegularExpression', value })),
  );
  const aMatch = fc.record({ path: written, header: fc.boolean() });
  const rules = fc.array(fc.array(aMatch, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 6 });
  const request = fc.record({ path: fc.oneof(path, path.map((p) => `${p}/`)), header: fc.boolean() });

  /** The spec's order over every match of the route: Exact, longest PathPrefix, then the longest pattern; more headers first; rule, then match order. */
  function reference(written: { path: { type: string; value: string }; header: boolean }[][], ask: { path: string; header: boolean }): string {
    const all = written.flatMap((matches, ruleIndex) => matches.map((m, matchIndex) => ({ ...m, ruleIndex, matchIndex, service: ['v1', 'v2', 'v3'][ruleIndex % 3]! })));
    const rank = (m: (typeof all)[number]) => {
      const { type, value } = m.path;
      if (type === 'Exact') return value === ask.path ? [0, 0] : undefined;
      if (type === 'PathPrefix') {
        const key = value.replace(/\/+$/, '');
        return key === '' || ask.path === key || ask.path.startsWith(`${key}/`) ? [1, -key.length] : undefined;
      }
      const safe = regexPath(value);
      return safe.ok && new RegExp(`^(?:${safe.pattern})$`).test(ask.path) ? [2, -safe.pattern.length] : undefined;
    };
    const ranked = all.flatMap((m) => {
      const r = rank(m);
      return r ? [{ m, key: [...r, m.header ? -1 : 0, m.ruleIndex, m.matchIndex] }] : [];
    });
    ranked.sort((x, y) => {
      for (let i = 0; i < x.key.length; i += 1) if (x.key[i] !== y.key[i]) return x.key[i]! - y.key[i]!;
      return 0;
    });
    const first = ranked.find(({ m }) => !m.header || ask.header);
    return first ? first.m.service : 'not-found';
  }

  test('for random Exact, PathPrefix and RegularExpression matches, with and without a header', () => {
    fc.assert(
      fc.property(rules, fc.array(request, { minLength: 1, maxLength: 8 }), (written, asks) => {
        const { levels } = levelsFor(written.map((matches, ruleIndex) => to(['v1', 'v2', 'v3'][ruleIndex % 3]!, matches.map((m) => match(m.path.value, m.path.type, m.header ? { team: 'a' } : {})))));
        for (const ask of asks) {
          const headers: [string, string][] = ask.header ? [['team', 'a']] : [];
          assert.equal(answer(levels, ask.path, headers), reference(written, ask), `${ask.path} ${ask.header}`);
        }
      }),
      { numRuns: 400 },
    );
  });
});
