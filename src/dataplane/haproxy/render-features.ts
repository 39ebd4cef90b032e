// Features → the rules of a backend section. Pure. The rules run when the
// frontend has chosen the backend, so only the routes that ask for a feature
// pay for it. Their order follows the phases in which nginx applies the
// annotations: server-level redirects, refusals, CORS preflights (nginx's
// `if`/`return` run before its Lua redirect and access phases), redirects
// of the location, access lists, the request body, then what the endpoints
// receive; response headers last.

import type { Features } from '../../model/features.js';
import * as c from './config-lines.js';
import { corsRequestLines, corsResponseLines } from './features/cors.js';
import { accessLogLines, retryLines, upstreamHeaderLines } from './features/upstream.js';

export interface FeatureContext {
  httpsPort: number;
}

/** At most this many addresses or ranges per ACL line; an ACL defined on several lines matches any of them. */
const SOURCES_PER_LINE = 16;

const ACME = '!{ path_beg /.well-known/acme-challenge/ }';

function sourceAcl(name: string, sources: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < sources.length; i += SOURCES_PER_LINE) {
    const chunk = c.join(sources.slice(i, i + SOURCES_PER_LINE).map(c.source), ' ');
    lines.push(c.line`  acl ${c.ident(name)} src ${chunk}`);
  }
  return lines;
}

function httpsRedirect(context: FeatureContext): string {
  const port = context.httpsPort === 443 ? '' : `:${c.port(context.httpsPort).text}`;
  return `  http-request redirect code 308 location https://%[req.hdr(host),field(1,:),lower]${port}%[pathq] if !{ ssl_fc } ${ACME}`;
}

/** The lines a backend section needs for `features`, before its servers. */
export function featureLines(features: Features | undefined, context: FeatureContext): string[] {
  if (!features) return [];
  const lines: string[] = [...accessLogLines(features)];
  const timeouts = features.timeouts;
  if (timeouts?.connectSeconds !== undefined) lines.push(c.line`  timeout connect ${c.duration(`${timeouts.connectSeconds}s`)}`);
  if (timeouts?.serverSeconds !== undefined) {
    lines.push(c.line`  timeout server ${c.duration(`${timeouts.serverSeconds}s`)}`);
    // WebSockets: nginx's read timeout governs them too; never shorter than the default hour.
    if (timeouts.serverSeconds > 3600) lines.push(c.line`  timeout tunnel ${c.duration(`${timeouts.serverSeconds}s`)}`);
  }
  if (features.appRoot !== undefined) {
    // Absolute, from the request's scheme and Host, as nginx's `$scheme://$http_host<app-root>`.
    lines.push(c.line`  http-request redirect code 302 location '%[ssl_fc,iif(https,http)]://%[req.hdr(host)]${c.logFormatText(features.appRoot)}' if { path / }`);
  }
  if (features.denied) lines.push('  http-request return status 503 content-type text/plain string "503 Service Unavailable"');
  // A denied location has no CORS in ingress-nginx either.
  const cors = features.denied ? undefined : features.cors;
  lines.push(...corsRequestLines(cors));
  if (features.redirect) lines.push(c.line`  http-request redirect location '${c.logFormatText(features.redirect.location)}' code ${c.int(features.redirect.code)}`);
  if (features.httpsRedirect) lines.push(httpsRedirect(context));
  if (features.denySources) {
    lines.push(...sourceAcl('portero_deny', features.denySources), '  http-request deny deny_status 403 if portero_deny');
  }
  if (features.allowSources) {
    lines.push(...sourceAcl('portero_allow', features.allowSources), '  http-request deny deny_status 403 if !portero_allow');
  }
  if (features.maxBodyBytes !== undefined) {
    lines.push(c.line`  http-request deny deny_status 413 if { req.hdr_val(content-length) gt ${c.int(features.maxBodyBytes)} }`);
  }
  if (features.rewrite) {
    // nginx's `rewrite (?i)<path> <target> break`: an unanchored match replaces the whole path; the query is kept.
    lines.push(c.line`  http-request replace-path ${c.objectRegex(`(?i)${features.rewrite.pattern}`)} ${c.replaceFormat(features.rewrite.target)}`);
  }
  lines.push(...upstreamHeaderLines(features), ...retryLines(features.nextUpstream), ...corsResponseLines(cors));
  return lines;
}
