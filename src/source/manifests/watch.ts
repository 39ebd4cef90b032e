// inotify watches for the manifest tree (one per directory), and for the
// root's own name in its parent directory.
//
// A watch on a directory follows its inode: it goes quiet when the directory
// is deleted, and keeps watching the old target when the root is a symbolic
// link that is swapped (`ln -s v2 cur.tmp && mv -T cur.tmp cur`, as git-sync
// does). Watching the root's name in its parent sees both at once; where the
// parent cannot be watched, the root is polled instead.

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, sep } from 'node:path';
import type { Logger } from '../../telemetry/log.js';

/** How often the root is checked when its parent directory cannot be watched. */
export const ROOT_POLL_MS = 250;

export class DirectoryWatchers {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly onEvent: (directory: string, name: string) => void,
    /** A watch failed (the directory went away, or the kernel gave up): the caller looks again. */
    private readonly onLost: (directory: string) => void,
    private readonly log: Logger,
  ) {}

  has(directory: string): boolean {
    return this.watchers.has(directory);
  }

  /** Watches `directory` unless it already is. */
  add(directory: string): void {
    if (this.watchers.has(directory)) return;
    try {
      const watcher = watch(directory, { persistent: false }, (_event, name) => this.onEvent(directory, name === null ? '' : String(name)));
      watcher.on('error', () => {
        this.remove(directory);
        this.onLost(directory);
      });
      this.watchers.set(directory, watcher);
    } catch (error) {
      this.log.warn({ directory, err: (error as Error).message }, 'cannot watch directory; it is rescanned periodically');
    }
  }

  remove(directory: string): void {
    this.watchers.get(directory)?.close();
    this.watchers.delete(directory);
  }

  /** Stops watching `directory` and everything under it. */
  removeTree(directory: string): void {
    const prefix = directory.endsWith(sep) ? directory : directory + sep;
    for (const path of [...this.watchers.keys()]) {
      if (path === directory || path.startsWith(prefix)) this.remove(path);
    }
  }

  /** Stops watching what is not in `wanted`. */
  retain(wanted: ReadonlySet<string>): void {
    for (const path of [...this.watchers.keys()]) {
      if (!wanted.has(path)) this.remove(path);
    }
  }

  closeAll(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}

/** Calls `onChange` whenever the entry named like the root changes in the root's parent (or, failing a watch, every ROOT_POLL_MS). */
export class RootWatcher {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    if (this.closed) return;
    const parent = dirname(this.root);
    const name = basename(this.root);
    try {
      if (parent === this.root) throw new Error('the root has no parent');
      const watcher = watch(parent, { persistent: false }, (_event, changed) => {
        if (changed === null || String(changed) === name) this.onChange();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.startPolling();
      });
      this.watcher = watcher;
      this.stopPolling();
    } catch {
      this.startPolling();
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.poll || this.closed) return;
    this.poll = setInterval(() => {
      this.onChange();
      // The parent may be back: watching it again ends the polling.
      if (!this.watcher) this.start();
    }, ROOT_POLL_MS);
    this.poll.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }
}
