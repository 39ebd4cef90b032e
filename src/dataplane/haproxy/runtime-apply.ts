// Carries out a runtime plan over the runtime API, in an order that never
// sends a request where it cannot be served: certificates first, then new
// servers (added in maintenance, then made ready), then map entries (a new
// host's routes before the host itself; a removed host before its routes),
// then removals. Large map changes replace the whole map atomically with
// `prepare map` / `commit map`, in payloads under the 16 KiB limit.

import type { Certificate } from '../../model/model.js';
import type { MapEntry } from './config-lines.js';
import type { CertificateChanges, MapDiff, RuntimePlan, ServerChange } from './plan.js';
import { MAP_FILES, certificateFile, type MapName } from './render-files.js';
import { cliArg, MAX_PAYLOAD_BYTES, type RuntimeApi, type RuntimeCommand } from './runtime.js';

/** Above this many changed entries a map is replaced whole, in one transaction. */
const INCREMENTAL_LIMIT = 200;

export interface RuntimeCounts {
  servers: number;
  maps: number;
  certificates: number;
}

function addServerCommands(changes: readonly ServerChange[], draining: ReadonlySet<string>): RuntimeCommand[] {
  const commands: RuntimeCommand[] = [];
  for (const change of changes) {
    const target = `${cliArg(change.backend)}/${cliArg(change.server)}`;
    if (!draining.has(`${change.backend}/${change.server}`)) {
      const address = change.address.includes(':') ? `[${change.address}]:${change.port}` : `${change.address}:${change.port}`;
      commands.push({ text: `add server ${target} ${address}`, expect: /^New server registered\.$/ });
    }
    commands.push({ text: `set server ${target} state ready`, expect: 'empty' });
  }
  return commands;
}

function mapPath(genDir: string, name: MapName): string {
  return `${genDir}/${MAP_FILES[name]}`;
}

function chunks(entries: readonly MapEntry[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const entry of entries) {
    const line = `${entry.key} ${entry.value.text}\n`;
    if (Buffer.byteLength(current) + Buffer.byteLength(line) > MAX_PAYLOAD_BYTES && current !== '') {
      out.push(current);
      current = '';
    }
    current += line;
  }
  if (current !== '') out.push(current);
  return out;
}

function incrementalAdds(diff: MapDiff, file: string): RuntimeCommand[] {
  return [
    ...diff.add.map((entry) => ({ text: `add map ${cliArg(file)} ${cliArg(entry.key)} ${cliArg(entry.value.text)}`, expect: 'empty' as const })),
    ...diff.set.map((entry) => ({ text: `set map ${cliArg(file)} ${cliArg(entry.key)} ${cliArg(entry.value.text)}`, expect: 'empty' as const })),
  ];
}

function incrementalRemoves(diff: MapDiff, file: string): RuntimeCommand[] {
  return diff.remove.map((key) => ({ text: `del map ${cliArg(file)} ${cliArg(key)}`, expect: 'empty' as const }));
}

function isLarge(diff: MapDiff): boolean {
  return diff.add.length + diff.set.length + diff.remove.length > INCREMENTAL_LIMIT;
}

function changed(diff: MapDiff): boolean {
  return diff.add.length + diff.set.length + diff.remove.length > 0;
}

function crtListLine(genDir: string, certificate: Certificate): string {
  return [`${genDir}/${certificateFile(certificate.id)}`, ...certificate.hosts].map(cliArg).join(' ');
}

