// The ingress-nginx ConfigMap's response compression: use-gzip with
// gzip-types, gzip-disable, gzip-level and gzip-min-length, read into
// GlobalSettings.compression (HAProxy's compression filter, gzip by libslz).
//
// As in ingress-nginx (`gzip on` at http level), it applies to every host.
// ingress-nginx's default type list is used when gzip-types is not set, and
// text/html is always compressed, as nginx's gzip_types always includes it.
// Two keys cannot be honoured by HAProxy 2.6, and say so once: gzip-level
// (libslz has a single level) and gzip-min-length (2.6 has no minimum size:
// every response of a listed type is compressed).

import type { CompressionSettings } from '../model/globals.js';
import type { Reader } from './configmap.js';
import { headerSearchRegex } from './regex.js';

/** ingress-nginx's default gzip-types (internal/ingress/controller/config). */
export const DEFAULT_GZIP_TYPES: readonly string[] = [
  'application/atom+xml',
  'application/javascript',
  'application/x-javascript',
  'application/json',
  'application/rss+xml',
  'application/vnd.ms-fontobject',
  'application/x-font-ttf',
  'application/x-web-app-manifest+json',
  'application/xhtml+xml',
  'application/xml',
  'font/opentype',
  'image/svg+xml',
  'image/x-icon',
  'text/css',
  'text/javascript',
  'text/plain',
  'text/x-component',
];

/** A MIME type as written in gzip-types (no parameters). */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

export const GZIP_KEYS = ['use-gzip', 'gzip-types', 'gzip-disable', 'gzip-level', 'gzip-min-length'] as const;

function types(reader: Reader): string[] {
  const value = reader.raw('gzip-types');
  if (value === undefined || value === '') return [...DEFAULT_GZIP_TYPES, 'text/html'];
  const listed = value.split(/\s+/).filter((item) => item !== '').map((item) => item.toLowerCase());
  const bad = listed.find((item) => item !== '*' && !MIME_TYPE.test(item));
  if (bad !== undefined) {
    reader.problem('gzip-types', `${JSON.stringify(bad)} is not a MIME type such as text/css; ingress-nginx's default list is used`);
    return [...DEFAULT_GZIP_TYPES, 'text/html'];
  }
  if (listed.includes('*')) {
    reader.note('gzip-types', '"*" is not supported (HAProxy compresses listed types only); ingress-nginx\'s default list is used with the other types given');
    return [...new Set([...DEFAULT_GZIP_TYPES, ...listed.filter((item) => item !== '*'), 'text/html'])];
  }
  return [...new Set([...listed, 'text/html'])];
}

/** gzip-disable: User-Agent patterns (nginx regexes, case-insensitive, as block-user-agents' `~*` entries) whose clients get no compression. */
function disabledAgents(reader: Reader): { patterns: string[]; msie6: boolean } {
  const value = reader.raw('gzip-disable');
  const out = { patterns: [] as string[], msie6: false };
  if (value === undefined) return out;
  // Space-separated, as nginx's gzip_disable arguments; `\ ` is a space inside a pattern.
  for (const item of value.split(/(?<!\\)\s+/).filter((entry) => entry !== '')) {
    if (item === 'msie6') {
      out.msie6 = true;
      continue;
    }
    const checked = headerSearchRegex(item);
    if (!checked.ok) {
      reader.note('gzip-disable', `pattern ${JSON.stringify(item)} ${checked.problem}; it is left out`);
      continue;
    }
    out.patterns.push(checked.pattern);
  }
  return out;
}

/** The compression settings, or undefined when use-gzip is not "true". */
export function readGzip(reader: Reader): CompressionSettings | undefined {
  if (reader.bool('use-gzip') !== true) {
    const stray = GZIP_KEYS.filter((key) => key !== 'use-gzip' && reader.raw(key) !== undefined);
    if (stray.length > 0) reader.note(stray[0]!, `${stray.join(', ')} ha${stray.length === 1 ? 's' : 've'} no effect unless use-gzip is "true"`);
    return undefined;
  }
  if (reader.int('gzip-level', 1, 9) !== undefined) reader.note('gzip-level', 'accepted and ignored: HAProxy compresses with libslz, which has a single level (about gzip level 1)');
  if (reader.int('gzip-min-length', 0, 1_000_000_000) !== undefined) {
    reader.note('gzip-min-length', 'accepted and ignored: HAProxy 2.6 has no minimum size, so every response of a listed type is compressed');
  }
  const agents = disabledAgents(reader);
  return {
    types: types(reader),
    ...(agents.patterns.length > 0 || agents.msie6 ? { disableUserAgents: agents.patterns, ...(agents.msie6 ? { msie6: true } : {}) } : {}),
  };
}
