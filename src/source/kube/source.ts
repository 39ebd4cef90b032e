// The Kubernetes source: one informer per kind, feeding the same store as
// the manifest source. Secrets of every type are listed and watched, but
// only TLS Secrets, the basic-auth credentials of others and their ca.crt /
// ca.crl keys are kept (decode.ts drops everything else, and Secrets with
// none are not stored at all); --watch-namespace limits the namespaced kinds
// to one namespace.
//
// One copy of each object is kept: the decoded one in the store. Raw objects
// are trimmed of what Portero never reads (trim.ts) and dropped once decoded;
// the informers remember only resourceVersions. Updates that change only
// status (of Ingresses and Gateway API objects) are stored in batches
// (status-only.ts).
//
// The Gateway API kinds and Namespaces are read only where the cluster serves
// them and RBAC allows it (optional-kinds.ts): Ingresses never wait for them.

import type { KubeClient } from '../../kube/client.js';
import { Informer } from '../../kube/informer.js';
import { decodeObject } from '../../objects/decode.js';
import { formatFieldError } from '../../objects/field-errors.js';
import { describeRef, type Kind } from '../../objects/types.js';
import { OptionalKinds } from './optional-kinds.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../telemetry/log.js';
import { StatusOnlyBatch } from './status-only.js';
import { trimUnread } from './trim.js';

export interface Watched {
  kind: Kind;
  apiVersion: string;
  plural: string;
  namespaced: boolean;
}

export const WATCHED: readonly Watched[] = [
  { kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', plural: 'ingressclasses', namespaced: false },
  { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  // Every type: an auth-secret may be Opaque (or any type) holding an htpasswd file.
  { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true },
  // The custom-headers annotation names a ConfigMap of its Ingress's namespace (as ingress-nginx, every
  // ConfigMap is watched); those larger than CONFIGMAP_LIMIT are not kept (see upsert).
  { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespaced: true },
];

/**
 * ConfigMaps whose data is larger than this are not kept (other than
 * --configmap's): header ConfigMaps are small, and a cluster's big ones
 * (dashboards, scripts) must not grow Portero's memory.
 */
export const CONFIGMAP_LIMIT = 64 * 1024;

function dataSize(raw: Record<string, any>): number {
  let size = 0;
  for (const [key, value] of Object.entries((raw.data ?? {}) as Record<string, unknown>)) size += key.length + (typeof value === 'string' ? value.length : 0);
  return size;
}

/**
 * `--configmap`'s namespace, watched when --watch-namespace does not cover
 * it: the whole namespace, not the one name, because its add-headers and
 * proxy-set-headers keys name ConfigMaps that live next to it
 * (`ingress-nginx/custom-headers` in ingress-nginx's documentation).
 */
export function configMapWatch(ref: { namespace: string; name: string }): Watched & { namespace: string } {
  return { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespaced: true, namespace: ref.namespace };
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
  /** First interval between checks for Gateway API CRDs not installed yet (optional-kinds.ts). */
  discoveryRecheckMs?: number;
}

export class KubeSource {
  private readonly informers: Informer[] = [];
  /** Objects whose current version failed to decode, to report each version once. */
  private readonly reported = new Map<string, string>();
  private readonly statusOnly: StatusOnlyBatch;
  private readonly optional: OptionalKinds;

  constructor(private readonly options: KubeSourceOptions) {
    this.statusOnly = new StatusOnlyBatch(options.store);
    this.optional = new OptionalKinds({
      client: options.client,
      log: options.log,
      startInformer: (watched, namespace) => this.startInformer(watched, namespace),
      ...(options.watchNamespace ? { watchNamespace: options.watchNamespace } : {}),
      ...(options.discoveryRecheckMs ? { recheckMs: options.discoveryRecheckMs } : {}),
    });
  }

  start(): void {
    const { watchNamespace, configMap } = this.options;
    // --configmap's namespace is watched too when the general ConfigMap watch does not cover it.
    const covered = configMap !== undefined && (watchNamespace === undefined || watchNamespace === configMap.namespace);
    const watches: (Watched & { namespace?: string })[] = [...WATCHED, ...(configMap && !covered ? [configMapWatch(configMap)] : [])];
    for (const watched of watches) this.startInformer(watched, watched.namespace ?? watchNamespace);
    this.optional.start();
  }

  /** The kinds read only where served and allowed that are read now (Gateway API, Namespaces). */
  get optionalKinds(): Kind[] {
    return this.optional.started;
  }

  private startInformer(watched: Watched, namespace: string | undefined): Informer {
    const { client, store, log } = this.options;
    const informer = new Informer({
      client,
      log,
      kind: watched.kind,
      apiVersion: watched.apiVersion,
      path: collectionPath(watched, namespace),
      ...(this.options.idleTimeoutMs ? { idleTimeoutMs: this.options.idleTimeoutMs } : {}),
      handlers: {
        upsert: (raw) => this.upsert(raw),
        remove: (raw) => {
          const namespace = watched.namespaced ? String(raw.metadata?.namespace ?? '') : '';
          const name = String(raw.metadata?.name ?? '');
          this.statusOnly.forget(watched.kind, namespace, name);
          store.delete(watched.kind, namespace, name);
        },
      },
    });
    this.informers.push(informer);
    informer.start();
    return informer;
  }

  private upsert(raw: Record<string, any>): void {
    if (raw.kind === 'ConfigMap' && dataSize(raw) > CONFIGMAP_LIMIT && !this.isControllerConfigMap(raw)) {
      this.options.store.delete('ConfigMap', String(raw.metadata?.namespace ?? ''), String(raw.metadata?.name ?? ''));
      return;
    }
    const result = decodeObject(trimUnread(raw), { defaultNamespace: 'default', creationTimestampFor: () => new Date().toISOString() });
    if (result.status === 'ok') {
      if (this.statusOnly.offer(result.object)) return;
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
      this.statusOnly.forget(result.ref.kind, result.ref.namespace, result.ref.name);
      this.options.store.delete(result.ref.kind, result.ref.namespace, result.ref.name);
      if (this.reported.get(key) === version) return;
      this.reported.set(key, version);
      this.options.log.error({ object: describeRef(result.ref), errors: result.errors.map(formatFieldError) }, 'object cannot be read; it is left out');
    }
  }

  private isControllerConfigMap(raw: Record<string, any>): boolean {
    const ref = this.options.configMap;
    return ref !== undefined && raw.metadata?.namespace === ref.namespace && raw.metadata?.name === ref.name;
  }

  /**
   * Resolves once every informer has listed its objects once: those of the
   * core kinds, and of the optional kinds found served at start.
   */
  async synced(): Promise<void> {
    const core = [...this.informers];
    await Promise.all([...core.map((informer) => informer.synced), this.optional.synced()]);
  }

  async stop(): Promise<void> {
    this.optional.stop();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    this.statusOnly.stop();
  }
}

