// Applies models to HAProxy. Most changes go through the runtime API with no
// reload (servers, map entries, certificates; see plan.ts); a change the
// loaded structure cannot take (the first wildcard host, spares used up, ...)
// renders a new generation, checks it with `haproxy -c` and reloads
// hitlessly. A config that fails the check is never loaded, and a reload
// HAProxy refuses is rolled back: the last good config keeps serving.
//
// A runtime batch that fails part-way leaves HAProxy in a state nobody
// planned, so it is followed by a reload to a known state: the new model, or
// when HAProxy refuses that, the last good one. A change is thus either
// applied, or not at all, never half. Certificates HAProxy refuses are named
// in the result, so the caller can leave them out and apply the rest.
//
// Every runtime change is written to the files too (maps, certificates,
// crt-list at once; haproxy.cfg after a background `haproxy -c`), and the
// live maps are then checked against the files: a difference reloads. So a
// reload or restart reproduces the live state. Applies are serialized: a
// reload never races with a runtime change.
//
// Once shutdown has begun (the first SIGTERM), changes the runtime API can
// make still apply during the grace period (endpoints come and go while load
// balancers drain), but no reload starts: HAProxy would start a new worker
// only to stop it, and a reload racing with the stop signal kept HAProxy
// running (see process.ts). Once HAProxy is being stopped nothing applies.

import type { Model } from '../../model/model.js';
import type { Logger } from '../../telemetry/log.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { Drainer } from './drain.js';
import { FileSync } from './file-sync.js';
import { Generations, type Loaded } from './generations.js';
import type { Layout } from './layout.js';
import { planChange, type LiveState, type ReloadReason, type RuntimeCounts } from './plan.js';
import { HaproxyProcess } from './process.js';
import type { ConfigSettings } from './render-config.js';
import { refusedCertificates, type RefusedCertificate } from './refusals.js';
import { executePlan } from './runtime-apply.js';
import { RuntimeApi } from './runtime.js';
import type { BackendNames } from './structure.js';
import { unbindableSockets, type UnbindableSocket } from './sockets.js';

export type { RefusedCertificate };

export interface DataplaneOptions {
  binary: string;
  layout: Layout;
  log: Logger;
  settings: Omit<ConfigSettings, 'stateDir' | 'adminSocket'>;
  metrics?: Metrics;
  /** Longest time a removed server drains before its sessions are cut. */
  maxDrainMs?: number;
  /**
   * Called when the live state must be established again (HAProxy was
   * restarted, or its live maps differ from the files): the next apply
   * reloads, so the caller should request one.
   */
  onRestart?: () => void;
}

export type ApplyResult =
  | { status: 'unchanged' }
  | { status: 'runtime'; durationMs: number; counts: RuntimeCounts }
  | { status: 'reloaded'; reason: ReloadReason; detail: string; durationMs: number; workerPid: number }
  /** The config passed `haproxy -c` and is in place, but HAProxy died during the reload; its restart loads it. */
  | { status: 'pending-restart'; reason: string }
  /** Not applied: the last good configuration serves. `refused` names the certificates HAProxy refused, `unbindable` the Gateway sockets that cannot be bound, if that was why. */
  | { status: 'rejected'; reason: string; refused: RefusedCertificate[]; unbindable?: UnbindableSocket[] }
  /** Not applied because Portero is stopping: the change needs a reload, or HAProxy is being stopped. The loaded configuration serves until HAProxy stops. */
  | { status: 'stopping'; reason: string };

export type StartResult = { ok: true } | { ok: false; reason: string; refused: RefusedCertificate[]; unbindable?: UnbindableSocket[] };

