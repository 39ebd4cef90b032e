// The standalone source: every *.yaml, *.yml and *.json file under a
// directory, read recursively and watched.
//
// Every directory is watched with inotify (fs.watch on the directory, not on
// each file), which sees files created, written, renamed into place and
// removed. A directory is watched before it is listed, so nothing written
// into a new directory can fall between the listing and the watch. Events
// are coalesced for a few milliseconds and then each named file is read
// again; editors and tools that replace files (write, then rename) simply
// look like a change. Kubernetes ConfigMap volumes swap a `..data` symlink
// instead; any event on a `..` entry rescans everything. The root's name is
// watched in its parent: a root that is deleted keeps its last objects until
// it is back, and a root symlink that is swapped (git-sync) is read again at
// once. A slow background rescan (stat only, then read what changed) is a
// safety net for events the kernel may drop. The same object defined in two
// files: the file first in path order wins.
//
// Every change goes through one queue (`batch`), so listings, reads and
// publications never interleave, and a file's new state is recorded only
// together with its publication: a change is never marked as seen without
// reaching the store.

import { realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { CREATED_AFTER_EVERY_TIMESTAMP, type DecodeOptions } from '../../objects/decode.js';
import type { KubeObject } from '../../objects/types.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../telemetry/log.js';
import { Coalescer } from '../../util/coalesce.js';
import { Definers } from './definers.js';
import { evaluateFile, type FileProblem } from './file-objects.js';
import { KeptStore, type KeptObjects } from './kept.js';
import { readManifestFile } from './read-file.js';
import { MANIFEST_FILE, isHidden, walkTree } from './tree.js';
import { DirectoryWatchers, RootWatcher } from './watch.js';

/**
 * Largest manifest file read. Parsing costs memory several times the size of
 * the text, most for a single huge document; at this size the worst case
 * measured (one document of 16 MiB) stays far below a 1 GiB container limit.
 * See docs/manifests.md.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
const COALESCE_MS = 3;
const MAX_COALESCE_MS = 30;
const SAFETY_RESCAN_MS = 30_000;
/**
 * A file found missing is removed only if it is still missing this much
 * later and the root is still there: `rm -rf` of the whole directory (which
 * keeps its objects) deletes the files before the directory, and `rm f &&
 * cp g f` replaces a file without a moment of absence being applied.
 */
const REMOVAL_GRACE_MS = 100;

export const MANIFEST_DECODE_OPTIONS: DecodeOptions = {
  defaultNamespace: 'default',
  creationTimestampFor: () => CREATED_AFTER_EVERY_TIMESTAMP,
};

export interface ManifestSourceOptions {
  directory: string;
  store: Store;
  log: Logger;
  /** Portero's state directory, for what must survive a restart (the last good versions kept). */
  stateDir?: string;
}

interface FileState {
  /** SHA-256 of the text last read: the text itself is not kept. */
  digest: string;
  /** mtime, size and inode when last read: a rescan re-reads only files whose signature changed. */
  signature: string;
  objects: Map<string, KubeObject>;
  /** Keys of `objects` that are last good versions, not what the text holds now. */
  kept: Set<string>;
}

/** A file's next state (undefined: removed), recorded together with its publication. */
interface Change {
  path: string;
  state: FileState | undefined;
  /** False when only the signature changed (same content). */
  contentChanged: boolean;
}

function under(directory: string, path: string): boolean {
  return path.startsWith(directory.endsWith(sep) ? directory : directory + sep);
}

export class ManifestSource {
  private readonly files = new Map<string, FileState>();
  /** Files refused as too large: path → the signature already reported. */
  private readonly refused = new Map<string, string>();
  private readonly published = new Map<string, KubeObject>();
  private readonly definers = new Definers();
  /** Directories listed and watched: path → `device:inode`. */
  private directories = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private readonly subtrees = new Set<string>();
  private fullRescan = false;
  private readonly watchers: DirectoryWatchers;
  private readonly rootWatcher: RootWatcher;
  /** The root's real path when last read (it changes when a root symlink is swapped). */
  private rootTarget: string | undefined;
  private rootMissing = false;
  /** Last good versions saved by the previous run, used for each file's first read only. */
  private restored: KeptObjects = new Map();
  private readonly keptStore: KeptStore;
  private readonly burst = new Coalescer(COALESCE_MS, MAX_COALESCE_MS, () => void this.enqueue());
  private safetyTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private processing: Promise<void> = Promise.resolve();

  /** Each file's problems when it was last read, by path relative to the directory. */
  private readonly fileProblems = new Map<string, FileProblem[]>();

  constructor(private readonly options: ManifestSourceOptions) {
    this.watchers = new DirectoryWatchers(
      (directory, name) => this.onEvent(directory, name),
      (directory) => this.requestSubtree(directory),
      options.log,
    );
    this.rootWatcher = new RootWatcher(options.directory, () => this.burst.request());
    this.keptStore = new KeptStore(options.stateDir, options.log);
  }

  /** Reads the directory once (resolving when every file is in the store) and keeps watching it. */
  async start(): Promise<void> {
    const { directory } = this.options;
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) throw new Error(`--manifests ${directory}: not a directory`);
    this.restored = await this.keptStore.load(MANIFEST_DECODE_OPTIONS);
    this.rootTarget = await realpath(directory).catch(() => directory);
    this.rootWatcher.start();
    await this.rescan();
    // Saved versions not used by now belong to files that are gone or now valid.
    this.restored = new Map();
    this.keptStore.save(this.keptObjects());
    this.safetyTimer = setInterval(() => void this.rescan(), SAFETY_RESCAN_MS);
    this.safetyTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.burst.cancel();
    clearInterval(this.safetyTimer);
    this.watchers.closeAll();
    this.rootWatcher.close();
    await this.processing;
    await this.keptStore.flush();
  }

  /** Re-lists the tree, watches its directories, and re-reads every file that may have changed. */
  rescan(): Promise<void> {
    this.fullRescan = true;
    return this.enqueue();
  }

  private onEvent(directory: string, name: string): void {
    if (this.stopped) return;
    if (name === '' || name.startsWith('..')) {
      // Unknown entry, or a ConfigMap volume swapped its `..data` link.
      this.fullRescan = true;
      this.burst.request();
      return;
    }
    if (isHidden(name)) return; // editor and tool temporaries
    const path = join(directory, name);
    if (MANIFEST_FILE.test(name)) this.dirty.add(path);
    // Anything else may be a directory that appeared, vanished or was moved in (whatever its name).
    else this.subtrees.add(path);
    this.burst.request();
  }

  private requestSubtree(path: string): void {
    if (this.stopped) return;
    this.subtrees.add(path);
    this.burst.request();
  }

  /** Runs one batch after any batch in progress; a failure is logged and never blocks later batches. */
  private enqueue(): Promise<void> {
    this.processing = this.processing.then(() =>
      this.batch().catch((error: unknown) => {
        this.options.log.error({ err: error instanceof Error ? error.stack : String(error) }, 'reading manifests failed');
      }),
    );
    return this.processing;
  }

  private async batch(): Promise<void> {
    if (this.stopped) return;
    if (!(await this.checkRoot())) return;
    if (this.fullRescan) {
      this.fullRescan = false;
      this.subtrees.clear();
      await this.walkAll();
    }
    for (const path of [...this.subtrees]) {
      this.subtrees.delete(path);
      await this.walkSubtree(path);
    }
    await this.processDirty();
  }

  /**
   * Whether the root is there. A root that vanished keeps every object read
   * (warned once); one that came back, or whose symlink now points elsewhere,
   * is listed and watched afresh.
   */
  private async checkRoot(): Promise<boolean> {
    const { directory, log } = this.options;
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) {
      if (!this.rootMissing) {
        this.rootMissing = true;
        log.warn({ directory }, 'the manifest directory is gone; the objects read last keep serving until it is back');
      }
      this.forgetTree();
      this.dirty.clear();
      this.subtrees.clear();
      return false;
    }
    const target = await realpath(directory).catch(() => directory);
    if (this.rootMissing || target !== this.rootTarget) {
      log.info({ directory, target }, this.rootMissing ? 'the manifest directory is back; reading it again' : 'the manifest directory now leads elsewhere; reading it again');
      this.rootMissing = false;
      this.rootTarget = target;
      this.forgetTree();
      this.fullRescan = true;
      this.burst.request(); // when called mid-batch, the next batch lists the tree
    }
    return true;
  }

  /** Drops every directory watch (they follow inodes that are no longer the tree). */
  private forgetTree(): void {
    this.watchers.closeAll();
    this.directories = new Map();
  }

  /** Watches a directory about to be listed; a watch on an older directory of the same path is replaced. */
  private watch(directory: string, id: string): void {
    if (this.directories.get(directory) !== id) this.watchers.remove(directory);
    this.watchers.add(directory);
  }

  private async walkAll(): Promise<void> {
    const listing = await walkTree(this.options.directory, { visited: new Set(), beforeList: (directory, id) => this.watch(directory, id) });
    this.watchers.retain(new Set(listing.directories.keys()));
    this.directories = listing.directories;
    for (const path of listing.files) this.dirty.add(path);
    for (const path of this.files.keys()) this.dirty.add(path);
  }

  /** Something named `path` changed: list it if it is a directory, and re-read what was known under it. */
  private async walkSubtree(path: string): Promise<void> {
    // Even a directory that looks the same (its inode number may have been
    // reused) is listed and watched afresh: events on a directory's own name
    // are rare, and files that did not change are not parsed again.
    const info = await stat(path).catch(() => undefined);
    this.watchers.removeTree(path);
    for (const directory of [...this.directories.keys()]) {
      if (directory === path || under(path, directory)) this.directories.delete(directory);
    }
    for (const file of this.files.keys()) {
      if (under(path, file)) this.dirty.add(file);
    }
    if (!info?.isDirectory()) return;
    const listing = await walkTree(path, { visited: new Set(this.directories.values()), beforeList: (directory, id) => this.watch(directory, id) });
    for (const [directory, id] of listing.directories) this.directories.set(directory, id);
    for (const file of listing.files) this.dirty.add(file);
  }

  private async processDirty(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    let changes = await this.readAll(paths);
    const removed = changes.filter((change) => change.state === undefined).map((change) => change.path);
    if (removed.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, REMOVAL_GRACE_MS));
      if (this.stopped || !(await this.checkRoot())) return;
      const confirmed = await this.readAll(removed);
      changes = [...changes.filter((change) => change.state !== undefined), ...confirmed];
    }
    this.apply(changes);
  }

  private async readAll(paths: readonly string[]): Promise<Change[]> {
    const changes: Change[] = [];
    for (const path of paths) {
      try {
        const change = await this.readOne(path);
        if (change) changes.push(change);
      } catch (error) {
        // Nothing should throw here; if something does, it stays with this file.
        this.options.log.error({ file: this.relative(path), err: error instanceof Error ? error.message : String(error) }, 'reading the file failed; it keeps its last good content');
      }
    }
    return changes;
  }

  private relative(path: string): string {
    return relative(this.options.directory, path) || path;
  }

  /** Reads one file again; returns its next state when it may have changed. Records nothing. */
  private async readOne(path: string): Promise<Change | undefined> {
    const file = this.relative(path);
    const previous = this.files.get(path);
    const read = await readManifestFile(path, MAX_FILE_BYTES, previous?.signature);
    switch (read.status) {
      case 'unchanged':
        return undefined;
      case 'directory':
        this.subtrees.add(path); // a directory named like a manifest: its contents are read in the next batch
        this.burst.request();
        return previous ? { path, state: undefined, contentChanged: true } : undefined;
      case 'missing':
        return previous ? { path, state: undefined, contentChanged: true } : undefined;
      case 'too-large':
        if (this.refused.get(path) !== read.signature) {
          this.refused.set(path, read.signature);
          this.options.log.error({ file, bytes: read.bytes, limit: MAX_FILE_BYTES }, `file is larger than ${MAX_FILE_BYTES} bytes; it keeps its last good content`);
        }
        return undefined;
      case 'read':
        break;
    }
    this.refused.delete(path);
    const { digest, signature } = read;
    if (previous?.digest === digest) return { path, state: { ...previous, signature }, contentChanged: false };
    const base = previous?.objects ?? this.restored.get(file) ?? new Map<string, KubeObject>();
    const result = evaluateFile(path, read.text, base, MANIFEST_DECODE_OPTIONS);
    for (const problem of result.problems) this.report(file, problem);
    const shown = result.problems.filter((problem) => problem.level !== 'debug');
    if (shown.length > 0) this.fileProblems.set(file, shown);
    else this.fileProblems.delete(file);
    return { path, state: { digest, signature, objects: result.objects, kept: result.kept }, contentChanged: true };
  }

  /** The problems of the files as last read (invalid objects refused as the API server would), for the dashboard. */
  problems(): { file: string; problem: FileProblem }[] {
    return [...this.fileProblems].flatMap(([file, problems]) => problems.map((problem) => ({ file, problem })));
  }

  private report(file: string, problem: FileProblem): void {
    const fields = {
      file,
      ...(problem.line !== undefined ? { line: problem.line } : {}),
      ...(problem.object !== undefined ? { object: problem.object } : {}),
      ...(problem.field !== undefined ? { field: problem.field } : {}),
    };
    this.options.log[problem.level](fields, problem.message);
  }

  /** Records the files' new states and publishes what they change, in one synchronous step. */
  private apply(changes: readonly Change[]): void {
    const affected = new Set<string>();
    for (const { path, state, contentChanged } of changes) {
      const before = this.files.get(path)?.objects;
      if (state) this.files.set(path, state);
      else {
        this.files.delete(path);
        this.fileProblems.delete(this.relative(path));
        this.options.log.info({ file: this.relative(path) }, 'manifest file removed');
      }
      if (!contentChanged) continue;
      const after = state?.objects;
      for (const key of before?.keys() ?? []) affected.add(key);
      for (const key of after?.keys() ?? []) affected.add(key);
      this.definers.update(path, before, after);
    }
    if (affected.size === 0) return;
    this.publish(affected);
    this.keptStore.save(this.keptObjects());
  }

  /** Writes the current version of each affected object to the store: the first file in path order that defines it wins. */
  private publish(affected: ReadonlySet<string>): void {
    const { store } = this.options;
    for (const key of affected) {
      const files = this.definers.of(key);
      const winner = files[0];
      if (files.length > 1) {
        const relativeFiles = files.map((path) => this.relative(path));
        this.options.log.warn({ file: relativeFiles[1], object: key, usedFrom: relativeFiles[0] }, 'object is defined in more than one file; the first file in path order wins');
      }
      const object = winner === undefined ? undefined : this.files.get(winner)?.objects.get(key);
      const published = this.published.get(key);
      if (object) {
        if (published !== object) {
          store.upsert(object);
          this.published.set(key, object);
        }
      } else if (published) {
        store.delete(published.kind, published.metadata.namespace, published.metadata.name);
        this.published.delete(key);
      }
    }
  }

  /** The last good versions in use now, by file (relative path). */
  private keptObjects(): KeptObjects {
    const kept: KeptObjects = new Map();
    for (const [path, state] of this.files) {
      if (state.kept.size === 0) continue;
      const objects = new Map<string, KubeObject>();
      for (const key of state.kept) {
        const object = state.objects.get(key);
        if (object) objects.set(key, object);
      }
      kept.set(this.relative(path), objects);
    }
    return kept;
  }
}
