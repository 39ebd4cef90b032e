// Applies models to HAProxy. Most changes go through the runtime API with no
// reload (servers, map entries, certificates; see plan.ts); a change the
// loaded structure cannot take (the first wildcard host, spares used up, ...)
// renders a new generation, checks it with `haproxy -c` and reloads
// hitlessly. A config that fails the check is never loaded, and a reload
// HAProxy refuses is rolled back: the last good config keeps serving.
//
// Every runtime change is written to the files too (maps, certificates,
// crt-list at once; haproxy.cfg after a background `haproxy -c`), so a reload
// or restart reproduces the live state. Applies are serialized: a reload
// never races with a runtime change.

import { execFile } from 'node:child_process';
import { readdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Model } from '../../model/model.js';
import type { Logger } from '../../telemetry/log.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { Drainer } from './drain.js';
import { writeDirectoryAtomic, writeFileAtomic } from './files.js';
import type { Layout } from './layout.js';
import { planChange, type LiveState, type ReloadReason, type RuntimeCounts } from './plan.js';
import { HaproxyProcess } from './process.js';
import { renderConfig, type ConfigSettings } from './render-config.js';
import { renderFiles } from './render-files.js';
import { executePlan } from './runtime-apply.js';
import { RuntimeApi } from './runtime.js';
import { BackendNames, structureFor } from './structure.js';
import { Coalescer } from '../../util/coalesce.js';
import { SingleFlight } from '../../util/single-flight.js';

const run = promisify(execFile);
/**
 * Files follow runtime changes once changes pause this long, and at most this
 * late. They matter only to an HAProxy restart, which resynchronises anyway;
 * writing them (and checking the config) costs CPU better spent on changes.
 */
const SYNC_QUIET_MS = 500;
const SYNC_MAX_DELAY_MS = 5000;

export interface DataplaneOptions {
  binary: string;
  layout: Layout;
  log: Logger;
  settings: Omit<ConfigSettings, 'stateDir' | 'adminSocket'>;
  metrics?: Metrics;
  /** Longest time a removed server drains before its sessions are cut. */
  maxDrainMs?: number;
  /** Called when HAProxy had to be restarted: the next apply reloads to resynchronise. */
  onRestart?: () => void;
}

export type ApplyResult =
  | { status: 'unchanged' }
  | { status: 'runtime'; durationMs: number; counts: RuntimeCounts }
  | { status: 'reloaded'; reason: ReloadReason; detail: string; durationMs: number; workerPid: number }
  /** The config passed `haproxy -c` and is in place, but HAProxy died during the reload; its restart loads it. */
  | { status: 'pending-restart'; reason: string }
  | { status: 'rejected'; reason: string };

interface Loaded {
  generation: number;
  /** The text of haproxy.cfg: the last config that passed `haproxy -c`. */
  config: string;
  /** Content of the files written in the generation directory, by path inside it. */
  files: Map<string, string>;
}

export class HaproxyDataplane {
  private readonly process: HaproxyProcess;
  private readonly runtime: RuntimeApi;
  private readonly drainer: Drainer;
  private live: LiveState | undefined;
  private loaded: Loaded | undefined;
  private generation = 0;
  private lock: Promise<unknown> = Promise.resolve();
  private needsResync = false;
  private syncSeq = 0;
  private readonly sync: SingleFlight;
  private readonly syncBurst: Coalescer;

  constructor(private readonly options: DataplaneOptions) {
    this.runtime = new RuntimeApi(options.layout.adminSocket);
    this.process = new HaproxyProcess({
      binary: options.binary,
      layout: options.layout,
      log: options.log,
      onRestart: () => {
        this.needsResync = true;
        this.options.metrics?.haproxyRestarts.inc();
        this.options.onRestart?.();
      },
    });
    this.drainer = new Drainer(() => this.runtime, options.log, options.maxDrainMs ?? 60_000, (work) => this.exclusive(work));
    this.sync = new SingleFlight(() => this.syncOnce());
    this.syncBurst = new Coalescer(SYNC_QUIET_MS, SYNC_MAX_DELAY_MS, () => this.sync.request());
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

  private settings(): ConfigSettings {
    return { ...this.options.settings, stateDir: this.options.layout.stateDir, adminSocket: this.options.layout.adminSocket };
  }

  private async check(path: string): Promise<{ ok: true } | { ok: false; output: string }> {
    try {
      await run(this.options.binary, ['-c', '-f', path], { timeout: 120_000 });
      return { ok: true };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message };
    }
  }