export class HaproxyDataplane {
  private readonly process: HaproxyProcess;
  private readonly runtime: RuntimeApi;
  private readonly drainer: Drainer;
  private readonly generations: Generations;
  private readonly files: FileSync;
  private live: LiveState | undefined;
  private loaded: Loaded | undefined;
  /** An apply is running: HAProxy and the files may be changing. */
  private applying = false;
  private lock: Promise<unknown> = Promise.resolve();
  private needsResync = false;
  /** Shutdown has begun: no reload starts any more. */
  private shuttingDown = false;
  /** HAProxy is being stopped: nothing is applied any more. */
  private stopped = false;

  constructor(private readonly options: DataplaneOptions) {
    this.runtime = new RuntimeApi(options.layout.adminSocket);
    this.generations = new Generations({ binary: options.binary, layout: options.layout, settings: options.settings });
    this.process = new HaproxyProcess({
      binary: options.binary,
      layout: options.layout,
      log: options.log,
      beforeRestart: () => this.exclusive(() => this.prepareRestart()),
      onRestart: () => {
        this.options.metrics?.haproxyRestarts.inc();
        this.resyncNeeded();
      },
    });
    this.drainer = new Drainer(() => this.runtime, options.log, options.maxDrainMs ?? 60_000, (work) => this.exclusive(work));
    this.files = new FileSync({
      generations: this.generations,
      runtime: this.runtime,
      log: options.log,
      exclusive: (work) => this.exclusive(work),
      current: () => (this.live && this.loaded ? { live: this.live, loaded: this.loaded } : undefined),
      ...(options.settings.accessLog ? {} : { unloadedMaps: new Set(['backends'] as const) }),
      onConfigError: () => {
        this.options.metrics?.configErrors.inc();
        this.resyncNeeded();
      },
      onDivergence: () => {
        this.options.metrics?.runtimeDivergences.inc();
        this.resyncNeeded();
      },
      onPendingChange: () => this.updateSyncedGauge(),
    });
  }

  /** The HAProxy section of each backend of the live model (for portero_backend_info); undefined before start. */
  get liveNames(): BackendNames | undefined {
    return this.live?.names;
  }

  get haproxyRunning(): boolean {
    return this.process.running;
  }

  /** Runs work after every earlier piece of work: applies, drains and syncs never overlap. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work, work);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /**
   * portero_dataplane_files_synced: 1 only when no apply is running and the
   * files of the loaded generation reflect the live state (so a test, or an
   * operator, can compare the two).
   */
  private updateSyncedGauge(): void {
    this.options.metrics?.filesSynced.set(this.loaded && !this.applying && !this.files.pending ? 1 : 0);
  }

  private resyncNeeded(): void {
    this.needsResync = true;
    this.options.onRestart?.();
  }

  /**
   * First start with `model`. When `haproxy -c` refuses it, HAProxy is not
   * started and the result says why (and which certificates it refused), so
   * the caller can start with a model without them.
   */
  async start(model: Model): Promise<StartResult> {
    return this.exclusive(async () => {
      if (!this.loaded) await this.generations.prune([]);
      const unbindable = await this.unbindable(model);
      if (unbindable.length > 0) return { ok: false, reason: unbindableReason(unbindable), refused: [], unbindable };
      const candidate = await this.generations.prepare(model);
      const check = await this.generations.check(this.options.layout.candidateConfig);
      if (!check.ok) {
        this.options.metrics?.configErrors.inc();
        await this.generations.prune([]);
        return { ok: false, reason: `haproxy -c refused the configuration: ${check.output}`, refused: refusedCertificates(check.output) };
      }
      await this.generations.install();
      await this.process.start();
      this.loaded = candidate.loaded;
      this.live = { model, names: candidate.names, sparesUsed: 0 };
      this.options.metrics?.reloads.inc({ reason: 'start' });
      this.updateSyncedGauge();
      await this.generations.prune([candidate.loaded.generation]);
      return { ok: true };
    });
  }

