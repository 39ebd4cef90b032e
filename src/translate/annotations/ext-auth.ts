// External authentication (auth-url and friends): before a request reaches
// its Service, an auth service is asked with a subrequest; only a 2xx answer
// lets the request through (see features/ext-auth.ts for the data plane).
//
// The data plane has no DNS, so the auth URL's host must be something the
// snapshot can resolve: a cluster Service name (`svc.ns.svc` or
// `svc.ns.svc.cluster.local`), resolved by translate to the Service's ready
// endpoints, or a literal IP address. Other host names are refused. nginx
// variables (`$host`, ...) are refused in every URL: none of them is pasted.
//
// As in ingress-nginx, an invalid value does not open the location: its paths
// answer 503 (fail closed).

import { describe } from '../../objects/grammar.js';
import { isIP } from 'node:net';
import type { ExternalAuth, ServiceTarget } from '../../model/features.js';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

const FAIL_CLOSED = { failClosed: true } as const;

/** ingress-nginx's list for auth-method, and those HAProxy 2.6's HTTP client (core.httpclient) can send. */
const NGINX_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);
export const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);

/** Path and query characters: RFC 3986's pchar without `$` (nginx variables) and `'`, `%` only as an escape. */
const PATH = /^\/(?:[A-Za-z0-9._~!&()*+,;=:@\/-]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9._~!&()*+,;=:@\/?-]|%[0-9A-Fa-f]{2})*)?$/;

const LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
/** `<service>.<namespace>.svc[.cluster.local]`: the names ingress-nginx users write for in-cluster auth services. */
const SERVICE_HOST = new RegExp(`^(${LABEL})\\.(${LABEL})\\.svc(?:\\.cluster\\.local)?$`);

/** A header name, and those never copied from the auth answer: they frame or route the upstream request. */
export const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const NEVER_COPIED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'expect']);

/** A parameter name (auth-signin-redirect-param). */
export const PARAM = /^[A-Za-z0-9_.-]{1,64}$/;

/** Printable ASCII without spaces, quotes, backslashes, `#` or `$`: what a header value or URL may hold here. */
const TEXT = /^[\x21\x25-\x26\x28-\x5b\x5d-\x7e]{1,2048}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** auth-url → where the subrequest goes, its Host header and its path. */
export function parseAuthUrl(url: string): Parsed<Pick<ExternalAuth, 'target' | 'host' | 'path'>> {
  if (url.includes('$')) return { ok: false, message: 'nginx variables ($...) are not supported in auth-url' };
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[0-9A-Fa-f:.]+\]|[^\/:?#\[\]]+)(?::([0-9]{1,5}))?([\/?].*)?$/.exec(url);
  if (!match) return { ok: false, message: 'must be an absolute http:// URL' };
  const authority = httpAuthority(match, 'https auth URLs are not supported yet; use the auth service\'s plain-HTTP port');
  if (!authority.ok) return authority;
  const { rawHost, port } = authority.value;
  let path = match[4] ?? '/';
  if (path.startsWith('?')) path = `/${path}`;
  if (path.length > 2048 || !PATH.test(path)) return { ok: false, message: 'its path or query holds characters Portero does not accept (spaces, quotes, backslashes, #, or % not followed by two hex digits)' };
  const hostHeader = match[3] === undefined ? rawHost : `${rawHost}:${port}`;
  const target = hostTarget(rawHost, port, 'auth services');
  return target.ok ? { ok: true, value: { target: target.value, host: hostHeader, path } } : target;
}

/** A matched URL's scheme, host and port (groups 1 to 3): http only (`https` refused with `httpsMessage`), the host lowercase, the port 80 by default. */
export function httpAuthority(match: RegExpExecArray, httpsMessage: string): Parsed<{ rawHost: string; port: number }> {
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'https') return { ok: false, message: httpsMessage };
  if (scheme !== 'http') return { ok: false, message: 'must be an http:// URL' };
  const port = match[3] === undefined ? 80 : Number(match[3]);
  if (port < 1 || port > 65535) return { ok: false, message: `port ${match[3]} is out of range` };
  return { ok: true, value: { rawHost: match[2]!.toLowerCase(), port } };
}

/**
 * A URL's host (lowercase; IPv6 in brackets) and port → what the data plane
 * can reach without DNS: an IP literal, or a Service name
 * `<service>.<namespace>.svc[.cluster.local]`; `what` names the kind of
 * service in the refusal.
 */
export function hostTarget(rawHost: string, port: number, what: string): Parsed<ServiceTarget> {
  const literal = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (isIP(literal) !== 0) {
    if (literal.includes('%')) return { ok: false, message: 'IPv6 zones are not supported' };
    return { ok: true, value: { kind: 'address', address: literal, port } };
  }
  const service = SERVICE_HOST.exec(rawHost);
  if (!service) {
    return {
      ok: false,
      message: `host ${describe(rawHost)} cannot be resolved: Portero reaches ${what} by a Service name (<service>.<namespace>.svc[.cluster.local]) or an IP address, without DNS`,
    };
  }
  return { ok: true, value: { kind: 'service', namespace: service[2]!, name: service[1]!, port } };
}

/** auth-signin: an absolute http(s) URL without nginx variables. */
export function parseSignin(url: string): Parsed<string> {
  if (url.includes('$')) return { ok: false, message: 'nginx variables ($...) are not supported in auth-signin; the redirect parameter is appended as ingress-nginx does' };
  if (!TEXT.test(url) || !/^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[\/?]|$)/i.test(url)) {
    return { ok: false, message: 'must be an absolute http(s) URL of printable characters (no spaces, quotes, backslashes or #)' };
  }
  return { ok: true, value: url };
}

