// Typed reads from untrusted JSON. Every read records a FieldError when the
// value has the wrong type and returns a safe fallback, so one decoder pass
// reports every problem in an object at once.

import type { FieldError, FieldPath } from './field-errors.js';

export type JsonObject = Record<string, unknown>;

// Objects are immutable once decoded, so empty maps and lists can be shared:
// thousands of objects without labels need no thousands of empty objects.
export const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});
export const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** `value`, or the shared empty list or map when it is empty. */
export function shared<T extends object>(value: T): T {
  if (Array.isArray(value)) return (value.length === 0 ? EMPTY_LIST : value) as T;
  return (Object.keys(value).length === 0 ? EMPTY_MAP : value) as T;
}

/**
 * A string that holds only its own characters. Parsers return slices of the
 * text they read, and V8 keeps a slice of 13 characters or more as a view
 * into its parent: one decoded object kept for weeks would keep its whole
 * document (or file) alive. Concatenating and cutting makes V8 copy it.
 */
export function own(text: string): string {
  return text.length < 13 ? text : (text + ' ').slice(0, -1);
}

export class Shape {
  readonly errors: FieldError[] = [];

  fail(path: FieldPath, message: string): void {
    this.errors.push({ path, message });
  }

  isObject(value: unknown): value is JsonObject {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }

  /** An optional object; null and absent give `{}`. */
  object(value: unknown, path: FieldPath): JsonObject {
    if (value === undefined || value === null) return {};
    if (this.isObject(value)) return value;
    this.fail(path, 'must be an object');
    return {};
  }

  /** An optional list; null and absent give `[]`. */
  list(value: unknown, path: FieldPath): unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.fail(path, 'must be a list');
    return [];
  }

  optionalString(value: unknown, path: FieldPath): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return own(value);
    this.fail(path, 'must be a string');
    return undefined;
  }

  requiredString(value: unknown, path: FieldPath): string {
    if (value === undefined || value === null || value === '') {
      this.fail(path, 'Required value');
      return '';
    }
    return this.optionalString(value, path) ?? '';
  }

  optionalInteger(value: unknown, path: FieldPath): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    this.fail(path, 'must be an integer');
    return undefined;
  }

  optionalBoolean(value: unknown, path: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.fail(path, 'must be a boolean');
    return undefined;
  }

  /** A string-to-string map such as labels, annotations or Secret data. */
  stringMap(value: unknown, path: FieldPath): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(this.object(value, path))) {
      if (typeof entry === 'string') out[own(key)] = own(entry);
      else if (entry !== null) this.fail([...path, key], 'must be a string');
    }
    return out;
  }
}
