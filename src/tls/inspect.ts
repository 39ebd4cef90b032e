// Parses the contents of a TLS Secret and re-encodes it for HAProxy.
//
// The PEM that reaches a file HAProxy reads is never the text from the Secret:
// each certificate and the key are parsed by OpenSSL (through node:crypto) and
// written back out, so nothing but well-formed PEM can reach disk. A Secret
// HAProxy would refuse to load (a weak key or signature, see
// security-level.ts) is refused here, like a key that does not match. Pure:
// no I/O, and the clock is an argument.
//
// Tenants write Secrets, so the cost is bounded: at most 1 MiB a field (the
// most a Secret holds), a linear PEM parser, and at most MAX_CERTIFICATES
// certificates parsed.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rsaKeyInPkcs8 } from './der.js';
import { parsePem, toPem, type PemBlock } from './pem.js';
import { securityProblem } from './security-level.js';

export interface CertificateInfo {
  /** Certificate chain (leaf first) followed by the PKCS#8 private key. */
  pem: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  leaf: X509Certificate;
}

export type InspectResult = { ok: true; info: CertificateInfo } | { ok: false; field: 'tls.crt' | 'tls.key'; reason: string };

/** The leaf and its intermediates; real chains hold 2 to 4. */
export const MAX_CERTIFICATES = 16;
/** Certificates, keys and parameters blocks together, in either field. */
const MAX_BLOCKS = 2 * MAX_CERTIFICATES;

/** DER types node:crypto reads directly; a PEM label it does not list is handed to OpenSSL as PEM. */
const KEY_TYPES: Record<string, 'pkcs1' | 'pkcs8' | 'sec1'> = {
  'RSA PRIVATE KEY': 'pkcs1',
  'EC PRIVATE KEY': 'sec1',
  'PRIVATE KEY': 'pkcs8',
};

export function inspectKeyPair(certificateText: string, keyText: string): InspectResult {
  const certificates = parsePem(certificateText, { maxBlocks: MAX_BLOCKS });
  if (!certificates.ok) return { ok: false, field: 'tls.crt', reason: certificates.reason };
  const certificateBlocks = certificates.blocks.filter((block) => block.label === 'CERTIFICATE');
  if (certificateBlocks.length === 0) return { ok: false, field: 'tls.crt', reason: 'holds no PEM certificate' };
  if (certificateBlocks.length > MAX_CERTIFICATES) {
    return { ok: false, field: 'tls.crt', reason: `holds ${certificateBlocks.length} certificates; at most ${MAX_CERTIFICATES} (the certificate and its intermediates) are accepted` };
  }
  const chain: X509Certificate[] = [];
  for (const [index, block] of certificateBlocks.entries()) {
    try {
      chain.push(new X509Certificate(block.der));
    } catch (error) {
      return { ok: false, field: 'tls.crt', reason: `certificate ${index + 1} cannot be parsed: ${(error as Error).message}` };
    }
  }

  const keys = parsePem(keyText, { maxBlocks: MAX_BLOCKS });
  if (!keys.ok) return { ok: false, field: 'tls.key', reason: keys.reason };
  const keyBlocks = keys.blocks.filter((block) => block.label.endsWith('PRIVATE KEY'));
  if (keyBlocks.length !== 1 || keyBlocks[0] === undefined) {
    return { ok: false, field: 'tls.key', reason: keyBlocks.length === 0 ? 'holds no PEM private key' : 'holds more than one private key' };
  }
  const keyBlock = keyBlocks[0];
  if (keyBlock.label === 'ENCRYPTED PRIVATE KEY' || keyBlock.headers.some((header) => /^Proc-Type:.*ENCRYPTED/i.test(header))) {
    return { ok: false, field: 'tls.key', reason: 'is encrypted; HAProxy needs an unencrypted key' };
  }
  let key: KeyObject;
  try {
    key = readPrivateKey(keyBlock);
  } catch (error) {
    return { ok: false, field: 'tls.key', reason: `cannot be parsed: ${(error as Error).message}` };
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) return { ok: false, field: 'tls.key', reason: 'does not match the certificate in tls.crt' };

  const problem = securityProblem(chain);
  if (problem) return { ok: false, field: 'tls.crt', reason: problem };

  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pem = `${chain.map((certificate) => certificate.toString().trim()).join('\n')}\n${keyPem.trim()}\n`;
  return {
    ok: true,
    info: { pem, subject: leaf.subject, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), leaf },
  };
}

/**
 * Reads DER of a known type directly: OpenSSL 3.0's PEM and PKCS#8 decoders
 * try every format and cost 2 to 3 times more, and key parsing is most of
 * the cost of a Secret.
 */
function readPrivateKey(block: PemBlock): KeyObject {
  const rsa = block.label === 'PRIVATE KEY' ? rsaKeyInPkcs8(block.der) : undefined;
  if (rsa) return createPrivateKey({ key: rsa, format: 'der', type: 'pkcs1' });
  const type = KEY_TYPES[block.label];
  if (type) return createPrivateKey({ key: block.der, format: 'der', type });
  return createPrivateKey({ key: toPem(block.label, block.der), format: 'pem' });
}

/** Whether the certificate covers a host (exact, or a `*.` wildcard host covered by a wildcard SAN). */
export function certificateCovers(leaf: X509Certificate, host: string): boolean {
  if (host.startsWith('*.')) {
    const names = (leaf.subjectAltName ?? '').split(',').map((entry) => entry.trim());
    return names.includes(`DNS:${host}`);
  }
  return leaf.checkHost(host) !== undefined;
}
