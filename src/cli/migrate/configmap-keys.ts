// The keys of the ingress-nginx ConfigMap (the `ingress-nginx-controller`
// ConfigMap, `--configmap` of ingress-nginx) that migrating users set most,
// from the research note's section 5, and what Portero does with each.
//
// Portero reads the keys of translate/configmap.ts (READ_KEYS) when started
// with `--configmap`: those are `supported` (with the note saying how).
// Other keys are `ignored`, unless their value asks for what Portero does
// anyway (`use-gzip: "false"`, ...): then they are `supported`, since nothing
// would differ. `portero migrate` reads nothing else about the ConfigMap.

import { READ_KEYS } from '../../translate/configmap.js';
import type { ConfigMapKeyEntry } from './report.js';

export interface ConfigMapKey {
  /** What ingress-nginx does with the key, and what Portero does instead. */
  note: string;
  /** Values with which ingress-nginx behaves as Portero does without the key. */
  sameWhen?: (value: string) => boolean;
  /** Default `ignored`; `difference` when Portero takes the setting from elsewhere (a flag). */
  status?: 'ignored' | 'difference';
  /** Read by Portero with --configmap (translate/configmap.ts); `difference` when it differs in a detail the note says. */
  read?: 'supported' | 'difference';
}

const TRUE = (value: string) => /^(true|1|t)$/i.test(value.trim());
const FALSE = (value: string) => /^(false|0|f)$/i.test(value.trim());
const EMPTY = (value: string) => value.trim() === '';
const is = (wanted: string) => (value: string) => value.trim().toLowerCase() === wanted;

const NOT_READ = 'Portero does not read this key';

