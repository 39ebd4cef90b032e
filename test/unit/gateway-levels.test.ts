// Gateway API routing into host levels (translate/gateway/levels.ts): the
// conformance suite's matching cases, evaluated on the levels the way the
// data plane evaluates them (longest path key, then candidates in order).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitLevelHost, type HostLevel, type Route, type Target } from '../../src/model/model.js';
import type { HTTPRouteMatch, HTTPRouteRule } from '../../src/objects/gateway-types.js';
import { attachGateways } from '../../src/translate/gateway/index.js';
import { gatewayLevels, hostnameRank } from '../../src/translate/gateway/levels.js';
import { backendRef, conformanceBase, gateway, httpRoute, INFRA, parentRef, rule } from '../helpers/gateway.js';
import { serveGateways } from '../../src/translate/gateway/serve.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';

const certificate = await generateSelfSigned('conformance', ['*', '*.org'], 30);
const base = conformanceBase({ crt: certificate.cert, key: certificate.key });

interface Ask {
  host?: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

function selectRoute(level: HostLevel, path: string): Route | undefined {
  let best: Route | undefined;
  for (const route of level.routes) {
    const matches = route.match === 'exact' ? route.path === path : route.path === '' || path === route.path || path.startsWith(`${route.path}/`);
    if (!matches) continue;
    if (!best || route.path.length > best.path.length || (route.path.length === best.path.length && route.match === 'exact')) best = route;
  }
  return best;
}

/** The targets a request may get, as `service` names (`invalid`, `not-found`), with their weights when split. */
function answer(levels: readonly HostLevel[], ask: Ask): string {
  // Every listener of these tests is in one scope (port 80, no addresses): levels by their plain host.
  const plain = (candidate: HostLevel) => splitLevelHost(candidate.host).host;
  const level = levels.find((candidate) => plain(candidate) === (ask.host ?? '')) ?? levels.find((candidate) => plain(candidate) === '');
  if (!level) return 'no level';
  const route = selectRoute(level, ask.path);
  if (!route) return name(level.fallback);
  for (const candidate of route.candidates ?? []) {
    const when = candidate.when;
    const headers = Object.fromEntries(Object.entries(ask.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
    const holds =
      !when ||
      ((when.method === undefined || when.method === (ask.method ?? 'GET')) &&
        when.headers.every((header) => headers[header.name] === header.match.value) &&
        when.query.every((param) => ask.query?.[param.name] === param.match.value));
    if (holds) return candidate.split.length === 1 ? name(candidate.split[0]!.target) : candidate.split.map((share) => `${name(share.target)}:${share.weight}`).join(' ');
  }
  return name(route.target);
}

function name(target: Target): string {
  if (target.kind !== 'backend') return target.kind;
  return target.id.split('_')[1]!.replace(/^infra-backend-/, '');
}

function levelsFor(rules: HTTPRouteRule[], extra: { hostnames?: string[] } = {}) {
  const input = { ...base, httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('same-namespace')], rules, ...extra })] };
  return gatewayLevels(attachGateways(input).listeners);
}

const match = (path: string, more: Partial<HTTPRouteMatch> = {}, type = 'PathPrefix'): HTTPRouteMatch => ({ path: { type, value: path }, headers: [], queryParams: [], ...more });
const header = (name: string, value: string) => ({ type: 'Exact', name, value });
const to = (service: string, matches: HTTPRouteMatch[], more: Partial<HTTPRouteRule> = {}) => rule({ matches, backendRefs: [backendRef(`infra-backend-${service}`)], ...more });

