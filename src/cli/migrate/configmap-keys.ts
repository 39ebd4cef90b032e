// The keys of the ingress-nginx ConfigMap (the `ingress-nginx-controller`
// ConfigMap, `--configmap` of ingress-nginx) that migrating users set most,
// from the research note's section 5, and what Portero does with each.
//
// Portero does not read the ConfigMap yet, so every key is `ignored`, unless
// its value asks for what Portero does anyway (`ssl-redirect: "true"`,
// `use-forwarded-headers: "false"`, ...): then it is `supported`, since
// nothing would differ. When Portero starts reading a key, change its row
// here; `portero migrate` reads nothing else about the ConfigMap.

import type { ConfigMapKeyEntry } from './report.js';

export interface ConfigMapKey {
  /** What ingress-nginx does with the key, and what Portero does instead. */
  note: string;
  /** Values with which ingress-nginx behaves as Portero does without the key. */
  sameWhen?: (value: string) => boolean;
  /** Default `ignored`; `difference` when Portero takes the setting from elsewhere (a flag). */
  status?: 'ignored' | 'difference';
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
  'ssl-session-cache': { note: `TLS session cache; ${NOT_READ}` },
  'ssl-session-cache-size': { note: `TLS session cache size; ${NOT_READ}` },
  'ssl-session-timeout': { note: `TLS session lifetime; ${NOT_READ}` },
  'ssl-session-tickets': { note: `TLS session tickets; ${NOT_READ}` },
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
  'large-client-header-buffers': { note: `largest request header (default 4 8k); ${NOT_READ}: HAProxy's buffer size applies` },
  'client-header-buffer-size': { note: `request header buffer (default 1k); ${NOT_READ}` },
  'client-body-buffer-size': { note: `request body buffer (default 8k); ${NOT_READ}` },
  'proxy-buffer-size': { note: `response header buffer (default 4k); ${NOT_READ}` },
  'proxy-buffering': { note: `response buffering (default off); ${NOT_READ}` },
  'proxy-request-buffering': { note: `request body buffering (default on); ${NOT_READ}` },
  'proxy-next-upstream': { note: `when to retry another endpoint (default error timeout); ${NOT_READ}` },
  'proxy-next-upstream-tries': { note: `retries (default 3); ${NOT_READ}` },
  'proxy-next-upstream-timeout': { note: `time limit for retries (default 0); ${NOT_READ}` },
  'keep-alive': { note: `client keep-alive timeout (default 75 s); ${NOT_READ}` },
  'upstream-keepalive-connections': { note: `idle upstream connections kept (default 320); ${NOT_READ}` },
  'upstream-keepalive-timeout': { note: `upstream keep-alive timeout (default 60 s); ${NOT_READ}` },
  'upstream-keepalive-requests': { note: `requests per upstream connection; ${NOT_READ}` },
  'proxy-set-headers': { note: `ConfigMap of headers added to upstream requests; ${NOT_READ}`, sameWhen: EMPTY },
  'add-headers': { note: `ConfigMap of headers added to responses; ${NOT_READ}`, sameWhen: EMPTY },
  'hide-headers': { note: `upstream response headers removed; ${NOT_READ}`, sameWhen: EMPTY },
  'allow-snippet-annotations': { status: 'difference', note: 'Portero takes this from its --allow-snippet-annotations flag, not from the ConfigMap: pass the flag to accept snippets', sameWhen: FALSE },
  'annotations-risk-level': { note: `highest risk of annotations accepted (default High); ${NOT_READ}: Portero refuses snippets unless --allow-snippet-annotations, and checks every other value against a strict grammar` },
  'strict-validate-path-type': { note: `refuse regex characters in Prefix and Exact paths (default true); ${NOT_READ}: Portero refuses paths outside its own grammar`, sameWhen: TRUE },
  'allow-cross-namespace-resources': { note: `annotations may name Secrets and ConfigMaps of other namespaces (default false); ${NOT_READ}`, sameWhen: FALSE },
  'global-allowed-response-headers': { note: `headers custom-headers may set; ${NOT_READ}`, sameWhen: EMPTY },
  'global-auth-url': { note: `external authentication for every Ingress; ${NOT_READ}: requests are not authenticated`, sameWhen: EMPTY },
  'global-auth-signin': { note: `sign-in URL of the global authentication; ${NOT_READ}`, sameWhen: EMPTY },
  'global-auth-response-headers': { note: `headers copied from the global authentication response; ${NOT_READ}`, sameWhen: EMPTY },
  'load-balance': { note: `load-balancing algorithm (default round_robin); ${NOT_READ}: Portero balances round-robin`, sameWhen: is('round_robin') },
  'use-gzip': { note: `gzip compression of responses (default false); ${NOT_READ}: Portero does not compress`, sameWhen: FALSE },
  'enable-brotli': { note: `brotli compression (default false); ${NOT_READ}: HAProxy has no brotli`, sameWhen: FALSE },
  'server-tokens': { note: `nginx version in the Server header and error pages (default false); ${NOT_READ}` },
};

/** What Portero does with one key of the ingress-nginx ConfigMap. */
export function classifyConfigMapKey(key: string, value: string): ConfigMapKeyEntry {
  if (!Object.hasOwn(CONFIGMAP_KEYS, key)) return { key, value, status: 'unknown', note: 'not a key Portero knows; it has no effect' };
  const known = CONFIGMAP_KEYS[key]!;
  if (known.sameWhen?.(value)) return { key, value, status: 'supported', note: `${known.note}; with this value nothing differs` };
  return { key, value, status: known.status ?? 'ignored', note: known.note };
}
