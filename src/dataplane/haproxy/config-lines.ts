// The one module that turns values into HAProxy configuration text.
//
// Config lines are written with the `line` tagged template: its literal parts
// come from Portero's source code, and every interpolated value must be a
// `Safe` token, which only the constructors below can make, each after
// checking a strict grammar. Map files, crt-list lines and the values in
// runtime API commands are rendered here too, with the same rule. Nothing
// else in Portero concatenates config text, so no string from a Kubernetes
// object can reach HAProxy unchecked, whether by file or by the runtime API.
// It is longer than the other modules on purpose: every constructor of
// `Safe` (and so every grammar) lives here, so that `make` never leaves it.

import { isIP } from 'node:net';
import { hashKind, isUserName, type HashKind } from '../../objects/htpasswd.js';

declare const safeBrand: unique symbol;
export type Safe = { readonly [safeBrand]: true; readonly text: string };

export class UnsafeValueError extends Error {}

function make(text: string): Safe {
  return { text } as Safe;
}

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new UnsafeValueError(`refusing to render ${what} ${JSON.stringify(value)}`);
}

/** Backend, server and variable names: HAProxy identifiers. */
export function ident(value: string): Safe {
  check(/^[A-Za-z0-9_.:-]{1,255}$/.test(value), 'identifier', value);
  return make(value);
}

export function int(value: number): Safe {
  check(Number.isSafeInteger(value) && value >= 0, 'integer', value);
  return make(String(value));
}

export function port(value: number): Safe {
  check(Number.isInteger(value) && value >= 1 && value <= 65535, 'port', value);
  return make(String(value));
}

/** An IP address and port, bracketing IPv6 as HAProxy expects. */
export function address(ip: string, portNumber: number): Safe {
  const family = isIP(ip);
  check(family !== 0, 'address', ip);
  return make(`${family === 6 ? `[${ip}]` : ip}:${port(portNumber).text}`);
}

/** A bind address (`0.0.0.0`, `::`, or any IP) and port. */
export function bindAddress(ip: string, portNumber: number): Safe {
  return address(ip, portNumber);
}

/** Absolute file paths made of a conservative character set (state dir from the command line plus our own names). */
export function filePath(value: string): Safe {
  check(/^\/[A-Za-z0-9_.\/-]*$/.test(value) && !value.split('/').includes('..'), 'file path', value);
  return make(value);
}

/** A duration such as `30s`, `5m`, `1h`. */
export function duration(value: string): Safe {
  check(/^[0-9]{1,9}(ms|s|m|h|d)?$/.test(value), 'duration', value);
  return make(value);
}

/** A double-quoted string of plain text. */
export function quoted(value: string): Safe {
  check(/^[A-Za-z0-9 .,:;\/_()=+-]*$/.test(value), 'quoted string', value);
  return make(`"${value}"`);
}

/** A regular expression written in Portero's source (never from an object), single-quoted for the config parser. */
export function regex(pattern: string): Safe {
  check(!/['\r\n]/.test(pattern) && pattern.length > 0, 'regular expression', pattern);
  try {
    new RegExp(pattern);
  } catch {
    check(false, 'regular expression', pattern);
  }
  return make(`'${pattern}'`);
}

/**
 * Text inside a single-quoted log-format argument, such as a redirect
 * location (`'${c.logFormatText(url)}'`): printable ASCII without spaces,
 * quotes or backslashes (so `#` and `$` stay literal inside the quotes),
 * with `%` doubled so that HAProxy emits it verbatim.
 */
export function logFormatText(value: string): Safe {
  check(/^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,2048}$/.test(value), 'log-format text', value);
  return make(value.replace(/%/g, '%%'));
}

/**
 * An argument of a Lua action (`http-request lua.name 'arg'`), single-quoted:
 * printable ASCII without spaces, quotes or backslashes, so `#`, `$` and `%`
 * stay literal.
 */
export function luaArg(value: string): Safe {
  check(/^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,4096}$/.test(value), 'Lua argument', value);
  return make(`'${value}'`);
}

/**
 * A double-quoted header value made of list items: tokens such as HTTP
 * methods and header names, `*`, digits, host names, joined by commas and
 * spaces (`GET, PUT`, `DNT,Cache-Control`, `1728000`, `up.example:8080`).
 * No `%`, so nothing in it is a log-format expression.
 */