describe('Gateway API routes → host levels', () => {
  test('HTTPRouteMatching: rules ORed, paths element-wise, conditions never shadow shorter paths', () => {
    const { levels } = levelsFor([to('v1', [match('/'), match('/', { headers: [header('version', 'one')] })]), to('v2', [match('/v2'), match('/', { headers: [header('version', 'two')] })])]);
    assert.equal(answer(levels, { path: '/' }), 'v1');
    assert.equal(answer(levels, { path: '/example' }), 'v1');
    assert.equal(answer(levels, { path: '/', headers: { version: 'one' } }), 'v1');
    assert.equal(answer(levels, { path: '/v2' }), 'v2');
    assert.equal(answer(levels, { path: '/v2/example' }), 'v2');
    assert.equal(answer(levels, { path: '/', headers: { version: 'two' } }), 'v2');
    assert.equal(answer(levels, { path: '/v2example' }), 'v1');
    assert.equal(answer(levels, { path: '/foo/v2/example' }), 'v1');
  });

  test('HTTPRoutePathMatchOrder: exact, then the longest prefix', () => {
    const { levels } = levelsFor([
      to('v1', [match('/match/exact', {}, 'Exact'), match('/match/exact/one', {}, 'Exact')]),
      to('v2', [match('/match/prefix/one')]),
      to('v3', [match('/match/')]),
      to('v1', [match('/match/prefix/')]),
    ]);
    assert.equal(answer(levels, { path: '/match/exact' }), 'v1');
    assert.equal(answer(levels, { path: '/match/prefix/one/any' }), 'v2');
    assert.equal(answer(levels, { path: '/match/prefix/any' }), 'v1');
    assert.equal(answer(levels, { path: '/match/any' }), 'v3');
    assert.equal(answer(levels, { path: '/other' }), 'not-found');
  });

  test('HTTPRouteHeaderMatching: more headers win, then the earlier rule; no match: 404', () => {
    const { levels } = levelsFor([
      to('v1', [match('/', { headers: [header('version', 'one')] }), match('/', { headers: [header('version', 'two'), header('color', 'orange')] })]),
      to('v2', [match('/', { headers: [header('version', 'two')] }), match('/', { headers: [header('color', 'blue')] })]),
    ]);
    assert.equal(answer(levels, { path: '/', headers: { version: 'two', color: 'orange' } }), 'v1');
    assert.equal(answer(levels, { path: '/', headers: { version: 'two', color: 'blue' } }), 'v2');
    assert.equal(answer(levels, { path: '/', headers: { Version: 'one' } }), 'v1');
    assert.equal(answer(levels, { path: '/', headers: { color: 'purple' } }), 'not-found');
  });

  test('QueryParamMatching and MethodMatching: path beats method beats headers beats query', () => {
    const { levels } = levelsFor([
      to('v1', [match('/', { queryParams: [header('animal', 'whale')] })]),
      to('v2', [match('/', { headers: [header('version', 'four')] })]),
      to('v3', [match('/', { method: 'PATCH' })]),
      to('v1', [match('/path5')]),
    ]);
    assert.equal(answer(levels, { path: '/', query: { animal: 'whale' } }), 'v1');
    assert.equal(answer(levels, { path: '/', query: { ANIMAL: 'whale' } }), 'not-found');
    assert.equal(answer(levels, { path: '/path5', query: { animal: 'hydra' }, method: 'PATCH' }), 'v1');
    assert.equal(answer(levels, { path: '/', headers: { version: 'four' }, query: { animal: 'whale' } }), 'v2');
    assert.equal(answer(levels, { path: '/', headers: { version: 'four' }, method: 'PATCH' }), 'v3');
    assert.equal(answer(levels, { path: '/', method: 'HEAD' }), 'not-found');
  });

  test('weights: zero weights drop out; invalid references answer 500 for their share; a rule without backends 500', () => {
    const { levels } = levelsFor([
      rule({ matches: [match('/split')], backendRefs: [backendRef('infra-backend-v1', 8080, { weight: 70 }), backendRef('infra-backend-v2', 8080, { weight: 30 }), backendRef('infra-backend-v3', 8080, { weight: 0 })] }),
      rule({ matches: [match('/half')], backendRefs: [backendRef('infra-backend-v1'), backendRef('nonexistent')] }),
      rule({ matches: [match('/none')], backendRefs: [] }),
      rule({ matches: [match('/zero')], backendRefs: [backendRef('infra-backend-v1', 8080, { weight: 0 })] }),
    ]);
    assert.equal(answer(levels, { path: '/split' }), 'v1:70 v2:30');
    assert.equal(answer(levels, { path: '/half' }), 'v1:1 invalid:1');
    assert.equal(answer(levels, { path: '/none' }), 'invalid');
    assert.equal(answer(levels, { path: '/zero' }), 'invalid');
  });

  test('a route attached to two listeners of one port whose hostnames overlap brings its candidates to a level once', () => {
    const input = {
      ...base,
      gateways: [gateway({ name: 'two', listeners: [{ name: 'any', from: 'All' }, { name: 'named', hostname: 'two.example.com', from: 'All' }] })],
      httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('two')], hostnames: ['two.example.com'], rules: [to('v1', [match('/'), match('/', { headers: [header('version', 'one')] })])] })],
    };
    const { levels } = gatewayLevels(attachGateways(input).listeners);
    const level = levels.find((candidate) => splitLevelHost(candidate.host).host === 'two.example.com');
    assert.ok(level, levels.map((candidate) => candidate.host).join(' '));
    const conditional = level.routes.flatMap((route) => (route.candidates ?? []).map((candidate) => JSON.stringify(candidate)));
    assert.equal(conditional.length, new Set(conditional).size, `a candidate twice: ${conditional.join(' ')}`);
    assert.ok(conditional.length > 0);
    assert.equal(answer([level], { host: 'two.example.com', path: '/', headers: { version: 'one' } }), 'v1');
  });

  test('a route with only paths and one backend is plain: no candidates, as an Ingress route', () => {
    const { levels, specs } = levelsFor([to('v1', [match('/')]), to('v2', [match('/v2', {}, 'Exact')])]);
    assert.deepEqual(levels.map((level) => level.routes.map((route) => [route.match, route.path, route.candidates === undefined])), [[['prefix', '', true], ['exact', '/v2', true]]]);
    assert.deepEqual([...specs.keys()].sort(), [`${INFRA}_infra-backend-v1_8080`, `${INFRA}_infra-backend-v2_8080`]);
  });

  test('filters: a featured backend per rule; a redirect without backends answers from a backend of its own; a bad value answers 500 with a diagnostic', () => {
    const { levels, specs, diagnostics } = levelsFor([
      rule({ matches: [match('/moved')], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'example.org', statusCode: 301 } }] }),
      to('v1', [match('/headers')], { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: 'a' }], add: [], remove: [] } }] }),
      to('v2', [match('/bad')], { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: "it's" }], add: [], remove: [] } }] }),
    ]);
    const targetOf = (path: string) => levels[0]!.routes.find((route) => route.path === path)!.target;
    const moved = targetOf('/moved');
    assert.ok(moved.kind === 'backend' && moved.id.startsWith(`${INFRA}_redirect_0.`));
    assert.deepEqual(specs.get(moved.id)?.features?.gateway?.redirect, { hostname: 'example.org', port: 80, listenerScheme: 'http', code: 301 });
    const headers = targetOf('/headers');
    assert.ok(headers.kind === 'backend' && headers.id.startsWith(`${INFRA}_infra-backend-v1_8080.`));
    assert.equal(targetOf('/bad').kind, 'invalid');
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0]!.field ?? '', /^spec\.rules\[2\]\.filters\[0\]\.requestHeaderModifier\.set\[0\]\.value$/);
  });

  test('hostnames: exact hosts before wildcards before every host, and a host falls through to the less specific ones', () => {
    const input = {
      ...base,
      gateways: [...base.gateways.filter((g) => g.metadata.name === 'all-namespaces')],
      httpRoutes: [
        httpRoute({ name: 'exact', parentRefs: [parentRef('all-namespaces')], hostnames: ['a.example.com'], rules: [to('v1', [match('/a')])] }),
        httpRoute({ name: 'wild', parentRefs: [parentRef('all-namespaces')], hostnames: ['*.example.com'], rules: [to('v2', [match('/')])] }),
        httpRoute({ name: 'any', parentRefs: [parentRef('all-namespaces')], rules: [to('v3', [match('/any')])] }),
      ],
    };
    const { levels } = gatewayLevels(attachGateways(input).listeners);
    // All in the scope of the listener (port 80, no addresses).
    assert.deepEqual(new Set(levels.map((level) => splitLevelHost(level.host).scope)).size, 1);
    assert.deepEqual(levels.map((level) => splitLevelHost(level.host).host).sort(), ['', '*.example.com', 'a.example.com']);
    assert.equal(answer(levels, { host: 'a.example.com', path: '/a' }), 'v1');
    // Hostname precedence comes before path length: the wildcard route's `/` beats the host-less `/any`.
    assert.equal(answer(levels, { host: 'a.example.com', path: '/any' }), 'v2');
    assert.equal(answer(levels, { host: '*.example.com', path: '/a' }), 'v2');
    assert.equal(answer(levels, { host: 'other.test', path: '/any' }), 'v3');
    assert.equal(answer(levels, { host: 'other.test', path: '/a' }), 'not-found');
  });

  test('a route\'s own hostname ranks on a level, not its intersection with the listener\'s: the more specific route wins though newer (*-multiple-routes-attachment-same-hostname-intersection.go)', () => {
    const older = '2026-01-01T00:00:00Z';
    const newer = '2026-01-01T00:00:01Z';
    const input = {
      ...base,
      gateways: [
        gateway({ name: 'exact', listeners: [{ name: 'l', hostname: 'abc.example.com', from: 'Same' }] }),
        gateway({ name: 'wild', listeners: [{ name: 'l', hostname: '*.example.com', from: 'Same' }] }),
      ],
      httpRoutes: [
        httpRoute({ name: 'wc-older', parentRefs: [parentRef('exact')], hostnames: ['*.example.com'], creationTimestamp: older, rules: [to('v1', [match('/')])] }),
        httpRoute({ name: 'exact-newer', parentRefs: [parentRef('exact')], hostnames: ['abc.example.com'], creationTimestamp: newer, rules: [to('v2', [match('/')])] }),
        httpRoute({ name: 'less-specific-older', parentRefs: [parentRef('wild')], hostnames: ['*.com'], creationTimestamp: older, rules: [to('v1', [match('/')]), to('v3', [match('/only-here')])] }),
        httpRoute({ name: 'more-specific-newer', parentRefs: [parentRef('wild')], hostnames: ['*.example.com'], creationTimestamp: newer, rules: [to('v2', [match('/')])] }),
      ],
    };
    const { levels } = gatewayLevels(attachGateways(input).listeners);
    // Both Gateways share the scope (port 80, no addresses): their levels are abc.example.com and *.example.com.
    assert.equal(answer(levels, { host: 'abc.example.com', path: '/' }), 'v2');
    assert.equal(answer(levels, { host: '*.example.com', path: '/' }), 'v2');
    // The hostname ranks before the path, as between levels: the more specific route's `/` takes /only-here too.
    assert.equal(answer(levels, { host: '*.example.com', path: '/only-here/x' }), 'v2');
  });

  test('hostnameRank: 0 for a route naming the level host (or none), larger for wider wildcards', () => {
    assert.equal(hostnameRank([], 'abc.example.com'), 0);
    assert.equal(hostnameRank(['abc.example.com', '*.example.com'], 'abc.example.com'), 0);
    assert.equal(hostnameRank(['*.example.com'], ''), 0);
    assert.ok(hostnameRank(['*.example.com'], 'abc.example.com') > 0);
    assert.ok(hostnameRank(['*.com'], '*.example.com') > hostnameRank(['*.example.com'], 'abc.example.com'));
    assert.ok(hostnameRank(['*.com', '*.example.com'], 'a.b.example.com') === hostnameRank(['*.example.com'], 'a.b.example.com'));
    assert.equal(hostnameRank(['*.example.com'], '*.example.com'), 0);
  });
});

