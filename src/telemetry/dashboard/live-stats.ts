// Live server state and counters from HAProxy's runtime API (`show stat`),
// for the backends on the page a dashboard shows. Asked per section (at most
// a page's worth, pipelined on one connection), never for all 10,000
// backends, and cached for a second: any number of open dashboards costs
// HAProxy at most one question per section and second.

import { ident } from '../../dataplane/haproxy/config-lines.js';
import { cliArg, type RuntimeApi } from '../../dataplane/haproxy/runtime.js';

export type ServerState = 'up' | 'down' | 'drain' | 'maintenance' | 'unknown';

export interface ServerStats {
  server: string;
  /** `address:port` as HAProxy holds it. */
  address: string;
  state: ServerState;
  /** HAProxy's own words (`no check`, `MAINT (resolution)`, ...). */
  status: string;
  backup: boolean;
  /** Current and total sessions, bytes in and out, 5xx answers, seconds since the last session (-1: never). */
  current: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  errors5xx: number;
  lastSession: number;
}

const CACHE_MS = 1000;
/** A page holds at most 200 routes, a route a few backends. */
export const MAX_SECTIONS = 400;

/** HAProxy's status column → the dashboard's state. Without health checks an up server says `no check`. */
export function serverState(status: string): ServerState {
  const word = status.split(' ')[0]?.toUpperCase() ?? '';
  if (word === 'UP' || status === 'no check' || word === 'NOLB') return 'up';
  if (word === 'DRAIN') return 'drain';
  if (word === 'MAINT') return 'maintenance';
  if (word === 'DOWN') return 'down';
  return 'unknown';
}

/** Parses `show stat <section> 4 -1` (CSV with a `# ` header line): one entry per server. */
export function parseShowStat(text: string): ServerStats[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = lines.find((line) => line.startsWith('# '));
  if (!header) return [];
  const columns = header.slice(2).split(',');
  const at = (name: string) => columns.indexOf(name);
  const index = { svname: at('svname'), status: at('status'), scur: at('scur'), stot: at('stot'), bin: at('bin'), bout: at('bout'), bck: at('bck'), h5: at('hrsp_5xx'), last: at('lastsess'), addr: at('addr'), type: at('type') };
  const number = (fields: string[], i: number, fallback = 0) => (i >= 0 && fields[i] !== undefined && fields[i] !== '' ? Number(fields[i]) : fallback);
  return lines
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.split(','))
    .filter((fields) => fields[index.type] === '2')
    .map((fields) => {
      const status = fields[index.status] ?? '';
      return {
        server: fields[index.svname] ?? '',
        address: fields[index.addr] ?? '',
        state: serverState(status),
        status,
        backup: fields[index.bck] === '1',
        current: number(fields, index.scur),
        total: number(fields, index.stot),
        bytesIn: number(fields, index.bin),
        bytesOut: number(fields, index.bout),
        errors5xx: number(fields, index.h5),
        lastSession: number(fields, index.last, -1),
      };
    });
}

/** A section name as the dataplane gives it; anything else never reaches the socket. */
const SECTION = /^[A-Za-z0-9_.:-]{1,200}$/;

export class LiveStats {
  private readonly cache = new Map<string, { at: number; servers: ServerStats[] }>();
  private readonly inFlight = new Map<string, Promise<ServerStats[] | undefined>>();

  constructor(
    private readonly runtime: () => RuntimeApi | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The servers of each section (undefined: HAProxy could not be asked, or the section is unknown). */
  async servers(sections: readonly string[]): Promise<Map<string, ServerStats[] | undefined>> {
    const wanted = [...new Set(sections)].filter((section) => SECTION.test(section)).slice(0, MAX_SECTIONS);
    const now = this.now();
    const missing = wanted.filter((section) => {
      const cached = this.cache.get(section);
      return (!cached || now - cached.at >= CACHE_MS) && !this.inFlight.has(section);
    });
    if (missing.length > 0) {
      const batch = this.fetch(missing);
      for (const [i, section] of missing.entries()) this.inFlight.set(section, batch.then((all) => all?.[i]));
      batch.finally(() => missing.forEach((section) => this.inFlight.delete(section))).catch(() => undefined);
    }
    const result = new Map<string, ServerStats[] | undefined>();
    for (const section of wanted) {
      const pending = this.inFlight.get(section);
      result.set(section, pending ? await pending : this.cache.get(section)?.servers);
    }
    return result;
  }

  private async fetch(sections: readonly string[]): Promise<(ServerStats[] | undefined)[] | undefined> {
    const runtime = this.runtime();
    if (!runtime) return undefined;
    try {
      const answers = await runtime.run(sections.map((section) => ({ text: `show stat ${cliArg(ident(section))} 4 -1`, expect: /[\s\S]*/ })));
      const at = this.now();
      // Old entries go, so the cache never outgrows what dashboards look at.
      for (const [section, entry] of this.cache) if (at - entry.at > 60_000) this.cache.delete(section);
      return answers.map((answer, i) => {
        // An unknown section answers an error line, not CSV.
        if (!answer.includes('# pxname')) return undefined;
        const servers = parseShowStat(answer);
        this.cache.set(sections[i]!, { at, servers });
        return servers;
      });
    } catch {
      return undefined;
    }
  }
}
