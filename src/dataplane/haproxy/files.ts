// Atomic file writes: a reader (HAProxy, an operator, a restart) sees either
// the old file or the new one, never a torn one.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { mode });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export interface FileToWrite {
  path: string;
  content: string;
  mode: number;
}

/**
 * Writes a whole directory and then moves it into place in one rename, so a
 * generation either exists completely or not at all.
 */
export async function writeDirectoryAtomic(directory: string, files: readonly FileToWrite[]): Promise<void> {
  const temporary = `${directory}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(temporary, { recursive: true, mode: 0o700 });
    const parents = new Set(files.map((file) => dirname(join(temporary, file.path))));
    for (const parent of parents) await mkdir(parent, { recursive: true, mode: 0o700 });
    await Promise.all(files.map((file) => writeFile(join(temporary, file.path), file.content, { mode: file.mode })));
    await rm(directory, { recursive: true, force: true });
    await rename(temporary, directory);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
