// Graceful removal of servers: a removed endpoint is put in `drain` at once
// (no new requests), and deleted once it has no connection in use, or after
// `maxDrainMs` (its sessions are then shut down). An endpoint that comes back
// while draining is simply made ready again.

import type { Logger } from '../../telemetry/log.js';
import type { ServerChange } from './plan.js';
import { ident } from './config-lines.js';
import { serverArg, type RuntimeApi } from './runtime.js';

const POLL_MS = 250;

interface Draining {
  change: ServerChange;
  since: number;
}

/** Parses `show servers conn <backend>`: server name → connections in use. */
export function parseServersConn(text: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const [backend, server] = (fields[0] ?? '').split('/');
    if (backend === undefined || server === undefined) continue;
    used.set(server, Number(fields[6] ?? '0'));
  }
  return used;
}

export class Drainer {
  private readonly draining = new Map<string, Draining>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runtime: () => RuntimeApi,
    private readonly log: Logger,
    private readonly maxDrainMs: number,
    /** Runs work under the data plane's lock, so deletions never race with additions. */
    private readonly exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  ) {}

  /** backend/server of every server still draining. */
  get keys(): ReadonlySet<string> {
    return new Set(this.draining.keys());
  }

  /** Puts the servers in `drain` and tracks them until they are deleted. */
  async drain(changes: readonly ServerChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.runtime().run(changes.map((change) => ({ text: `set server ${serverArg(change.backend, change.server)} state drain`, expect: 'empty' as const })));
    const now = Date.now();
    for (const change of changes) this.draining.set(`${change.backend}/${change.server}`, { change, since: now });
    this.schedule();
  }

  /** The servers made ready again by an addition are no longer draining. */
  revived(changes: readonly ServerChange[]): void {
    for (const change of changes) this.draining.delete(`${change.backend}/${change.server}`);
  }

  /** A reload starts from the configuration: nothing drains in the new worker. */
  reset(): void {
    this.draining.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.draining.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exclusive(() => this.reap()).catch((error: Error) => this.log.warn({ err: error.message }, 'removing drained servers failed; retrying'))
        .finally(() => this.schedule());
    }, POLL_MS);
  }

  private async reap(): Promise<void> {
    const byBackend = new Map<string, Draining[]>();
    for (const entry of this.draining.values()) {
      const list = byBackend.get(entry.change.backend) ?? [];
      list.push(entry);
      byBackend.set(entry.change.backend, list);
    }
    const runtime = this.runtime();
    for (const [backend, entries] of byBackend) {
      const used = parseServersConn(await runtime.one(`show servers conn ${ident(backend).text}`));
      for (const entry of entries) {
        const inUse = used.get(entry.change.server);
        const expired = Date.now() - entry.since > this.maxDrainMs;
        if (inUse !== undefined && inUse > 0 && !expired) continue;
        const target = serverArg(backend, entry.change.server);
        if (inUse !== undefined) {
          await runtime.run([
            ...(inUse > 0 ? [{ text: `shutdown sessions server ${target}`, expect: 'empty' as const }] : []),
            { text: `set server ${target} state maint`, expect: 'empty' },
          ]);
          try {
            await runtime.run([{ text: `del server ${target}`, expect: /^Server deleted\.$/ }]);
          } catch (error) {
            // Idle connections HAProxy keeps to the server go shortly after it is in maintenance: try again on the next pass, and go on with the others.
            if (!/still has connections attached/i.test((error as Error).message)) throw error;
            this.log.debug({ server: `${backend}/${entry.change.server}` }, 'drained server still holds idle connections; deleting it on the next pass');
            continue;
          }
        }
        this.draining.delete(`${backend}/${entry.change.server}`);
      }
    }
  }
}
