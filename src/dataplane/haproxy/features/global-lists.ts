// The ingress-nginx ConfigMap's request and response rules of every frontend
// (model/globals.ts): block-user-agents, block-referers, proxy-set-headers,
// hide-headers, add-headers, and the paths exempt from the HTTPS redirects
// (no-tls-redirect-locations). Nothing is rendered for a key that is not
// set, so requests cost what they cost without them. Pure.

import { DEFAULT_NO_REDIRECT_PATHS, type BlockPattern, type GlobalSettings } from '../../../model/globals.js';
import * as c from '../config-lines.js';

/** One ACL line per entry: an exact string ignoring case (as nginx's map), or a regular expression searched in the value. */
function blockAcl(name: string, fetch: c.Safe, patterns: readonly BlockPattern[]): string[] {
  return patterns.map((pattern) => {
    if (pattern.kind === 'exact') return c.line`  acl ${c.ident(name)} ${fetch} -m str -i ${c.literalText(pattern.text)}`;
    return pattern.caseInsensitive ? c.line`  acl ${c.ident(name)} ${fetch} -m reg -i ${c.headerRegex(pattern.pattern)}` : c.line`  acl ${c.ident(name)} ${fetch} -m reg ${c.headerRegex(pattern.pattern)}`;
  });
}

/** block-user-agents and block-referers: 403 on every host, as nginx's `if ($block_ua) { return 403; }` in every server. The first header, as nginx's $http_user_agent. */
export function blockRequestLines(globals: GlobalSettings): string[] {
  const lines: string[] = [];
  if (globals.blockUserAgents) {
    lines.push(...blockAcl('portero_block_ua', c.fragment`req.fhdr(user-agent,1)`, globals.blockUserAgents), '  http-request deny deny_status 403 if portero_block_ua');
  }
  if (globals.blockReferers) {
    lines.push(...blockAcl('portero_block_referer', c.fragment`req.fhdr(referer,1)`, globals.blockReferers), '  http-request deny deny_status 403 if portero_block_referer');
  }
  return lines;
}

/** proxy-set-headers: set (or, without a value, removed) on every request; a route's own header rules, in its backend, come later and win. */
export function globalRequestHeaderLines(globals: GlobalSettings): string[] {
  return (globals.requestHeaders ?? []).map((header) =>
    header.value === undefined ? c.line`  http-request del-header ${c.fieldName(header.name)}` : c.line`  http-request set-header ${c.fieldName(header.name)} '${c.logFormatValue(header.value)}'`,
  );
}

/**
 * hide-headers: removed from the endpoints' responses (http-response runs on
 * those only). add-headers: set on every answer, as more_set_headers at http
 * level, where an Ingress's own custom-headers (in its backend's
 * http-after-response, which HAProxy runs before the frontend's) come later
 * and win: the endpoints' responses get the value first (http-response),
 * and the answers of the proxy itself, which skip http-response, get it
 * when the route did not set the header.
 */
export function globalResponseHeaderLines(globals: GlobalSettings): string[] {
  const lines = (globals.hideHeaders ?? []).map((name) => c.line`  http-response del-header ${c.fieldName(name)}`);
  for (const header of globals.responseHeaders ?? []) {
    const name = c.fieldName(header.name);
    if (header.value === undefined) {
      lines.push(c.line`  http-response del-header ${name}`);
      continue;
    }
    const value = c.logFormatValue(header.value);
    lines.push(c.line`  http-response set-header ${name} '${value}'`, c.line`  http-after-response set-header ${name} '${value}' if !{ res.hdr(${name}) -m found }`);
  }
  return lines;
}

/** The condition of an HTTPS redirect that keeps the no-tls-redirect-locations paths on plain HTTP: ` !{ path_beg ... }`, empty when none is exempt. */
export function redirectExemption(globals: GlobalSettings): c.Safe {
  const paths = globals.noRedirectPaths;
  // Without the key: ACME HTTP-01 challenges, as Portero always rendered them.
  if (paths === undefined) return c.fragment` !{ path_beg ${c.keyword(DEFAULT_NO_REDIRECT_PATHS[0]!, DEFAULT_NO_REDIRECT_PATHS)} }`;
  if (paths.length === 0) return c.fragment``;
  return c.fragment` !{ path_beg ${c.join(paths.map(c.matchText), ' ')} }`;
}
