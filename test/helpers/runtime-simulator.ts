// A stand-in for HAProxy's runtime API that carries out the commands Portero
// sends with HAProxy's own semantics, so that unit tests can check a runtime
// plan against the files a reload would write:
// - `add map` appends an entry, a duplicate when the key exists already;
// - `set map` sets every entry with the key; `del map` removes every one;
// - `prepare map` / `add map @V` / `commit map @V` replace a map whole;
// - servers are added in maintenance, made ready, drained and deleted;
// - `add acl` / `del acl` change a pattern file loaded with `-f`.
// `afterCommand` sees the state after each command, for checks of what a
// request arriving between two commands would meet (candidates.map entries
// must be there before a route names them, and stay until it no longer does).

import type { RuntimeApi, RuntimeCommand } from '../../src/dataplane/haproxy/runtime.js';

export interface SimulatedState {
  /** Map file → entries in order, duplicates kept. */
  maps: Map<string, [string, string][]>;
  /** `backend/server` → `address state`. */
  servers: Map<string, string>;
  /** ACL pattern file → patterns in order, duplicates kept. */
  acls: Map<string, string[]>;
}

function unescape(arg: string): string {
  return arg.replace(/\\([ ;])/g, '$1');
}

export class RuntimeSimulator {
  readonly state: SimulatedState = { maps: new Map(), servers: new Map(), acls: new Map() };
  readonly sent: string[] = [];
  private readonly versions = new Map<string, [string, string][]>();
  private nextVersion = 1;
  /** Makes the n-th command (0-based) fail, as HAProxy refusing it would. */
  failAt: number | undefined;
  /** Called after every command is carried out. */
  afterCommand: ((command: string) => void) | undefined;

  /** Loads a map as a reload would, from the content of its file. */
  load(file: string, content: string): void {
    const entries = content
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(' ');
        return [line.slice(0, space), line.slice(space + 1)] as [string, string];
      });
    this.state.maps.set(file, entries);
  }

  /** Loads an ACL pattern file (`-f`) as a reload would. */
  loadAcl(file: string, content: string): void {
    this.state.acls.set(file, content.split('\n').filter(Boolean));
  }

  /** An ACL pattern file's patterns, sorted, duplicates kept. */
  acl(file: string): string[] {
    return [...(this.state.acls.get(file) ?? [])].sort();
  }

  /** A lookup in a map as map_str does it: the first entry with the key. */
  lookup(file: string, key: string): string | undefined {
    return (this.state.maps.get(file) ?? []).find((entry) => entry[0] === key)?.[1];
  }

  /** A map as sorted `key value` lines, duplicates kept. */
  lines(file: string): string[] {
    return (this.state.maps.get(file) ?? []).map(([key, value]) => `${key} ${value}`).sort();
  }

  get api(): RuntimeApi {
    const run = async (commands: readonly RuntimeCommand[]) => commands.map((command) => this.execute(command));
    return { run, one: async (text: string) => this.execute({ text, expect: /[\s\S]*/ }) } as unknown as RuntimeApi;
  }

  private execute(command: RuntimeCommand): string {
    const index = this.sent.length;
    this.sent.push(command.payload === undefined ? command.text : `${command.text} << ${command.payload}`);
    if (this.failAt === index) throw new Error(`simulated failure of "${command.text}"`);
    // Words are separated by spaces that are not escaped, as HAProxy's CLI reads them.
    const words = command.text.split(/(?<!\\) /).map(unescape);
    const [verb, noun] = words;
    let answer = '';
    if (noun === 'map') answer = this.mapCommand(verb!, words.slice(2), command.payload);
    else if (noun === 'server') answer = this.serverCommand(verb!, words.slice(2));
    else if (noun === 'acl') {
      // `add acl` appends (a duplicate too), `del acl` removes every equal pattern; an ACL file HAProxy never loaded is unknown.
      const [file, pattern] = words.slice(2) as [string, string];
      const patterns = this.state.acls.get(file);
      if (!patterns) throw new Error(`Unknown ACL identifier: ${file} (the configuration never loaded it)`);
      if (verb === 'add') patterns.push(pattern);
      else if (verb === 'del') this.state.acls.set(file, patterns.filter((entry) => entry !== pattern));
    }
    this.afterCommand?.(command.text);
    return answer;
  }

  private mapCommand(verb: string, args: string[], payload: string | undefined): string {
    if (verb === 'prepare') {
      const version = String(this.nextVersion++);
      this.versions.set(`${args[0]}@${version}`, []);
      return `New version created: ${version}`;
    }
    if (args[0]?.startsWith('@')) {
      const [version, file] = [args[0].slice(1), args[1]!];
      const pending = this.versions.get(`${file}@${version}`)!;
      if (verb === 'add') {
        for (const line of (payload ?? '').split('\n').filter(Boolean)) {
          const space = line.indexOf(' ');
          pending.push([unescape(line.slice(0, space)), unescape(line.slice(space + 1))]);
        }
      } else if (verb === 'commit') {
        this.state.maps.set(file, pending);
        this.versions.delete(`${file}@${version}`);
      }
      return '';
    }
    const [file, key, value] = args as [string, string, string | undefined];
    const entries = this.state.maps.get(file) ?? [];
    this.state.maps.set(file, entries);
    if (verb === 'add') entries.push([key, value!]);
    else if (verb === 'set') {
      for (const entry of entries) if (entry[0] === key) entry[1] = value!;
    } else if (verb === 'del') this.state.maps.set(file, entries.filter((entry) => entry[0] !== key));
    return '';
  }

  private serverCommand(verb: string, args: string[]): string {
    const [target] = args as [string];
    if (verb === 'add') this.state.servers.set(target, `${args[1]} maint`);
    else if (verb === 'del') this.state.servers.delete(target);
    else if (verb === 'set' && args[1] === 'state') {
      const address = (this.state.servers.get(target) ?? '').split(' ')[0];
      this.state.servers.set(target, `${address} ${args[2]}`);
    }
    return 'New server registered.';
  }
}