export function headerText(value: string): Safe {
  check(/^[A-Za-z0-9*_.:-]+(?:, ?[A-Za-z0-9*_.:-]+)*$/.test(value) && value.length <= 4096, 'header value', value);
  return make(`"${value}"`);
}

/**
 * The CORS response values of a section as one settings.map value (features/
 * cors.ts): allowed headers, exposed headers, max-age and allowed methods,
 * `;` between them, each list as ingress-nginx sends it (names with `,` or
 * `, ` between them; the runtime API takes the spaces escaped, runtime.ts).
 */
export function corsSetting(values: { headers: string; expose: string; maxAgeSeconds: number; methods: string; credentials?: boolean }): Safe {
  const list = (text: string, what: string) => {
    check(/^(?:[A-Za-z0-9*_.:-]+(?:, ?[A-Za-z0-9*_.:-]+)*)?$/.test(text) && text.length <= 4096, what, text);
    return text;
  };
  check(Number.isSafeInteger(values.maxAgeSeconds) && values.maxAgeSeconds >= 0, 'max-age', values.maxAgeSeconds);
  const credentials = values.credentials === undefined ? '' : `;${values.credentials ? 'true' : 'false'}`;
  return make(`${list(values.headers, 'CORS headers')};${list(values.expose, 'CORS exposed headers')};${values.maxAgeSeconds};${list(values.methods, 'CORS methods')}${credentials}`);
}

/** A header or cookie name as a fetch argument (`req.hdr(X-Canary)`, `req.cook(name)`): letters, digits, `-`, `_` and `.`. */
export function fieldName(value: string): Safe {
  check(/^[A-Za-z0-9_.-]{1,128}$/.test(value), 'header or cookie name', value);
  return make(value);
}

/** A string an ACL compares literally (`-m str`): printable ASCII without spaces, quotes or backslashes; single-quoted. */
export function matchText(value: string): Safe {
  check(/^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/.test(value), 'match text', value);
  return make(`'${value}'`);
}

