// HAProxy's live state (runtime API) against the files of the loaded
// generation, and those files against what the data plane renders for the
// expected model.
//
// The loaded generation is the one haproxy.cfg names (every map, the
// crt-list). Live maps are compared entry by entry, duplicates included
// (`add map` on an existing key appends a second entry); servers by backend,
// with their address and admin state; certificates by the crt-list entries
// and the SHA-1 fingerprint HAProxy reports for each certificate file.

import { ACCEPTED_MAP } from '../../../src/dataplane/haproxy/features/basic-auth.js';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderFiles } from '../../../src/dataplane/haproxy/render-files.js';
import { serverName } from '../../../src/dataplane/haproxy/render-config.js';
import { backendSettings, BackendNames, SPARE_PREFIX } from '../../../src/dataplane/haproxy/structure.js';
import { backendId, type Model } from '../../../src/model/model.js';
import { runtimeCommand } from '../haproxy.js';
import { fingerprintsOf } from './expect.js';

export interface Loaded {
  config: string;
  genDir: string;
  /** Map files the configuration reads. */
  maps: string[];
  crtList: string;
  /** Backend sections → server name → `address:port`. */
  backends: Map<string, Map<string, string>>;
}

export async function readLoaded(stateDir: string): Promise<Loaded> {
  const config = await readFile(join(stateDir, 'haproxy.cfg'), 'utf8');
  const maps = [...new Set([...config.matchAll(/map_(?:str|beg|int)\(([^),]+)\)/g)].map((match) => match[1]!))].sort();
  const crtList = /crt-list (\S+)/.exec(config)?.[1];
  if (!crtList) throw new Error('haproxy.cfg names no crt-list');
  const backends = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of config.split('\n')) {
    const section = /^(\S+)\s+(\S+)/.exec(line);
    if (section) {
      current = section[1] === 'backend' ? new Map() : undefined;
      if (current) backends.set(section[2]!, current);
      continue;
    }
    const server = /^\s+server\s+(\S+)\s+(\S+)/.exec(line);
    if (server && current) current.set(server[1]!, server[2]!);
  }
  return { config, genDir: dirname(crtList), maps, crtList, backends };
}

/** `key value` lines, sorted, duplicates kept. */
function mapLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).sort();
}

/** Entries only in `a` and only in `b`, as multisets. */
function multisetDiff(a: readonly string[], b: readonly string[]): { onlyA: string[]; onlyB: string[] } {
  const counts = new Map<string, number>();
  for (const line of a) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const line of b) counts.set(line, (counts.get(line) ?? 0) - 1);
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  for (const [line, count] of counts) {
    for (let i = 0; i < count; i += 1) onlyA.push(line);
    for (let i = 0; i < -count; i += 1) onlyB.push(line);
  }
  return { onlyA: onlyA.sort(), onlyB: onlyB.sort() };
}

function reportDiff(out: string[], what: string, aName: string, bName: string, a: readonly string[], b: readonly string[], limit = 12): void {
  const { onlyA, onlyB } = multisetDiff(a, b);
  const show = (list: string[]) => `${list.slice(0, limit).join(' | ')}${list.length > limit ? ` | … ${list.length - limit} more` : ''}`;
  if (onlyA.length > 0) out.push(`${what}: only ${aName} (${onlyA.length}): ${show(onlyA)}`);
  if (onlyB.length > 0) out.push(`${what}: only ${bName} (${onlyB.length}): ${show(onlyB)}`);
}

const base = (path: string, genDir: string) => (path.startsWith(`${genDir}/`) ? path.slice(genDir.length + 1) : path);

export interface LiveComparison {
  /** Differences between HAProxy and the files (empty when they agree). */
  diffs: string[];
  /** Servers HAProxy still drains (removed from the files, deleted once idle): transient. */
  draining: string[];
}

