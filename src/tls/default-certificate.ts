// The default certificate: served when SNI matches no host (or is absent) and
// no --default-ssl-certificate is configured. Generated once, self-signed,
// and kept in the state dir (mode 0600) so that restarts serve the same one.

import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../dataplane/haproxy/files.js';
import { inspectKeyPair } from './inspect.js';

const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export async function generateSelfSigned(commonName: string, hosts: readonly string[], days: number): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date(Date.now() - 3600 * 1000);
  const notAfterDate = new Date(Date.now() + days * 24 * 3600 * 1000);
  // Loaded only when a certificate is made (first start): it is a large module.
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      ...(hosts.length > 0 ? [{ name: 'subjectAltName' as const, altNames: hosts.map((value) => ({ type: 2 as const, value })) }] : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Returns the PEM (certificate and key) of the default certificate, creating it when needed. */
export async function loadOrCreateDefaultCertificate(path: string): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    const result = inspectKeyPair(pem, pem);
    if (result.ok && result.info.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS) return result.info.pem;
  } catch {
    // Missing: generate below.
  }
  const generated = await generateSelfSigned('Portero Default Certificate', [], 365);
  const result = inspectKeyPair(generated.cert, generated.key);
  if (!result.ok) throw new Error(`generated default certificate is invalid: ${result.reason}`);
  await writeFileAtomic(path, result.info.pem, 0o600);
  return result.info.pem;
}
