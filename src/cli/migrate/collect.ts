// Reads the objects a migration report is about, once: from a directory of
// manifests (the same parser and decoder as the manifests source, without
// its watcher) or from the Kubernetes API (the same client and kinds as
// Kubernetes mode, listed once, never watched). The ingress-nginx ConfigMap
// is not a kind Portero stores, so it is picked out of the raw documents.

import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { KubeClient, ApiError } from '../../kube/client.js';
import { resolveConnection } from '../../kube/config.js';
import { decodeObject } from '../../objects/decode.js';
import { formatFieldError } from '../../objects/field-errors.js';
import { describeRef, type KubeObject } from '../../objects/types.js';
import { collectionPath, WATCHED, type Watched } from '../../source/kube/source.js';
import { trimUnread } from '../../source/kube/trim.js';
import { MANIFEST_DECODE_OPTIONS, MAX_FILE_BYTES } from '../../source/manifests/directory.js';
import { evaluateFile } from '../../source/manifests/file-objects.js';
import { manifestDocuments } from '../../source/manifests/parse.js';
import { readManifestFile } from '../../source/manifests/read-file.js';
import { walkTree } from '../../source/manifests/tree.js';
import type { Collected } from './classify.js';
import type { InputProblem } from './report.js';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

/** The input cannot be read at all (a missing directory, an unreachable API): exit status 2. */
export class CollectError extends Error {}

type Json = Record<string, any>;

/** The data of a ConfigMap as ingress-nginx reads it: string values only. */
function configMapData(raw: Json): Record<string, string> {
  const data: Record<string, string> = {};
  if (typeof raw.data === 'object' && raw.data !== null) {
    for (const [key, value] of Object.entries(raw.data as Json)) {
      // YAML readers may have turned `"true"` written unquoted into a boolean; ingress-nginx would see the text.
      if (value !== null && value !== undefined && typeof value !== 'object') data[key] = String(value);
    }
  }
  return data;
}

function isConfigMap(value: unknown, wanted: ConfigMapRef): value is Json {
  if (typeof value !== 'object' || value === null) return false;
  const raw = value as Json;
  return raw.kind === 'ConfigMap' && raw.metadata?.name === wanted.name && (raw.metadata?.namespace ?? MANIFEST_DECODE_OPTIONS.defaultNamespace) === wanted.namespace;
}

export async function collectManifests(directory: string, configMap?: ConfigMapRef): Promise<Collected> {
  const root = resolve(directory);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new CollectError(`--manifests ${directory}: not a directory`);
  // Path order, as the manifests source reads them: the first file that defines an object wins.
  const { files } = await walkTree(root, { visited: new Set() });
  files.sort();
  const objects = new Map<string, KubeObject>();
  const problems: InputProblem[] = [];
  let configMapData_: Record<string, string> | undefined;
  for (const file of files) {
    const read = await readManifestFile(file, MAX_FILE_BYTES);
    if (read.status === 'too-large') {
      problems.push({ source: file, message: `larger than ${MAX_FILE_BYTES} bytes; not read` });
      continue;
    }
    if (read.status !== 'read') continue;
    const result = evaluateFile(file, read.text, new Map(), MANIFEST_DECODE_OPTIONS);
    for (const problem of result.problems) {
      if (problem.level === 'debug') continue; // kinds Portero does not read
      problems.push({
        source: file,
        ...(problem.line !== undefined ? { line: problem.line } : {}),
        ...(problem.object !== undefined ? { object: problem.object } : {}),
        ...(problem.field !== undefined ? { field: problem.field } : {}),
        message: problem.message.replace(/; the (last good version stays in use|object is not used|file keeps its last good content)$/, '; left out of the report'),
      });
    }
    for (const [key, object] of result.objects) if (!objects.has(key)) objects.set(key, object);
    if (configMap && configMapData_ === undefined && read.text.includes('ConfigMap')) {
      for (const document of manifestDocuments(file, read.text)) {
        if (isConfigMap(document.value, configMap)) {
          configMapData_ = configMapData(document.value);
          break;
        }
      }
    }
  }
  return {
    objects: [...objects.values()],
    ...(configMap ? { configMap: { ...configMap, ...(configMapData_ ? { data: configMapData_ } : {}) } } : {}),
    problems,
    source: { manifests: directory },
  };
}