describe('Gateway API values that could not be served are refused in translate, never in the data plane', () => {
  const snapshotWith = (routeRules: HTTPRouteRule[], addresses: { value: string }[] = []) => ({
    ingresses: [],
    ingressClasses: [],
    endpointSlices: [],
    services: base.services,
    secrets: base.secrets,
    gatewayClasses: base.gatewayClasses,
    namespaces: base.namespaces,
    gateways: [gateway({ name: 'own', addresses, listeners: [{ name: 'http', from: 'All' }] })],
    httpRoutes: [httpRoute({ name: 'route', parentRefs: [parentRef('own')], rules: routeRules })],
    grpcRoutes: [],
    referenceGrants: [],
  });

  test('a Gateway address that is not this node\'s is not bound (AddressNotUsable); loopback and own addresses are', () => {
    const options = { now: new Date(), ingressHosts: new Set<string>(), localAddresses: ['10.1.1.1'] };
    const refused = serveGateways(snapshotWith([to('v1', [match('/')])], [{ value: '10.9.9.9' }]), options)!;
    assert.deepEqual(refused.scopes, []);
    assert.match(JSON.stringify(refused.attachment.gateways[0]!.status), /AddressNotUsable/);
    for (const address of ['10.1.1.1', '127.0.0.9']) assert.deepEqual(serveGateways(snapshotWith([to('v1', [match('/')])], [{ value: address }]), options)!.scopes.map((scope) => scope.addresses), [[address]]);
  });

  test('a header value with a control character, and a rewritten prefix with a quote, make the rule UnsupportedValue or 500', () => {
    const options = { now: new Date(), ingressHosts: new Set<string>() };
    const control = serveGateways(snapshotWith([to('v1', [match('/', { headers: [header('x', 'a\nb')] })])]), options)!;
    assert.match(JSON.stringify(control.attachment.routes[0]!.status), /UnsupportedValue/);
    const quoted = serveGateways(snapshotWith([to('v1', [match("/it's")], { filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }] })]), options)!;
    assert.equal(quoted.levels[0]!.routes.find((route) => route.path === "/it's")?.target.kind, 'invalid');
    assert.match(quoted.diagnostics.map((d) => d.message).join('\n'), /matched prefix/);
  });
});

