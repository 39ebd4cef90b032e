// The pure companion of the invariant test: the data plane's own planner and
// executor (planChange, executePlan) run against a simulated HAProxy that
// interprets the runtime commands with HAProxy's semantics:
//   add map   appends an entry, even when the key is there already (a duplicate)
//   del map   removes every entry with the key
//   set map   sets every entry with the key
//   prepare/add @V/commit   replace a whole map
//   map_beg   longest matching prefix; map_str exact match
// plus servers (added in maintenance, made ready, drained, deleted),
// certificate stores and crt-list entries. After every step the simulated
// live state must equal what a fresh start would load (the rendered files),
// and route every request the same way.

import { planChange, type LiveState } from '../../../src/dataplane/haproxy/plan.js';
import { HOSTLESS_LEVEL, INVALID_BACKEND, MAP_FILES, NOT_FOUND_BACKEND, UNAVAILABLE_BACKEND, mapContents, renderFiles, type MapName } from '../../../src/dataplane/haproxy/render-files.js';
import { serverName } from '../../../src/dataplane/haproxy/render-config.js';
import { executePlan } from '../../../src/dataplane/haproxy/runtime-apply.js';
import { RuntimeError, type RuntimeApi, type RuntimeCommand } from '../../../src/dataplane/haproxy/runtime.js';
import { BackendNames, structureFor, SPARE_PREFIX, type Structure } from '../../../src/dataplane/haproxy/structure.js';
import { GENERATION_FILES } from '../../../src/dataplane/haproxy/layout.js';
import type { Model } from '../../../src/model/model.js';
import { exemptFromHttpsRedirect } from '../../../src/model/globals.js';

interface Entry {
  key: string;
  value: string;
}

interface SimServer {
  address: string;
  state: 'maint' | 'ready' | 'drain';
}

const unescape = (text: string) => text.replace(/\\;/g, ';');

/** An HAProxy worker's runtime state, driven by runtime API commands. */
export class SimulatedHaproxy {
  readonly maps = new Map<string, Entry[]>();
  /** ACL pattern files loaded with `-f` (sections' source lists) → patterns. */
  readonly acls = new Map<string, string[]>();
  readonly servers = new Map<string, Map<string, SimServer>>();
  readonly certificates = new Map<string, string>();
  private readonly transactions = new Map<string, string>();
  /** crt-list file → entries `certificate-file sni…`, in order. */
  readonly crtLists = new Map<string, string[]>();
  private readonly versions = new Map<string, { version: number; entries: Entry[] }>();
  private nextVersion = 1;
  /** Every command received, for reports. */
  readonly log: string[] = [];

  /** What a (re)load from files gives: `files` are paths → contents, `backends` the config's sections and servers. */
  load(files: ReadonlyMap<string, string>, mapPaths: readonly string[], crtList: string, backends: ReadonlyMap<string, ReadonlyMap<string, string>>): void {
    this.maps.clear();
    this.acls.clear();
    for (const [path, text] of files) if (path.includes('/sources/')) this.acls.set(path, text.split('\n').filter((line) => line !== ''));
    this.servers.clear();
    this.certificates.clear();
    this.transactions.clear();
    this.crtLists.clear();
    this.versions.clear();
    for (const path of mapPaths) {
      const text = files.get(path) ?? '';
      this.maps.set(path, text.split('\n').filter((line) => line !== '').map((line) => ({ key: line.split(' ')[0]!, value: line.split(' ').slice(1).join(' ') })));
    }
    const list = (files.get(crtList) ?? '').split('\n').filter((line) => line !== '');
    this.crtLists.set(crtList, list);
    for (const line of list) {
      const file = line.split(' ')[0]!;
      this.certificates.set(file, files.get(file) ?? '');
    }
    for (const [backend, servers] of backends) this.servers.set(backend, new Map([...servers].map(([name, address]) => [name, { address, state: 'ready' as const }])));
  }

