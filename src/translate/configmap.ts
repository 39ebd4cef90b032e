// The ingress-nginx ConfigMap (`--configmap NS/NAME`): its keys, with
// ingress-nginx's value syntax, read into Portero's settings. Pure.
//
// Every value passes a strict grammar. A bad value is a diagnostic naming the
// key and the value, and only that key is ignored; an unknown key, or one
// Portero accepts without acting on it, is a warning. Nothing here is fatal.
//
// Three kinds of results:
// - annotation defaults (proxy-body-size, load-balance, the source ranges,
//   ssl-redirect, force-ssl-redirect, service-upstream, proxy-next-upstream*):
//   they apply to every Ingress that does not set the
//   annotation, as in ingress-nginx where the annotation replaces the global
//   value (translate/annotations/values.ts);
// - settings of how annotations are read (allow-snippet-annotations,
//   http-redirect-code for force-ssl-redirect);
// - data-plane globals (model/globals.ts): timeouts, TLS, HSTS, forwarding
//   headers, PROXY protocol, block-cidrs, block-user-agents, block-referers,
//   hide-headers, no-tls-redirect-locations, skip-access-log-http-statuses, TLS sessions and use-http2
//   (configmap-tls.ts), and the ConfigMaps that
//   add-headers and proxy-set-headers name (configmap-headers.ts).
//
// ingress-nginx's own defaults are not applied for keys the ConfigMap does
// not set (its 1m body limit, HSTS on): Portero's defaults stay.

import type { ConfigMap, ObjectRef } from '../objects/types.js';
import type { ForwardedSettings, GlobalSettings, TlsVersion } from '../model/globals.js';
import type { Diagnostic } from './diagnostics.js';
import { HEADER_NAME } from './annotations/grammars.js';
import { parseSource } from './annotations/source-ranges.js';
import { parseNginxSize } from './annotations/values.js';
import type { GlobalAuthDefaults } from './annotations/group.js';
import { readGlobalAuth } from './configmap-global-auth.js';
import { GZIP_KEYS, readGzip } from './configmap-gzip.js';
import { readHeaderBuffers } from './configmap-buffers.js';
import { readTlsSessions, TLS_KEYS } from './configmap-tls.js';
import { blockList, headerConfigMapRef, hideHeaders, type HeaderConfigMapRef } from './configmap-headers.js';
import { AnnotationValues } from './annotations/values.js';
import { headerSearchRegex } from './regex.js';
import { retries } from './annotations/retries.js';

