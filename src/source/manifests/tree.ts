// Lists the manifest files under a directory, following symbolic links, each
// real directory once.
//
// A directory is identified by device and inode, so links that form a loop
// (`ln -s . again`, a link to an ancestor) or reach one directory twice are
// listed once. The walk is iterative, so no tree is deep enough to exhaust
// the stack. `beforeList` runs for each directory before it is listed: the
// caller watches it there, so a file created while the walk runs is either
// listed or reported by the watch, never missed.

import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** Names the source skips: hidden entries (editor and tool temporaries, a ConfigMap volume's `..data`). */
export function isHidden(name: string): boolean {
  return name.startsWith('.');
}

export interface TreeListing {
  /** Manifest files found, by the path they were reached through. */
  files: string[];
  /** Directories listed: path → `device:inode`. */
  directories: Map<string, string>;
}

export interface WalkOptions {
  /** `device:inode` of directories already listed elsewhere; the walk adds the ones it lists. */
  visited: Set<string>;
  /** Runs before a directory (`device:inode` id) is listed. */
  beforeList?: (directory: string, id: string) => void;
}

export function identity(info: { dev: number; ino: number }): string {
  return `${info.dev}:${info.ino}`;
}

/** Walks the tree under `start` (which may be any directory in it). Never throws: unreadable parts are skipped. */
export async function walkTree(start: string, options: WalkOptions): Promise<TreeListing> {
  const files: string[] = [];
  const directories = new Map<string, string>();
  const pending = [start];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const id = identity(info);
    if (options.visited.has(id)) continue;
    options.visited.add(id);
    options.beforeList?.(directory, id);
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      continue;
    }
    directories.set(directory, id);
    const children: string[] = [];
    for (const entry of entries) {
      if (isHidden(entry.name)) continue;
      const path = join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) children.push(path);
      else if (isFile && MANIFEST_FILE.test(entry.name)) files.push(path);
    }
    // Popped in path order, so the path a directory is reached through does not depend on readdir's order.
    children.sort().reverse();
    for (const child of children) pending.push(child);
  }
  return { files, directories };
}
