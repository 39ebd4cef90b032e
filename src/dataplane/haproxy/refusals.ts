// Which certificates HAProxy refused, read from what it said: the output of
// `haproxy -c`, or the error of a runtime command. Node's OpenSSL checks
// (tls/inspect.ts) catch what they can before a certificate reaches HAProxy;
// a certificate HAProxy refuses anyway is named here so that it alone is
// left out (its hosts fall back to the default certificate), and every other
// object keeps being applied. Pure.

import { GENERATION_FILES } from './layout.js';

export interface RefusedCertificate {
  /** The certificate id (the file name without `.pem`). */
  id: string;
  /** What HAProxy said, on one line. */
  reason: string;
}

const CERTIFICATE_FILE = new RegExp(`/${GENERATION_FILES.certsDir}/([A-Za-z0-9_.:-]+)\\.pem\\b`, 'g');

/** HAProxy's explanation on a line that names a certificate file: the text around the file name, without the location prefix. */
function explanation(line: string): string {
  const text = line
    .replace(/^\[(ALERT|WARNING)\]\s+\(\d+\)\s*:\s*/, '')
    .replace(/^config : parsing \[[^\]]*\] : /, '')
    .replace(/'[^']*\/certs\/[^']*'/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const parts = text.split(' : ').filter((part) => !/^'?(bind|crt-list|error processing line)\b/.test(part));
  return (parts.at(-1) ?? text).replace(/[.\s]+$/, '') || 'refused by HAProxy';
}

/** Certificates named in HAProxy's error output (haproxy -c, or a runtime answer), each once. */
export function refusedCertificates(output: string): RefusedCertificate[] {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    for (const match of line.matchAll(CERTIFICATE_FILE)) {
      const id = match[1]!;
      if (!found.has(id)) found.set(id, explanation(line));
    }
  }
  return [...found].map(([id, reason]) => ({ id, reason }));
}
