// Basic authentication (auth-type, auth-secret, auth-secret-type,
// auth-realm), as ingress-nginx: requests without valid credentials get 401
// with `WWW-Authenticate: Basic realm="<auth-realm>"`, and the Authorization
// header never reaches the endpoints. The group checks the values; the
// Secret is looked up by translate/auth.ts, since it is another object. As
// in ingress-nginx, an invalid value does not open the location: its paths
// answer 503 (fail closed). `digest` is refused the same way.

import { namespaceName, objectName } from '../../objects/grammar.js';
import type { AnnotationGroup } from './group.js';
import type { AnnotationValues } from './values.js';

/** What an Ingress with basic authentication asks, checked. */
export interface BasicAuthSpec {
  /** The Secret holding the credentials (auth-secret; the Ingress's namespace unless `ns/name`). */
  namespace: string;
  name: string;
  /** auth-file: an htpasswd file in key `auth`; auth-map: each key a user, its value the hash. */
  source: 'auth-file' | 'auth-map';
  realm: string;
}

/**
 * A realm: printable ASCII and spaces, without quotes or backslash (it is
 * sent inside `realm="..."`). `%` is allowed and escaped when rendered.
 */
export const REALM = /^[\x20\x21\x23-\x26\x28-\x5b\x5d-\x7e]{0,128}$/;

/** The basic authentication an Ingress asks for; undefined when none or when a value is invalid (a fail-closed problem). */
export function basicAuthOf(values: AnnotationValues, namespace: string): BasicAuthSpec | undefined {
  const type = values.string('auth-type');
  if (type === undefined) return undefined;
  const closed = { failClosed: true };
  if (type === 'digest') return values.problem('auth-type', 'digest authentication is not supported by Portero; use basic', closed);
  if (type !== 'basic') return values.problem('auth-type', 'must be basic', closed);
  const source = values.string('auth-secret-type') ?? 'auth-file';
  if (source !== 'auth-file' && source !== 'auth-map') return values.problem('auth-secret-type', 'must be auth-file or auth-map', closed);
  const realm = values.raw('auth-realm') ?? '';
  if (!REALM.test(realm)) return values.problem('auth-realm', 'must be at most 128 printable ASCII characters without quotes or backslash', closed);
  const secret = values.string('auth-secret');
  if (secret === undefined) return values.problem('auth-secret', 'is required with auth-type: basic', closed);
  const parts = secret.split('/');
  const [secretNamespace, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [namespace, parts[0]!];
  if (parts.length > 2 || namespaceName(secretNamespace).length > 0 || objectName(name).length > 0) {
    return values.problem('auth-secret', 'must be a Secret name, or namespace/name', closed);
  }
  return { namespace: secretNamespace, name, source, realm };
}

export const auth: AnnotationGroup = {
  annotations: {
    'auth-type': { status: 'difference', note: 'basic only: digest is refused (the paths answer 503)' },
    'auth-secret': { status: 'supported' },
    'auth-secret-type': { status: 'supported' },
    'auth-realm': { status: 'supported' },
  },
  read(values, _features, _settings, owner) {
    basicAuthOf(values, owner.namespace);
  },
};
