// Checks the CA bundle and revocation list of a Secret named by
// auth-tls-secret (keys `ca.crt` and `ca.crl`) and re-encodes them for
// HAProxy, which verifies client certificates with them.
//
// As with TLS Secrets (inspect.ts), the PEM that reaches a file HAProxy
// reads is never the text from the Secret: each certificate is parsed by
// OpenSSL (node:crypto) and written back out, each revocation list is
// checked to be a DER CertificateList (der.ts) and wrapped again, so nothing
// but well-formed PEM of the expected kind reaches disk. A bundle holding
// anything else (a private key, say) is refused rather than trimmed. Pure;
// bounded cost on any input: a linear PEM parser, at most MAX_CA_BLOCKS
// blocks.

import { X509Certificate } from 'node:crypto';
import { crlProblem } from './der.js';
import { parsePem, toPem } from './pem.js';

export interface CaBundle {
  /** The certificates of `ca.crt`, re-encoded, in the order written. */
  pem: string;
  /** How many certificates. */
  count: number;
  /** The revocation lists of `ca.crl`, re-encoded; absent without `ca.crl`. */
  crl?: string;
}

export type CaResult = { ok: true; bundle: CaBundle } | { ok: false; field: 'ca.crt' | 'ca.crl'; reason: string };

/** Certificates (or revocation lists) in one key: a large organisation's bundle holds dozens. */
export const MAX_CA_BLOCKS = 256;

export function inspectCaBundle(crtText: string, crlText?: string): CaResult {
  const parsed = parsePem(crtText, { maxBlocks: MAX_CA_BLOCKS });
  if (!parsed.ok) return { ok: false, field: 'ca.crt', reason: parsed.reason };
  const other = parsed.blocks.find((block) => block.label !== 'CERTIFICATE');
  if (other) return { ok: false, field: 'ca.crt', reason: `holds a ${other.label} block at line ${other.line}; only CERTIFICATE blocks are accepted` };
  if (parsed.blocks.length === 0) return { ok: false, field: 'ca.crt', reason: 'holds no PEM certificate' };
  const certificates: string[] = [];
  for (const [index, block] of parsed.blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block.der).toString().trim());
    } catch (error) {
      return { ok: false, field: 'ca.crt', reason: `certificate ${index + 1} cannot be parsed: ${(error as Error).message}` };
    }
  }
  const bundle: CaBundle = { pem: `${certificates.join('\n')}\n`, count: certificates.length };
  if (crlText === undefined) return { ok: true, bundle };

  const lists = parsePem(crlText, { maxBlocks: MAX_CA_BLOCKS });
  if (!lists.ok) return { ok: false, field: 'ca.crl', reason: lists.reason };
  const notList = lists.blocks.find((block) => block.label !== 'X509 CRL');
  if (notList) return { ok: false, field: 'ca.crl', reason: `holds a ${notList.label} block at line ${notList.line}; only X509 CRL blocks are accepted` };
  if (lists.blocks.length === 0) return { ok: false, field: 'ca.crl', reason: 'holds no PEM revocation list (-----BEGIN X509 CRL-----)' };
  const crls: string[] = [];
  for (const [index, block] of lists.blocks.entries()) {
    const problem = crlProblem(block.der);
    if (problem) return { ok: false, field: 'ca.crl', reason: `revocation list ${index + 1} ${problem}` };
    crls.push(toPem('X509 CRL', block.der));
  }
  return { ok: true, bundle: { ...bundle, crl: crls.join('') } };
}
