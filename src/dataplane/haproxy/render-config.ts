// model → haproxy.cfg. Pure. Every dynamic value goes through config-lines.ts.
//
// Shape of the configuration (see notes/haproxy-2.6.md §0):
// - master-worker, reloaded through the master CLI; `hard-stop-after` and
//   `mworker-max-reloads` bound how long old workers may linger;
// - one frontend per port (frontends.ts), so the scheme and port headers are constants;
//   `option idle-close-on-response` makes reloads hitless for keep-alive
//   clients;
// - the request path is normalised before anything looks at it (see
//   docs/routing.md, "Path normalisation"), and client-sent forwarding
//   headers and control bytes never reach a backend;
// - routing by map lookups into the generation's files (render-files.ts),
//   with only the lookups the loaded capabilities need: a configuration
//   without wildcard hosts or Exact paths pays nothing for them. The
//   frontends are rendered from `Capabilities` alone, never from the model,
//   so a runtime change can never need a rule the loaded configuration lacks
//   (structure.ts);
// - one backend per Service port, servers at the pod addresses, plus empty
//   spare backends that new Services take at runtime without a reload.

import { AMBIGUOUS_DOT_SEGMENT } from '../../model/match.js';
import type { Backend, Model } from '../../model/model.js';
import type { GlobalSettings } from '../../model/globals.js';
import { sourceAcl } from './features/source-acl.js';
import { blockRequestLines, globalRequestHeaderLines, globalResponseHeaderLines } from './features/global-lists.js';
import * as c from './config-lines.js';
import { GENERATION_FILES } from './layout.js';
import { INVALID_BACKEND, NOT_FOUND_BACKEND, UNAVAILABLE_BACKEND } from './render-files.js';
import { limitTableSections } from './features/limits.js';
import { backendSettingLines, serverOptions } from './features/backend.js';
import { BASIC_AUTH_LUA_FILE, basicAuthUserlists, needsBasicAuthLua } from './features/basic-auth.js';
import { asksForCertificates } from './features/client-auth.js';
import { CUSTOM_ERRORS_LUA_FILE, customErrorRequestLines, customErrorResponseLines, needsCustomErrorsLua } from './features/custom-errors.js';
import { featureLines, type FeatureContext } from './render-features.js';
import { needsMirrorLua } from './features/mirror.js';
import { compressionLines } from './features/compression.js';
import { routingRules } from './render-routing.js';
import { frontendPlans, type FrontendPlan } from './frontends.js';
import { SPARE_PREFIX, type BackendNames, type Capabilities } from './structure.js';

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
  /** JSON access logs on stdout. */
  accessLog?: boolean;
  /** Port of HAProxy's Prometheus exporter; 0 or absent: none. */
  metricsPort?: number;
}

export function serverName(address: string, port: number): c.Safe {
  return c.ident(`${address}_${port}`);
}

/** A backup server (an endpoint of the default-backend Service): its own name, so it never clashes with an endpoint at the same address. */
export function backupServerName(address: string, port: number): c.Safe {
  return c.ident(`backup_${address}_${port}`);
}

/** Forward-secret AEAD suites only (Mozilla "intermediate" without DHE). */
const TLS12_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305';
const TLS13_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** `ssl-default-bind-options`: the TLS versions offered (ssl-protocols of the ConfigMap), no session tickets unless ssl-session-tickets. */
function bindOptions(globals: GlobalSettings): string {
  const versions = globals.tlsVersions ?? { min: 'TLSv1.2', max: 'TLSv1.3' };
  const allowed = ['TLSv1.2', 'TLSv1.3'];
  const min = c.keyword(versions.min, allowed);
  const tickets = c.keyword(globals.tlsSessions?.tickets ? '' : ' no-tls-tickets', ['', ' no-tls-tickets']);
  if (versions.max === 'TLSv1.3') return c.line`  ssl-default-bind-options ssl-min-ver ${min}${tickets}`;
  return c.line`  ssl-default-bind-options ssl-min-ver ${min} ssl-max-ver ${c.keyword(versions.max, allowed)}${tickets}`;
}

