// Certificates that HAProxy's OpenSSL refuses to load, found by OpenSSL itself.
//
// Debian's OpenSSL runs at security level 2: when HAProxy loads a certificate
// it refuses a key under 112 bits of security (RSA or DSA under 2048 bits, EC
// curves under 224 bits) in the certificate or its chain, and a signature
// made with a digest under 112 bits (SHA-1, MD5) unless the certificate is
// self-signed (OpenSSL does not check those). Node accepts all of these, and
// one such Secret used to make every HAProxy reload fail. Rather than
// restating those rules, the chain is loaded into a TLS context of Node's
// OpenSSL at the same security level, which runs the same checks (set
// ciphers first: Node applies them before the certificate).
//
// A TLS context costs about 0.8 ms, too much for every one of 10,000 Secrets
// at start. OpenSSL's verdict depends only on each certificate's key (type and
// size), its signature algorithm and whether it is self-signed, so verdicts
// are remembered by that profile; a certificate whose self-signedness cannot
// be told without OpenSSL is checked on its own.

import type { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describeSignatureAlgorithm, signatureAlgorithm } from './der.js';

export const SECURITY_LEVEL = 2;
const CIPHERS = `DEFAULT@SECLEVEL=${SECURITY_LEVEL}`;
const REMEMBERED_PROFILES = 1000;

/** Problem (undefined: accepted) by chain profile. */
const verdicts = new Map<string, string | undefined>();

interface Refusal {
  code: string;
  message: string;
}

/** Why HAProxy's OpenSSL would refuse this chain (leaf first), or undefined when it loads it. */
export function securityProblem(chain: readonly X509Certificate[]): string | undefined {
  const profile = chainProfile(chain);
  if (profile !== undefined && verdicts.has(profile)) return verdicts.get(profile);
  const refusal = opensslRefusal(chain.map((certificate) => certificate.toString()).join('\n'));
  const problem = refusal ? explain(chain, refusal) : undefined;
  if (profile !== undefined) {
    if (verdicts.size >= REMEMBERED_PROFILES) verdicts.clear();
    verdicts.set(profile, problem);
  }
  return problem;
}

function opensslRefusal(pem: string): Refusal | undefined {
  try {
    // `ca: []` keeps Node from loading its root store, which this does not need.
    createSecureContext({ ca: [], cert: pem, ciphers: CIPHERS });
    return undefined;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return { code: String(failure.code ?? ''), message: failure.message.replace(/^error:[0-9A-Fa-f]+:[^:]*::?/, '') };
  }
}

/** Finds which certificate OpenSSL refuses, and why, by loading each on its own. */
function explain(chain: readonly X509Certificate[], refusal: Refusal): string {
  for (const [index, certificate] of chain.entries()) {
    const own = chain.length === 1 ? refusal : opensslRefusal(certificate.toString());
    if (!own) continue;
    const which = index === 0 ? 'the certificate' : `certificate ${index + 1} in tls.crt (the chain)`;
    if (own.code.endsWith('KEY_TOO_SMALL')) {
      const { description, needed } = describeKey(certificate);
      const subject = index === 0 ? `the certificate's ${description}` : `${which} has ${article(description)} ${description}, which`;
      return `${subject} is too weak; ${needed} (HAProxy's OpenSSL refuses weaker keys at security level ${SECURITY_LEVEL})`;
    }
    if (own.code.endsWith('MD_TOO_WEAK')) {
      return `${which} is signed with ${describeSignatureAlgorithm(signatureAlgorithm(certificate.raw))}, which OpenSSL refuses; it must be signed with SHA-256 or stronger (HAProxy's OpenSSL, security level ${SECURITY_LEVEL})`;
    }
    if (index > 0) return `${which} is refused by HAProxy's OpenSSL (security level ${SECURITY_LEVEL}): ${own.message}`;
  }
  return `is refused by HAProxy's OpenSSL (security level ${SECURITY_LEVEL}): ${refusal.message}`;
}

function describeKey(certificate: X509Certificate): { description: string; needed: string } {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
    case 'dsa': {
      const name = key.asymmetricKeyType === 'dsa' ? 'DSA' : key.asymmetricKeyType === 'rsa' ? 'RSA' : 'RSA-PSS';
      return { description: `${name} key of ${details.modulusLength ?? '?'} bits`, needed: 'at least 2048 are needed' };
    }
    case 'ec':
      return { description: `EC key on curve ${details.namedCurve ?? '(explicit parameters)'}`, needed: 'a curve of at least 224 bits (such as P-256) is needed' };
    default:
      return { description: `${key.asymmetricKeyType ?? 'unknown'} key`, needed: 'a stronger key is needed' };
  }
}

function article(description: string): string {
  return /^(RSA|EC|Ed|X)/.test(description) ? 'an' : 'a';
}

/**
 * What OpenSSL's security check looks at, for every certificate of the chain
 * in order; undefined when that cannot be told without OpenSSL.
 */
function chainProfile(chain: readonly X509Certificate[]): string | undefined {
  const parts: string[] = [];
  for (const certificate of chain) {
    const part = certificateProfile(certificate);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts.join('|');
}

function certificateProfile(certificate: X509Certificate): string | undefined {
  const selfSigned = selfSignedness(certificate);
  if (selfSigned === 'unknown') return undefined;
  const algorithm = signatureAlgorithm(certificate.raw);
  if (!algorithm) return undefined;
  let key;
  try {
    key = certificate.publicKey;
  } catch {
    return undefined;
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === undefined) return undefined;
  return [
    key.asymmetricKeyType,
    details.modulusLength,
    details.divisorLength,
    details.namedCurve,
    details.hashAlgorithm,
    details.mgf1HashAlgorithm,
    details.saltLength,
    algorithm.identifier,
    selfSigned,
  ].join(':');
}

/**
 * OpenSSL skips the signature check of a self-signed certificate: one whose
 * subject equals its issuer (compared case- and space-insensitively) and whose
 * key identifiers and algorithms match, which is what `checkIssued(itself)`
 * tests too, except that it also wants the keyCertSign usage when a key usage
 * is present. So: names differ → not self-signed; checkIssued → self-signed;
 * otherwise unknown.
 */
function selfSignedness(certificate: X509Certificate): 'yes' | 'no' | 'unknown' {
  // Loose on purpose (case, spaces and escapes ignored): names OpenSSL finds
  // equal must compare equal here, and a false match only means "unknown".
  const loose = (name: string) => name.toLowerCase().replace(/[\s\\]/g, '');
  if (loose(certificate.subject) !== loose(certificate.issuer)) return 'no';
  return certificate.checkIssued(certificate) ? 'yes' : 'unknown';
}
