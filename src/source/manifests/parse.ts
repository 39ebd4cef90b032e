// Manifest text → documents, with line numbers. Pure.
//
// YAML files may hold several documents (`---`); JSON files hold one value.
// `kind: List` (what `kubectl get -o yaml` prints) is expanded into its items.
// Each document can report the line of any field path, so errors can point at
// the line that holds the bad value.

import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import type { FieldPath } from '../../objects/field-errors.js';

export interface ParsedDocument {
  value: unknown;
  /** 1-based line of the document's start. */
  line: number;
  /** 1-based line of the field at `path` (or of its nearest existing parent). */
  lineOf(path: FieldPath): number;
}

export type ParseResult = { ok: true; documents: ParsedDocument[] } | { ok: false; message: string; line?: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromYamlDocument(document: Document, counter: LineCounter, prefix: FieldPath): (path: FieldPath) => number {
  return (path) => {
    const full = [...prefix, ...path];
    for (let length = full.length; length >= 0; length -= 1) {
      const node = document.getIn(full.slice(0, length), true);
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    }
    return document.contents?.range ? counter.linePos(document.contents.range[0]).line : 1;
  };
}

function expandLists(value: unknown, line: number, lineOf: (path: FieldPath) => number, out: ParsedDocument[]): void {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) {
    value.items.forEach((item, index) => {
      const itemLineOf = (path: FieldPath) => lineOf(['items', index, ...path]);
      // The line of an item is asked for only when reporting, so it is found only then.
      out.push({ value: item, get line() { return itemLineOf([]); }, lineOf: itemLineOf });
    });
    return;
  }
  out.push({ value, line, lineOf });
}

export function parseYaml(text: string): ParseResult {
  const counter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(documents)) return { ok: true, documents: [] };
  const out: ParsedDocument[] = [];
  for (const document of documents) {
    const error = document.errors[0];
    if (error) {
      const line = error.pos ? counter.linePos(error.pos[0]).line : undefined;
      return { ok: false, message: error.message.split('\n')[0] ?? error.message, ...(line !== undefined ? { line } : {}) };
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue; // empty document, e.g. a trailing `---`
    const lineOf = fromYamlDocument(document, counter, []);
    expandLists(value, lineOf([]), lineOf, out);
  }
  return { ok: true, documents: out };
}

export function parseJson(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    return { ok: false, message, ...(line !== undefined ? { line } : {}) };
  }
  // JSON is YAML, so the YAML parser can tell where each field is; only
  // needed when something is wrong, so it runs on the first question.
  let located: ((path: FieldPath) => number) | undefined;
  const lineOf = (path: FieldPath) => {
    if (!located) {
      const parsed = parseYaml(text);
      located = parsed.ok && parsed.documents.length === 1 && parsed.documents[0] ? parsed.documents[0].lineOf : () => 1;
    }
    return located(path);
  };
  const out: ParsedDocument[] = [];
  expandLists(value, 1, lineOf, out);
  return { ok: true, documents: out };
}

export function parseManifest(fileName: string, text: string): ParseResult {
  return fileName.endsWith('.json') ? parseJson(text) : parseYaml(text);
}
