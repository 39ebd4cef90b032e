// Which files define each object (`Kind/namespace/name`). Almost every object
// is defined by one file, so the entry is that file's path; a list only when
// several files define the same object (the first in path order wins).

import type { KubeObject } from '../../objects/types.js';

export class Definers {
  private readonly files = new Map<string, string | string[]>();

  /** The files defining `key`, in path order. */
  of(key: string): string[] {
    const files = this.files.get(key);
    return files === undefined ? [] : typeof files === 'string' ? [files] : [...files].sort();
  }

  /** Keeps the index in step with one file's change from `before` to `after`. */
  update(path: string, before: ReadonlyMap<string, KubeObject> | undefined, after: ReadonlyMap<string, KubeObject> | undefined): void {
    for (const key of before?.keys() ?? []) {
      if (after?.has(key)) continue;
      const files = this.files.get(key);
      if (files === path) this.files.delete(key);
      else if (Array.isArray(files)) {
        const rest = files.filter((file) => file !== path);
        this.files.set(key, rest.length === 1 ? rest[0]! : rest);
      }
    }
    for (const key of after?.keys() ?? []) {
      const files = this.files.get(key);
      if (files === undefined) this.files.set(key, path);
      else if (typeof files === 'string') {
        if (files !== path) this.files.set(key, [files, path]);
      } else if (!files.includes(path)) files.push(path);
    }
  }
}