function check<T>(values: AnnotationValues, name: string, parsed: Parsed<T>): T | undefined {
  return parsed.ok ? parsed.value : values.problem(name, parsed.message, FAIL_CLOSED);
}

function responseHeaders(values: AnnotationValues): string[] | undefined {
  const items = values.list('auth-response-headers') ?? [];
  const out: string[] = [];
  for (const item of items) {
    const name = item.toLowerCase();
    if (!HEADER_NAME.test(item)) return values.problem('auth-response-headers', `${describe(item)} is not a header name`, FAIL_CLOSED);
    if (NEVER_COPIED.has(name)) return values.problem('auth-response-headers', `${item} cannot be copied from the auth answer`, FAIL_CLOSED);
    if (!out.includes(name)) out.push(name);
  }
  if (out.length > 32) return values.problem('auth-response-headers', 'names more than 32 headers', FAIL_CLOSED);
  return out;
}

function readExternalAuth(values: AnnotationValues): ExternalAuth | undefined {
  const url = values.string('auth-url');
  // Read them all, so that every invalid one is reported.
  const method = values.string('auth-method');
  const headers = responseHeaders(values);
  const signinText = values.string('auth-signin');
  const param = values.string('auth-signin-redirect-param');
  const redirect = values.string('auth-request-redirect');
  const always = values.bool('auth-always-set-cookie');
  if (url === undefined) return undefined;
  const parsed = check(values, 'auth-url', parseAuthUrl(url));
  if (method !== undefined && !METHODS.has(method)) {
    const why = NGINX_METHODS.has(method) ? 'is not supported by the data plane\'s HTTP client; use' : 'must be one of';
    values.problem('auth-method', `${why} ${[...METHODS].join(', ')}`, FAIL_CLOSED);
  }
  const signin = signinText === undefined ? undefined : check(values, 'auth-signin', parseSignin(signinText));
  if (param !== undefined && !PARAM.test(param)) values.problem('auth-signin-redirect-param', 'must be a parameter name (letters, digits, _, . and -)', FAIL_CLOSED);
  if (redirect !== undefined && !TEXT.test(redirect)) values.problem('auth-request-redirect', 'must be printable text without spaces, quotes, backslashes, # or nginx variables', FAIL_CLOSED);
  if (!parsed || headers === undefined) return undefined;
  return {
    ...parsed,
    method: method !== undefined && METHODS.has(method) ? method : 'GET',
    responseHeaders: headers,
    ...(signin !== undefined ? { signin } : {}),
    signinParam: param !== undefined && PARAM.test(param) ? param : 'rd',
    ...(redirect !== undefined && TEXT.test(redirect) ? { requestRedirect: redirect } : {}),
    alwaysSetCookie: always === true,
  };
}

export const externalAuth: AnnotationGroup = {
  annotations: {
    'auth-url': {
      status: 'difference',
      note: 'http:// only, to a Service name (<svc>.<ns>.svc[.cluster.local]) or an IP address; other host names and nginx variables are refused',
    },
    'auth-method': { status: 'difference', note: 'GET, HEAD, POST, PUT or DELETE; PATCH, OPTIONS, CONNECT and TRACE are refused' },
    'auth-response-headers': { status: 'supported' },
    'auth-signin': { status: 'difference', note: 'nginx variables are refused; the redirect parameter is appended as ingress-nginx does' },
    'auth-signin-redirect-param': { status: 'supported' },
    'auth-request-redirect': { status: 'supported' },
    'auth-always-set-cookie': { status: 'difference', note: 'on a refusal (401/403), only the first Set-Cookie of the auth answer is passed on' },
    'auth-cache-key': { status: 'ignored', note: 'auth answers are not cached: every request asks the auth service' },
    'auth-cache-duration': { status: 'ignored', note: 'auth answers are not cached: every request asks the auth service' },
    'auth-keepalive': { status: 'ignored', note: 'connections to the auth service are managed by HAProxy' },
    'auth-keepalive-requests': { status: 'ignored', note: 'connections to the auth service are managed by HAProxy' },
    'auth-keepalive-timeout': { status: 'ignored', note: 'connections to the auth service are managed by HAProxy' },
    'auth-keepalive-share-vars': { status: 'ignored', note: 'connections to the auth service are managed by HAProxy' },
    'auth-proxy-set-headers': { status: 'difference', note: 'refused (its paths answer 503): headers from a ConfigMap are not supported yet' },
    'enable-global-auth': { status: 'difference', note: 'opts out of the ConfigMap\'s global-auth-url; no-auth-locations exempts whole Ingresses whose paths all lie under them, not single paths' },
  },
  read(values, features) {
    const auth = readExternalAuth(values);
    if (values.string('auth-proxy-set-headers') !== undefined) {
      values.problem('auth-proxy-set-headers', 'headers from a ConfigMap are not supported yet; the paths answer 503 rather than ask the auth service without them', FAIL_CLOSED);
    }
    values.bool('enable-global-auth');
    // Ignored, but checked as ingress-nginx checks them, so that a wrong value is reported.
    values.int('auth-keepalive', 0, 1_000_000);
    values.int('auth-keepalive-requests', 0, 1_000_000);
    values.int('auth-keepalive-timeout', 0, 86_400);
    values.bool('auth-keepalive-share-vars');
    // nginx variables and durations, never evaluated: read only.
    for (const name of ['auth-cache-key', 'auth-cache-duration']) values.raw(name);
    if (auth) features.externalAuth = auth;
  },
};
