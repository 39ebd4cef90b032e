// The Gateway API CORS filter (model/gateway-features.ts GatewayCors) →
// backend lines. Pure. Built like ingress-nginx's enable-cors (cors.ts): the
// request phase decides, into transaction variables, whether the Origin is
// allowed and whether the request is a preflight, and answers preflights
// itself; the headers are added after the response, so they reach the
// backend's answers and the proxy's own alike.
//
// Where the filter differs from enable-cors:
// - An allowed Origin is always echoed, `*` origins included: that is
//   valid with and without credentials, and the conformance suite expects
//   the Origin on simple requests of a `*` rule without credentials. Only
//   an Origin that is not a plain http(s) origin (such as `null`) gets `*`,
//   and only without credentials: echoing `null` with credentials would
//   allow sandboxed documents.
// - A preflight is OPTIONS with Origin and Access-Control-Request-Method,
//   and is always answered 204 here: without the CORS headers when the
//   origin is not allowed (the spec's first choice), so the browser fails it.
// - Methods, headers and max-age go on preflight answers only; the origin,
//   credentials and exposed headers on every answer to an allowed origin.
// - `*` methods or headers echo what the preflight asks (one method; the
//   header list if it is a plain list of names), `*` when it asks nothing
//   and credentials are off, nothing when they are on (the spec's rule).
// - `Vary: Origin` on every answer of the route, which depends on the Origin.
//
// Its values change at runtime, as enable-cors's do: a listed origin is
// matched against the section's pattern file (source-lists.ts `origins`),
// and the lists and max-age are one settings.map value (`gw-cors`, read
// once per request from an allowed origin). The rules, and so the
// section's shape (gatewayCorsShape), hold only `*` origins or a list,
// the credentials, and for each list whether it is `*`, empty or listed.

import type { GatewayCors } from '../../../model/gateway-features.js';
import * as c from '../config-lines.js';

const ORIGIN = 'txn.portero_gw_cors';
const PREFLIGHT = 'txn.portero_gw_cors_pf';
const METHOD = 'txn.portero_gw_cors_m';
const HEADERS = 'txn.portero_gw_cors_h';
const VALUES = 'txn.portero_gw_cors_v';
const ACL = 'portero_gw_cors_origin';

/** The sample expression reading the section's `gw-cors` value (settings.ts settingSample). */
export type CorsSetting = (name: 'gw-cors') => c.Safe;

/** The origins listed in the section's pattern file (`*`: none, the rules match any origin). */
export function gatewayCorsOrigins(cors: GatewayCors | undefined): readonly string[] | undefined {
  return cors && cors.origins !== 'any' ? cors.origins : undefined;
}

const listText = (list: 'any' | readonly string[]) => (list === 'any' ? '' : list.join(', '));

/** The settings.map value of the filter: allowed headers, exposed headers, max-age and methods, `;` between them (the layout of enable-cors's, c.corsSetting). */
export function gatewayCorsValue(cors: GatewayCors): c.Safe {
  return c.corsSetting({ headers: listText(cors.headers), expose: listText(cors.exposeHeaders), maxAgeSeconds: cors.maxAgeSeconds, methods: listText(cors.methods) });
}

/** What the rules depend on: whether origins are `*` or a list (any list: a pattern file), the credentials, and which lists are `*`, empty or given. */
export function gatewayCorsShape(cors: GatewayCors): unknown {
  const list = (value: 'any' | readonly string[]) => (value === 'any' ? 'any' : value.length === 0 ? 'none' : 'list');
  return { origins: cors.origins === 'any' ? 'any' : 'list', credentials: cors.credentials, methods: list(cors.methods), headers: list(cors.headers), expose: cors.exposeHeaders.length > 0 };
}

/** An origin as browsers send it: http(s), a host of DNS or IPv4 characters, an optional port. */
const ANY_ORIGIN = '^https?://[a-z0-9.-]+(:[0-9]{1,5})?$';
/** What can be echoed as Access-Control-Allow-Methods / -Headers. */
const ASKED_METHOD = '^[A-Za-z]{1,32}$';
const ASKED_HEADERS = '^[A-Za-z0-9_.-]+( *, *[A-Za-z0-9_.-]+)*$';

const found = (name: string) => c.fragment`{ var(${c.ident(name)}) -m found }`;

/**
 * Request rules: the origin check (listed origins from `originsFile`), the
 * preflight and what it asks, the values for the answer, the 204.
 */
