// Certificate materials for the generated TLS Secrets: small EC P-256
// self-signed certificates from the openssl command (milliseconds each),
// else RSA ones from the same generator Portero uses for its default
// certificate. Each covers every host of the pools, so that Portero has no
// reason to warn about coverage; which one is served is told apart by its
// fingerprint.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSelfSigned } from '../../../src/tls/default-certificate.js';
import { EXACT_HOSTS, WILDCARD_HOSTS } from './world.js';

const run = promisify(execFile);
const HOSTS = [...EXACT_HOSTS, ...WILDCARD_HOSTS];

async function withOpenssl(index: number, directory: string): Promise<{ cert: string; key: string }> {
  const cert = join(directory, `${index}.crt`);
  const key = join(directory, `${index}.key`);
  const san = HOSTS.map((host) => `DNS:${host}`).join(',');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=invariant-material-${index}`, '-addext', `subjectAltName=${san}`, '-days', '30', '-keyout', key, '-out', cert], { timeout: 30_000 });
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

let cached: Promise<{ cert: string; key: string }[]> | undefined;

/** `count` distinct certificate and key pairs, made once per process. */
export function materials(count: number): Promise<{ cert: string; key: string }[]> {
  cached ??= (async () => {
    const directory = await mkdtemp(join(tmpdir(), 'portero-invariant-certs-'));
    try {
      const out: { cert: string; key: string }[] = [];
      for (let index = 0; index < count; index += 1) {
        try {
          out.push(await withOpenssl(index, directory));
        } catch {
          out.push(await generateSelfSigned(`invariant-material-${index}`, HOSTS, 30));
        }
      }
      return out;
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  })();
  return cached;
}
