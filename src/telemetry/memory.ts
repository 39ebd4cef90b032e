// Returns memory to the operating system after a burst of allocation.
//
// Reading and translating thousands of objects at start-up (or writing the
// status of thousands of Ingresses) leaves the heap several times larger
// than what stays alive, and V8 keeps that room until collections tell it
// otherwise, which an idle controller may never trigger:
// - the young generation, grown to 32 MiB during the burst, shrinks back
//   only in a collection that sees a low allocation rate over its last ten or
//   so collections, which after a burst are all busy ones;
// - a plain full collection compacts only the most fragmented pages, and
//   after a burst the old generation can stay 15-20 MiB larger than its live
//   objects.
//
// So collectGarbage() runs a full collection now, and once the process has
// been quiet for SETTLE_MS, a few cheap young-generation collections (they
// push the burst out of V8's allocation-rate samples) and two full ones with
// V8's optimize-for-size mode on for just that moment: they shrink the young
// generation and compact the sparse pages of the old one, moving a bounded
// amount of live data. Together about 45 MiB less resident memory at 10,000
// Ingresses. (Forcing compaction of every page instead copies the whole live
// old generation into fresh pages before freeing the old ones: a peak 60-80
// MiB higher. Run at the end of the burst, any of this would raise the peak.)

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const SETTLE_MS = 10_000;
/** V8's memory reducer (8 s by default after a full collection in a quiet heap). */
const MEMORY_REDUCER_DELAY_MS = 2000;
const YOUNG_COLLECTIONS = 10;

type Collector = (options?: { type: 'minor' | 'major' }) => void;

let collector: Collector | undefined | null;
let settle: NodeJS.Timeout | undefined;

function getCollector(): Collector | null {
  if (collector === undefined) {
    try {
      // `gc` is exposed to contexts created after the flag is set.
      setFlagsFromString('--expose-gc');
      setFlagsFromString(`--gc-memory-reducer-start-delay-ms=${MEMORY_REDUCER_DELAY_MS}`);
      const gc = runInNewContext('gc') as unknown;
      collector = typeof gc === 'function' ? (gc as Collector) : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/** Collects garbage now, and again once things are quiet, when the runtime allows it; a no-op otherwise. */
export function collectGarbage(): void {
  const gc = getCollector();
  if (!gc) return;
  gc();
  clearTimeout(settle);
  settle = setTimeout(() => {
    // Runtimes that do not know the option run full collections instead: slower, as harmless.
    for (let i = 0; i < YOUNG_COLLECTIONS; i += 1) gc({ type: 'minor' });
    setFlagsFromString('--optimize-for-size');
    try {
      gc();
      gc();
    } finally {
      setFlagsFromString('--no-optimize-for-size');
    }
  }, SETTLE_MS).unref();
}
