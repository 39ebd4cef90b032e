// Parses the contents of a TLS Secret and re-encodes it for HAProxy.
//
// The PEM that reaches a file HAProxy reads is never the text from the Secret:
// each certificate and the key are parsed by OpenSSL (through node:crypto) and
// written back out, so nothing but well-formed PEM can reach disk. Pure: no
// I/O, and the clock is an argument.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

export interface CertificateInfo {
  /** Certificate chain (leaf first) followed by the PKCS#8 private key. */
  pem: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  leaf: X509Certificate;
}

export type InspectResult = { ok: true; info: CertificateInfo } | { ok: false; field: 'tls.crt' | 'tls.key'; reason: string };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;

function blocks(text: string): { label: string; pem: string }[] {
  const found: { label: string; pem: string }[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    found.push({ label: match[1] ?? '', pem: match[0] });
  }
  return found;
}

export function inspectKeyPair(certificateText: string, keyText: string): InspectResult {
  const certificateBlocks = blocks(certificateText).filter((block) => block.label === 'CERTIFICATE');
  if (certificateBlocks.length === 0) return { ok: false, field: 'tls.crt', reason: 'holds no PEM certificate' };
  const chain: X509Certificate[] = [];
  for (const [index, block] of certificateBlocks.entries()) {
    try {
      chain.push(new X509Certificate(block.pem));
    } catch (error) {
      return { ok: false, field: 'tls.crt', reason: `certificate ${index + 1} cannot be parsed: ${(error as Error).message}` };
    }
  }
  const keyBlocks = blocks(keyText).filter((block) => block.label.endsWith('PRIVATE KEY'));
  if (keyBlocks.length !== 1 || keyBlocks[0] === undefined) {
    return { ok: false, field: 'tls.key', reason: keyBlocks.length === 0 ? 'holds no PEM private key' : 'holds more than one private key' };
  }
  if (keyBlocks[0].label === 'ENCRYPTED PRIVATE KEY') return { ok: false, field: 'tls.key', reason: 'is encrypted; HAProxy needs an unencrypted key' };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyBlocks[0].pem, format: 'pem' });
  } catch (error) {
    return { ok: false, field: 'tls.key', reason: `cannot be parsed: ${(error as Error).message}` };
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) return { ok: false, field: 'tls.key', reason: 'does not match the certificate in tls.crt' };
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pem = `${chain.map((certificate) => certificate.toString().trim()).join('\n')}\n${keyPem.trim()}\n`;
  return {
    ok: true,
    info: { pem, subject: leaf.subject, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), leaf },
  };
}

/** Whether the certificate covers a host (exact, or a `*.` wildcard host covered by a wildcard SAN). */
export function certificateCovers(leaf: X509Certificate, host: string): boolean {
  if (host.startsWith('*.')) {
    const names = (leaf.subjectAltName ?? '').split(',').map((entry) => entry.trim());
    return names.includes(`DNS:${host}`);
  }
  return leaf.checkHost(host) !== undefined;
}
