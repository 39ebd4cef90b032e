// The standalone source: every *.yaml, *.yml and *.json file under a
// directory, read recursively and watched.
//
// Every directory is watched with inotify (fs.watch on the directory, not on
// each file), which sees files created, written, renamed into place and
// removed. Events are coalesced for a few milliseconds and then each named
// file is read again; editors and tools that replace files (write, then
// rename) simply look like a change. Kubernetes ConfigMap volumes swap a
// `..data` symlink instead; any event on a `..` entry rescans everything. A
// slow background rescan (stat only, then read what changed) is a safety net
// for events the kernel may drop. The same object defined in two files: the
// file first in path order wins.

import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Store } from '../../store/store.js';
import { Coalescer } from '../../util/coalesce.js';
import type { Logger } from '../../telemetry/log.js';
import type { KubeObject, ObjectRef } from '../../objects/types.js';
import { evaluateFile, objectKey, type FileProblem } from './file-objects.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/;
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const COALESCE_MS = 3;
const MAX_COALESCE_MS = 30;
const SAFETY_RESCAN_MS = 30_000;

export interface ManifestSourceOptions {
  directory: string;
  store: Store;
  log: Logger;
  /** Portero's state directory, for what must survive a restart. */
  stateDir?: string;
  now?: () => Date;
}

interface FileState {
  /** SHA-256 of the text last read: the text itself is not kept. */
  digest: string;
  /** mtime, size and inode when last read: a rescan re-reads only files whose signature changed. */
  signature: string;
  objects: Map<string, KubeObject>;
}

export class ManifestSource {
  private readonly files = new Map<string, FileState>();
  private readonly published = new Map<string, KubeObject>();
  /** The files that define each object (`Kind/namespace/name`). */
  private readonly definers = new Map<string, Set<string>>();
  private readonly firstSeen = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly burst = new Coalescer(COALESCE_MS, MAX_COALESCE_MS, () => void this.enqueue());
  private safetyTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private processing: Promise<void> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly options: ManifestSourceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Reads the directory once (resolving when every file is in the store) and keeps watching it. */
  async start(): Promise<void> {
    const { directory } = this.options;
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) throw new Error(`--manifests ${directory}: not a directory`);
    await this.rescan();
    this.safetyTimer = setInterval(() => void this.rescan(), SAFETY_RESCAN_MS);
    this.safetyTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.burst.cancel();
    clearInterval(this.safetyTimer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await this.processing;
  }

