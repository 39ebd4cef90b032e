// The ingress-nginx ConfigMap's global external authentication
// (global-auth-url and friends): checked here with the grammars of the
// auth-* annotations, then handed to every Ingress as auth-* values
// (annotations/index.ts decides which Ingresses take them).
//
// A bad global-auth-url must not open anything: ingress-nginx would refuse to
// load it, and Portero, which cannot check it against an Ingress, refuses the
// key with a warning. Requests are then not authenticated, exactly as when the
// key is absent, and the warning says so.

import type { GlobalAuthDefaults } from './annotations/group.js';
import { HEADER_NAME, METHODS, PARAM, parseAuthUrl, parseSignin } from './annotations/ext-auth.js';
import type { Reader } from './configmap.js';

/** ingress-nginx's default for no-auth-locations. */
const DEFAULT_EXEMPT = ['/.well-known/acme-challenge'];
const PATH_PREFIX = /^\/[A-Za-z0-9._~!&()*+,;=:@\/-]{0,255}$/;

export function readGlobalAuth(reader: Reader): GlobalAuthDefaults | undefined {
  const exemptPaths = exempt(reader);
  if (reader.raw('global-auth-snippet') !== undefined) reader.note('global-auth-snippet', 'snippets are never pasted; the key is ignored');
  for (const key of ['global-auth-cache-key', 'global-auth-cache-duration']) {
    if (reader.raw(key) !== undefined) reader.note(key, 'accepted and ignored: auth answers are not cached, every request asks the auth service');
  }
  const url = reader.raw('global-auth-url');
  if (url === undefined || url === '') return undefined;
  const parsed = parseAuthUrl(url);
  if (!parsed.ok) return reader.problem('global-auth-url', `${parsed.message}; requests are NOT authenticated globally`);

  const values: Record<string, string> = { 'auth-url': url };
  const method = reader.raw('global-auth-method');
  if (method !== undefined && method !== '') {
    if (!METHODS.has(method)) reader.problem('global-auth-method', `must be one of ${[...METHODS].join(', ')}; GET is used`);
    else values['auth-method'] = method;
  }
  const signin = reader.raw('global-auth-signin');
  if (signin !== undefined && signin !== '') {
    const checked = parseSignin(signin);
    if (!checked.ok) reader.problem('global-auth-signin', `${checked.message}; unauthenticated requests get the 401`);
    else values['auth-signin'] = signin;
  }
  const param = reader.raw('global-auth-signin-redirect-param');
  if (param !== undefined && param !== '') {
    if (!PARAM.test(param)) reader.problem('global-auth-signin-redirect-param', 'must be a parameter name (letters, digits, _, . and -); rd is used');
    else values['auth-signin-redirect-param'] = param;
  }
  const headers = reader.raw('global-auth-response-headers');
  if (headers !== undefined && headers !== '') {
    const names = headers.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const bad = names.find((name) => !HEADER_NAME.test(name));
    if (bad !== undefined) reader.problem('global-auth-response-headers', `${JSON.stringify(bad)} is not a header name; no header is copied`);
    else values['auth-response-headers'] = names.join(',');
  }
  const redirect = reader.raw('global-auth-request-redirect');
  if (redirect !== undefined && redirect !== '') {
    if (!/^[\x21\x25-\x26\x28-\x5b\x5d-\x7e]{1,2048}$/.test(redirect)) reader.problem('global-auth-request-redirect', 'must be printable text without spaces, quotes, backslashes, # or nginx variables');
    else values['auth-request-redirect'] = redirect;
  }
  const always = reader.bool('global-auth-always-set-cookie');
  if (always !== undefined) values['auth-always-set-cookie'] = String(always);
  return { values, exemptPaths };
}

function exempt(reader: Reader): string[] {
  const value = reader.raw('no-auth-locations');
  if (value === undefined) return DEFAULT_EXEMPT;
  const out: string[] = [];
  for (const item of value.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    if (!PATH_PREFIX.test(item)) {
      reader.problem('no-auth-locations', `${JSON.stringify(item)} is not a path; ingress-nginx's default (/.well-known/acme-challenge) is used`);
      return DEFAULT_EXEMPT;
    }
    out.push(item);
  }
  return out;
}
