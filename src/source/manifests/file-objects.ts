// What one manifest file contributes to the store, given its new text and
// what it contributed before. Pure.
//
// - A file that does not parse keeps its last good content.
// - A valid object replaces its previous version.
// - An invalid object is refused, as the API server would refuse it, and the
//   file keeps that object's last good version.
// - A document too broken to say which object it is blocks deletions: the
//   objects that disappeared from the file may be the broken ones.

import { decodeObject, type DecodeOptions } from '../../objects/decode.js';
import { formatPath } from '../../objects/field-errors.js';
import { describeRef, type KubeObject, type ObjectRef } from '../../objects/types.js';
import { manifestDocuments, type ParsedDocument } from './parse.js';

export interface FileProblem {
  level: 'error' | 'warn' | 'debug';
  message: string;
  line?: number;
  object?: string;
  field?: string;
}

export interface FileObjects {
  /** Objects by `Kind/namespace/name`. */
  objects: Map<string, KubeObject>;
  /** Keys of the objects taken from `previous` (their last good version) rather than from the text. */
  kept: Set<string>;
  problems: FileProblem[];
}

/** `Kind/namespace/name` (`Kind/name` when cluster-scoped), built by join: one flat string, not a chain of concatenations. */
export function objectKey(ref: ObjectRef): string {
  return (ref.namespace === '' ? [ref.kind, ref.name] : [ref.kind, ref.namespace, ref.name]).join('/');
}

/**
 * Problems reported per file. Finding a problem's line parses its document
 * again, and each problem is a log line: a file of a million broken documents
 * must cost neither a million parses nor a million log lines.
 */
export const MAX_PROBLEMS_PER_FILE = 100;

/** Collects a file's problems up to MAX_PROBLEMS_PER_FILE; `add` computes a problem only while there is room. */
class Problems {
  readonly list: FileProblem[] = [];
  private dropped = 0;

  add(make: () => FileProblem): void {
    if (this.list.length < MAX_PROBLEMS_PER_FILE) this.list.push(make());
    else this.dropped += 1;
  }

  done(): FileProblem[] {
    if (this.dropped > 0) this.list.push({ level: 'error', message: `${this.dropped} more problems in this file are not shown` });
    return this.list;
  }
}

function withLine(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

export function evaluateFile(
  fileName: string,
  text: string,
  previous: ReadonlyMap<string, KubeObject>,
  options: DecodeOptions,
): FileObjects {
  const objects = new Map<string, KubeObject>();
  const kept = new Set<string>();
  const problems = new Problems();
  let unidentified = false;
  const documents = manifestDocuments(fileName, text);
  for (;;) {
    const step = documents.next();
    if (step.done) {
      if (step.value) {
        return {
          objects: new Map(previous),
          kept: new Set(previous.keys()),
          problems: [{ level: 'error', message: `cannot parse: ${step.value.message}; the file keeps its last good content`, ...withLine(step.value.line) }],
        };
      }
      break;
    }
    if (evaluateDocument(step.value, previous, options, objects, kept, problems)) unidentified = true;
  }
  if (unidentified) {
    for (const [key, object] of previous) {
      if (objects.has(key)) continue;
      objects.set(key, object);
      kept.add(key);
    }
  }
  return { objects, kept, problems: problems.done() };
}

/** Adds what one document contributes; returns true when the document is too broken to say which object it is. */
function evaluateDocument(
  document: ParsedDocument,
  previous: ReadonlyMap<string, KubeObject>,
  options: DecodeOptions,
  objects: Map<string, KubeObject>,
  kept: Set<string>,
  problems: Problems,
): boolean {
  const result = decodeObject(document.value, options);
  if (result.status === 'ignored') {
    problems.add(() => ({ level: 'debug', message: `ignored: ${result.reason}`, line: document.line }));
    return false;
  }
  if (result.status === 'invalid') {
    const identified = result.ref !== undefined && result.ref.name !== '';
    const object = identified ? describeRef(result.ref!) : undefined;
    const key = identified ? objectKey(result.ref!) : undefined;
    const last = key !== undefined ? previous.get(key) : undefined;
    if (key !== undefined && last) {
      objects.set(key, last);
      kept.add(key);
    }
    const consequence = last ? 'the last good version stays in use' : 'the object is not used';
    for (const error of result.errors) {
      problems.add(() => ({
        level: 'error',
        message: `invalid object: ${error.message}; ${consequence}`,
        ...withLine(document.lineOf(error.path)),
        field: formatPath(error.path),
        ...(object !== undefined ? { object } : {}),
      }));
    }
    return !identified;
  }
  const ref = { kind: result.object.kind, namespace: result.object.metadata.namespace, name: result.object.metadata.name };
  const key = objectKey(ref);
  if (objects.has(key)) {
    problems.add(() => ({ level: 'warn', message: 'defined twice in this file; the later definition is used', line: document.line, object: describeRef(ref) }));
  }
  objects.set(key, result.object);
  kept.delete(key);
  return false;
}