/** A host name with an optional port, as a Host header value (lowercase DNS characters). */
export function hostHeader(value: string): Safe {
  const match = /^([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(?::([0-9]{1,5}))?$/.exec(value);
  check(match !== null && match[1]!.length <= 253 && (match[2] === undefined || (Number(match[2]) >= 1 && Number(match[2]) <= 65535)), 'host header', value);
  return make(value);
}

const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const ORIGIN = new RegExp(`^(https?)://(\\*\\.)?(${DNS_LABEL}(?:\\.${DNS_LABEL})*)(?::([0-9]{1,5}))?$`);

/**
 * The regular expression that matches one allowed CORS origin
 * (`https://app.example.com`, `https://*.example.com:8443`), built here from
 * the checked parts of the origin, never from the text as written: dots are
 * escaped and a leading `*.` stands for exactly one label, as in
 * ingress-nginx. Anchored at both ends; meant for a case-insensitive match.
 */
export function originRegex(origin: string): Safe {
  const match = ORIGIN.exec(origin);
  check(match !== null && origin.length <= 300 && (match[4] === undefined || (Number(match[4]) >= 1 && Number(match[4]) <= 65535)), 'origin', origin);
  const [, scheme, wildcard, host, port] = match!;
  // `[.]`, not a backslash: the pattern is also an argument of the runtime API (`add acl`), which takes none.
  const label = wildcard ? '[a-z0-9-]+[.]' : '';
  return listRegex(`^${scheme}://${label}${host!.replace(/\./g, '[.]')}${port ? `:${port}` : ''}$`);
}

/**
 * A regular expression as a line of a pattern file and a runtime API
 * argument (`add acl`): printable ASCII without spaces, quotes, backslashes
 * or `#`; it must compile.
 */
export function listRegex(pattern: string): Safe {
  check(/^[\x21\x24-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/.test(pattern), 'regular expression', pattern);
  try {
    new RegExp(pattern);
  } catch {
    check(false, 'regular expression', pattern);
  }
  return make(pattern);
}

const GATEWAY_ORIGIN = new RegExp(`^(https?)://(\\*|(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*)(?::([0-9]{1,5}))?$`);
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * The regular expression that matches one origin of a Gateway API CORS
 * filter (translate/gateway/cors-filter.ts), built from its checked parts:
 * a host `*` is any host, a leading `*.` one or more labels (the spec's
 * "greedy to the left"); no port also matches the scheme's default port,
 * which browsers leave out. Anchored; meant for a case-insensitive match;
 * a line of a pattern file (listRegex), unquoted.
 */
export function gatewayOriginRegex(origin: string): Safe {
  const match = GATEWAY_ORIGIN.exec(origin);
  check(match !== null && origin.length <= 300 && (match[3] === undefined || (Number(match[3]) >= 1 && Number(match[3]) <= 65535)), 'origin', origin);
  const [, scheme, host, port] = match!;
  // `[.]`, not a backslash: the pattern is a line of the section's pattern file and an argument of `add acl`, which takes none.
  const hostPattern = host === '*' ? '[a-z0-9.-]+' : host!.startsWith('*.') ? `([a-z0-9-]+[.])+${host!.slice(2).replace(/\./g, '[.]')}` : host!.replace(/\./g, '[.]');
  const portPattern = port === undefined ? `(:${DEFAULT_PORTS[scheme!]})?` : port === DEFAULT_PORTS[scheme!] ? `(:${port})?` : `:${port}`;
  return listRegex(`^${scheme}://${hostPattern}${portPattern}$`);
}

/**
 * A header value inside a single-quoted log-format argument: printable ASCII
 * with spaces, without single quotes, backslashes or `$` (a double quote is
 * literal inside single quotes); `%` doubled.
 */
export function logFormatValue(value: string): Safe {
  // Not empty: HAProxy takes '' for a missing argument.
  check(/^[\x20-\x23\x25-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/.test(value), 'header value', value);
  return make(value.replace(/%/g, '%%'));
}

/**
 * A regular expression from an object searched in a header value, already
 * reduced to the subset of translate/regex.ts with spaces allowed: no
 * backslashes, quotes or `#`. Single-quoted; it must compile.
 */
export function headerRegex(pattern: string): Safe {
  check(/^[A-Za-z0-9/\-._~!$&()*+,;=:@%[\]^|?{} ]{1,2048}$/.test(pattern), 'regular expression', pattern);
  try {
    new RegExp(pattern);
  } catch {
    check(false, 'regular expression', pattern);
  }
  return make(`'${pattern}'`);
}

/** A literal text argument (`return ... string <text>`, an ACL's `-m str` pattern): single-quoted printable ASCII with spaces, without quotes or backslashes. */
export function literalText(value: string): Safe {
  check(/^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]{0,1024}$/.test(value), 'text', value);
  return make(`'${value}'`);
}

/** A MIME type without parameters (`compression type`): lowercase token/token. */
export function mimeType(value: string): Safe {
  check(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/.test(value), 'MIME type', value);
  return make(value);
}

/** An IP address or CIDR range, as an ACL pattern. */
export function source(value: string): Safe {
  const [ip, bits, extra] = value.split('/');
  const family = isIP(ip ?? '');
  check(family !== 0 && extra === undefined && (bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))), 'address or CIDR range', value);
  return make(value);
}

/**
 * A regular expression from an object, already reduced to the subset of
 * translate/regex.ts: no backslashes, quotes, spaces or `#`; optionally
 * behind an inline `(?i)`. Single-quoted; it must compile.
 */
export function objectRegex(pattern: string): Safe {
  const body = pattern.startsWith('(?i)') ? pattern.slice(4) : pattern;
  check(/^[A-Za-z0-9/\-._~!$&()*+,;=:@%[\]^|?{}]{1,2048}$/.test(body), 'regular expression', pattern);
  try {
    new RegExp(body, 'i');
  } catch {
    check(false, 'regular expression', pattern);
  }
  return make(`'${pattern}'`);
}

/** A replace-path format: path characters and `\1`-`\9` group references, single-quoted, `%` doubled. */
export function replaceFormat(value: string): Safe {
  check(/^\/(?:[A-Za-z0-9/\-._~!$&()*+,;=:@%]|\\[0-9]){0,2048}$/.test(value), 'replace format', value);
  return make(`'${value.replace(/%/g, '%%')}'`);
}

/** A fixed keyword chosen by Portero's code from a known set (e.g. `http` or `https`). */
export function keyword(value: string, allowed: readonly string[]): Safe {
  check(allowed.includes(value), 'keyword', value);
  return make(value);
}

/** Joins already-rendered tokens with a separator (e.g. ALPN lists). */
export function join(values: readonly Safe[], separator: ',' | ' '): Safe {
  return make(values.map((value) => value.text).join(separator));
}

/** A configuration line: literal text from the template, values only as Safe tokens. */
export function line(strings: TemplateStringsArray, ...values: Safe[]): string {
  return fragment(strings, ...values).text;
}

/** Part of a line, built like `line`, for use inside another line. */
export function fragment(strings: TemplateStringsArray, ...values: Safe[]): Safe {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += value.text + (strings[i + 1] ?? '');
  });
  check(!/[\r\n]/.test(out), 'line break in line', out);
  return make(out);
}

