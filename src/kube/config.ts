// How to reach the Kubernetes API: a kubeconfig file (current context), or
// the in-cluster service account.
//
// --kubeconfig FILE, else $KUBECONFIG (first file of the list), else
// in-cluster. Supported: server over https:// (CA file or data, or
// insecure-skip-tls-verify) or http://; bearer token or token file; client
// certificate and key (files or data). In-cluster, the service-account token
// is re-read every minute and after a 401, because bound tokens rotate.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REFRESH_MS = 60_000;

export interface Credentials {
  /** A bearer token, or undefined for none; `refresh` forces a re-read (after a 401). */
  token(refresh?: boolean): Promise<string | undefined>;
}

export interface ClusterConnection {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  credentials: Credentials;
  /** The namespace of the context, or of the service account. */
  namespace?: string;
  /** For logs: where the connection settings came from. */
  source: string;
}

export class ConfigError extends Error {}

type Json = Record<string, any>;

/** A token read from a file, re-read when older than the refresh period or on demand. */
export function fileToken(path: string): Credentials {
  let cached: { value: string; at: number } | undefined;
  return {
    async token(refresh = false) {
      if (!cached || refresh || Date.now() - cached.at > TOKEN_REFRESH_MS) {
        try {
          cached = { value: (await readFile(path, 'utf8')).trim(), at: Date.now() };
        } catch (error) {
          if (!cached) throw new ConfigError(`cannot read token file ${path}: ${(error as Error).message}`);
        }
      }
      return cached?.value;
    },
  };
}

function staticToken(value: string | undefined): Credentials {
  return { token: async () => value };
}

async function readMaybe(base: string, path: unknown, data: unknown, what: string): Promise<string | undefined> {
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
  if (typeof path !== 'string' || path === '') return undefined;
  const full = isAbsolute(path) ? path : join(base, path);
  try {
    return await readFile(full, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${full}: ${(error as Error).message}`);
  }
}

function named(list: unknown, name: string, what: string, file: string): Json {
  const entry = Array.isArray(list) ? list.find((item: Json) => item?.name === name) : undefined;
  if (!entry) throw new ConfigError(`${file}: ${what} ${JSON.stringify(name)} not found`);
  return entry;
}

export async function loadKubeconfig(file: string): Promise<ClusterConnection> {
  let document: Json;
  try {
    document = parse(await readFile(file, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
  const contextName = document['current-context'];
  if (typeof contextName !== 'string' || contextName === '') throw new ConfigError(`${file}: no current-context`);
  const context = named(document.contexts, contextName, 'context', file).context ?? {};
  const cluster = named(document.clusters, context.cluster, 'cluster', file).cluster ?? {};
  const user = context.user ? (named(document.users, context.user, 'user', file).user ?? {}) : {};
  if (typeof cluster.server !== 'string' || !/^https?:\/\//.test(cluster.server)) throw new ConfigError(`${file}: cluster ${JSON.stringify(context.cluster)} has no http(s) server`);
  if (user.exec || user['auth-provider']) throw new ConfigError(`${file}: user ${JSON.stringify(context.user)} uses an exec or auth-provider plugin, which Portero does not support; use a token or a client certificate`);
  const base = dirname(file);
  let credentials = staticToken(typeof user.token === 'string' ? user.token : undefined);
  if (typeof user.tokenFile === 'string') credentials = fileToken(isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile));
  const connection: ClusterConnection = {
    server: cluster.server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    credentials,
    source: `kubeconfig ${file} (context ${contextName})`,
  };
  const ca = await readMaybe(base, cluster['certificate-authority'], cluster['certificate-authority-data'], 'certificate authority');
  const cert = await readMaybe(base, user['client-certificate'], user['client-certificate-data'], 'client certificate');
  const key = await readMaybe(base, user['client-key'], user['client-key-data'], 'client key');
  if (ca) connection.ca = ca;
  if (cert) connection.cert = cert;
  if (key) connection.key = key;
  if (typeof cluster['tls-server-name'] === 'string') connection.tlsServerName = cluster['tls-server-name'];
  if (typeof context.namespace === 'string') connection.namespace = context.namespace;
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError(`${file}: user ${JSON.stringify(context.user)} needs both a client certificate and a client key`);
  return connection;
}

export async function inClusterConfig(directory = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): Promise<ClusterConnection> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError('not running in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set): pass --kubeconfig FILE or set KUBECONFIG, or use --manifests DIR');
  }
  const credentials = fileToken(join(directory, 'token'));
  await credentials.token();
  let ca: string;
  try {
    ca = await readFile(join(directory, 'ca.crt'), 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the cluster CA ${join(directory, 'ca.crt')}: ${(error as Error).message}`);
  }
  const namespace = await readFile(join(directory, 'namespace'), 'utf8').then((text) => text.trim(), () => undefined);
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca,
    insecureSkipTlsVerify: false,
    credentials,
    ...(namespace ? { namespace } : {}),
    source: `in-cluster service account (${directory})`,
  };
}

/** --kubeconfig, else the first file in $KUBECONFIG, else in-cluster. */
export async function resolveConnection(kubeconfig: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ClusterConnection> {
  if (kubeconfig) return loadKubeconfig(kubeconfig);
  const fromEnv = env.KUBECONFIG?.split(':').find((entry) => entry !== '');
  if (fromEnv) return loadKubeconfig(fromEnv);
  return inClusterConfig(env.PORTERO_SERVICE_ACCOUNT_DIR || SERVICE_ACCOUNT_DIR, env);
}
