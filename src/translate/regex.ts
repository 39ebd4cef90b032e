// ingress-nginx's regular-expression paths and rewrite targets, reduced to a
// subset that means the same in JavaScript (Portero's reference matcher) and
// in PCRE2 (HAProxy), and that needs no backslash (map files and the runtime
// API take keys without escapes). Pure.
//
// Escapes are rewritten as character classes (`\.` → `[.]`, `\d` → `[0-9]`);
// what could differ between the engines, or explode in backtracking, is
// refused with a reason: look-arounds and other `(?` groups but `(?:`,
// backreferences, escapes inside classes, a class starting with `]`, braces
// that are not a quantifier (or count past 255), a quantified group that
// holds a quantifier; and (regex-cost.ts) a repeated group that can match one
// text in several ways, more than two repetitions that can each stop at many
// places, too many ways to match one text. What is accepted matches in time
// polynomial of small degree in the input, in both engines.

import { costProblem, type Anchoring } from './regex-cost.js';

export type RegexResult = { ok: true; pattern: string; groups: number } | { ok: false; problem: string };

const ESCAPES: Readonly<Record<string, string>> = {
  '.': '[.]',
  '/': '/',
  '-': '-',
  d: '[0-9]',
  w: '[0-9A-Za-z_]',
  '(': '[(]',
  ')': '[)]',
  '*': '[*]',
  '+': '[+]',
  '?': '[?]',
  $: '[$]',
  '|': '[|]',
  '{': '[{]',
  '}': '[}]',
  '[': '[[]',
  // Only where spaces are allowed (RegexOptions.spaces): nginx writes `\ ` for a space.
  ' ': ' ',
};

/** Characters a regex path may hold: path characters plus the regex operators. No quotes, spaces, `#` or controls. */
const ALLOWED = /^[A-Za-z0-9/\-._~!$&()*+,;=:@%[\]^|?{}\\]*$/;
/** The same, with spaces (a pattern matched against text other than a path, such as a certificate's subject). */
const ALLOWED_WITH_SPACES = /^[A-Za-z0-9/\-._~!$&()*+,;=:@%[\]^|?{}\\ ]*$/;
const MAX_LENGTH = 1024;

export interface RegexOptions {
  /** Spaces are ordinary characters of the pattern (never in a path; fine in an ACL pattern file). */
  spaces?: boolean;
  /**
   * How the caller matches the pattern, for the backtracking bound
   * (regex-cost.ts). By default the most costly: searched at every start,
   * as one of two parts of a larger pattern.
   */
  anchoring?: Anchoring;
}

/** ingress-nginx paths: `^<path>`, a match may end anywhere (rewrite-target's unanchored replace runs only on paths that matched so). */
export const PATH_PREFIX: Anchoring = { start: 'anchored', end: 'accept' };
/** Gateway API paths: the whole path. */
export const WHOLE_PATH: Anchoring = { start: 'anchored', end: 'end' };
/** Header values, certificate subjects: found anywhere in the text (HAProxy's `-m reg`). */
export const SEARCH: Anchoring = { start: 'search', end: 'accept' };

/** The ways a pattern checked without anchoring may have: two such parts make one pattern within MAX_FACTOR. */
const PART_FACTOR = 16;

/** The largest repetition count: bounds the compiled size, as HAProxy configurations keep to. */
const MAX_COUNT = 255;

function fail(problem: string): RegexResult {
  return { ok: false, problem };
}