export interface ConfigMapSettings {
  globals: GlobalSettings;
  /** Annotation name → value (already checked), used when an Ingress does not set the annotation. */
  annotationDefaults: Readonly<Record<string, string>>;
  /** allow-snippet-annotations: true. */
  allowSnippets: boolean;
  /** http-redirect-code, when not 308. */
  redirectCode?: number;
  /** global-auth-url and friends, as auth-* annotation values. */
  globalAuth?: GlobalAuthDefaults;
  /** global-allowed-response-headers, lowercase. */
  allowedResponseHeaders?: readonly string[];
  /** add-headers and proxy-set-headers: the ConfigMaps named, joined per translation (configmap-headers.ts). */
  headerConfigMaps: readonly HeaderConfigMapRef[];
  diagnostics: Diagnostic[];
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const DAY = 86400;

/** Keys accepted and reported as ignored: Portero has a fixed equivalent. */
export const IGNORED_KEYS: Readonly<Record<string, string>> = {
  'log-format-upstream': "Portero's access log (--access-log) is JSON with fixed fields",
  'log-format-escape-json': "Portero's access log is always JSON",
  // HAProxy 2.6 sets how long idle connections to endpoints live per server (pool-purge-delay), which servers added at runtime do not inherit.
  'upstream-keepalive-timeout': 'HAProxy keeps idle connections to endpoints with its own purge delay (5 s)',
  // HAProxy binds with SO_REUSEPORT whatever the key says: its reloads rely on it.
  'reuse-port': 'HAProxy always listens with SO_REUSEPORT (its reloads rely on it)',
  'main-snippet': 'snippets are never pasted into the configuration',
  'http-snippet': 'snippets are never pasted into the configuration',
  'server-snippet': 'snippets are never pasted into the configuration',
  'location-snippet': 'snippets are never pasted into the configuration',
  'stream-snippet': 'snippets are never pasted into the configuration',
  'worker-processes': 'HAProxy runs one process with one thread per CPU',
  'enable-modsecurity': 'Portero has no web application firewall',
  'enable-owasp-modsecurity-crs': 'Portero has no web application firewall',
  'global-rate-limit-memcached-host': "Portero's rate limits count per replica; no memcached is asked",
};

/** Every key read, for docs and `portero migrate`. */
export const READ_KEYS = [
  'proxy-body-size',
  'load-balance',
  'proxy-connect-timeout',
  'proxy-read-timeout',
  'proxy-send-timeout',
  'ssl-redirect',
  'force-ssl-redirect',
  'http-redirect-code',
  'hsts',
  'hsts-max-age',
  'hsts-include-subdomains',
  'hsts-preload',
  'ssl-protocols',
  'ssl-ciphers',
  'use-forwarded-headers',
  'compute-full-forwarded-for',
  'forwarded-for-header',
  'proxy-real-ip-cidr',
  'enable-real-ip',
  'use-proxy-protocol',
  'keep-alive',
  'allow-snippet-annotations',
  'whitelist-source-range',
  'denylist-source-range',
  'block-cidrs',
  'global-auth-url',
  'global-auth-method',
  'global-auth-signin',
  'global-auth-signin-redirect-param',
  'global-auth-response-headers',
  'global-auth-request-redirect',
  'global-auth-always-set-cookie',
  'global-auth-snippet',
  'global-auth-cache-key',
  'global-auth-cache-duration',
  'no-auth-locations',
  'global-allowed-response-headers',
  ...GZIP_KEYS,
  'large-client-header-buffers',
  ...TLS_KEYS,
  'add-headers',
  'proxy-set-headers',
  'hide-headers',
  'block-user-agents',
  'block-referers',
  'no-tls-redirect-locations',
  'skip-access-log-http-statuses',
  'service-upstream',
  'proxy-next-upstream',
  'proxy-next-upstream-tries',
  'proxy-next-upstream-timeout',
] as const;

const READ = new Set<string>(READ_KEYS);

/** OpenSSL TLS 1.2 cipher names joined by `:` (no `!`, `+`, `@` operators, no TLS 1.3 suite names). */
const CIPHERS = /^[A-Z0-9-]{1,64}(?::[A-Z0-9-]{1,64}){0,63}$/;

const TLS_VERSIONS: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export class Reader {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    private readonly data: Readonly<Record<string, string>>,
    private readonly object: ObjectRef,
  ) {}

  raw(key: string): string | undefined {
    return Object.hasOwn(this.data, key) ? this.data[key]!.trim() : undefined;
  }

  problem(key: string, message: string): undefined {
    const value = this.raw(key) ?? '';
    const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    this.diagnostics.push({ severity: 'warning', object: this.object, field: `data[${JSON.stringify(key)}]`, message: `value ${shown}: ${message}; the key is ignored` });
    return undefined;
  }

  note(key: string, message: string): void {
    this.diagnostics.push({ severity: 'warning', object: this.object, field: `data[${JSON.stringify(key)}]`, message });
  }

  bool(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    return this.problem(key, 'must be true or false');
  }

  int(key: string, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,10}$/.test(value)) return this.problem(key, 'must be a whole number');
    const number = Number(value);
    if (number < min || number > max) return this.problem(key, `must be between ${min} and ${max}`);
    return number;
  }

  /** Seconds as ingress-nginx reads the timeout keys: a whole number, or with an `s` suffix. */
  seconds(key: string, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const match = /^([0-9]{1,10})s?$/.exec(value);
    if (!match) return this.problem(key, 'must be a whole number of seconds');
    const number = Number(match[1]);
    if (number < min || number > max) return this.problem(key, `must be between ${min} and ${max} seconds`);
    return number;
  }

  /** A comma-separated list of addresses and CIDR ranges, normalised and sorted; [] when empty. */
  sources(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const out: string[] = [];
    for (const item of value.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
      const source = parseSource(item);
      if (source === undefined) return this.problem(key, `${JSON.stringify(item)} is not an IP address or CIDR range`);
      out.push(source);
    }
    if (out.length > 1000) return this.problem(key, 'holds more than 1000 ranges');
    return [...new Set(out)].sort();
  }
}