export const CONFIGMAP_KEYS: Readonly<Record<string, ConfigMapKey>> = {
  'proxy-body-size': { note: `global request body limit (ingress-nginx default 1m, 413 above it); ${NOT_READ} and applies no global limit: set the proxy-body-size annotation per Ingress`, sameWhen: is('0') },
  'proxy-connect-timeout': { note: `global upstream connect timeout (default 5 s); ${NOT_READ}: set the annotation per Ingress` },
  'proxy-read-timeout': { note: `global upstream idle timeout (default 60 s); ${NOT_READ}: set the annotation per Ingress` },
  'proxy-send-timeout': { note: `global upstream idle timeout (default 60 s); ${NOT_READ}: set the annotation per Ingress` },
  'ssl-redirect': { note: `global HTTP→HTTPS redirect for hosts with a certificate (default true); ${NOT_READ}: Portero always redirects, unless an Ingress sets the ssl-redirect annotation to false`, sameWhen: TRUE },
  'force-ssl-redirect': { note: `global redirect to HTTPS even without a certificate (default false); ${NOT_READ}: set the annotation per Ingress`, sameWhen: FALSE },
  'http-redirect-code': { note: `status of the HTTPS redirect (default 308); ${NOT_READ}: Portero redirects with 308`, sameWhen: is('308') },
  'use-forwarded-headers': { note: `trust X-Forwarded-* sent by the client (default false); ${NOT_READ}: Portero never trusts them`, sameWhen: FALSE },
  'compute-full-forwarded-for': { note: `append to X-Forwarded-For instead of replacing it (default false); ${NOT_READ}: Portero replaces it`, sameWhen: FALSE },
  'use-proxy-protocol': { note: `expect the PROXY protocol on the HTTP and HTTPS ports (default false); ${NOT_READ}`, sameWhen: FALSE },
  'proxy-real-ip-cidr': { note: `addresses trusted to set the client address (default 0.0.0.0/0, used with real-IP handling); ${NOT_READ}` },
  'enable-real-ip': { note: `take the client address from forwarded-for-header (default false); ${NOT_READ}`, sameWhen: FALSE },
  'forwarded-for-header': { note: `header the client address is taken from with enable-real-ip (default X-Forwarded-For); ${NOT_READ}`, sameWhen: is('x-forwarded-for') },
  'ssl-protocols': { note: `TLS versions offered (default TLSv1.2 TLSv1.3); ${NOT_READ}: Portero uses HAProxy's defaults` },
  'ssl-ciphers': { note: `TLS cipher list; ${NOT_READ}: Portero uses HAProxy's defaults` },
  'ssl-session-ticket-key': { note: `key of the TLS session tickets; ${NOT_READ}: with ssl-session-tickets, HAProxy makes its own keys at start, so tickets do not survive a restart or reach other replicas` },
  'ssl-dh-param': { note: `Diffie-Hellman parameters Secret; ${NOT_READ}` },
  hsts: { note: `Strict-Transport-Security on HTTPS responses of hosts with a certificate (default true); ${NOT_READ}: Portero sends no HSTS header`, sameWhen: FALSE },
  'hsts-max-age': { note: `HSTS max-age (default 31536000); ${NOT_READ}: Portero sends no HSTS header` },
  'hsts-include-subdomains': { note: `HSTS includeSubDomains (default true); ${NOT_READ}: Portero sends no HSTS header` },
  'hsts-preload': { note: `HSTS preload (default false); ${NOT_READ}: Portero sends no HSTS header` },
  'log-format-upstream': { note: `access log format; ${NOT_READ}: Portero's access log (--access-log) is JSON with fixed fields` },
  'log-format-escape-json': { note: `JSON escaping in the access log; ${NOT_READ}` },
  'custom-http-errors': { note: `statuses answered by the default backend (with --default-backend-service); ${NOT_READ}` },
  'whitelist-source-range': { note: `global allowlist of client addresses; ${NOT_READ}: set the annotation per Ingress`, sameWhen: EMPTY },
  'denylist-source-range': { note: `global denylist of client addresses; ${NOT_READ}: set the annotation per Ingress`, sameWhen: EMPTY },
  'block-cidrs': { note: `client addresses refused everywhere; ${NOT_READ}`, sameWhen: EMPTY },
  'client-header-buffer-size': { note: `request header buffer (default 1k); ${NOT_READ}` },
  'client-body-buffer-size': { note: `request body buffer (default 8k); ${NOT_READ}` },
  'proxy-buffer-size': { note: `response header buffer (default 4k); ${NOT_READ}` },
  'proxy-buffering': { note: `response buffering (default off); ${NOT_READ}` },
  'proxy-request-buffering': { note: `request body buffering (default on); ${NOT_READ}` },
  'keep-alive': { note: `client keep-alive timeout (default 75 s); ${NOT_READ}` },
  'upstream-keepalive-connections': { note: `idle upstream connections kept (default 320); ${NOT_READ}` },
  'upstream-keepalive-timeout': { note: `upstream keep-alive timeout (default 60 s); ${NOT_READ}` },
  'upstream-keepalive-requests': { note: `requests per upstream connection; ${NOT_READ}` },
  'allow-snippet-annotations': { status: 'difference', note: 'Portero takes this from its --allow-snippet-annotations flag, not from the ConfigMap: pass the flag to accept snippets', sameWhen: FALSE },
  'annotations-risk-level': { note: `highest risk of annotations accepted (default High); ${NOT_READ}: Portero refuses snippets unless --allow-snippet-annotations, and checks every other value against a strict grammar` },
  'strict-validate-path-type': { note: `refuse regex characters in Prefix and Exact paths (default true); ${NOT_READ}: Portero refuses paths outside its own grammar`, sameWhen: TRUE },
  'allow-cross-namespace-resources': { note: `annotations may name Secrets and ConfigMaps of other namespaces (default false); ${NOT_READ}`, sameWhen: FALSE },
  'enable-brotli': { note: `brotli compression (default false); ${NOT_READ}: HAProxy has no brotli`, sameWhen: FALSE },
  'server-tokens': { note: `nginx version in the Server header and error pages (default false); ${NOT_READ}` },
  'reuse-port': { note: `SO_REUSEPORT on the listening sockets (default true); ${NOT_READ}: HAProxy always uses it (its reloads rely on it), so "false" has no effect`, sameWhen: TRUE },
  'main-snippet': { note: `raw nginx configuration for the main context; ${NOT_READ}: Portero never pastes configuration` },
  'http-snippet': { note: `raw nginx configuration for the http context; ${NOT_READ}: Portero never pastes configuration` },
  'server-snippet': { note: `raw nginx configuration for every server; ${NOT_READ}: Portero never pastes configuration (the server-snippet annotation's safe subset is read per Ingress with --allow-snippet-annotations)` },
  'location-snippet': { note: `raw nginx configuration for every location; ${NOT_READ}: Portero never pastes configuration` },
  'stream-snippet': { note: `raw nginx configuration for the stream context; ${NOT_READ}: Portero never pastes configuration` },
  'worker-processes': { note: `nginx worker processes (default: one per CPU); ${NOT_READ}: HAProxy runs one process with one thread per CPU` },
  'max-worker-open-files': { note: `nginx worker_rlimit_nofile; ${NOT_READ}: HAProxy sizes its file limit from its connection limit` },
  'enable-modsecurity': { note: `the ModSecurity web application firewall; ${NOT_READ}: Portero has no web application firewall`, sameWhen: FALSE },
  'enable-owasp-modsecurity-crs': { note: `the OWASP core rule set for ModSecurity; ${NOT_READ}: Portero has no web application firewall`, sameWhen: FALSE },
  'modsecurity-snippet': { note: `ModSecurity rules; ${NOT_READ}: Portero has no web application firewall` },
  'global-rate-limit-memcached-host': { note: `memcached server of global-rate-limit (rate limits shared by all replicas); ${NOT_READ}: Portero's limits (limit-rps, limit-rpm, limit-connections) count per replica`, sameWhen: EMPTY },
  'global-rate-limit-memcached-port': { note: `memcached port of global-rate-limit; ${NOT_READ}` },
  'global-rate-limit-status-code': { note: `status of global-rate-limit refusals; ${NOT_READ}` },
  'skip-access-log-urls': { note: `paths left out of the access log; ${NOT_READ}: use the enable-access-log annotation per Ingress`, sameWhen: EMPTY },
  'enable-ocsp': { note: `OCSP stapling for the certificates (default false); ${NOT_READ}: Portero staples no OCSP response`, sameWhen: FALSE },
  'http2-max-concurrent-streams': { note: `HTTP/2 streams per connection (default 128); ${NOT_READ}: HAProxy's default (100)` },
};

