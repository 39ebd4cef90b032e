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
import { describeRef, keyOf, type KubeObject, type ObjectRef } from '../../objects/types.js';
import { parseManifest } from './parse.js';

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
  problems: FileProblem[];
}

export function objectKey(ref: ObjectRef): string {
  return `${ref.kind}/${keyOf(ref.namespace, ref.name)}`;
}

export function evaluateFile(
  fileName: string,
  text: string,
  previous: ReadonlyMap<string, KubeObject>,
  options: DecodeOptions,
): FileObjects {
  const parsed = parseManifest(fileName, text);
  if (!parsed.ok) {
    return {
      objects: new Map(previous),
      problems: [{ level: 'error', message: `cannot parse: ${parsed.message}; the file keeps its last good content`, ...(parsed.line !== undefined ? { line: parsed.line } : {}) }],
    };
  }
  const objects = new Map<string, KubeObject>();
  const problems: FileProblem[] = [];
  let unidentified = false;
  for (const document of parsed.documents) {
    const result = decodeObject(document.value, options);
    if (result.status === 'ignored') {
      problems.push({ level: 'debug', message: `ignored: ${result.reason}`, line: document.line });
      continue;
    }
    if (result.status === 'invalid') {
      if (!result.ref || result.ref.name === '') unidentified = true;
      const object = result.ref && result.ref.name !== '' ? describeRef(result.ref) : undefined;
      const kept = result.ref ? previous.get(objectKey(result.ref)) : undefined;
      if (result.ref && kept) objects.set(objectKey(result.ref), kept);
      const consequence = kept ? 'the last good version stays in use' : 'the object is not used';
      for (const error of result.errors) {
        problems.push({
          level: 'error',
          message: `invalid object: ${error.message}; ${consequence}`,
          line: document.lineOf(error.path),
          field: formatPath(error.path),
          ...(object !== undefined ? { object } : {}),
        });
      }
      continue;
    }
    const ref = { kind: result.object.kind, namespace: result.object.metadata.namespace, name: result.object.metadata.name };
    const key = objectKey(ref);
    if (objects.has(key)) {
      problems.push({ level: 'warn', message: 'defined twice in this file; the later definition is used', line: document.line, object: describeRef(ref) });
    }
    objects.set(key, result.object);
  }
  if (unidentified) {
    for (const [key, object] of previous) {
      if (!objects.has(key)) objects.set(key, object);
    }
  }
  return { objects, problems };
}
