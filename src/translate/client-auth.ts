// Client-certificate authentication (auth-tls-*): the CA bundle of the
// Secret each Ingress names, and the host levels it applies to.
//
// Two steps, as ingress-nginx decides it:
// - per Ingress (withClientAuth, before routing): the Secret (any type, any
//   namespace) must hold a valid `ca.crt` (and, when present, a valid
//   `ca.crl`) that HAProxy has not refused; otherwise the Ingress's paths
//   answer 503 with a warning naming the annotation and the Secret
//   (ingress-nginx's "location denied"), and it sets nothing for its hosts;
// - per host (clientAuthLevels, after routing): the settings apply to the
//   server, i.e. every level of the Ingress's rule hosts (the level of rules
//   without host included, as nginx's default server) and their
//   server-alias levels, whichever Ingress a request's path comes from. When
//   Ingresses of one host disagree, the oldest that resolved wins and the
//   others get a warning.
//
// Annotations are read once per Ingress object; the Secret is another
// object, so, as in auth.ts, the options joined here are the very same
// objects while neither the Ingress nor the Secret changes. Pure.

import { createHash } from 'node:crypto';
import type { ClientAuth, ClientCa, HostLevel } from '../model/model.js';
import { keyOf, refOf, type Ingress, type Secret } from '../objects/types.js';
import { inspectCaBundle } from '../tls/ca.js';
import { annotationField, type AnnotationSettings, type IngressAnnotations } from './annotations/index.js';
import type { ClientAuthSpec } from './annotations/auth-tls.js';
import type { Diagnostic } from './diagnostics.js';
import type { OptionsOf, Routing } from './routes.js';
import { refusal, type RefusedCertificates } from './tls.js';

/** The id of a CA bundle or revocation list file: a digest of its content, without `_` (no certificate id has none). */
function contentId(prefix: 'clientca' | 'clientcrl', pem: string): string {
  return `${prefix}-${createHash('sha256').update(pem).digest('hex').slice(0, 20)}`;
}

type CaOfSecret = { ca: ClientCa } | { problem: string };

// Parsing costs far more than the rest; Secrets are immutable objects (see tls.ts).
const inspected = new WeakMap<Secret, CaOfSecret>();

function caOf(secret: Secret): CaOfSecret {
  let result = inspected.get(secret);
  if (!result) {
    const name = keyOf(secret.metadata.namespace, secret.metadata.name);
    if (!secret.ca || secret.ca.crt === undefined) {
      result = { problem: `Secret ${name}: ${secret.ca?.problem ?? 'holds no key ca.crt'}` };
    } else {
      const checked = inspectCaBundle(secret.ca.crt, secret.ca.problem === undefined ? secret.ca.crl : undefined);
      if (secret.ca.problem !== undefined) result = { problem: `Secret ${name}: ${secret.ca.problem}` };
      else if (!checked.ok) result = { problem: `Secret ${name}: ${checked.field} ${checked.reason}` };
      else {
        const { pem, crl } = checked.bundle;
        result = { ca: { id: contentId('clientca', pem), pem, ...(crl !== undefined ? { crl: { id: contentId('clientcrl', crl), pem: crl } } : {}) } };
      }
    }
    inspected.set(secret, result);
  }
  return result;
}

/** What one Ingress's client authentication resolved to. */
export type ResolvedClientAuth = { spec: ClientAuthSpec; ca: ClientCa } | { spec: ClientAuthSpec; problem: string };

interface Resolved {
  secret: Secret | undefined;
  /** Why HAProxy refused the bundle or list, when it did (refusals change without the Secret changing). */
  refused: string | undefined;
  options: IngressAnnotations;
  result: ResolvedClientAuth;
}

// Per annotations object (itself remembered per Ingress): the Secret it was resolved with and the result.
const resolvedOptions = new WeakMap<IngressAnnotations, Resolved>();

function refusedBecause(found: CaOfSecret, refused: RefusedCertificates | undefined): string | undefined {
  if (!('ca' in found)) return undefined;
  return refusal(refused, found.ca.id, found.ca.pem) ?? (found.ca.crl ? refusal(refused, found.ca.crl.id, found.ca.crl.pem) : undefined);
}

