// What the features of a backend (annotations, Gateway API filters) do to a
// request, in words, in the order the data plane applies them
// (dataplane/haproxy/render-features.ts), and whether one answers the
// request itself. Pure.

import { satisfiesAny, type Features } from '../model/features.js';
import { exemptFromHttpsRedirect, type GlobalSettings } from '../model/globals.js';
import type { GatewayFilters, HeaderEdits, PathChange } from '../model/gateway-features.js';
import type { FeatureNote } from './types.js';

/** What the features answer by themselves, when they decide without the client address or credentials. */
export interface FeatureAnswer {
  status: number;
  location?: string;
}

export interface RequestFacts {
  scheme: 'http' | 'https';
  /** The Host header as sent. */
  hostHeader: string;
  /** The routed path and query. */
  pathWithQuery: string;
  method: string;
  headers: readonly (readonly [string, string])[];
  httpsPort: number;
  /** The ConfigMap's globals (no-tls-redirect-locations). */
  globals?: GlobalSettings;
}

const list = (items: readonly string[]) => items.join(', ');

function edits(what: string, change: HeaderEdits): string {
  const parts = [
    ...change.set.map((header) => `sets ${header.name}: ${header.value}`),
    ...change.add.map((header) => `adds ${header.name}: ${header.value}`),
    ...change.remove.map((name) => `removes ${name}`),
  ];
  return `${what}: ${parts.join('; ')}`;
}

/** The path after a PathChange (a prefix replaced element-wise, or the whole path), the query kept. */
export function changePath(change: PathChange, pathWithQuery: string): string {
  const mark = pathWithQuery.indexOf('?');
  const path = mark === -1 ? pathWithQuery : pathWithQuery.slice(0, mark);
  const query = mark === -1 ? '' : pathWithQuery.slice(mark);
  if (change.kind === 'full') return `${change.path}${query}`;
  const rest = path.slice(change.prefix.length);
  return `${`${change.replacement}${rest}` || '/'}${query}`;
}

function gatewayNotes(filters: GatewayFilters, request: RequestFacts): { notes: FeatureNote[]; answer?: FeatureAnswer } {
  const notes: FeatureNote[] = [];
  let answer: FeatureAnswer | undefined;
  if (filters.cors) notes.push({ name: 'cors', detail: `Gateway CORS filter: preflights answered by Portero; origins ${filters.cors.origins === 'any' ? 'any' : list(filters.cors.origins) || 'none'}` });
  if (filters.redirect) {
    const redirect = filters.redirect;
    const scheme = redirect.scheme ?? redirect.listenerScheme;
    const host = redirect.hostname ?? (request.hostHeader.split(':')[0] ?? '').toLowerCase();
    const port = redirect.port === (scheme === 'https' ? 443 : 80) ? '' : `:${redirect.port}`;
    const path = redirect.path ? changePath(redirect.path, request.pathWithQuery) : request.pathWithQuery;
    answer = { status: redirect.code, location: `${scheme}://${host}${port}${path}` };
    notes.push({ name: 'redirect', detail: `RequestRedirect filter: ${redirect.code} to ${answer.location}`, answers: true });
  }
  if (filters.requestHeaders) notes.push({ name: 'request-headers', detail: edits('RequestHeaderModifier', filters.requestHeaders) });
  if (filters.rewritePath) notes.push({ name: 'rewrite', detail: `URLRewrite: the backend receives ${changePath(filters.rewritePath, request.pathWithQuery)}` });
  if (filters.rewriteHost) notes.push({ name: 'rewrite-host', detail: `URLRewrite: the backend receives Host ${filters.rewriteHost}` });
  if (filters.requestTimeoutMs !== undefined) notes.push({ name: 'timeouts', detail: `request timeout ${filters.requestTimeoutMs} ms (0: none)` });
  if (filters.backendTimeoutMs !== undefined) notes.push({ name: 'timeouts', detail: `backend request timeout ${filters.backendTimeoutMs} ms (0: none)` });
  if (filters.responseHeaders) notes.push({ name: 'response-headers', detail: edits('ResponseHeaderModifier', filters.responseHeaders) });
  return { notes, ...(answer ? { answer } : {}) };
}

