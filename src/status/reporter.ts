// Keeps Ingress status and Events current, on the leader only.
//
// Runs after every translation, when the published addresses change (they
// are re-read every `refreshMs`), and when this replica becomes leader. Runs
// never overlap; a request that arrives during a run starts one more run.
//
// Each run logs one summary line for its status writes (and one for Events,
// when some were dropped or failed): the first run after becoming leader may
// write 10,000 statuses, which must not become 10,000 log lines. The first
// run always logs, later ones only when they wrote or failed something.

import type { KubeClient } from '../kube/client.js';
import type { Ingress, IngressLoadBalancerIngress } from '../objects/types.js';
import { keyOf } from '../objects/types.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/log.js';
import { diagnosticKey, type Diagnostic } from '../translate/diagnostics.js';
import { collectGarbage } from '../telemetry/memory.js';
import type { Translation } from '../translate/translate.js';
import { resolveAddresses, type AddressMode } from './addresses.js';
import type { EventRecorder } from './events.js';
import { SingleFlight } from '../util/single-flight.js';
import { planStatus, StatusWriter } from './writer.js';
import { desiredStatuses, GatewayStatusWriter } from './gateway-status.js';
import { DEFAULT_CONTROLLER_NAME } from '../translate/gateway/index.js';

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
  /** `--gateway-controller-name`: our entries in routes' status.parents. */
  gatewayControllerName?: string;
}

export class StatusReporter {
  private readonly writer: StatusWriter;
  private readonly gatewayWriter: GatewayStatusWriter;
  private translation: Translation | undefined;
  private addresses: IngressLoadBalancerIngress[] | undefined;
  private eventsSent = new Set<string>();
  /** No status run has completed since this replica became leader. */
  private firstRun = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly runs: SingleFlight;

  constructor(private readonly options: StatusReporterOptions) {
    this.writer = new StatusWriter({ client: options.client, log: options.log, mayWrite: options.isLeader });
    this.gatewayWriter = new GatewayStatusWriter(options.client, options.log, options.isLeader, options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME);
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
    this.gatewayWriter.reset();
    this.firstRun = true;
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
    await this.writeGatewayStatus(this.translation, this.addresses);
    const started = performance.now();
    this.writer.forgetObserved(ingresses);
    const plans = planStatus(ingresses, this.translation.served, this.addresses);
    const summary = await this.writer.apply(plans);
    const writes = summary.updated + summary.cleared;
    if (!this.firstRun && writes === 0 && summary.failed === 0) return;
    const servedPlans = plans.filter((plan) => plan.addresses.length > 0).length;
    const fields = {
      updated: summary.updated,
      cleared: summary.cleared,
      unchanged: this.translation.served.length - servedPlans + summary.alreadyWritten,
      failed: summary.failed,
      durationMs: Math.round(performance.now() - started),
    };
    if (summary.failed > 0) this.options.log.warn({ ...fields, err: summary.firstError }, 'cannot write Ingress status; retried on the next change');
    else this.options.log.info(fields, 'Ingress status written');
    if (this.firstRun && writes >= 1000) {
      // Thousands of writes leave their requests and responses behind as
      // garbage an idle controller may never collect: return it now.
      collectGarbage();
    }
    this.firstRun = false;
  }

  private async writeGatewayStatus(translation: Translation, addresses: readonly IngressLoadBalancerIngress[]): Promise<void> {
    if (!translation.gateway) return;
    const desired = desiredStatuses(translation.gateway, this.options.gatewayControllerName ?? DEFAULT_CONTROLLER_NAME, addresses);
    const summary = await this.gatewayWriter.apply(desired);
    if (summary.failed > 0) this.options.log.warn({ written: summary.written, failed: summary.failed, err: summary.firstError }, 'cannot write Gateway API status; retried on the next change');
    else if (summary.written > 0) this.options.log.info({ written: summary.written }, 'Gateway API status written');
  }

  private async sendEvents(diagnostics: readonly Diagnostic[], ingresses: readonly Ingress[]): Promise<void> {
    const byKey = new Map(ingresses.map((ingress) => [keyOf(ingress.metadata.namespace, ingress.metadata.name), ingress]));
    const current = new Set<string>();
    const counts = { created: 0, aggregated: 0, dropped: 0, failed: 0 };
    let firstError: string | undefined;
    for (const diagnostic of diagnostics) {
      if (diagnostic.object.kind !== 'Ingress') continue;
      const key = diagnosticKey(diagnostic);
      current.add(key);
      if (this.eventsSent.has(key)) continue;
      const ingress = byKey.get(keyOf(diagnostic.object.namespace, diagnostic.object.name));
      if (!ingress || !this.options.isLeader()) continue;
      const outcome = await this.options.events.record(ingress, diagnostic);
      if (typeof outcome === 'object') {
        counts.failed += 1;
        firstError ??= outcome.failed;
      } else {
        counts[outcome] += 1;
      }
    }
    this.eventsSent = current;
    if (counts.dropped > 0) this.options.log.warn({ dropped: counts.dropped, written: counts.created + counts.aggregated }, 'too many Events; some are dropped');
    if (counts.failed > 0) this.options.log.warn({ failed: counts.failed, err: firstError }, 'cannot write Event');
  }
}