function tlsVersions(reader: Reader): { min: TlsVersion; max: TlsVersion } | undefined {
  const value = reader.raw('ssl-protocols');
  if (value === undefined) return undefined;
  const items = value.split(/\s+/).filter((item) => item !== '');
  const unknown = items.find((item) => !TLS_VERSIONS.includes(item));
  if (unknown !== undefined) return reader.problem('ssl-protocols', `${JSON.stringify(unknown)} is not one of ${TLS_VERSIONS.join(', ')}`);
  const offered = items.filter((item): item is TlsVersion => item === 'TLSv1.2' || item === 'TLSv1.3');
  if (offered.length === 0) return reader.problem('ssl-protocols', 'Portero offers TLSv1.2 and TLSv1.3 only; list at least one of them');
  if (offered.length < items.length) reader.note('ssl-protocols', 'TLSv1 and TLSv1.1 are never offered by Portero; they are left out');
  return { min: offered.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3', max: offered.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2' };
}

function hsts(reader: Reader): GlobalSettings['hsts'] {
  const on = reader.bool('hsts');
  const maxAge = reader.int('hsts-max-age', 0, 1_000_000_000);
  const subdomains = reader.bool('hsts-include-subdomains');
  const preload = reader.bool('hsts-preload');
  if (on !== true) {
    if (on === undefined && (maxAge !== undefined || subdomains !== undefined || preload !== undefined)) {
      reader.note('hsts', 'hsts-* keys have no effect unless hsts is "true" (Portero does not apply ingress-nginx\'s default hsts: "true")');
    }
    return undefined;
  }
  // ingress-nginx's defaults for the parts not given.
  return { maxAgeSeconds: maxAge ?? 31_536_000, includeSubdomains: subdomains ?? true, preload: preload ?? false };
}

function forwarded(reader: Reader): ForwardedSettings | undefined {
  const useForwarded = reader.bool('use-forwarded-headers') === true;
  const realIp = reader.bool('enable-real-ip') === true;
  const full = reader.bool('compute-full-forwarded-for') === true;
  let header = 'x-forwarded-for';
  const headerValue = reader.raw('forwarded-for-header');
  if (headerValue !== undefined) {
    if (!HEADER_NAME.test(headerValue)) reader.problem('forwarded-for-header', 'must be a header name (letters, digits and -)');
    else header = headerValue.toLowerCase();
  }
  const trusted = reader.sources('proxy-real-ip-cidr');
  if (!useForwarded && !realIp && !full) return undefined;
  if (trusted === undefined || trusted.length === 0) {
    reader.note('proxy-real-ip-cidr', 'not set: forwarding headers are trusted from every peer (ingress-nginx\'s default 0.0.0.0/0); set it to the addresses of your load balancers');
  }
  return {
    trusted: trusted && trusted.length > 0 ? trusted : ['0.0.0.0/0', '::/0'],
    realIp: realIp || useForwarded,
    header,
    keepForwardedHeaders: useForwarded,
    appendForwardedFor: full,
  };
}

/** global-allowed-response-headers: the header names custom-headers may set, lowercase and sorted. */
function allowedResponseHeaders(reader: Reader): string[] | undefined {
  const value = reader.raw('global-allowed-response-headers');
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const bad = names.find((name) => !HEADER_NAME.test(name));
  if (bad !== undefined) return reader.problem('global-allowed-response-headers', `${JSON.stringify(bad)} is not a header name`);
  return [...new Set(names.map((name) => name.toLowerCase()))].sort();
}

/** A regular expression over a status: digits and the operators a status pattern needs (`^2..`, `200|404`, `[45]0[0-9]`). */
const STATUS_PATTERN = /^[0-9^$.|()[\]\-*+?{},]{1,64}$/;

/**
 * skip-access-log-http-statuses: nginx's `map $status $loggable { ~<value> 0; }`,
 * a regular expression searched in the status. Checked against the safe
 * subset (regex.ts); empty logs everything.
 */
