// enable-cors and cors-allow-origin, -methods, -headers, -credentials,
// -expose-headers, -max-age, with ingress-nginx's defaults. Every list item
// passes a strict grammar (ingress-nginx's own, tightened to what browsers
// send): origins become regular expressions built by the renderer from their
// checked parts, never from the text as written. The values are checked even
// when enable-cors is off, as ingress-nginx parses them all.

import { describe } from '../../objects/grammar.js';
import type { Cors } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

export const DEFAULT_CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
export const DEFAULT_CORS_HEADERS = ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'];
export const DEFAULT_CORS_MAX_AGE = 1728000;

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** `scheme://host[:port]`, the host possibly `*.` plus a domain (one label of wildcard), lowercase. */
const ORIGIN = new RegExp(`^https?://(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?$`);
const METHOD = /^[A-Za-z]{1,32}$/;
const HEADER = /^[A-Za-z0-9_-]{1,128}$/;

/** At most this many items per list: enough for any real policy, and bounded config lines. */
const MAX_ITEMS = 100;
/** The longest list once joined: what the data plane renders into a header or a settings.map value (config-lines.ts headerText, corsSetting). */
const MAX_LIST_CHARS = 4096;

/** The list in the form it was written: `, ` between the names when the annotation puts a space after its commas, else `,`. */
function writtenForm(raw: string, items: readonly string[]): string {
  return items.join(/,\s/.test(raw) ? ', ' : ',');
}

interface CheckedList {
  items: string[];
  written: string;
}

function checkedList(values: AnnotationValues, name: string, item: RegExp, what: string): CheckedList | undefined {
  // An empty value counts as absent, as everywhere (values.string).
  if (values.string(name) === undefined) return undefined;
  const items = values.list(name) ?? [];
  if (items.length === 0) return values.problem(name, `holds no ${what}`);
  if (items.length > MAX_ITEMS) return values.problem(name, `holds more than ${MAX_ITEMS} items`);
  const bad = items.find((candidate) => !item.test(candidate));
  if (bad !== undefined) return values.problem(name, `${describe(bad)} is not a valid ${what}`);
  const written = writtenForm(values.string(name) ?? '', items);
  if (written.length > MAX_LIST_CHARS) return values.problem(name, `is longer than ${MAX_LIST_CHARS} characters`);
  return { items: [...new Set(items)], written };
}

function origins(values: AnnotationValues): string[] | undefined | 'invalid' {
  if (values.string('cors-allow-origin') === undefined) return undefined;
  const items = values.list('cors-allow-origin') ?? [];
  // `*` anywhere in the list allows every origin, as in ingress-nginx.
  if (items.includes('*')) return undefined;
  if (items.length === 0) return values.problem('cors-allow-origin', 'holds no origin') ?? 'invalid';
  if (items.length > MAX_ITEMS) return values.problem('cors-allow-origin', `holds more than ${MAX_ITEMS} origins`) ?? 'invalid';
  const out: string[] = [];
  const skipped: string[] = [];
  for (const item of items) {
    const origin = item.toLowerCase();
    const port = /:([0-9]+)$/.exec(origin)?.[1];
    if (!ORIGIN.test(origin) || origin.length > 300 || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) skipped.push(item);
    else out.push(origin);
  }
  const example = 'an origin such as https://app.example.com, https://*.example.com or http://localhost:8080';
  // ingress-nginx skips an entry that is not an origin (with an error in its log) and allows the others.
  if (out.length === 0) return values.problem('cors-allow-origin', `${describe(skipped[0]!)} is not ${example}`) ?? 'invalid';
  for (const item of skipped) values.notice('cors-allow-origin', `${describe(item)} is not ${example}; this entry is left out, as ingress-nginx leaves it out, and the other origins are allowed`);
  return [...new Set(out)];
}

export const cors: AnnotationGroup = {
  annotations: {
    'enable-cors': { status: 'supported' },
    'cors-allow-origin': { status: 'supported' },
    'cors-allow-methods': { status: 'supported' },
    'cors-allow-headers': { status: 'supported' },
    'cors-allow-credentials': { status: 'supported' },
    'cors-expose-headers': { status: 'supported' },
    'cors-max-age': { status: 'supported' },
  },
  read(values, features) {
    const enabled = values.bool('enable-cors');
    const allowed = origins(values);
    const methods = checkedList(values, 'cors-allow-methods', METHOD, 'HTTP method');
    const headers = checkedList(values, 'cors-allow-headers', HEADER, 'header name');
    const expose = checkedList(values, 'cors-expose-headers', /^(?:[A-Za-z0-9_-]{1,128}|\*)$/, 'header name (or *)');
    const credentials = values.bool('cors-allow-credentials');
    const maxAge = values.int('cors-max-age', 0, 315360000);
    if (enabled !== true || allowed === 'invalid') return;
    const result: Cors = {
      ...(allowed ? { origins: allowed } : {}),
      methods: methods?.items ?? DEFAULT_CORS_METHODS,
      headers: headers?.items ?? DEFAULT_CORS_HEADERS,
      exposeHeaders: expose?.items ?? [],
      credentials: credentials ?? true,
      maxAgeSeconds: maxAge ?? DEFAULT_CORS_MAX_AGE,
    };
    // ingress-nginx sends the lists as written (`POST, GET`, `DNT, User-Agent`).
    const written = { ...(methods ? { methods: methods.written } : {}), ...(headers ? { headers: headers.written } : {}), ...(expose ? { exposeHeaders: expose.written } : {}) };
    if (Object.keys(written).length > 0) result.written = written;
    features.cors = result;
  },
};
