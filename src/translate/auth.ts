// Basic authentication: the Secret named by auth-secret, looked up for each
// served Ingress that asks for basic auth, turns into the users of its
// routes' features. A missing Secret, a missing key or credentials that do
// not parse deny the Ingress's paths (503) with a warning naming the
// annotation and the Secret, as ingress-nginx's "location denied". Pure.

import { keyOf, type Ingress, type Secret } from '../objects/types.js';
import type { AuthUsers } from '../objects/htpasswd.js';
import type { AnnotationSettings } from './annotations/index.js';
import type { BasicAuthSpec } from './annotations/auth.js';
import { byNamespacedName, makeJoin, type JoinResult } from './join.js';
import type { OptionsOf } from './routes.js';

/** The users of `secret` for `spec`, or why there are none. */
function usersOf(spec: BasicAuthSpec, secret: Secret | undefined): AuthUsers {
  const name = keyOf(spec.namespace, spec.name);
  if (!secret?.auth) return { problem: `Secret ${name} not found (or it holds no basic-auth credentials)` };
  if (spec.source === 'auth-file') {
    if (!secret.auth.file) return { problem: `Secret ${name} has no key auth (auth-secret-type: auth-file)` };
    return 'problem' in secret.auth.file ? { problem: `Secret ${name}, key auth: ${secret.auth.file.problem}` } : secret.auth.file;
  }
  return 'problem' in secret.auth.map ? { problem: `Secret ${name} (auth-secret-type: auth-map): ${secret.auth.map.problem}` } : secret.auth.map;
}

const joinBasicAuth = makeJoin<BasicAuthSpec, Secret>({
  annotation: 'auth-secret',
  specOf: (options) => options.basicAuth,
  lookup: (spec, secrets) => byNamespacedName(secrets).get(keyOf(spec.namespace, spec.name)),
  join(features, spec, secret) {
    const users = usersOf(spec, secret);
    return 'problem' in users ? { problem: users.problem } : { features: { ...features, basicAuth: { realm: spec.realm, secret: keyOf(spec.namespace, spec.name), users: users.users } } };
  },
});

/**
 * `optionsOf` with the basic-auth users of each Ingress joined in. The same
 * function while the Ingresses, their options and the Secrets are the same;
 * `optionsOf` itself when no Ingress asks for basic auth.
 */
export function withBasicAuth(optionsOf: OptionsOf, ingresses: readonly Ingress[], secrets: readonly Secret[], settings: AnnotationSettings): JoinResult {
  return joinBasicAuth(optionsOf, ingresses, secrets, settings);
}
