// Generations on disk: each reload renders a new `gen-N` directory (maps,
// crt-list, certificates) and a haproxy.cfg that names it, checks the config
// with `haproxy -c` before anything loads it, and installs it in one rename.
// Old generations are removed once nothing serves from them.

import { execFile } from 'node:child_process';
import { readdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Model } from '../../model/model.js';
import { writeDirectoryAtomic, writeFileAtomic } from './files.js';
import type { Layout } from './layout.js';
import { renderConfig, type ConfigSettings } from './render-config.js';
import { renderFiles } from './render-files.js';
import { BackendNames, structureFor } from './structure.js';

const run = promisify(execFile);

/** What HAProxy runs (or is about to): a generation, its config and files. */
export interface Loaded {
  generation: number;
  /** The text of haproxy.cfg: the last config that passed `haproxy -c`. */
  config: string;
  /** Content of the files written in the generation directory, by path inside it. */
  files: Map<string, string>;
}

export interface Candidate {
  loaded: Loaded;
  names: BackendNames;
}

export type CheckResult = { ok: true } | { ok: false; output: string };

export interface GenerationsOptions {
  binary: string;
  layout: Layout;
  settings: Omit<ConfigSettings, 'stateDir' | 'adminSocket'>;
}

export class Generations {
  private generation = 0;

  constructor(private readonly options: GenerationsOptions) {}

  get layout(): Layout {
    return this.options.layout;
  }

  settings(): ConfigSettings {
    return { ...this.options.settings, stateDir: this.options.layout.stateDir, adminSocket: this.options.layout.adminSocket };
  }

  /** `haproxy -c` on a config file; the output says why when it fails. */
  async check(path: string): Promise<CheckResult> {
    try {
      // Detached (spawn's option, which execFile passes on): a signal to
      // Portero's process group must not kill a check in progress.
      const options = { timeout: 120_000, detached: true };
      await run(this.options.binary, ['-c', '-f', path], options);
      return { ok: true };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message };
    }
  }

  /** Writes a new generation and its candidate config (not yet installed). */
  async prepare(model: Model): Promise<Candidate> {
    const { layout } = this.options;
    const generation = ++this.generation;
    const genDir = layout.generation(generation);
    const names = new BackendNames(structureFor(model));
    const rendered = renderFiles(model, genDir, names);
    await writeDirectoryAtomic(genDir, rendered);
    const config = renderConfig(model, this.settings(), genDir, names);
    await writeFileAtomic(layout.candidateConfig, config);
    return { loaded: { generation, config, files: new Map(rendered.map((file) => [file.path, file.content])) }, names };
  }

  /** Makes the checked candidate config (from the last prepare) the one HAProxy loads. */
  async install(): Promise<void> {
    await rename(this.options.layout.candidateConfig, this.options.layout.config);
  }

  /** Puts a generation's config back in place (after HAProxy refused a newer one). */
  async restore(loaded: Loaded): Promise<void> {
    await writeFileAtomic(this.options.layout.config, loaded.config);
  }

  /** Removes generation directories other than the ones listed. */
  async prune(keep: readonly number[]): Promise<void> {
    const { layout } = this.options;
    const names = await readdir(layout.stateDir);
    await Promise.all(
      names
        .filter((name) => /^gen-\d+(\..*\.tmp)?$/.test(name) && !keep.some((n) => name === `gen-${n}`))
        .map((name) => rm(`${layout.stateDir}/${name}`, { recursive: true, force: true })),
    );
  }
}
