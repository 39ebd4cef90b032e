// A parser for the safe subset of nginx snippet directives, into typed
// rules. Nothing of a snippet is ever pasted: each directive is recognised
// and its arguments checked, or the whole snippet is refused with the
// directive named. Pure.
//
// The subset (what users put in configuration-snippet and server-snippet
// most, and what has an exact HAProxy equivalent):
//   more_set_headers "Name: value" ...;      response header set
//   add_header Name "value" [always];        response header set
//   more_clear_headers "Name" ...;           response header removed
//   proxy_hide_header Name;                  response header removed
//   proxy_set_header Name "value";           request header set (to the Service)
//   more_set_input_headers "Name: value" ...;request header set
//   more_clear_input_headers "Name" ...;     request header removed
//   allow ADDRESS|CIDR|all;  deny ...;       source addresses, first match wins
//   return CODE [text|URL];                  answered by the proxy
// nginx variables (`$host`) are refused: Portero does not evaluate them.

import { describe } from '../../objects/grammar.js';
import type { HeaderChange, SnippetRules } from '../../model/features.js';
import { parseSource } from './source-ranges.js';

export type { HeaderChange, SnippetRules };

export type SnippetResult = { ok: true; rules: SnippetRules } | { ok: false; problem: string };

const HEADER_NAME = /^[A-Za-z0-9-]{1,128}$/;
/** Printable ASCII, spaces allowed, without quotes, backslashes or `$` (no nginx variables). */
const HEADER_VALUE = /^[\x20\x21\x23\x25-\x26\x28-\x5b\x5d-\x7e]{0,1024}$/;
const TEXT = HEADER_VALUE;
const URL = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][\x21\x23\x25-\x26\x28-\x5b\x5d-\x7e]*)?$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_SNIPPET = 16 * 1024;

/** Splits nginx configuration text into directives (lists of words), honouring quotes and comments. */
function directives(text: string): string[][] | string {
  const out: string[][] = [];
  let words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
      continue;
    }
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    if (char === ';') {
      if (words.length > 0) out.push(words);
      words = [];
      i += 1;
      continue;
    }
    if (char === '{' || char === '}') return 'blocks ({ }: if, location, ...) are not supported';
    if (char === '"' || char === "'") {
      let word = '';
      i += 1;
      while (i < text.length && text[i] !== char) {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        word += text[i];
        i += 1;
      }
      if (i >= text.length) return 'a quoted string is not closed';
      i += 1;
      words.push(word);
      continue;
    }
    let word = '';
    while (i < text.length && !/[\s;{}#"']/.test(text[i]!)) {
      word += text[i];
      i += 1;
    }
    words.push(word);
  }
  if (words.length > 0) return `the directive ${words[0]} is not ended by ;`;
  return out;
}

function headerPair(text: string): HeaderChange | string {
  const colon = text.indexOf(':');
  const name = (colon === -1 ? text : text.slice(0, colon)).trim();
  if (!HEADER_NAME.test(name)) return `${describe(name)} is not a header name`;
  if (colon === -1) return { name };
  const value = text.slice(colon + 1).trim();
  // An empty value clears the header, as headers-more and proxy_set_header do (HAProxy cannot set an empty one).
  if (value === '') return { name };
  if (!HEADER_VALUE.test(value)) return `the value of ${name} must be printable text without quotes, backslashes or nginx variables ($)`;
  return { name, value };
}

function header(name: string | undefined, value: string | undefined): HeaderChange | string {
  if (name === undefined || !HEADER_NAME.test(name)) return `${describe(name ?? '')} is not a header name`;
  if (value === undefined || value === '') return { name };
  if (!HEADER_VALUE.test(value)) return `the value of ${name} must be printable text without quotes, backslashes or nginx variables ($)`;
  return { name, value };
}

export function parseSnippet(text: string): SnippetResult {
  if (text.length > MAX_SNIPPET) return { ok: false, problem: `is longer than ${MAX_SNIPPET} characters` };
  const parsed = directives(text);
  if (typeof parsed === 'string') return { ok: false, problem: parsed };
  const rules: SnippetRules = { request: [], response: [], access: [] };
  for (const [directive, ...args] of parsed) {
    const fail = (why: string): SnippetResult => ({ ok: false, problem: `${directive}: ${why}` });
    const add = (list: HeaderChange[], change: HeaderChange | string): SnippetResult | undefined => {
      if (typeof change === 'string') return fail(change);
      list.push(change);
      return undefined;
    };
    switch (directive) {
      case 'more_set_headers':
      case 'more_set_input_headers':
      case 'more_clear_headers':
      case 'more_clear_input_headers': {
        if (args.length === 0 || args.some((arg) => arg.startsWith('-'))) return fail('needs header arguments (options such as -s or -t are not supported)');
        const list = directive.includes('input') ? rules.request : rules.response;
        const clearing = directive.includes('clear');
        for (const arg of args) {
          const change = headerPair(arg);
          if (typeof change !== 'string' && clearing) delete change.value;
          if (typeof change !== 'string' && !clearing && change.value === undefined) return fail(`${arg} has no value`);
          const failed = add(list, change);
          if (failed) return failed;
        }
        break;
      }
      case 'add_header': {
        if (args.length < 2 || args.length > 3 || (args.length === 3 && args[2] !== 'always')) return fail('takes a name, a value and optionally always');
        const failed = add(rules.response, header(args[0], args[1]));
        if (failed) return failed;
        break;
      }
      case 'proxy_set_header': {
        if (args.length !== 2) return fail('takes a name and a value');
        const failed = add(rules.request, header(args[0], args[1]));
        if (failed) return failed;
        break;
      }
      case 'proxy_hide_header': {
        if (args.length !== 1) return fail('takes a header name');
        const failed = add(rules.response, header(args[0], undefined));
        if (failed) return failed;
        break;
      }
      case 'allow':
      case 'deny': {
        const source = args.length === 1 ? (args[0] === 'all' ? 'all' : parseSource(args[0]!)) : undefined;
        if (source === undefined) return fail('takes one address, CIDR range or all');
        rules.access.push({ allow: directive === 'allow', source });
        break;
      }
      case 'return': {
        if (rules.answer) return fail('only one return is supported');
        const code = Number(args[0]);
        if (args.length < 1 || args.length > 2 || !/^[0-9]{3}$/.test(args[0] ?? '') || code < 200 || code > 599) return fail('takes a status code (200-599) and optionally a text or URL');
        const rest = args[1];
        if (REDIRECTS.has(code)) {
          if (rest === undefined || !URL.test(rest)) return fail('a redirect needs an absolute http(s) URL without variables');
          rules.answer = { code, location: rest };
        } else {
          if (rest !== undefined && !TEXT.test(rest)) return fail('the text must be printable without quotes, backslashes or variables');
          rules.answer = { code, ...(rest !== undefined ? { text: rest } : {}) };
        }
        break;
      }
      default:
        return { ok: false, problem: `the directive ${describe(directive ?? "")} is not in the subset Portero parses (header directives, allow, deny, return)` };
    }
  }
  return { ok: true, rules };
}
