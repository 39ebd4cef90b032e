// Features → the rules of a backend section. Pure. The rules run when the
// frontend has chosen the backend, so only the routes that ask for a feature
// pay for it. Their order follows the phases in which nginx applies the
// annotations: server-level redirects, refusals, CORS preflights (nginx's
// `if`/`return` run before its Lua redirect and access phases), redirects
// of the location, limits, access lists and basic auth, the request body, then what the
// endpoints receive; response headers last.

import type { Features, FixedRedirect } from '../../model/features.js';
import type { Endpoint } from '../../model/model.js';
import type { GlobalSettings } from '../../model/globals.js';
import { redirectExemption } from './features/global-lists.js';
import * as c from './config-lines.js';
import { accessLines } from './features/access.js';
import { gatewayRequestLines, gatewayResponseLines } from './features/gateway-filters.js';
import { corsRequestLines, corsResponseLines } from './features/cors.js';
import { extAuthResponseLines } from './features/ext-auth.js';
import { hostRedirectLines, limitLines } from './features/limits.js';
import { mirrorRequestLines } from './features/mirror.js';
import { snippetRequestLines, snippetResponseLines } from './features/snippet.js';
import { activeCors, settingSample, settingValues, type SettingName } from './features/settings.js';
import { patternListPath } from './features/source-lists.js';
import { responseRewriteLines } from './features/response-rewrites.js';
import { accessLogLines, retryLines, upstreamHeaderLines } from './features/upstream.js';
import { GENERATION_FILES } from './layout.js';

export interface FeatureContext {
  httpsPort: number;
  /** The generation directory, for files the rules read (basic-auth maps); absent in tests of other features. */
  genDir?: string;
  /** For redirects that keep the scheme; 80 when absent. */
  httpPort?: number;
  /** The name of the section the lines are for: the key of its values in settings.map (features/settings.ts). */
  section?: string;
  /** The ConfigMap's globals (no-tls-redirect-locations); absent: Portero's defaults. */
  globals?: GlobalSettings;
}

function httpsRedirect(context: FeatureContext, code = 308): string {
  const port = context.httpsPort === 443 ? '' : `:${c.port(context.httpsPort).text}`;
  // The paths of no-tls-redirect-locations (by default /.well-known/acme-challenge/) stay on plain HTTP.
  const exempt = redirectExemption(context.globals ?? {});
  return `  http-request redirect code ${c.keyword(String(code), ['301', '302', '307', '308']).text} location https://%[req.hdr(host),field(1,:),lower]${port}%[pathq] if !{ ssl_fc }${exempt.text}`;
}

/**
 * ssl-forbid-http / force-ssl-forbid-http: 403 for plain HTTP where the
 * HTTPS redirect would be (the same exempt paths; with use-proxy-protocol, a
 * PROXY header for port 443 means TLS was ended by the load balancer). With
 * `hosts`, only for those Host headers (exact, or one label under a `*.`
 * wildcard).
 */
function httpForbiddenLines(forbidden: NonNullable<Features['httpForbidden']>, context: FeatureContext): string[] {
  const exempt = redirectExemption(context.globals ?? {});
  const ended = context.globals?.proxyProtocol ? c.fragment` !{ dst_port 443 }` : c.fragment``;
  const deny = c.fragment`http-request return status 403 content-type text/plain string "403 Forbidden" if !{ ssl_fc }${exempt}${ended}`;
  if (forbidden.hosts === undefined) return [c.line`  ${deny}`];
  const exact = forbidden.hosts.filter((host) => !host.startsWith('*.')).map(c.hostName);
  const wildcards = forbidden.hosts.filter((host) => host.startsWith('*.')).map(c.hostName);
  const lines: string[] = [];
  if (exact.length > 0) lines.push(c.line`  ${deny} { req.hdr(host),field(1,:),lower -m str ${c.join(exact, ' ')} }`);
  if (wildcards.length > 0) lines.push(c.line`  ${deny} { req.hdr(host),field(1,:),lower,regsub(^[^.]*,*) -m str ${c.join(wildcards, ' ')} }`);
  return lines;
}

