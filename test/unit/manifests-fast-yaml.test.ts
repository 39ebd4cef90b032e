// The fast block-YAML reader against the yaml package: for every document it
// accepts, the value must be exactly what the yaml package gives; everything
// else must fall back. Checked on tricky cases and on generated documents
// (block structures with awkward keys, scalars, comments, markers, and random
// damage).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { FALLBACK, readBlockDocument, splitDocuments } from '../../src/source/manifests/fast-yaml.js';
import { parseManifest } from '../../src/source/manifests/parse.js';

/** What the yaml package makes of a stream: values (Lists expanded, empty documents skipped), or 'error'. */
function reference(text: string): unknown[] | 'error' {
  try {
    const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(documents)) return [];
    const values: unknown[] = [];
    for (const document of documents) {
      if (document.errors.length > 0) return 'error';
      const value: unknown = document.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) continue;
      const list = value as { kind?: unknown; items?: unknown };
      if (list.kind === 'List' && Array.isArray(list.items)) values.push(...(list.items as unknown[]));
      else values.push(value);
    }
    return values;
  } catch {
    return 'error';
  }
}

/** Values of a stream read document by document (split at `---`/`...` lines) by the yaml package. */
function referenceBySlice(text: string): unknown[] | 'error' {
  const slices = splitDocuments(text);
  if (!slices) return reference(text);
  const values: unknown[] = [];
  for (const slice of slices) {
    const own = reference(text.slice(slice.start, slice.end));
    if (own === 'error') return 'error';
    values.push(...own);
  }
  return values;
}

/**
 * parseManifest gives what the yaml package gives, document by document, and
 * every document the fast reader accepts is read exactly as the yaml package
 * reads it. Streams without quotes are also compared whole: there, splitting
 * at marker lines cannot differ from the yaml package's own splitting. (With
 * an unterminated quote before a `---` the yaml package sometimes drops the
 * rest of the stream without an error; reading documents separately keeps it.)
 */