  /** Applies `model`: through the runtime API when it can, else with a reload (always with `force`). */
  apply(model: Model, force = false): Promise<ApplyResult> {
    return this.exclusive(async () => {
      if (this.stopped) return { status: 'stopping', reason: 'HAProxy is being stopped' };
      this.applying = true;
      this.updateSyncedGauge();
      try {
        return await this.applyNow(model, force);
      } catch (error) {
        this.options.metrics?.applyErrors.inc();
        throw error;
      } finally {
        this.applying = false;
        this.updateSyncedGauge();
      }
    });
  }

  private async applyNow(model: Model, force: boolean): Promise<ApplyResult> {
    const live = this.live;
    if (!live || !this.loaded) throw new Error('apply() before start()');
    if (force) return this.reload(model, 'forced', 'a reload was requested');
    if (this.needsResync) return this.reload(model, 'resync', 'the live state had to be established again');
    const plan = planChange(live, model);
    if (plan.kind === 'unchanged') {
      this.live = { ...live, model };
      return { status: 'unchanged' };
    }
    if (plan.kind === 'reload') return this.reload(model, plan.reason, plan.detail);
    const started = performance.now();
    try {
      const counts = await executePlan(plan, {
        runtime: this.runtime,
        genDir: this.options.layout.generation(this.loaded.generation),
        defaultCertificateId: model.defaultCertificate.id,
        draining: this.drainer.keys,
        ...(this.options.settings.accessLog ? {} : { unloaded: new Set(['backends'] as const) }),
      });
      this.drainer.revived(plan.addServers);
      await this.drainer.drain(plan.removeServers);
      this.live = { model, names: plan.names, sparesUsed: plan.sparesUsed };
      this.files.changed();
      const durationMs = performance.now() - started;
      const metrics = this.options.metrics;
      if (metrics) {
        for (const kind of ['servers', 'maps', 'certificates'] as const) if (counts[kind] > 0) metrics.runtimeUpdates.inc({ kind }, counts[kind]);
        metrics.applyDuration.observe({ method: 'runtime' }, durationMs / 1000);
        metrics.lastApplySuccess.set(Date.now() / 1000);
      }
      return { status: 'runtime', durationMs, counts };
    } catch (error) {
      return this.recoverFromRuntimeFailure(live, model, (error as Error).message);
    }
  }

  /**
   * HAProxy carried out some commands of the batch and not others: its state
   * is one nobody planned. Reload to the new model; if HAProxy refuses that,
   * reload to the last good one, so nothing of the change keeps serving.
   */
  private async recoverFromRuntimeFailure(live: LiveState, model: Model, message: string): Promise<ApplyResult> {
    this.options.log.warn({ err: message }, 'runtime update failed; reloading to a known state');
    const fromRuntime = refusedCertificates(message);
    this.needsResync = true;
    const result = await this.reload(model, 'runtime-failed', message);
    if (result.status !== 'rejected') return result;
    const restored = await this.reload(live.model, 'recover', 'undoing a runtime change HAProxy only partly took');
    if (restored.status === 'rejected') this.options.log.error({ reason: restored.reason }, 'the last good configuration could not be reloaded; retrying');
    const refused = [...fromRuntime, ...result.refused.filter((entry) => !fromRuntime.some((other) => other.id === entry.id))];
    return { status: 'rejected', reason: result.reason, refused };
  }

