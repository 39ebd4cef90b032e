// An HTTPS listener's `tls.certificateRefs`, resolved to certificates.
//
// gateway_types.go (ListenerTLSConfig.CertificateRefs, and the
// ResolvedRefs reasons): a reference is invalid (InvalidCertificateRef) when
// it names a kind other than a core Secret, a Secret that does not exist, or
// one whose data is malformed; a reference to another namespace needs a
// ReferenceGrant there from this Gateway's namespace, and without one the
// reason is RefNotPermitted (checked first, so that nothing is revealed about
// Secrets in namespaces that did not grant access).
//
// The Secret is checked as for an Ingress (tls/inspect.ts through
// translate/tls.ts's cache): a kubernetes.io/tls Secret whose certificate and
// key parse, match and would load in HAProxy. A certificate HAProxy refused
// (the data plane reports it) is invalid too.

import { GATEWAY_GROUP, type Gateway, type Listener } from '../../objects/gateway-types.js';
import type { Secret } from '../../objects/types.js';
import { certificateCovers } from '../../tls/inspect.js';
import { certificateId, inspectSecret, refusal, type RefusedCertificates } from '../tls.js';
import { quote } from './conditions.js';
import type { ReferenceGrants } from './references.js';
import type { GatewayDiagnostic, ResolvedCertificate } from './types.js';

export interface CertificateProblem {
  reason: 'InvalidCertificateRef' | 'RefNotPermitted';
  field: string;
  message: string;
}

export interface CertificateResolution {
  certificates: ResolvedCertificate[];
  problems: CertificateProblem[];
}

export interface CertificateContext {
  secrets: ReadonlyMap<string, Secret>;
  grants: ReferenceGrants;
  refused?: RefusedCertificates;
  now?: Date;
}

export function resolveCertificates(gateway: Gateway, listener: Listener, field: string, context: CertificateContext, diagnostics: GatewayDiagnostic[]): CertificateResolution {
  const gatewayNamespace = gateway.metadata.namespace;
  const certificates: ResolvedCertificate[] = [];
  const problems: CertificateProblem[] = [];
  const refs = listener.tls?.certificateRefs ?? [];
  if (refs.length === 0) {
    problems.push({ reason: 'InvalidCertificateRef', field: `${field}.tls.certificateRefs`, message: 'an HTTPS listener needs a certificate: tls.certificateRefs is empty' });
  }
  refs.forEach((ref, index) => {
    const refField = `${field}.tls.certificateRefs[${index}]`;
    const namespace = ref.namespace ?? gatewayNamespace;
    const what = `${namespace}/${ref.name}`;
    if (ref.group !== '' || ref.kind !== 'Secret') {
      problems.push({ reason: 'InvalidCertificateRef', field: refField, message: `${quote(ref.group === '' ? ref.kind : `${ref.kind}.${ref.group}`)} is not supported: certificateRefs must name core Secrets` });
      return;
    }
    const permitted = context.grants.permits(
      { group: GATEWAY_GROUP, kind: 'Gateway', namespace: gatewayNamespace },
      { group: '', kind: 'Secret', namespace, name: ref.name },
    );
    if (!permitted) {
      problems.push({ reason: 'RefNotPermitted', field: refField, message: `Secret ${what} is in another namespace and no ReferenceGrant there allows Gateways of namespace ${gatewayNamespace} to use it` });
      return;
    }
    const secret = context.secrets.get(`${namespace}/${ref.name}`);
    if (!secret) {
      problems.push({ reason: 'InvalidCertificateRef', field: refField, message: `Secret ${what} not found` });
      return;
    }
    const result = inspectSecret(secret);
    if (!result.ok) {
      const why = secret.tls.crt === undefined && secret.tls.key === undefined ? 'is not a kubernetes.io/tls Secret with tls.crt and tls.key' : `${result.field} ${result.reason}`;
      problems.push({ reason: 'InvalidCertificateRef', field: refField, message: `Secret ${what}: ${why}` });
      return;
    }
    const id = certificateId(namespace, ref.name);
    const refusedBecause = refusal(context.refused, id, result.info.pem);
    if (refusedBecause !== undefined) {
      problems.push({ reason: 'InvalidCertificateRef', field: refField, message: `Secret ${what}: HAProxy refuses the certificate (${refusedBecause})` });
      return;
    }
    certificates.push({ id, namespace, name: ref.name, info: result.info });
    warnAboutCertificate(gateway, listener, refField, what, result.info, context.now, diagnostics);
  });
  return { certificates, problems };
}

/** Served, but clients may refuse it: expired, not yet valid, or not covering the listener's hostname. */
function warnAboutCertificate(
  gateway: Gateway,
  listener: Listener,
  field: string,
  what: string,
  info: ResolvedCertificate['info'],
  now: Date | undefined,
  diagnostics: GatewayDiagnostic[],
): void {
  const object = { kind: 'Gateway' as const, namespace: gateway.metadata.namespace, name: gateway.metadata.name };
  if (now && info.notAfter < now) {
    diagnostics.push({ severity: 'warning', object, field, message: `certificate in Secret ${what} expired on ${info.notAfter.toISOString()}` });
  } else if (now && info.notBefore > now) {
    diagnostics.push({ severity: 'warning', object, field, message: `certificate in Secret ${what} is not valid before ${info.notBefore.toISOString()}` });
  }
  if (listener.hostname !== undefined && !certificateCovers(info.leaf, listener.hostname)) {
    diagnostics.push({ severity: 'warning', object, field, message: `certificate in Secret ${what} does not cover the listener's hostname ${listener.hostname}; clients will reject it` });
  }
}