/** The session cache: off with client certificates or ssl-session-cache: "false"; else the ConfigMap's size and lifetime. */
function sessionCacheLines(globals: GlobalSettings, clientCertificates: boolean): string[] {
  const sessions = globals.tlsSessions;
  // Client certificates: no TLS session resumption, which could carry a certificate verified for another name (features/client-auth.ts).
  if (clientCertificates || sessions?.cacheOff) return ['  tune.ssl.cachesize 0'];
  return [
    ...(sessions?.cacheSessions !== undefined ? [c.line`  tune.ssl.cachesize ${c.int(sessions.cacheSessions)}`] : []),
    ...(sessions?.lifetimeSeconds !== undefined ? [c.line`  tune.ssl.lifetime ${c.int(sessions.lifetimeSeconds)}`] : []),
  ];
}

function globalSection(settings: ConfigSettings, globals: GlobalSettings, genDir: string, lua: boolean, luaAuth: boolean, luaErrors: boolean, luaCandidates: boolean, clientCertificates: boolean, luaMirror: boolean): string[] {
  return [
    'global',
    // Our Lua for external auth, only when a backend uses it: otherwise no Lua state is created.
    ...(lua ? [c.line`  lua-load ${c.filePath(`${genDir}/${GENERATION_FILES.extAuthLua}`)}`] : []),
    // Our Lua for custom-http-errors, only when a backend uses it.
    ...(luaErrors ? [c.line`  lua-load ${c.filePath(`${genDir}/${CUSTOM_ERRORS_LUA_FILE}`)}`] : []),
    c.line`  stats socket ${c.filePath(settings.adminSocket)} mode 600 level admin`,
    '  stats timeout 2m',
    c.line`  hard-stop-after ${c.duration(settings.hardStopAfter)}`,
    c.line`  mworker-max-reloads ${c.int(settings.maxReloads)}`,
    // `normalize-uri` is marked experimental in HAProxy 2.6 (stable in later releases).
    '  expose-experimental-directives',
    bindOptions(globals),
    globals.ciphers !== undefined ? c.line`  ssl-default-bind-ciphers ${c.cipherList(globals.ciphers)}` : `  ssl-default-bind-ciphers ${TLS12_CIPHERS}`,
    `  ssl-default-bind-ciphersuites ${TLS13_SUITES}`,
    // large-client-header-buffers: the whole request header must fit in one buffer.
    ...(globals.bufferBytes !== undefined ? [c.line`  tune.bufsize ${c.int(globals.bufferBytes)}`] : []),
    ...sessionCacheLines(globals, clientCertificates),
    // Only access logs reach stdout, so that it stays one JSON object per
    // line: they are raised to level emerg (see ACCESS_LOG_RULES) and this
    // target takes nothing else, while HAProxy's own messages to the
    // frontends' loggers ("Proxy ... stopped" at each reload, a warning) are
    // left out; they still go to stderr. Lines are long enough for the
    // longest line the log format can produce.
    ...(settings.accessLog ? [c.line`  log stdout len ${c.int(ACCESS_LOG_LINE_BYTES)} format raw local0 emerg`] : []),
    // The basic-auth verifier, only when some backend needs it; per thread, as it shares nothing.
    ...(luaAuth ? [c.line`  lua-load-per-thread ${c.filePath(`${genDir}/${BASIC_AUTH_LUA_FILE}`)}`] : []),
    // The candidate lists' evaluator, only when some route has candidates; per thread (no Lua lock between threads).
    ...(luaCandidates ? [c.line`  lua-load-per-thread ${c.filePath(`${genDir}/${GENERATION_FILES.candidatesLua}`)}`] : []),
    // Request mirroring, only when some backend mirrors; per thread (its copies are sent by tasks of the thread).
    ...(luaMirror ? [c.line`  lua-load-per-thread ${c.filePath(`${genDir}/${GENERATION_FILES.mirrorLua}`)}`] : []),
    '',
  ];
}

/**
 * Values a client controls are cut to this many bytes before they are
 * escaped (at most 6 bytes each, `\u0001`), so a log line always fits
 * ACCESS_LOG_LINE_BYTES and is never truncated mid-JSON.
 */
const LOGGED_VALUE_BYTES = 1024;
const ACCESS_LOG_LINE_BYTES = 16384;

/**
 * One JSON object per request. Values a client controls (Host, path, method)
 * are cut and go through the `json` converter, which escapes them.
 */
