// Results remembered per object, for objects that are never mutated.
//
// Store objects, models and the lists built from them are immutable: a change
// makes a new object. So what is computed from one can be kept with it (in a
// WeakMap, gone with it) and is exactly what recomputing would give.

/** `compute`, run once per argument object. */
export function memoizeByIdentity<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as V;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}