  /** Removes generation directories other than the ones listed. */
  private async prune(keep: readonly number[]): Promise<void> {
    const { layout } = this.options;
    const names = await readdir(layout.stateDir);
    await Promise.all(
      names
        .filter((name) => /^gen-\d+(\..*\.tmp)?$/.test(name) && !keep.some((n) => name === `gen-${n}`))
        .map((name) => rm(`${layout.stateDir}/${name}`, { recursive: true, force: true })),
    );
  }

  /** Writes a new generation and its candidate config; returns the config text and the names it uses. */
  private async prepare(model: Model, generation: number): Promise<{ config: string; names: BackendNames; files: Map<string, string> }> {
    const { layout } = this.options;
    const genDir = layout.generation(generation);
    const names = new BackendNames(structureFor(model));
    const rendered = renderFiles(model, genDir, names);
    await writeDirectoryAtomic(genDir, rendered);
    const config = renderConfig(model, this.settings(), genDir, names);
    await writeFileAtomic(layout.candidateConfig, config);
    return { config, names, files: new Map(rendered.map((file) => [file.path, file.content])) };
  }

  /** First start: apply `model`, falling back to `empty` if HAProxy refuses it. */
  async start(model: Model, empty: Model): Promise<void> {
    await this.exclusive(async () => {
      await this.prune([]);
      for (const candidate of [model, empty]) {
        const generation = ++this.generation;
        const { config, names, files } = await this.prepare(candidate, generation);
        const check = await this.check(this.options.layout.candidateConfig);
        if (!check.ok) {
          this.options.metrics?.configErrors.inc();
          this.options.log.error({ output: check.output }, 'HAProxy refused the configuration; starting without any Ingress');
          continue;
        }
        await rename(this.options.layout.candidateConfig, this.options.layout.config);
        await this.process.start();
        this.loaded = { generation, config, files };
        this.live = { model: candidate, names, sparesUsed: 0 };
        this.options.metrics?.reloads.inc({ reason: 'start' });
        await this.prune([generation]);
        return;
      }
      throw new Error('HAProxy refuses even an empty configuration: check --bind-address, the ports and the HAProxy log lines above');
    });
  }

  /** Applies `model`: through the runtime API when it can, else with a reload (always with `force`). */
  apply(model: Model, force = false): Promise<ApplyResult> {
    return this.exclusive(() => this.applyNow(model, force));
  }

