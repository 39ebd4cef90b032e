// More ingress-nginx annotations Portero knows and does not apply, each with
// the reason (docs/annotations.md, "Not supported"): an Ingress that carries
// one is served without it, with a warning, and `portero migrate` reports it
// as ignored. Two are refused instead, because serving without them would
// let through what they were set to stop: auth-tls-ocsp (revoked client
// certificates) fails closed with auth-tls-secret, as an invalid auth-tls-*
// value does (auth-tls.ts reads it).
// Values are read only to be checked; nothing here reaches HAProxy.

import type { AnnotationGroup, AnnotationSupport } from './group.js';

const WAF = 'no web application firewall: Portero has no ModSecurity, requests are not inspected';
const GLOBAL_RATE = 'no rate limit shared between replicas (memcached): use limit-rps or limit-rpm, counted per replica';
export const OCSP = 'client certificates cannot be checked with OCSP (HAProxy 2.6 checks them against a CRL only: auth-tls-secret\'s ca.crl)';

const ignored = (note: string): AnnotationSupport => ({ status: 'ignored', note, warn: true });

export const notApplied: AnnotationGroup = {
  annotations: {
    'enable-modsecurity': ignored(WAF),
    'enable-owasp-core-rules': ignored(WAF),
    'modsecurity-transaction-id': ignored(WAF),
    'global-rate-limit': ignored(GLOBAL_RATE),
    'global-rate-limit-window': ignored(GLOBAL_RATE),
    'global-rate-limit-key': ignored(GLOBAL_RATE),
    'global-rate-limit-ignored-cidrs': ignored(GLOBAL_RATE),
    'http2-push-preload': ignored('HTTP/2 server push is not sent: HAProxy has none (and browsers dropped it)'),
    'ssl-ciphers': ignored('the cipher list is the same for every host: set ssl-ciphers in the ConfigMap (--configmap)'),
    'ssl-prefer-server-ciphers': ignored("the server's cipher order is not preferred per host"),
    'fastcgi-index': ignored('FastCGI endpoints are not supported (backend-protocol: FCGI is refused)'),
    'fastcgi-params-configmap': ignored('FastCGI endpoints are not supported (backend-protocol: FCGI is refused)'),
    'auth-tls-ocsp': { status: 'difference', note: `with auth-tls-secret, "on" or "leaf" makes the Ingress's paths answer 503 (fail closed): ${OCSP}` },
    'auth-tls-ocsp-responder': { status: 'difference', note: `read only with auth-tls-ocsp, which fails closed: ${OCSP}` },
    'auth-tls-ocsp-cache': { status: 'difference', note: `read only with auth-tls-ocsp, which fails closed: ${OCSP}` },
  },
  read(values) {
    // Known, never read beyond their presence; auth-tls-ocsp is judged with the other auth-tls-* (auth-tls.ts).
    for (const name of NOT_READ) values.raw(name);
  },
};

/** The annotations of this group whose values are never read: nothing of them reaches HAProxy. */
export const NOT_READ: readonly string[] = Object.keys(notApplied.annotations).filter((name) => name !== 'auth-tls-ocsp');
