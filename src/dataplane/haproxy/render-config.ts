// model → haproxy.cfg. Pure. Every dynamic value goes through config-lines.ts.
//
// Shape of the configuration (see notes/haproxy-2.6.md §0):
// - master-worker, reloaded through the master CLI; `hard-stop-after` and
//   `mworker-max-reloads` bound how long old workers may linger;
// - one frontend with the HTTP and the HTTPS bind (crt-list, ALPN h2 and
//   http/1.1); `option idle-close-on-response` makes reloads hitless for
//   keep-alive clients;
// - routing by map lookups into the generation's files (render-files.ts);
// - one backend per Service port, servers at the pod addresses.

import type { Backend, Model } from '../../model/model.js';
import * as c from './config-lines.js';
import { GENERATION_FILES } from './layout.js';
import { NOT_FOUND_BACKEND, UNAVAILABLE_BACKEND } from './render-files.js';

export interface ConfigSettings {
  stateDir: string;
  adminSocket: string;
  bindAddress: string;
  httpPort: number;
  httpsPort: number;
  /** Upper bound on how long an old worker may serve its connections after a reload or stop. */
  hardStopAfter: string;
  /** Old workers that survived this many reloads are stopped, bounding memory. */
  maxReloads: number;
}

export function serverName(address: string, port: number): c.Safe {
  return c.ident(`${address}_${port}`);
}

function globalSection(settings: ConfigSettings): string[] {
  return [
    'global',
    c.line`  stats socket ${c.filePath(settings.adminSocket)} mode 600 level admin`,
    '  stats timeout 2m',
    c.line`  hard-stop-after ${c.duration(settings.hardStopAfter)}`,
    c.line`  mworker-max-reloads ${c.int(settings.maxReloads)}`,
    '  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
    '  tune.ssl.default-dh-param 2048',
    '',
  ];
}

function defaultsSection(genDir: string): string[] {
  return [
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    // Old workers answer the next request of an idle keep-alive connection
    // with `connection: close` instead of closing it under the client.
    '  option idle-close-on-response',
    '  option dontlognull',
    // A connection refused by one pod is retried on another.
    '  retries 2',
    '  option redispatch 1',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 30s',
    '  timeout http-keep-alive 30s',
    '  timeout queue 5s',
    '  timeout client-fin 5s',
    // WebSockets and other upgraded connections may stay idle much longer.
    '  timeout tunnel 1h',
    c.line`  errorfile 503 ${c.filePath(`${genDir}/${GENERATION_FILES.error503}`)}`,
    '',
  ];
}

function routingRules(model: Model, genDir: string, httpsPort: number): string[] {
  const map = (name: string) => c.filePath(`${genDir}/${name}`);
  const hasWildcardLevel = model.levels.some((level) => level.host.startsWith('*.'));
  const hasWildcardRedirect = model.redirectHosts.some((host) => host.startsWith('*.'));
  const rules = [
    // Host: lowercased, port and trailing dot removed.
    '  http-request set-var(txn.host) req.hdr(host),lower,regsub(:[0-9]+$,),regsub(\\.$,)',
    '  http-request set-var(txn.path) path',
  ];
  if (model.redirectHosts.length > 0) {
    // ACME HTTP-01 challenges must stay reachable over plain HTTP.
    const redirect = httpsPort === 443
      ? c.fragment`http-request redirect code 308 location https://%[var(txn.host)]%[pathq] if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }`
      : c.fragment`http-request redirect code 308 location https://%[var(txn.host)]:${c.port(httpsPort)}%[pathq] if !{ ssl_fc } !{ path_beg /.well-known/acme-challenge/ }`;
    rules.push(c.line`  ${redirect} { var(txn.host),map_str(${map(GENERATION_FILES.redirectMap)}) -m found }`);
    if (hasWildcardRedirect) {
      rules.push(c.line`  ${redirect} { var(txn.host),regsub(^[^.]*,*),map_str(${map(GENERATION_FILES.redirectMap)}) -m found }`);
    }
  }
  // Pick the host level: exact host, else wildcard, else the host-less level `_`.
  rules.push(c.line`  http-request set-var(txn.level) var(txn.host),map_str(${map(GENERATION_FILES.hostsMap)})`);
  if (hasWildcardLevel) {
    rules.push(c.line`  http-request set-var(txn.level) var(txn.host),regsub(^[^.]*,*),map_str(${map(GENERATION_FILES.hostsMap)}) if !{ var(txn.level) -m found }`);
  }
  rules.push(
    '  http-request set-var(txn.level) str(_) if !{ var(txn.level) -m found }',
    '  http-request set-var(txn.key) var(txn.level),concat(,txn.path)',
    // Exact first: an exact hit is never shorter than a prefix hit, so on a tie Exact wins.
    c.line`  http-request set-var(txn.backend) var(txn.key),map_str(${map(GENERATION_FILES.exactMap)})`,
    c.line`  http-request set-var(txn.backend) var(txn.key),concat(/),map_beg(${map(GENERATION_FILES.prefixMap)}) if !{ var(txn.backend) -m found }`,
    c.line`  http-request set-var(txn.backend) var(txn.level),map_str(${map(GENERATION_FILES.fallbackMap)}) if !{ var(txn.backend) -m found }`,
  );
  return rules;
}

function frontendSection(model: Model, settings: ConfigSettings, genDir: string): string[] {
  return [
    'frontend portero',
    c.line`  bind ${c.bindAddress(settings.bindAddress, settings.httpPort)}`,
    c.line`  bind ${c.bindAddress(settings.bindAddress, settings.httpsPort)} ssl crt-list ${c.filePath(`${genDir}/${GENERATION_FILES.crtList}`)} alpn h2,http/1.1`,
    // Forwarding headers are set by the proxy; values sent by clients are not trusted.
    '  http-request del-header X-Forwarded-For',
    '  http-request del-header X-Real-IP',
    '  http-request set-header X-Forwarded-Proto https if { ssl_fc }',
    '  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request set-header X-Forwarded-Port %[dst_port]',
    '  http-request set-header X-Real-IP %[src]',
    '  option forwardfor',
    ...routingRules(model, genDir, settings.httpsPort),
    '  use_backend %[var(txn.backend)]',
    c.line`  default_backend ${c.ident(NOT_FOUND_BACKEND)}`,
    '  http-after-response set-header Server portero',
    '',
  ];
}

function backendSection(backend: Backend): string[] {
  return [
    c.line`backend ${c.ident(backend.id)}`,
    '  balance roundrobin',
    ...backend.endpoints.map((endpoint) => c.line`  server ${serverName(endpoint.address, endpoint.port)} ${c.address(endpoint.address, endpoint.port)}`),
    '',
  ];
}

export function renderConfig(model: Model, settings: ConfigSettings, genDir: string): string {
  const lines = [
    '# Generated by Portero. Do not edit: every change is overwritten.',
    ...globalSection(settings),
    ...defaultsSection(genDir),
    ...frontendSection(model, settings, genDir),
    c.line`backend ${c.ident(NOT_FOUND_BACKEND)}`,
    '  http-request return status 404 content-type text/plain string "404 Not Found"',
    '',
    c.line`backend ${c.ident(UNAVAILABLE_BACKEND)}`,
    '  http-request return status 503 content-type text/plain string "503 Service Unavailable"',
    '',
    ...model.backends.flatMap(backendSection),
  ];
  return lines.join('\n');
}