function accessLogFormat(genDir: string): c.Safe {
  const cut = c.int(LOGGED_VALUE_BYTES);
  return c.fragment`log-format '{"time":"%[date,utime(%Y-%m-%dT%H:%M:%SZ)]","client":"%ci","method":"%[method,bytes(0,${cut}),json(utf8s)]","host":"%[var(txn.host),bytes(0,${cut}),json(utf8s)]","path":"%[var(txn.path),bytes(0,${cut}),json(utf8s)]","status":%ST,"bytes":%B,"duration_ms":%Ta,"backend":"%[be_name,map_str(${c.filePath(`${genDir}/${GENERATION_FILES.backendsMap}`)}),json(utf8s)]","upstream":"%si:%sp","frontend":"%f"}'`;
}

/** A timeout of the defaults section: the ConfigMap's seconds, else Portero's default. */
function timeout(name: string, seconds: number | undefined, fallback: string): string {
  return c.line`  timeout ${c.keyword(name, ['connect', 'server', 'http-keep-alive'])} ${c.duration(seconds === undefined ? fallback : `${seconds}s`)}`;
}

function defaultsSection(genDir: string, globals: GlobalSettings): string[] {
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
    timeout('connect', globals.connectSeconds, '5s'),
    '  timeout client 60s',
    timeout('server', globals.serverSeconds, '60s'),
    '  timeout http-request 30s',
    timeout('http-keep-alive', globals.keepAliveSeconds, '30s'),
    '  timeout queue 5s',
    '  timeout client-fin 5s',
    // WebSockets and other upgraded connections may stay idle much longer.
    '  timeout tunnel 1h',
    c.line`  errorfile 503 ${c.filePath(`${genDir}/${GENERATION_FILES.error503}`)}`,
    '',
  ];
}


/**
 * Path normalisation (docs/routing.md): the path a backend would resolve is
 * the path that is routed and forwarded. Escapes of unreserved characters are
 * decoded (a broken escape is a 400), slashes merged, dot segments removed.
 */
const NORMALIZE_URI = [
  '  http-request normalize-uri percent-decode-unreserved strict',
  '  http-request normalize-uri percent-to-uppercase strict',
  '  http-request normalize-uri path-merge-slashes',
  '  http-request normalize-uri path-strip-dot',
  '  http-request normalize-uri path-strip-dotdot full',
];

/** Header hygiene: what clients send in the proxy's own headers, and control bytes, never reach a backend. */
const HEADER_HYGIENE = [
  // Dot segments that survive normalisation are ones only a backend would
  // resolve (`/a/..%2Fb`, `/..;/b`): refused, never routed. The reference
  // matcher uses the very same pattern.
  c.line`  http-request deny deny_status 400 if { path -m reg ${c.regex(AMBIGUOUS_DOT_SEGMENT.source)} }`,
  // NUL, other C0 controls but tab, and DEL in any header: refused as RFC 9110 allows.
  String.raw`  http-request deny deny_status 400 if { req.hdrs -m reg '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]' }`,
];

/**
 * Forwarding headers are set by the proxy; client-sent ones, in any spelling
 * (`X_Forwarded_For` reaches CGI-style backends as X-Forwarded-For), are
 * removed, unless the ConfigMap trusts them from some peers (use-forwarded-headers,
 * enable-real-ip, compute-full-forwarded-for with proxy-real-ip-cidr): then,
 * from those peers only, the client address is taken from the forwarded-for
 * header (`set-src`, so logs, access lists and X-Real-IP see it), the last
 * address not of a trusted peer, as nginx's real_ip_recursive, and
 * X-Forwarded-Proto/-Host/-Port (and X-Forwarded-For, to append to it) are kept;
 * a kept X-Forwarded-Host list is cut to its first entry, as ingress-nginx does.
 * As in ingress-nginx, what the client sent as X-Forwarded-For is passed on,
 * for information, as X-Original-Forwarded-For, and X-Scheme repeats the
 * X-Forwarded-Proto passed on.
 *
 * With use-proxy-protocol, X-Forwarded-Port is the destination port the PROXY
 * header gives (`dst_port`), and on the plain HTTP port a destination port of
 * 443 means that the load balancer ended TLS: X-Forwarded-Proto is https (and
 * routing-rules do not redirect to HTTPS), as ingress-nginx does.
 */