/** HAProxy's maps, servers and certificates against the files of the loaded generation. */
export async function compareLiveWithFiles(stateDir: string): Promise<LiveComparison> {
  const loaded = await readLoaded(stateDir);
  const { genDir } = loaded;
  const diffs: string[] = [];
  const draining: string[] = [];
  const cli = (command: string) => runtimeCommand(stateDir, command);

  // Nothing here may pass by comparing nothing with nothing.
  if (loaded.maps.length < 2) diffs.push(`haproxy.cfg reads ${loaded.maps.length} maps; every configuration reads at least hosts.map and prefix.map`);

  // Maps: the ones HAProxy holds are the ones the config reads, each equal to its file.
  const held = [...(await cli('show map')).matchAll(/^\S+ \((\/[^)]+)\)/gm)].map((match) => match[1]!).sort();
  reportDiff(diffs, 'maps held', 'in HAProxy', 'in haproxy.cfg', held, loaded.maps);
  for (const path of held) {
    // Basic auth's accepted credentials are added by the rules themselves (features/basic-auth.ts ACCEPTED_MAP): never like the file.
    if (path.endsWith(`/${ACCEPTED_MAP}`)) continue;
    const live = (await cli(`show map ${path}`)).split('\n').filter((line) => line.trim() !== '').map((line) => line.split(' ').slice(1).join(' ')).sort();
    const file = mapLines(await readFile(path, 'utf8').catch(() => ''));
    reportDiff(diffs, base(path, genDir), 'live', 'in the file', live, file);
  }

  // Source lists (pattern files of sections, changed with add/del acl): each equal to its file; a file gone (its section has no occupant) is empty.
  const aclFiles = [...new Set([...(await cli('show acl')).matchAll(/^\S+ \((\/[^)]+\/sources\/[^)]+)\)/gm)].map((match) => match[1]!))].sort();
  const configAcls = [...new Set([...loaded.config.matchAll(/ src -f (\S+)/g)].map((match) => match[1]!))].sort();
  reportDiff(diffs, 'source lists held', 'in HAProxy', 'in haproxy.cfg', aclFiles, configAcls);
  for (const path of aclFiles) {
    const live = (await cli(`show acl ${path}`)).split('\n').filter((line) => line.trim() !== '').map((line) => line.split(' ').slice(1).join(' ')).sort();
    const file = mapLines(await readFile(path, 'utf8').catch(() => ''));
    reportDiff(diffs, base(path, genDir), 'live', 'in the file', live, file);
  }

  // Backends and servers.
  const liveBackends = (await cli('show backend')).split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).sort();
  reportDiff(diffs, 'backends', 'in HAProxy', 'in haproxy.cfg', liveBackends, [...loaded.backends.keys()].sort());
  const liveServers: string[] = [];
  for (const line of (await cli('show servers state')).split('\n')) {
    if (!/^\d+ /.test(line)) continue;
    const f = line.split(' ');
    const [backend, server, address, op, admin, port] = [f[1]!, f[3]!, f[4]!, Number(f[5]), Number(f[6]), f[18]!];
    const entry = `${backend}/${server} ${address}:${port}`;
    const inFile = loaded.backends.get(backend)?.get(server) !== undefined;
    // srv_admin_state: 0x08 is "forced drain" (set server state drain); any other bit is a maintenance state.
    if (admin === 0x08 && !inFile) {
      draining.push(entry);
      continue;
    }
    liveServers.push(admin === 0 && op === 2 ? entry : `${entry} (admin=${admin} op=${op})`);
  }
  const fileServers = [...loaded.backends].flatMap(([backend, servers]) => [...servers].map(([server, address]) => `${backend}/${server} ${address}`));
  reportDiff(diffs, 'servers', 'live', 'in haproxy.cfg', liveServers.sort(), fileServers.sort());
  if (fileServers.length === 0) diffs.push('haproxy.cfg has no server at all (the marker Service always has one)');

  // Certificates: crt-list entries, and each certificate's fingerprint against its PEM file.
  const lists = (await cli('show ssl crt-list')).split('\n').filter((line) => line.startsWith('/'));
  reportDiff(diffs, 'crt-lists', 'in HAProxy', 'in haproxy.cfg', lists, [loaded.crtList]);
  const fileList = (await readFile(loaded.crtList, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  if (fileList.length === 0) diffs.push('crt-list.txt is empty (the default certificate is always listed)');
  const liveList = (await cli(`show ssl crt-list ${loaded.crtList}`)).split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')).map((line) => line.trim().replace(/\s+/g, ' '));
  reportDiff(diffs, 'crt-list.txt', 'live', 'in the file', [...liveList].sort().map((line) => base(line, genDir)), [...fileList].sort().map((line) => base(line, genDir)));
  if (liveList[0] !== undefined && fileList[0] !== undefined && liveList[0] !== fileList[0]) diffs.push(`crt-list.txt: first (default) entry is ${base(liveList[0], genDir)} live, ${base(fileList[0], genDir)} in the file`);
  const certLines = (await cli('show ssl cert')).split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  for (const line of certLines.filter((l) => l.startsWith('*'))) diffs.push(`certificate transaction left open: ${line}`);
  const liveCerts = certLines.filter((line) => line.startsWith('/')).sort();
  // A certificate may be listed on several lines (a host with client certificates has one of its own).
  const listed = [...new Set(fileList.map((line) => line.split(' ')[0]!))].sort();
  reportDiff(diffs, 'certificates loaded', 'in HAProxy', 'in crt-list.txt', liveCerts.map((path) => base(path, genDir)), listed.map((path) => base(path, genDir)));
  for (const path of liveCerts) {
    const info = await cli(`show ssl cert ${path}`);
    const live = /SHA1 FingerPrint: ([0-9A-F]+)/.exec(info)?.[1];
    const pem = await readFile(path, 'utf8').catch(() => undefined);
    const file = pem === undefined ? 'no file' : fingerprintsOf(pem).sha1;
    if (live !== file) diffs.push(`${base(path, genDir)}: certificate ${live ?? 'unknown'} live, ${file} in the file`);
  }
  return { diffs, draining };
}

/** The backend names the files use: own sections, and spares as backends.map says. */
export async function namesFromFiles(loaded: Loaded): Promise<BackendNames> {
  const sections = [...loaded.backends.keys()];
  const spares = sections.filter((name) => name.startsWith(SPARE_PREFIX)).length;
  const own = new Set(sections.filter((name) => !name.startsWith('portero:')));
  const spareOf = new Map<string, number>();
  const labels = await readFile(join(loaded.genDir, 'backends.map'), 'utf8').catch(() => '');
  for (const line of labels.split('\n')) {
    const match = /^portero:spare:(\d+) ([^/]+)\/([^:]+):(\d+)$/.exec(line.trim());
    if (match) spareOf.set(backendId(match[2]!, match[3]!, Number(match[4])), Number(match[1]));
  }
  return new BackendNames(
    { backends: new Map([...own].map((id) => [id, backendSettings(undefined)])), spares, capabilities: { exactLookup: false, wildcardLookup: false, deepWildcardLookup: false, redirect: false, wildcardRedirect: false, regexLookup: false, candidates: false, passthrough: false, canaries: [], globals: {}, clientAuth: [], ports: [], scopes: [] } },
    spareOf,
  );
}

async function filesUnder(directory: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(join(directory, entry.name), `${prefix}${entry.name}/`)));
    else out.push(`${prefix}${entry.name}`);
  }
  return out;
}

