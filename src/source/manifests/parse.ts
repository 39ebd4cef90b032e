// Manifest text → documents, one at a time, with line numbers on demand.
// Pure, and never throws: whatever the text, the result is documents or a
// failure with a message (and a line when one is known).
//
// YAML files may hold several documents (`---`); JSON files hold one value.
// `kind: List` (what `kubectl get -o yaml` prints) is expanded into its items.
//
// Memory: each YAML document is composed, converted to plain values and
// dropped before the next one is read, so a file of thousands of documents
// never holds more than one syntax tree. Lines are not tracked while parsing;
// when an error must name the line of a field, only that document is parsed
// again, this time keeping positions.

import { CORE_SCHEMA, load, loadAll } from 'js-yaml';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { FieldPath } from '../../objects/field-errors.js';
import { contentStart, splitDocuments } from './documents.js';
import { LineIndex } from './lines.js';

export interface ParsedDocument {
  value: unknown;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  /** 1-based line of the field at `path` (or of its nearest existing parent); undefined when it cannot be told. */
  lineOf(path: FieldPath): number | undefined;
}

export interface ParseFailure {
  message: string;
  line?: number;
}

export type ParseResult = { ok: true; documents: ParsedDocument[] } | ({ ok: false } & ParseFailure);

/**
 * Most nodes aliases may add to a document (its size with every alias
 * expanded, less its size with each node counted once). js-yaml makes an
 * alias a second reference to one value, so a "billion laughs" document
 * costs nothing to read; but code that walks it as a tree would expand it.
 * Benign anchors (a shared label set) add a few nodes.
 */
export const MAX_ALIASED_NODES = 100_000;
/**
 * Finding the line of a field in a JSON file parses it again as YAML, which
 * costs tens of bytes of memory per byte of text; above this size the line is
 * left out (the object and the field still say where the problem is).
 */
const MAX_JSON_BYTES_FOR_LINES = 2 * 1024 * 1024;

/**
 * js-yaml with the YAML 1.2 core schema: strings, numbers, booleans and null
 * only (a timestamp stays a string, as Kubernetes reads it), duplicate keys
 * refused.
 */
const JS_YAML_OPTIONS = { schema: CORE_SCHEMA } as const;
/** The yaml package, used only to find the line of a field when an error must name it. */
const YAML_OPTIONS = { uniqueKeys: true, prettyErrors: false } as const;

/**
 * Deepest `[`/`{` nesting accepted. Parsers recurse per level, and tens of
 * thousands of levels can exhaust the stack (inside V8's regular expression
 * compiler, the process aborts instead of throwing). Kubernetes objects nest
 * a few levels; block nesting is bounded by the size limit (each level needs
 * one more column of indentation).
 */
export const MAX_NESTING = 1000;

/** Opening brackets not yet closed, at most; counts brackets in strings too, which only errs on the safe side. */
function nestingDepth(text: string, start: number, end: number): number {
  let depth = 0;
  let deepest = 0;
  for (let index = start; index < end; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if ((code === 0x5d || code === 0x7d) && depth > 0) depth -= 1;
  }
  return deepest;
}

function tooDeep(text: string, start = 0, end = text.length): ParseFailure | undefined {
  return nestingDepth(text, start, end) > MAX_NESTING ? { message: `nesting deeper than ${MAX_NESTING} levels` } : undefined;
}

/** Why a parsed value must be refused: an alias inside the node it names, or aliases that add too many nodes. */
function aliasProblem(value: unknown): string | undefined {
  // Subtree sizes with aliases expanded, once per object; reaching an object
  // a second time is an alias, which adds its whole size to the expansion.
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let added = 0;
  let cyclic = false;
  const size = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 1;
    const known = sizes.get(node);
    if (known !== undefined) {
      added += known;
      return known;
    }
    if (open.has(node)) {
      cyclic = true;
      return 1;
    }
    open.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (cyclic || added > MAX_ALIASED_NODES) break;
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  size(value);
  if (cyclic) return 'an alias refers to the node that holds it';
  if (added > MAX_ALIASED_NODES) return `aliases expand the document by more than ${MAX_ALIASED_NODES} nodes`;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown error';
  return text.split('\n')[0] ?? text;
}

type Locator = (path: FieldPath) => number | undefined;

function* expandLists(value: unknown, line: () => number, lineOf: Locator): Generator<ParsedDocument, void, void> {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) {
    const items: unknown[] = value.items;
    for (let index = 0; index < items.length; index += 1) {
      const itemLineOf: Locator = (path) => lineOf(['items', index, ...path]);
      yield { value: items[index], get line() { return itemLineOf([]) ?? line(); }, lineOf: itemLineOf };
    }
    return;
  }
  yield { value, get line() { return line(); }, lineOf };
}

/**
 * Where fields are in the YAML document `text.slice(start, end)`: parses that
 * slice again with positions, once, on the first question.
 */
