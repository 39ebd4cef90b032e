// An instrumented backtracking matcher for patterns of the safe subset (as
// regex-cost.ts parses them): it explores options in the order JavaScript's
// and PCRE2's matchers do (greedy: one more repetition first; lazy: stop
// first; alternatives left to right; every start position for a search) and
// counts its steps, so that tests bound the work in steps, never in time.
// Characters compare case-folded, as regex-cost.ts's sets are.

import type { Anchoring, Item } from '../../src/translate/regex-cost.js';

export class TooManySteps extends Error {}

/** Steps taken to decide whether `text` matches, or TooManySteps past `cap`. */
export function backtrackSteps(alternatives: readonly Item[][], anchoring: Anchoring, text: string, cap: number): { matched: boolean; steps: number } {
  let steps = 0;
  const step = (): void => {
    steps += 1;
    if (steps > cap) throw new TooManySteps(`more than ${cap} steps`);
  };
  const has = (set: bigint, pos: number): boolean => {
    if (pos >= text.length) return false;
    const code = text.charCodeAt(pos);
    return (set & (1n << BigInt(code < 128 ? code : 128))) !== 0n;
  };
  type Then = (pos: number) => boolean;
  const node = (item: Item, pos: number, then: Then): boolean => {
    step();
    const n = item.node;
    if (n.kind === 'set') return has(n.set, pos) && then(pos + 1);
    if (n.kind === 'end') return pos === text.length && then(pos);
    return n.alternatives.some((seq) => sequence(seq, 0, pos, then));
  };
  const repeat = (item: Item, count: number, pos: number, then: Then): boolean => {
    step();
    // An iteration that matched nothing ends the loop (as both engines do).
    const more = (): boolean => count < item.max && node(item, pos, (next) => next !== pos && repeat(item, count + 1, next, then));
    const stop = (): boolean => count >= item.min && then(pos);
    return item.lazy ? stop() || more() : more() || stop();
  };
  const sequence = (seq: readonly Item[], index: number, pos: number, then: Then): boolean => {
    step();
    if (index === seq.length) return then(pos);
    return repeat(seq[index]!, 0, pos, (next) => sequence(seq, index + 1, next, then));
  };
  const done: Then = anchoring.end === 'end' ? (pos) => pos === text.length : () => true;
  const starts = anchoring.start === 'search' ? text.length + 1 : 1;
  for (let start = 0; start < starts; start += 1) {
    if (alternatives.some((seq) => sequence(seq, 0, start, done))) return { matched: true, steps };
  }
  return { matched: false, steps };
}

/** How many items the pattern has, nested ones included (its size for the bound). */
export function itemCount(alternatives: readonly Item[][]): number {
  return alternatives.reduce((sum, seq) => sum + seq.reduce((inner, item) => inner + 1 + (item.node.kind === 'group' ? itemCount(item.node.alternatives) : 0), 0), 0);
}
