// Response header rewrites (proxy-redirect-from/-to, proxy-cookie-domain,
// proxy-cookie-path) → `http-response replace-header` rules of the route's
// backend section. Pure.
//
// As nginx's proxy_redirect and proxy_cookie_*, they change the Service's
// answers only: `http-response` rules never see the answers the proxy makes
// itself (`http-request return`, redirects, errors). replace-header takes
// each header line on its own, whole (Set-Cookie values hold commas), so
// every Set-Cookie line of an answer is rewritten separately. A value the
// expression does not match is left as it is.
//
// Differences in detail from nginx, none of which changes what a browser
// reads: nginx rewrites every Domain (Path) attribute of a Set-Cookie line
// that matches, these rules the first one (a cookie has one); and nginx
// writes a rewritten line back with `; ` between its attributes, these rules
// keep its spacing.

import type { ResponseRewrites } from '../../../model/features.js';
import * as c from '../config-lines.js';

export function responseRewriteLines(rewrites: ResponseRewrites | undefined): string[] {
  if (!rewrites) return [];
  const lines: string[] = [];
  const rule = (header: string, kind: c.HeaderRewriteKind, from: string, to: string) =>
    c.line`  http-response replace-header ${c.fieldName(header)} ${c.headerRewriteRegex(kind, from)} ${c.headerRewriteFormat(kind, to)}`;
  const { redirect, cookieDomain, cookiePath } = rewrites;
  if (redirect) lines.push(rule('Location', 'location', redirect.from, redirect.to), rule('Refresh', 'refresh', redirect.from, redirect.to));
  if (cookieDomain) lines.push(rule('Set-Cookie', 'cookie-domain', cookieDomain.from, cookieDomain.to));
  if (cookiePath) lines.push(rule('Set-Cookie', 'cookie-path', cookiePath.from, cookiePath.to));
  return lines;
}
