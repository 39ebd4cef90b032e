// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the
// subset of strategic merge patch that kubectl's client-side apply sends for
// built-in kinds (merge keys, $patch, $setElementOrder, $deleteFromPrimitiveList,
// $retainKeys).

import { MERGE_KEYS } from './resources.js';

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code = 422,
  ) {
    super(message);
  }
}

type Json = any;

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: Json, parts: string[]): { parent: Json; key: string } {
  let node = document;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : node?.[part];
    if (node === undefined || node === null) throw new PatchError(`path not found: /${parts.join('/')}`);
  }
  return { parent: node, key: parts[parts.length - 1] ?? '' };
}

function getAt(document: Json, parts: string[]): Json {
  let node = document;
  for (const part of parts) {
    node = Array.isArray(node) ? node[Number(part)] : node?.[part];
    if (node === undefined) throw new PatchError(`path not found: /${parts.join('/')}`);
  }
  return node;
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be a list of operations', 400);
  let document = clone(target);
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') throw new PatchError('invalid JSON patch operation', 400);
    const parts = pointer(operation.path);
    const remove = () => {
      const { parent, key } = parentOf(document, parts);
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (isObject(parent) && key in parent) delete parent[key];
      else throw new PatchError(`path not found: ${operation.path}`);
    };
    const add = (value: Json) => {
      if (parts.length === 0) {
        document = clone(value);
        return;
      }
      const { parent, key } = parentOf(document, parts);
      if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, clone(value));
      else if (isObject(parent)) parent[key] = clone(value);
      else throw new PatchError(`path not found: ${operation.path}`);
    };
    switch (operation.op) {
      case 'add':
        add(operation.value);
        break;
      case 'remove':
        remove();
        break;
      case 'replace':
        getAt(document, parts);
        remove();
        add(operation.value);
        break;
      case 'move': {
        const value = clone(getAt(document, pointer(String(operation.from))));
        document = jsonPatch(document, [{ op: 'remove', path: operation.from }]);
        add(value);
        break;
      }
      case 'copy':
        add(getAt(document, pointer(String(operation.from))));
        break;
      case 'test':
        if (JSON.stringify(getAt(document, parts)) !== JSON.stringify(operation.value)) throw new PatchError(`test failed at ${operation.path}`);
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(operation.op)}`, 400);
    }
  }
  return document;
}

function mergeList(field: string, target: Json[], patch: Json[], order: Json[] | undefined): Json[] {
  const key = MERGE_KEYS[field];
  if (!key || !patch.every((item) => isObject(item))) return patch.filter((item) => !(isObject(item) && item.$patch === 'delete')).map(clone);
  const out: Json[] = clone(target ?? []);
  for (const item of patch) {
    const index = out.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (item.$patch === 'replace') {
      const { $patch: _ignored, ...rest } = item;
      if (index >= 0) out[index] = rest;
      else out.push(rest);
    } else if (index >= 0) out[index] = strategicMergePatch(out[index], item);
    else out.push(strategicMergePatch({}, item));
  }
  if (order) {
    const rank = (item: Json) => {
      const position = order.findIndex((entry) => isObject(entry) && entry[key] === item[key]);
      return position === -1 ? order.length : position;
    };
    out.sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let out: Record<string, Json> = isObject(target) ? clone(target) : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([key]) => keep.has(key)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key === '$patch' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(value)) out[field] = out[field].filter((item: Json) => !value.includes(item));
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      if (key === 'finalizers') out[key] = [...new Set([...(out[key] ?? []), ...value])];
      else out[key] = mergeList(key, out[key], value, patch[`$setElementOrder/${key}`]);
    } else if (isObject(value)) {
      const merged = strategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  return out;
}