/** The codes of permanent-redirect-code / temporal-redirect-code (translate refuses others). */
const REDIRECT_CODES = [301, 302, 303, 307, 308];

/**
 * permanent-redirect / temporal-redirect, the location and the code read
 * from settings.map: HAProxy's redirect takes its code as a literal, so
 * there is one rule per code, each under its code's value (the first that
 * applies answers). A path is sent as written (relative-redirects) or made
 * absolute as nginx's absolute_redirect does: the request's scheme and Host
 * (lowercased, without port), and the port the proxy listens on when not
 * the scheme's default.
 */
function fixedRedirectLines(redirect: FixedRedirect, location: c.Safe, code: c.Safe, context: FeatureContext): string[] {
  // A code outside the rules' would send the request on to the Service: refused here as in translate.
  c.keyword(String(redirect.code), REDIRECT_CODES.map(String));
  const lines = [c.line`  http-request set-var(txn.portero_redirect_code) ${code}`];
  const httpPort = context.httpPort ?? 80;
  const https = context.httpsPort === 443 ? c.fragment`` : c.fragment`:${c.port(context.httpsPort)}`;
  const http = httpPort === 80 ? c.fragment`` : c.fragment`:${c.port(httpPort)}`;
  for (const value of REDIRECT_CODES) {
    const when = c.fragment`{ var(txn.portero_redirect_code) -m int ${c.int(value)} }`;
    if (redirect.pathLocation !== 'absolute') {
      lines.push(c.line`  http-request redirect location %[${location}] code ${c.int(value)} if ${when}`);
      continue;
    }
    lines.push(
      c.line`  http-request redirect location 'https://%[req.hdr(host),field(1,:),lower]${https}%[${location}]' code ${c.int(value)} if ${when} { ssl_fc }`,
      c.line`  http-request redirect location 'http://%[req.hdr(host),field(1,:),lower]${http}%[${location}]' code ${c.int(value)} if ${when} !{ ssl_fc }`,
    );
  }
  return lines;
}

/**
 * The lines a backend section needs for `features`, before its servers.
 * `authEndpoints`: the auth service's, with features.externalAuth;
 * `mirrorEndpoints`: each mirror's, with features.mirrors.
 */
