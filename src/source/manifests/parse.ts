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

import { Composer, Lexer, LineCounter, Parser, isNode, parseDocument, type Document } from 'yaml';
import type { FieldPath } from '../../objects/field-errors.js';
import { FALLBACK, contentStart, readBlockDocument, splitDocuments } from './fast-yaml.js';
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

/** The yaml package's own limit on aliases, which defeats "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;
/**
 * Finding the line of a field in a JSON file parses it again as YAML, which
 * costs tens of bytes of memory per byte of text; above this size the line is
 * left out (the object and the field still say where the problem is).
 */
const MAX_JSON_BYTES_FOR_LINES = 2 * 1024 * 1024;

const YAML_OPTIONS = { uniqueKeys: true, prettyErrors: false } as const;

/**
 * Deepest `[`/`{` nesting accepted. The yaml package recurses per level and,
 * tens of thousands of levels deep, can exhaust the stack inside V8's regular
 * expression compiler, which aborts the whole process instead of throwing.
 * Kubernetes objects nest a few levels; block nesting is bounded by the size
 * limit (each level needs one more column of indentation).
 */
export const MAX_NESTING = 1000;

/**
 * Most tokens a document read by the yaml package may have. That parser keeps
 * a syntax tree and a document model costing about 550 bytes per token: a
 * 2 MiB flow sequence (`[1,1,...]`, a million items) took 1.1 GB and 25 s.
 * 200,000 tokens stay near 110 MB. Plain block YAML is read by fast-yaml.ts
 * and has no such limit (only the file size limit).
 */
export const MAX_FALLBACK_TOKENS = 200_000;

/** Whether `source` has more than MAX_FALLBACK_TOKENS tokens; lexing alone is cheap and keeps nothing. */
function tooManyTokens(source: string): ParseFailure | undefined {
  let tokens = 0;
  for (const _token of new Lexer().lex(source)) {
    tokens += 1;
    if (tokens > MAX_FALLBACK_TOKENS) {
      return { message: `a document with more than ${MAX_FALLBACK_TOKENS} tokens outside plain block style (flow collections, anchors, block scalars...); write it in block style or split it into several documents` };
    }
  }
  return undefined;
}

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

/** The documents of `text.slice(start, end)`, composed by the yaml package (offsets stay those of `text`). */
function* composedDocuments(text: string, start: number, end: number, lines: LineIndex): Generator<ParsedDocument, ParseFailure | undefined, void> {
  const deep = tooDeep(text, start, end);
  if (deep) return deep;
  let documents: Iterator<Document.Parsed>;
  try {
    const source = start === 0 && end === text.length ? text : text.slice(start, end);
    const large = tooManyTokens(source);
    if (large) return { ...large, line: lines.lineAt(contentStart(text, { start, end })) };
    documents = new Composer(YAML_OPTIONS).compose(new Parser().parse(source))[Symbol.iterator]();
  } catch (error) {
    return { message: messageOf(error) };
  }
  for (;;) {
    let value: unknown;
    let documentStart: number;
    let contentStart: number;
    let documentEnd: number;
    try {
      const step = documents.next();
      if (step.done) return undefined;
      const document = step.value;
      const error = document.errors[0];
      if (error) return { message: messageOf(error), line: lines.lineAt(start + error.pos[0]) };
      documentStart = start + document.range[0];
      documentEnd = start + document.range[2];
      contentStart = start + (document.contents?.range?.[0] ?? document.range[0]);
      value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      // The yaml package throws for some inputs (excessive aliases, deep
      // nesting exhausting the stack): the file is refused like any other that
      // does not parse.
      return { message: messageOf(error) };
    }
    if (value === null || value === undefined) continue; // an empty document, e.g. a trailing `---`
    const line = contentStart;
    yield* expandLists(value, () => lines.lineAt(line), yamlLocator(text, documentStart, documentEnd, lines));
  }
}

function* yamlDocuments(text: string): Generator<ParsedDocument, ParseFailure | undefined, void> {
  const lines = new LineIndex(text);
  const slices = splitDocuments(text);
  if (!slices) return yield* composedDocuments(text, 0, text.length, lines);
  for (const slice of slices) {
    // Most documents are plain block YAML, read directly; the others go to the yaml package.
    const value = readBlockDocument(text, slice);
    if (value === FALLBACK) {
      const failure = yield* composedDocuments(text, slice.start, slice.end, lines);
      if (failure) return failure;
      continue;
    }
    if (value === null || value === undefined) continue;
    yield* expandLists(value, () => lines.lineAt(contentStart(text, slice)), yamlLocator(text, slice.start, slice.end, lines));
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
