// Just enough DER to read a certificate's signature algorithm, which Node 20's
// X509Certificate does not expose. Certificate ::= SEQUENCE { tbsCertificate,
// signatureAlgorithm AlgorithmIdentifier, signatureValue }.

interface Element {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  contentStart: number;
  end: number;
}

function element(der: Buffer, offset: number): Element | undefined {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) return undefined;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) return undefined;
    length = 0;
    for (let index = 0; index < octets; index += 1) {
      const byte = der[contentStart + index];
      if (byte === undefined) return undefined;
      length = length * 256 + byte;
    }
    contentStart += octets;
  }
  const end = contentStart + length;
  return end <= der.length ? { tag, start: offset, contentStart, end } : undefined;
}

function objectIdentifier(content: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

export interface SignatureAlgorithm {
  /** Dotted OID, such as 1.2.840.113549.1.1.11. */
  oid: string;
  /** The whole AlgorithmIdentifier (OID and parameters), hex. */
  identifier: string;
}

/** The outer signatureAlgorithm of a DER certificate, or undefined when the DER is not shaped as one. */
export function signatureAlgorithm(certificate: Buffer): SignatureAlgorithm | undefined {
  const outer = element(certificate, 0);
  if (outer?.tag !== 0x30) return undefined;
  const tbs = element(certificate, outer.contentStart);
  if (tbs?.tag !== 0x30) return undefined;
  const algorithm = element(certificate, tbs.end);
  if (algorithm?.tag !== 0x30) return undefined;
  const oid = element(certificate, algorithm.contentStart);
  if (oid?.tag !== 0x06) return undefined;
  return {
    oid: objectIdentifier(certificate.subarray(oid.contentStart, oid.end)),
    identifier: certificate.subarray(algorithm.start, algorithm.end).toString('hex'),
  };
}

/** Names of signature algorithms, for messages only; the verdict on them is OpenSSL's. */
const SIGNATURE_NAMES: Record<string, { name: string; digest: string }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', digest: 'MD2' },
  '1.2.840.113549.1.1.3': { name: 'md4WithRSAEncryption', digest: 'MD4' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', digest: 'MD5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', digest: 'SHA-1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSA', digest: 'SHA-1' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', digest: 'SHA-1' },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', digest: 'SHA-1' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', digest: 'RSASSA-PSS parameters' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', digest: 'SHA-224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', digest: 'SHA-256' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', digest: 'SHA-256' },
};

/** "SHA-1 (sha1WithRSAEncryption)", or the OID when the algorithm has no name here. */
export function describeSignatureAlgorithm(algorithm: SignatureAlgorithm | undefined): string {
  if (!algorithm) return 'an algorithm that cannot be read';
  const known = SIGNATURE_NAMES[algorithm.oid];
  return known ? `${known.digest} (${known.name})` : `the algorithm with OID ${algorithm.oid}`;
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/**
 * The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo for rsaEncryption,
 * or undefined for any other key or shape. OpenSSL 3.0 reads PKCS#1 DER about
 * twice as fast as PKCS#8, and the key is parsed (and then re-encoded) by
 * OpenSSL either way.
 */
export function rsaKeyInPkcs8(der: Buffer): Buffer | undefined {
  const info = element(der, 0);
  if (info?.tag !== 0x30 || info.end !== der.length) return undefined;
  const version = element(der, info.contentStart);
  if (version?.tag !== 0x02) return undefined;
  const algorithm = element(der, version.end);
  if (algorithm?.tag !== 0x30) return undefined;
  const oid = element(der, algorithm.contentStart);
  if (oid?.tag !== 0x06 || objectIdentifier(der.subarray(oid.contentStart, oid.end)) !== RSA_ENCRYPTION) return undefined;
  const key = element(der, algorithm.end);
  if (key?.tag !== 0x04) return undefined;
  return der.subarray(key.contentStart, key.end);
}

/** The elements that tile [start, end) exactly, or undefined when they do not. */
function children(der: Buffer, start: number, end: number): Element[] | undefined {
  const out: Element[] = [];
  let offset = start;
  while (offset < end) {
    const next = element(der, offset);
    if (!next || next.end > end) return undefined;
    out.push(next);
    offset = next.end;
  }
  return out;
}

/** Whether every constructed element below `root` holds exactly its children, down to a bounded depth. */
function wellFormed(der: Buffer, root: Element): boolean {
  const pending: { element: Element; depth: number }[] = [{ element: root, depth: 0 }];
  while (pending.length > 0) {
    const { element: current, depth } = pending.pop()!;
    if ((current.tag & 0x20) === 0) continue;
    if (depth > 16) return false;
    const inner = children(der, current.contentStart, current.end);
    if (!inner) return false;
    for (const child of inner) pending.push({ element: child, depth: depth + 1 });
  }
  return true;
}

const isTime = (candidate: Element | undefined): boolean => candidate?.tag === 0x17 || candidate?.tag === 0x18;

/**
 * Why `der` is not a certificate revocation list (RFC 5280 §5.1:
 * CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 * signatureValue }), or undefined when it is shaped as one. Node has no CRL
 * parser; this checks the DER structure OpenSSL will parse, so that a list
 * HAProxy would refuse to load is refused here instead.
 */
export function crlProblem(der: Buffer): string | undefined {
  const list = element(der, 0);
  if (list?.tag !== 0x30 || list.end !== der.length) return 'is not a DER-encoded revocation list';
  if (!wellFormed(der, list)) return 'is not well-formed DER';
  const parts = children(der, list.contentStart, list.end)!;
  const signature = parts[2];
  if (parts.length !== 3 || parts[0]!.tag !== 0x30 || parts[1]!.tag !== 0x30 || signature?.tag !== 0x03) {
    return 'is not shaped as a revocation list (tbsCertList, signatureAlgorithm, signatureValue)';
  }
  if (signature.end - signature.contentStart < 1 || der[signature.contentStart]! > 7) return 'has a malformed signature';
  const tbs = children(der, parts[0]!.contentStart, parts[0]!.end)!;
  let i = 0;
  if (tbs[i]?.tag === 0x02) i += 1; // version
  if (tbs[i]?.tag !== 0x30) return 'has no signature algorithm';
  i += 1;
  if (tbs[i]?.tag !== 0x30) return 'has no issuer';
  i += 1;
  if (!isTime(tbs[i])) return 'has no thisUpdate time';
  i += 1;
  if (isTime(tbs[i])) i += 1; // nextUpdate
  if (tbs[i]?.tag === 0x30) {
    // revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time, crlEntryExtensions OPTIONAL }
    for (const entry of children(der, tbs[i]!.contentStart, tbs[i]!.end)!) {
      const fields = entry.tag === 0x30 ? children(der, entry.contentStart, entry.end)! : [];
      if (fields[0]?.tag !== 0x02 || !isTime(fields[1]) || fields.length > 3 || (fields.length === 3 && fields[2]!.tag !== 0x30)) return 'has a malformed revoked certificate entry';
    }
    i += 1;
  }
  if (tbs[i]?.tag === 0xa0) i += 1; // crlExtensions
  if (i !== tbs.length) return 'has unexpected fields';
  return undefined;
}
