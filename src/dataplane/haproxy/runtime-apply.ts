// Carries out a runtime plan over the runtime API, in an order that never
// sends a request where it cannot be served: certificates first, then new
// servers (added in maintenance, then made ready), then map entries (a new
// host's routes before the host itself; a removed host before its routes; a
// route's candidate list before the route names it, and removed only after
// it no longer does), then removals. Large map changes replace the whole map
// atomically with `prepare map` / `commit map`, in payloads under the 16 KiB
// limit.

import type { Certificate } from '../../model/model.js';
import { address, crtListLine, filePath, ident, mapKey, mapLine, type MapEntry, type Safe } from './config-lines.js';
import { patternOf } from './features/source-lists.js';
import { GENERATION_FILES } from './layout.js';
import { changeCounts, diffSize, type CertificateChanges, type MapDiff, type RuntimeCounts, type RuntimePlan, type ServerChange } from './plan.js';
import { MAP_FILES, certificateFile, type MapName } from './render-files.js';
import { cliArg, cliValue, cliWords, MAX_PAYLOAD_BYTES, serverArg, type RuntimeApi, type RuntimeCommand } from './runtime.js';

/** Above this many changed entries a map is replaced whole, in one transaction. */
const INCREMENTAL_LIMIT = 200;

/**
 * New servers: added (in maintenance) with their backend's server options,
 * then, in backends with affinity, the dynamic-cookie key set again so that
 * they get their cookie value, and only then made ready.
 */
function addServerCommands(changes: readonly ServerChange[], draining: ReadonlySet<string>): RuntimeCommand[] {
  const adds: RuntimeCommand[] = [];
  const keys = new Map<string, RuntimeCommand>();
  const ready: RuntimeCommand[] = [];
  for (const change of changes) {
    const target = serverArg(change.backend, change.server);
    if (!draining.has(`${change.backend}/${change.server}`)) {
      const options = change.options ? ` ${cliWords(change.options)}` : '';
      adds.push({ text: `add server ${target} ${address(change.address, change.port).text}${options}`, expect: /^New server registered\.$/ });
      if (change.cookieKey) {
        keys.set(change.backend, { text: `set dynamic-cookie-key backend ${ident(change.backend).text} ${cliArg(change.cookieKey)}`, expect: 'empty' });
      }
    }
    ready.push({ text: `set server ${target} state ready`, expect: 'empty' });
  }
  return [...adds, ...keys.values(), ...ready];
}

function mapPath(genDir: string, name: MapName): Safe {
  return filePath(`${genDir}/${MAP_FILES[name]}`);
}

function chunks(entries: readonly MapEntry[]): string[] {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const entry of entries) {
    const line = `${mapLine(entry)}\n`;
    const lineBytes = Buffer.byteLength(line);
    if (bytes + lineBytes > MAX_PAYLOAD_BYTES && current !== '') {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += line;
    bytes += lineBytes;
  }
  if (current !== '') out.push(current);
  return out;
}

function incrementalAdds(diff: MapDiff, file: Safe): RuntimeCommand[] {
  const entryArgs = (entry: MapEntry) => `${cliArg(file)} ${cliArg(mapKey(entry.key))} ${cliValue(entry.value)}`;
  return [
    ...diff.add.map((entry) => ({ text: `add map ${entryArgs(entry)}`, expect: 'empty' as const })),
    ...diff.set.map((entry) => ({ text: `set map ${entryArgs(entry)}`, expect: 'empty' as const })),
  ];
}

function incrementalRemoves(diff: MapDiff, file: Safe): RuntimeCommand[] {
  return diff.remove.map((key) => ({ text: `del map ${cliArg(file)} ${cliArg(mapKey(key))}`, expect: 'empty' as const }));
}

/** Large changes replace the whole map; so does any change of regex.map, whose order decides (map_reg takes the first match). */
function isLarge(diff: MapDiff, name: MapName): boolean {
  return name === 'regex' || diffSize(diff) > INCREMENTAL_LIMIT;
}

function certificatePath(genDir: string, id: string): string {
  return `${genDir}/${certificateFile(id)}`;
}

function crtListPayload(genDir: string, certificate: Certificate): string {
  return crtListLine({ file: certificatePath(genDir, certificate.id), sni: certificate.hosts });
}