/** Addresses of the forwarded-for header looked at, from the last: proxies in front of Portero, at most. */
const MAX_FORWARDED_HOPS = 8;

const FORWARDING_HEADERS = String.raw`^(forwarded|x[-_]forwarded[-_][a-z_-]*|x[-_]real[-_]ip|x[-_]original[-_]forwarded[-_]for|x[-_]scheme)$`;

function forwardingLines(scheme: 'http' | 'https', port: number, globals: GlobalSettings): string[] {
  const forwarded = globals.forwarded;
  const proxied = globals.proxyProtocol === true;
  const schemeWord = c.keyword(scheme, ['http', 'https']);
  // The destination port of the PROXY header with use-proxy-protocol, else the port listened on.
  const portValue = proxied ? '%[dst_port]' : c.port(port).text;
  // What the client sent as X-Forwarded-For, captured before the client's forwarding headers are removed.
  // (A request without the header sets nothing: set-var does not run without a sample.)
  const captureOriginal = '  http-request set-var(txn.original_xff) req.fhdr(x-forwarded-for)';
  // TLS ended by a load balancer that speaks the PROXY protocol to the plain HTTP port, for port 443.
  const ended = proxied && scheme === 'http';
  const originalFor = '  http-request set-header X-Original-Forwarded-For %[var(txn.original_xff)] if { var(txn.original_xff) -m found }';
  const tail = [originalFor, '  http-request set-header X-Scheme %[req.fhdr(x-forwarded-proto)]'];
  // Where X-Forwarded-Proto is this frontend's scheme for every request, X-Scheme is that word: no header lookup per request.
  const fixedTail = ended ? tail : [originalFor, c.line`  http-request set-header X-Scheme ${schemeWord}`];
  const fixed = [
    c.line`  http-request set-header X-Forwarded-Proto ${schemeWord}`,
    ...(ended ? ['  http-request set-header X-Forwarded-Proto https if { dst_port 443 }'] : []),
    `  http-request set-header X-Forwarded-Port ${portValue}`,
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    ...fixedTail,
  ];
  if (!forwarded) {
    return [captureOriginal, c.line`  http-request del-header ${c.regex(FORWARDING_HEADERS)} -m reg`, '  option forwardfor', '  http-request set-header X-Real-IP %[src]', ...fixed];
  }
  const kept = [...(forwarded.keepForwardedHeaders ? ['proto', 'host', 'port'] : []), ...(forwarded.appendForwardedFor ? ['for'] : [])];
  const lines = [captureOriginal, ...sourceAcl('portero_trusted', forwarded.trusted)];
  if (forwarded.appendForwardedFor) lines.push('  http-request set-var(txn.peer) src');
  if (forwarded.realIp) {
    const header = c.fieldName(forwarded.header);
    // nginx's real_ip_recursive on (ingress-nginx always sets it): from the last address leftwards, an
    // address of a trusted peer gives way to the one before it, so the client is the last untrusted
    // address (all trusted: the first). Each rule tests the address the previous one set.
    for (let hop = 1; hop <= MAX_FORWARDED_HOPS; hop += 1) {
      const at = c.fragment`req.hdr(${header},-${c.int(hop)})`;
      lines.push(c.line`  http-request set-src ${at} if portero_trusted { ${at} -m found }`);
    }
  }
  if (kept.length === 0) {
    lines.push(c.line`  http-request del-header ${c.regex(FORWARDING_HEADERS)} -m reg`);
  } else {
    lines.push(c.line`  http-request del-header ${c.regex(FORWARDING_HEADERS)} -m reg if !portero_trusted`);
    const others = String.raw`^(forwarded|x_forwarded_[a-z_-]*|x-forwarded-(?!(` + kept.join('|') + String.raw`)$)[a-z_-]*|x[-_]real[-_]ip|x[-_]original[-_]forwarded[-_]for|x[-_]scheme)$`;
    lines.push(c.line`  http-request del-header ${c.regex(others)} -m reg if portero_trusted`);
  }
  // compute-full-forwarded-for: the peer is appended to what a trusted peer sent; otherwise the header holds the client only.
  lines.push(forwarded.appendForwardedFor ? '  http-request add-header X-Forwarded-For %[var(txn.peer)]' : '  option forwardfor');
  lines.push('  http-request set-header X-Real-IP %[src]');
  if (!forwarded.keepForwardedHeaders) return [...lines, ...fixed];
  return [
    ...lines,
    // A trusted X-Forwarded-Host list: its first entry, as ingress-nginx's $best_http_host.
    '  http-request set-header X-Forwarded-Host %[req.hdr(x-forwarded-host,1)] if { req.hdr(x-forwarded-host) -m found }',
    ...(ended ? ['  http-request set-header X-Forwarded-Proto https if { dst_port 443 } !{ req.hdr(x-forwarded-proto) -m found }'] : []),
    c.line`  http-request set-header X-Forwarded-Proto ${schemeWord} if !{ req.hdr(x-forwarded-proto) -m found }`,
    `  http-request set-header X-Forwarded-Port ${portValue} if !{ req.hdr(x-forwarded-port) -m found }`,
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)] if !{ req.hdr(x-forwarded-host) -m found }',
    ...tail,
  ];
}

