// How much a pattern of the safe subset (regex.ts) can make a backtracking
// matcher work: JavaScript's (Portero's reference matcher) and PCRE2's
// (HAProxy). Pure. regex.ts refuses what this finds too costly, so that every
// accepted pattern matches in time polynomial of small degree in the input.
//
// The argument. A backtracking matcher explores, at each choice point (a
// quantifier that may stop or go on, an alternation), its options in a fixed
// order until one leads to a match. Its work is the number of paths it
// explores times the pattern's length. A choice point is *deterministic* when
// the next input character decides it: the options' first characters are
// disjoint (for a quantifier, those of another repetition against those of
// what follows it, `[^/]*/`, `[0-9]+/`, `(/|$)`), or what follows can match
// the empty text at the end of a prefix match (the first option to stop
// matches at once). A wrong option then fails on its first character, so a
// deterministic point keeps one live path. Otherwise a point multiplies the
// live paths: a `?`, an alternation or a bounded `{n,m}` by a constant (its
// number of options), an unbounded one (`*`, `+`, `{n,}`, or a span of 16 or
// more) by up to the input length n. Hence, with D such unbounded points (an
// unanchored pattern counts one more: the search tries every start), at most
// F·n^D live paths (F the product of the constant factors), each doing at
// most n·|pattern|² steps of failed attempts: O(F·|p|²·n^(D+1)).
//
// That holds when one repetition can match a text in only one way. A group
// repeated more than once (`*`, `+`, `{n,m}` with m ≥ 2) must therefore be
// unambiguous: never empty, no quantifier inside (regex.ts), no `$`, and
// alternatives that start with different characters (`(a|b)+` is fine; `(a|a)+`,
// `(a|ab)+` and `(\d|[0-9])+` are exponential). regex.ts bounds D ≤ 2 and
// F ≤ 256. Character sets are compared case-folded and `.` is taken to match
// everything, which can only over-count.

/** Characters as bits: 0-127 ASCII, 128 every other character, 129 the end of the input (`$`). */
type CharSet = bigint;
const OTHER = 128n;
const END_BIT = 1n << 129n;
const ANY: CharSet = (1n << 129n) - 1n;

type Node = { kind: 'set'; set: CharSet } | { kind: 'end' } | { kind: 'group'; alternatives: Item[][] };
export interface Item {
  node: Node;
  min: number;
  max: number;
  lazy: boolean;
  /** The item as written in the pattern (for diagnostics). */
  text: string;
}

function bit(code: number): CharSet {
  return 1n << BigInt(code < 128 ? code : Number(OTHER));
}

/** Both cases of every letter (path patterns are case-insensitive; over-counting elsewhere is harmless). */
function folded(set: CharSet): CharSet {
  let out = set;
  for (let code = 65; code <= 90; code += 1) {
    const pair = bit(code) | bit(code + 32);
    if ((set & pair) !== 0n) out |= pair;
  }
  return out;
}

function classSet(members: string): CharSet {
  const negated = members.startsWith('^');
  const body = negated ? members.slice(1) : members;
  let set = 0n;
  for (let i = 0; i < body.length; i += 1) {
    const from = body.charCodeAt(i);
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const to = body.charCodeAt(i + 2);
      for (let code = from; code <= Math.min(to, 128); code += 1) set |= bit(code);
      if (to > 128) set |= bit(128);
      i += 2;
    } else set |= bit(from);
  }
  set = folded(set);
  return negated ? ANY & ~set : set;
}

/**
 * The pattern regex.ts produced (no backslashes; classes, groups, `.`, `$`,
 * quantifiers) as alternatives of items, or undefined when it is not in that
 * form (regex.ts compiles it anyway and refuses it then).
 */
