// HAProxy's live state against the files of the loaded generation, for
// configurations with route candidates. compareLiveWithFiles (the Ingress
// harness's live.ts) knows the maps haproxy.cfg reads through map_*
// converters; candidates.map is read by the candidates' Lua evaluator
// (Map.new in the generation's Lua file), so it reports it as held by HAProxy
// but not named by haproxy.cfg and never compares its entries. Here the maps
// a generation's Lua file loads count as named, and their live entries are
// compared with their files like the others.
//
// A removed server is drained, then put in maintenance and deleted once it
// has no connection left (src/dataplane/haproxy/drain.ts); `del server`
// fails while HAProxy still holds idle connections to it, and the reaper
// tries again every 250 ms, one failing server per pass. A live server
// missing from the files and in maintenance (admin=1) is such a server on its
// way out: transient like a draining one, reported in `removing` so that the
// caller waits for it (bounded) instead of failing on it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeCommand } from '../haproxy.js';
import { compareLiveWithFiles, readLoaded, type LiveComparison } from '../invariant/live.js';

/** Maps the loaded generation's Lua files load (`Map.new("<path>", ...)`). */
async function luaMaps(stateDir: string): Promise<string[]> {
  const loaded = await readLoaded(stateDir);
  const luaFiles = [...loaded.config.matchAll(/^\s+lua-load(?:-per-thread)? (\S+)/gm)].map((match) => match[1]!);
  const maps: string[] = [];
  for (const file of luaFiles) {
    const source = await readFile(file, 'utf8').catch(() => '');
    for (const match of source.matchAll(/Map\.new\("([^"]+)"/g)) maps.push(match[1]!);
  }
  return [...new Set(maps)].sort();
}

const entries = (text: string) => text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));

export interface GatewayLiveComparison extends LiveComparison {
  /** Live servers not in the files, in maintenance: being deleted. */
  removing: string[];
}

export async function compareGatewayLive(stateDir: string): Promise<GatewayLiveComparison> {
  const lua = await luaMaps(stateDir);
  const base = await compareLiveWithFiles(stateDir);
  const diffs: string[] = [];
  const removing: string[] = [];
  for (const line of base.diffs) {
    // "servers: only live (n): a | b" (not cut short with "… k more"): servers in maintenance are on their way out.
    const onlyLive = /^servers: only live \(\d+\): (.*)$/.exec(line);
    if (onlyLive && !onlyLive[1]!.includes(' | … ')) {
      const entries = onlyLive[1]!.split(' | ');
      removing.push(...entries.filter((entry) => entry.endsWith(' (admin=1 op=0)')));
      const others = entries.filter((entry) => !entry.endsWith(' (admin=1 op=0)'));
      if (others.length > 0) diffs.push(`servers: only live (${others.length}): ${others.join(' | ')}`);
      continue;
    }
    // "maps held: only in HAProxy (n): a | b": drop the maps a Lua file loads; keep any other.
    const held = /^maps held: only in HAProxy \(\d+\): (.*)$/.exec(line);
    if (!held) {
      diffs.push(line);
      continue;
    }
    // settings.map is read by the rules of sections with features (Gateway filter values: features/gateway-filters.ts). A section whose
    // backend left the model keeps its rules in HAProxy until the next reload, but the files render it empty, so HAProxy may hold
    // settings.map after the configuration stopped reading it; its entries are still compared with its file (compareLiveWithFiles).
    const others = held[1]!.split(' | ').filter((path) => !lua.includes(path) && !path.endsWith('/settings.map'));
    if (others.length > 0) diffs.push(`maps held: only in HAProxy (${others.length}): ${others.join(' | ')}`);
  }
  for (const path of lua) {
    const live = entries(await runtimeCommand(stateDir, `show map ${path}`)).map((line) => line.split(' ').slice(1).join(' ')).sort();
    const file = entries(await readFile(path, 'utf8').catch(() => '')).sort();
    const onlyLive = live.filter((line) => !file.includes(line));
    const onlyFile = file.filter((line) => !live.includes(line));
    if (live.length !== file.length || onlyLive.length > 0 || onlyFile.length > 0) {
      diffs.push(`${join('…', path.split('/').slice(-1)[0]!)}: live ${live.length} entries, file ${file.length}; only live: ${onlyLive.slice(0, 5).join(' | ').slice(0, 600)}; only in the file: ${onlyFile.slice(0, 5).join(' | ').slice(0, 600)}`);
    }
  }
  return { diffs, draining: base.draining, removing };
}
