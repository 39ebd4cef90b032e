// After runtime changes, the files of the loaded generation follow the live
// state, in the background and coalesced: the maps, certificates and
// crt-list at once, then haproxy.cfg once `haproxy -c` accepts it. Then the
// live maps and crt-list are compared with the files just written; a
// difference means a runtime batch did not do what its plan meant, and the
// data plane reloads to a known state. A reload meanwhile supersedes the work.

import { rename, rm } from 'node:fs/promises';
import type { Logger } from '../../telemetry/log.js';
import { Coalescer } from '../../util/coalesce.js';
import { SingleFlight } from '../../util/single-flight.js';
import { auditLiveState, describeDifferences } from './audit.js';
import { writeFileAtomic } from './files.js';
import type { Generations, Loaded } from './generations.js';
import { GENERATION_FILES } from './layout.js';
import type { LiveState } from './plan.js';
import { renderConfig } from './render-config.js';
import { MAP_FILES, renderFiles, type MapName } from './render-files.js';
import type { RuntimeApi } from './runtime.js';

/**
 * Files follow runtime changes once changes pause this long, and at most this
 * late. They matter only to a reload or restart, which render their own;
 * writing them (and checking the config) costs CPU better spent on changes.
 */
const QUIET_MS = 500;
const MAX_DELAY_MS = 5000;

export interface FileSyncOptions {
  generations: Generations;
  runtime: RuntimeApi;
  log: Logger;
  /** Runs work under the data plane's lock. */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /** What serves now. */
  current: () => { live: LiveState; loaded: Loaded } | undefined;
  /** Maps the configuration does not load (backends.map without access logs): never audited. */
  unloadedMaps?: ReadonlySet<MapName>;
  /** The config for the live state fails `haproxy -c`. */
  onConfigError: () => void;
  /** The live maps or crt-list differ from the files. */
  onDivergence: () => void;
  /** `pending` changed. */
  onPendingChange: () => void;
}

/** A sync that failed (a full disk) is tried again after this long. */
const RETRY_MS = 1000;

const MAP_PATHS = new Map<string, MapName>(Object.entries(MAP_FILES).map(([name, path]) => [path, name as MapName]));

export class FileSync {
  private seq = 0;
  private behind = false;
  /** Files written since the live state was last compared with them. */
  private readonly unaudited = new Set<string>();
  private readonly sync: SingleFlight;
  private readonly burst: Coalescer;

  constructor(private readonly options: FileSyncOptions) {
    this.sync = new SingleFlight(() => this.syncOnce());
    this.burst = new Coalescer(QUIET_MS, MAX_DELAY_MS, () => this.sync.request());
  }

  /** Whether runtime changes wait to be written to the files (and checked against them). */
  get pending(): boolean {
    return this.behind;
  }

  private setPending(pending: boolean): void {
    if (this.behind === pending) return;
    this.behind = pending;
    this.options.onPendingChange();
  }

  /** A runtime change was applied: the files are behind until the next sync. */
  changed(): void {
    this.seq += 1;
    this.setPending(true);
    this.burst.request();
  }

  /** A reload or restart writes its own files: pending work is dropped. */
  cancel(): void {
    this.seq += 1;
    this.unaudited.clear();
    this.burst.cancel();
    this.setPending(false);
  }

  private async syncOnce(): Promise<void> {
    const seq = this.seq;
    const state = this.options.current();
    if (!state) return;
    const { live, loaded } = state;
    const { generations, log } = this.options;
    const genDir = generations.layout.generation(loaded.generation);
    try {
      // The files a reload would write, less those already as they should be.
      const rendered = renderFiles(live.model, genDir, live.names);
      const wanted = new Set(rendered.map((file) => file.path));
      const writes: Promise<void>[] = [];
      for (const file of rendered) {
        if (loaded.files.get(file.path) === file.content) continue;
        loaded.files.set(file.path, file.content);
        this.unaudited.add(file.path);
        writes.push(writeFileAtomic(`${genDir}/${file.path}`, file.content, file.mode));
      }
      for (const path of [...loaded.files.keys()]) {
        if (wanted.has(path)) continue;
        loaded.files.delete(path);
        writes.push(rm(`${genDir}/${path}`, { force: true }));
      }
      await Promise.all(writes);
      const config = renderConfig(live.model, generations.settings(), genDir, live.names);
      const candidate = `${generations.layout.config}.sync`;
      const check = config === loaded.config ? undefined : (await writeFileAtomic(candidate, config), await generations.check(candidate));
      await this.options.exclusive(async () => {
        const now = this.options.current();
        if (seq !== this.seq || now?.loaded !== loaded) return;
        if (check && !check.ok) {
          log.error({ output: check.output }, 'the configuration for the live state fails haproxy -c; reloading to a checked one');
          this.options.onConfigError();
          return;
        }
        if (check) {
          await rename(candidate, generations.layout.config);
          loaded.config = config;
        }
        await this.audit(genDir, loaded);
        if (seq === this.seq) this.setPending(false);
      });
    } catch (error) {
      if (this.options.current()?.loaded !== loaded) return;
      log.warn({ err: (error as Error).message }, 'writing the files for the live state failed; retrying');
      setTimeout(() => {
        if (seq === this.seq) this.burst.request();
      }, RETRY_MS).unref();
    }
  }

  /** Compares the live maps and crt-list written since the last audit with their files (under the lock: nothing changes meanwhile). */
  private async audit(genDir: string, loaded: Loaded): Promise<void> {
    const maps = new Map<string, string>();
    let crtList: { path: string; content: string } | undefined;
    for (const path of this.unaudited) {
      const content = loaded.files.get(path);
      const map = MAP_PATHS.get(path);
      if (content === undefined) continue;
      if (map !== undefined && !this.options.unloadedMaps?.has(map)) maps.set(`${genDir}/${path}`, content);
      if (path === GENERATION_FILES.crtList) crtList = { path: `${genDir}/${path}`, content };
    }
    this.unaudited.clear();
    if (maps.size === 0 && !crtList) return;
    const differences = await auditLiveState(this.options.runtime, maps, crtList);
    if (differences.length === 0) return;
    this.options.log.error({ differences: describeDifferences(differences) }, "HAProxy's live state differs from the files after runtime changes; reloading to a known state");
    this.options.onDivergence();
  }
}
