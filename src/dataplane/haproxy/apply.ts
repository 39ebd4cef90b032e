// Applies a model to HAProxy: render a new generation of files, check the
// config with `haproxy -c`, then swap it in and reload hitlessly. A config
// that fails the check is never loaded; a reload HAProxy refuses is rolled
// back. Either way the last good config keeps serving and the error is
// reported to the caller.

import { execFile } from 'node:child_process';
import { readdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Model } from '../../model/model.js';
import type { Logger } from '../../telemetry/log.js';
import { writeDirectoryAtomic, writeFileAtomic } from './files.js';
import type { Layout } from './layout.js';
import { HaproxyProcess } from './process.js';
import { renderConfig, type ConfigSettings } from './render-config.js';
import { renderFiles } from './render-files.js';

const run = promisify(execFile);

export interface DataplaneOptions {
  binary: string;
  layout: Layout;
  log: Logger;
  settings: Omit<ConfigSettings, 'stateDir' | 'adminSocket'>;
  onRestart?: (reason: string) => void;
}

export type ApplyResult =
  | { status: 'unchanged' }
  | { status: 'reloaded'; durationMs: number; workerPid: number }
  /** The config passed `haproxy -c` and is in place, but HAProxy died during the reload; its restart loads it. */
  | { status: 'pending-restart'; reason: string }
  | { status: 'rejected'; reason: string };

interface Applied {
  model: Model;
  modelJson: string;
  generation: number;
  config: string;
}

export class HaproxyDataplane {
  private readonly process: HaproxyProcess;
  private current: Applied | undefined;
  private generation = 0;

  constructor(private readonly options: DataplaneOptions) {
    this.process = new HaproxyProcess({
      binary: options.binary,
      layout: options.layout,
      log: options.log,
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
    });
  }

  get haproxyRunning(): boolean {
    return this.process.running;
  }

  private settings(): ConfigSettings {
    return { ...this.options.settings, stateDir: this.options.layout.stateDir, adminSocket: this.options.layout.adminSocket };
  }

  /** Writes generation N and the candidate config for it; returns the config text. */
  private async prepare(model: Model, generation: number): Promise<string> {
    const { layout } = this.options;
    const genDir = layout.generation(generation);
    await writeDirectoryAtomic(genDir, renderFiles(model, genDir));
    const config = renderConfig(model, this.settings(), genDir);
    await writeFileAtomic(layout.candidateConfig, config);
    return config;
  }

  private async check(): Promise<{ ok: true } | { ok: false; output: string }> {
    try {
      await run(this.options.binary, ['-c', '-f', this.options.layout.candidateConfig], { timeout: 120_000 });
      return { ok: true };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; message: string };
      const output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message;
      return { ok: false, output };
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

  /** First start: apply `model`, falling back to `empty` if HAProxy refuses it. */
  async start(model: Model, empty: Model): Promise<void> {
    await this.prune([]);
    for (const candidate of [model, empty]) {
      const generation = ++this.generation;
      const config = await this.prepare(candidate, generation);
      const check = await this.check();
      if (!check.ok) {
        this.options.log.error({ output: check.output }, 'HAProxy refused the configuration; starting without any Ingress');
        continue;
      }
      await rename(this.options.layout.candidateConfig, this.options.layout.config);
      await this.process.start();
      this.current = { model: candidate, modelJson: JSON.stringify(candidate), generation, config };
      await this.prune([generation]);
      return;
    }
    throw new Error('HAProxy refuses even an empty configuration: check --bind-address, the ports and the HAProxy log lines above');
  }

  async apply(model: Model): Promise<ApplyResult> {
    const previous = this.current;
    if (!previous) throw new Error('apply() before start()');
    const modelJson = JSON.stringify(model);
    if (modelJson === previous.modelJson) return { status: 'unchanged' };
    const started = performance.now();
    const generation = ++this.generation;
    const config = await this.prepare(model, generation);
    const check = await this.check();
    if (!check.ok) {
      await this.prune([previous.generation]);
      return { status: 'rejected', reason: `haproxy -c refused the new configuration: ${check.output}` };
    }
    await rename(this.options.layout.candidateConfig, this.options.layout.config);
    const reload = await this.process.reload();
    if (!reload.ok && reload.outcome === 'refused') {
      // Put the last good config back so that a later restart serves it too.
      await writeFileAtomic(this.options.layout.config, previous.config);
      await this.prune([previous.generation]);
      return { status: 'rejected', reason: reload.reason };
    }
    this.current = { model, modelJson, generation, config };
    if (!reload.ok) {
      await this.prune([previous.generation, generation]);
      return { status: 'pending-restart', reason: reload.reason };
    }
    await this.prune([generation]);
    return { status: 'reloaded', durationMs: performance.now() - started, workerPid: reload.workerPid };
  }

  async stop(timeoutMs: number): Promise<void> {
    await this.process.stop(timeoutMs);
  }
}
