// Runs HAProxy in master-worker mode under Portero and supervises it.
//
// `haproxy -W -S master.sock -f haproxy.cfg` stays in the foreground as our
// child. Reloads go through the master CLI (`reload`), which hands the
// listening sockets to the new worker, so no connection is refused. The
// master re-executes itself on reload and keeps its PID. If the master exits
// without being asked to, it is started again with the last good config.
//
// HAProxy runs in its own process group, so that a signal to Portero's group
// (Ctrl-C in a terminal, `kill -- -PGID`, `tini -g`) reaches Portero only:
// Portero decides how HAProxy stops (gracefully, after the grace period).
// systemd's KillMode=control-group signals the whole cgroup, process groups
// notwithstanding (docs/operations.md says to use KillMode=mixed); even then
// HAProxy is not started again once Portero's shutdown has begun. If Portero
// itself dies, setpriv's parent-death signal stops HAProxy.
//
// Stopping and reloading never overlap. The master loses a signal that
// arrives while it re-executes itself for a reload, and a `reload` sent to a
// master that is already stopping brings it back with a fresh worker that
// nobody stops: either way HAProxy kept serving after a SIGTERM. So once
// shutdown has begun no reload is sent, and the stop signal waits for a
// reload already sent to finish (a new worker runs, or the reload failed).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../telemetry/log.js';
import type { Layout } from './layout.js';
import { parseShowProc, sendCommand, type ProcessList } from './socket-cli.js';

export interface ProcessOptions {
  binary: string;
  layout: Layout;
  log: Logger;
  /** Called after HAProxy had to be started again because it died. */
  onRestart?: (reason: string) => void;
  /**
   * Called before HAProxy is started again after it died, to put a
   * configuration consistent with the live state in place; a failure is
   * logged and the existing configuration is used.
   */
  beforeRestart?: () => Promise<void>;
}

/**
 * `refused`: HAProxy rejected the configuration (its failed-reload count
 * rose). `unknown`: HAProxy died or went silent during the reload, so whether
 * the new configuration took cannot be known; a restart will load it.
 * `abandoned`: shutdown had begun, so HAProxy was not asked to reload; it
 * still runs the previous configuration, until it stops.
 */
export type ReloadResult = { ok: true; workerPid: number } | { ok: false; outcome: 'refused' | 'unknown' | 'abandoned'; reason: string };

const STARTUP_TIMEOUT_MS = 30_000;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));
const RELOAD_TIMEOUT_MS = 60_000;
/** Longest wait for the runtime API to reach a new worker after a reload; past it, a command that reaches the old one fails and Portero reloads again. */
const RUNTIME_HANDOVER_MS = 3_000;

let warnedNoSetpriv = false;

