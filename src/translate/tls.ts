// TLS: which certificate serves which SNI name, and which hosts redirect
// plain HTTP to HTTPS.
//
// `spec.tls[].secretName` (same namespace, a valid kubernetes.io/tls Secret)
// serves `spec.tls[].hosts`; a TLS section without hosts covers the hosts of
// the Ingress's own rules. A missing or invalid Secret leaves its hosts on the
// default certificate, with a warning, and so does a certificate that does not
// cover the host (as in ingress-nginx: a wildcard default certificate keeps
// serving such a host). When two Ingresses claim one host with
// different Secrets, the oldest wins.

import { createHash } from 'node:crypto';
import type { Certificate } from '../model/model.js';
import { keyOf, refOf, type Ingress, type Secret } from '../objects/types.js';
import { certificateCovers, inspectKeyPair, type InspectResult } from '../tls/inspect.js';
import type { Diagnostic } from './diagnostics.js';

// Parsing a certificate costs far more than the rest of a translation, and
// store objects are immutable (a change replaces the object), so results are
// remembered per Secret object. This cache never changes an answer.
const inspected = new WeakMap<Secret, InspectResult>();

export function inspectSecret(secret: Secret): InspectResult {
  let result = inspected.get(secret);
  if (!result) {
    result = inspectKeyPair(secret.tls.crt ?? '', secret.tls.key ?? '');
    inspected.set(secret, result);
  }
  return result;
}

/**
 * Longest certificate id kept as written: ids name files (`<id>.pem`), and
 * a Secret name may be 253 characters long.
 */
const MAX_CERTIFICATE_ID = 200;

/**
 * `namespace_name`, or for long names a shortened name followed by `_` and a
 * digest: names and namespaces never contain `_`, so a shortened id never
 * equals another Secret's id.
 */
export function certificateId(namespace: string, name: string): string {
  const id = `${namespace}_${name}`;
  if (id.length <= MAX_CERTIFICATE_ID) return id;
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${namespace}_${name.slice(0, MAX_CERTIFICATE_ID - namespace.length - digest.length - 2)}_${digest}`;
}

/** Certificates HAProxy refused, by id: the PEM it refused and why. */
export type RefusedCertificates = ReadonlyMap<string, { pem: string; reason: string }>;

/** Why HAProxy refused this very certificate, if it did. */
export function refusal(refused: RefusedCertificates | undefined, id: string, pem: string): string | undefined {
  const entry = refused?.get(id);
  return entry?.pem === pem ? entry.reason : undefined;
}

export interface TlsResult {
  certificates: Certificate[];
  redirectHosts: string[];
}

/** Warns when a certificate is outside its validity period at `now`. */
function validityProblem(result: InspectResult, now: Date): string | undefined {
  if (!result.ok) return undefined;
  if (result.info.notAfter < now) return `certificate expired on ${result.info.notAfter.toISOString()}`;
  if (result.info.notBefore > now) return `certificate is not valid before ${result.info.notBefore.toISOString()}`;
  return undefined;
}

export function buildTls(
  ingresses: readonly Ingress[],
  secrets: ReadonlyMap<string, Secret>,
  now: Date,
  diagnostics: Diagnostic[],
  refused?: RefusedCertificates,
  redirectOff: (ingress: Ingress) => boolean = () => false,
): TlsResult {
  const hostOwner = new Map<string, { certificate: string | undefined; ingress: Ingress }>();
  const certificates = new Map<string, Certificate>();
  const redirectHosts = new Set<string>();
  // ssl-redirect: "false" keeps plain HTTP served for the hosts of that Ingress.
  const servedPlain = new Set<string>();

  for (const ingress of ingresses) {
    const ruleHosts = ingress.spec.rules.flatMap((rule) => (rule.host ? [rule.host] : []));
    if (redirectOff(ingress)) {
      for (const host of ruleHosts) servedPlain.add(host);
      for (const tls of ingress.spec.tls) for (const host of tls.hosts) servedPlain.add(host);
    }
    if (ingress.spec.tls.length === 0) continue;
    const ref = refOf(ingress);
    ingress.spec.tls.forEach((tls, index) => {
      const field = `spec.tls[${index}]`;
      const hosts = tls.hosts.length > 0 ? tls.hosts : ruleHosts;
      let certificate: string | undefined;
      // Hosts the certificate does not cover: they stay on the default certificate.
      const uncovered = new Set<string>();
      if (tls.secretName !== undefined) {
        const secret = secrets.get(keyOf(ingress.metadata.namespace, tls.secretName));
        const result = secret ? inspectSecret(secret) : undefined;
        const id = certificateId(ingress.metadata.namespace, tls.secretName);
        const refusedBecause = result?.ok ? refusal(refused, id, result.info.pem) : undefined;
        if (!secret || !result) {
          diagnostics.push({
            severity: 'warning',
            object: ref,
            field: `${field}.secretName`,
            message: `Secret ${ingress.metadata.namespace}/${tls.secretName} not found (or not of type kubernetes.io/tls); its hosts use the default certificate`,
          });
        } else if (!result.ok) {
          diagnostics.push({
            severity: 'warning',
            object: ref,
            field: `${field}.secretName`,
            message: `Secret ${ingress.metadata.namespace}/${tls.secretName}: ${result.field} ${result.reason}; its hosts use the default certificate`,
          });
        } else if (refusedBecause !== undefined) {
          diagnostics.push({
            severity: 'warning',
            object: ref,
            field: `${field}.secretName`,
            message: `Secret ${ingress.metadata.namespace}/${tls.secretName}: HAProxy refuses the certificate (${refusedBecause}); its hosts use the default certificate`,
          });
        } else {
          certificate = id;
          const problem = validityProblem(result, now);
          if (problem) {
            diagnostics.push({ severity: 'warning', object: ref, field: `${field}.secretName`, message: `Secret ${ingress.metadata.namespace}/${tls.secretName}: ${problem}` });
          }
          for (const host of hosts) {
            if (!certificateCovers(result.info.leaf, host)) {
              uncovered.add(host);
              diagnostics.push({
                severity: 'warning',
                object: ref,
                field: `${field}.hosts`,
                message: `certificate in Secret ${ingress.metadata.namespace}/${tls.secretName} does not cover host ${host}; the host uses the default certificate`,
              });
            }
          }
          if (!certificates.has(certificate)) certificates.set(certificate, { id: certificate, pem: result.info.pem, hosts: [] });
        }
      }
      for (const host of hosts) {
        redirectHosts.add(host);
        const owner = hostOwner.get(host);
        // What serves the host: the certificate when it covers the host, else the default one.
        const served = uncovered.has(host) ? undefined : certificate;
        if (owner === undefined) {
          hostOwner.set(host, { certificate: served, ingress });
        } else if (owner.certificate !== served && owner.ingress !== ingress) {
          diagnostics.push({
            severity: 'warning',
            object: ref,
            field: `${field}.hosts`,
            message: `TLS for host ${host} is already set by older Ingress ${keyOf(owner.ingress.metadata.namespace, owner.ingress.metadata.name)}; that certificate is used`,
          });
        }
      }
    });
  }

  for (const [host, owner] of hostOwner) {
    if (owner.certificate !== undefined) certificates.get(owner.certificate)?.hosts.push(host);
  }
  const used = [...certificates.values()].filter((certificate) => certificate.hosts.length > 0);
  for (const certificate of used) certificate.hosts.sort();
  used.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { certificates: used, redirectHosts: [...redirectHosts].filter((host) => !servedPlain.has(host)).sort() };
}
