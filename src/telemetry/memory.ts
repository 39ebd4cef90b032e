// Returns memory to the operating system after a burst of allocation.
//
// Reading and translating thousands of objects at start-up leaves the heap
// several times larger than what stays alive; V8 keeps that room until a
// major collection happens, which an idle controller may never trigger. One
// full collection after start-up lets the heap shrink to what is in use.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | undefined | null;

function getCollector(): (() => void) | null {
  if (collector === undefined) {
    try {
      // `gc` is exposed to contexts created after the flag is set.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      collector = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/** Runs a full garbage collection when the runtime allows it; a no-op otherwise. */
export function collectGarbage(): void {
  getCollector()?.();
}
