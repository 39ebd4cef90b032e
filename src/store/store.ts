// The current set of objects, keyed by kind and namespace/name, with a
// coalesced "changed" signal.
//
// Sources write into the store; the controller reads immutable snapshots.
// Bursts of writes (a relist, a directory of files, a rollout touching many
// EndpointSlices) are coalesced: listeners run once the writes have been
// quiet for `debounceMs`, and never later than `maxDelayMs` after the first
// write of the burst. Both are milliseconds, never seconds.

import { Coalescer } from '../util/coalesce.js';
import { keyOf, KINDS, type Kind, type KubeObject } from '../objects/types.js';

export interface StoreOptions {
  debounceMs: number;
  maxDelayMs: number;
}

type ObjectOf<K extends Kind> = Extract<KubeObject, { kind: K }>;

export class Store {
  private readonly objects = new Map<Kind, Map<string, KubeObject>>(KINDS.map((kind) => [kind, new Map()]));
  private readonly listeners: (() => void)[] = [];
  private readonly lists = new Map<Kind, readonly KubeObject[]>();
  private readonly burst: Coalescer;

  constructor(options: StoreOptions = { debounceMs: 5, maxDelayMs: 50 }) {
    this.burst = new Coalescer(options.debounceMs, options.maxDelayMs, () => {
      for (const listener of this.listeners) listener();
    });
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get<K extends Kind>(kind: K, namespace: string, name: string): ObjectOf<K> | undefined {
    return this.objects.get(kind)?.get(keyOf(namespace, name)) as ObjectOf<K> | undefined;
  }

  /**
   * The objects of a kind. The same array is returned until an object of
   * that kind changes, so readers can tell "nothing changed" by identity.
   */
  list<K extends Kind>(kind: K): readonly ObjectOf<K>[] {
    let list = this.lists.get(kind);
    if (!list) {
      list = Object.freeze([...(this.objects.get(kind)?.values() ?? [])]);
      this.lists.set(kind, list);
    }
    return list as readonly ObjectOf<K>[];
  }

  count(kind: Kind): number {
    return this.objects.get(kind)?.size ?? 0;
  }

  /** Adds or replaces an object. Returns whether anything changed. */
  upsert(object: KubeObject): boolean {
    const map = this.objects.get(object.kind)!;
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const existing = map.get(key);
    if (existing && JSON.stringify(existing) === JSON.stringify(object)) return false;
    map.set(key, object);
    this.lists.delete(object.kind);
    this.burst.request();
    return true;
  }

  delete(kind: Kind, namespace: string, name: string): boolean {
    const removed = this.objects.get(kind)!.delete(keyOf(namespace, name));
    if (removed) {
      this.lists.delete(kind);
      this.burst.request();
    }
    return removed;
  }
}
