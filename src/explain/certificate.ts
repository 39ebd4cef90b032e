// The certificate served for a TLS server name, chosen by the reference
// matcher (model/match.ts selectCertificate), with what a person checks:
// the Secret it comes from, subject, names and expiry. Reading the PEM is
// pure (node:crypto parses, nothing is fetched).

import { X509Certificate } from 'node:crypto';
import { selectCertificate } from '../model/match.js';
import type { Certificate, Model } from '../model/model.js';
import type { CertificateExplanation } from './types.js';

function leafOf(pem: string): X509Certificate | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!block) return undefined;
  try {
    return new X509Certificate(block[0]);
  } catch {
    return undefined;
  }
}

/** The Secret of a certificate id `namespace_name` (namespaces and names never contain `_`). */
function secretOf(certificate: Certificate): { namespace: string; name: string } | undefined {
  const at = certificate.id.indexOf('_');
  return certificate.id === 'default' || at === -1 ? undefined : { namespace: certificate.id.slice(0, at), name: certificate.id.slice(at + 1) };
}

export function explainCertificate(model: Model, serverName: string | null): CertificateExplanation {
  const name = (serverName ?? '').toLowerCase();
  const certificate = selectCertificate(model, serverName ?? undefined);
  const isDefault = certificate === model.defaultCertificate;
  const selectedBy = isDefault ? 'default' : certificate.hosts.includes(name) ? 'exact' : 'wildcard';
  const secret = secretOf(certificate);
  const leaf = leafOf(certificate.pem);
  return {
    id: certificate.id,
    ...(secret ? { secret } : {}),
    default: isDefault,
    ...(leaf
      ? {
          subject: leaf.subject.replace(/\n/g, ', '),
          subjectAltNames: (leaf.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
          notAfter: new Date(leaf.validTo).toISOString(),
        }
      : {}),
    selectedBy,
  };
}
