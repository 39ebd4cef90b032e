// The backtracking bound of the safe regex subset (translate/regex-cost.ts):
// realistic patterns stay accepted, hostile ones are refused with a reason,
// and for random accepted patterns an instrumented backtracking matcher
// (test/helpers/backtrack.ts) stays within the bound the rules promise,
// counted in steps on adversarial inputs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PATH_PREFIX, safeRegex, SEARCH, WHOLE_PATH, type RegexOptions } from '../../src/translate/regex.js';
import { parsePattern, patternCost, type Anchoring } from '../../src/translate/regex-cost.js';
import { backtrackSteps, itemCount, TooManySteps } from '../helpers/backtrack.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const USES: Readonly<Record<string, RegexOptions>> = {
  'ingress path': { anchoring: PATH_PREFIX },
  'gateway path': { anchoring: WHOLE_PATH },
  'header pattern': { anchoring: SEARCH },
  'default (gateway header, grpc part)': {},
};

// [pattern, where it comes from, the uses it must be accepted in]
const REALISTIC: [string, string, string[]][] = [
  ['/something(/|$)(.*)', 'ingress-nginx rewrite docs', ['ingress path']],
  ['/foo/.*', 'ingress-nginx path-matching docs', ['ingress path', 'gateway path']],
  ['/foo/bar/.+', 'ingress-nginx path-matching docs', ['ingress path', 'gateway path']],
  ['/foo/bar/[A-Z0-9]{3}', 'ingress-nginx path-matching docs', ['ingress path', 'gateway path']],
  ['/tea/[A-Z0-9]', 'NGINX Inc. path-regex tutorial', ['ingress path']],
  ['/decaf/.*\\.jpg$', 'NGINX Inc. VirtualServer regex example', ['ingress path', 'gateway path']],
  ['/api(/|$)(.*)', 'examples/40, test fixtures (shop.yaml)', ['ingress path']],
  ['/app(/|$)(.*)', 'examples/20', ['ingress path']],
  ['/api/v1(/|$)(.*)', 'unit tests', ['ingress path']],
  ['/api/v\\d+/(.*)', 'unit tests', ['ingress path', 'gateway path']],
  ['/api/v[0-9]+', 'unit tests', ['ingress path', 'gateway path']],
  ['/api/(.*)', 'unit tests', ['ingress path']],
  ['/app/(.*)', 'unit tests', ['ingress path']],
  ['/p(.*)', 'e2e tests', ['ingress path']],
  ['/user/[0-9]+$', 'e2e tests', ['ingress path', 'gateway path']],
  ['/\\.well-known', 'unit tests', ['ingress path']],
  ['/x{2,3}y{1,}', 'unit tests', ['ingress path']],
  ['/[^/]+/edit', 'unit tests', ['ingress path', 'gateway path']],
  ['/(?:a|b)/(c)', 'unit tests', ['ingress path']],
  ['/lazy.*?x', 'unit tests', ['ingress path']],
  ['^(?:/re/.*)$', 'gateway regex tests', ['gateway path']],
  ['^(?:/re/[0-9]+)$', 'gateway regex tests', ['gateway path']],
  ['/users/[0-9]+', 'docs/gateway-api.md', ['gateway path']],
  ['/a(b|c)+', 'gateway decode tests', ['gateway path']],
  ['/.*\\.(js|css|png|jpg|svg)$', 'static assets, common', ['ingress path', 'gateway path']],
  ['/static/(.*)\\.(css|js)', 'common', ['ingress path']],
  ['/(en|fr|de)/(.*)', 'locales, common', ['ingress path']],
  ['/(en|fr|de)?/?(.*)', 'locales, common', ['ingress path']],
  ['/[a-z]{2}(-[a-z]{2})?/(.*)', 'locales, common', ['ingress path']],
  ['/api(/.*)?$', 'optional tail, common', ['ingress path', 'gateway path']],
  ['/v[0-9]+/users/[0-9]+/orders/[0-9]+/items/(.*)', 'nested REST resources', ['ingress path', 'gateway path']],
  ['/foo/.*/bar/.*', 'two wildcards', ['ingress path', 'gateway path']],
  ['/(.*)/(.*)', 'two groups', ['ingress path', 'gateway path']],
  ['/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'UUIDs', ['ingress path', 'gateway path']],
  ['.*', 'gateway decode tests (header)', ['header pattern', 'default (gateway header, grpc part)']],
  ['^v[0-9]$', 'gateway regex tests (header)', ['header pattern', 'default (gateway header, grpc part)']],
  ['^v\\d$', 'gateway regex tests (header)', ['header pattern', 'default (gateway header, grpc part)']],
  ['^(a|b)[*]{1,3}$', 'candidates tests (query, without its space)', ['default (gateway header, grpc part)']],
  ['a\\.b', 'gateway regex tests (header)', ['header pattern', 'default (gateway header, grpc part)']],
  // Not by default (a Gateway header or a gRPC part): see the refusal below.
  ['.*Chrome.*', 'user-agent canary (canary-by-header-pattern)', ['header pattern']],
  ['Mozilla.*Firefox', 'user-agent canary', ['header pattern', 'default (gateway header, grpc part)']],
  ['^(beta|canary)$', 'canary header values', ['header pattern', 'default (gateway header, grpc part)']],
  ['echo\\..*', 'docs/gateway-api.md (grpc service)', ['default (gateway header, grpc part)']],
  ['Get.*', 'docs/gateway-api.md (grpc method)', ['default (gateway header, grpc part)']],
  ['echo[.]v[0-9]+[.]Echo', 'gateway protocol tests (grpc service)', ['default (gateway header, grpc part)']],
  ['CN=(alice|bob)(,|$)', 'auth-tls tests (match-cn)', ['header pattern']],
  ['CN=(hello-app|ok|goodbye)', 'auth-tls e2e (match-cn)', ['header pattern']],
  ['CN=John Doe\\.\\d+$', 'auth-tls tests (match-cn)', ['header pattern']],
];

describe('realistic patterns stay accepted', () => {
  for (const [pattern, source, uses] of REALISTIC) {
    for (const use of uses) {
      test(`${use}: ${pattern} (${source})`, () => {
        const result = safeRegex(pattern, { ...USES[use], spaces: pattern.startsWith('CN=') });
        assert.ok(result.ok, result.ok ? '' : result.problem);
      });
    }
  }
});

// [pattern, use, the reason expected]
const HOSTILE: [string, string, RegExp][] = [
  ['/(a|a)*x', 'ingress path', /has a repeated group \(\(a\|a\)\*\) that has alternatives that can start with the same character/],
  ['/(a|aa)+$', 'gateway path', /repeated group \(\(a\|aa\)\+\) that has alternatives/],
  ['/(a|ab)+c', 'ingress path', /has alternatives that can start with the same character/],
  ['(\\d|[0-9])+z', 'header pattern', /has alternatives that can start with the same character/],
  ['/(A|a)+x', 'ingress path', /has alternatives that can start with the same character/], // case-insensitive: the same character
  ['(x|x?)+y', 'header pattern', /nested quantifiers/],
  ['/(a+)+', 'ingress path', /nested quantifiers/],
  ['/(}}?)+x', 'ingress path', /nested quantifiers/], // a ? after a literal } is a quantifier, not a lazy mark
  ['/(a|)+x', 'ingress path', /has an empty alternative|can match the empty text/],
  ['/()*x', 'ingress path', /can match the empty text/],
  ['/(a$)*', 'gateway path', /holds \$/],
  ['/.*.*.*.*x', 'ingress path', /has 4 repetitions that can each stop at many places .*\(\.\*, \.\*, \.\*, \.\*;/],
  ['/.*a.*b.*c', 'gateway path', /has 3 repetitions/],
  ['/a+a+a+a+b', 'ingress path', /has 3 repetitions/], // the last a+ is decided by the b
  ['.*Chrome.*', 'default (gateway header, grpc part)', /has 3 repetitions .*no leading or trailing \.\*/],
  ['/[a-z]*[a-z0-9]*[0-9a-z]*x', 'ingress path', /has 3 repetitions/],
  ['a.*b.*c', 'header pattern', /has 3 repetitions .*the search of every start/],
  ['/x[ab]{0,200}[ab]{0,200}[ab]{0,200}[ab]', 'ingress path', /has 3 repetitions/],
  ['/a?a?a?a?a?a?a?a?a?a?b', 'ingress path', /in about 512 ways/],
  ['/(a|ab|abc)(a|ab|abc)(a|ab|abc)(a|ab|abc)(a|ab|abc)(a|ab|abc)x', 'gateway path', /ways/],
  // A GRPCRoute service or method is one of two parts of a path pattern (its ^ dropped): each gets half the budget.
  ['^.*a.*b', 'default (gateway header, grpc part)', /has 3 repetitions .*the search of every start/],
  ['a?a?a?a?a?', 'default (gateway header, grpc part)', /in about 32 ways .*at most 16/],
  ['/a{1,256}', 'ingress path', /repetition count over 255/],
  ['/a{300}', 'ingress path', /repetition count over 255/],
];

describe('hostile patterns are refused with their reason', () => {
  for (const [pattern, use, reason] of HOSTILE) {
    test(`${use}: ${pattern}`, () => {
      const result = safeRegex(pattern, USES[use]);
      assert.equal(result.ok, false, `${pattern} was accepted`);
      if (!result.ok) assert.match(result.problem, reason);
    });
  }
});

/** The work the rules promise for a pattern (regex-cost.ts): F·|p|²·n^(D+1) steps, with room for the constant. */
function promised(pattern: string, anchoring: Anchoring, n: number): number {
  const parsed = parsePattern(pattern)!;
  const cost = patternCost(parsed, anchoring);
  assert.ok(typeof cost !== 'string', `${pattern}: ${String(cost)}`);
  const size = itemCount(parsed) + 2;
  return 8 * cost.factor * size * size * (n + 1) ** (cost.degree + 1);
}

describe('the instrumented matcher sees the blow-up the rules refuse', () => {
  // These were accepted before (only nested quantifiers were refused): exponential or of a high degree.
  const BEFORE: [string, Anchoring, string][] = [
    ['/(a|a)*x', PATH_PREFIX, `/${'a'.repeat(40)}`],
    ['/(a|aa)+$', WHOLE_PATH, `/${'a'.repeat(60)}!`],
    ['/.*.*.*.*x', PATH_PREFIX, `/${'a'.repeat(120)}`],
  ];
  for (const [pattern, anchoring, text] of BEFORE) {
    test(`${pattern} on ${text.length} characters takes more than a million steps`, () => {
      assert.throws(() => backtrackSteps(parsePattern(pattern)!, anchoring, text, 1_000_000), TooManySteps);
    });
  }
});

describe('accepted patterns stay within the promised steps (property)', () => {
  const atom = fc.constantFrom('a', 'b', '/', '.', '[ab]', '[^/]', '[a/]', 'x');
  const quantifier = fc.constantFrom('', '', '', '*', '+', '?', '{1,3}', '{2,}', '*?', '+?', '{0,20}');
  const piece: fc.Arbitrary<string> = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(atom, quantifier).map(([a, q]) => a + q) },
    { weight: 1, arbitrary: fc.tuple(fc.array(fc.array(atom, { minLength: 1, maxLength: 3 }).map((s) => s.join('')), { minLength: 1, maxLength: 3 }), quantifier).map(([alts, q]) => `(${alts.join('|')})${q}`) },
  );
  const pattern = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 7 }), fc.boolean()).map(([pieces, end]) => pieces.join('') + (end ? '$' : ''));
  const anchoring = fc.constantFrom<Anchoring>(PATH_PREFIX, WHOLE_PATH, SEARCH, { start: 'anchored', end: 'end' });
  // Adversarial texts: a short word over the pattern's characters pumped to the length, and a last character that may spoil the match.
  const text = fc.tuple(fc.array(fc.constantFrom('a', 'b', '/', 'x'), { minLength: 1, maxLength: 3 }), fc.constantFrom('', 'a', 'b', '/', 'x', '!'));

  // The matcher recurses a few frames per character: 500 characters keep within Node's default stack
  // (and the bound's exponent, not the length, is what tells linear from exponential).
  test('steps ≤ 8·F·|p|²·n^(D+1), on texts of 500 characters (150 when D = 2)', () => {
    let checked = 0;
    fc.assert(
      fc.property(pattern, anchoring, text, (written, how, [word, last]) => {
        const result = safeRegex(written, { anchoring: how });
        if (!result.ok) return;
        checked += 1;
        const parsed = parsePattern(result.pattern)!;
        const cost = patternCost(parsed, how);
        assert.ok(typeof cost !== 'string');
        const n = cost.degree <= 1 ? 500 : 150;
        const input = word.join('').repeat(n).slice(0, n - last.length) + last;
        const bound = promised(result.pattern, how, n);
        // The matcher stops past the bound: a pattern that breaks the promise fails here, quickly.
        const { steps } = backtrackSteps(parsed, how, input, bound);
        assert.ok(steps <= bound);
      }),
      { numRuns: 150, seed: 20261202 },
    );
    assert.ok(checked > 50, `only ${checked} accepted patterns were tried`);
  });
});

