// Label selectors written as text (--watch-namespace-selector), parsed into
// metav1.LabelSelector and matched by the same selectorMatches as Gateway API's.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseLabelSelector } from '../../src/objects/label-selector.js';
import { selectorMatches } from '../../src/translate/gateway/references.js';

const selects = (text: string, labels: Record<string, string>): boolean => {
  const parsed = parseLabelSelector(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return selectorMatches(parsed.selector, labels);
};

describe('label selectors as text', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['foo=bar', { foo: 'bar' }, true],
    ['foo=bar', { foo: 'baz' }, false],
    ['foo=bar', {}, false],
    ['foo==bar', { foo: 'bar' }, true],
    ['foo = bar', { foo: 'bar' }, true],
    ['foo!=bar', { foo: 'baz' }, true],
    ['foo!=bar', {}, true],
    ['foo!=bar', { foo: 'bar' }, false],
    ['env in (prod, staging)', { env: 'staging' }, true],
    ['env in (prod,staging)', { env: 'dev' }, false],
    ['env notin (prod)', {}, true],
    ['env notin (prod)', { env: 'prod' }, false],
    ['foo', { foo: '' }, true],
    ['foo', {}, false],
    ['!foo', {}, true],
    ['!foo', { foo: 'x' }, false],
    ['foo=bar,env in (a,b),!legacy', { foo: 'bar', env: 'b' }, true],
    ['foo=bar,env in (a,b),!legacy', { foo: 'bar', env: 'b', legacy: 'yes' }, false],
    ['kubernetes.io/metadata.name=team-a', { 'kubernetes.io/metadata.name': 'team-a' }, true],
    ['foo=', { foo: '' }, true],
    ['', { anything: 'x' }, true],
  ];
  for (const [text, labels, expected] of cases) {
    test(`${JSON.stringify(text)} on ${JSON.stringify(labels)}: ${expected}`, () => assert.equal(selects(text, labels), expected));
  }

  const refused: [string, RegExp][] = [
    ['foo=bar,', /empty requirement/],
    ['foo in (a,b', /unbalanced/],
    ['foo>1', /not a requirement/],
    ['foo=bar baz', /not a requirement/],
    ['-foo=bar', /key "-foo"/],
    ['foo=b@r', /value "b@r"/],
    ['foo in (a,$x)', /value "\$x"/],
    ['a/b/c=d', /qualified name/],
  ];
  for (const [text, message] of refused) {
    test(`${JSON.stringify(text)} is refused with what is wrong`, () => {
      const parsed = parseLabelSelector(text);
      assert.ok('error' in parsed, 'refused');
      assert.match(parsed.error, message);
    });
  }
});