function skipLogStatuses(reader: Reader): string | undefined {
  const value = reader.raw('skip-access-log-http-statuses');
  if (value === undefined || value === '') return undefined;
  if (!STATUS_PATTERN.test(value)) return reader.problem('skip-access-log-http-statuses', 'must be a regular expression over the status: digits and ^ $ . | ( ) [ ] - * + ? { } only');
  const checked = headerSearchRegex(value);
  if (!checked.ok) return reader.problem('skip-access-log-http-statuses', `as a regular expression it ${checked.problem}`);
  return checked.pattern;
}

/** A path prefix of no-tls-redirect-locations: `/` and path characters (no spaces, quotes, `#`, `?` or backslashes). */
const REDIRECT_EXEMPT_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/]{0,255}$/;

/** no-tls-redirect-locations: the path prefixes exempt from the HTTPS redirects, sorted; [] when empty (nothing is exempt). */
function noRedirectPaths(reader: Reader): string[] | undefined {
  const value = reader.raw('no-tls-redirect-locations');
  if (value === undefined) return undefined;
  const paths = value.split(',').map((path) => path.trim()).filter((path) => path !== '');
  const bad = paths.find((path) => !REDIRECT_EXEMPT_PATH.test(path) || path.includes(','));
  if (bad !== undefined) return reader.problem('no-tls-redirect-locations', `${JSON.stringify(bad)} is not a path; /.well-known/acme-challenge/ stays exempt`);
  if (paths.length > 64) return reader.problem('no-tls-redirect-locations', 'holds more than 64 paths; /.well-known/acme-challenge/ stays exempt');
  return [...new Set(paths)].sort();
}

/** An annotation default for an annotation of `group`, checked with the annotation's own reading: the value, or undefined with the problem reported. */
function checkedAsAnnotation(reader: Reader, key: string, group: typeof retries): string | undefined {
  const value = reader.raw(key);
  if (value === undefined) return undefined;
  const values = new AnnotationValues({}, 'configmap', { [key]: value });
  group.read(values, {}, { prefix: 'configmap', allowSnippets: false }, { namespace: '', name: '' });
  const problem = values.problems[0];
  return problem ? reader.problem(key, problem.message) : value;
}

