// Candidate lists as the Lua evaluator reads them (features/candidates-lua.ts),
// written again in TypeScript for tests: reassembling a long list from its
// parts in a map, parsing the text back into conditions and shares, and
// choosing the shares a request gets. Tests compare this with what was
// rendered (a round trip) and with the reference matcher (model/match.ts).

import { queryValue, headerValue, type RequestParts } from '../../src/model/match.js';

export interface ParsedCondition {
  what: 'm' | 'p' | 'h' | 'q';
  /** `caseless`: a regex level's pattern (`pi`). */
  kind?: 'exact' | 'regex' | 'caseless';
  name?: string;
  value: string;
}

export interface ParsedCandidate {
  conditions: ParsedCondition[];
  shares: { weight: number; backend: string }[];
}

export interface ParsedList {
  candidates: ParsedCandidate[];
  fallback: string;
}

/** `%XX` → bytes, read as UTF-8 (the encoder wrote UTF-8). */
function decode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseCandidateList(list: string): ParsedList {
  const items = list.split('|');
  const fallback = items.pop()!;
  if (fallback.includes('>')) throw new Error(`no fallback in ${list}`);
  const candidates = items.map((item) => {
    const arrow = item.indexOf('>');
    if (arrow === -1) throw new Error(`bad candidate ${item}`);
    const conditions = item
      .slice(0, arrow)
      .split('&')
      .filter(Boolean)
      .map((text): ParsedCondition => {
        if (text[0] === 'm') return { what: 'm', value: text.slice(1) };
        const equals = text.indexOf('=', 2);
        if ((text[0] !== 'h' && text[0] !== 'q' && text[0] !== 'p') || (text[1] !== 'e' && text[1] !== 'r' && (text[1] !== 'i' || text[0] !== 'p')) || equals === -1 || (text[0] === 'p' && equals !== 2)) throw new Error(`bad condition ${text}`);
        return { what: text[0], kind: text[1] === 'e' ? 'exact' : text[1] === 'i' ? 'caseless' : 'regex', name: decode(text.slice(2, equals)), value: decode(text.slice(equals + 1)) };
      });
    const shares = item
      .slice(arrow + 1)
      .split(',')
      .map((share) => {
        const star = share.indexOf('*');
        return { weight: Number(share.slice(0, star)), backend: share.slice(star + 1) };
      });
    return { conditions, shares };
  });
  return { candidates, fallback };
}

/**
 * The whole list of a route key in a map (key → value), following the parts
 * of a long list as the Lua does; undefined when the entry or a part is
 * missing.
 */
export function wholeList(lookup: (key: string) => string | undefined, key: string): string | undefined {
  const value = lookup(key);
  if (value === undefined || !value.startsWith('+')) return value;
  const match = /^\+(\d+)\.([0-9a-f]+)\/(.*)$/s.exec(value);
  if (!match) return undefined;
  const parts = [match[3]!];
  for (let i = 1; i < Number(match[1]); i += 1) {
    const part = lookup(`${key}.${match[2]}.${i}`);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts.join('');
}

const bytesOf = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** The shares (backend names and weights) a request gets from a parsed list, as the Lua chooses among them. */
export function evaluateList(list: ParsedList, pathWithQuery: string, parts: RequestParts): { weight: number; backend: string }[] {
  for (const candidate of list.candidates) {
    const holds = candidate.conditions.every((condition) => {
      if (condition.what === 'm') return parts.method === condition.value;
      const actual = condition.what === 'p' ? pathWithQuery.split('?', 1)[0] : condition.what === 'h' ? headerValue(parts, condition.name!) : queryValue(pathWithQuery, condition.name!);
      if (actual === undefined) return false;
      if (condition.kind === 'exact') return actual === bytesOf(condition.value);
      return new RegExp(condition.value, condition.kind === 'caseless' ? 'i' : '').test(actual);
    });
    if (holds) return candidate.shares;
  }
  return [{ weight: 1, backend: list.fallback }];
}
