// Manifest files: parsing with line numbers, and what a file contributes
// when it is broken or holds invalid objects.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseManifest } from '../../src/source/manifests/parse.js';
import { evaluateFile } from '../../src/source/manifests/file-objects.js';
import { ingress, toYaml } from '../helpers/objects.js';

const options = { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' };

describe('parseManifest', () => {
  const cases: [string, string, string, { documents?: number; line?: number; message?: RegExp }][] = [
    ['several YAML documents', 'a.yaml', 'kind: A\n---\nkind: B\n---\n', { documents: 2 }],
    ['an empty file', 'a.yml', '', { documents: 0 }],
    ['only comments', 'a.yaml', '# nothing here\n', { documents: 0 }],
    ['a List is expanded', 'a.yaml', 'kind: List\napiVersion: v1\nitems:\n- kind: A\n- kind: B\n', { documents: 2 }],
    ['JSON', 'a.json', '{"kind":"A"}', { documents: 1 }],
    ['bad YAML: line of the error', 'a.yaml', 'a: 1\nb:\n  - x\n  y: 2\n', { line: 4, message: /bad indentation/ }],
    ['duplicate keys', 'a.yaml', 'a: 1\na: 2\n', { line: 2, message: /duplicated mapping key/ }],
    ['bad JSON: line of the error', 'a.json', '{\n  "kind": "A",\n  oops\n}', { line: 3 }],
  ];
  for (const [title, name, text, expected] of cases) {
    test(title, () => {
      const result = parseManifest(name, text);
      if (expected.documents !== undefined) {
        assert.ok(result.ok);
        assert.equal(result.documents.length, expected.documents);
      } else {
        assert.ok(!result.ok);
        assert.equal(result.line, expected.line);
        if (expected.message) assert.match(result.message, expected.message);
      }
    });
  }

  test('lineOf points at the field, or its nearest parent', () => {
    const result = parseManifest('a.yaml', 'kind: Ingress\nmetadata:\n  name: x\nspec:\n  rules:\n  - host: a\n    http:\n      paths:\n      - path: rel\n');
    assert.ok(result.ok);
    const document = result.documents[0]!;
    assert.equal(document.lineOf(['spec', 'rules', 0, 'http', 'paths', 0, 'path']), 9);
    assert.equal(document.lineOf(['spec', 'rules', 0, 'http', 'paths', 0, 'pathType']), 9);
    assert.equal(document.lineOf(['metadata', 'name']), 3);
  });

  test('a document a parser would throw on, or expand without end, is a parse failure, not an exception (H1)', () => {
    // "Billion laughs": nine levels of ten aliases each.
    const laughs = `${['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`), `i: [${Array(10).fill('*h').join(',')}]`].join('\n')}\n`;
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    for (const [name, text, message] of [
      ['aliases.yaml', `kind: A\n---\n${laughs}`, /alias/i],
      ['deep.yaml', deep, /nesting deeper than 1000 levels/],
    ] as const) {
      const result = parseManifest(name, text);
      assert.ok(!result.ok, name);
      assert.match(result.message, message);
    }
    // JSON.parse copes with any depth; only finding a line would not.
    const json = parseManifest('deep.json', deep);
    assert.ok(json.ok);
    assert.equal(json.documents[0]!.lineOf([0, 0]), undefined);
  });

  test('a large flow or block sequence is read whole (M8: memory follows the values, not a syntax tree)', () => {
    const flow = parseManifest('a.yaml', `kind: A\n---\nkind: B\nx: [${'1,'.repeat(150_000)}1]\n`);
    assert.ok(flow.ok);
    assert.equal((flow.documents[1]!.value as { x: unknown[] }).x.length, 150_001);
    const block = parseManifest('a.yaml', `kind: B\nx:\n${'- 1\n'.repeat(150_000)}`);
    assert.ok(block.ok);
    assert.equal((block.documents[0]!.value as { x: unknown[] }).x.length, 150_000);
  });

  test('benign aliases are read; an alias inside its own anchor is refused', () => {
    const shared = parseManifest('a.yaml', 'kind: A\nmetadata:\n  labels: &l {app: web}\nspec:\n  selector: *l\n');
    assert.ok(shared.ok);
    assert.deepEqual((shared.documents[0]!.value as { spec: unknown }).spec, { selector: { app: 'web' } });
    const cyclic = parseManifest('a.yaml', 'kind: A\nx: &x [1, *x]\n');
    assert.ok(!cyclic.ok);
  });

  test('line numbers: of the document, of a field, in later documents', () => {
    const text = '# head\nkind: A\n---\n\nkind: B\nmetadata:\n  name: b\n---\nkind: C\nspec:\n  x: 1\n';
    const result = parseManifest('a.yaml', text);
    assert.ok(result.ok);
    assert.deepEqual(result.documents.map((document) => document.line), [2, 5, 9]);
    assert.equal(result.documents[1]!.lineOf(['metadata', 'name']), 7);
    assert.equal(result.documents[2]!.lineOf(['spec', 'x']), 11);
    assert.equal(result.documents[2]!.lineOf(['spec', 'missing', 'deeper']), 11);
  });

  test('an error in a later document names its line', () => {
    const result = parseManifest('a.yaml', 'kind: A\n---\nkind: B\n---\nkind: C\nkind: D\n');
    assert.ok(!result.ok);
    assert.equal(result.line, 6);
  });

  test('lineOf inside a List item', () => {
    const result = parseManifest('a.yaml', 'kind: List\nitems:\n- kind: A\n  metadata:\n    name: first\n- kind: B\n  metadata:\n    name: second\n');
    assert.ok(result.ok);
    assert.equal(result.documents[1]!.lineOf(['metadata', 'name']), 8);
  });
});

describe('evaluateFile', () => {
  const good = ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ service: 's' }] }] });
  const goodB = ingress({ name: 'b', rules: [{ host: 'b.test', paths: [{ service: 's' }] }] });
  const badA = ingress({ name: 'a', rules: [{ host: 'a.test', paths: [{ path: 'relative', service: 's' }] }] });
  const first = evaluateFile('f.yaml', toYaml([good, goodB]), new Map(), options);

  test('valid objects are taken', () => {
    assert.deepEqual([...first.objects.keys()], ['Ingress/default/a', 'Ingress/default/b']);
    assert.deepEqual(first.problems, []);
  });

  test('a parse error keeps every previous object', () => {
    const result = evaluateFile('f.yaml', 'kind: [', first.objects, options);
    assert.deepEqual([...result.objects.keys()], ['Ingress/default/a', 'Ingress/default/b']);
    assert.equal(result.problems[0]?.level, 'error');
  });

  test('an invalid object keeps its last good version; the others update', () => {
    const goodB2 = ingress({ name: 'b', rules: [{ host: 'b2.test', paths: [{ service: 's' }] }] });
    const result = evaluateFile('f.yaml', toYaml([badA, goodB2]), first.objects, options);
    assert.equal(result.objects.get('Ingress/default/a'), first.objects.get('Ingress/default/a'));
    assert.notEqual(result.objects.get('Ingress/default/b'), first.objects.get('Ingress/default/b'));
    assert.deepEqual(result.problems.map((p) => [p.level, p.object, p.field, p.line]), [['error', 'Ingress default/a', 'spec.rules[0].http.paths[0].path', 11]]);
    assert.match(result.problems[0]!.message, /last good version stays in use/);
  });

  test('an object removed from the file is removed', () => {
    const result = evaluateFile('f.yaml', toYaml([good]), first.objects, options);
    assert.deepEqual([...result.objects.keys()], ['Ingress/default/a']);
  });

  test('a document that cannot be identified blocks removals', () => {
    const result = evaluateFile('f.yaml', toYaml([good, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {} }]), first.objects, options);
    assert.deepEqual([...result.objects.keys()].sort(), ['Ingress/default/a', 'Ingress/default/b']);
  });

  test('kept: the keys whose last good version is used instead of the text', () => {
    assert.deepEqual([...first.kept], []);
    const invalid = evaluateFile('f.yaml', toYaml([badA, goodB]), first.objects, options);
    assert.deepEqual([...invalid.kept], ['Ingress/default/a']);
    const unparsable = evaluateFile('f.yaml', 'kind: [', first.objects, options);
    assert.deepEqual([...unparsable.kept].sort(), ['Ingress/default/a', 'Ingress/default/b']);
    const fixed = evaluateFile('f.yaml', toYaml([good, goodB]), invalid.objects, options);
    assert.deepEqual([...fixed.kept], []);
  });

  test('a file the parser throws on keeps its last good content (H1)', () => {
    const bomb = `${['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`), `i: [${Array(10).fill('*h').join(',')}]`].join('\n')}\n`;
    const result = evaluateFile('f.yaml', bomb, first.objects, options);
    assert.deepEqual([...result.objects.keys()], ['Ingress/default/a', 'Ingress/default/b']);
    assert.equal(result.problems[0]?.level, 'error');
    assert.match(result.problems[0]!.message, /^cannot parse: .*alias.*; the file keeps its last good content$/i);
  });

  test('at most 100 problems per file are reported, then how many more there are', () => {
    const broken = Array.from({ length: 5000 }, (_, i) => `kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata:\n  name: x${i}\nspec: {}\n`).join('---\n');
    const result = evaluateFile('f.yaml', broken, new Map(), options);
    assert.equal(result.problems.length, 101);
    assert.equal(result.problems[99]!.line, 599); // document 99 of 6 lines each, its spec line
    assert.equal(result.problems[100]!.message, '4900 more problems in this file are not shown');
  });

  test('other kinds are ignored with a debug note', () => {
    const result = evaluateFile('f.yaml', toYaml([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }]), new Map(), options);
    assert.equal(result.objects.size, 0);
    assert.equal(result.problems[0]?.level, 'debug');
  });
});
