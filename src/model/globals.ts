// Global settings of the data plane that come from the ingress-nginx
// ConfigMap (`--configmap`, translate/configmap.ts): they shape the global,
// defaults and frontend sections of haproxy.cfg, so a change reloads. Plain,
// checked data; absent fields keep Portero's own defaults.

export interface GlobalSettings {
  /** proxy-connect-timeout, seconds: `timeout connect` of the defaults section. */
  connectSeconds?: number;
  /** proxy-read-timeout (or proxy-send-timeout), seconds: `timeout server`. */
  serverSeconds?: number;
  /** keep-alive, seconds: `timeout http-keep-alive` (idle client connections between requests). */
  keepAliveSeconds?: number;
  /** http-redirect-code: the status of the HTTP→HTTPS redirect (301, 302, 307 or 308); absent: 308. */
  redirectCode?: number;
  /** hsts: Strict-Transport-Security on every HTTPS response. */
  hsts?: { maxAgeSeconds: number; includeSubdomains: boolean; preload: boolean };
  /** ssl-protocols: the lowest and highest TLS versions offered. */
  tlsVersions?: { min: TlsVersion; max: TlsVersion };
  /** ssl-ciphers: TLS 1.2 cipher list, OpenSSL names joined by `:`. */
  ciphers?: string;
  /** ssl-session-tickets, ssl-session-cache(-size), ssl-session-timeout, use-http2 (translate/configmap-tls.ts). */
  tlsSessions?: TlsSessionSettings;
  /** use-proxy-protocol: the HTTP and HTTPS binds expect the PROXY protocol (v1 or v2). */
  proxyProtocol?: boolean;
  /** Forwarding headers trusted from some peers (use-forwarded-headers, enable-real-ip, ...). */
  forwarded?: ForwardedSettings;
  /** block-cidrs: clients refused (403) on every host. */
  blockSources?: readonly string[];
  /** large-client-header-buffers: HAProxy's buffer size (tune.bufsize), when above its default 16 KiB. */
  bufferBytes?: number;
  /** use-gzip: responses of these types are compressed with gzip for clients that accept it. */
  compression?: CompressionSettings;
  /** block-user-agents: requests whose User-Agent matches one are refused (403) on every host. */
  blockUserAgents?: readonly BlockPattern[];
  /** block-referers: requests whose Referer matches one are refused (403) on every host. */
  blockReferers?: readonly BlockPattern[];
  /** add-headers: response headers set on every answer (nginx's more_set_headers at http level), sorted by name. */
  responseHeaders?: readonly GlobalHeader[];
  /** proxy-set-headers: request headers set on every request sent to endpoints, sorted by name. */
  requestHeaders?: readonly GlobalHeader[];
  /** hide-headers: endpoint response headers removed (nginx's proxy_hide_header), lowercase, sorted. */
  hideHeaders?: readonly string[];
  /** skip-access-log-http-statuses: a regular expression (safe subset) searched in the status of endpoint answers left out of the access log. */
  skipLogStatuses?: string;
  /** no-tls-redirect-locations, when set: the path prefixes never redirected to HTTPS (absent: /.well-known/acme-challenge/). */
  noRedirectPaths?: readonly string[];
}

export interface CompressionSettings {
  /** MIME types compressed, lowercase (text/html always among them). */
  types: readonly string[];
  /** gzip-disable: User-Agent patterns (headerSearchRegex: the safe subset with spaces, searched case-insensitively) whose clients get no compression. */
  disableUserAgents?: readonly string[];
  /** gzip-disable's `msie6`: Internet Explorer 4 to 6. */
  msie6?: boolean;
}

/** A header of add-headers or proxy-set-headers: lowercase name, checked value; no value removes the header. */
export interface GlobalHeader {
  name: string;
  value?: string;
}

/**
 * An entry of block-user-agents or block-referers, as an nginx map key: an
 * exact string (nginx compares strings ignoring case), or a regular
 * expression of the safe subset (translate/regex.ts) searched in the value.
 */
export type BlockPattern = { kind: 'exact'; text: string } | { kind: 'regex'; pattern: string; caseInsensitive: boolean };

/** The path prefix exempt from the HTTPS redirects when no-tls-redirect-locations is not set (ACME HTTP-01 challenges). */
export const DEFAULT_NO_REDIRECT_PATHS: readonly string[] = ['/.well-known/acme-challenge/'];

/** Whether plain HTTP to `path` (normalised) is never redirected to HTTPS: it starts with a no-tls-redirect-locations prefix. */
export function exemptFromHttpsRedirect(globals: GlobalSettings | undefined, path: string): boolean {
  return (globals?.noRedirectPaths ?? DEFAULT_NO_REDIRECT_PATHS).some((prefix) => path.startsWith(prefix));
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsSessionSettings {
  /** ssl-session-tickets: "true": session tickets are issued (Portero's default: none). */
  tickets?: boolean;
  /** ssl-session-cache: "false": no session cache (tune.ssl.cachesize 0). */
  cacheOff?: boolean;
  /** ssl-session-cache-size: the cache's number of sessions (tune.ssl.cachesize). */
  cacheSessions?: number;
  /** ssl-session-timeout, seconds: tune.ssl.lifetime. */
  lifetimeSeconds?: number;
  /** use-http2: "false": ALPN offers http/1.1 only. */
  http1Only?: boolean;
}

export interface ForwardedSettings {
  /** proxy-real-ip-cidr: the peers trusted; addresses or CIDR ranges, checked. */
  trusted: readonly string[];
  /** enable-real-ip or use-forwarded-headers: the client address is, from a trusted peer, the last address of `header` that is not a trusted one (all trusted: the first; nginx real_ip_recursive). */
  realIp: boolean;
  /** forwarded-for-header, lowercase (default x-forwarded-for). */
  header: string;
  /** use-forwarded-headers: X-Forwarded-Proto, -Host and -Port from a trusted peer are passed on unchanged. */
  keepForwardedHeaders: boolean;
  /** compute-full-forwarded-for: a trusted peer's X-Forwarded-For is kept and the peer appended. */
  appendForwardedFor: boolean;
}