/** The notes of a backend's features, and the answer they give when they answer the request themselves. */
export function describeFeatures(features: Features | undefined, request: RequestFacts): { notes: FeatureNote[]; answer?: FeatureAnswer; depends: string[] } {
  const notes: FeatureNote[] = [];
  const depends: string[] = [];
  let answer: FeatureAnswer | undefined;
  const answers = (status: number, location?: string) => {
    answer ??= { status, ...(location !== undefined ? { location } : {}) };
  };
  if (!features) return { notes, depends };
  const path = request.pathWithQuery.split('?')[0] ?? '';
  if (features.passthrough) notes.push({ name: 'ssl-passthrough', detail: 'TLS is passed to the endpoints as it is (by SNI); Portero sees no HTTP' });
  if (features.timeouts?.connectSeconds !== undefined) notes.push({ name: 'timeouts', detail: `connect timeout ${features.timeouts.connectSeconds} s` });
  if (features.timeouts?.serverSeconds !== undefined) notes.push({ name: 'timeouts', detail: `read/send timeout ${features.timeouts.serverSeconds} s` });
  if (features.appRoot !== undefined) {
    const applies = path === '/';
    notes.push({ name: 'app-root', detail: `requests for / are redirected (302) to ${features.appRoot}${applies ? '' : ' (not this one)'}`, ...(applies ? { answers: true } : {}) });
    if (applies) answers(302, `${request.scheme}://${request.hostHeader}${features.appRoot}`);
  }
  if (features.gateway) {
    const gateway = gatewayNotes(features.gateway, request);
    notes.push(...gateway.notes);
    if (gateway.answer) answers(gateway.answer.status, gateway.answer.location);
  }
  if (features.hostRedirect) {
    notes.push({ name: 'from-to-www-redirect', detail: `redirected (${features.hostRedirect.code}) to host ${features.hostRedirect.host}`, answers: true });
    depends.push('from-to-www-redirect: the Location keeps the scheme and port of the request');
    answers(features.hostRedirect.code);
  }
  if (features.denied) {
    notes.push({ name: 'denied', detail: 'an access-control annotation has an invalid value: every request answers 503', answers: true });
    answers(503);
  }
  if (features.cors) notes.push({ name: 'cors', detail: `enable-cors: ${features.cors.origins ? `origins ${list(features.cors.origins)}` : 'any origin'}; methods ${list(features.cors.methods)}; preflights (OPTIONS) answered 204 by Portero` });
  if (features.cors && !features.denied && request.method === 'OPTIONS' && corsAllows(features.cors.origins, request.headers)) answers(204);
  if (features.redirect) {
    notes.push({ name: 'redirect', detail: `permanent-redirect/temporal-redirect: ${features.redirect.code} to ${features.redirect.location}`, answers: true });
    if (features.redirect.pathLocation === 'absolute') {
      depends.push('permanent-redirect/temporal-redirect: the path is made absolute with the scheme, Host and port of the request');
      answers(features.redirect.code);
    } else answers(features.redirect.code, features.redirect.location);
  }
  if (features.httpForbidden) {
    const hosts = features.httpForbidden.hosts;
    const host = (request.hostHeader.split(':')[0] ?? '').toLowerCase();
    const dot = host.indexOf('.');
    const onHost = hosts === undefined || hosts.includes(host) || (dot > 0 && hosts.includes(`*${host.slice(dot)}`));
    const applies = request.scheme === 'http' && onHost && !exemptFromHttpsRedirect(request.globals, path);
    notes.push({ name: hosts ? 'ssl-forbid-http' : 'force-ssl-forbid-http', detail: `plain HTTP is answered 403${hosts ? ` on ${list(hosts)}` : ''} instead of redirected to HTTPS`, ...(applies ? { answers: true } : {}) });
    if (applies) answers(403);
  }
  if (features.httpsRedirect) {
    const applies = request.scheme === 'http' && !exemptFromHttpsRedirect(request.globals, path);
    notes.push({ name: 'force-ssl-redirect', detail: `plain HTTP is redirected (${features.httpsRedirectCode ?? 308}) to HTTPS`, ...(applies ? { answers: true } : {}) });
    if (applies) {
      const port = request.httpsPort === 443 ? '' : `:${request.httpsPort}`;
      answers(features.httpsRedirectCode ?? 308, `https://${(request.hostHeader.split(':')[0] ?? '').toLowerCase()}${port}${request.pathWithQuery}`);
    }
  }
  if (features.snippet) {
    const snippet = features.snippet;
    notes.push({ name: 'snippet', detail: `configuration-snippet/server-snippet: ${snippet.request.length} request header change(s), ${snippet.response.length} response header change(s), ${snippet.access.length} access rule(s)${snippet.answer ? `, answers ${snippet.answer.code}` : ''}`, ...(snippet.answer ? { answers: true } : {}) });
    if (snippet.answer) answers(snippet.answer.code, snippet.answer.location);
    if (snippet.access.length > 0) depends.push('snippet allow/deny rules: the client address');
  }
  if (features.limits) {
    const limits = features.limits;
    const parts = [limits.rps !== undefined ? `${limits.rps} requests/s` : '', limits.rpm !== undefined ? `${limits.rpm} requests/min` : '', limits.connections !== undefined ? `${limits.connections} concurrent` : ''].filter(Boolean);
    notes.push({ name: 'limits', detail: `per client address (zone ${limits.zone}): ${parts.join(', ')}, burst ×${limits.burstMultiplier}; over the limit: 503` });
    depends.push('limit-*: how many requests the client sent recently');
  }
  if (features.denySources) {
    notes.push({ name: 'denylist-source-range', detail: `clients in ${list(features.denySources)} get 403` });
    depends.push('denylist-source-range: the client address');
  }
  if (features.allowSources) {
    notes.push({ name: 'allowlist-source-range', detail: `only clients in ${list(features.allowSources)} are served; others get 403` });
    depends.push('allowlist-source-range: the client address');
  }
  const any = satisfiesAny(features);
  if (any) {
    notes.push({ name: 'satisfy', detail: 'satisfy: any: the first access check that lets the request in (source lists, then basic auth, then auth-url) is enough' });
    depends.push('satisfy: any: which access check lets the request in');
  }
  if (features.basicAuth) {
    const sent = request.headers.some(([name]) => name.toLowerCase() === 'authorization');
    notes.push({ name: 'basic-auth', detail: `basic authentication (realm ${JSON.stringify(features.basicAuth.realm)}, users of Secret ${features.basicAuth.secret}): 401 without valid credentials` });
    if (sent) depends.push('basic-auth: whether the credentials sent are valid');
    else if (!any) answers(401);
  }
  if (features.externalAuth) {
    const auth = features.externalAuth;
    const target = auth.target.kind === 'service' ? `Service ${auth.target.namespace}/${auth.target.name}:${auth.target.port}` : `${auth.target.address}:${auth.target.port}`;
    notes.push({ name: 'external-auth', detail: `auth-url: ${auth.method} http://${auth.host}${auth.path} (${target}) must answer 2xx first${auth.signin ? `; a 401 redirects to ${auth.signin}` : ''}` });
    depends.push('auth-url: what the auth service answers');
  }
  if (features.maxBodyBytes !== undefined) notes.push({ name: 'proxy-body-size', detail: `bodies over ${features.maxBodyBytes} bytes get 413` });
  for (const mirror of features.mirrors ?? []) {
    const target = mirror.target.kind === 'service' ? `Service ${mirror.target.namespace}/${mirror.target.name}:${mirror.target.port}` : `${mirror.target.address}:${mirror.target.port}`;
    const share = mirror.fraction ? `${mirror.fraction.numerator} of every ${mirror.fraction.denominator} requests` : 'every request';
    notes.push({ name: 'mirror', detail: `${share} copied to ${target}${mirror.host ? ` with Host ${mirror.host}` : ''}${mirror.body ? '' : ', without its body'}; the answer does not wait for the copy` });
  }
  if (features.rewrite) {
    const target = rewrittenPath(features.rewrite.pattern, features.rewrite.target, request.pathWithQuery);
    notes.push({ name: 'rewrite', detail: `rewrite-target: ${target === undefined ? 'the path does not match the pattern; not rewritten' : `the backend receives ${target}`}` });
  }
  if (features.upstreamHost !== undefined) notes.push({ name: 'upstream-vhost', detail: `the backend receives Host ${features.upstreamHost}` });
  if (features.forwardedPrefix !== undefined) notes.push({ name: 'x-forwarded-prefix', detail: `X-Forwarded-Prefix: ${features.forwardedPrefix}` });
  if (features.connectionHeader !== undefined) notes.push({ name: 'connection-proxy-header', detail: `Connection: ${features.connectionHeader}` });
  if (features.nextUpstream) notes.push({ name: 'proxy-next-upstream', detail: features.nextUpstream.on.length === 0 ? 'failed attempts are not retried' : `retried on ${list(features.nextUpstream.on)}, ${features.nextUpstream.tries} tries in all` });
  if (features.upstream) notes.push({ name: 'backend-protocol', detail: `to the endpoints: ${features.upstream.kind}` });
  if (features.affinity) notes.push({ name: 'affinity', detail: `sticky sessions by cookie ${features.affinity.name}` });
  if (features.balance) notes.push({ name: 'load-balance', detail: features.balance.kind === 'hash' ? `consistent hash of ${features.balance.by}${'name' in features.balance ? ` ${features.balance.name}` : ''}` : features.balance.kind });
  if (features.serviceUpstream) notes.push({ name: 'service-upstream', detail: 'to the Service ClusterIP, not the pod addresses' });
  if (features.defaultBackend) notes.push({ name: 'default-backend', detail: `Service ${features.defaultBackend.service} answers while the Service has no ready endpoint` });
  if (features.customErrors) notes.push({ name: 'custom-http-errors', detail: `answers ${features.customErrors.codes.join(', ')} are replaced by the default backend's` });
  if (features.responseHeaders) notes.push({ name: 'custom-headers', detail: `response headers: ${features.responseHeaders.map((header) => (header.value === undefined ? `removes ${header.name}` : `${header.name}: ${header.value}`)).join('; ')}` });
  if (features.accessLogOff) notes.push({ name: 'enable-access-log', detail: 'not access-logged' });
  const rewrites = features.responseRewrites;
  if (rewrites?.redirect) notes.push({ name: 'proxy-redirect', detail: `Location and Refresh of the answer: ${rewrites.redirect.from} at the start becomes ${rewrites.redirect.to}` });
  if (rewrites?.cookieDomain) notes.push({ name: 'proxy-cookie-domain', detail: `Set-Cookie of the answer: Domain=${rewrites.cookieDomain.from} becomes Domain=${rewrites.cookieDomain.to}` });
  if (rewrites?.cookiePath) notes.push({ name: 'proxy-cookie-path', detail: `Set-Cookie of the answer: a Path starting with ${rewrites.cookiePath.from} gets ${rewrites.cookiePath.to} instead` });
  return { notes, ...(answer ? { answer } : {}), depends };
}

