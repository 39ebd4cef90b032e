// External authentication (auth-url) in a backend section: the Lua action
// (ext-auth-lua.ts) asks the auth service and records its status; the rules
// here decide, in ingress-nginx's order:
//   2xx          → the request goes on (auth-response-headers already copied)
//   401          → 302 to auth-signin with `rd=<scheme>://<host><escaped uri>`
//                  appended, when auth-signin is set; else 401
//   403          → 403
//   anything else, no answer, a timeout, an error → 500
// The last rule refuses every request whose status is not a 2xx, so an
// unset or unexpected status can only ever refuse (CVE-2026-24513).

import type { Endpoint } from '../../../model/model.js';
import type { ExternalAuth } from '../../../model/features.js';
import * as c from '../config-lines.js';
import { EXT_AUTH_ACTION, EXT_AUTH_COOKIE_ACTION } from './ext-auth-lua.js';
import { endpointsArg } from './lua-common.js';

/** The auth service's status, recorded by the Lua action (ext-auth-lua.ts). */
export const STATUS = c.fragment`var(txn.portero_auth_status)`;
/** The statuses nginx's add_header (without `always`) adds the auth cookies to. */
const COOKIE_STATUSES = c.fragment`200 201 204 206 301 302 303 304 307 308`;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

function headerList(names: readonly string[]): c.Safe {
  if (names.length === 0) return c.luaArg('-');
  return c.join(
    names.map((name) => c.headerName(name)),
    ',',
  );
}

/** `rd=<scheme>://<host><escaped uri>` appended to the sign-in URL unless it has the parameter already. */
function signinLocation(auth: ExternalAuth & { signin: string }): c.Safe {
  const url = auth.signin;
  const query = url.indexOf('?');
  const has = query >= 0 && url.slice(query + 1).split('&').some((pair) => pair.split('=')[0] === auth.signinParam);
  if (has) return c.fragment`${c.logFormatText(url)}`;
  const separator = query >= 0 ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?';
  return c.fragment`${c.logFormatText(`${url}${separator}${auth.signinParam}=`)}%[ssl_fc,iif(https,http)]://%[req.hdr(host)]%[pathq,url_enc]`;
}

/** The answer of a refusal, without its condition; `extra`: more `hdr` arguments (basic auth's challenge, features/access.ts). */
export function extAuthRefusal(status: 401 | 403 | 500, auth: ExternalAuth, extra: c.Safe = c.fragment``): c.Safe {
  const text = { 401: c.fragment`401 Unauthorized`, 403: c.fragment`403 Forbidden`, 500: c.fragment`500 Internal Server Error` }[status];
  // An empty header value (an unset variable) is left out of the answer by HAProxy.
  const cookie = auth.alwaysSetCookie ? c.fragment` hdr set-cookie %[var(txn.portero_auth_cookie)]` : c.fragment``;
  const challenge = status === 401 ? c.fragment` hdr www-authenticate %[var(txn.portero_auth_www)]` : c.fragment``;
  return c.fragment`  http-request return status ${c.int(status)} content-type text/plain string "${text}"${cookie}${extra}${challenge}`;
}

/** The rule that asks the auth service (and records its answer); with `unless`, not when that condition holds (features/access.ts). */
export function extAuthAskLine(auth: ExternalAuth, endpoints: readonly Endpoint[], unless?: c.Safe): string {
  const addresses = endpointsArg(endpoints);
  const condition = unless ? c.fragment` if !${unless}` : c.fragment``;
  return c.line`  http-request lua.${c.ident(EXT_AUTH_ACTION)} ${addresses} ${c.luaArg(auth.host)} ${c.luaArg(auth.path)} ${c.keyword(auth.method, METHODS)} ${headerList(auth.responseHeaders)} ${c.luaArg(auth.requestRedirect ?? '-')}${condition}`;
}

/** The 302 to auth-signin of a refused request, without its condition; undefined without auth-signin. */
export function extAuthSignin(auth: ExternalAuth): c.Safe | undefined {
  if (auth.signin === undefined) return undefined;
  return c.fragment`  http-request redirect location '${signinLocation({ ...auth, signin: auth.signin })}' code 302`;
}

/** The request rules of a backend with external auth; `endpoints` are the auth service's (empty: every request answers 500). */
export function extAuthRequestLines(auth: ExternalAuth, endpoints: readonly Endpoint[]): string[] {
  const lines = [extAuthAskLine(auth, endpoints)];
  const signin = extAuthSignin(auth);
  if (signin !== undefined) lines.push(c.line`${signin} if { ${STATUS} -m int 401 }`);
  lines.push(c.line`${extAuthRefusal(401, auth)} if { ${STATUS} -m int 401 }`);
  lines.push(c.line`${extAuthRefusal(403, auth)} if { ${STATUS} -m int 403 }`);
  lines.push(c.line`${extAuthRefusal(500, auth)} unless { ${STATUS} -m int ge 200 } { ${STATUS} -m int lt 300 }`);
  return lines;
}

/** The response rule: the auth answer's Set-Cookie reaches the client (on nginx's statuses, or always). */
export function extAuthResponseLines(auth: ExternalAuth | undefined): string[] {
  if (!auth) return [];
  const when = auth.alwaysSetCookie ? c.fragment`` : c.fragment` { status ${COOKIE_STATUSES} }`;
  return [c.line`  http-response lua.${c.ident(EXT_AUTH_COOKIE_ACTION)} if { var(txn.portero_auth_cookies) -m found }${when}`];
}