  private async applyNow(model: Model, force: boolean): Promise<ApplyResult> {
    const live = this.live;
    if (!live || !this.loaded) throw new Error('apply() before start()');
    if (force) return this.reload(model, 'forced', 'a reload was requested');
    if (this.needsResync) return this.reload(model, 'resync', 'HAProxy was restarted');
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
      this.scheduleSync();
      const durationMs = performance.now() - started;
      const metrics = this.options.metrics;
      if (metrics) {
        for (const kind of ['servers', 'maps', 'certificates'] as const) if (counts[kind] > 0) metrics.runtimeUpdates.inc({ kind }, counts[kind]);
        metrics.applyDuration.observe({ method: 'runtime' }, durationMs / 1000);
        metrics.lastApplySuccess.set(Date.now() / 1000);
      }
      return { status: 'runtime', durationMs, counts };
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'runtime update failed; reloading instead');
      return this.reload(model, 'runtime-failed', (error as Error).message);
    }
  }

  /**
   * Brings the files in line with the live state, in the background and
   * coalesced: the maps, certificates and crt-list of the loaded generation at
   * once, then haproxy.cfg once `haproxy -c` accepts it. A reload meanwhile
   * supersedes the work; a restart before it is done reloads to resynchronise.
   */
  private scheduleSync(): void {
    this.syncSeq += 1;
    // Wait for a quiet moment: a burst of changes is written once, and the
    // CPU stays free for applying the changes themselves.
    this.syncBurst.request();
  }

  private async syncOnce(): Promise<void> {
    const seq = this.syncSeq;
    const live = this.live;
    const loaded = this.loaded;
    if (!live || !loaded) return;
    const genDir = this.options.layout.generation(loaded.generation);
    try {
      // The files a reload would write, less those already as they should be.
      const rendered = renderFiles(live.model, genDir, live.names);
      const wanted = new Set(rendered.map((file) => file.path));
      const writes: Promise<void>[] = [];
      for (const file of rendered) {
        if (loaded.files.get(file.path) === file.content) continue;
        loaded.files.set(file.path, file.content);
        writes.push(writeFileAtomic(`${genDir}/${file.path}`, file.content, file.mode));
      }
      for (const path of [...loaded.files.keys()]) {
        if (wanted.has(path)) continue;
        loaded.files.delete(path);
        writes.push(rm(`${genDir}/${path}`, { force: true }));
      }
      await Promise.all(writes);
      const config = renderConfig(live.model, this.settings(), genDir, live.names);
      if (config === loaded.config) return;
      const candidate = `${this.options.layout.config}.sync`;
      await writeFileAtomic(candidate, config);
      const check = await this.check(candidate);
      await this.exclusive(async () => {
        if (seq !== this.syncSeq || this.loaded !== loaded) return;
        if (!check.ok) {
          this.options.metrics?.configErrors.inc();
          this.options.log.error({ output: check.output }, 'the configuration for the live state fails haproxy -c; reloading to a checked one');
          this.needsResync = true;
          return;
        }
        await rename(candidate, this.options.layout.config);
        loaded.config = config;
      });
    } catch (error) {
      if (this.loaded === loaded) this.options.log.warn({ err: (error as Error).message }, 'writing the files for the live state failed');
    }
  }

  private async reload(model: Model, reason: ReloadReason, detail: string): Promise<ApplyResult> {
    const loaded = this.loaded!;
    const started = performance.now();
    const generation = ++this.generation;
    this.syncSeq += 1;
    const { config, names, files } = await this.prepare(model, generation);
    const check = await this.check(this.options.layout.candidateConfig);
    if (!check.ok) {
      this.options.metrics?.configErrors.inc();
      await this.prune([loaded.generation]);
      return { status: 'rejected', reason: `haproxy -c refused the new configuration: ${check.output}` };
    }
    await rename(this.options.layout.candidateConfig, this.options.layout.config);
    const result = await this.process.reload();
    if (!result.ok && result.outcome === 'refused') {
      this.options.metrics?.configErrors.inc();
      // Put the last good config back so that a later restart serves it too.
      await writeFileAtomic(this.options.layout.config, loaded.config);
      await this.prune([loaded.generation]);
      return { status: 'rejected', reason: result.reason };
    }
    this.loaded = { generation, config, files };
    this.live = { model, names, sparesUsed: 0 };
    this.drainer.reset();
    this.needsResync = false;
    this.options.metrics?.reloads.inc({ reason });
    if (!result.ok) {
      await this.prune([loaded.generation, generation]);
      return { status: 'pending-restart', reason: result.reason };
    }
    await this.prune([generation]);
    const durationMs = performance.now() - started;
    this.options.metrics?.applyDuration.observe({ method: 'reload' }, durationMs / 1000);
    this.options.metrics?.lastApplySuccess.set(Date.now() / 1000);
    return { status: 'reloaded', reason, detail, durationMs, workerPid: result.workerPid };
  }

  /** Shutdown has begun (a signal arrived): HAProxy exiting is no longer a reason to start it again. */
  beginShutdown(): void {
    this.process.markStopping();
    this.syncBurst.cancel();
  }

  async stop(timeoutMs: number): Promise<void> {
    this.syncBurst.cancel();
    this.drainer.reset();
    await this.process.stop(timeoutMs);
  }
}
