// Keeps Ingress status and Events current, on the leader only.
//
// Runs after every translation, when the published addresses change (they
// are re-read every `refreshMs`), and when this replica becomes leader. Runs
// never overlap; a request that arrives during a run starts one more run.

import type { KubeClient } from '../kube/client.js';
import type { Ingress, IngressLoadBalancerIngress } from '../objects/types.js';
import { keyOf } from '../objects/types.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import { diagnosticKey, type Diagnostic } from '../translate/diagnostics.js';
import type { Translation } from '../translate/translate.js';
import { resolveAddresses, type AddressMode } from './addresses.js';
import type { EventRecorder } from './events.js';
import { SingleFlight } from '../util/single-flight.js';
import { planStatus, StatusWriter } from './writer.js';

export interface StatusReporterOptions {
  client: KubeClient;
  store: Store;
  log: Logger;
  mode: AddressMode;
  isLeader: () => boolean;
  events: EventRecorder;
  /** Whether to write Ingress status at all (--update-status). */
  updateStatus: boolean;
  refreshMs: number;
}

export class StatusReporter {
  private readonly writer: StatusWriter;
  private translation: Translation | undefined;
  private addresses: IngressLoadBalancerIngress[] | undefined;
  private eventsSent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly runs: SingleFlight;

  constructor(private readonly options: StatusReporterOptions) {
    this.writer = new StatusWriter({ client: options.client, log: options.log, mayWrite: options.isLeader });
    this.runs = new SingleFlight(() => this.runOnce(), (error) => options.log.warn({ err: (error as Error).message }, 'status reporting failed'));
  }

  start(): void {
    this.timer = setInterval(() => void this.refreshAddresses(), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.runs.idle();
  }

  onTranslation(translation: Translation): void {
    this.translation = translation;
    this.runs.request();
  }

  onStartedLeading(): void {
    this.addresses = undefined;
    this.eventsSent = new Set();
    this.runs.request();
  }

  private async refreshAddresses(): Promise<void> {
    if (!this.options.isLeader() || !this.options.updateStatus) return;
    try {
      const fresh = await resolveAddresses(this.options.mode, this.options.client, this.options.log);
      if (JSON.stringify(fresh) !== JSON.stringify(this.addresses)) {
        if (this.addresses !== undefined) this.options.log.info({ addresses: fresh.map((a) => a.ip ?? a.hostname) }, 'published addresses changed');
        this.addresses = fresh;
        this.runs.request();
      }
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'cannot determine the addresses to publish');
    }
  }

  /** Resolves once the runs requested so far are done. */
  settled(): Promise<void> {
    return this.runs.idle();
  }

  private async runOnce(): Promise<void> {
    if (!this.options.isLeader() || !this.translation) return;
    const ingresses = this.options.store.list('Ingress');
    await this.sendEvents(this.translation.diagnostics, ingresses);
    if (!this.options.updateStatus) return;
    if (this.addresses === undefined) {
      try {
        this.addresses = await resolveAddresses(this.options.mode, this.options.client, this.options.log);
      } catch (error) {
        this.options.log.warn({ err: (error as Error).message }, 'cannot determine the addresses to publish');
        return;
      }
    }
    await this.writer.apply(planStatus(ingresses, this.translation.served, this.addresses));
  }

  private async sendEvents(diagnostics: readonly Diagnostic[], ingresses: readonly Ingress[]): Promise<void> {
    const byKey = new Map(ingresses.map((ingress) => [keyOf(ingress.metadata.namespace, ingress.metadata.name), ingress]));
    const current = new Set<string>();
    for (const diagnostic of diagnostics) {
      if (diagnostic.object.kind !== 'Ingress') continue;
      const key = diagnosticKey(diagnostic);
      current.add(key);
      if (this.eventsSent.has(key)) continue;
      const ingress = byKey.get(keyOf(diagnostic.object.namespace, diagnostic.object.name));
      if (ingress && this.options.isLeader()) await this.options.events.record(ingress, diagnostic);
    }
    this.eventsSent = current;
  }
}
