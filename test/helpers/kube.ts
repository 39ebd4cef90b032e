// Kubernetes-mode test helpers: the API test server, kubeconfig files, a
// kubectl runner, and a small PKI for TLS and client-certificate tests.

import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import selfsigned from 'selfsigned';
import { KubeApiServer, type KubeApiServerOptions } from '../kube-api-server/server.js';

const run = promisify(execFile);

export async function startApi(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  return new KubeApiServer({ bookmarkIntervalMs: 200, ...options }).start();
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes a kubeconfig for the server and returns its path. */
export async function kubeconfigFile(server: KubeApiServer, user: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}): Promise<string> {
  const directory = await tempDir('portero-kubeconfig-');
  const path = join(directory, 'config');
  await writeFile(path, server.kubeconfig(user, cluster));
  return path;
}

/** Runs the real kubectl against the server; resolves with stdout, rejects with stderr. */
export async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const cacheDir = await tempDir('portero-kubectl-cache-');
  const child = run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { timeout: 30_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${failure.stderr || failure.message}`);
  }
}

export interface Pki {
  ca: { cert: string; key: string };
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

/** A CA, a server certificate for 127.0.0.1, and a client certificate, all fresh. */
export async function makePki(): Promise<Pki> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'portero-test-ca' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
  const issuer = { key: ca.private, cert: ca.cert };
  const server = await selfsigned.generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const client = await selfsigned.generate([{ name: 'commonName', value: 'portero' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: issuer,
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', clientAuth: true }],
  });
  return { ca: issuer, server: { cert: server.cert, key: server.private }, client: { cert: client.cert, key: client.private } };
}

export const b64 = (text: string) => Buffer.from(text).toString('base64');

type Json = Record<string, unknown>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The FieldsV1 set of the fields `value` sets, as server-side field tracking
 * writes it: `f:<field>` for map keys, `k:{"name":...}` for list items with a
 * name, `{}` for atomic lists and leaves.
 */
export function fieldsV1(value: unknown): Json {
  if (isMap(value)) {
    const out: Json = {};
    for (const [key, child] of Object.entries(value)) out[`f:${key}`] = fieldsV1(child);
    return out;
  }
  if (Array.isArray(value) && value.length > 0 && value.every((item) => isMap(item) && typeof item.name === 'string')) {
    const out: Json = {};
    for (const item of value as Json[]) out[`k:${JSON.stringify({ name: item.name })}`] = { '.': {}, ...fieldsV1(item) };
    return out;
  }
  return {};
}

/**
 * `object` (as its user wrote it) as `kubectl apply` leaves it in a real API
 * server: with the last-applied-configuration annotation (a JSON copy of the
 * object), a managedFields entry, and for a Service the fields the API server
 * defaults. `index` makes the Service's cluster IP unique.
 */
export function asApplied(object: Json, index = 0, time = '2026-01-01T00:00:00Z'): Json {
  const metadata = object.metadata as Json;
  const { metadata: _metadata, apiVersion, kind: _kind, ...body } = object;
  const userFields = fieldsV1({ metadata: { annotations: { [LAST_APPLIED]: '' }, labels: metadata.labels }, ...body });
  const applied: Json = {
    ...object,
    metadata: {
      ...metadata,
      annotations: { ...((metadata.annotations as Json | undefined) ?? {}), [LAST_APPLIED]: `${JSON.stringify(object)}\n` },
      managedFields: [{ apiVersion, fieldsType: 'FieldsV1', fieldsV1: userFields, manager: 'kubectl-client-side-apply', operation: 'Update', time }],
    },
  };
  if (object.kind === 'Service') {
    const clusterIP = `10.96.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`;
    applied.spec = {
      ...(object.spec as Json),
      clusterIP,
      clusterIPs: [clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      type: 'ClusterIP',
    };
  }
  return applied;
}