export function parsePattern(pattern: string): Item[][] | undefined {
  let i = 0;
  const alternatives = (): Item[][] | undefined => {
    const out: Item[][] = [];
    for (;;) {
      const seq: Item[] = [];
      while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
        const start = i;
        const char = pattern[i]!;
        let node: Node;
        if (char === '(') {
          i += pattern.startsWith('(?:', i) ? 3 : 1;
          const inner = alternatives();
          if (inner === undefined || pattern[i] !== ')') return undefined;
          i += 1;
          node = { kind: 'group', alternatives: inner };
        } else if (char === '[') {
          const end = pattern.indexOf(']', i + 1);
          if (end === -1) return undefined;
          node = { kind: 'set', set: classSet(pattern.slice(i + 1, end)) };
          i = end + 1;
        } else {
          node = char === '$' ? { kind: 'end' } : { kind: 'set', set: char === '.' ? ANY : folded(bit(pattern.charCodeAt(i))) };
          i += 1;
        }
        let [min, max] = [1, 1];
        const quantifier = /^(?:([*+?])|\{([0-9]+)(,([0-9]*))?\})(\??)/.exec(pattern.slice(i));
        if (quantifier) {
          if (quantifier[1] !== undefined) [min, max] = quantifier[1] === '*' ? [0, Infinity] : quantifier[1] === '+' ? [1, Infinity] : [0, 1];
          else {
            min = Number(quantifier[2]);
            max = quantifier[3] === undefined ? min : quantifier[4] === '' ? Infinity : Number(quantifier[4]);
          }
          i += quantifier[0].length;
        }
        seq.push({ node, min, max, lazy: quantifier?.[5] === '?', text: pattern.slice(start, i) });
      }
      out.push(seq);
      if (pattern[i] !== '|') return out;
      i += 1;
    }
  };
  const parsed = alternatives();
  return parsed !== undefined && i === pattern.length ? parsed : undefined;
}

function nullableNode(node: Node): boolean {
  return node.kind === 'group' && node.alternatives.some(nullableSeq);
}
function nullableSeq(seq: readonly Item[]): boolean {
  return seq.every((item) => item.min === 0 || nullableNode(item.node));
}
function firstNode(node: Node): CharSet {
  if (node.kind === 'set') return node.set;
  if (node.kind === 'end') return END_BIT;
  return node.alternatives.reduce((set, seq) => set | firstSeq(seq), 0n);
}
function firstSeq(seq: readonly Item[]): CharSet {
  let set = 0n;
  for (const item of seq) {
    set |= firstNode(item.node);
    if (item.min > 0 && !nullableNode(item.node)) break;
  }
  return set;
}

/** What may come after a point: its first characters, and whether the rest of a prefix match can be empty (it then matches at once). */
interface Follow {
  set: CharSet;
  accept: boolean;
}

/** Live paths: up to factor·n^degree, with the unbounded choice points that make the degree. */
interface Cost {
  degree: number;
  factor: number;
  unbounded: string[];
}
const ONE: Cost = { degree: 0, factor: 1, unbounded: [] };

/** A repetition span this long costs like an unbounded one (for an input longer than it). */
const LONG_SPAN = 16;

function times(a: Cost, b: Cost): Cost {
  return { degree: a.degree + b.degree, factor: a.factor * b.factor, unbounded: [...a.unbounded, ...b.unbounded] };
}

