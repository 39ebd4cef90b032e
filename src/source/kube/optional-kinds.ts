// The kinds Portero reads only where the cluster serves them and RBAC lets
// it list them: the Gateway API kinds, whose CRDs Portero does not install,
// and Namespaces, which only Gateway API reads (a listener's allowedRoutes
// namespace selector).
//
// Without them Portero serves Ingresses as before: a cluster without the
// Gateway API CRDs gets one info line, a missing RBAC rule one warning per
// kind, and neither holds up the initial sync. Discovery is asked again with
// backoff (30 s, growing to 60 s) until every kind is read, so CRDs
// installed (or RBAC granted) while Portero runs are picked up without a
// restart. Each kind is watched in the first of its versions the cluster
// serves (GRPCRoute v1; the others v1, else v1beta1 on older installs).

import { ApiError, type KubeClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import { GATEWAY_GROUP } from '../../objects/gateway-types.js';
import { API_VERSIONS, type Kind } from '../../objects/types.js';
import type { Logger } from '../../telemetry/log.js';
import type { Watched } from './source.js';

interface OptionalKind {
  kind: Kind;
  plural: string;
  namespaced: boolean;
}

export const OPTIONAL_KINDS: readonly OptionalKind[] = [
  { kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false },
  { kind: 'Gateway', plural: 'gateways', namespaced: true },
  { kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
  { kind: 'GRPCRoute', plural: 'grpcroutes', namespaced: true },
  { kind: 'ReferenceGrant', plural: 'referencegrants', namespaced: true },
];

export const DEFAULT_RECHECK_MS = 30_000;

type State = 'pending' | 'absent' | 'forbidden' | 'started';

export interface OptionalKindsOptions {
  client: KubeClient;
  log: Logger;
  /** Starts (and keeps) an informer for a kind, in `namespace` (all when undefined). */
  startInformer: (watched: Watched, namespace: string | undefined) => Informer;
  watchNamespace?: string;
  /** First interval between discovery rounds; it grows by half each round, to twice this. */
  recheckMs?: number;
}

/** The API group of an apiVersion (`''` for the core group). */
function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

export class OptionalKinds {
  private readonly states = new Map<Kind, State>(OPTIONAL_KINDS.map((entry) => [entry.kind, 'pending']));
  private readonly firstInformers: Informer[] = [];
  private firstRound: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private stopped = false;
  /** Whether the line about absent CRDs was logged: it is logged once. */
  private toldAbsent = false;

  constructor(private readonly options: OptionalKindsOptions) {
    this.delayMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  start(): void {
    this.firstRound ??= this.round(true);
  }

  /** Resolves once the first round is done and the informers it started have listed once. */
  async synced(): Promise<void> {
    await this.firstRound;
    await Promise.all(this.firstInformers.map((informer) => informer.synced));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The kinds read now. */
  get started(): Kind[] {
    return [...this.states].filter(([, state]) => state === 'started').map(([kind]) => kind);
  }

  private async round(first: boolean): Promise<void> {
    try {
      await this.check(first);
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'cannot ask the API which Gateway API kinds it serves; asking again later');
    }
    if (this.stopped || [...this.states.values()].every((state) => state === 'started')) return;
    const delay = Math.round(this.delayMs * (1 + Math.random() * 0.2));
    this.delayMs = Math.min(this.delayMs * 1.5, 2 * (this.options.recheckMs ?? DEFAULT_RECHECK_MS));
    this.timer = setTimeout(() => void this.round(false), delay);
    this.timer.unref();
  }

  /** The resources a group version serves (plural names); none when the API answers 404 (no CRD serves it). */
  private async served(groupVersion: string): Promise<Set<string>> {
    try {
      const list = await this.options.client.request<{ resources?: { name?: string }[] }>('GET', `/apis/${groupVersion}`);
      return new Set((list.resources ?? []).map((resource) => String(resource.name)));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return new Set();
      throw error;
    }
  }

  private async check(first: boolean): Promise<void> {
    const { log } = this.options;
    const discovered = new Map<string, Set<string>>();
    const newlyStarted: Kind[] = [];
    for (const entry of OPTIONAL_KINDS) {
      if (this.states.get(entry.kind) === 'started' || this.stopped) continue;
      // The first version the cluster serves the kind in (core kinds need no discovery).
      let apiVersion: string | undefined;
      for (const candidate of API_VERSIONS[entry.kind]) {
        if (groupOf(candidate) === '') {
          apiVersion = candidate;
          break;
        }
        if (!discovered.has(candidate)) discovered.set(candidate, await this.served(candidate));
        if (discovered.get(candidate)!.has(entry.plural)) {
          apiVersion = candidate;
          break;
        }
      }
      const watched: Watched = { kind: entry.kind, apiVersion: apiVersion ?? '', plural: entry.plural, namespaced: entry.namespaced };
      const namespace = entry.namespaced ? this.options.watchNamespace : undefined;
      const state = apiVersion === undefined ? 'absent' : await this.probe(watched, namespace);
      if (this.stopped) return;
      const before = this.states.get(entry.kind);
      this.states.set(entry.kind, state);
      if (state === 'started') {
        const informer = this.options.startInformer(watched, namespace);
        if (first) this.firstInformers.push(informer);
        newlyStarted.push(entry.kind);
      } else if (state === 'forbidden' && before !== 'forbidden') {
        log.warn({ kind: entry.kind, resource: `${entry.plural}.${groupOf(watched.apiVersion) || 'core'}` }, 'no permission to list this kind (RBAC, see deploy/); its objects are not read until it is granted');
      }
    }
    const gatewayStates = OPTIONAL_KINDS.filter((entry) => groupOf(API_VERSIONS[entry.kind][0]!) === GATEWAY_GROUP).map((entry) => ({ kind: entry.kind, state: this.states.get(entry.kind) }));
    const absent = gatewayStates.filter((entry) => entry.state === 'absent').map((entry) => entry.kind);
    if (absent.length > 0 && !this.toldAbsent) {
      this.toldAbsent = true;
      if (absent.length === gatewayStates.length) log.info({ recheckInMs: Math.round(this.delayMs) }, 'Gateway API CRDs not installed; serving Ingress only');
      else log.info({ kinds: absent }, 'some Gateway API CRDs are not installed; those kinds are not read');
    }
    if (newlyStarted.length > 0) log[first ? 'debug' : 'info']({ kinds: newlyStarted }, 'these kinds are served and may be listed now; reading them');
    else if (!first) log.debug({ pending: [...this.states].filter(([, state]) => state !== 'started').map(([kind]) => kind) }, 'Gateway API kinds still not served');
  }

  /** Whether a served kind may be listed: one LIST of at most one object. */
  private async probe(watched: Watched, namespace: string | undefined): Promise<State> {
    const base = groupOf(watched.apiVersion) === '' ? `/api/${watched.apiVersion}` : `/apis/${watched.apiVersion}`;
    const path = watched.namespaced && namespace ? `${base}/namespaces/${namespace}/${watched.plural}` : `${base}/${watched.plural}`;
    try {
      await this.options.client.requestDiscard('GET', path, { query: { limit: '1' } });
      return 'started';
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) return 'forbidden';
      // Served a moment ago, gone now: a CRD being removed.
      if (error instanceof ApiError && error.status === 404) return 'absent';
      throw error;
    }
  }
}
