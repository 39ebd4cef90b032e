// Portero's own Prometheus metrics, served at /metrics on the health port.
// Every metric is listed in docs/metrics.md.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KINDS, type Kind } from '../objects/types.js';
import { ServedMetrics } from './served.js';


export class Metrics {
  readonly registry = new Registry();
  readonly reloads = new Counter({ name: 'portero_haproxy_reloads_total', help: 'HAProxy reloads, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly runtimeUpdates = new Counter({ name: 'portero_runtime_updates_total', help: 'Changes applied through the HAProxy runtime API without a reload, by kind (servers, map entries, certificates).', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly applyDuration = new Histogram({
    name: 'portero_apply_duration_seconds',
    help: 'Time to apply a new configuration to HAProxy, by how (runtime or reload).',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly configErrors = new Counter({ name: 'portero_config_errors_total', help: 'Configurations HAProxy refused (haproxy -c or reload); the last good one kept serving.', registers: [this.registry] });
  readonly applyErrors = new Counter({ name: 'portero_apply_errors_total', help: 'Applies that failed for another reason than a refused configuration (a full disk, HAProxy unreachable); retried with backoff.', registers: [this.registry] });
  readonly objects = new Gauge({ name: 'portero_objects', help: 'Objects in the store, by kind.', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly invalidObjects = new Gauge({ name: 'portero_invalid_objects', help: 'Objects with diagnostics in the last translation, by severity (error: left out; warning: served).', labelNames: ['severity'] as const, registers: [this.registry] });
  readonly haproxyRestarts = new Counter({ name: 'portero_haproxy_restarts_total', help: 'Times HAProxy died and was started again.', registers: [this.registry] });
  readonly lastApplySuccess = new Gauge({ name: 'portero_last_apply_success_timestamp_seconds', help: 'Unix time of the last configuration applied successfully.', registers: [this.registry] });
  readonly filesSynced = new Gauge({ name: 'portero_dataplane_files_synced', help: 'Whether the files of the loaded HAProxy generation reflect the live state (0 while runtime changes wait to be written).', registers: [this.registry] });
  readonly runtimeDivergences = new Counter({ name: 'portero_runtime_divergences_total', help: "Times HAProxy's live maps or crt-list differed from the files after runtime changes (each followed by a reload).", registers: [this.registry] });
  readonly leader = new Gauge({ name: 'portero_leader', help: '1 while this replica is the leader (Kubernetes mode).', registers: [this.registry] });
  /** What HAProxy serves: backends by section, ready endpoints, hosts, certificate expiry (served.ts). */
  readonly served = new ServedMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'portero_' });
    for (const kind of KINDS) this.objects.set({ kind }, 0);
    for (const severity of ['error', 'warning']) this.invalidObjects.set({ severity }, 0);
  }

  setObjects(counts: Readonly<Record<Kind, number>>): void {
    for (const kind of KINDS) this.objects.set({ kind }, counts[kind]);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
