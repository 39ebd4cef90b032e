// Field checks with the messages the Kubernetes API server gives for a
// CRD's OpenAPI rules (lengths, enums, ranges, item counts, list-map keys)
// and its CEL rules. Used by the Gateway API validators; each check adds at
// most one error and returns whether the value passed, so callers can skip
// checks that only make sense on a valid value.

import { collect, type FieldError, type FieldPath } from './field-errors.js';

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

export interface TextRule {
  /** Minimum length; 1 for most names (the API's minLength). */
  min?: number;
  /** Maximum length (the API's maxLength). */
  max?: number;
  /** A grammar: the problems of the value, none when it is valid. */
  grammar?: (value: string) => string[];
}

export class Checks {
  readonly errors: FieldError[] = [];

  add(path: FieldPath, message: string): void {
    this.errors.push({ path, message });
  }

  /** A CEL rule (`x-kubernetes-validations`): when `ok` is false, its message. */
  rule(path: FieldPath, ok: boolean, message: string): boolean {
    if (!ok) this.add(path, `Invalid value: ${message}`);
    return ok;
  }

  required(path: FieldPath, present: boolean): boolean {
    if (!present) this.add(path, 'Required value');
    return present;
  }

  /** A string's length and grammar; `undefined` (absent) passes. */
  text(path: FieldPath, value: string | undefined, rule: TextRule): boolean {
    if (value === undefined) return true;
    const min = rule.min ?? 0;
    if (value.length < min) {
      this.add(path, `Invalid value: ${shown(value)}: must be at least ${min} character${min === 1 ? '' : 's'}`);
      return false;
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(path, `Invalid value: ${shown(value)}: must be no more than ${rule.max} characters`);
      return false;
    }
    if (rule.grammar) {
      const before = this.errors.length;
      collect(this.errors, path, value, rule.grammar(value));
      return this.errors.length === before;
    }
    return true;
  }

  /** An enumeration; `undefined` (absent) passes. */
  oneOf(path: FieldPath, value: string | number | undefined, allowed: readonly (string | number)[]): boolean {
    if (value === undefined || allowed.includes(value)) return true;
    const list = allowed.map((entry) => (typeof entry === 'string' ? JSON.stringify(entry) : String(entry))).join(', ');
    this.add(path, `Unsupported value: ${typeof value === 'string' ? shown(value) : String(value)}: supported values: ${list}`);
    return false;
  }

  /** An integer range (the API's minimum and maximum); `undefined` (absent) passes. */
  range(path: FieldPath, value: number | undefined, min: number, max?: number): boolean {
    if (value === undefined) return true;
    if (value >= min && (max === undefined || value <= max)) return true;
    const problem = max === undefined ? `must be greater than or equal to ${min}` : `must be between ${min} and ${max}, inclusive`;
    this.add(path, `Invalid value: ${value}: ${problem}`);
    return false;
  }

  maxItems(path: FieldPath, list: readonly unknown[], max: number): boolean {
    if (list.length <= max) return true;
    this.add(path, `Too many: ${list.length}: must have at most ${max} items`);
    return false;
  }

  minItems(path: FieldPath, list: readonly unknown[], min: number): boolean {
    if (list.length >= min) return true;
    this.add(path, `Required value: must have at least ${min} item${min === 1 ? '' : 's'}`);
    return false;
  }

  /**
   * A list whose items must differ by a key (a `listType: map` or `set`, or a
   * uniqueness CEL rule): every repeat is reported on the item that repeats,
   * at `field` within it when given.
   */
  unique<T>(path: FieldPath, list: readonly T[], keyOf: (item: T) => string, field?: string, message?: string): boolean {
    const seen = new Set<string>();
    let ok = true;
    list.forEach((item, i) => {
      const key = keyOf(item);
      if (seen.has(key)) {
        this.add(field === undefined ? [...path, i] : [...path, i, field], message === undefined ? `Duplicate value: ${shown(key)}` : `Invalid value: ${message}`);
        ok = false;
      }
      seen.add(key);
    });
    return ok;
  }
}
