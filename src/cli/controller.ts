// The control loop: store changes → translate → apply to HAProxy.
//
// Changes are coalesced by the store; here at most one apply runs at a time,
// and changes that arrive during an apply are folded into the next one, which
// always reads the newest snapshot.
//
// One object never blocks the others: a certificate HAProxy refuses is left
// out of the next translation (its hosts fall back to the default
// certificate) and the rest is applied at once. An apply that fails for any
// other reason (a full disk, HAProxy unreachable) is retried with backoff
// until it succeeds, without waiting for the next change.
//
// Once shutdown has begun (stop()), changes still go to the data plane,
// which applies those it can make without a reload (see apply.ts); nothing
// is retried any more.

import type { ApplyResult, HaproxyDataplane, RefusedCertificate } from '../dataplane/haproxy/apply.js';
import type { UnbindableSocket } from '../dataplane/haproxy/sockets.js';
import type { Model } from '../model/model.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import type { Metrics } from '../telemetry/metrics.js';
import { servedDefaultSecret } from '../telemetry/served.js';
import { SingleFlight } from '../util/single-flight.js';
import { describeRef } from '../objects/types.js';
import { diagnosticKey, type Diagnostic } from '../translate/diagnostics.js';
import { translate, type Snapshot, type TranslateOptions, type Translation } from '../translate/translate.js';
import { UnbindableSockets } from './unbindable-sockets.js';

export type TranslateSettings = Omit<TranslateOptions, 'now'>;

export interface ControllerOptions {
  store: Store;
  settings: TranslateSettings;
  dataplane: HaproxyDataplane;
  log: Logger;
  /** Told about every translation once HAProxy serves it (status and Events). */
  observe?: (translation: Translation) => void;
  metrics?: Metrics;
  /** Told about every apply, whatever its outcome (the dashboard's live view and its list of changes). */
  onApply?: (event: ApplyEvent) => void;
}

/** One apply: what it was made from, and how it went. */
export interface ApplyEvent {
  time: Date;
  snapshot: Snapshot;
  translation: Translation;
  /** `start`: HAProxy's first configuration; `fallback`: HAProxy refused it and serves no Ingress. */
  outcome: ApplyResult | { status: 'start'; durationMs: number } | { status: 'fallback'; reason: string; durationMs: number };
  /** Wall time of the apply, translation excluded. */
  durationMs: number;
}

export function snapshotOf(store: Store): Snapshot {
  return {
    ingresses: store.list('Ingress'),
    ingressClasses: store.list('IngressClass'),
    services: store.list('Service'),
    endpointSlices: store.list('EndpointSlice'),
    secrets: store.list('Secret'),
    configMaps: store.list('ConfigMap'),
    namespaces: store.list('Namespace'),
    gatewayClasses: store.list('GatewayClass'),
    gateways: store.list('Gateway'),
    httpRoutes: store.list('HTTPRoute'),
    grpcRoutes: store.list('GRPCRoute'),
    referenceGrants: store.list('ReferenceGrant'),
  };
}

/** The object and field a diagnostic is about, as log fields. */
function logFields(diagnostic: Diagnostic): { object: string; field?: string } {
  return { object: describeRef(diagnostic.object), ...(diagnostic.field ? { field: diagnostic.field } : {}) };
}