function certificateCommands(changes: CertificateChanges, genDir: string, defaultId: string): { before: RuntimeCommand[]; after: RuntimeCommand[] } {
  const crtList = cliArg(filePath(`${genDir}/${GENERATION_FILES.crtList}`));
  const file = (id: string) => cliArg(filePath(certificatePath(genDir, id)));
  const store = (id: string, pem: string): RuntimeCommand[] => [
    { text: `set ssl cert ${file(id)}`, payload: pem, expect: /^Transaction (created|updated)/ },
    { text: `commit ssl cert ${file(id)}`, expect: /Success!/ },
  ];
  const before: RuntimeCommand[] = [];
  for (const certificate of changes.add) {
    before.push({ text: `new ssl cert ${file(certificate.id)}`, expect: /^New empty certificate store/ }, ...store(certificate.id, certificate.pem));
    before.push({ text: `add ssl crt-list ${crtList}`, payload: crtListPayload(genDir, certificate), expect: /Success!/ });
  }
  for (const certificate of changes.update) before.push(...store(certificate.id, certificate.pem));
  for (const certificate of changes.relist) {
    before.push(
      { text: `del ssl crt-list ${crtList} ${file(certificate.id)}`, expect: /deleted/ },
      { text: `add ssl crt-list ${crtList}`, payload: crtListPayload(genDir, certificate), expect: /Success!/ },
    );
  }
  if (changes.defaultPem !== undefined) before.push(...store(defaultId, changes.defaultPem));
  const after: RuntimeCommand[] = [];
  for (const id of changes.remove) {
    after.push({ text: `del ssl crt-list ${crtList} ${file(id)}`, expect: /deleted/ }, { text: `del ssl cert ${file(id)}`, expect: /deleted/ });
  }
  return { before, after };
}

/** A whole map replaced in one transaction: prepare, fill (chunked payloads), commit. */
interface MapReplacement {
  file: Safe;
  payloads: string[];
}

async function replaceMap(runtime: RuntimeApi, { file, payloads }: MapReplacement): Promise<void> {
  const prepared = await runtime.one(`prepare map ${cliArg(file)}`, /^New version created: \d+$/);
  const version = /(\d+)$/.exec(prepared)?.[1];
  const fill = payloads.map((payload) => ({ text: `add map @${version} ${cliArg(file)}`, payload, expect: 'empty' as const }));
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

/**
 * Every step of a plan, in order: batches of commands and whole-map
 * replacements. All of it is rendered before anything is sent, so a value
 * that fails its grammar stops the plan before HAProxy sees any of it.
 */
function planSteps(plan: RuntimePlan, options: ExecuteOptions): (RuntimeCommand[] | MapReplacement)[] {
  const { genDir } = options;
  const certificates = certificateCommands(plan.certificates, genDir, options.defaultCertificateId);
  const steps: (RuntimeCommand[] | MapReplacement)[] = [[...certificates.before, ...addServerCommands(plan.addServers, options.draining)]];
  const loaded = (name: MapName) => diffSize(plan.maps[name]) > 0 && !options.unloaded?.has(name);
  // Source lists: a section's new addresses first, its old ones last (features/source-lists.ts).
  const sourceFile = (path: string) => cliArg(filePath(`${genDir}/${path}`));
  steps.push(plan.sourceLists.flatMap(({ path, add }) => add.map((pattern) => ({ text: `add acl ${sourceFile(path)} ${cliArg(patternOf(path, pattern))}`, expect: 'empty' as const }))));
  // Additions: a section's values first, a route's candidate list (and a new
  // list's parts, before its first entry names them) before the route, a new
  // host's routes before the host itself. Large changes replace the whole map.
  for (const name of (['settings', 'backends', 'canary', 'candidates', 'exact', 'prefix', 'regex', 'redirect', 'hosts', 'passthrough'] as MapName[]).filter(loaded)) {
    const diff = plan.maps[name];
    // candidates.map, replaced whole, keeps the lists it loses until the routes no longer name them (below).
    const whole = name === 'candidates' ? [...diff.next(), ...diff.removed] : diff.next();
    steps.push(isLarge(diff, name) ? { file: mapPath(genDir, name), payloads: chunks(whole) } : incrementalAdds(diff, mapPath(genDir, name)));
  }
  // Removals: a removed host before its routes, a route before its candidate list (and a list's old parts).
  for (const name of (['passthrough', 'hosts', 'redirect', 'regex', 'prefix', 'exact', 'candidates', 'canary', 'backends', 'settings'] as MapName[]).filter(loaded)) {
    const diff = plan.maps[name];
    if (!isLarge(diff, name)) steps.push(incrementalRemoves(diff, mapPath(genDir, name)));
    else if (name === 'candidates' && diff.remove.length > 0) steps.push({ file: mapPath(genDir, name), payloads: chunks(diff.next()) });
  }
  steps.push(plan.sourceLists.flatMap(({ path, remove }) => remove.map((pattern) => ({ text: `del acl ${sourceFile(path)} ${cliArg(patternOf(path, pattern))}`, expect: 'empty' as const }))));
  steps.push(certificates.after);
  return steps;
}

/** Applies everything but server removals, which the caller hands to the drainer. */
export async function executePlan(plan: RuntimePlan, options: ExecuteOptions): Promise<RuntimeCounts> {
  const { runtime } = options;
  // Consecutive command batches go out together: one round trip for most changes.
  let batch: RuntimeCommand[] = [];
  for (const step of planSteps(plan, options)) {
    if (Array.isArray(step)) {
      batch.push(...step);
      continue;
    }
    await runtime.run(batch);
    batch = [];
    await replaceMap(runtime, step);
  }
  await runtime.run(batch);
  return changeCounts(plan);
}