export function featureLines(features: Features | undefined, context: FeatureContext, authEndpoints: readonly Endpoint[] = [], mirrorEndpoints: readonly (readonly Endpoint[])[] = []): string[] {
  if (!features) return [];
  const lines: string[] = [...accessLogLines(features)];
  const timeouts = features.timeouts;
  if (timeouts?.connectSeconds !== undefined) lines.push(c.line`  timeout connect ${c.duration(`${timeouts.connectSeconds}s`)}`);
  // Values that change at runtime are read from settings.map (features/settings.ts).
  const section = context.section ?? 'backend';
  const settingsMap = `${context.genDir ?? '/nonexistent'}/${GENERATION_FILES.settingsMap}`;
  const setting = (name: SettingName) => settingSample(settingsMap, section, name);
  for (const { name } of settingValues(features)) {
    // WebSockets: nginx's read timeout governs them too; never shorter than the default hour (settings.ts).
    if (name === 'server-timeout') lines.push(c.line`  http-request set-timeout server ${setting(name)}`);
    if (name === 'tunnel-timeout') lines.push(c.line`  http-request set-timeout tunnel ${setting(name)}`);
  }
  if (features.appRoot !== undefined) {
    // Absolute, from the request's scheme and Host, as nginx's `$scheme://$http_host<app-root>`.
    lines.push(c.line`  http-request redirect code 302 location '%[ssl_fc,iif(https,http)]://%[req.hdr(host)]${c.logFormatText(features.appRoot)}' if { path / }`);
  }
  lines.push(...gatewayRequestLines(features.gateway, setting, c.filePath(`${context.genDir ?? '/nonexistent'}/${patternListPath(section, 'origins')}`)));
  if (features.hostRedirect) lines.push(...hostRedirectLines(features.hostRedirect, { httpPort: context.httpPort ?? 80, httpsPort: context.httpsPort }));
  if (features.denied) lines.push('  http-request return status 503 content-type text/plain string "503 Service Unavailable"');
  // A denied location has no CORS in ingress-nginx either.
  const cors = activeCors(features);
  lines.push(...corsRequestLines(cors, c.filePath(`${context.genDir ?? '/nonexistent'}/${patternListPath(section, 'origins')}`), setting('cors')));
  if (features.redirect) lines.push(...fixedRedirectLines(features.redirect, setting('location'), setting('redirect-code'), context));
  if (features.httpForbidden) lines.push(...httpForbiddenLines(features.httpForbidden, context));
  if (features.httpsRedirect) lines.push(httpsRedirect(context, features.httpsRedirectCode));
  lines.push(...snippetRequestLines(features.snippet));
  // nginx's preaccess phase (limits) comes after the redirects and before the access lists.
  if (features.limits) lines.push(...limitLines(features.limits, setting, c.filePath(`${context.genDir ?? '/nonexistent'}/${patternListPath(section, 'exempt')}`)));
  // nginx's access phase checks the access lists (pattern files of the section, changed at runtime:
  // features/source-lists.ts), then the credentials, then auth_request, all before the body and the
  // rewrite (X-Original-URL is the URI as asked); all of them or any one, by satisfy (features/access.ts).
  lines.push(...accessLines(features, { section, genDir: context.genDir ?? '/nonexistent', authEndpoints }));
  if (features.maxBodyBytes !== undefined) {
    // Only requests with a body pay for the lookup.
    lines.push(c.line`  http-request set-var(txn.portero_max_body) ${setting('max-body')} if { req.hdr(content-length) -m found }`);
    lines.push('  http-request deny deny_status 413 if { req.hdr_val(content-length),sub(txn.portero_max_body) gt 0 }');
  }
  // nginx's mirror module runs after the access checks: a refused request is not copied.
  lines.push(...mirrorRequestLines(features.mirrors, mirrorEndpoints));
  if (features.rewrite) {
    // nginx's `rewrite (?i)<path> <target> break`: an unanchored match replaces the whole path; the query is kept.
    lines.push(c.line`  http-request replace-path ${c.objectRegex(`(?i)${features.rewrite.pattern}`)} ${c.replaceFormat(features.rewrite.target)}`);
  }
  // proxy_redirect and proxy_cookie_* change the Service's headers as nginx reads them, before the
  // header filters (CORS, more_set_headers, the auth answer's cookies) add theirs.
  lines.push(...upstreamHeaderLines(features, setting('upstream-host')), ...retryLines(features.nextUpstream), ...responseRewriteLines(features.responseRewrites));
  lines.push(...corsResponseLines(cors), ...snippetResponseLines(features.snippet), ...extAuthResponseLines(features.externalAuth));
  lines.push(...gatewayResponseLines(features.gateway, setting));
  // custom-headers: more_set_headers sets them on every answer, the proxy's own included; the values
  // from settings.map (settings.ts), but for those a map line cannot carry exactly.
  (features.responseHeaders ?? []).forEach((header, index) => {
    const name = c.fieldName(header.name);
    if (header.value === undefined) lines.push(c.line`  http-after-response del-header ${name}`);
    else if (c.isHeaderMapValue(header.value)) lines.push(c.line`  http-after-response set-header ${name} %[${setting(`header-${index}`)}]`);
    else lines.push(c.line`  http-after-response set-header ${name} '${c.logFormatValue(header.value)}'`);
  });
  return lines;
}
