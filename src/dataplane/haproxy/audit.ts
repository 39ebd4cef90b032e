// Checks HAProxy's live state against the files of the loaded generation,
// after runtime changes: the maps (`show map`) and the crt-list (`show ssl
// crt-list`). The files are rendered from the model, so a difference means
// a runtime batch did not do what the plan meant (DESIGN.md, "The invariant
// of a running Portero"); the data plane then reloads to a known state.

import { filePath } from './config-lines.js';
import { cliArg, type RuntimeApi } from './runtime.js';

/** `show map <file>` answer → sorted `key value` lines (duplicates kept). */
export function parseShowMap(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^0x[0-9a-f]+ /.test(line))
    .map((line) => line.slice(line.indexOf(' ') + 1))
    .sort();
}

/** Map file content → sorted `key value` lines. */
export function fileLines(content: string): string[] {
  return content.split('\n').filter(Boolean).sort();
}

/** `show ssl crt-list <file>` answer → sorted lines, `file [sni ...]` (HAProxy prints options in brackets, which are dropped). */
export function parseShowCrtList(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('/'))
    .map((line) => line.replace(/\s*\[[^\]]*\]/g, '').replace(/\s+/g, ' ').trim())
    .sort();
}

export interface Difference {
  file: string;
  missing: string[];
  unexpected: string[];
}

function compare(file: string, live: readonly string[], wanted: readonly string[]): Difference | undefined {
  const counts = new Map<string, number>();
  for (const line of wanted) counts.set(line, (counts.get(line) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const line of live) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else unexpected.push(line);
  }
  const missing = [...counts].flatMap(([line, left]) => Array.from({ length: left }, () => line));
  return missing.length + unexpected.length === 0 ? undefined : { file, missing, unexpected };
}

/** Compares the live maps and crt-list with the given file contents (absolute path → content). */
export async function auditLiveState(runtime: RuntimeApi, maps: ReadonlyMap<string, string>, crtList?: { path: string; content: string }): Promise<Difference[]> {
  const differences: Difference[] = [];
  for (const [path, content] of maps) {
    const live = parseShowMap(await runtime.one(`show map ${cliArg(filePath(path))}`));
    const difference = compare(path, live, fileLines(content));
    if (difference) differences.push(difference);
  }
  if (crtList) {
    const live = parseShowCrtList(await runtime.one(`show ssl crt-list ${cliArg(filePath(crtList.path))}`));
    // Options in brackets (client authentication's) are written only by a reload: compared without them on both sides.
    const difference = compare(crtList.path, live, fileLines(crtList.content).map((line) => line.replace(/\s*\[[^\]]*\]/g, '').replace(/\s+/g, ' ').trim()));
    if (difference) differences.push(difference);
  }
  return differences;
}

/** A short description of differences, for the log. */
export function describeDifferences(differences: readonly Difference[]): string {
  return differences
    .map((d) => `${d.file.split('/').pop()}: ${d.missing.length} missing (${d.missing.slice(0, 3).join(', ')}), ${d.unexpected.length} unexpected (${d.unexpected.slice(0, 3).join(', ')})`)
    .join('; ');
}