describe('each caller checks patterns as it uses them', () => {
  const A = 'nginx.ingress.kubernetes.io';
  const objects = [
    ...serviceWithEndpoints({ name: 'a', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
    // A prefix match: the last .* is free (the match may end there), so two wildcards are one choice.
    ingress({ name: 'paths', annotations: { [`${A}/use-regex`]: 'true' }, rules: [{ host: 'r.test', paths: [{ path: '/foo/.*/bar/.*', pathType: 'ImplementationSpecific', service: 'a' }] }] }),
    ingress({ name: 'slow', annotations: { [`${A}/use-regex`]: 'true' }, rules: [{ host: 's.test', paths: [{ path: '/.*a.*b.*c', pathType: 'ImplementationSpecific', service: 'a' }] }] }),
    // A header value is searched: a.*b is the search and one choice; a.*b.*c is three.
    ingress({ name: 'main', rules: [{ host: 'c.test', paths: [{ path: '/', service: 'a' }] }] }),
    ingress({ name: 'canary', annotations: { [`${A}/canary`]: 'true', [`${A}/canary-by-header`]: 'x-c', [`${A}/canary-by-header-pattern`]: 'a.*b' }, rules: [{ host: 'c.test', paths: [{ path: '/', service: 'a' }] }] }),
    ingress({ name: 'main2', rules: [{ host: 'd.test', paths: [{ path: '/', service: 'a' }] }] }),
    ingress({ name: 'canary2', annotations: { [`${A}/canary`]: 'true', [`${A}/canary-by-header`]: 'x-c', [`${A}/canary-by-header-pattern`]: 'a.*b.*c' }, rules: [{ host: 'd.test', paths: [{ path: '/', service: 'a' }] }] }),
  ];
  const { diagnostics } = translateJson(objects);
  const about = (name: string) => diagnostics.filter((d) => d.object.name === name).map((d) => `${d.field ?? ''}: ${d.message}`);

  test('use-regex paths as prefixes', () => {
    assert.deepEqual(about('paths'), []);
    assert.match(about('slow').join('\n'), /spec\.rules\[0\]\.http\.paths\[0\]\.path: .*has 3 repetitions/);
  });
  test('canary-by-header-pattern as a search', () => {
    assert.deepEqual(about('canary'), []);
    assert.match(about('canary2').join('\n'), /canary-by-header-pattern.*has 3 repetitions .*the search of every start/);
  });
});