function frontendSection(plan: FrontendPlan, capabilities: Capabilities, settings: ConfigSettings, genDir: string): string[] {
  const { scheme, port } = plan;
  const globals = capabilities.globals;
  // use-proxy-protocol: the PROXY header (v1 or v2) gives the client address.
  const proxy = c.keyword(globals.proxyProtocol ? ' accept-proxy' : '', ['', ' accept-proxy']);
  // Client certificates are verified by the rules (features/client-auth.ts): no verification error fails the handshake.
  const ignore = c.keyword(asksForCertificates(capabilities.clientAuth) ? ' ca-ignore-err all crt-ignore-err all' : '', ['', ' ca-ignore-err all crt-ignore-err all']);
  // use-http2: "false": HTTP/1.1 only.
  const alpn = c.keyword(globals.tlsSessions?.http1Only ? 'http/1.1' : 'h2,http/1.1', ['http/1.1', 'h2,http/1.1']);
  const tls = c.fragment`ssl crt-list ${c.filePath(`${genDir}/${GENERATION_FILES.crtList}`)} alpn ${alpn}${ignore}`;
  const bindOn = (address: string) => (scheme === 'http' ? c.line`  bind ${c.bindAddress(address, port)}${proxy}` : c.line`  bind ${c.bindAddress(address, port)}${proxy} ${tls}`);
  // Behind the TCP frontend (passthroughSections), which passes the client's address on with the PROXY protocol, and binds the Gateway addresses of port 443.
  const behindPassthrough = plan.ingress && scheme === 'https' && capabilities.passthrough;
  const binds = behindPassthrough
    ? [c.line`  bind unix@${c.filePath(tlsSocket(settings))} accept-proxy ${tls}`]
    : // Gateway addresses too (HAProxy binds with SO_REUSEPORT, so a wildcard --bind-address does not collide).
      [...(plan.sharedBind ? [bindOn(settings.bindAddress)] : []), ...plan.addresses.map(bindOn)];
  return [
    c.line`frontend ${c.ident(plan.name)}`,
    ...binds,
    // First, so that requests refused by the rules below are logged too.
    ...(settings.accessLog ? ['  http-request set-log-level emerg'] : []),
    // skip-access-log-http-statuses: endpoint answers of these statuses are not logged (HAProxy 2.6 cannot change the log level of its own answers).
    ...(settings.accessLog && globals.skipLogStatuses !== undefined ? [c.line`  http-response set-log-level silent if { status -m reg ${c.objectRegex(globals.skipLogStatuses)} }`] : []),
    ...NORMALIZE_URI,
    ...HEADER_HYGIENE,
    ...forwardingLines(scheme, port, globals),
    // block-cidrs: after the client address is known (set-src above), before routing.
    ...(globals.blockSources ? [...sourceAcl('portero_block', globals.blockSources), '  http-request deny deny_status 403 if portero_block'] : []),
    // block-user-agents, block-referers; then proxy-set-headers, before routing (a route's own header rules come later, in its backend).
    ...blockRequestLines(globals),
    ...globalRequestHeaderLines(globals),
    // hide-headers, add-headers.
    ...globalResponseHeaderLines(globals),
    // hsts: on every HTTPS response (docs/configuration.md says why not only hosts with a certificate of their own).
    ...(scheme === 'https' && globals.hsts
      ? [c.line`  http-after-response set-header Strict-Transport-Security ${c.hstsValue(globals.hsts.maxAgeSeconds, globals.hsts.includeSubdomains, globals.hsts.preload)}`]
      : []),
    ...(settings.accessLog ? ['  log global', c.line`  ${accessLogFormat(genDir)}`, '  http-request set-var(txn.host) req.hdr(host)'] : []),
    // use-gzip: before routing, so that a rule answering early (a redirect) still passes the filter's request check.
    ...compressionLines(globals.compression),
    ...routingRules(capabilities, genDir, plan, settings.httpsPort),
    c.line`  default_backend ${c.ident(NOT_FOUND_BACKEND)}`,
    '  http-after-response set-header Server portero',
    '',
  ];
}

