// Redirects answered by the proxy: force-ssl-redirect (ssl-redirect is read
// in tls.ts, where the redirect hosts are decided), force-ssl-forbid-http
// (403 instead of that redirect; ssl-forbid-http is joined in ssl-redirect.ts), permanent-redirect and
// temporal-redirect with their codes and relative-redirects, app-root. As in ingress-nginx, these
// answer before access lists and authentication are consulted.

import type { AnnotationGroup } from './group.js';
import type { FixedRedirect } from '../../model/features.js';
import type { AnnotationValues } from './values.js';

/** The codes HAProxy's `redirect` can send (ingress-nginx also allows 300, 304-306; see `portero migrate`). */
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * An absolute http(s) URL made of characters that need no quoting: no
 * spaces, quotes, backslashes or control bytes. Percent-escapes pass (they
 * are doubled for HAProxy's log-format when rendered).
 */
const URL = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][\x21\x23-\x26\x28-\x5b\x5d-\x7e]*)?$/;

export function checkUrl(value: string): string | undefined {
  if (value.length > 2048) return 'is longer than 2048 characters';
  if (!URL.test(value)) return 'must be an absolute http:// or https:// URL without spaces, quotes or backslashes';
  return undefined;
}

/** An absolute path without spaces, quotes or backslashes. */
const PATH = /^\/[\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;

function redirectCode(values: AnnotationValues, name: string, fallback: number): number {
  const code = values.int(name, 0, 999);
  if (code === undefined) return fallback;
  if (!REDIRECT_CODES.has(code)) {
    values.problem(name, `must be one of ${[...REDIRECT_CODES].join(', ')}`);
    return fallback;
  }
  return code;
}

/**
 * permanent-redirect / temporal-redirect: an absolute URL, or an absolute path
 * (never `//`, which clients read as another host), which nginx's `return`
 * makes absolute unless relative-redirects is "true".
 */
function fixedRedirect(values: AnnotationValues, name: string, codeName: string, fallback: number, relative: boolean): FixedRedirect | undefined {
  const location = values.string(name);
  const code = redirectCode(values, codeName, fallback);
  if (location === undefined) return undefined;
  if (location.startsWith('/')) {
    if (location.startsWith('//') || !PATH.test(location) || location.length > 2048) return values.problem(name, 'must be an absolute http:// or https:// URL, or a path starting with a single /, without spaces, quotes or backslashes');
    return { location, code, pathLocation: relative ? 'relative' : 'absolute' };
  }
  const problem = checkUrl(location);
  if (problem) return values.problem(name, `${problem}, or a path starting with /`);
  return { location, code };
}

export const redirects: AnnotationGroup = {
  annotations: {
    'ssl-redirect': { status: 'supported' },
    'force-ssl-redirect': { status: 'supported' },
    // URLs with nginx variables and the codes 300, 304-306 are refused (docs/annotations.md), so an accepted value behaves as in ingress-nginx.
    'permanent-redirect': { status: 'supported' },
    'permanent-redirect-code': { status: 'supported' },
    'temporal-redirect': { status: 'supported' },
    'temporal-redirect-code': { status: 'supported' },
    'app-root': { status: 'supported' },
    'relative-redirects': { status: 'supported' },
    'ssl-forbid-http': { status: 'supported' },
    'force-ssl-forbid-http': { status: 'supported' },
    'preserve-trailing-slash': { status: 'difference', note: 'Portero always keeps the trailing / in the HTTPS redirect (ingress-nginx strips it unless this is "true"), so "false" has no effect' },
  },
  read(values, features, settings) {
    values.bool('ssl-redirect'); // checked here; tls.ts decides the redirect hosts (sslRedirectOff)
    values.bool('preserve-trailing-slash'); // checked; the redirect keeps the path as asked whatever its value
    const relative = values.bool('relative-redirects') === true;
    const forceRedirect = values.bool('force-ssl-redirect') === true;
    if (forceRedirect) {
      features.httpsRedirect = true;
      if (settings.redirectCode !== undefined) features.httpsRedirectCode = settings.redirectCode;
    }
    // force-ssl-forbid-http: where force-ssl-redirect would redirect, 403 instead (every host of the Ingress).
    // ssl-forbid-http is checked here; its hosts (the Ingress's TLS hosts) are decided in ssl-redirect.ts.
    if (values.bool('force-ssl-forbid-http') === true && forceRedirect) features.httpForbidden = {};
    values.bool('ssl-forbid-http');
    // temporal-redirect wins over permanent-redirect, as in ingress-nginx.
    const redirect = fixedRedirect(values, 'temporal-redirect', 'temporal-redirect-code', 302, relative) ?? fixedRedirect(values, 'permanent-redirect', 'permanent-redirect-code', 301, relative);
    if (redirect) features.redirect = redirect;
    const appRoot = values.string('app-root');
    if (appRoot !== undefined) {
      if (!PATH.test(appRoot) || appRoot.length > 1024) values.problem('app-root', 'must be an absolute path (starting with /) without spaces, quotes or backslashes');
      else if (appRoot !== '/') features.appRoot = appRoot;
    }
  },
};