function yamlLocator(text: string, start: number, end: number, lines: LineIndex): Locator {
  let located: { document: Document; counter: LineCounter } | null | undefined;
  return (path) => {
    if (located === undefined) {
      try {
        const counter = new LineCounter();
        const document = parseDocument(text.slice(start, end), { ...YAML_OPTIONS, lineCounter: counter });
        located = { document, counter };
      } catch {
        located = null;
      }
    }
    if (!located) return undefined;
    const base = lines.lineAt(start) - 1;
    try {
      for (let length = path.length; length >= 0; length -= 1) {
        const node = located.document.getIn(path.slice(0, length), true);
        if (isNode(node) && node.range) return base + located.counter.linePos(node.range[0]).line;
      }
    } catch {
      // getIn on a scalar in the middle of the path; fall through to the document's line
    }
    const contents = located.document.contents;
    return base + (contents?.range ? located.counter.linePos(contents.range[0]).line : 1);
  };
}

/** js-yaml's error, with the line it names counted from `firstLine` (the 1-based line of the parsed text's start). */
function failureOf(error: unknown, firstLine: number): ParseFailure {
  const mark = (error as { mark?: { line?: number } }).mark;
  const reason = (error as { reason?: string }).reason;
  const message = reason ?? messageOf(error);
  return typeof mark?.line === 'number' ? { message, line: firstLine + mark.line } : { message };
}

/** One document, `text.slice(slice.start, slice.end)`. */
function readDocument(text: string, slice: { start: number; end: number }, lines: LineIndex): { value: unknown } | ParseFailure {
  const deep = tooDeep(text, slice.start, slice.end);
  if (deep) return { ...deep, line: lines.lineAt(contentStart(text, slice)) };
  const source = text.slice(slice.start, slice.end);
  let value: unknown;
  try {
    value = load(source, JS_YAML_OPTIONS);
  } catch (error) {
    // Syntax errors, duplicate keys, unknown tags, a stack exhausted by deep block nesting.
    return failureOf(error, lines.lineAt(slice.start));
  }
  // An alias needs a `*`: most documents have none, and need no walk. Searched
  // within the document only: searching the stream from the document's start
  // scans to its end for every document of a file without aliases (quadratic).
  const aliases = source.includes('*') ? aliasProblem(value) : undefined;
  if (aliases) return { message: aliases, line: lines.lineAt(contentStart(text, slice)) };
  // js-yaml's strings are slices of the text; the decoder copies the ones it keeps (objects/shape.ts `own`).
  return { value };
}

function* yamlDocuments(text: string): Generator<ParsedDocument, ParseFailure | undefined, void> {
  const lines = new LineIndex(text);
  const slices = splitDocuments(text);
  if (!slices) return yield* streamWithDirectives(text);
  for (const slice of slices) {
    const read = readDocument(text, slice, lines);
    if (!('value' in read)) return read;
    if (read.value === null || read.value === undefined) continue; // an empty document, e.g. a trailing `---`
    yield* expandLists(read.value, () => lines.lineAt(contentStart(text, slice)), yamlLocator(text, slice.start, slice.end, lines));
  }
  return undefined;
}

/** A stream with `%` directives (rare in manifests) is read whole; errors in it name no field line. */
function* streamWithDirectives(text: string): Generator<ParsedDocument, ParseFailure | undefined, void> {
  const deep = tooDeep(text);
  if (deep) return deep;
  const values: unknown[] = [];
  try {
    loadAll(text, (value) => values.push(value), JS_YAML_OPTIONS);
  } catch (error) {
    return failureOf(error, 1);
  }
  for (const value of values) {
    const aliases = aliasProblem(value);
    if (aliases) return { message: aliases };
    if (value !== null && value !== undefined) yield* expandLists(value, () => 1, () => undefined);
  }
  return undefined;
}

function jsonLineOf(message: string, text: string): number | undefined {
  const explicit = /\(line (\d+) column \d+\)/.exec(message);
  if (explicit) return Number(explicit[1]);
  const position = /position (\d+)/.exec(message);
  return position ? new LineIndex(text).lineAt(Number(position[1])) : undefined;
}

function* jsonDocuments(text: string): Generator<ParsedDocument, ParseFailure | undefined, void> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = messageOf(error);
    const line = jsonLineOf(message, text);
    return { message, ...(line !== undefined ? { line } : {}) };
  }
  // JSON is YAML, so the YAML parser can tell where each field is; only
  // needed when something is wrong, so it runs on the first question. JSON.parse
  // copes with any depth, the yaml package does not: too deep, no line.
  let lineOf: Locator | undefined;
  const locate: Locator = (path) => {
    lineOf ??= text.length <= MAX_JSON_BYTES_FOR_LINES && !tooDeep(text) ? yamlLocator(text, 0, text.length, new LineIndex(text)) : () => undefined;
    return lineOf(path);
  };
  yield* expandLists(value, () => 1, locate);
  return undefined;
}

/**
 * The documents of a manifest file, one at a time. The generator's return
 * value is undefined when the whole file parsed, or the failure; documents
 * yielded before a failure must then be discarded.
 */
export function manifestDocuments(fileName: string, text: string): Generator<ParsedDocument, ParseFailure | undefined, void> {
  return fileName.endsWith('.json') ? jsonDocuments(text) : yamlDocuments(text);
}

/** All documents of a manifest file at once (for tools and tests; the source streams with manifestDocuments). */
export function parseManifest(fileName: string, text: string): ParseResult {
  const documents: ParsedDocument[] = [];
  const iterator = manifestDocuments(fileName, text);
  for (;;) {
    const step = iterator.next();
    if (step.done) return step.value ? { ok: false, ...step.value } : { ok: true, documents };
    documents.push(step.value);
  }
}