export function gatewayCorsRequestLines(cors: GatewayCors | undefined, originsFile: c.Safe, setting: CorsSetting): string[] {
  if (!cors) return [];
  const lines: string[] = [];
  const patterns = cors.origins === 'any' ? c.regex(ANY_ORIGIN) : c.fragment`-f ${originsFile}`;
  lines.push(c.line`  acl ${c.ident(ACL)} req.fhdr(origin) -m reg -i ${patterns}`);
  // Exactly one Origin header, so that the echoed value is the one that matched.
  lines.push(c.line`  http-request set-var(${c.ident(ORIGIN)}) req.fhdr(origin) if { req.fhdr_cnt(origin) eq 1 } ${c.ident(ACL)}`);
  if (cors.origins === 'any' && !cors.credentials) {
    lines.push(c.line`  http-request set-var(${c.ident(ORIGIN)}) str(*) if { req.fhdr_cnt(origin) eq 1 } !${found(ORIGIN)}`);
  }
  lines.push(c.line`  http-request set-var(${c.ident(PREFLIGHT)}) bool(true) if METH_OPTIONS { req.fhdr_cnt(origin) eq 1 } { req.fhdr_cnt(access-control-request-method) eq 1 }`);
  if (cors.methods === 'any') {
    lines.push(c.line`  http-request set-var(${c.ident(METHOD)}) req.fhdr(access-control-request-method) if ${found(PREFLIGHT)} { req.fhdr(access-control-request-method) -m reg ${c.regex(ASKED_METHOD)} }`);
  }
  if (cors.headers === 'any') {
    lines.push(
      c.line`  http-request set-var(${c.ident(HEADERS)}) req.fhdr(access-control-request-headers) if ${found(PREFLIGHT)} { req.fhdr_cnt(access-control-request-headers) eq 1 } { req.fhdr(access-control-request-headers) -m reg ${c.regex(ASKED_HEADERS)} }`,
    );
  }
  // Read once, before the preflight answer, for the response rules.
  lines.push(c.line`  http-request set-var(${c.ident(VALUES)}) ${setting('gw-cors')} if ${found(ORIGIN)}`);
  lines.push(c.line`  http-request return status 204 if ${found(PREFLIGHT)}`);
  return lines;
}

/** A field of the section's values (gatewayCorsValue): 1 headers, 2 exposed headers, 3 max-age, 4 methods. */
const value = (field: 1 | 2 | 3 | 4) => c.fragment`%[var(${c.ident(VALUES)}),field(${c.int(field)},;)]`;

/** A list header from the values, or `*` echoing what was asked (`asked`), as the spec's rules for `*` say. */
function listLines(name: 'Access-Control-Allow-Methods' | 'Access-Control-Allow-Headers', list: 'any' | readonly string[], field: 1 | 4, asked: string, credentials: boolean, when: c.Safe): string[] {
  const header = c.keyword(name, ['Access-Control-Allow-Methods', 'Access-Control-Allow-Headers']);
  if (list !== 'any') return list.length === 0 ? [] : [c.line`  http-after-response set-header ${header} ${value(field)} ${when}`];
  return [
    c.line`  http-after-response set-header ${header} %[var(${c.ident(asked)})] ${when} ${found(asked)}`,
    ...(credentials ? [] : [c.line`  http-after-response set-header ${header} ${c.headerText('*')} ${when} !${found(asked)}`]),
  ];
}

/** Response rules: the CORS headers on every answer to an allowed origin, the preflight's on the 204. */
export function gatewayCorsResponseLines(cors: GatewayCors | undefined): string[] {
  if (!cors) return [];
  const allowed = c.fragment`if ${found(ORIGIN)}`;
  const preflight = c.fragment`${allowed} ${found(PREFLIGHT)}`;
  return [
    c.line`  http-after-response set-header Access-Control-Allow-Origin %[var(${c.ident(ORIGIN)})] ${allowed}`,
    ...(cors.credentials ? [c.line`  http-after-response set-header Access-Control-Allow-Credentials ${c.headerText('true')} ${allowed}`] : []),
    ...(cors.exposeHeaders.length > 0 ? [c.line`  http-after-response set-header Access-Control-Expose-Headers ${value(2)} ${allowed}`] : []),
    ...listLines('Access-Control-Allow-Methods', cors.methods, 4, METHOD, cors.credentials, preflight),
    ...listLines('Access-Control-Allow-Headers', cors.headers, 1, HEADERS, cors.credentials, preflight),
    c.line`  http-after-response set-header Access-Control-Max-Age ${value(3)} ${preflight}`,
    '  http-after-response add-header Vary Origin',
  ];
}