/** The Gateway API kinds and Namespaces, read by `portero check` where the cluster serves them. */
const GATEWAY_LISTS: readonly Watched[] = [
  { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  { kind: 'GatewayClass', apiVersion: 'gateway.networking.k8s.io/v1', plural: 'gatewayclasses', namespaced: false },
  { kind: 'Gateway', apiVersion: 'gateway.networking.k8s.io/v1', plural: 'gateways', namespaced: true },
  { kind: 'HTTPRoute', apiVersion: 'gateway.networking.k8s.io/v1', plural: 'httproutes', namespaced: true },
  { kind: 'GRPCRoute', apiVersion: 'gateway.networking.k8s.io/v1', plural: 'grpcroutes', namespaced: true },
  { kind: 'ReferenceGrant', apiVersion: 'gateway.networking.k8s.io/v1beta1', plural: 'referencegrants', namespaced: true },
];

/** `endpoints`: also list EndpointSlices (`portero explain` names the ready endpoints; the reports do not need them). */
export async function collectKube(kubeconfig: string | undefined, configMap?: ConfigMapRef, gatewayApi = false, endpoints = false): Promise<Collected> {
  let client: KubeClient;
  try {
    client = new KubeClient(await resolveConnection(kubeconfig), { userAgent: 'portero-migrate', timeoutMs: 30_000 });
  } catch (error) {
    throw new CollectError(`cannot connect to the Kubernetes API: ${(error as Error).message}`);
  }
  const objects: KubeObject[] = [];
  const problems: InputProblem[] = [];
  let configMapData_: Record<string, string> | undefined;
  try {
    for (const watched of [...WATCHED, ...(gatewayApi ? GATEWAY_LISTS : [])]) {
      // EndpointSlices change nothing in the report (only whether requests find an endpoint), and a cluster holds many.
      if (watched.kind === 'EndpointSlice' && !endpoints) continue;
      const optional = GATEWAY_LISTS.some((list) => list.kind === watched.kind);
      const path = collectionPath(watched);
      let continueToken: string | undefined;
      try {
      do {
        const metadata = await client.list(path, { query: { limit: '500', ...(continueToken ? { continue: continueToken } : {}) } }, (item) => {
          const raw = trimUnread({ ...item, apiVersion: watched.apiVersion, kind: watched.kind });
          const result = decodeObject(raw, { defaultNamespace: 'default', creationTimestampFor: () => new Date().toISOString() });
          if (result.status === 'ok') objects.push(result.object);
          else if (result.status === 'invalid') {
            problems.push({ source: path, ...(result.ref ? { object: describeRef(result.ref) } : {}), message: `cannot be read: ${result.errors.map(formatFieldError).join('; ')}; left out of the report` });
          }
        });
        continueToken = metadata.continue;
      } while (continueToken);
      } catch (error) {
        // Gateway API CRDs not installed: nothing of those kinds to report.
        if (!(optional && error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    if (configMap) {
      try {
        configMapData_ = configMapData(await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(configMap.namespace)}/configmaps/${encodeURIComponent(configMap.name)}`));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
  } catch (error) {
    throw new CollectError(`cannot read from the Kubernetes API: ${(error as Error).message}`);
  } finally {
    await client.close();
  }
  return {
    objects,
    ...(configMap ? { configMap: { ...configMap, ...(configMapData_ ? { data: configMapData_ } : {}) } } : {}),
    problems,
    source: { kubeconfig: kubeconfig ?? client.connection.source },
  };
}