/** The settings of `configMap`; undefined (or absent) gives Portero's defaults. */
export function readConfigMap(configMap: ConfigMap | undefined, ref: ObjectRef): ConfigMapSettings {
  if (!configMap) {
    return { globals: {}, annotationDefaults: {}, allowSnippets: false, headerConfigMaps: [], diagnostics: [{ severity: 'warning', object: ref, message: '--configmap: ConfigMap not found; Portero\'s defaults apply' }] };
  }
  const reader = new Reader(configMap.data, ref);
  const globals: GlobalSettings = {};
  const defaults: Record<string, string> = {};

  // Annotation defaults: checked here with the annotation's grammar, so they never fail on an Ingress.
  const bodySize = reader.raw('proxy-body-size');
  if (bodySize !== undefined) {
    if (parseNginxSize(bodySize) === undefined) reader.problem('proxy-body-size', 'must be a size such as 8m, 512k or 1048576 (0: no limit)');
    else defaults['proxy-body-size'] = bodySize;
  }
  const balance = reader.raw('load-balance');
  if (balance !== undefined) {
    if (!['round_robin', 'ewma', 'least_connections'].includes(balance)) reader.problem('load-balance', 'must be round_robin, ewma or least_connections');
    else defaults['load-balance'] = balance;
  }
  for (const key of ['ssl-redirect', 'force-ssl-redirect'] as const) {
    const value = reader.bool(key);
    if (value !== undefined) defaults[key] = String(value);
  }
  for (const key of ['whitelist-source-range', 'denylist-source-range'] as const) {
    const list = reader.sources(key);
    if (list !== undefined && list.length > 0) defaults[key] = list.join(',');
  }
  const serviceUpstream = reader.bool('service-upstream');
  if (serviceUpstream !== undefined) defaults['service-upstream'] = String(serviceUpstream);
  // Checked one by one, as annotations: a bad one is ignored alone (retries.ts reads them).
  for (const key of ['proxy-next-upstream', 'proxy-next-upstream-tries', 'proxy-next-upstream-timeout'] as const) {
    const value = checkedAsAnnotation(reader, key, retries);
    if (value !== undefined && value !== '') defaults[key] = value;
  }

  const connect = reader.seconds('proxy-connect-timeout', 1, DAY);
  const read = reader.seconds('proxy-read-timeout', 1, DAY);
  const send = reader.seconds('proxy-send-timeout', 1, DAY);
  if (connect !== undefined) globals.connectSeconds = connect;
  // One idle timeout for both directions in HAProxy, as for the annotations (timeouts.ts).
  const server = read ?? (send !== undefined ? Math.max(send, 60) : undefined);
  if (server !== undefined) globals.serverSeconds = server;
  const keepAlive = reader.seconds('keep-alive', 0, DAY);
  if (keepAlive !== undefined) globals.keepAliveSeconds = keepAlive;

  let redirectCode: number | undefined;
  const code = reader.int('http-redirect-code', 0, 999);
  if (code !== undefined) {
    if (![301, 302, 307, 308].includes(code)) reader.problem('http-redirect-code', 'must be 301, 302, 307 or 308');
    else if (code !== 308) redirectCode = globals.redirectCode = code;
  }

  const strictTransport = hsts(reader);
  if (strictTransport) globals.hsts = strictTransport;
  const versions = tlsVersions(reader);
  if (versions) globals.tlsVersions = versions;
  const ciphers = reader.raw('ssl-ciphers');
  if (ciphers !== undefined) {
    if (!CIPHERS.test(ciphers)) reader.problem('ssl-ciphers', 'must be OpenSSL TLS 1.2 cipher names (capitals, digits, -) joined by :');
    else globals.ciphers = ciphers;
  }
  const sessions = readTlsSessions(reader);
  if (sessions) globals.tlsSessions = sessions;
  if (reader.bool('use-proxy-protocol') === true) globals.proxyProtocol = true;
  const forwarding = forwarded(reader);
  if (forwarding) globals.forwarded = forwarding;
  const bufferBytes = readHeaderBuffers(reader);
  if (bufferBytes !== undefined) globals.bufferBytes = bufferBytes;
  const compression = readGzip(reader);
  if (compression) globals.compression = compression;
  const block = reader.sources('block-cidrs');
  if (block !== undefined && block.length > 0) globals.blockSources = block;
  const userAgents = blockList(reader, 'block-user-agents');
  if (userAgents !== undefined && userAgents.length > 0) globals.blockUserAgents = userAgents;
  const referers = blockList(reader, 'block-referers');
  if (referers !== undefined && referers.length > 0) globals.blockReferers = referers;
  const hidden = hideHeaders(reader);
  if (hidden !== undefined && hidden.length > 0) globals.hideHeaders = hidden;
  const skipLog = skipLogStatuses(reader);
  if (skipLog !== undefined) globals.skipLogStatuses = skipLog;
  const exempt = noRedirectPaths(reader);
  if (exempt !== undefined) globals.noRedirectPaths = exempt;
  const headerConfigMaps = (['add-headers', 'proxy-set-headers'] as const).map((key) => headerConfigMapRef(reader, key)).filter((ref) => ref !== undefined);
  const allowSnippets = reader.bool('allow-snippet-annotations') === true;
  const globalAuth = readGlobalAuth(reader);
  const allowedHeaders = allowedResponseHeaders(reader);

  for (const key of Object.keys(configMap.data).sort()) {
    if (READ.has(key)) continue;
    if (Object.hasOwn(IGNORED_KEYS, key)) reader.note(key, `accepted and ignored: ${IGNORED_KEYS[key]}`);
    else reader.note(key, 'not a key Portero reads; it is ignored');
  }
  return { globals, annotationDefaults: defaults, allowSnippets, headerConfigMaps, ...(redirectCode !== undefined ? { redirectCode } : {}), ...(globalAuth ? { globalAuth } : {}), ...(allowedHeaders ? { allowedResponseHeaders: allowedHeaders } : {}), diagnostics: reader.diagnostics };
}