  private execute(command: RuntimeCommand): string {
    const words = command.text.split(' ');
    const payload = (command.payload ?? '').split('\n').filter((line) => line.trim() !== '');
    const verb = `${words[0]} ${words[1]}`;
    const map = (path: string) => this.maps.get(path);
    switch (verb) {
      case 'add server': {
        const [backend, server] = words[2]!.split('/') as [string, string];
        const servers = this.servers.get(backend);
        if (!servers) return 'No such backend.';
        if (servers.has(server)) return 'Already exists a server with the same name in backend.';
        servers.set(server, { address: words[3]!, state: 'maint' });
        return 'New server registered.';
      }
      case 'set server': {
        const [backend, server] = words[2]!.split('/') as [string, string];
        const found = this.servers.get(backend)?.get(server);
        if (!found) return 'No such server.';
        found.state = words[4] as SimServer['state'];
        return '';
      }
      case 'del server': {
        const [backend, server] = words[2]!.split('/') as [string, string];
        const servers = this.servers.get(backend);
        const found = servers?.get(server);
        if (!found) return 'No such server.';
        if (found.state !== 'maint') return 'Only servers in maintenance mode can be deleted.';
        servers!.delete(server);
        return 'Server deleted.';
      }
      case 'add map': {
        if (words[2]!.startsWith('@')) {
          const version = Number(words[2]!.slice(1));
          const pending = this.versions.get(words[3]!);
          if (!pending || pending.version !== version) return 'Unknown map version.';
          for (const line of payload) pending.entries.push({ key: unescape(line.split(' ')[0]!), value: line.split(' ').slice(1).join(' ') });
          return '';
        }
        const entries = map(words[2]!);
        if (!entries) return 'Unknown map identifier. Please use #<id> or <file>.';
        entries.push({ key: unescape(words[3]!), value: words[4]! });
        return '';
      }
      case 'set map': {
        const entries = map(words[2]!);
        if (!entries) return 'Unknown map identifier. Please use #<id> or <file>.';
        const key = unescape(words[3]!);
        const hits = entries.filter((entry) => entry.key === key);
        if (hits.length === 0) return 'Key not found.';
        for (const entry of hits) entry.value = words[4]!;
        return '';
      }
      case 'del map': {
        const entries = map(words[2]!);
        if (!entries) return 'Unknown map identifier. Please use #<id> or <file>.';
        const key = unescape(words[3]!);
        const kept = entries.filter((entry) => entry.key !== key);
        if (kept.length === entries.length) return 'Key not found.';
        this.maps.set(words[2]!, kept);
        return '';
      }
      case 'prepare map': {
        if (!map(words[2]!)) return 'Unknown map identifier. Please use #<id> or <file>.';
        const version = this.nextVersion++;
        this.versions.set(words[2]!, { version, entries: [] });
        return `New version created: ${version}`;
      }
      case 'commit map': {
        const version = Number(words[2]!.slice(1));
        const pending = this.versions.get(words[3]!);
        if (!pending || pending.version !== version) return 'Unknown map version.';
        this.maps.set(words[3]!, pending.entries);
        this.versions.delete(words[3]!);
        return '';
      }
      case 'add acl':
      case 'del acl': {
        const patterns = this.acls.get(words[2]!);
        if (!patterns) return 'Unknown ACL identifier. Please use #<id> or <file>.';
        if (verb === 'add acl') patterns.push(words[3]!);
        else this.acls.set(words[2]!, patterns.filter((pattern) => pattern !== words[3]));
        return '';
      }
      case 'new ssl': {
        const file = words[3]!;
        if (this.certificates.has(file)) return `Certificate '${file}' already exists!`;
        this.certificates.set(file, '');
        return `New empty certificate store '${file}'!`;
      }
      case 'set ssl': {
        const file = words[3]!;
        if (!this.certificates.has(file)) return `Can't replace a certificate which is not referenced by the configuration!`;
        this.transactions.set(file, `${payload.join('\n')}\n`);
        return `Transaction created for certificate ${file}!`;
      }
      case 'commit ssl': {
        const file = words[3]!;
        const pending = this.transactions.get(file);
        if (pending === undefined) return 'No ongoing transaction!';
        this.certificates.set(file, pending);
        this.transactions.delete(file);
        return `Committing ${file}\nSuccess!`;
      }
      case 'add ssl': {
        const list = this.crtLists.get(words[3]!);
        if (!list) return `crt-list '${words[3]}' does not exist!`;
        for (const line of payload) {
          if (!this.certificates.has(line.split(' ')[0]!)) return `certificate '${line.split(' ')[0]}' does not exist!`;
          list.push(line.trim());
        }
        return `Inserting certificate in crt-list '${words[3]}'.\nSuccess!`;
      }
      case 'del ssl': {
        if (words[2] === 'crt-list') {
          const list = this.crtLists.get(words[3]!);
          const kept = list?.filter((line) => line.split(' ')[0] !== words[4]);
          if (!list || !kept || kept.length === list.length) return `Can't find the entry '${words[4]}'!`;
          // As HAProxy: a certificate listed on several lines (client authentication's) needs a line number.
          if (list.length - kept.length > 1) return `Can't delete the entry: found the certificate '${words[4]}' in several entries, please specify a line number preceded by colons!`;
          this.crtLists.set(words[3]!, kept);
          return `Entry '${words[4]}' deleted in crtlist '${words[3]}'!`;
        }
        const file = words[3]!;
        const used = [...this.crtLists.values()].some((list) => list.some((line) => line.split(' ')[0] === file));
        if (!this.certificates.has(file)) return `certificate '${file}' doesn't exist!`;
        if (used) return `certificate '${file}' in use, can't be deleted!`;
        this.certificates.delete(file);
        return `Certificate '${file}' deleted!`;
      }
    }
    return `Unknown command: ${command.text}`;
  }