/** The TLS frontend's socket when port 443 routes by SNI first (ssl-passthrough). */
function tlsSocket(settings: ConfigSettings): string {
  return `${settings.stateDir}/tls.sock`;
}

const TLS_TERMINATE_BACKEND = 'portero:tls-terminate';

/**
 * ssl-passthrough (ingress-nginx's --enable-ssl-passthrough): the TLS port
 * reads the SNI of the ClientHello; passthrough hosts go, as they are, to
 * their backend (mode tcp), every other connection to the TLS frontend over
 * a local socket, as ingress-nginx's TCP proxy does.
 */
function passthroughSections(capabilities: Capabilities, settings: ConfigSettings, genDir: string): string[] {
  if (!capabilities.passthrough) return [];
  const sni = c.fragment`req.ssl_sni,lower,map_str(${c.filePath(`${genDir}/${GENERATION_FILES.passthroughMap}`)})`;
  return [
    'frontend portero-tls-sni',
    '  mode tcp',
    c.line`  bind ${c.bindAddress(settings.bindAddress, settings.httpsPort)}${c.keyword(capabilities.globals.proxyProtocol ? ' accept-proxy' : '', ['', ' accept-proxy'])}`,
    ...(frontendPlans(capabilities.scopes, settings).find((plan) => plan.name === 'portero-https')?.addresses ?? []).map((address) => c.line`  bind ${c.bindAddress(address, settings.httpsPort)}${c.keyword(capabilities.globals.proxyProtocol ? ' accept-proxy' : '', ['', ' accept-proxy'])}`),
    '  tcp-request inspect-delay 5s',
    '  tcp-request content accept if { req.ssl_hello_type 1 }',
    c.line`  use_backend %[${sni}] if { ${sni} -m found }`,
    c.line`  default_backend ${c.ident(TLS_TERMINATE_BACKEND)}`,
    '',
    c.line`backend ${c.ident(TLS_TERMINATE_BACKEND)}`,
    '  mode tcp',
    c.line`  server tls unix@${c.filePath(tlsSocket(settings))} send-proxy-v2`,
    '',
  ];
}

/** HAProxy's own Prometheus exporter; a scrape without `?scope=` gets only global and frontend metrics, which stay small at any number of backends. */
function metricsSection(settings: ConfigSettings): string[] {
  if (!settings.metricsPort) return [];
  return [
    'frontend portero-metrics',
    c.line`  bind ${c.bindAddress(settings.bindAddress, settings.metricsPort)}`,
    '  http-request set-query scope=global&scope=frontend if { path /metrics } !{ url_param(scope) -m found }',
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  http-request return status 404 content-type text/plain string "404 Not Found"',
    '',
  ];
}

function backendSection(name: string, backend: Backend | undefined, context: FeatureContext): string[] {
  const options = serverOptions(backend?.features);
  if (backend?.features?.passthrough) {
    // TLS connections as they are (ssl-passthrough): no HTTP rule applies.
    return [
      c.line`backend ${c.ident(name)}`,
      '  mode tcp',
      '  balance roundrobin',
      ...backend.endpoints.map((endpoint) => c.line`  server ${serverName(endpoint.address, endpoint.port)} ${c.address(endpoint.address, endpoint.port)}`),
      '',
    ];
  }
  return [
    c.line`backend ${c.ident(name)}`,
    ...backendSettingLines(backend),
    ...customErrorRequestLines(backend),
    ...featureLines(backend?.features, { ...context, section: name }, backend?.authEndpoints, backend?.mirrorEndpoints),
    ...customErrorResponseLines(backend),
    ...(backend?.endpoints ?? []).map((endpoint) => {
      const server = c.fragment`server ${serverName(endpoint.address, endpoint.port)} ${c.address(endpoint.address, endpoint.port)}`;
      return options ? c.line`  ${server} ${options}` : c.line`  ${server}`;
    }),
    // Used only while no endpoint of the Service is up (default-backend).
    ...(backend?.backupEndpoints ?? []).map((endpoint) => {
      const server = c.fragment`server ${backupServerName(endpoint.address, endpoint.port)} ${c.address(endpoint.address, endpoint.port)}`;
      return options ? c.line`  ${server} ${options} backup` : c.line`  ${server} backup`;
    }),
    '',
  ];
}

