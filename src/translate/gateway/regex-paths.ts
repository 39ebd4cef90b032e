// Gateway API RegularExpression paths (HTTPRoute path matches, GRPCRoute
// method matches): the pattern the data plane evaluates, and which path keys
// of a level its requests can reach. Pure.
//
// Semantics (implementation-specific in the spec; docs/gateway-api.md):
// - the pattern must match the whole path, without the query, as Envoy-based
//   implementations do with RE2 (a leading `^` and a trailing `$` change
//   nothing), and case-sensitively, as the API's PathMatchType says;
// - the dialect is translate/regex.ts's safe subset (the one ingress-nginx
//   `use-regex` paths and header patterns pass): it means the same in
//   JavaScript (the reference matcher) and in HAProxy's PCRE2, and refuses
//   what could backtrack without bound;
// - precedence: after every Exact and PathPrefix match of the same hostname
//   (the spec ranks those two and leaves regular expressions to the
//   implementation), the longest pattern first, then the spec's tie-breaks.
//
// A regex match is a condition on the path (RequestCondition.path) in the
// candidate lists of the level's path keys (levels.ts), evaluated by the
// candidates Lua, not a regex level (use-regex's whole-host list): plain routes keep their
// map lookup and cost, and a regex route added, changed or removed is a
// runtime change of candidates.map, with no reload.

import { pathPatternMatches } from '../../model/match.js';
import { safeRegex, WHOLE_PATH, type RegexResult } from '../regex.js';

/** A RegularExpression path value as a pattern of the safe subset (a leading `^` dropped), or why it cannot be one. */
export function regexPath(value: string): RegexResult {
  return safeRegex(value, { anchoring: WHOLE_PATH });
}

/** Characters that are themselves in a pattern of the safe subset (no operator). */
const LITERAL = /[A-Za-z0-9/\-_~!&,;=:@%]/;

/**
 * The text every path matching the pattern starts with ('' when unknown):
 * its leading literal characters, less the last one when a quantifier that
 * allows zero repetitions follows, and nothing when it has an alternation
 * outside any group.
 */
export function literalPrefix(pattern: string): string {
  let depth = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i]!;
    if (char === '[') {
      i = pattern.indexOf(']', i + 1);
      if (i === -1) return '';
    } else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === '|' && depth === 0) return '';
  }
  let end = 0;
  while (end < pattern.length && LITERAL.test(pattern[end]!)) end += 1;
  const next = pattern[end];
  if (next === '*' || next === '?' || next === '{') end -= 1;
  return pattern.slice(0, Math.max(0, end));
}

/**
 * Whether requests routed to a path key (Exact: that path; PathPrefix: the
 * key without trailing slash, '' for `/`) can match the pattern, so that
 * the key's candidate list must hold it. Exact keys are decided here, on
 * the path itself; prefix keys by the pattern's literal prefix.
 */
export function regexReaches(pattern: string, match: 'exact' | 'prefix', path: string): boolean {
  if (match === 'exact') return pathPatternMatches(pattern, path);
  const literal = literalPrefix(pattern);
  return literal === '' || path.startsWith(literal) || `${path}/`.startsWith(literal) || literal.startsWith(`${path}/`);
}