function resolve(options: IngressAnnotations, spec: ClientAuthSpec, secret: Secret | undefined, refused: RefusedCertificates | undefined): Resolved {
  const found: CaOfSecret = secret ? caOf(secret) : { problem: `Secret ${keyOf(spec.namespace, spec.name)} not found (or it holds no ca.crt)` };
  const why = refusedBecause(found, refused);
  const memo = resolvedOptions.get(options);
  if (memo && memo.secret === secret && memo.refused === why) return memo;
  let result: ResolvedClientAuth;
  if ('problem' in found) result = { spec, problem: found.problem };
  else if (why !== undefined) result = { spec, problem: `Secret ${keyOf(spec.namespace, spec.name)}: HAProxy refuses its CA bundle or revocation list (${why})` };
  else result = { spec, ca: found.ca };
  const resolved: Resolved = { secret, refused: why, options: 'problem' in result ? { ...options, features: { ...options.features, denied: true } } : options, result };
  resolvedOptions.set(options, resolved);
  return resolved;
}

export interface ClientAuthResolution {
  optionsOf: OptionsOf;
  diagnostics: Diagnostic[];
  /** Each Ingress that asks for client authentication, with what it resolved to. */
  resolved: ReadonlyMap<Ingress, ResolvedClientAuth>;
}

const remembered = new WeakMap<OptionsOf, { ingresses: readonly Ingress[]; secrets: readonly Secret[]; refused: string; result: ClientAuthResolution }>();

/** A text that changes when a refusal that concerns some bundle changes (the map itself is mutated in place). */
function refusedKey(refused: RefusedCertificates | undefined): string {
  if (!refused) return '';
  return [...refused]
    .filter(([id]) => id.startsWith('clientca-') || id.startsWith('clientcrl-'))
    .map(([id, entry]) => `${id}:${entry.reason}`)
    .join('|');
}

/**
 * `optionsOf` with the Ingresses whose client authentication cannot be
 * resolved denied (503). The same function while the Ingresses, their
 * options, the Secrets and the refusals are the same; `optionsOf` itself when
 * no Ingress asks for client authentication.
 */
export function withClientAuth(optionsOf: OptionsOf, ingresses: readonly Ingress[], secrets: readonly Secret[], settings: AnnotationSettings, refused?: RefusedCertificates): ClientAuthResolution {
  const key = refusedKey(refused);
  const memo = remembered.get(optionsOf);
  if (memo && memo.ingresses === ingresses && memo.secrets === secrets && memo.refused === key) return memo.result;
  const asking = ingresses.filter((ingress) => optionsOf(ingress).clientAuth !== undefined);
  let result: ClientAuthResolution;
  if (asking.length === 0) {
    result = { optionsOf, diagnostics: [], resolved: new Map() };
  } else {
    const byKey = new Map(secrets.map((secret) => [keyOf(secret.metadata.namespace, secret.metadata.name), secret]));
    const joined = new Map<Ingress, IngressAnnotations>();
    const resolvedByIngress = new Map<Ingress, ResolvedClientAuth>();
    const diagnostics: Diagnostic[] = [];
    for (const ingress of asking) {
      const options = optionsOf(ingress);
      const spec = options.clientAuth!;
      const resolved = resolve(options, spec, byKey.get(keyOf(spec.namespace, spec.name)), refused);
      joined.set(ingress, resolved.options);
      resolvedByIngress.set(ingress, resolved.result);
      if ('problem' in resolved.result) {
        diagnostics.push({ severity: 'warning', object: refOf(ingress), field: annotationField(settings, 'auth-tls-secret'), message: `${resolved.result.problem}; its paths answer 503 until this is fixed` });
      }
    }
    result = { optionsOf: (ingress) => joined.get(ingress) ?? optionsOf(ingress), diagnostics, resolved: resolvedByIngress };
  }
  remembered.set(optionsOf, { ingresses, secrets, refused: key, result });
  return result;
}