/**
 * A map key: host and path as produced from validated Ingress fields. Keys
 * are whitespace-delimited in map files and the runtime CLI, so whitespace,
 * control characters, a leading `#` and backslashes are refused outright.
 */
export function mapKey(value: string): Safe {
  check(value.length > 0 && value.length <= 2048 && /^[\x21-\x7e]+$/.test(value) && !value.startsWith('#') && !value.includes('\\'), 'map key', value);
  return make(value);
}

export interface MapEntry {
  key: string;
  value: Safe;
}

/** One map line (without the newline): `key value`. */
export function mapLine(entry: MapEntry): string {
  return `${mapKey(entry.key).text} ${entry.value.text}`;
}

/** A map file: one `key value` line per entry. */
export function mapFile(entries: readonly MapEntry[]): string {
  return entries.map((entry) => `${mapLine(entry)}\n`).join('');
}

/** `namespace/service:port`, naming a Service port in logs. */
export function serviceLabel(namespace: string, service: string, port: number): Safe {
  check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(service), 'service label', `${namespace}/${service}`);
  return make(`${namespace}/${service}:${port}`);
}

/** A host name or `*.` wildcard: lowercase DNS characters only. Used as SNI filter and map key/value. */
export function hostName(value: string): Safe {
  check(/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) && value.length <= 253, 'host name', value);
  return make(value);
}

/**
 * The name of a host level, as hosts.map gives it: a host name, a `*.`
 * wildcard or `_` (the host-less level), with `~` in front for a level whose
 * paths are regular expressions.
 */
export function levelName(value: string): Safe {
  const unscoped = value.replace(/\|g[0-9a-f]{8}$/, '');
  const plain = unscoped.startsWith('~') ? unscoped.slice(1) : unscoped;
  check(plain === '_' || (/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(plain) && plain.length <= 253), 'level name', value);
  return make(value);
}

/** A Gateway API scope id (model.ts Scope): `g` and 8 hex digits. */
export function scopeName(value: string): Safe {
  check(/^g[0-9a-f]{8}$/.test(value), 'scope', value);
  return make(value);
}

export interface CrtListEntry {
  file: string;
  sni: readonly string[];
  /** Client certificates are asked for and verified against this CA file (and revocation list file). */
  verify?: { caFile: string; crlFile?: string };
}

/**
 * One crt-list line (without the newline): the certificate file, the SSL
 * options of the line (written as `show ssl crt-list` prints them), then its
 * SNI filters.
 */
export function crtListLine(entry: CrtListEntry): string {
  const options = entry.verify
    ? [`[verify optional ca-file ${filePath(entry.verify.caFile).text}${entry.verify.crlFile !== undefined ? ` crl-file ${filePath(entry.verify.crlFile).text}` : ''}]`]
    : [];
  return [filePath(entry.file).text, ...options, ...entry.sni.map((name) => hostName(name).text)].join(' ');
}

export function crtList(entries: readonly CrtListEntry[]): string {
  return entries.map((entry) => `${crtListLine(entry)}\n`).join('');
}

// Backend settings from annotations (features/backend.ts). The grammars are
// those of translate/annotations/grammars.ts, checked again here: the data
// plane never trusts a value it did not check itself.

/** A cookie name: letters, digits, `_`, `.`, `-`. */
export function cookieName(value: string): Safe {
  check(/^[A-Za-z0-9_.-]{1,64}$/.test(value), 'cookie name', value);
  return make(value);
}

/** A regular expression matching a Set-Cookie line of the cookie `value` (a cookie name), single-quoted: `'^(route\\.id=[^;]*(;.*)?)$'`. */
export function cookieLineRegex(value: string): Safe {
  const name = cookieName(value).text.replace(/\./g, '\\.');
  return make(`'^(${name}=[^;]*(;.*)?)$'`);
}

/** A cookie domain: a lowercase DNS name, optionally with a leading dot. */
export function cookieDomain(value: string): Safe {
  check(/^\.?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) && value.length <= 254 && !value.includes('..'), 'cookie domain', value);
  return make(value);
}