/** How Portero reads the keys of READ_KEYS when started with --configmap (docs/configuration.md, "ingress-nginx ConfigMap"). */
const READ_NOTES: Readonly<Record<string, { note: string; status?: 'difference' }>> = {
  'proxy-body-size': { note: 'read with --configmap: the limit of every Ingress without the annotation (checked against Content-Length)', status: 'difference' },
  'load-balance': { note: 'read with --configmap: the default of every Ingress without the annotation; ewma and least_connections are both HAProxy leastconn', status: 'difference' },
  'proxy-connect-timeout': { note: 'read with --configmap: timeout connect of every backend' },
  'proxy-read-timeout': { note: 'read with --configmap: timeout server of every backend' },
  'proxy-send-timeout': { note: 'read with --configmap; HAProxy has one idle timeout for both directions: proxy-read-timeout wins', status: 'difference' },
  'ssl-redirect': { note: 'read with --configmap: the default of every Ingress without the annotation' },
  'force-ssl-redirect': { note: 'read with --configmap: the default of every Ingress without the annotation' },
  'http-redirect-code': { note: 'read with --configmap: the code of the HTTPS redirects' },
  hsts: { note: "read with --configmap; HSTS is sent when hsts is \"true\" (ingress-nginx's default true is not applied), on every HTTPS response" },
  'hsts-max-age': { note: 'read with --configmap (with hsts: "true")' },
  'hsts-include-subdomains': { note: 'read with --configmap (with hsts: "true")' },
  'hsts-preload': { note: 'read with --configmap (with hsts: "true")' },
  'ssl-protocols': { note: 'read with --configmap; TLSv1 and TLSv1.1 are never offered', status: 'difference' },
  'ssl-ciphers': { note: 'read with --configmap: OpenSSL cipher names joined by : (no !, + or @ operators)', status: 'difference' },
  'ssl-session-tickets': { note: 'read with --configmap (default false, as in ingress-nginx); the ticket keys are HAProxy\'s own, made at start (ssl-session-ticket-key is not read)', status: 'difference' },
  'ssl-session-cache': { note: 'read with --configmap: "false" turns HAProxy\'s session cache off' },
  'ssl-session-cache-size': { note: 'read with --configmap: about 4000 sessions a megabyte, as nginx keeps (HAProxy counts sessions, not bytes)' },
  'ssl-session-timeout': { note: 'read with --configmap: HAProxy\'s tune.ssl.lifetime' },
  'skip-access-log-http-statuses': { note: 'read with --configmap: endpoint answers whose status matches are left out of the access log; the proxy\'s own answers (redirects, refusals, 404 of unknown hosts, 503) are always logged', status: 'difference' },
  'use-http2': { note: 'read with --configmap: "false" offers only HTTP/1.1 (ALPN) on the HTTPS port' },
  'use-forwarded-headers': { note: 'read with --configmap: trusted from proxy-real-ip-cidr only' },
  'compute-full-forwarded-for': { note: "read with --configmap: appended to what a trusted peer sent; an untrusted one's X-Forwarded-For is dropped", status: 'difference' },
  'forwarded-for-header': { note: 'read with --configmap' },
  'proxy-real-ip-cidr': { note: 'read with --configmap' },
  'enable-real-ip': { note: 'read with --configmap' },
  'use-proxy-protocol': { note: 'read with --configmap: accept-proxy on the HTTP and HTTPS binds' },
  'keep-alive': { note: 'read with --configmap: timeout http-keep-alive' },
  'allow-snippet-annotations': { note: 'read with --configmap (or the --allow-snippet-annotations flag)' },
  'whitelist-source-range': { note: 'read with --configmap: the default of every Ingress without an allowlist annotation' },
  'denylist-source-range': { note: 'read with --configmap: the default of every Ingress without the annotation' },
  'block-cidrs': { note: 'read with --configmap: refused (403) on every host' },
  'global-auth-url': { note: 'read with --configmap: external auth of every Ingress without its own auth-url or enable-global-auth: "false"; same URL rules as auth-url (http:// to a Service name or IP)', status: 'difference' },
  'global-auth-method': { note: 'read with --configmap (GET, HEAD, POST, PUT or DELETE)' },
  'global-auth-signin': { note: 'read with --configmap' },
  'global-auth-signin-redirect-param': { note: 'read with --configmap' },
  'global-auth-response-headers': { note: 'read with --configmap' },
  'global-auth-request-redirect': { note: 'read with --configmap' },
  'global-auth-always-set-cookie': { note: 'read with --configmap' },
  'global-auth-snippet': { note: 'snippets are never pasted: ignored with a warning', status: 'difference' },
  'global-auth-cache-key': { note: 'accepted and ignored: auth answers are not cached', status: 'difference' },
  'global-auth-cache-duration': { note: 'accepted and ignored: auth answers are not cached', status: 'difference' },
  'global-allowed-response-headers': { note: 'read with --configmap: the header names custom-headers may set' },
  'large-client-header-buffers': { note: "read with --configmap: HAProxy's buffer size (tune.bufsize) takes the whole header (number × size); without it HAProxy's 16k take about 15k of header, where ingress-nginx's default 4 8k takes 32k" },
  'use-gzip': { note: 'read with --configmap: HAProxy compresses the listed types with gzip (libslz) on every host' },
  'gzip-types': { note: "read with --configmap (text/html always included, as nginx does; \"*\" is not supported)" },
  'gzip-disable': { note: "read with --configmap: msie6 and User-Agent patterns of Portero's regex subset; HAProxy itself never compresses for Mozilla/4 agents other than MSIE 6 SP2+", status: 'difference' },
  'gzip-level': { note: 'accepted and ignored: libslz has a single level (about gzip level 1)', status: 'difference' },
  'gzip-min-length': { note: 'accepted and ignored: HAProxy 2.6 has no minimum size, every response of a listed type is compressed', status: 'difference' },
  'no-auth-locations': { note: 'read with --configmap: an Ingress whose paths all start with one of them gets no global auth (ingress-nginx exempts single locations)', status: 'difference' },
  'add-headers': { note: 'read with --configmap: the headers of the named ConfigMap are set on every response (an Ingress\'s custom-headers of the same name win)' },
  'proxy-set-headers': { note: 'read with --configmap: the headers of the named ConfigMap are set on every request to the endpoints (not Host, Connection or the framing headers)', status: 'difference' },
  'hide-headers': { note: 'read with --configmap: removed from every endpoint response' },
  'block-user-agents': { note: 'read with --configmap: refused (403) on every host; regular expressions outside Portero\'s safe subset are skipped with a warning' },
  'block-referers': { note: 'read with --configmap: refused (403) on every host; regular expressions outside Portero\'s safe subset are skipped with a warning' },
  'no-tls-redirect-locations': { note: 'read with --configmap: request paths starting with one of them are not redirected to HTTPS (ingress-nginx compares the Ingress path)', status: 'difference' },
  'service-upstream': { note: 'read with --configmap: the default of every Ingress without the annotation' },
  'proxy-next-upstream': { note: 'read with --configmap: the default of every Ingress without the annotation (http_429 is not retried)', status: 'difference' },
  'proxy-next-upstream-tries': { note: 'read with --configmap: the default of every Ingress without the annotation (0 to 100; 0 is at most 16 retries)', status: 'difference' },
  'proxy-next-upstream-timeout': { note: 'read with --configmap and checked, as the annotation; HAProxy bounds each attempt, not all of them together', status: 'difference' },
};

/** What Portero does with one key of the ingress-nginx ConfigMap. */
export function classifyConfigMapKey(key: string, value: string): ConfigMapKeyEntry {
  if ((READ_KEYS as readonly string[]).includes(key)) {
    const read = READ_NOTES[key] ?? { note: 'read with --configmap' };
    return { key, value, status: read.status ?? 'supported', note: read.note };
  }
  if (!Object.hasOwn(CONFIGMAP_KEYS, key)) return { key, value, status: 'unknown', note: 'not a key Portero knows; it has no effect' };
  const known = CONFIGMAP_KEYS[key]!;
  if (known.sameWhen?.(value)) return { key, value, status: 'supported', note: `${known.note}; with this value nothing differs` };
  return { key, value, status: known.status ?? 'ignored', note: known.note };
}
