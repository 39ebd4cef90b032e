// Basic authentication: the Secret named by auth-secret, looked up for each
// served Ingress that asks for basic auth, turns into the users of its
// routes' features. A missing Secret, a missing key or credentials that do
// not parse deny the Ingress's paths (503) with a warning naming the
// annotation and the Secret, as ingress-nginx's "location denied".
//
// Annotations are read once per Ingress object (annotations/index.ts); the
// Secret is another object, so its users are joined here, per translation,
// into options that are the very same objects while neither the Ingress nor
// the Secret changes. Routing (routes.ts), which remembers its results by
// those identities, then redoes nothing for an unrelated change. Pure.

import type { Features } from '../model/features.js';
import { keyOf, refOf, type Ingress, type Secret } from '../objects/types.js';
import type { AuthUsers } from '../objects/htpasswd.js';
import { annotationField, type AnnotationSettings, type IngressAnnotations } from './annotations/index.js';
import type { BasicAuthSpec } from './annotations/auth.js';
import type { Diagnostic } from './diagnostics.js';
import type { OptionsOf } from './routes.js';

interface Resolved {
  secret: Secret | undefined;
  options: IngressAnnotations;
  /** Why the paths are denied, if they are. */
  problem?: string;
}

// Per annotations object (itself remembered per Ingress): the Secret it was resolved with and the result.
const resolvedOptions = new WeakMap<IngressAnnotations, Resolved>();

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

function resolve(options: IngressAnnotations, spec: BasicAuthSpec, secret: Secret | undefined): Resolved {
  const memo = resolvedOptions.get(options);
  if (memo && memo.secret === secret) return memo;
  const users = usersOf(spec, secret);
  const features: Features =
    'problem' in users
      ? { ...options.features, denied: true }
      : { ...options.features, basicAuth: { realm: spec.realm, secret: keyOf(spec.namespace, spec.name), users: users.users } };
  const resolved: Resolved = { secret, options: { ...options, features }, ...('problem' in users ? { problem: users.problem } : {}) };
  resolvedOptions.set(options, resolved);
  return resolved;
}

export interface AuthResolution {
  optionsOf: OptionsOf;
  diagnostics: Diagnostic[];
}

const remembered = new WeakMap<OptionsOf, { ingresses: readonly Ingress[]; secrets: readonly Secret[]; result: AuthResolution }>();

/**
 * `optionsOf` with the basic-auth users of each Ingress joined in. The same
 * function while the Ingresses, their options and the Secrets are the same;
 * `optionsOf` itself when no Ingress asks for basic auth.
 */
export function withBasicAuth(optionsOf: OptionsOf, ingresses: readonly Ingress[], secrets: readonly Secret[], settings: AnnotationSettings): AuthResolution {
  const memo = remembered.get(optionsOf);
  if (memo && memo.ingresses === ingresses && memo.secrets === secrets) return memo.result;
  const withAuth = ingresses.filter((ingress) => optionsOf(ingress).basicAuth !== undefined);
  let result: AuthResolution;
  if (withAuth.length === 0) {
    result = { optionsOf, diagnostics: [] };
  } else {
    const byKey = new Map(secrets.map((secret) => [keyOf(secret.metadata.namespace, secret.metadata.name), secret]));
    const joined = new Map<Ingress, IngressAnnotations>();
    const diagnostics: Diagnostic[] = [];
    for (const ingress of withAuth) {
      const options = optionsOf(ingress);
      const spec = options.basicAuth!;
      const resolved = resolve(options, spec, byKey.get(keyOf(spec.namespace, spec.name)));
      joined.set(ingress, resolved.options);
      if (resolved.problem !== undefined) {
        diagnostics.push({ severity: 'warning', object: refOf(ingress), field: annotationField(settings, 'auth-secret'), message: `${resolved.problem}; its paths answer 503 until this is fixed` });
      }
    }
    result = { optionsOf: (ingress) => joined.get(ingress) ?? optionsOf(ingress), diagnostics };
  }
  remembered.set(optionsOf, { ingresses, secrets, result });
  return result;
}