/** A cookie attribute for HAProxy's `attr`, double-quoted: `"SameSite=Lax"`, `"Max-Age=60"`, `"Path=/app"`. */
export function cookieAttribute(name: 'SameSite' | 'Max-Age' | 'Path', value: string | number): Safe {
  const text = String(value);
  const ok =
    name === 'SameSite' ? ['None', 'Lax', 'Strict'].includes(text) : name === 'Max-Age' ? Number.isSafeInteger(value) && (value as number) > 0 : /^\/[A-Za-z0-9._~\/-]{0,255}$/.test(text);
  check(ok, `cookie attribute ${name}`, value);
  return make(`"${name}=${text}"`);
}

/** A TLS server name as a constant sample expression: `str(api.example.com)`. */
export function sniName(value: string): Safe {
  check(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) && value.length <= 253 && !value.includes('..'), 'server name', value);
  return make(`str(${value})`);
}

/** A request header name, lowercase, as in `balance hdr(<name>)`. */
export function headerName(value: string): Safe {
  check(/^[a-z0-9-]{1,64}$/.test(value), 'header name', value);
  return make(value);
}

/** A query parameter name, as in `balance url_param <name>`. */
export function paramName(value: string): Safe {
  check(/^[A-Za-z0-9_.-]{1,64}$/.test(value), 'query parameter name', value);
  return make(value);
}

// Global settings from the ingress-nginx ConfigMap (translate/configmap.ts checks the same grammars).

/** A TLS 1.2 cipher list: OpenSSL cipher names (capitals, digits, `-`) joined by `:`. */
export function cipherList(value: string): Safe {
  check(/^[A-Z0-9-]{1,64}(?::[A-Z0-9-]{1,64}){0,63}$/.test(value), 'cipher list', value);
  return make(value);
}

/** A Strict-Transport-Security value: `max-age=N` with the optional `includeSubDomains` and `preload`, double-quoted. */
export function hstsValue(maxAgeSeconds: number, includeSubdomains: boolean, preload: boolean): Safe {
  check(Number.isSafeInteger(maxAgeSeconds) && maxAgeSeconds >= 0, 'HSTS max-age', maxAgeSeconds);
  return make(`"max-age=${maxAgeSeconds}${includeSubdomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}"`);
}

// Basic authentication (features/basic-auth.ts). User names and hashes are
// checked again with the grammars of objects/htpasswd.ts, which admit no
// whitespace, quotes or backslash.

/** A basic-auth user name, single-quoted for a userlist line (no expansion happens inside single quotes). */
export function authUser(name: string): Safe {
  check(isUserName(name), 'user name', name);
  return make(`'${name}'`);
}

/** A basic-auth user name as a map key. */
export function authUserKey(name: string): string {
  check(isUserName(name), 'user name', name);
  return name;
}

/** A password hash of a supported format, as a map value (`kind` says which formats the caller expects). */
export function authHash(hash: string, kinds: readonly HashKind[]): Safe {
  const kind = hashKind(hash);
  check(kind !== undefined && kinds.includes(kind), 'password hash', kind ?? 'of an unknown format');
  return make(hash);
}

/** A crypt(3) hash, single-quoted for a userlist line (its `$` must not be read as a variable). */
export function authCryptHash(hash: string): Safe {
  return make(`'${authHash(hash, ['crypt']).text}'`);
}

/** The WWW-Authenticate value for `realm`, single-quoted, `%` doubled (the value is a log-format string). */
export function basicChallenge(realm: string): Safe {
  check(/^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]{0,128}$/.test(realm), 'realm', realm);
  return make(`'Basic realm="${realm.replace(/%/g, '%%')}"'`);
}

// Request conditions and weighted splits (Route.candidates, Gateway API).
// A route with candidates has, in candidates.map, one entry whose value is
// the whole list, evaluated by features/candidates-lua.ts:
//
//   list      := candidate* fallback
//   candidate := [cond ("&" cond)*] ">" share ("," share)* "|"
//   cond      := "m" METHOD | "p" kind "=" value | "h" kind name "=" value | "q" kind name "=" value
//   kind      := "e" (the whole value) | "r" (a regular expression, unanchored)
//
// `p` compares the request's path without its query (Gateway API
// RegularExpression paths come as a pattern anchored at both ends).
//   share     := weight "*" backend
//   fallback  := backend
//
// Names, values and patterns are percent-encoded (UTF-8, everything but
// `A-Z a-z 0-9 . _ ~ -`), so that no field holds a separator, whitespace or
// anything the map files and the runtime API would read; backends are
// HAProxy identifiers and weights integers. A list longer than
// CANDIDATE_PART_BYTES is cut into parts: the route's own entry holds
// `+<parts>.<digest>/` and the first part, and `<key>.<digest>.<i>` the
// others. The digest is the whole list's, so that a runtime change adds
// the new parts before the first entry names them, and never mixes parts of
// two lists.