/** Why a group repeated more than once could match one text in several ways, or undefined when it cannot. */
function ambiguity(node: Node, top: boolean): string | undefined {
  if (node.kind === 'end') return 'holds $';
  if (node.kind === 'set') return undefined;
  if (top && nullableNode(node)) return 'can match the empty text';
  let seen = 0n;
  for (const seq of node.alternatives) {
    if (seq.length === 0) return 'has an empty alternative';
    const first = firstSeq(seq);
    if ((first & seen) !== 0n) return 'has alternatives that can start with the same character (they match one text in several ways, which backtracks exponentially; use a [ ] class, or alternatives starting differently)';
    seen |= first;
    for (const item of seq) {
      // regex.ts refuses these already (nested quantifiers); kept so that this module stands on its own.
      if (item.min !== item.max) return 'holds a repetition or an optional part';
      const inner = ambiguity(item.node, false);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

export type CostProblem = string | undefined;

function seqCost(seq: readonly Item[], follow: Follow): Cost | string {
  let cost = ONE;
  let after = follow;
  for (let i = seq.length - 1; i >= 0; i -= 1) {
    const item = seq[i]!;
    const own = itemCost(item, after);
    if (typeof own === 'string') return own;
    cost = times(own, cost);
    const first = firstNode(item.node);
    after = item.min === 0 || nullableNode(item.node) ? { set: first | after.set, accept: after.accept } : { set: first, accept: false };
  }
  return cost;
}

function itemCost(item: Item, follow: Follow): Cost | string {
  if (item.max >= 2 && item.node.kind !== 'set') {
    const why = ambiguity(item.node, true);
    if (why !== undefined) return `has a repeated group (${item.text}) that ${why}`;
  }
  // A group repeated at most once keeps its own choice points; one repeated more is unambiguous (above).
  const body = item.max <= 1 && item.node.kind === 'group' ? groupCost(item.node.alternatives, follow) : ONE;
  if (typeof body === 'string' || item.min === item.max) return body;
  const deterministic = follow.accept || (firstNode(item.node) & follow.set) === 0n;
  if (deterministic) return body;
  const span = item.max - item.min;
  if (span >= LONG_SPAN) return times(body, { degree: 1, factor: 1, unbounded: [item.text] });
  return item.max <= 1 ? { ...body, factor: body.factor + 1 } : times(body, { degree: 0, factor: span + 1, unbounded: [] });
}

function groupCost(alternatives: readonly Item[][], follow: Follow): Cost | string {
  const costs: Cost[] = [];
  let seen = 0n;
  let overlapping = false;
  for (const seq of alternatives) {
    const cost = seqCost(seq, follow);
    if (typeof cost === 'string') return cost;
    costs.push(cost);
    const nullable = nullableSeq(seq);
    const first = firstSeq(seq) | (nullable ? follow.set : 0n);
    if ((first & seen) !== 0n || (nullable && follow.accept)) overlapping = true;
    seen |= first;
  }
  // Alternatives the next character decides: one of them lives; else each may.
  const worst = costs.reduce((a, b) => (b.degree > a.degree || (b.degree === a.degree && b.factor > a.factor) ? b : a), ONE);
  const factor = overlapping ? costs.reduce((sum, cost) => sum + cost.factor, 0) : Math.max(...costs.map((cost) => cost.factor), 1);
  return { degree: worst.degree, factor, unbounded: worst.unbounded };
}

/** How the pattern is used: where matching starts, and what may follow it. */
export interface Anchoring {
  /** `anchored`: at the start of the text only; `search`: at any position (each start is one more unbounded choice). */
  start: 'anchored' | 'search';
  /** `accept`: a match may end anywhere (a prefix or unanchored match); `end`: only at the end of the text; `unknown`: the pattern is part of a larger one. */
  end: 'accept' | 'end' | 'unknown';
}

export const MAX_DEGREE = 2;
export const MAX_FACTOR = 256;

/** The pattern's cost, or why it is refused. */
export function patternCost(alternatives: readonly Item[][], anchoring: Anchoring): Cost | string {
  const follow: Follow = anchoring.end === 'accept' ? { set: 0n, accept: true } : { set: anchoring.end === 'end' ? END_BIT : ANY | END_BIT, accept: false };
  const cost = groupCost(alternatives, follow);
  if (typeof cost === 'string') return cost;
  return anchoring.start === 'search' ? { ...cost, degree: cost.degree + 1, unbounded: ['(the search of every start)', ...cost.unbounded] } : cost;
}

/**
 * Why the pattern may backtrack too much (see the argument at the top), or
 * undefined. A pattern that is a part of a larger one (a GRPCRoute service
 * and method make one path pattern) gets a smaller factor, so that the whole
 * stays within MAX_FACTOR.
 */
export function costProblem(pattern: string, anchoring: Anchoring, maxFactor = MAX_FACTOR): CostProblem {
  const parsed = parsePattern(pattern);
  if (parsed === undefined) return 'is not in the supported form';
  const cost = patternCost(parsed, anchoring);
  if (typeof cost === 'string') return cost;
  if (cost.degree > MAX_DEGREE) {
    const hint = anchoring.start === 'search' && /^\.[*+]|\.[*+]$/.test(pattern) ? '; a pattern found anywhere in the text needs no leading or trailing .*' : '';
    return `has ${cost.degree} repetitions that can each stop at many places because what follows them can match the same characters (${cost.unbounded.join(', ')}; at most ${MAX_DEGREE}, an unanchored pattern's search counting as one): backtracking grows as a power of the input length; make a repeated set exclude what follows it ([^/]*/ rather than .*/)${hint}`;
  }
  if (cost.factor > maxFactor) {
    return `can match one text in about ${cost.factor} ways (optional parts, bounded repetitions and alternatives that overlap what follows them multiply; at most ${maxFactor})`;
  }
  return undefined;
}