/**
 * The files of the loaded generation against what the data plane renders for
 * `model` under the backend names the files use: every map, the crt-list and
 * every PEM file, plus the servers of every backend section of haproxy.cfg.
 */
export async function compareFilesWithModel(stateDir: string, model: Model): Promise<string[]> {
  const loaded = await readLoaded(stateDir);
  const names = await namesFromFiles(loaded);
  const diffs: string[] = [];
  const expected = renderFiles(model, loaded.genDir, names);
  const onDisk = new Set((await filesUnder(loaded.genDir)).filter((path) => !path.endsWith('.tmp')));
  for (const file of expected) {
    onDisk.delete(file.path);
    const actual = await readFile(join(loaded.genDir, file.path), 'utf8').catch(() => undefined);
    if (actual === undefined) diffs.push(`${file.path}: rendered for the model, missing on disk`);
    else if (actual !== file.content) {
      if (file.path.endsWith('.map') || file.path.endsWith('.txt')) reportDiff(diffs, `${file.path} (file vs model)`, 'in the file', 'rendered for the model', mapLines(actual), mapLines(file.content));
      else diffs.push(`${file.path}: differs from what the model renders`);
    }
  }
  for (const path of onDisk) diffs.push(`${path}: on disk, not rendered for the model`);

  const wanted = new Map<string, string[]>();
  for (const backend of model.backends) {
    const name = names.nameOf(backend.id);
    if (name === undefined) {
      if (backend.endpoints.length > 0) diffs.push(`backend ${backend.id} has endpoints but no HAProxy backend in the files`);
      continue;
    }
    wanted.set(name, backend.endpoints.map((endpoint) => `${name}/${serverName(endpoint.address, endpoint.port).text} ${endpoint.address}:${endpoint.port}`));
  }
  const inConfig = [...loaded.backends].flatMap(([backend, servers]) => [...servers].map(([server, address]) => `${backend}/${server} ${address}`)).sort();
  reportDiff(diffs, 'servers (haproxy.cfg vs model)', 'in haproxy.cfg', 'for the model', inConfig, [...wanted.values()].flat().sort());
  return diffs;
}