/** The key of a route with candidates, as the exact, prefix and regex maps give it: `?` and 16 hex digits. */
export function routeKey(value: string): Safe {
  check(/^\?[0-9a-f]{16}$/.test(value), 'route key', value);
  return make(value);
}

/** Whether a text has a lone UTF-16 surrogate (its UTF-8 would not be its own). */
function hasLoneSurrogate(value: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

/** A value compared with a header or query value: no control characters but tab, 1 to `max` characters. */
function conditionValue(value: string, max: number, what: string): string {
  check(value.length >= 1 && value.length <= max && !/[\x00-\x08\x0a-\x1f\x7f]/.test(value) && !hasLoneSurrogate(value), what, value);
  return value;
}

/** A regular expression compared with a header or query value: printable ASCII without backslash (translate/regex.ts's subset needs none), and it must compile. */
function conditionPattern(pattern: string): string {
  check(/^[\x20-\x5b\x5d-\x7e]{1,2048}$/.test(pattern), 'regular expression', pattern);
  try {
    new RegExp(pattern);
  } catch {
    check(false, 'regular expression', pattern);
  }
  return pattern;
}

/** UTF-8, with every byte but the unreserved characters as `%XX`. */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface CandidateValueMatch {
  name: string;
  match: { kind: 'exact' | 'regex'; value: string };
}

/** One candidate, its targets already HAProxy backend names. */
export interface CandidateText {
  method?: string;
  /** The path without its query (RequestCondition.path). */
  path?: CandidateValueMatch['match'];
  headers: readonly CandidateValueMatch[];
  query: readonly CandidateValueMatch[];
  /** Positive weights only (model/match.ts's effectiveShares). */
  shares: readonly { weight: number; backend: Safe }[];
}

function conditionText(prefix: 'h' | 'q', entry: CandidateValueMatch): string {
  const name =
    prefix === 'h'
      ? (check(/^[a-z0-9!#$%&'*+.^_`|~-]{1,256}$/.test(entry.name), 'header name', entry.name), entry.name)
      : (check(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/.test(entry.name), 'query parameter name', entry.name), entry.name);
  const { kind } = entry.match;
  check(kind === 'exact' || kind === 'regex', 'match kind', kind);
  const value = kind === 'regex' ? conditionPattern(entry.match.value) : conditionValue(entry.match.value, prefix === 'h' ? 4096 : 1024, prefix === 'h' ? 'header value' : 'query value');
  return `${prefix}${kind === 'exact' ? 'e' : 'r'}${percentEncode(name)}=${percentEncode(value)}`;
}

/** The list of a route's candidates and its fallback, as one text (see above). */
export function candidateList(candidates: readonly CandidateText[], fallback: Safe): string {
  let out = '';
  for (const candidate of candidates) {
    const conditions: string[] = [];
    if (candidate.method !== undefined) {
      check(/^[A-Z]{1,32}$/.test(candidate.method), 'method', candidate.method);
      conditions.push(`m${candidate.method}`);
    }
    if (candidate.path !== undefined) {
      const { kind } = candidate.path;
      check(kind === 'exact' || kind === 'regex', 'match kind', kind);
      const value = kind === 'regex' ? conditionPattern(candidate.path.value) : conditionValue(candidate.path.value, 1024, 'path');
      conditions.push(`p${kind === 'exact' ? 'e' : 'r'}=${percentEncode(value)}`);
    }
    for (const header of candidate.headers) conditions.push(conditionText('h', header));
    for (const param of candidate.query) conditions.push(conditionText('q', param));
    check(candidate.shares.length > 0, 'weighted split', candidate.shares);
    const shares = candidate.shares.map((share) => {
      check(Number.isSafeInteger(share.weight) && share.weight >= 1 && share.weight <= 1_000_000, 'weight', share.weight);
      return `${share.weight}*${ident(share.backend.text).text}`;
    });
    out += `${conditions.join('&')}>${shares.join(',')}|`;
  }
  return out + ident(fallback.text).text;
}

/** Longest candidates.map value: a map file line and an `add map` command must fit HAProxy's 16 KiB buffer. */
export const CANDIDATE_PART_BYTES = 8000;

const CANDIDATE_ALPHABET = /^[A-Za-z0-9._~%>|&,*=+/:-]+$/;

/**
 * The candidates.map entries of a route: one, or the parts of a long list.
 * `digest` names the list's content (hex).
 */
export function candidateEntries(key: Safe, list: string, digest: (text: string) => string, partBytes = CANDIDATE_PART_BYTES): MapEntry[] {
  check(CANDIDATE_ALPHABET.test(list) && !list.startsWith('+'), 'candidate list', list.slice(0, 200));
  if (list.length <= partBytes) return [{ key: key.text, value: make(list) }];
  const hash = digest(list);
  check(/^[0-9a-f]{12}$/.test(hash), 'candidate list digest', hash);
  const parts: string[] = [];
  for (let start = 0; start < list.length; start += partBytes) parts.push(list.slice(start, start + partBytes));
  return parts.map((part, index) => (index === 0 ? { key: key.text, value: make(`+${parts.length}.${hash}/${part}`) } : { key: `${key.text}.${hash}.${index}`, value: make(part) }));
}

// Client-certificate authentication (features/client-auth.ts).

/** A fixed text as a map value (the rest of the map line): printable ASCII and inner spaces, no `%`. */
export function mapText(value: string): Safe {
  check(/^[\x21-\x24\x26-\x7e](?:[\x20-\x24\x26-\x7e]{0,254}[\x21-\x24\x26-\x7e])?$/.test(value), 'map text', value);
  return make(value);
}

/** An absolute http(s) URL as a map value: printable ASCII without spaces, quotes or backslashes (the grammar of redirect annotations). */
export function urlValue(value: string): Safe {
  check(/^https?:\/\/[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{1,2048}$/.test(value), 'URL', value);
  return make(value);
}

/** A redirect location as a map value: an absolute http(s) URL as `urlValue`, or an absolute path (never `//`, which clients read as another host). */
export function redirectLocationValue(value: string): Safe {
  if (value.startsWith('/')) {
    check(/^\/(?!\/)[\x21\x23-\x26\x28-\x5b\x5d-\x7e]{0,2048}$/.test(value), 'redirect path', value);
    return make(value);
  }
  return urlValue(value);
}

// Gateway API filter values in settings.map (features/gateway-filters.ts).
// A map value is the rest of its line, never read as log-format: inserted
// with `%[...]`, it reaches the request exactly as written.

/** A header value character that can be a map value: printable ASCII without quotes, backslashes or `$` (as logFormatValue). */
const HEADER_MAP_CHAR = '[\\x21\\x23\\x25\\x26\\x28-\\x5b\\x5d-\\x7e]';
const HEADER_MAP_VALUE = new RegExp(`^(?=.{1,1024}$)${HEADER_MAP_CHAR}+(?: ${HEADER_MAP_CHAR}+)*$`);

/**
 * Whether a header value can travel as a map value: no space at either end
 * (a map file drops the ones after the key) and single spaces inside (the
 * runtime API's arguments, runtime.ts cliValue).
 */
export function isHeaderMapValue(value: string): boolean {
  return HEADER_MAP_VALUE.test(value);
}

/** A header value as a map value (isHeaderMapValue). */
export function headerMapValue(value: string): Safe {
  check(isHeaderMapValue(value), 'header map value', value);
  return make(value);
}

/** A path as a map value (set-path, or the new prefix before `\1` in replace-path): RFC 3986 path characters, no backslash. */
export function pathValue(value: string): Safe {
  check(/^\/[A-Za-z0-9/\-._~!$&()*+,;=:@%]{0,2048}$/.test(value), 'path value', value);
  return make(value);
}

/**
 * The start of a redirect Location as a map value, from its checked parts:
 * `scheme://host[:port]`, or `scheme://|[:port]` when the request's Host
 * goes where the `|` is (the rule splits the value there).
 */
export function redirectBase(scheme: 'http' | 'https', host: string | undefined, portNumber: number | undefined): Safe {
  const portText = portNumber === undefined ? '' : `:${port(portNumber).text}`;
  return make(`${keyword(scheme, ['http', 'https']).text}://${host === undefined ? '|' : hostHeader(host).text}${portText}`);
}

/**
 * A line of an ACL pattern file for `-m reg -f` (one regular expression per
 * line, spaces included): `^<id>[|].*(?:<pattern>)`, which matches a key
 * `<id>|<text>` whose text holds a match of the pattern. The pattern is in
 * the subset of translate/regex.ts (spaces allowed): no backslash, quote,
 * `#`, tab or line break; it must compile.
 */
export function keyedPattern(id: string, pattern: string): Safe {
  check(/^[0-9a-f]{1,64}$/.test(id), 'pattern key', id);
  check(/^[A-Za-z0-9/\-._~!$&()*+,;=:@%[\]^|?{} ]{1,1024}$/.test(pattern), 'regular expression', pattern);
  try {
    new RegExp(pattern);
  } catch {
    check(false, 'regular expression', pattern);
  }
  return make(`^${id}[|].*(?:${pattern})`);
}

/** A pattern file: one pattern per line. */
export function patternFile(patterns: readonly Safe[]): string {
  return patterns.map((pattern) => `${pattern.text}\n`).join('');
}

// Response header rewrites (features/response-rewrites.ts): nginx's
// proxy_redirect and proxy_cookie_* as `http-response replace-header`. The
// regular expressions are built here from literal texts, every character but
// letters and digits escaped (a letter of a caseless text as `[Xx]`), never
// from a text read as a pattern; the replacement is the literal text, `%`
// doubled, with back-references to the parts kept.

/** What a rewritten text may hold: printable ASCII without spaces, quotes, backslashes, `#` or `$`. */
function rewriteText(value: string, what: string): string {
  check(/^[\x21\x25-\x26\x28-\x5b\x5d-\x7e]{1,1024}$/.test(value), what, value);
  return value;
}

/** `value` as a pattern matching exactly that text. */
function literalPattern(value: string): string {
  return value.replace(/[^A-Za-z0-9]/g, '\\$&');
}

/** `value` as a pattern matching that text in any case (ASCII letters). */
function caselessPattern(value: string): string {
  return value.replace(/[^0-9]/g, (char) => (/[A-Za-z]/.test(char) ? `[${char.toUpperCase()}${char.toLowerCase()}]` : `\\${char}`));
}

/** Everything of a Set-Cookie value up to an attribute named `name` (any case, spaces around `=`), skipping the cookie's own `name=value`. */
function cookieAttributePrefix(name: 'domain' | 'path'): string {
  return `[^;=]*=[^;]*;(?:[^;]*;)*? *${caselessPattern(name)} *= *`;
}

export type HeaderRewriteKind = 'location' | 'refresh' | 'cookie-domain' | 'cookie-path';

/**
 * The regular expression of a header rewrite, single-quoted, anchored at both
 * ends, its groups the parts kept around the replaced text:
 * - location: a value starting with `from` (its rest is `\1`);
 * - refresh: the URL after the first `url=` (any case) starting with `from` (`\1` before it, `\2` after);
 * - cookie-domain: a Domain attribute equal to `from` in any case, after an optional dot (`\1`, `\2`);
 * - cookie-path: a Path attribute starting with `from` (`\1`, `\2`).
 */
export function headerRewriteRegex(kind: HeaderRewriteKind, from: string): Safe {
  const text = rewriteText(from, 'rewritten text');
  const patterns: Record<HeaderRewriteKind, () => string> = {
    location: () => `^${literalPattern(text)}(.*)$`,
    refresh: () => `^((?:[^Uu]|[Uu](?![Rr][Ll]=))*[Uu][Rr][Ll]=)${literalPattern(text)}(.*)$`,
    'cookie-domain': () => `^(${cookieAttributePrefix('domain')}\\.?)${caselessPattern(text)}( *(?:;.*)?)$`,
    'cookie-path': () => `^(${cookieAttributePrefix('path')})${literalPattern(text)}(.*)$`,
  };
  check(Object.hasOwn(patterns, kind), 'header rewrite', kind);
  return regex(patterns[kind]());
}

/** The replacement of a header rewrite of `kind` (headerRewriteRegex): `to` between the parts kept, single-quoted, `%` doubled. */
export function headerRewriteFormat(kind: HeaderRewriteKind, to: string): Safe {
  const text = rewriteText(to, 'replacement text').replace(/%/g, '%%');
  check(['location', 'refresh', 'cookie-domain', 'cookie-path'].includes(kind), 'header rewrite', kind);
  return make(kind === 'location' ? `'${text}\\1'` : `'\\1${text}\\2'`);
}