  private async reload(model: Model, reason: ReloadReason, detail: string): Promise<ApplyResult> {
    const noReload = { status: 'stopping', reason: `this change needs a reload (${reason}: ${detail}), and no reload starts once shutdown has begun` } as const;
    if (this.shuttingDown) return noReload;
    const loaded = this.loaded!;
    const started = performance.now();
    this.files.cancel();
    const unbindable = await this.unbindable(model);
    if (unbindable.length > 0) return { status: 'rejected', reason: unbindableReason(unbindable), refused: [], unbindable };
    const candidate = await this.generations.prepare(model);
    const check = await this.generations.check(this.options.layout.candidateConfig);
    if (!check.ok) {
      this.options.metrics?.configErrors.inc();
      await this.generations.prune([loaded.generation]);
      return { status: 'rejected', reason: `haproxy -c refused the new configuration: ${check.output}`, refused: refusedCertificates(check.output) };
    }
    // The check takes a while: shutdown may have begun meanwhile.
    if (this.shuttingDown) {
      await this.generations.prune([loaded.generation]);
      return noReload;
    }
    await this.generations.install();
    const result = await this.process.reload();
    if (!result.ok && result.outcome === 'abandoned') {
      // HAProxy was not asked: the loaded generation stays the one in place.
      await this.generations.restore(loaded);
      await this.generations.prune([loaded.generation]);
      return noReload;
    }
    if (!result.ok && result.outcome === 'refused') {
      this.options.metrics?.configErrors.inc();
      // Put the last good config back so that a later restart serves it too.
      await this.generations.restore(loaded);
      await this.generations.prune([loaded.generation]);
      return { status: 'rejected', reason: result.reason, refused: [] };
    }
    this.loaded = candidate.loaded;
    this.live = { model, names: candidate.names, sparesUsed: 0 };
    this.drainer.reset();
    this.needsResync = false;
    this.options.metrics?.reloads.inc({ reason });
    if (!result.ok) {
      await this.generations.prune([loaded.generation, candidate.loaded.generation]);
      return { status: 'pending-restart', reason: result.reason };
    }
    await this.generations.prune([candidate.loaded.generation]);
    const durationMs = performance.now() - started;
    this.options.metrics?.applyDuration.observe({ method: 'reload' }, durationMs / 1000);
    this.options.metrics?.lastApplySuccess.set(Date.now() / 1000);
    return { status: 'reloaded', reason, detail, durationMs, workerPid: result.workerPid };
  }

  /** The Gateway sockets `model` adds to the loaded configuration that cannot be bound (sockets.ts). */
  private unbindable(model: Model): Promise<UnbindableSocket[]> {
    return unbindableSockets(model.scopes ?? [], this.live?.names.structure.capabilities.scopes, this.options.settings);
  }

  /**
   * HAProxy died and is about to be started again: give it a configuration
   * rendered from the live model, so that it starts with exactly the state
   * that was live (runtime changes included), never an older haproxy.cfg
   * with newer maps. When that fails (a full disk), the last config is used
   * and the resync reload after the restart repairs the state.
   */
  private async prepareRestart(): Promise<void> {
    const live = this.live;
    const loaded = this.loaded;
    if (!live || !loaded) return;
    this.files.cancel();
    const candidate = await this.generations.prepare(live.model);
    const check = await this.generations.check(this.options.layout.candidateConfig);
    if (!check.ok) {
      await this.generations.prune([loaded.generation]);
      throw new Error(`haproxy -c refused the live state: ${check.output}`);
    }
    await this.generations.install();
    this.loaded = candidate.loaded;
    this.live = { model: live.model, names: candidate.names, sparesUsed: 0 };
    this.drainer.reset();
    await this.generations.prune([candidate.loaded.generation]);
  }

  /**
   * Shutdown has begun (a signal arrived): HAProxy exiting is no longer a
   * reason to start it again, and no reload starts any more.
   */
  beginShutdown(): void {
    this.shuttingDown = true;
    this.process.markStopping();
    this.files.cancel();
  }

  /**
   * Stops HAProxy (see HaproxyProcess.stop): a reload in progress finishes
   * first, and nothing is applied any more.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.shuttingDown = true;
    this.stopped = true;
    this.files.cancel();
    this.drainer.reset();
    await this.process.stop(timeoutMs);
  }
}

function unbindableReason(sockets: readonly UnbindableSocket[]): string {
  return `Gateway listener ports cannot be bound: ${sockets.map((socket) => `${socket.address || 'the bind address'} port ${socket.port} (${socket.reason})`).join(', ')}`;
}