function check(text: string): void {
  const expected = referenceBySlice(text);
  const result = parseManifest('a.yaml', text);
  if (expected === 'error') assert.ok(!result.ok, `yaml refuses, parseManifest accepted:\n${text}`);
  else {
    assert.ok(result.ok, `yaml accepts, parseManifest refused (${result.ok ? '' : result.message}):\n${text}`);
    assert.deepStrictEqual(result.documents.map((document) => document.value), expected, text);
  }
  if (!/['"]/.test(text)) assert.deepStrictEqual(expected, reference(text), `split differently:\n${text}`);
  for (const slice of splitDocuments(text) ?? []) {
    const fast = readBlockDocument(text, slice);
    if (fast === FALLBACK) continue;
    const own = reference(text.slice(slice.start, slice.end));
    assert.notEqual(own, 'error', `fast reader accepted what yaml refuses:\n${text.slice(slice.start, slice.end)}`);
    const list = fast as { kind?: unknown; items?: unknown } | null;
    const values = fast === null ? [] : list?.kind === 'List' && Array.isArray(list.items) ? (list.items as unknown[]) : [fast];
    assert.deepStrictEqual(values, own, text);
  }
}

const SCALARS = [
  '', 'x', 'hello world', 'a  b', 'a: b', 'a:b', 'a #b', 'a#b', '#c', 'x:', 'é', '日本', '12:30', 'http://x/y?z=1#f',
  '"dq"', "'sq'", "'it''s'", '"a\\"b"', '"\\u00e9"', '"\\x41"', '"\\t\\n\\\\ \\/"', '"\\q"', '"unterminated', "'unterminated", '"a # b"', "'a # b'", '"a" # c', '"a"#c', "'a'x", '""', "''",
  '1', '-1', '+1', '0o17', '0x1F', '0X1F', '017', '1.5', '.5', '1e3', '1E-3', '1.', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1_000', '0b1', '+.5', '-0', '00', '0.0', '123456789012345678901',
  'true', 'True', 'TRUE', 'tRue', 'false', 'yes', 'no', 'on', 'off', 'y', '~', 'null', 'Null', 'NULL', 'nULL',
  '-', '- x', '-x', '--', '---', '...', '[]', '{}', '[ ]', '[a]', '{a: 1}', '&a x', '*a', '!tag x', '!!str 1', '|', '|-', '>', '%x', '@x', '`x', ',x', '?x', '? x', ':x', '=', '<<',
];
const KEYS = ['f:metadata', 'k:{"port":80,"protocol":"TCP"}', 'a::', 'a#b', 'v:1', 'a:b:', '.x', 'a,b', 'a[0]', 'name', 'b.c/d-e', 'app.kubernetes.io/name', 'x_y', 'true', 'True', '1', '1.5', 'null', '~', '__proto__', 'constructor', '"q"', "'q'", 'x y', 'k:', 'n', 'y', 'on', '-k', '? k', '<<', 'é'];

interface Options {
  indentStep: number;
}

const scalar = fc.constantFrom(...SCALARS);
const key = fc.constantFrom(...KEYS);

/** A block node as lines (without the leading indentation of its first line when `inline`). */
const node: fc.Memo<string[]> = fc.memo((depth) =>
  depth <= 1
    ? scalar.map((value) => [value])
    : fc.oneof(
        { weight: 2, arbitrary: scalar.map((value) => [value]) },
        { weight: 2, arbitrary: fc.array(fc.tuple(key, node(depth - 1), fc.boolean()), { minLength: 1, maxLength: 4 }).map((entries) => ['\u0000map', ...encodeEntries(entries)]) },
        { weight: 1, arbitrary: fc.array(node(depth - 1), { minLength: 1, maxLength: 3 }).map((items) => ['\u0000seq', ...items.map((item) => JSON.stringify(item))]) },
      ),
);

function encodeEntries(entries: [string, string[], boolean][]): string[] {
  return entries.map(([k, value, sameIndentSequence]) => JSON.stringify([k, value, sameIndentSequence]));
}

/** Renders a generated node at `indent`, as a value following `prefix` (a key, a dash, or nothing). */
function render(lines: string[], indent: number, options: Options): string[] {
  const pad = ' '.repeat(indent);
  if (lines[0] === '\u0000map') {
    return lines.slice(1).flatMap((encoded) => {
      const [k, value, sameIndent] = JSON.parse(encoded) as [string, string[], boolean];
      if (value[0] === '\u0000map') return [`${pad}${k}:`, ...render(value, indent + options.indentStep, options)];
      if (value[0] === '\u0000seq') return [`${pad}${k}:`, ...render(value, sameIndent ? indent : indent + options.indentStep, options)];
      return [`${pad}${k}: ${value[0]}`.trimEnd()];
    });
  }
  if (lines[0] === '\u0000seq') {
    return lines.slice(1).flatMap((encoded) => {
      const item = JSON.parse(encoded) as string[];
      if (item[0] === '\u0000map') {
        // Compact: the first entry on the dash's line.
        const inner = render(item, indent + 2, options);
        return [`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1)];
      }
      if (item[0] === '\u0000seq') return [`${pad}-`, ...render(item, indent + options.indentStep, options)];
      return [`${pad}- ${item[0]}`.trimEnd()];
    });
  }
  return [`${pad}${lines[0]}`];
}

const DAMAGE = ['# comment', '', '---', '--- # c', '...', '  # indented comment', '\t', 'x: 1', '- y', '  z: 2', ' ', 'a: b # c', '%YAML 1.2'];

const stream = fc
  .record({
    documents: fc.array(fc.tuple(node(4), fc.constantFrom(1, 2, 4), fc.constantFrom(0, 2)), { minLength: 1, maxLength: 3 }),
    damage: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...DAMAGE), fc.constantFrom('insert', 'indent', 'dedent', 'trailing', 'crlf')), { maxLength: 3 }),
  })
  .map(({ documents, damage }) => {
    const lines = documents.flatMap(([root, indentStep, base], index) => [...(index > 0 ? ['---'] : []), ...render(root, base, { indentStep })]);
    for (const [at, text, kind] of damage) {
      const index = lines.length === 0 ? 0 : at % lines.length;
      if (kind === 'insert') lines.splice(index, 0, text);
      else if (kind === 'indent') lines[index] = ` ${lines[index] ?? ''}`;
      else if (kind === 'dedent') lines[index] = (lines[index] ?? '').replace(/^ /, '');
      else if (kind === 'trailing') lines[index] = `${lines[index] ?? ''}  `;
      else lines[index] = `${lines[index] ?? ''}\r`;
    }
    return `${lines.join('\n')}\n`;
  });

describe('fast block-YAML reader', () => {
  const cases = [
    'a: 1\nb: x\n',
    'kind: Ingress\nmetadata:\n  name: x\n  labels: {}\nspec:\n  rules:\n  - host: a.test\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n',
    'a:\n- 1\n- - 2\n',
    'a: |\n  text\n',
    'a: x\n  continued\n',
    'a: "x\n  y"\n',
    'a: 1\na: 2\n',
    '__proto__: {}\n',
    'a: &x 1\nb: *x\n',
    '--- \na: 1\n...\n---\nb: 2\n',
    '--- a\n',
    'a:\n  b: 1\n c: 2\n',
    '- a: 1\n  b: 2\n- c\n',
    '-\n  a: 1\n-\n',
    'a: b: c\n',
    'a:#x\n',
    'a: #x\n',
    '- #x\n',
    'a: "x"y\n',
    'a: [1, 2]\n',
    'a: 0o17\nb: 0x1f\nc: 1e3\nd: .inf\ne: -.inf\nf: .nan\ng: 1.\nh: ~\ni: True\nj: tRue\n',
    '"a": 1\n',
    '1: a\n',
    'a:   \n  - x\n',
    '  a: 1\n  b: 2\n',
    'a: 1\n- b\n',
    '# only a comment\n',
    '---\n---\n',
    'kind: List\nitems:\n- kind: A\n- kind: B\n',
  ];
  for (const text of cases) test(JSON.stringify(text).slice(0, 60), () => check(text));

  test('generated documents: accepted means equal to the yaml package', () => {
    // A new random seed every run: coverage adds up across runs.
    fc.assert(fc.property(stream, (text) => check(text)), { numRuns: 1000 });
  });

  test('kubectl-style manifests take the fast path', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    note: "a: b"\nspec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-1\n  labels:\n    kubernetes.io/service-name: web\naddressType: IPv4\nendpoints:\n- addresses:\n  - 10.0.0.1\n  conditions:\n    ready: true\nports:\n- name: http\n  port: 8080\n';
    const slices = splitDocuments(text)!;
    assert.equal(slices.length, 2);
    for (const slice of slices) assert.notEqual(readBlockDocument(text, slice), FALLBACK);
    check(text);
  });
});
