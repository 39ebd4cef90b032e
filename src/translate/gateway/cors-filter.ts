// HTTPRoute CORS filter (HTTPCORSFilter) → GatewayCors. Pure.
//
// The CRD's grammar is wider than what reaches HAProxy: an origin may have
// any scheme and any host characters but `:/?#`, a header name any RFC 7230
// token character. Portero serves the subset below, which the renderer
// checks again (config-lines.ts gatewayOriginRegex, headerText); a value
// outside it is reported, so the rule answers 500 with UnsupportedValue
// rather than silently allowing less, or more, than asked.
//
// Semantics decided here (HTTPCORSFilter's comments, apis/v1):
// - `https://*.bar.com` matches `https://www.bar.com` and
//   `https://a.www.bar.com` (`*` is greedy to the left), never
//   `https://bar.com`; `https://*` matches any host.
// - An origin without a port also matches the scheme's default port, and
//   one with the default port also matches none: browsers omit it.
// - ExposeHeaders `*` means "all" only without credentials (it is a header
//   name to a credentialed request, per the Fetch standard), so with
//   allowCredentials it is dropped.

import type { GatewayCors } from '../../model/gateway-features.js';
import type { HTTPRouteFilter } from '../../objects/gateway-types.js';

export type CorsResult = { ok: true; cors: GatewayCors } | { ok: false; field: string; message: string };

const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
/** scheme, host (a name, `*` or `*.` and a name), port. */
const ORIGIN = new RegExp(`^(https?)://(\\*|(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*)(?::([0-9]{1,5}))?$`);
/** What the renderer accepts in a header list: letters, digits, `-`, `_`, `.`. */
const HEADER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const METHOD = /^[A-Z]{1,32}$/;
const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

class Refused extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The origin in its normal form (lowercase, the scheme's default port left out). */
function origin(text: string, field: string): string {
  const match = ORIGIN.exec(text.toLowerCase());
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || text.length > 253 || (port !== undefined && (port < 1 || port > 65535))) {
    throw new Refused(field, `origin ${JSON.stringify(text.slice(0, 253))} is not supported: http or https, a DNS name (optionally after '*.'), '*' or an IPv4 address, and an optional port`);
  }
  const [, scheme, host] = match;
  return port === undefined || port === DEFAULT_PORT[scheme!] ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
}

function headerNames(names: readonly string[], field: string, star: boolean): string[] {
  return names.map((name, index) => {
    if (star && name === '*') return name;
    if (!HEADER_NAME.test(name)) throw new Refused(`${field}[${index}]`, `header name ${JSON.stringify(name.slice(0, 128))} is not supported (letters, digits, '-', '_' and '.')`);
    return name;
  });
}

/** The filter's settings (`field` names them, e.g. `spec.rules[0].filters[1].cors`). */
export function corsFeature(cors: NonNullable<HTTPRouteFilter['cors']>, field: string): CorsResult {
  try {
    const credentials = cors.allowCredentials === true;
    const origins = cors.allowOrigins.includes('*') ? 'any' : [...new Set(cors.allowOrigins.map((text, index) => origin(text, `${field}.allowOrigins[${index}]`)))];
    cors.allowMethods.forEach((method, index) => {
      if (method !== '*' && !METHOD.test(method)) throw new Refused(`${field}.allowMethods[${index}]`, `method ${JSON.stringify(method.slice(0, 32))} is not supported`);
    });
    const methods = cors.allowMethods.includes('*') ? 'any' : [...cors.allowMethods];
    const headers = cors.allowHeaders.includes('*') ? 'any' : headerNames(cors.allowHeaders, `${field}.allowHeaders`, false);
    const expose = headerNames(cors.exposeHeaders, `${field}.exposeHeaders`, true);
    const maxAge = cors.maxAge ?? 5;
    if (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 2_147_483_647) throw new Refused(`${field}.maxAge`, 'must be a number of seconds from 1 to 2147483647');
    return {
      ok: true,
      cors: { origins, credentials, methods, headers, exposeHeaders: credentials ? expose.filter((name) => name !== '*') : expose, maxAgeSeconds: maxAge },
    };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}
