// The routing rules of the HTTP and HTTPS frontends, rendered from
// capabilities alone (see render-config.ts): the host level (with Gateway
// API scopes, frontends.ts, and deep wildcards), the HTTPS redirect, client certificates,
// then the path lookups, candidates and canaries. Pure.

import { SCOPE_SEPARATOR } from '../../model/model.js';
import * as c from './config-lines.js';
import { GENERATION_FILES } from './layout.js';
import { CANDIDATES_CONVERTER } from './features/candidates-lua.js';
import { clientAuthFrontendLines } from './features/client-auth.js';
import { redirectExemption } from './features/global-lists.js';
import type { CanaryRule, Capabilities } from './structure.js';
import type { FrontendPlan } from './frontends.js';

/** The host, lowercased and without port (a trailing dot is handled by the maps). */
const HOST = c.fragment`req.hdr(host),field(1,:),lower`;

/** How many labels deep a Gateway wildcard matches (`*.example.com` for `a.b.c.d.example.com`: 4). */
const DEEP_WILDCARD_LABELS = 6;

/** Routing: the host level, then (plain HTTP) the redirect to HTTPS, then the path. */
export function routingRules(capabilities: Capabilities, genDir: string, frontend: FrontendPlan, httpsPort: number): string[] {
  const scheme = frontend.scheme;
  const code = c.keyword(String(capabilities.globals.redirectCode ?? 308), ['301', '302', '307', '308']);
  const map = (name: string) => c.filePath(`${genDir}/${name}`);
  const hosts = map(GENERATION_FILES.hostsMap);
  // Gateway API scopes (frontends.ts): a request in a scope (txn.scope) looks up that scope's levels only, whose keys end in `|scope`.
  const scoped = !frontend.ingress || frontend.byAddress.length > 0;
  const inScope = scoped ? c.fragment`,concat(,txn.scope)` : c.fragment``;
  // On the Ingress frontends, the scope of the shared bind is looked up after the Ingresses' levels, level by level, for requests in no other scope.
  const after = frontend.ingress && frontend.shared !== undefined ? c.fragment`,concat(${c.keyword(SCOPE_SEPARATOR, [SCOPE_SEPARATOR])}${c.scopeName(frontend.shared)})` : undefined;
  const unscopedOnly = frontend.byAddress.length > 0 ? c.fragment` !{ var(txn.scope) -m found }` : c.fragment``;
  const rules: string[] = [
    '  http-request set-var(txn.path) path',
    ...(!frontend.ingress && frontend.shared !== undefined ? [c.line`  http-request set-var(txn.scope) str(${c.keyword(SCOPE_SEPARATOR, [SCOPE_SEPARATOR])}${c.scopeName(frontend.shared)})`] : []),
    ...frontend.byAddress.flatMap((entry) => entry.addresses.map((address) => c.line`  http-request set-var(txn.scope) str(${c.keyword(SCOPE_SEPARATOR, [SCOPE_SEPARATOR])}${c.scopeName(entry.scope)}) if { dst ${c.source(address)} }`)),
    // The host level: the exact host, else its wildcard, else the host-less level `_`.
    c.line`  http-request set-var(txn.level) ${HOST}${inScope},map_str(${hosts})`,
  ];
  if (after) rules.push(c.line`  http-request set-var(txn.level) ${HOST}${after},map_str(${hosts}) if !{ var(txn.level) -m found }${unscopedOnly}`);
  if (capabilities.wildcardLookup) {
    rules.push(c.line`  http-request set-var(txn.level) ${HOST},regsub(^[^.]*,*)${inScope},map_str(${hosts}) if !{ var(txn.level) -m found }`);
    if (after) rules.push(c.line`  http-request set-var(txn.level) ${HOST},regsub(^[^.]*,*)${after},map_str(${hosts}) if !{ var(txn.level) -m found }${unscopedOnly}`);
  }
  if (capabilities.deepWildcardLookup) {
    // Gateway API wildcards match any number of labels: `**.<rest>` with 2, then 3, ... labels taken off, the longest rest first.
    for (let labels = 2; labels <= DEEP_WILDCARD_LABELS; labels += 1) {
      const strip = c.regex(`^[^.]*${'[.][^.]*'.repeat(labels - 1)}`).text.slice(1, -1);
      // On the Ingress frontends only requests in a scope have deep wildcards to find (the Ingresses' are one label deep).
      if (scoped) rules.push(`  http-request set-var(txn.level) ${HOST.text},regsub(${strip},**)${inScope.text},map_str(${hosts.text}) if !{ var(txn.level) -m found }${frontend.ingress ? ' { var(txn.scope) -m found }' : ''}`);
      if (after) rules.push(`  http-request set-var(txn.level) ${HOST.text},regsub(${strip},**)${after.text},map_str(${hosts.text}) if !{ var(txn.level) -m found }${unscopedOnly.text}`);
    }
  }
  // Any other host is on the host-less level `_`; hosts.map names it `~_` when its paths are regular expressions.
  if (scoped || after) {
    if (capabilities.regexLookup) rules.push(c.line`  http-request set-var(txn.level) str(_)${inScope},map_str(${hosts}) if !{ var(txn.level) -m found }`);
    // The shared scope's host-less level is in hosts.map only when it exists (and no Ingress has one): else the Ingresses' `_` and catch-all.
    if (after) rules.push(c.line`  http-request set-var(txn.level) str(_)${after},map_str(${hosts}) if !{ var(txn.level) -m found }${unscopedOnly}`);
    rules.push(c.line`  http-request set-var(txn.level) str(_)${inScope} if !{ var(txn.level) -m found }`);
  } else {
    rules.push(
      capabilities.regexLookup
        ? c.line`  http-request set-var(txn.level) str(_),map_str(${hosts},_) if !{ var(txn.level) -m found }`
        : '  http-request set-var(txn.level) str(_) if !{ var(txn.level) -m found }',
    );
  }
  // The Ingresses' TLS hosts: only where the Ingresses are served.
  if (scheme === 'http' && frontend.ingress && capabilities.redirect) {
    // Plain HTTP to a TLS host: 308 (or http-redirect-code) to HTTPS.
    // With use-proxy-protocol, a PROXY header for port 443 means TLS was ended by the load balancer: no redirect (render-config.ts).
    const ended = capabilities.globals.proxyProtocol ? c.fragment` !{ dst_port 443 }` : c.fragment``;
    // The paths of no-tls-redirect-locations (by default /.well-known/acme-challenge/) stay on plain HTTP.
    const exempt = redirectExemption(capabilities.globals);
    const redirect =
      httpsPort === 443
        ? c.fragment`http-request redirect code ${code} location https://%[req.hdr(host),field(1,:),lower]%[pathq] if${exempt}${ended}`
        : c.fragment`http-request redirect code ${code} location https://%[req.hdr(host),field(1,:),lower]:${c.port(httpsPort)}%[pathq] if${exempt}${ended}`;
    rules.push(c.line`  ${redirect} { ${c.fragment`${HOST},map_str(${map(GENERATION_FILES.redirectMap)})`} -m found }`);
    if (capabilities.wildcardRedirect) {
      // A wildcard TLS host redirects the hosts of its own level only: an
      // exact host with a level of its own decides for itself.
      rules.push(c.line`  ${redirect} { ${c.fragment`var(txn.level),map_str(${map(GENERATION_FILES.redirectMap)})`} -m found }`);
    }
  }
  // Client certificates of the level (auth-tls-*), checked before its routes, as nginx checks them before its locations.
  rules.push(...clientAuthFrontendLines(capabilities.clientAuth, genDir, scheme));
  const prefixLookup = c.fragment`var(txn.level),concat(,txn.path,/),map_beg(${map(GENERATION_FILES.prefixMap)})`;
  const exactLookup = c.fragment`var(txn.level),concat(,txn.path),map_str(${map(GENERATION_FILES.exactMap)})`;
  const regexLookup = c.fragment`var(txn.level),concat(,txn.path),map_reg(${map(GENERATION_FILES.regexMap)})`;
  if (capabilities.canaries.length > 0 || capabilities.candidates) {
    // The route is decided first (the same lookups as below), then its
    // candidates or its canary, if any, may choose another backend.
    if (capabilities.exactLookup) rules.push(c.line`  http-request set-var(txn.be) ${exactLookup}`);
    if (capabilities.regexLookup) rules.push(c.line`  http-request set-var(txn.be) ${regexLookup} if !{ var(txn.be) -m found } { var(txn.level) -m beg ~ }`);
    const earlier = capabilities.exactLookup || capabilities.regexLookup;
    rules.push(earlier ? c.line`  http-request set-var(txn.be) ${prefixLookup} if !{ var(txn.be) -m found }` : c.line`  http-request set-var(txn.be) ${prefixLookup}`);
    if (capabilities.candidates) {
      // Requests to a route with candidates (whose value is a route key
      // `?<digest>`) hand the route key, method, path and query and header
      // block to our Lua converter (features/candidates-lua.ts), which reads
      // the route's candidate list and names the backend. For any other
      // request, the prefix test is the only cost: the second rule's input,
      // a variable it does not have, is missing, so the rule does nothing.
      rules.push(c.line`  http-request set-var-fmt(txn.cin) "%[var(txn.be)] %[method] %[pathq]\\r\\n%[req.hdrs]" if { var(txn.be) -m beg ? }`);
      rules.push(c.line`  http-request set-var(txn.be) var(txn.cin),lua.${c.ident(CANDIDATES_CONVERTER)}`);
    }
    if (capabilities.canaries.length > 0) {
      rules.push(c.line`  http-request set-var(txn.canary) var(txn.be),map_str(${map(GENERATION_FILES.canaryMap)})`);
      for (const canary of capabilities.canaries) rules.push(...canaryRules(canary));
    }
    rules.push('  use_backend %[var(txn.be)]');
    return rules;
  }
  if (capabilities.exactLookup) {
    // An Exact hit covers the whole path: it is never shorter than a prefix hit, so it wins ties.
    rules.push(c.line`  http-request set-var(txn.exact) ${exactLookup}`, '  use_backend %[var(txn.exact)] if { var(txn.exact) -m found }');
  }
  if (capabilities.regexLookup) {
    // Levels whose paths are regular expressions (`~` levels): the first pattern of the level that matches.
    rules.push(c.line`  http-request set-var(txn.regex) ${regexLookup} if { var(txn.level) -m beg ~ }`, '  use_backend %[var(txn.regex)] if { var(txn.regex) -m found }');
  }
  // The longest prefix; each level's `level/` entry holds its fallback, so this always finds a backend.
  rules.push(c.line`  use_backend %[${prefixLookup}]`);
  return rules;
}