const EMPTY: Snapshot = { ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [] };
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class Controller {
  private forceNext = false;
  private reported = new Map<string, Diagnostic>();
  private readonly runs: SingleFlight;
  /** Certificates HAProxy refused, by id, with the PEM it refused: left out until their Secret changes. */
  private readonly refused = new Map<string, { pem: string; reason: string }>();
  /** Gateway sockets that cannot be bound: their listeners are left out until a Gateway changes. */
  private readonly unbindable = new UnbindableSockets();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  private stopped = false;
  lastTranslation: Translation | undefined;
  /** True while HAProxy serves the empty emergency configuration because it refused every other. */
  servingFallback = false;

  private readonly store: Store;
  private readonly settings: TranslateSettings;
  private readonly dataplane: HaproxyDataplane;
  private readonly log: Logger;
  private readonly observe: (translation: Translation) => void;
  private readonly metrics: Metrics | undefined;
  private readonly onApply: (event: ApplyEvent) => void;

  constructor(options: ControllerOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.dataplane = options.dataplane;
    this.log = options.log;
    this.observe = options.observe ?? (() => undefined);
    this.metrics = options.metrics;
    this.onApply = options.onApply ?? (() => undefined);
    this.runs = new SingleFlight(
      () => this.applyOnce(),
      (error) => {
        this.log.error({ err: (error as Error).message }, 'applying the configuration failed; the last good configuration keeps serving');
        this.scheduleRetry();
      },
    );
  }

  private translateNow(snapshot: Snapshot): Translation {
    const translation = translate(snapshot, { ...this.settings, now: new Date(), refusedCertificates: this.refused, unbindableSockets: this.unbindable.current(snapshot) }, this.lastTranslation?.model);
    this.reportDiagnostics(translation.diagnostics);
    this.lastTranslation = translation;
    if (this.metrics) {
      this.metrics.setObjects({
        Ingress: snapshot.ingresses.length,
        IngressClass: snapshot.ingressClasses.length,
        Service: snapshot.services.length,
        EndpointSlice: snapshot.endpointSlices.length,
        Secret: snapshot.secrets.length,
        ConfigMap: snapshot.configMaps?.length ?? 0,
        Namespace: snapshot.namespaces?.length ?? 0,
        GatewayClass: snapshot.gatewayClasses?.length ?? 0,
        Gateway: snapshot.gateways?.length ?? 0,
        HTTPRoute: snapshot.httpRoutes?.length ?? 0,
        GRPCRoute: snapshot.grpcRoutes?.length ?? 0,
        ReferenceGrant: snapshot.referenceGrants?.length ?? 0,
      });
      for (const severity of ['error', 'warning'] as const) {
        const objects = new Set(translation.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.object.kind}/${d.object.namespace}/${d.object.name}`));
        this.metrics.invalidObjects.set({ severity }, objects.size);
      }
    }
    return translation;
  }

  /** Tells the dashboard; its failure must never stop an apply. */
  private applied(snapshot: Snapshot, translation: Translation, outcome: ApplyEvent['outcome'], started: number): void {
    try {
      this.onApply({ time: new Date(), snapshot, translation, outcome, durationMs: performance.now() - started });
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'dashboard update failed');
    }
  }

  /** Tells the observer (status and Events) about a translation that is now serving. */
  private notify(translation: Translation): void {
    this.metrics?.served.update(translation.model, this.dataplane.liveNames, servedDefaultSecret(translation.model, this.settings));
    try {
      this.observe(translation);
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'status reporting failed');
    }
  }

  /**
   * Starts HAProxy with the current objects. Certificates HAProxy refuses are
   * left out and the start is tried again; if HAProxy refuses the
   * configuration for another reason, it starts with no Ingress at all
   * (`servingFallback`) and the full configuration is retried with backoff.
   */
  async start(): Promise<void> {
    for (;;) {
      const snapshot = snapshotOf(this.store);
      const translation = this.translateNow(snapshot);
      const started = performance.now();
      const result = await this.dataplane.start(translation.model);
      if (result.ok) {
        this.log.info({ ingresses: translation.served.length, backends: translation.model.backends.length }, 'HAProxy is serving');
        this.notify(translation);
        this.applied(snapshot, translation, { status: 'start', durationMs: performance.now() - started }, started);
        break;
      }
      if (this.quarantine(translation.model, result.refused) + this.leaveOut(result.unbindable) > 0) continue;
      this.log.error({ reason: result.reason }, 'HAProxy refused the configuration; starting without any Ingress and retrying');
      const fallback = await this.dataplane.start(translate(EMPTY, { ...this.settings, now: new Date() }).model);
      if (!fallback.ok) throw new Error(`HAProxy refuses even an empty configuration (check --bind-address, the ports and the HAProxy log lines above): ${fallback.reason}`);
      this.servingFallback = true;
      this.applied(snapshot, translation, { status: 'fallback', reason: result.reason, durationMs: performance.now() - started }, started);
      this.scheduleRetry();
      break;
    }
    this.store.onChange(() => this.trigger());
  }

  /**
   * Leaves the certificates HAProxy refused out of later translations (and
   * the CA bundles of client authentication: their Ingresses then fail
   * closed); returns how many are new.
   */
  private quarantine(model: Model, refused: readonly RefusedCertificate[]): number {
    let added = 0;
    const bundles = (model.clientAuth ?? []).flatMap((auth) => [{ id: auth.ca.id, pem: auth.ca.pem }, ...(auth.ca.crl ? [auth.ca.crl] : [])]);
    for (const { id, reason } of refused) {
      const certificate = [...model.certificates, model.defaultCertificate].find((candidate) => candidate.id === id);
      const bundle = certificate ? undefined : bundles.find((candidate) => candidate.id === id);
      const pem = certificate?.pem ?? bundle?.pem;
      if (pem === undefined || this.refused.get(id)?.pem === pem) continue;
      this.refused.set(id, { pem, reason });
      if (certificate) this.log.error({ certificate: id, reason }, 'HAProxy refuses this certificate; it is left out and its hosts use the default certificate until its Secret changes');
      else this.log.error({ certificate: id, reason }, 'HAProxy refuses this CA bundle; the Ingresses that name its Secret in auth-tls-secret answer 503 until it changes');
      added += 1;
    }
    return added;
  }

  /** Leaves the Gateway sockets that cannot be bound out of later translations; returns how many are new. */
  private leaveOut(unbindable: readonly UnbindableSocket[] | undefined): number {
    const fresh = this.unbindable.add(unbindable ?? []);
    for (const socket of fresh) this.log.error({ address: socket.address || 'the bind address', port: socket.port, reason: socket.reason }, 'a Gateway listener port cannot be bound; its listeners are left out until a Gateway changes');
    return fresh.length;
  }

  /** Applies again after a failure, sooner at first, then at most every RETRY_MAX_MS, until an apply succeeds. */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.trigger();
    }, delay);
    this.retryTimer.unref();
  }

  private succeeded(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelayMs = RETRY_FIRST_MS;
  }

  /** Shutdown has begun: no retry any more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Resolves once every change seen so far has been applied. */
  settled(): Promise<void> {
    return this.runs.idle();
  }

  /** Applies the current state with a full reload (SIGHUP, or a resync). */
  forceReload(): void {
    this.forceNext = true;
    this.trigger();
  }

  trigger(): void {
    this.runs.request();
  }

  private async applyOnce(): Promise<void> {
    const snapshot = snapshotOf(this.store);
    const translation = this.translateNow(snapshot);
    const force = this.forceNext;
    this.forceNext = false;
    const started = performance.now();
    const result = await this.dataplane.apply(translation.model, force || this.servingFallback);
    this.applied(snapshot, translation, result, started);
    if (result.status === 'stopping') {
      this.log.info({ reason: result.reason }, 'configuration not applied: Portero is stopping');
      return;
    }
    if (result.status === 'rejected') {
      // Without the certificates HAProxy refused, the rest applies at once; otherwise try again later.
      if (this.quarantine(translation.model, result.refused) + this.leaveOut(result.unbindable) > 0) this.trigger();
      else this.scheduleRetry();
    } else {
      this.servingFallback = false;
      this.succeeded();
      this.notify(translation);
    }
    if (result.status === 'runtime') {
      this.log.info({ durationMs: Math.round(result.durationMs * 10) / 10, ...result.counts }, 'configuration applied without reload');
    } else if (result.status === 'reloaded') {
      this.log.info({ durationMs: Math.round(result.durationMs), workerPid: result.workerPid, reason: result.reason, detail: result.detail }, 'configuration applied with a reload');
    } else if (result.status === 'pending-restart') {
      this.log.warn({ reason: result.reason }, 'HAProxy stopped during the reload; it is restarted with the new configuration');
    } else if (result.status === 'rejected') {
      this.log.error({ reason: result.reason }, 'configuration not applied; the last good configuration keeps serving');
    }
  }

  /** Logs each diagnostic once when it appears, and notes when it is gone. */
  private reportDiagnostics(diagnostics: readonly Diagnostic[]): void {
    const next = new Map(diagnostics.map((diagnostic) => [diagnosticKey(diagnostic), diagnostic]));
    for (const [key, diagnostic] of next) {
      if (this.reported.has(key)) continue;
      const fields = logFields(diagnostic);
      if (diagnostic.severity === 'error') this.log.error(fields, diagnostic.message);
      else this.log.warn(fields, diagnostic.message);
    }
    for (const [key, diagnostic] of this.reported) {
      if (!next.has(key)) this.log.info(logFields(diagnostic), `resolved: ${diagnostic.message}`);
    }
    this.reported = next;
  }
}