/**
 * Whether enable-cors lets the request's Origin in (features/cors.ts):
 * any, or exactly one Origin header matching an origin, case-insensitively,
 * a `*.` standing for one label.
 */
function corsAllows(origins: readonly string[] | undefined, headers: RequestFacts['headers']): boolean {
  if (!origins) return true;
  const sent = headers.filter(([name]) => name.toLowerCase() === 'origin');
  if (sent.length !== 1) return false;
  return origins.some((origin) => {
    const [, scheme = '', rest = ''] = /^([a-z]+):\/\/(.*)$/.exec(origin) ?? [];
    const wildcard = rest.startsWith('*.');
    const host = (wildcard ? rest.slice(2) : rest).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^${scheme}://${wildcard ? '[a-z0-9-]+\\.' : ''}${host}$`, 'i').test(sent[0]![1]);
  });
}

/** nginx's `rewrite (?i)<pattern> <target> break` on the path (the query kept); undefined when the pattern does not match. */
export function rewrittenPath(pattern: string, target: string, pathWithQuery: string): string | undefined {
  const mark = pathWithQuery.indexOf('?');
  const path = mark === -1 ? pathWithQuery : pathWithQuery.slice(0, mark);
  const query = mark === -1 ? '' : pathWithQuery.slice(mark);
  const found = new RegExp(pattern, 'i').exec(path);
  if (!found) return undefined;
  const replaced = target.replace(/\\([1-9])/g, (_, digit: string) => found[Number(digit)] ?? '');
  return `${replaced}${query}`;
}
