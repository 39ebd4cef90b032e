// Regular-expression paths (use-regex, rewrite-target): the subset that means
// the same in JavaScript and PCRE2, the reference matcher, and the map
// entries HAProxy looks them up in.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapContents } from '../../src/dataplane/haproxy/render-files.js';
import { matchRequest } from '../../src/model/match.js';
import { rewriteTarget, safeRegex } from '../../src/translate/regex.js';
import { parseCandidateList, wholeList } from '../helpers/candidates.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';

describe('safeRegex', () => {
  const ACCEPTED: [string, string, number][] = [
    ['/something(/|$)(.*)', '/something(/|$)(.*)', 2],
    ['/api/v\\d+/(.*)', '/api/v[0-9]+/(.*)', 1],
    ['^/anchored', '/anchored', 0],
    ['/\\.well-known', '/[.]well-known', 0],
    ['/x{2,3}y{1,}', '/x{2,3}y{1,}', 0],
    ['/[^/]+/edit', '/[^/]+/edit', 0],
    ['/(?:a|b)/(c)', '/(?:a|b)/(c)', 1],
    ['/lazy.*?x', '/lazy.*?x', 0],
    ['/plain', '/plain', 0],
  ];
  for (const [written, pattern, groups] of ACCEPTED) test(`accepted: ${written}`, () => assert.deepEqual(safeRegex(written), { ok: true, pattern, groups }));

  test('spaces only where asked for (a certificate subject, never a path); tabs and quotes never', () => {
    assert.equal(safeRegex('/a b').ok, false);
    assert.deepEqual(safeRegex('CN=John Doe\\.', { spaces: true }), { ok: true, pattern: 'CN=John Doe[.]', groups: 0 });
    assert.deepEqual(safeRegex('CN=John Doe\\d', { spaces: true }), { ok: true, pattern: 'CN=John Doe[0-9]', groups: 0 });
    assert.equal(safeRegex('CN=a\tb', { spaces: true }).ok, false);
    assert.equal(safeRegex("CN='a'", { spaces: true }).ok, false);
  });

  const REFUSED: [string, RegExp][] = [
    ['/a(?=b)', /\(\? groups/],
    ['/a(?<n>b)', /may contain only/],
    ['/(a)\\1', /escape \\1/],
    ['/a\\b', /escape \\b/],
    ['/[\\d]', /inside a \[ \] class/],
    ['/[]a]', /empty or start with \]/],
    ['/(a+)+', /nested quantifiers/],
    ['/(a*)*b', /nested quantifiers/],
    ['/a{x}', /quantifier/],
    ['/a(b', /not closed/],
    ['/a)b', /no matching/],
    ['/a|^/b', /\^ may only come first/],
    ["/a'b", /may contain only/],
    ['/a b', /may contain only/],
    ['/a#b', /may contain only/],
    ['/a\nb', /may contain only/],
    ['/' + '(x)'.repeat(10), /at most 9/],
  ];
  for (const [written, problem] of REFUSED) {
    test(`refused: ${JSON.stringify(written)}`, () => {
      const result = safeRegex(written);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problem, problem);
    });
  }

  test('every accepted pattern compiles the same way in JavaScript with and without the i flag', () => {
    for (const [written] of ACCEPTED) {
      const result = safeRegex(written);
      assert.ok(result.ok && !result.pattern.includes('\\'));
    }
  });
});

describe('rewriteTarget', () => {
  test('$N becomes \\N', () => assert.deepEqual(rewriteTarget('/v2/$1/$2', 9), { ok: true, target: '/v2/\\1/\\2' }));
  test('nginx variables are refused', () => assert.equal(rewriteTarget('/$host/x', 9).ok, false));
  test('full URLs are refused', () => assert.equal(rewriteTarget('https://x.test/$1', 9).ok, false));
  test('a relative target is refused', () => assert.equal(rewriteTarget('x/$1', 9).ok, false));
  test('a target with a query or a space is refused', () => {
    assert.equal(rewriteTarget('/x?a=1', 9).ok, false);
    assert.equal(rewriteTarget('/x y', 9).ok, false);
  });
});

describe('regex levels', () => {
  const objects = [
    ...serviceWithEndpoints({ name: 'a', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
    ...serviceWithEndpoints({ name: 'b', endpoints: [{ address: '127.0.0.3', port: 8080 }] }),
    ingress({ name: 'rx', annotations: { [`${A}/use-regex`]: 'true' }, rules: [{ host: 'r.test', paths: [{ path: '/api(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'a' }, { path: '/api/v1(/|$)(.*)', pathType: 'ImplementationSpecific', service: 'b' }] }] }),
    ingress({ name: 'neighbour', rules: [{ host: 'r.test', paths: [{ path: '/other', service: 'b' }] }] }),
    ingress({ name: 'elsewhere', rules: [{ host: 'p.test', paths: [{ path: '/other', service: 'b' }] }] }),
  ];
  const { model } = translateJson(objects);

  test('the whole host is a regex level, longest written path first; other hosts are not', () => {
    const level = model.levels.find((candidate) => candidate.host === 'r.test');
    assert.equal(level?.regex, true);
    assert.deepEqual(level?.routes.map((route) => `${route.match} ${route.path}`), ['regex /api/v1(/|$)(.*)', 'regex /api(/|$)(.*)', 'regex /other']);
    assert.equal(model.levels.find((candidate) => candidate.host === 'p.test')?.regex, undefined);
  });

  test('the reference matcher: first match, anchored, case-insensitive', () => {
    const target = (host: string, path: string) => JSON.stringify(matchRequest(model, host, path));
    assert.equal(target('r.test', '/api/v1/x'), JSON.stringify({ kind: 'backend', id: 'default_b_80' }));
    assert.equal(target('r.test', '/API/v2'), JSON.stringify({ kind: 'backend', id: 'default_a_80' }));
    assert.equal(target('r.test', '/otherwise'), JSON.stringify({ kind: 'backend', id: 'default_b_80' }));
    assert.equal(target('r.test', '/x/api'), JSON.stringify({ kind: 'not-found' }));
    assert.equal(target('p.test', '/otherwise'), JSON.stringify({ kind: 'not-found' }));
  });

  test('map entries: the level is named ~host, one prefix entry names its list, the patterns in route order, anchored, any case', () => {
    const maps = mapContents(model);
    assert.deepEqual(maps.hosts.filter((entry) => entry.key.startsWith('r.test')).map((entry) => entry.value.text), ['~r.test', '~r.test']);
    const level = maps.prefix.filter((entry) => entry.key.startsWith('~r.test'));
    assert.equal(level.length, 1);
    assert.equal(level[0]!.key, '~r.test/');
    const list = wholeList((key) => maps.candidates.find((entry) => entry.key === key)?.value.text, level[0]!.value.text);
    assert.ok(list !== undefined, 'the level has its list');
    const parsed = parseCandidateList(list);
    assert.deepEqual(
      parsed.candidates.map((candidate) => `${candidate.conditions.map((condition) => `${condition.what}:${condition.kind}:${condition.value}`).join('&')} ${candidate.shares.map((share) => share.backend).join(',')}`),
      ['p:caseless:^(?:/api/v1(/|$)(.*)) default_b_80', 'p:caseless:^(?:/api(/|$)(.*)) default_a_80', 'p:caseless:^(?:/other) default_b_80'],
    );
    assert.equal(parsed.fallback, 'portero:not-found');
    // Other hosts' paths never meet these patterns.
    assert.ok(!maps.prefix.some((entry) => entry.key.startsWith('p.test') && entry.value.text.startsWith('?')));
  });
});