  /** Like RuntimeApi.run: HAProxy executes every command of a batch, then the answers are checked in order. */
  async run(commands: readonly RuntimeCommand[]): Promise<string[]> {
    const answers = commands.map((command) => {
      this.log.push(command.payload === undefined ? command.text : `${command.text} << ${command.payload.trim().split('\n').join(' | ')}`);
      return this.execute(command);
    });
    commands.forEach((command, index) => {
      const answer = answers[index]!;
      const ok = command.expect === 'empty' ? answer === '' : command.expect.test(answer);
      if (!ok) throw new RuntimeError(`"${command.text}" failed: ${answer.split('\n')[0] || '(no answer)'}`);
    });
    return answers;
  }

  async one(text: string, expect: RegExp | 'empty' = /[\s\S]*/): Promise<string> {
    return (await this.run([{ text, expect }]))[0] ?? '';
  }
}

// ---------------------------------------------------------------------------
// Routing as the rendered rules do it, over a set of maps.

export interface SimulatedMaps {
  hosts: ReadonlyMap<string, string>;
  exact: ReadonlyMap<string, string>;
  /** Prefix entries by level (the key up to its first `/`), in map order. */
  prefix: ReadonlyMap<string, readonly Entry[]>;
  redirect: ReadonlySet<string>;
}

function byLevel(entries: readonly Entry[]): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  for (const entry of entries) {
    const level = entry.key.slice(0, entry.key.indexOf('/'));
    const list = out.get(level) ?? [];
    list.push(entry);
    out.set(level, list);
  }
  return out;
}

/** The first entry per key (what a lookup finds first when a map holds duplicates). */
function firstByKey(entries: readonly Entry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries) if (!out.has(entry.key)) out.set(entry.key, entry.value);
  return out;
}

/** `redirect` or the HAProxy backend name the rules choose, for a plain-HTTP request. */
export function routeThrough(maps: SimulatedMaps, structure: Structure, hostHeader: string, pathWithQuery: string): string {
  const host = (hostHeader.split(':')[0] ?? '').toLowerCase();
  const wildcard = host.replace(/^[^.]*/, '*');
  const path = pathWithQuery.split('?')[0] ?? '';
  const { capabilities } = structure;
  const level = maps.hosts.get(host) ?? (capabilities.wildcardLookup ? maps.hosts.get(wildcard) : undefined) ?? HOSTLESS_LEVEL;
  // The redirect comes after the level: a wildcard TLS host redirects the hosts of its own level only.
  if (capabilities.redirect && !exemptFromHttpsRedirect(capabilities.globals, path)) {
    if (maps.redirect.has(host) || (capabilities.wildcardRedirect && maps.redirect.has(level))) return 'redirect';
  }
  const key = `${level}${path}`;
  if (capabilities.exactLookup) {
    const exact = maps.exact.get(key);
    if (exact !== undefined) return exact;
  }
  // Every prefix key of a level starts with the level and its first `/`: only that level's entries can match.
  let best: Entry | undefined;
  for (const entry of maps.prefix.get(level) ?? []) if (`${key}/`.startsWith(entry.key) && (!best || entry.key.length > best.key.length)) best = entry;
  return best ? best.value : NOT_FOUND_BACKEND;
}