/** `written` as a pattern in the safe subset, or why it cannot be one. */
export function safeRegex(written: string, options: RegexOptions = {}): RegexResult {
  if (written.length > MAX_LENGTH) return fail(`must be no more than ${MAX_LENGTH} characters`);
  if (options.spaces === true ? !ALLOWED_WITH_SPACES.test(written) : !ALLOWED.test(written)) {
    return fail(
      options.spaces === true
        ? "may contain only letters, digits, spaces, the characters - . _ ~ ! & , ; = : @ % / and the regular-expression operators ^ $ . * + ? | ( ) [ ] { } \\ (no quotes, tabs or '#')"
        : "may contain only path characters and the regular-expression operators ^ $ . * + ? | ( ) [ ] { } \\ (no quotes, spaces or '#')",
    );
  }
  // The pattern is anchored at the start anyway; another `^` could only make
  // a part of it never match once the host is put before it (render-files.ts).
  const body = written.startsWith('^') ? written.slice(1) : written;
  let out = '';
  let groups = 0;
  // Per open group: whether it holds a quantifier (to refuse `(a+)+`).
  const open: boolean[] = [];
  let lastGroupQuantified = false;
  let previousWasGroupEnd = false;
  // A `?` right after a quantifier makes it lazy; after anything else (a literal `}` too) it is a quantifier.
  let previousWasQuantifier = false;
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i]!;
    const groupEnd = previousWasGroupEnd;
    const afterQuantifier = previousWasQuantifier;
    previousWasGroupEnd = false;
    previousWasQuantifier = false;
    if (char === '\\') {
      const next = body[i + 1];
      const replacement = next === undefined ? undefined : ESCAPES[next];
      if (replacement === undefined) return fail(`the escape \\${next ?? ''} is not supported (use \\. \\d \\w, or \\ before an operator)`);
      out += replacement;
      i += 1;
      continue;
    }
    if (char === '[') {
      const end = body.indexOf(']', i + 1);
      const members = end === -1 ? '' : body.slice(i + 1, end);
      if (end === -1) return fail('a [ class is not closed');
      if (members === '' || members === '^') return fail('a class may not be empty or start with ]');
      if (members.includes('\\') || members.includes('[')) return fail('escapes and [ are not supported inside a [ ] class');
      out += `[${members}]`;
      i = end;
      continue;
    }
    if (char === '(') {
      if (body[i + 1] === '?') {
        if (body[i + 2] !== ':') return fail('(? groups other than (?: are not supported');
        out += '(?:';
        i += 2;
      } else {
        groups += 1;
        out += '(';
      }
      open.push(false);
      continue;
    }
    if (char === ')') {
      if (open.length === 0) return fail('a ) has no matching (');
      lastGroupQuantified = open.pop()!;
      if (lastGroupQuantified && open.length > 0) open[open.length - 1] = true;
      previousWasGroupEnd = true;
      out += ')';
      continue;
    }
    if (char === '*' || char === '+' || char === '?' || char === '{') {
      let quantifier = char;
      if (char === '{') {
        const match = /^\{([0-9]{1,3})(,([0-9]{1,3})?)?\}/.exec(body.slice(i));
        if (!match) return fail('{ must start a quantifier such as {2}, {1,} or {1,3}');
        if (Number(match[1]) > MAX_COUNT || Number(match[3] ?? 0) > MAX_COUNT) return fail(`has a repetition count over ${MAX_COUNT}`);
        quantifier = match[0];
        i += quantifier.length - 1;
      }
      if (char === '?' && afterQuantifier) {
        out += '?'; // a lazy quantifier
        continue;
      }
      previousWasQuantifier = true;
      // An optional group (`?`, `{0,1}`) is taken or not, once: what it holds is costed as if written in place (regex-cost.ts).
      const once = quantifier === '?' || /^\{[01](,[01])?\}$/.test(quantifier);
      if (groupEnd && lastGroupQuantified && !once) return fail('a repeated group may not itself hold a repetition (nested quantifiers backtrack without bound)');
      if (open.length > 0) open[open.length - 1] = true;
      out += quantifier;
      continue;
    }
    if (char === '^') return fail('^ may only come first (the pattern is anchored at the start of the path)');
    out += char;
  }
  if (open.length > 0) return fail('a ( is not closed');
  if (groups > 9) return fail('at most 9 capture groups');
  try {
    new RegExp(out, 'i');
  } catch (error) {
    return fail(`is not a valid regular expression: ${(error as Error).message}`);
  }
  // Without anchoring, the pattern may be one of two parts of a GRPCRoute method pattern (gateway/levels.ts,
  // which drops a leading ^): counting the search even after a ^ leaves each part at most one repetition
  // that stops at many places, and with 16 ways each, the whole stays within two and 256.
  const anchoring = options.anchoring ?? { start: 'search', end: 'unknown' };
  const costly = costProblem(out, anchoring, options.anchoring === undefined ? PART_FACTOR : undefined);
  if (costly !== undefined) return fail(costly);
  return { ok: true, pattern: out, groups };
}

/** Characters of a rewrite target: path characters, `$1`-`$9` references. */
const TARGET = /^\/[A-Za-z0-9/\-._~!$&()*+,;=:@%]*$/;

/**
 * `written` as a pattern searched in a header value (`-m reg`, matched
 * anywhere): the subset with spaces; a leading `^` is kept (safeRegex drops
 * it, its patterns being anchored paths). Never empty.
 */
export function headerSearchRegex(written: string): RegexResult {
  if (written === '') return fail('is empty');
  const checked = safeRegex(written, { spaces: true, anchoring: SEARCH });
  if (!checked.ok) return checked;
  return { ...checked, pattern: written.startsWith('^') ? `^${checked.pattern}` : checked.pattern };
}

export type TargetResult = { ok: true; target: string } | { ok: false; problem: string };

/**
 * A rewrite target as replace-path's format: `$N` becomes `\N`. nginx
 * variables and full URLs are refused (Portero does not evaluate them).
 */
export function rewriteTarget(written: string, groups: number): TargetResult {
  if (/^https?:\/\//i.test(written)) return { ok: false, problem: 'a target that is a full URL (a redirect in ingress-nginx) is not supported' };
  if (written.length > MAX_LENGTH || !TARGET.test(written)) return { ok: false, problem: 'must be an absolute path of path characters, with $1 to $9 for the groups of the path' };
  let out = '';
  for (let i = 0; i < written.length; i += 1) {
    const char = written[i]!;
    if (char !== '$') {
      out += char;
      continue;
    }
    const digit = written[i + 1];
    if (digit === undefined || !/[0-9]/.test(digit)) return { ok: false, problem: 'nginx variables ($host, $request_uri, ...) are not supported; only $1 to $9' };
    if (Number(digit) > groups) return { ok: false, problem: `$${digit} names a group the path does not have` };
    out += `\\${digit}`;
    i += 1;
  }
  return { ok: true, target: out };
}
