// translate: snapshot → { model, diagnostics }. Pure: no I/O, no clock (the
// time is part of the input), no globals. Every Ingress v1 rule is decided
// here; see DESIGN.md "Routing semantics". Invalid input yields a diagnostic
// naming the object and field and is left out; it never throws and never
// affects other objects.

import type { Backend, Certificate, Model, Target } from '../model/model.js';
import { keyOf, type EndpointSlice, type Ingress, type IngressClass, type ObjectRef, type Secret, type Service } from '../objects/types.js';
import { indexBackends, resolveBackend } from './backends.js';
import { checkDiagnostics } from './check.js';
import { ageOf, checkedIngress } from './memo.js';
import { diagnosticKey, type Diagnostic } from './diagnostics.js';
import { isOurs, selectClasses, type ClassOptions } from './ingress-class.js';
import { buildLevels } from './routes.js';
import { buildTls, inspectSecret } from './tls.js';

export interface Snapshot {
  ingresses: readonly Ingress[];
  ingressClasses: readonly IngressClass[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  secrets: readonly Secret[];
}

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number | string;
}

export interface TranslateOptions extends ClassOptions {
  /** `--default-backend-service`: answers requests that match nothing when no Ingress sets a default backend. */
  defaultBackendService?: ServiceRef;
  /** `--default-ssl-certificate`: a TLS Secret used when SNI matches no host. */
  defaultSslCertificate?: { namespace: string; name: string };
  /** The certificate generated at start, used when no valid default certificate is configured. */
  fallbackCertificatePem: string;
  /** The current time, for certificate validity warnings. */
  now: Date;
}

export interface Translation {
  model: Model;
  diagnostics: Diagnostic[];
  /** The Ingresses Portero serves (ours by class and valid), for status reporting. */
  served: ObjectRef[];
}

export function compareAge(a: Ingress, b: Ingress): number {
  const at = ageOf(a);
  const bt = ageOf(b);
  if (at !== bt) return at - bt;
  const ak = keyOf(a.metadata.namespace, a.metadata.name);
  const bk = keyOf(b.metadata.namespace, b.metadata.name);
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

/**
 * `previous`, the model of the last translation, changes nothing in the
 * result's values: parts equal to its parts are its very objects, so the data
 * plane can skip them cheaply.
 */
export function translate(snapshot: Snapshot, options: TranslateOptions, previous?: Model): Translation {
  const diagnostics: Diagnostic[] = [];
  const classes = selectClasses(snapshot.ingressClasses, options);
  const valid: Ingress[] = [];
  for (const ingress of [...snapshot.ingresses].filter((candidate) => isOurs(candidate, classes, options)).sort(compareAge)) {
    const check = checkedIngress(ingress);
    diagnostics.push(...checkDiagnostics(ingress, check));
    if (check.errors.length === 0) valid.push(ingress);
  }

  const index = indexBackends(snapshot.services, snapshot.endpointSlices);
  const backends = new Map<string, Backend>();
  const resolve = (ingress: Ingress, ref: Parameters<typeof resolveBackend>[2], field: string): Target => {
    const resolution = resolveBackend(index, ingress.metadata.namespace, ref, field);
    if (resolution.backend) backends.set(resolution.backend.id, resolution.backend);
    if (resolution.problem) {
      diagnostics.push({
        severity: 'warning',
        object: { kind: 'Ingress', namespace: ingress.metadata.namespace, name: ingress.metadata.name },
        field: resolution.problem.field,
        message: resolution.problem.message,
      });
    }
    return resolution.target;
  };

  const catchAll = chooseCatchAll(valid, resolve, options, index, backends, diagnostics);
  const levels = buildLevels(valid, resolve, catchAll, diagnostics, previous ? new Map(previous.levels.map((level) => [level.host, level])) : undefined);

  const secrets = new Map<string, Secret>();
  for (const secret of snapshot.secrets) secrets.set(keyOf(secret.metadata.namespace, secret.metadata.name), secret);
  const tls = buildTls(valid, secrets, options.now, diagnostics);

  const model: Model = {
    levels,
    backends: [...backends.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    catchAll,
    defaultCertificate: defaultCertificate(secrets, options, diagnostics),
    certificates: tls.certificates,
    redirectHosts: tls.redirectHosts,
  };
  return {
    model,
    diagnostics: dedupe(diagnostics),
    served: valid.map((ingress) => ({ kind: 'Ingress', namespace: ingress.metadata.namespace, name: ingress.metadata.name })),
  };
}

/**
 * The catch-all: the oldest Ingress's `spec.defaultBackend`, else
 * `--default-backend-service`, else a plain 404.
 */
function chooseCatchAll(
  ingresses: readonly Ingress[],
  resolve: (ingress: Ingress, ref: NonNullable<Ingress['spec']['defaultBackend']>, field: string) => Target,
  options: TranslateOptions,
  index: ReturnType<typeof indexBackends>,
  backends: Map<string, Backend>,
  diagnostics: Diagnostic[],
): Target {
  const withDefault = ingresses.filter((ingress) => ingress.spec.defaultBackend !== undefined);
  const first = withDefault[0];
  if (first?.spec.defaultBackend) {
    const target = resolve(first, first.spec.defaultBackend, 'spec.defaultBackend');
    for (const other of withDefault.slice(1)) {
      const otherTarget = resolve(other, other.spec.defaultBackend!, 'spec.defaultBackend');
      if (JSON.stringify(otherTarget) === JSON.stringify(target)) continue;
      diagnostics.push({
        severity: 'warning',
        object: { kind: 'Ingress', namespace: other.metadata.namespace, name: other.metadata.name },
        field: 'spec.defaultBackend',
        message: `older Ingress ${keyOf(first.metadata.namespace, first.metadata.name)} is the catch-all default backend; this one serves only unmatched requests on its own hosts`,
      });
    }
    return target;
  }
  const flag = options.defaultBackendService;
  if (flag) {
    const port = typeof flag.port === 'number' ? { number: flag.port } : { name: flag.port };
    const resolution = resolveBackend(index, flag.namespace, { service: { name: flag.name, port } }, '--default-backend-service');
    if (resolution.backend) backends.set(resolution.backend.id, resolution.backend);
    if (resolution.problem) {
      diagnostics.push({ severity: 'warning', object: { kind: 'Service', namespace: flag.namespace, name: flag.name }, message: `--default-backend-service: ${resolution.problem.message}` });
    }
    return resolution.target;
  }
  return { kind: 'not-found' };
}

function defaultCertificate(secrets: ReadonlyMap<string, Secret>, options: TranslateOptions, diagnostics: Diagnostic[]): Certificate {
  const generated: Certificate = { id: 'default', pem: options.fallbackCertificatePem, hosts: [] };
  const flag = options.defaultSslCertificate;
  if (!flag) return generated;
  const object: ObjectRef = { kind: 'Secret', namespace: flag.namespace, name: flag.name };
  const secret = secrets.get(keyOf(flag.namespace, flag.name));
  if (!secret) {
    diagnostics.push({ severity: 'warning', object, message: '--default-ssl-certificate: Secret not found (or not of type kubernetes.io/tls); using the generated certificate' });
    return generated;
  }
  const result = inspectSecret(secret);
  if (!result.ok) {
    diagnostics.push({ severity: 'warning', object, field: `data[${JSON.stringify(result.field)}]`, message: `--default-ssl-certificate: ${result.field} ${result.reason}; using the generated certificate` });
    return generated;
  }
  return { id: 'default', pem: result.info.pem, hosts: [] };
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((diagnostic) => {
    const key = diagnosticKey(diagnostic);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