// ---------------------------------------------------------------------------
// The data plane's apply loop over a simulated HAProxy.

export const SIM_STATE_DIR = '/sim';

function configServers(model: Model, names: BackendNames): Map<string, Map<string, string>> {
  const backends = new Map<string, Map<string, string>>();
  for (const id of names.structure.backends.keys()) backends.set(id, new Map());
  for (let index = 0; index < names.structure.spares; index += 1) backends.set(`${SPARE_PREFIX}${index}`, new Map());
  for (const backend of model.backends) {
    const name = names.nameOf(backend.id);
    if (name === undefined) continue;
    backends.set(name, new Map(backend.endpoints.map((endpoint) => [serverName(endpoint.address, endpoint.port).text, `${endpoint.address}:${endpoint.port}`])));
  }
  return backends;
}

export interface SimulatedApply {
  kind: 'unchanged' | 'runtime' | 'reload';
  reason?: string;
  /** Commands sent, for a runtime apply. */
  commands: string[];
  runtimeError?: string;
}

/** What a running Portero's data plane does with each new model, against a simulated HAProxy. */
export class PlanSimulator {
  readonly haproxy = new SimulatedHaproxy();
  live!: LiveState;
  private generation = 0;

  constructor(
    model: Model,
    /** Maps the configuration does not load (backends.map is loaded only with access logs). */
    private readonly unloaded: ReadonlySet<MapName> = new Set(['backends']),
  ) {
    this.reload(model);
  }

  get genDir(): string {
    return `${SIM_STATE_DIR}/gen-${this.generation}`;
  }

  private mapPaths(): string[] {
    return (Object.keys(MAP_FILES) as MapName[]).filter((name) => !this.unloaded.has(name)).map((name) => `${this.genDir}/${MAP_FILES[name]}`);
  }

  private reload(model: Model): void {
    this.generation += 1;
    const names = new BackendNames(structureFor(model));
    const files = new Map(renderFiles(model, this.genDir, names).map((file) => [`${this.genDir}/${file.path}`, file.content]));
    this.haproxy.load(files, this.mapPaths(), `${this.genDir}/${GENERATION_FILES.crtList}`, configServers(model, names));
    this.live = { model, names, sparesUsed: 0 };
  }

  /** Applies the next model the way HaproxyDataplane.applyNow does (drains complete at once). */
  async apply(next: Model): Promise<SimulatedApply> {
    const plan = planChange(this.live, next);
    if (plan.kind === 'unchanged') {
      this.live = { ...this.live, model: next };
      return { kind: 'unchanged', commands: [] };
    }
    if (plan.kind === 'reload') {
      this.reload(next);
      return { kind: 'reload', reason: plan.reason, commands: [] };
    }
    const start = this.haproxy.log.length;
    try {
      await executePlan(plan, {
        runtime: this.haproxy as unknown as RuntimeApi,
        genDir: this.genDir,
        defaultCertificateId: next.defaultCertificate.id,
        draining: new Set(),
        unloaded: this.unloaded,
      });
      // The drainer: drain, then (once idle, here at once) maintenance and delete.
      for (const change of plan.removeServers) {
        const target = `${change.backend}/${change.server}`;
        await this.haproxy.run([
          { text: `set server ${target} state drain`, expect: 'empty' },
          { text: `set server ${target} state maint`, expect: 'empty' },
          { text: `del server ${target}`, expect: /^Server deleted\.$/ },
        ]);
      }
      this.live = { model: next, names: plan.names, sparesUsed: plan.sparesUsed };
      return { kind: 'runtime', commands: this.haproxy.log.slice(start) };
    } catch (error) {
      const commands = this.haproxy.log.slice(start);
      this.reload(next);
      return { kind: 'reload', reason: 'runtime-failed', runtimeError: (error as Error).message, commands };
    }
  }

  /** The simulated live maps, by name. */
  liveMaps(): SimulatedMaps {
    const entries = (name: MapName) => this.haproxy.maps.get(`${this.genDir}/${MAP_FILES[name]}`) ?? [];
    return {
      hosts: firstByKey(entries('hosts')),
      exact: firstByKey(entries('exact')),
      prefix: byLevel(entries('prefix')),
      redirect: new Set(entries('redirect').map((entry) => entry.key)),
    };
  }