test('serveGateways is not redone for a change it does not read (EndpointSlices), and is for one it does', () => {
  const snapshot = { ...base, ingresses: [], ingressClasses: [], endpointSlices: [], httpRoutes: [httpRoute({ name: 'r', parentRefs: [parentRef('same-namespace')] })] };
  const options = { now: new Date(), ingressHosts: new Set<string>() };
  const first = serveGateways(snapshot, options);
  assert.equal(serveGateways({ ...snapshot, endpointSlices: [] }, { ...options, ingressHosts: new Set<string>() }, first), first);
  assert.notEqual(serveGateways({ ...snapshot, httpRoutes: [...snapshot.httpRoutes] }, options, first), first);
});

describe('listener isolation (GatewayHTTPListenerIsolation)', () => {
  const isolation = (hostnames?: string[]) => {
    const sections: [string, string | undefined][] = [['empty-hostname', undefined], ['wildcard-example-com', '*.example.com'], ['wildcard-foo-example-com', '*.foo.example.com'], ['abc-foo-example-com', 'abc.foo.example.com']];
    return {
      ...base,
      gateways: [gateway({ name: 'isolation', addresses: [{ value: '127.0.0.9' }], listeners: sections.map(([name, hostname]) => ({ name, from: 'All' as const, ...(hostname ? { hostname } : {}) })) })],
      httpRoutes: sections.map(([name]) =>
        httpRoute({ name: `attaches-to-${name}`, parentRefs: [parentRef('isolation', { sectionName: name })], ...(hostnames ? { hostnames } : {}), rules: [to('v1', [match(`/${name}`)])] }),
      ),
    };
  };
  /** The levels a request's host reaches, as the data plane looks them up: exact, then the wildcards (any depth, longest first), then the scope's host-less level. */
  const levelsOf = (levels: readonly HostLevel[], host: string) => {
    const plain = (level: HostLevel) => splitLevelHost(level.host).host;
    const wildcards = levels.filter((level) => plain(level).startsWith('*.') && host.endsWith(plain(level).slice(1))).sort((a, b) => plain(b).length - plain(a).length);
    return [...levels.filter((level) => plain(level) === host), ...wildcards, ...levels.filter((level) => plain(level) === '')];
  };
  /** The first level with a key for the path answers (a path no key matches goes on to the next level). */
  const served = (levels: readonly HostLevel[], host: string, path: string) => {
    for (const level of levelsOf(levels, host)) {
      const route = selectRoute(level, path);
      if (route) return name(route.target);
    }
    return 'not-found';
  };

  for (const [title, hostnames] of [['hostnames only on listeners', undefined], ['route hostnames intersecting other listeners', ['bar.com', '*.example.com', '*.foo.example.com', 'abc.foo.example.com']]] as const) {
    test(`a request is served only by the routes of its most specific listener: ${title}`, () => {
      const { levels } = gatewayLevels(attachGateways(isolation(hostnames ? [...hostnames] : undefined)).listeners);
      const owners: [string, string][] = [['bar.com', 'empty-hostname'], ['bar.example.com', 'wildcard-example-com'], ['bar.foo.example.com', 'wildcard-foo-example-com'], ['abc.foo.example.com', 'abc-foo-example-com']];
      for (const [host, owner] of owners) {
        for (const [, section] of owners) assert.equal(served(levels, host, `/${section}`), section === owner ? 'v1' : 'not-found', `${host} /${section}`);
      }
    });
  }

  test('a Gateway with one listener hostname per scope keeps the fallback to less specific route hostnames', () => {
    const { levels } = levelsFor([to('v1', [match('/')])], { hostnames: ['*.example.com'] });
    const input = { ...base, httpRoutes: [httpRoute({ name: 'wide', parentRefs: [parentRef('same-namespace')], rules: [to('v2', [match('/wide')])] }), httpRoute({ name: 'narrow', parentRefs: [parentRef('same-namespace')], hostnames: ['a.example.com'], rules: [to('v1', [match('/narrow')])] })] };
    const both = gatewayLevels(attachGateways(input).listeners).levels;
    assert.equal(served(both, 'a.example.com', '/wide'), 'v2');
    assert.equal(served(both, 'a.example.com', '/narrow'), 'v1');
    assert.ok(levels.length > 0);
  });
});
