// CORS as ingress-nginx's template renders it, in two parts. In the request
// phase: whether the Origin is allowed (always with `*`; else one Origin
// header matching one of the origins, case-insensitively), remembered in a
// variable, and an OPTIONS request from an allowed origin answered 204 by
// the proxy. After the response, every answer to an allowed origin (the
// endpoint's, the 204, redirects and errors alike) gets the CORS headers.
// An OPTIONS request from another origin goes to the endpoint without them,
// as in ingress-nginx. The origins, the headers and the max-age are read at
// runtime (a pattern file and settings.map), so changing them needs no
// reload; so are the methods and whether credentials are allowed. The lists are sent as the annotations wrote
// them, as ingress-nginx does (`POST, GET`, `DNT, User-Agent`).

import type { Cors } from '../../../model/features.js';
import * as c from '../config-lines.js';

const ALLOWED = 'txn.portero_cors';

/** The lists a section sends, as written, or in the form of ingress-nginx's defaults. */
export function corsTexts(cors: Cors): { headers: string; expose: string; maxAgeSeconds: number; methods: string; credentials: boolean } {
  return {
    headers: cors.written?.headers ?? cors.headers.join(','),
    expose: cors.written?.exposeHeaders ?? cors.exposeHeaders.join(','),
    maxAgeSeconds: cors.maxAgeSeconds,
    methods: cors.written?.methods ?? cors.methods.join(', '),
    credentials: cors.credentials,
  };
}

/** The variable holding the section's CORS values (settings.map `cors`: headers, exposed headers, max-age, methods, credentials, `;` between them). */
const VALUES = 'txn.portero_cors_values';

/**
 * Request rules: the origin check and the preflight answer. A listed
 * origin is matched against the section's pattern file (`originsFile`,
 * source-lists.ts) and the response values come from settings.map
 * (`values`), so that new origins or values change at runtime.
 */
export function corsRequestLines(cors: Cors | undefined, originsFile: c.Safe, values: c.Safe): string[] {
  if (!cors) return [];
  const lines: string[] = [];
  const allowed = c.fragment`{ var(${c.ident(ALLOWED)}) -m found }`;
  if (cors.origins) {
    lines.push(c.line`  acl portero_cors_origin req.fhdr(origin) -m reg -i -f ${originsFile}`);
    // Exactly one Origin header, so that the echoed value is the one that matched.
    lines.push(c.line`  http-request set-var(${c.ident(ALLOWED)}) req.fhdr(origin) if { req.fhdr_cnt(origin) eq 1 } portero_cors_origin`);
  } else {
    lines.push(c.line`  http-request set-var(${c.ident(ALLOWED)}) str(*)`);
  }
  // Read once, before the preflight answer, for the response rules below.
  lines.push(c.line`  http-request set-var(${c.ident(VALUES)}) ${values} if ${allowed}`);
  lines.push(c.line`  http-request return status 204 if METH_OPTIONS ${allowed}`);
  return lines;
}

/** Response rules: the CORS headers on every answer to an allowed origin. */
export function corsResponseLines(cors: Cors | undefined): string[] {
  if (!cors) return [];
  const when = c.fragment`if { var(${c.ident(ALLOWED)}) -m found }`;
  const header = (name: (typeof HEADERS)[number], field: number) => c.line`  http-after-response set-header ${c.keyword(name, HEADERS)} %[var(${c.ident(VALUES)}),field(${c.int(field)},;)] ${when}`;
  return [
    c.line`  http-after-response set-header Access-Control-Allow-Origin %[var(${c.ident(ALLOWED)})] ${when}`,
    // cors-allow-credentials is the fifth value: a change is a map entry, not a reload.
    c.line`  http-after-response set-header Access-Control-Allow-Credentials ${c.headerText('true')} ${when} { var(${c.ident(VALUES)}),field(${c.int(5)},;) -m str true }`,
    header('Access-Control-Allow-Methods', 4),
    header('Access-Control-Allow-Headers', 1),
    ...(cors.exposeHeaders.length > 0 ? [header('Access-Control-Expose-Headers', 2)] : []),
    header('Access-Control-Max-Age', 3),
  ];
}

const HEADERS = ['Access-Control-Allow-Credentials', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Expose-Headers', 'Access-Control-Max-Age'] as const;
