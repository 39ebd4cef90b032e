// Files on disk, for tests that look at what Portero wrote.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files under a directory, recursively; entries removed while listing (pruned generations) are skipped. */
export async function filesUnder(directory: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(directory).catch(() => [])) {
    const path = join(directory, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) out.push(...(await filesUnder(path)));
    else if (info?.isFile()) out.push(path);
  }
  return out;
}
