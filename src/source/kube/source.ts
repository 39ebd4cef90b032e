// The Kubernetes source: one informer per kind, feeding the same store as
// the manifest source. Secrets of every type are listed and watched, but
// only TLS Secrets, the basic-auth credentials of others and their ca.crt /
// ca.crl keys are kept (decode.ts drops everything else, and Secrets with
// none are not stored at all); --watch-namespace limits the namespaced kinds
// to one namespace.
//
// One copy of each object is kept: the decoded one in the store. Raw objects
// are trimmed of what Portero never reads (trim.ts) and dropped once decoded;
// the informers remember only resourceVersions. Ingress updates that change
// only status are stored in batches (status-only.ts).

import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import { decodeObject } from '../../objects/decode.js';
import { formatFieldError } from '../../objects/field-errors.js';
import { describeRef, type Kind } from '../../objects/types.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../telemetry/log.js';
import { StatusOnlyBatch } from './status-only.js';
import { trimUnread } from './trim.js';

interface Watched {
  kind: Kind;
  apiVersion: string;
  plural: string;
  namespaced: boolean;
  fieldSelector?: string;
}

export const WATCHED: readonly Watched[] = [
  { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  // Every type: an auth-secret may be Opaque (or any type) holding an htpasswd file.
  { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true },
];

/** `--configmap`: that one ConfigMap, watched by name in its namespace. */
export function configMapWatch(ref: { namespace: string; name: string }): Watched & { namespace: string } {
  return { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespaced: true, fieldSelector: `metadata.name=${ref.name}`, namespace: ref.namespace };
}

export function collectionPath(watched: { apiVersion: string; plural: string; namespaced: boolean }, namespace?: string): string {
  const base = watched.apiVersion === 'v1' ? '/api/v1' : `/apis/${watched.apiVersion}`;
  return watched.namespaced && namespace ? `${base}/namespaces/${namespace}/${watched.plural}` : `${base}/${watched.plural}`;
}

export interface KubeSourceOptions {
  client: KubeClient;
  store: Store;
  log: Logger;
  watchNamespace?: string;
  idleTimeoutMs?: number;
  /** `--configmap`: the ingress-nginx ConfigMap to watch (whatever --watch-namespace says). */
  configMap?: { namespace: string; name: string };
}

export class KubeSource {
  private readonly informers: Informer[] = [];
  /** Objects whose current version failed to decode, to report each version once. */
  private readonly reported = new Map<string, string>();
  private readonly statusOnly: StatusOnlyBatch;

  constructor(private readonly options: KubeSourceOptions) {
    this.statusOnly = new StatusOnlyBatch(options.store);
  }

  start(): void {
    const { client, store, log, watchNamespace, configMap } = this.options;
    const watches: (Watched & { namespace?: string })[] = [...WATCHED, ...(configMap ? [configMapWatch(configMap)] : [])];
    for (const watched of watches) {
      const namespace = watched.namespace ?? watchNamespace;
      const fallback = watched.kind === 'ConfigMap' ? (object: Record<string, any>) => object.metadata?.name === configMap?.name : (object: Record<string, any>) => object.type === 'kubernetes.io/tls';
      const informer = new Informer({
        client,
        log,
        kind: watched.kind,
        apiVersion: watched.apiVersion,
        path: collectionPath(watched, namespace),
        ...(watched.fieldSelector ? { fieldSelector: watched.fieldSelector, fieldSelectorFallback: fallback } : {}),
        ...(this.options.idleTimeoutMs ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
        handlers: {
          upsert: (raw) => this.upsert(raw),
          remove: (raw) => {
            const namespace = watched.namespaced ? String(raw.metadata?.namespace ?? '') : '';
            const name = String(raw.metadata?.name ?? '');
            if (watched.kind === 'Ingress') this.statusOnly.forget(namespace, name);
            store.delete(watched.kind, namespace, name);
          },
        },
      });
      this.informers.push(informer);
      informer.start();
    }
  }

  private upsert(raw: Record<string, any>): void {
    const result = decodeObject(trimUnread(raw), { defaultNamespace: 'default', creationTimestampFor: () => new Date().toISOString() });
    if (result.status === 'ok') {
      if (result.object.kind === 'Ingress' && this.statusOnly.offer(result.object)) return;
      this.options.store.upsert(result.object);
      return;
    }
    if (result.status === 'ignored' && raw.kind === 'Secret') {
      // A Secret that no longer holds what Portero reads (its auth key
      // removed) must not stay in the store as it was.
      this.options.store.delete('Secret', String(raw.metadata?.namespace ?? ''), String(raw.metadata?.name ?? ''));
      return;
    }
    if (result.status === 'invalid' && result.ref) {
      // The API server accepted it, yet Portero cannot read it: leave it out, loudly, once per version.
      const key = `${result.ref.kind}/${result.ref.namespace}/${result.ref.name}`;
      const version = String(raw.metadata?.resourceVersion ?? '');
      if (result.ref.kind === 'Ingress') this.statusOnly.forget(result.ref.namespace, result.ref.name);
      this.options.store.delete(result.ref.kind, result.ref.namespace, result.ref.name);
      if (this.reported.get(key) === version) return;
      this.reported.set(key, version);
      this.options.log.error({ object: describeRef(result.ref), errors: result.errors.map(formatFieldError) }, 'object cannot be read; it is left out');
    }
  }

  /** Resolves once every informer has listed its objects once. */
  async synced(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.synced));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
    this.statusOnly.stop();
  }
}

