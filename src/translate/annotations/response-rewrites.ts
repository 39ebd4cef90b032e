// Rewrites of the Service's response headers, as nginx does them for
// ingress-nginx (features/response-rewrites.ts renders them):
//
// - proxy-redirect-from / proxy-redirect-to: nginx's `proxy_redirect <from>
//   <to>`: a Location (and the URL of a Refresh) starting with `from` gets
//   `to` instead of that prefix. As ingress-nginx's template: `from` off (its
//   default) or `default` → `proxy_redirect off|default`; else, unless `to`
//   is off (its default), `proxy_redirect <from> <to>`. `default` rewrites
//   ingress-nginx's own upstream name (`http://upstream_balancer/`), which no
//   Service sends, so neither asks for anything here.
// - proxy-cookie-domain: "<from> <to>" (nginx's proxy_cookie_domain): a
//   Set-Cookie Domain attribute equal to `from` (case-insensitive, a leading
//   dot ignored) becomes `to`; `off` (the default) changes nothing.
// - proxy-cookie-path: "<from> <to>" (nginx's proxy_cookie_path): a Path
//   attribute starting with `from` gets `to` instead of that prefix.
//
// Every value is literal text of a strict grammar: nginx's regular
// expressions (`~`, `~*`) and variables (`$host`) are refused, as an invalid
// value of any other annotation is (the Ingress is not served).

import type { PrefixRewrite, ResponseRewrites } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

/** A URL or a part of one: RFC 3986 characters without `'`, `#` and `$`, `%` only before two hex digits. */
const REDIRECT_TEXT = /^(?:[A-Za-z0-9._~:\/?&=+,;!*()@\[\]-]|%[0-9A-Fa-f]{2}){1,1024}$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A cookie domain: DNS labels, an optional leading dot (ignored, as nginx ignores it). */
const DOMAIN = new RegExp(`^\\.?${LABEL}(?:\\.${LABEL})*$`);
/** A cookie path: absolute, unreserved characters and a few sub-delimiters, `%` only before two hex digits. */
const PATH = /^\/(?:[A-Za-z0-9._~!*+,=:@\/-]|%[0-9A-Fa-f]{2}){0,1023}$/;

/**
 * Why `text` is refused for what nginx would read as a regular expression
 * (a text to replace starting with `~`) or a variable; undefined otherwise.
 */
function nginxOnly(text: string, replaced: boolean): string | undefined {
  if (replaced && text.startsWith('~')) return 'regular expressions (~, ~*) are not supported: write the literal text to replace';
  if (text.includes('$')) return 'nginx variables ($...) are not supported';
  return undefined;
}

/** A proxy-redirect-* value, or undefined after a problem. */
function redirectText(values: AnnotationValues, name: string, text: string): string | undefined {
  const refused = nginxOnly(text, name === 'proxy-redirect-from');
  if (refused !== undefined) return values.problem(name, refused);
  if (!REDIRECT_TEXT.test(text)) return values.problem(name, 'must be a URL or part of one: at most 1024 printable characters without spaces, quotes, backslashes or #, and % only before two hex digits');
  return text;
}

function redirectOf(values: AnnotationValues): PrefixRewrite | undefined {
  const from = values.string('proxy-redirect-from');
  const to = values.string('proxy-redirect-to');
  // Each value written is checked, whether or not the other makes it count.
  const fromText = from === undefined || from === 'off' || from === 'default' ? from : redirectText(values, 'proxy-redirect-from', from);
  const toText = to === undefined || to === 'off' ? to : redirectText(values, 'proxy-redirect-to', to);
  if (fromText === undefined || fromText === 'off' || fromText === 'default') return undefined;
  if (toText === undefined || toText === 'off') return undefined;
  return { from: fromText, to: toText };
}

/** "<from> <to>" of proxy-cookie-domain or proxy-cookie-path; undefined for off, absent, or after a problem. */
function pairOf(values: AnnotationValues, name: string, grammar: RegExp, what: string): PrefixRewrite | undefined {
  const value = values.string(name);
  if (value === undefined || value === 'off') return undefined;
  const parts = value.split(/\s+/);
  if (parts.length !== 2) return values.problem(name, `must be off, or two values separated by a space: the ${what} to replace and its replacement`);
  for (const [i, part] of parts.entries()) {
    const refused = nginxOnly(part, i === 0);
    if (refused !== undefined) return values.problem(name, refused);
    if (!grammar.test(part) || part.length > 1024) {
      return values.problem(name, what === 'domain' ? 'each value must be a domain name (letters, digits, - and dots)' : 'each value must be an absolute path (letters, digits, . _ ~ ! * + , = : @ - and /; % only before two hex digits)');
    }
  }
  const [from, to] = parts as [string, string];
  return { from, to };
}

/** A leading dot of a cookie domain means nothing to nginx: it is left out of both texts (and kept in the attribute). */
const undotted = (domain: string) => (domain.startsWith('.') ? domain.slice(1) : domain);

export const responseRewrites: AnnotationGroup = {
  annotations: {
    'proxy-redirect-from': { status: 'supported' },
    'proxy-redirect-to': { status: 'supported' },
    'proxy-cookie-domain': { status: 'supported' },
    'proxy-cookie-path': { status: 'supported' },
  },
  read(values, features) {
    const rewrites: { -readonly [K in keyof ResponseRewrites]: ResponseRewrites[K] } = {};
    const redirect = redirectOf(values);
    if (redirect) rewrites.redirect = redirect;
    const domain = pairOf(values, 'proxy-cookie-domain', DOMAIN, 'domain');
    if (domain) rewrites.cookieDomain = { from: undotted(domain.from), to: undotted(domain.to) };
    const path = pairOf(values, 'proxy-cookie-path', PATH, 'path');
    if (path) rewrites.cookiePath = path;
    if (Object.keys(rewrites).length > 0) features.responseRewrites = rewrites;
  },
};