  /** The maps the files of the current state hold (what a fresh start loads). */
  fileMaps(): SimulatedMaps {
    const contents = mapContents(this.live.model, this.live.names);
    const entries = (name: MapName) => contents[name].map((entry) => ({ key: entry.key, value: entry.value.text }));
    return {
      hosts: firstByKey(entries('hosts')),
      exact: firstByKey(entries('exact')),
      prefix: byLevel(entries('prefix')),
      redirect: new Set(entries('redirect').map((entry) => entry.key)),
    };
  }

  /** Differences between the simulated live state and the rendered files. */
  compare(): string[] {
    const diffs: string[] = [];
    const { model, names } = this.live;
    const contents = mapContents(model, names);
    for (const name of Object.keys(MAP_FILES) as MapName[]) {
      if (this.unloaded.has(name)) continue;
      const live = (this.haproxy.maps.get(`${this.genDir}/${MAP_FILES[name]}`) ?? []).map((entry) => `${entry.key} ${entry.value}`).sort();
      const file = contents[name].map((entry) => `${entry.key} ${entry.value.text}`).sort();
      diffLists(diffs, MAP_FILES[name], live, file);
    }
    const wanted = configServers(model, names);
    const liveServers: string[] = [];
    for (const [backend, servers] of this.haproxy.servers) for (const [server, state] of servers) liveServers.push(`${backend}/${server} ${state.address}${state.state === 'ready' ? '' : ` (${state.state})`}`);
    const fileServers = [...wanted].flatMap(([backend, servers]) => [...servers].map(([server, address]) => `${backend}/${server} ${address}`));
    diffLists(diffs, 'servers', liveServers.sort(), fileServers.sort());
    const crtList = `${this.genDir}/${GENERATION_FILES.crtList}`;
    const files = new Map(renderFiles(model, this.genDir, names).map((file) => [`${this.genDir}/${file.path}`, file.content]));
    const fileList = (files.get(crtList) ?? '').split('\n').filter((line) => line !== '');
    diffLists(diffs, 'crt-list', [...(this.haproxy.crtLists.get(crtList) ?? [])].sort(), [...fileList].sort());
    for (const line of fileList) {
      const file = line.split(' ')[0]!;
      if (this.haproxy.certificates.get(file) !== files.get(file)) diffs.push(`${file.slice(this.genDir.length + 1)}: live certificate differs from the file`);
    }
    // Source lists: every list a section has was loaded, and each loaded one equals its file (a section without an occupant: empty).
    for (const path of files.keys()) if (path.includes('/sources/') && !this.haproxy.acls.has(path)) diffs.push(`${path.slice(this.genDir.length + 1)}: a source list HAProxy never loaded`);
    for (const [path, patterns] of this.haproxy.acls) diffLists(diffs, path.slice(this.genDir.length + 1), [...patterns].sort(), (files.get(path) ?? '').split('\n').filter((line) => line !== '').sort());
    const loaded = [...this.haproxy.certificates.keys()].sort();
    // A certificate may be listed on several lines (a host with client certificates has one of its own): one store each.
    diffLists(diffs, 'certificates', loaded, [...new Set(fileList.map((line) => line.split(' ')[0]!))].sort());
    return diffs;
  }
}

function diffLists(out: string[], what: string, live: readonly string[], file: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const line of live) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const line of file) counts.set(line, (counts.get(line) ?? 0) - 1);
  const onlyLive: string[] = [];
  const onlyFile: string[] = [];
  for (const [line, count] of counts) {
    for (let i = 0; i < count; i += 1) onlyLive.push(line);
    for (let i = 0; i < -count; i += 1) onlyFile.push(line);
  }
  if (onlyLive.length > 0) out.push(`${what}: only live: ${onlyLive.sort().join(' | ')}`);
  if (onlyFile.length > 0) out.push(`${what}: only in the files: ${onlyFile.sort().join(' | ')}`);
}

/** How a routing answer reads in reports: a backend name, `redirect`, or the 404/503 backends. */
export function describeRouted(name: string): string {
  if (name === NOT_FOUND_BACKEND) return '404';
  if (name === UNAVAILABLE_BACKEND) return '503';
  if (name === INVALID_BACKEND) return '500';
  return name;
}