export class HaproxyProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartDelayMs = 100;
  private restarting: Promise<void> | undefined;
  /** Set while a restart is starting HAProxy, so that stop() can wait for it. */
  private respawning: Promise<void> | undefined;
  /** Set while a reload is in progress, so that stop() signals the master only once it no longer re-executes. */
  private reloading: Promise<ReloadResult> | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProcessOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Shutdown has begun: from now on HAProxy exiting is expected, it is never started again and never reloaded. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Starts HAProxy on the current haproxy.cfg and waits until a worker serves. */
  async start(): Promise<void> {
    await this.killStale();
    const { layout, binary, log } = this.options;
    await rm(layout.masterSocket, { force: true });
    const args = ['-W', '-S', layout.masterSocket, '-f', layout.config, '-p', layout.pidFile];
    // With setpriv, HAProxy gets SIGTERM if Portero dies: no orphan keeps serving a stale configuration.
    // setpriv execs HAProxy, so the child's PID is the master's, and its process group HAProxy's.
    // stdout is shared: HAProxy's access logs (JSON lines) go straight to Portero's stdout.
    const options = { stdio: ['ignore', 'inherit', 'pipe'] as ['ignore', 'inherit', 'pipe'], detached: true };
    if (!SETPRIV && !warnedNoSetpriv) {
      warnedNoSetpriv = true;
      log.warn('setpriv (util-linux) is not installed: if Portero is killed with SIGKILL, HAProxy keeps running');
    }
    const child = SETPRIV ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', binary, ...args], options) : spawn(binary, args, options);
    this.child = child;
    let resolveExit!: () => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    let partial = '';
    const forward = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const text of lines) logHaproxyLine(log, text);
    };
    child.stderr?.on('data', forward);
    child.on('error', (error) => log.error({ err: error.message, binary }, 'cannot run HAProxy'));
    child.on('exit', (code, signal) => {
      resolveExit();
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      log.error({ code, signal }, 'HAProxy exited unexpectedly; starting it again');
      this.scheduleRestart(`exited with ${signal ?? `code ${code}`}`);
    });
    await this.waitForWorker(child);
    this.restartDelayMs = 100;
  }

  private scheduleRestart(reason: string): void {
    if (this.restarting) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, 5000);
    this.restarting = (async () => {
      await sleep(delay);
      this.restarting = undefined;
      if (this.stopping) return;
      try {
        await this.options.beforeRestart?.().catch((error: Error) => this.options.log.warn({ err: error.message }, 'cannot write a fresh configuration before restarting HAProxy; using the last one'));
        if (this.stopping) return;
        const starting = this.start();
        this.respawning = starting.then(
          () => undefined,
          () => undefined,
        );
        try {
          await starting;
        } finally {
          this.respawning = undefined;
        }
        this.options.onRestart?.(reason);
        this.options.log.info({ reason }, 'HAProxy started again');
      } catch (error) {
        this.options.log.error({ err: (error as Error).message }, 'HAProxy could not be started again');
        this.scheduleRestart(reason);
      }
    })();
  }

  private async waitForWorker(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('HAProxy exited during start-up (see the HAProxy log lines above)');
      try {
        const list = parseShowProc(await sendCommand(this.options.layout.masterSocket, 'show proc', 2000));
        if (list.workers.length > 0) {
          await sendCommand(this.options.layout.adminSocket, 'show info', 2000);
          return;
        }
      } catch {
        // The master socket appears a few ms after start.
      }
      await sleep(10);
    }
    throw new Error(`HAProxy did not start a worker within ${STARTUP_TIMEOUT_MS / 1000} s`);
  }

  async processList(): Promise<ProcessList> {
    return parseShowProc(await sendCommand(this.options.layout.masterSocket, 'show proc', 5000));
  }

  /**
   * Asks the master to reload haproxy.cfg; resolves once a new worker runs,
   * or the reload failed. Once shutdown has begun nothing is asked
   * (`abandoned`). Reloads are serialized by the caller.
   */
  reload(): Promise<ReloadResult> {
    const reloading = this.reloadNow().finally(() => {
      if (this.reloading === reloading) this.reloading = undefined;
    });
    this.reloading = reloading;
    return reloading;
  }

  private async reloadNow(): Promise<ReloadResult> {
    const abandoned = { ok: false, outcome: 'abandoned', reason: 'Portero is stopping: HAProxy is not reloaded any more' } as const;
    if (this.stopping) return abandoned;
    let before: ProcessList;
    try {
      before = await this.processList();
    } catch (error) {
      return { ok: false, outcome: 'unknown', reason: `master CLI unreachable: ${(error as Error).message}` };
    }
    // The last moment to give up: shutdown may have begun while `show proc` ran.
    if (this.stopping) return abandoned;
    try {
      await sendCommand(this.options.layout.masterSocket, 'reload', 5000);
    } catch {
      // The master closes the CLI connection while it re-executes itself.
    }
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await sleep(10);
      if (!this.running) return { ok: false, outcome: 'unknown', reason: 'HAProxy exited during the reload' };
      let after: ProcessList;
      try {
        after = await this.processList();
      } catch {
        continue; // refused for a few hundred ms while the master re-executes
      }
      if (after.failedReloads > before.failedReloads) return { ok: false, outcome: 'refused', reason: 'HAProxy refused the new configuration (see the HAProxy log lines above)' };
      const fresh = after.workers.find((pid) => !before.workers.includes(pid));
      if (fresh !== undefined) {
        await this.runtimeReaches(fresh);
        return { ok: true, workerPid: fresh };
      }
    }
    return { ok: false, outcome: 'unknown', reason: `no new worker within ${RELOAD_TIMEOUT_MS / 1000} s` };
  }

  /**
   * Waits (at most RUNTIME_HANDOVER_MS) until the runtime API answers from
   * the new worker twice in a row. The master lists a worker as soon as it
   * forks it, while the old worker still accepts on the admin socket until
   * it is told to stop: a runtime command sent then reaches the old worker,
   * which knows only the old generation's files ("Unknown map identifier").
   */
  private async runtimeReaches(workerPid: number): Promise<void> {
    const deadline = Date.now() + RUNTIME_HANDOVER_MS;
    let inARow = 0;
    while (Date.now() < deadline && inARow < 2) {
      try {
        const pid = /^Pid: ([0-9]+)$/m.exec(await sendCommand(this.options.layout.adminSocket, 'show info', 1000))?.[1];
        inARow = Number(pid) === workerPid ? inARow + 1 : 0;
      } catch {
        inARow = 0; // the new worker is still taking the socket over
      }
      if (inARow < 2) await sleep(10);
    }
  }

  /**
   * Graceful stop: SIGUSR1 makes workers stop listening and finish their
   * connections (bounded by hard-stop-after); after `timeoutMs` it is forced.
   * `timeoutMs` 0 stops nothing gracefully: HAProxy's whole process group
   * (master, workers, old workers) is killed at once. Calls may overlap: a
   * forced stop ends a graceful one in progress.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (timeoutMs <= 0) {
      this.killGroup();
      await this.waitExit(3000);
      return;
    }
    // A restart waiting for its turn sees `stopping` and starts nothing; one already starting is stopped below.
    await this.respawning;
    // A reload not yet sent is abandoned (`stopping`); one sent runs to its end
    // (bounded by RELOAD_TIMEOUT_MS), so that the master is not re-executing
    // itself when the signal arrives: it would lose it.
    await this.reloading;
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGUSR1');
    const stopped = await this.waitExit(timeoutMs);
    if (stopped) return;
    if (!this.running) return;
    this.options.log.warn({ timeoutMs }, 'HAProxy did not stop in time; terminating it');
    child.kill('SIGTERM');
    if (await this.waitExit(3000)) return;
    this.killGroup();
    await this.waitExit(3000);
  }

  /** SIGKILL to HAProxy's process group: the master and every worker, old ones too. */
  private killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** Stops an HAProxy left behind by a previous Portero that was killed (same state dir). */
  private async killStale(): Promise<void> {
    let pid: number;
    try {
      pid = Number((await readFile(this.options.layout.pidFile, 'utf8')).trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1 || pid === this.child?.pid) return;
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(this.options.layout.masterSocket)) return;
      this.options.log.warn({ pid }, 'stopping an HAProxy left behind by an earlier run');
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100; i += 1) {
        await sleep(20);
        process.kill(pid, 0);
      }
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, or not ours.
    }
  }
}

