// Shared by the hostile-input tests: the hostile values (each carries the
// marker), and the checks that none reaches what HAProxy reads, by file or
// through the runtime API.

import assert from 'node:assert/strict';
import { runtimeCommand, showServers } from './haproxy.js';

export const MARK = 'pwned';

/** Every hostile value carries the marker: it must never be found where HAProxy reads. */
export const HOSTILE_VALUES: Readonly<Record<string, string>> = {
  'newline + bind': `x\nbind :1 #${MARK}`,
  'single quote': `'${MARK}'`,
  'double quote': `"${MARK}"`,
  'sample expression': `%[src]${MARK}`,
  'shell variable': `\${HOME}${MARK}`,
  backslash: `${MARK}\\`,
  hash: `#${MARK}`,
  '100 KB': `${MARK}${'a'.repeat(100 * 1024)}`,
  'NUL and control bytes': `${MARK}\u0000\u0001\u001b[2J\u007f\r`,
  unicode: `${MARK}\u00e9\u202e\u{1f600}\u200b`,
  semicolon: `${MARK}; return 200`,
  spaces: `${MARK} ${MARK}`,
  // Trimmed to a plain word, valid for many annotations (a header or cookie name, a host): not the marker.
  'leading and trailing spaces': '  spaced\t ',
};

/** Lines holding the marker outside single quotes (a single-quoted token is data for HAProxy's parser: no `%[`, `${}` or `#` is read there). */
export function unquotedMarks(content: string): string[] {
  return content.split('\n').filter((line) => line.replace(/'[^'\n]*'/g, "''").toLowerCase().includes(MARK));
}

/** Every line of HAProxy's live state that Portero can change at runtime: all maps (at least `minMaps`), servers, crt-lists. */
export async function liveState(stateDir: string, minMaps = 3): Promise<string[]> {
  const lines: string[] = [];
  const maps = (await runtimeCommand(stateDir, 'show map')).split('\n').map((line) => /\((\/[^)]+)\)/.exec(line)?.[1]).filter((path): path is string => path !== undefined);
  assert.ok(maps.length >= minMaps, 'HAProxy holds maps');
  for (const path of maps) lines.push(...(await runtimeCommand(stateDir, `show map ${path}`)).split('\n'));
  lines.push(...(await showServers(stateDir)));
  for (const crtList of (await runtimeCommand(stateDir, 'show ssl crt-list')).split('\n').filter((line) => line.startsWith('/'))) {
    lines.push(...(await runtimeCommand(stateDir, `show ssl crt-list -n ${crtList}`)).split('\n'));
  }
  return lines;
}