function certificateCommands(changes: CertificateChanges, genDir: string, defaultId: string): { before: RuntimeCommand[]; after: RuntimeCommand[] } {
  const crtList = cliArg(`${genDir}/crt-list.txt`);
  const file = (id: string) => cliArg(`${genDir}/${certificateFile(id)}`);
  const store = (id: string, pem: string): RuntimeCommand[] => [
    { text: `set ssl cert ${file(id)}`, payload: pem, expect: /^Transaction (created|updated)/ },
    { text: `commit ssl cert ${file(id)}`, expect: /Success!/ },
  ];
  const before: RuntimeCommand[] = [];
  for (const certificate of changes.add) {
    before.push({ text: `new ssl cert ${file(certificate.id)}`, expect: /^New empty certificate store/ }, ...store(certificate.id, certificate.pem));
    before.push({ text: `add ssl crt-list ${crtList}`, payload: crtListLine(genDir, certificate), expect: /Success!/ });
  }
  for (const certificate of changes.update) before.push(...store(certificate.id, certificate.pem));
  for (const certificate of changes.relist) {
    before.push(
      { text: `del ssl crt-list ${crtList} ${file(certificate.id)}`, expect: /deleted/ },
      { text: `add ssl crt-list ${crtList}`, payload: crtListLine(genDir, certificate), expect: /Success!/ },
    );
  }
  if (changes.defaultPem !== undefined) before.push(...store(defaultId, changes.defaultPem));
  const after: RuntimeCommand[] = [];
  for (const id of changes.remove) {
    after.push({ text: `del ssl crt-list ${crtList} ${file(id)}`, expect: /deleted/ }, { text: `del ssl cert ${file(id)}`, expect: /deleted/ });
  }
  return { before, after };
}

/** Commands that replace a whole map in one transaction: prepare, fill (chunked), commit. */
async function replaceMap(runtime: RuntimeApi, file: string, diff: MapDiff): Promise<void> {
  const prepared = await runtime.one(`prepare map ${cliArg(file)}`, /^New version created: \d+$/);
  const version = /(\d+)$/.exec(prepared)?.[1];
  const fill = chunks(diff.next()).map((payload) => ({ text: `add map @${version} ${cliArg(file)}`, payload, expect: 'empty' as const }));
  await runtime.run([...fill, { text: `commit map @${version} ${cliArg(file)}`, expect: 'empty' }]);
}

export interface ExecuteOptions {
  runtime: RuntimeApi;
  genDir: string;
  defaultCertificateId: string;
  /** Servers still draining (backend/server): re-adding one only makes it ready again. */
  draining: ReadonlySet<string>;
  /** Maps the configuration does not load (backends.map is loaded only with access logs). */
  unloaded?: ReadonlySet<MapName>;
}

/** Applies everything but server removals, which the caller hands to the drainer. */
export async function executePlan(plan: RuntimePlan, options: ExecuteOptions): Promise<RuntimeCounts> {
  const { runtime, genDir } = options;
  const certificates = certificateCommands(plan.certificates, genDir, options.defaultCertificateId);
  await runtime.run([...certificates.before, ...addServerCommands(plan.addServers, options.draining)]);
  // Additions: a new host's routes before the host itself. Large changes replace the whole map.
  let adds: RuntimeCommand[] = [];
  const loaded = (name: MapName) => !options.unloaded?.has(name);
  for (const name of ['backends', 'exact', 'prefix', 'redirect', 'hosts'] as MapName[]) {
    const diff = plan.maps[name];
    if (!changed(diff) || !loaded(name)) continue;
    if (isLarge(diff)) {
      await runtime.run(adds);
      adds = [];
      await replaceMap(runtime, mapPath(genDir, name), diff);
    } else adds.push(...incrementalAdds(diff, mapPath(genDir, name)));
  }
  // Removals: a removed host before its routes.
  const removes = (['hosts', 'redirect', 'prefix', 'exact', 'backends'] as MapName[])
    .filter((name) => changed(plan.maps[name]) && !isLarge(plan.maps[name]) && loaded(name))
    .flatMap((name) => incrementalRemoves(plan.maps[name], mapPath(genDir, name)));
  await runtime.run([...adds, ...removes, ...certificates.after]);
  const c = plan.certificates;
  return {
    servers: plan.addServers.length + plan.removeServers.length,
    maps: Object.values(plan.maps).reduce((sum, diff) => sum + diff.add.length + diff.set.length + diff.remove.length, 0),
    certificates: c.add.length + c.update.length + c.relist.length + c.remove.length + (c.defaultPem === undefined ? 0 : 1),
  };
}