/** The hosts an Ingress's server-level settings apply to: its rule hosts ('' for rules without host), as ingress-nginx's servers. */
function serverHosts(ingress: Ingress): string[] {
  const hosts: string[] = [];
  for (const rule of ingress.spec.rules) {
    // ingress-nginx skips a named host's rule without http before it sets anything on the server.
    if (rule.host && !rule.http) continue;
    const host = rule.host ?? '';
    if (!hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function sameSettings(a: ClientAuth, b: ClientAuth): boolean {
  return (
    a.verify === b.verify &&
    a.ca.id === b.ca.id &&
    a.ca.crl?.id === b.ca.crl?.id &&
    a.depth === b.depth &&
    a.errorPage === b.errorPage &&
    a.matchCn === b.matchCn &&
    a.passCertificate === b.passCertificate
  );
}

export interface ClientAuthLevels {
  /** Sorted by host; empty when no level has client authentication. */
  clientAuth: ClientAuth[];
  diagnostics: Diagnostic[];
}

const levelsMemo = new WeakMap<Routing, { ingresses: readonly Ingress[]; resolved: ReadonlyMap<Ingress, ResolvedClientAuth>; prefix: string; result: ClientAuthLevels }>();

/**
 * The client authentication of each host level of `routing`, from the
 * Ingresses (valid, oldest first) whose client authentication resolved.
 */
export function clientAuthLevels(ingresses: readonly Ingress[], resolution: ClientAuthResolution, routing: Routing, settings: AnnotationSettings): ClientAuthLevels {
  const memo = levelsMemo.get(routing);
  if (memo && memo.ingresses === ingresses && memo.resolved === resolution.resolved && memo.prefix === settings.prefix) return memo.result;
  const result = decideLevels(ingresses, resolution, routing, settings);
  levelsMemo.set(routing, { ingresses, resolved: resolution.resolved, prefix: settings.prefix, result });
  return result;
}

function decideLevels(ingresses: readonly Ingress[], resolution: ClientAuthResolution, routing: Routing, settings: AnnotationSettings): ClientAuthLevels {
  const diagnostics: Diagnostic[] = [];
  if (resolution.resolved.size === 0) return { clientAuth: [], diagnostics };
  const levels = new Map<string, HostLevel>(routing.levels.map((level) => [level.host, level]));
  const owners = new Map<string, { auth: ClientAuth; owner: Ingress }>();
  for (const ingress of ingresses) {
    const resolved = resolution.resolved.get(ingress);
    if (!resolved || !('ca' in resolved) || resolution.optionsOf(ingress).canary !== undefined) continue;
    const { spec, ca } = resolved;
    for (const host of serverHosts(ingress)) {
      if (!levels.has(host)) continue;
      const auth: ClientAuth = {
        host,
        verify: spec.verify,
        ca,
        depth: spec.depth,
        ...(spec.errorPage !== undefined ? { errorPage: spec.errorPage } : {}),
        ...(spec.matchCn !== undefined ? { matchCn: spec.matchCn } : {}),
        passCertificate: spec.passCertificate,
      };
      const owner = owners.get(host);
      if (!owner) owners.set(host, { auth, owner: ingress });
      else if (owner.owner !== ingress && !sameSettings(owner.auth, auth)) {
        diagnostics.push({
          severity: 'warning',
          object: refOf(ingress),
          field: annotationField(settings, 'auth-tls-secret'),
          message: `client authentication for ${host === '' ? 'rules without host' : `host ${host}`} is already set by older Ingress ${keyOf(owner.owner.metadata.namespace, owner.owner.metadata.name)}; its settings apply to every path of the host`,
        });
      }
    }
  }
  // A server-alias serves the very server of its host: the same client authentication.
  for (const [alias, host] of routing.aliases ?? []) {
    const owner = owners.get(host);
    if (owner && levels.has(alias) && !owners.has(alias)) owners.set(alias, { auth: { ...owner.auth, host: alias }, owner: owner.owner });
  }
  const clientAuth = [...owners.values()].map((entry) => entry.auth).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return { clientAuth, diagnostics };
}
