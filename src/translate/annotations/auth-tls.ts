// Client-certificate authentication (auth-tls-secret, auth-tls-verify-client,
// auth-tls-verify-depth, auth-tls-error-page, auth-tls-match-cn,
// auth-tls-pass-certificate-to-upstream), as ingress-nginx: the CA bundle
// of a Secret (`ca.crt`, optionally `ca.crl`) verifies the certificates
// clients present, per host (nginx's server), not per path. The group
// checks the values; the Secret is looked up, and the hosts decided, by
// translate/client-auth.ts. As in ingress-nginx, the other auth-tls-*
// annotations mean nothing without auth-tls-secret, and an invalid value
// does not open the location: its paths answer 503 (fail closed).

import type { ClientVerify } from '../../model/model.js';
import { describe, namespaceName, objectName } from '../../objects/grammar.js';
import { safeRegex, SEARCH } from '../regex.js';
import type { AnnotationGroup } from './group.js';
import { checkUrl } from './redirects.js';
import type { AnnotationValues } from './values.js';
import { OCSP } from './not-applied.js';

/** What an Ingress with client-certificate authentication asks, checked. */
export interface ClientAuthSpec {
  /** The Secret holding `ca.crt` (auth-tls-secret; the Ingress's namespace unless `ns/name`). */
  namespace: string;
  name: string;
  verify: ClientVerify;
  depth: number;
  errorPage?: string;
  /** In the subset of translate/regex.ts, spaces allowed. */
  matchCn?: string;
  passCertificate: boolean;
}

const VERIFY: readonly ClientVerify[] = ['on', 'off', 'optional', 'optional_no_ca'];
/** OpenSSL's verify depth is an int. */
const MAX_DEPTH = 2147483647;

/** The client authentication an Ingress asks for; undefined when none, or when a value is invalid (a fail-closed problem). */
export function clientAuthOf(values: AnnotationValues, namespace: string): ClientAuthSpec | undefined {
  const secret = values.string('auth-tls-secret');
  if (secret === undefined) return undefined;
  const closed = { failClosed: true };
  const parts = secret.split('/');
  const [secretNamespace, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [namespace, parts[0]!];
  if (parts.length > 2 || namespaceName(secretNamespace).length > 0 || objectName(name).length > 0) {
    return values.problem('auth-tls-secret', 'must be a Secret name, or namespace/name', closed);
  }
  // OCSP checks cannot be made (not-applied.ts): client authentication that asks for them fails closed.
  const ocsp = values.string('auth-tls-ocsp');
  if (ocsp !== undefined && ocsp !== 'off') return values.problem('auth-tls-ocsp', OCSP, closed);
  const verifyValue = values.string('auth-tls-verify-client') ?? 'on';
  const verify = VERIFY.find((candidate) => candidate === verifyValue);
  if (verify === undefined) return values.problem('auth-tls-verify-client', `must be one of ${VERIFY.join(', ')}`, closed);
  let depth = 1;
  if (values.string('auth-tls-verify-depth') !== undefined) {
    const read = values.int('auth-tls-verify-depth', 1, MAX_DEPTH, closed);
    if (read === undefined) return undefined;
    depth = read;
  }
  const errorPage = values.string('auth-tls-error-page');
  if (errorPage !== undefined) {
    const problem = checkUrl(errorPage);
    if (problem) return values.problem('auth-tls-error-page', `${problem} (Portero redirects there with 302; a path, which nginx serves by an internal redirect, is not supported)`, closed);
  }
  const pass = values.raw('auth-tls-pass-certificate-to-upstream') === undefined ? false : values.bool('auth-tls-pass-certificate-to-upstream', closed);
  if (pass === undefined) return undefined;
  const matchCn = values.string('auth-tls-match-cn');
  let pattern: string | undefined;
  if (matchCn !== undefined) {
    if (!matchCn.startsWith('CN=')) return values.problem('auth-tls-match-cn', `${describe(matchCn)} must start with CN=`, closed);
    const regex = safeRegex(matchCn, { spaces: true, anchoring: SEARCH });
    if (!regex.ok) return values.problem('auth-tls-match-cn', `as a regular expression it ${regex.problem}`, closed);
    pattern = regex.pattern;
  }
  return {
    namespace: secretNamespace,
    name,
    verify,
    depth,
    ...(errorPage !== undefined ? { errorPage } : {}),
    ...(pattern !== undefined ? { matchCn: pattern } : {}),
    passCertificate: pass,
  };
}

export const authTls: AnnotationGroup = {
  annotations: {
    'auth-tls-secret': {
      status: 'difference',
      note: 'a Secret without ca.crt (or with an invalid one) makes the paths answer 503 where ingress-nginx silently turns client authentication off; while any host uses client certificates, TLS session resumption is off on the HTTPS port',
    },
    'auth-tls-verify-client': {
      status: 'difference',
      note: 'plain-HTTP requests to the host count as requests without a certificate (ingress-nginx checks only HTTPS requests); an invalid value makes the paths answer 503 instead of meaning on',
    },
    'auth-tls-verify-depth': { status: 'difference', note: 'checked but not enforced: HAProxy 2.6 cannot limit the chain length, so a chain to the CA longer than the depth is accepted (ingress-nginx answers 400)' },
    'auth-tls-error-page': { status: 'difference', note: 'absolute http(s) URLs only (a 302 there, as in ingress-nginx); a path, which nginx serves by an internal redirect, is refused (the paths answer 503)' },
    // Values outside the regular-expression subset are refused (503), so an accepted one behaves as in ingress-nginx.
    'auth-tls-match-cn': { status: 'supported' },
    'auth-tls-pass-certificate-to-upstream': { status: 'supported' },
  },
  read(values, _features, _settings, owner) {
    clientAuthOf(values, owner.namespace);
  },
};