const LUA_LEVELS: Readonly<Record<string, string>> = { err: 'ALERT', crit: 'ALERT', emerg: 'ALERT', info: 'NOTICE', debug: 'NOTICE' };

/** HAProxy's own log lines ([ALERT], [WARNING], [NOTICE]) → our structured log. */
function logHaproxyLine(log: Logger, raw: string): void {
  const text = raw.trim();
  if (text === '') return;
  // HAProxy's own messages (`[WARNING]  (pid) : ...`), and those of Lua code
  // (core.Warning and friends: `[warning] 335/130717 (pid) : ...`).
  const match = /^\[(ALERT|WARNING|NOTICE|alert|warning|notice|info|debug|err|crit|emerg)\]\s+(?:\d+\/\d+\s+)?\((\d+)\)\s*:\s*(.*)$/.exec(text);
  const level = match ? (LUA_LEVELS[match[1]!] ?? match[1]!.toUpperCase()) : undefined;
  const message = match?.[3] ?? text;
  const fields = { component: 'haproxy', pid: match ? Number(match[2]) : undefined };
  if (level === 'ALERT') log.error(fields, message);
  else if (level === 'WARNING' && /exited with code 0|Exiting\.\.\. \(0\)/.test(message)) log.info(fields, message);
  else if (level === 'WARNING' && /^CLI : /.test(message)) log.debug(fields, message);
  else if (level === 'WARNING' && !/stopped \(cumulated conns|Former worker|Reexecuting Master|Exiting Master/.test(message)) log.warn(fields, message);
  else log.debug(fields, message);
}