/**
 * The configuration for `model` under `names`: a section for every backend
 * of the structure (with the backend it was given to since, if any; empty
 * when the model no longer has either) and every spare (with the servers
 * of the backend that took it, if any).
 */
export function renderConfig(model: Model, settings: ConfigSettings, genDir: string, names: BackendNames): string {
  const byId = new Map(model.backends.map((backend) => [backend.id, backend]));
  const spareHolder = new Map<number, string>();
  for (const [id, index] of names.spareAssignments) spareHolder.set(index, id);
  const { structure } = names;
  // A section given to another backend since its own left (structure.ts BackendNames) has that backend's rules: the same shape, its values in settings.map under the section's name.
  const occupant = (id: string) => byId.get(id) ?? byId.get(names.takerOf(id) ?? '');
  const context: FeatureContext = { httpsPort: settings.httpsPort, httpPort: settings.httpPort, genDir, globals: structure.capabilities.globals };
  // Spares never have features: the sections of the structure's backends are the only ones with basic auth.
  const featured = [...structure.backends.keys()].sort().map((id) => occupant(id)?.features);
  const lines = [
    '# Generated by Portero. Do not edit: every change is overwritten.',
    ...globalSection(
      settings,
      structure.capabilities.globals,
      genDir,
      model.backends.some((backend) => backend.features?.externalAuth),
      needsBasicAuthLua(featured),
      needsCustomErrorsLua([...structure.backends.keys()].map(occupant)),
      structure.capabilities.candidates,
      asksForCertificates(structure.capabilities.clientAuth),
      needsMirrorLua([...structure.backends.keys()].map(occupant)),
    ),
    ...defaultsSection(genDir, structure.capabilities.globals),
    ...frontendPlans(structure.capabilities.scopes, settings).flatMap((plan) => frontendSection(plan, structure.capabilities, settings, genDir)),
    ...passthroughSections(structure.capabilities, settings, genDir),
    ...metricsSection(settings),
    c.line`backend ${c.ident(NOT_FOUND_BACKEND)}`,
    '  http-request return status 404 content-type text/plain string "404 Not Found"',
    '',
    c.line`backend ${c.ident(UNAVAILABLE_BACKEND)}`,
    '  http-request return status 503 content-type text/plain string "503 Service Unavailable"',
    '',
    // A Gateway API backendRef that cannot be resolved, for its share of the requests.
    c.line`backend ${c.ident(INVALID_BACKEND)}`,
    // gRPC calls get UNAVAILABLE (14) in a trailers-only answer, as GRPCRoute asks; an HTTP 500 reads as UNKNOWN to gRPC clients.
    // (`return` drops a content-type given by `hdr` when there is no payload, so it is set after.)
    '  http-request return status 200 hdr grpc-status 14 hdr grpc-message "no valid backend" if { req.hdr(content-type) -m beg application/grpc }',
    '  http-after-response set-header content-type application/grpc if { res.hdr(grpc-status) -m found }',
    '  http-request return status 500 content-type text/plain string "500 Internal Server Error"',
    '',
    ...[...structure.backends.keys()].sort().flatMap((id) => backendSection(id, occupant(id), context)),
    // Stick tables of the limits of the backends above (spares never have features).
    ...limitTableSections(featured),
    ...basicAuthUserlists(featured),
    ...Array.from({ length: structure.spares }, (_, index) => {
      const holder = spareHolder.get(index);
      return backendSection(`${SPARE_PREFIX}${index}`, holder === undefined ? undefined : byId.get(holder), context);
    }).flat(),
  ];
  return lines.join('\n');
}