/**
 * ingress-nginx's canary decision for one route, in its order: the header
 * (its value, pattern, or `always` / `never`), then the cookie (`always` /
 * `never`), then the weight from canary-weights.map.
 */
function canaryRules(rule: CanaryRule): string[] {
  const route = c.fragment`{ var(txn.be) -m str ${c.ident(rule.primary)} }`;
  const to = c.ident(rule.canary);
  const stay = c.ident(rule.primary);
  const lines: string[] = [];
  if (rule.header !== undefined) {
    const header = c.fragment`req.hdr(${c.fieldName(rule.header)})`;
    if (rule.headerValue !== undefined) lines.push(c.line`  use_backend ${to} if ${route} { ${header} -m str ${c.matchText(rule.headerValue)} }`);
    else if (rule.headerPattern !== undefined) lines.push(c.line`  use_backend ${to} if ${route} { ${header} -m reg ${c.objectRegex(rule.headerPattern)} }`);
    else {
      lines.push(c.line`  use_backend ${to} if ${route} { ${header} -m str always }`);
      lines.push(c.line`  use_backend ${stay} if ${route} { ${header} -m str never }`);
    }
  }
  if (rule.cookie !== undefined) {
    const cookie = c.fragment`req.cook(${c.fieldName(rule.cookie)})`;
    lines.push(c.line`  use_backend ${to} if ${route} { ${cookie} -m str always }`);
    lines.push(c.line`  use_backend ${stay} if ${route} { ${cookie} -m str never }`);
  }
  lines.push(c.line`  use_backend ${to} if ${route} { var(txn.canary) -m found } { rand(10000),sub(txn.canary) lt 0 }`);
  return lines;
}
