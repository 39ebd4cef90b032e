// The control loop: store changes → translate → apply to HAProxy.
//
// Changes are coalesced by the store; here at most one apply runs at a time,
// and changes that arrive during an apply are folded into the next one, which
// always reads the newest snapshot.

import type { HaproxyDataplane } from '../dataplane/haproxy/apply.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import type { Metrics } from '../telemetry/metrics.js';
import { SingleFlight } from '../util/single-flight.js';
import { describeRef } from '../objects/types.js';
import { diagnosticKey, type Diagnostic } from '../translate/diagnostics.js';
import { translate, type Snapshot, type TranslateOptions, type Translation } from '../translate/translate.js';

export type TranslateSettings = Omit<TranslateOptions, 'now'>;

export interface ControllerOptions {
  store: Store;
  settings: TranslateSettings;
  dataplane: HaproxyDataplane;
  log: Logger;
  /** Told about every translation once HAProxy serves it (status and Events). */
  observe?: (translation: Translation) => void;
  metrics?: Metrics;
}

export function snapshotOf(store: Store): Snapshot {
  return {
    ingresses: store.list('Ingress'),
    ingressClasses: store.list('IngressClass'),
    services: store.list('Service'),
    endpointSlices: store.list('EndpointSlice'),
    secrets: store.list('Secret'),
  };
}

/** The object and field a diagnostic is about, as log fields. */
function logFields(diagnostic: Diagnostic): { object: string; field?: string } {
  return { object: describeRef(diagnostic.object), ...(diagnostic.field ? { field: diagnostic.field } : {}) };
}

const EMPTY: Snapshot = { ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [] };

export class Controller {
  private forceNext = false;
  private reported = new Map<string, Diagnostic>();
  private readonly runs: SingleFlight;
  lastTranslation: Translation | undefined;

  private readonly store: Store;
  private readonly settings: TranslateSettings;
  private readonly dataplane: HaproxyDataplane;
  private readonly log: Logger;
  private readonly observe: (translation: Translation) => void;
  private readonly metrics: Metrics | undefined;

  constructor(options: ControllerOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.dataplane = options.dataplane;
    this.log = options.log;
    this.observe = options.observe ?? (() => undefined);
    this.metrics = options.metrics;
    this.runs = new SingleFlight(() => this.applyOnce(), (error) => this.log.error({ err: (error as Error).message }, 'applying the configuration failed; the last good configuration keeps serving'));
  }

  private translateNow(snapshot: Snapshot): Translation {
    const translation = translate(snapshot, { ...this.settings, now: new Date() }, this.lastTranslation?.model);
    this.reportDiagnostics(translation.diagnostics);
    this.lastTranslation = translation;
    if (this.metrics) {
      this.metrics.setObjects({
        Ingress: snapshot.ingresses.length,
        IngressClass: snapshot.ingressClasses.length,
        Service: snapshot.services.length,
        EndpointSlice: snapshot.endpointSlices.length,
        Secret: snapshot.secrets.length,
      });
      for (const severity of ['error', 'warning'] as const) {
        const objects = new Set(translation.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.object.kind}/${d.object.namespace}/${d.object.name}`));
        this.metrics.invalidObjects.set({ severity }, objects.size);
      }
    }
    return translation;
  }

  /** Tells the observer (status and Events) about a translation that is now serving. */
  private notify(translation: Translation): void {
    try {
      this.observe(translation);
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'status reporting failed');
    }
  }

  async start(): Promise<void> {
    const translation = this.translateNow(snapshotOf(this.store));
    const empty = translate(EMPTY, { ...this.settings, now: new Date() }).model;
    await this.dataplane.start(translation.model, empty);
    this.log.info({ ingresses: translation.served.length, backends: translation.model.backends.length }, 'HAProxy is serving');
    this.notify(translation);
    this.store.onChange(() => this.trigger());
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
    const translation = this.translateNow(snapshotOf(this.store));
    const force = this.forceNext;
    this.forceNext = false;
    const result = await this.dataplane.apply(translation.model, force);
    if (result.status !== 'rejected') this.notify(translation);
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