  /** Watches exactly the given directories. */
  private syncWatchers(directories: readonly string[]): void {
    if (this.stopped) return;
    const wanted = new Set(directories);
    for (const [directory, watcher] of this.watchers) {
      if (wanted.has(directory)) continue;
      watcher.close();
      this.watchers.delete(directory);
    }
    for (const directory of wanted) {
      if (this.watchers.has(directory)) continue;
      try {
        const watcher = watch(directory, { persistent: false }, (_event, name) => this.onEvent(directory, name === null ? '' : String(name)));
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(directory);
          void this.rescan();
        });
        this.watchers.set(directory, watcher);
      } catch (error) {
        this.options.log.warn({ directory, err: (error as Error).message }, 'cannot watch directory; it is rescanned periodically');
      }
    }
  }

  private onEvent(directory: string, name: string): void {
    if (name === '' || name.startsWith('..')) {
      void this.rescan(); // unknown entry, or a ConfigMap volume swapped its `..data` link
      return;
    }
    if (name.startsWith('.')) return; // hidden: editor and tool temporaries
    const path = join(directory, name);
    if (MANIFEST_FILE.test(name)) this.markDirty(path);
    else if (!name.includes('.')) void this.rescan(); // may be a directory that appeared or vanished
  }

  private markDirty(path: string): void {
    this.dirty.add(path);
    this.burst.request();
  }

  /** Manifest files under `directory` (recursively), and the directories visited. */
  private async listFiles(directory: string, directories: string[] = []): Promise<string[]> {
    const out: string[] = [];
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return out;
    }
    directories.push(directory);
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) out.push(...(await this.listFiles(path, directories)));
      else if (isFile && MANIFEST_FILE.test(entry.name)) out.push(path);
    }
    return out;
  }

  /** Re-lists the tree, watches its directories, and re-reads every file that may have changed. */
  async rescan(): Promise<void> {
    const directories: string[] = [];
    const present = await this.listFiles(this.options.directory, directories);
    this.syncWatchers(directories);
    for (const path of [...present, ...this.files.keys()]) this.dirty.add(path);
    await this.enqueue();
  }

  /** Runs processDirty after any run in progress; a failure is logged and never blocks later runs. */
  private enqueue(): Promise<void> {
    this.processing = this.processing.then(() =>
      this.processDirty().catch((error: unknown) => {
        this.options.log.error({ err: error instanceof Error ? error.stack : String(error) }, 'reading manifests failed');
      }),
    );
    return this.processing;
  }

  private async processDirty(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const affected = new Set<string>();
    for (const path of paths) {
      const before = this.files.get(path)?.objects;
      if (!(await this.readOne(path))) continue;
      const after = this.files.get(path)?.objects;
      for (const key of before?.keys() ?? []) affected.add(key);
      for (const key of after?.keys() ?? []) affected.add(key);
      this.index(path, before, after);
    }
    if (affected.size > 0) this.publish(affected);
  }

  /** Keeps `definers` (which files define each object) in step with one file's change. */
  private index(path: string, before: ReadonlyMap<string, KubeObject> | undefined, after: ReadonlyMap<string, KubeObject> | undefined): void {
    for (const key of before?.keys() ?? []) {
      if (after?.has(key)) continue;
      const files = this.definers.get(key);
      files?.delete(path);
      if (files?.size === 0) this.definers.delete(key);
    }
    for (const key of after?.keys() ?? []) {
      let files = this.definers.get(key);
      if (!files) {
        files = new Set();
        this.definers.set(key, files);
      }
      files.add(path);
    }
  }

  /** Re-reads one file; returns whether its contribution may have changed. */
  private async readOne(path: string): Promise<boolean> {
    const file = relative(this.options.directory, path) || path;
    const previous = this.files.get(path);
    let text: string | undefined;
    let signature = '';
    try {
      const info = await stat(path);
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
      if (!info.isFile()) text = undefined;
      else if (signature === previous?.signature) return false;
      else if (info.size > MAX_FILE_BYTES) {
        this.options.log.error({ file }, `file is larger than ${MAX_FILE_BYTES} bytes; it keeps its last good content`);
        return false;
      } else text = await readFile(path, 'utf8');
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      if (!previous) return false;
      this.files.delete(path);
      this.options.log.info({ file }, 'manifest file removed');
      return true;
    }
    const digest = createHash('sha256').update(text).digest('hex');
    if (previous?.digest === digest) {
      previous.signature = signature;
      return false;
    }
    const result = evaluateFile(path, text, previous?.objects ?? new Map(), {
      defaultNamespace: 'default',
      creationTimestampFor: (ref: ObjectRef) => this.firstSeen.get(objectKey(ref)) ?? this.now().toISOString(),
    });
    for (const problem of result.problems) this.report(file, problem);
    this.files.set(path, { digest, signature, objects: result.objects });
    return true;
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

  /** Writes the current version of each affected object to the store: the first file in path order that defines it wins. */
  private publish(affected: ReadonlySet<string>): void {
    const { store } = this.options;
    for (const key of affected) {
      const files = [...(this.definers.get(key) ?? [])].sort();
      const winner = files[0];
      if (files.length > 1) {
        const relativeFiles = files.map((path) => relative(this.options.directory, path));
        this.options.log.warn({ file: relativeFiles[1], object: key, usedFrom: relativeFiles[0] }, 'object is defined in more than one file; the first file in path order wins');
      }
      const object = winner === undefined ? undefined : this.files.get(winner)?.objects.get(key);
      const published = this.published.get(key);
      if (object) {
        if (!this.firstSeen.has(key)) this.firstSeen.set(key, object.metadata.creationTimestamp);
        if (published !== object) {
          store.upsert(object);
          this.published.set(key, object);
        }
      } else if (published) {
        store.delete(published.kind, published.metadata.namespace, published.metadata.name);
        this.published.delete(key);
        this.firstSeen.delete(key);
      }
    }
  }
}
