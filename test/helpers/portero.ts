// Runs the real bin/portero (with real HAProxy) against a temporary
// manifests directory, as a user would, and gives tests a handle on it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { toYaml, type Json } from './objects.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'portero');

export async function freePort(address = '127.0.0.1'): Promise<number> {
  return (await freePorts(1, address))[0]!;
}

/**
 * Ports tests hand to Portero, HAProxy and backends are drawn from below the
 * kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by
 * default): a port the kernel picks for `listen(0)` is one it may also pick
 * as the local port of any outgoing connection (a client request, HAProxy
 * connecting to a backend) before the test binds it, which made a bind
 * fail now and then ("Address already in use") on a busy machine.
 */
const PORT_LOW = 20_000;
const PORT_HIGH = 32_767;

function listenOn(server: ReturnType<typeof createServer>, port: number, address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(false) : reject(error));
    server.once('error', failed);
    server.listen(port, address, () => {
      server.off('error', failed);
      resolve(true);
    });
  });
}

/**
 * `count` distinct free ports. All are held open until every one is known:
 * a port closed at once may be handed out again by the very next request
 * (this made two of Portero's ports equal, which it refuses, once in a while).
 */
export async function freePorts(count: number, address = '127.0.0.1'): Promise<number[]> {
  const servers: ReturnType<typeof createServer>[] = [];
  try {
    const ports: number[] = [];
    for (let tries = 0; ports.length < count; tries += 1) {
      if (tries > 1000) throw new Error(`no free port between ${PORT_LOW} and ${PORT_HIGH} on ${address}`);
      const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW + 1));
      if (ports.includes(port)) continue;
      const server = createServer();
      if (await listenOn(server, port, address)) {
        servers.push(server);
        ports.push(port);
      }
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Polls `check` until it returns without throwing, or fails with its last error. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw lastError instanceof Error ? lastError : new Error(`eventually: timed out after ${timeoutMs} ms: ${String(lastError)}`);
}

export interface StartOptions {
  /** Kubernetes mode with this kubeconfig (or none, for in-cluster config from `env`); manifests mode otherwise. */
  kube?: { kubeconfig?: string };
  /** Serve this existing directory instead of a new temporary one (manifests mode). */
  manifestsDir?: string;
  flags?: string[];
  /** Files written before start: name → objects or raw text. */
  files?: Record<string, Json[] | string>;
  env?: NodeJS.ProcessEnv;
  /** Resolve once the process has started instead of waiting for /readyz. */
  noWait?: boolean;
}

export class Portero {
  readonly logs: string[] = [];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly child: ChildProcess,
    readonly manifests: string,
    readonly stateDir: string,
    readonly httpPort: number,
    readonly httpsPort: number,
    readonly healthPort: number,
  ) {
    // A chunk may end inside a line: keep the unfinished part per stream until its newline arrives,
    // so that a JSON log line split across two reads is still one entry.
    const collector = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        this.logs.push(...lines.filter((line) => line !== ''));
      };
    };
    child.stdout?.on('data', collector());
    child.stderr?.on('data', collector());
    this.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Writes a manifest file the way editors and tools do: write a temporary file, then rename it. */
  async write(name: string, content: Json[] | string): Promise<void> {
    const path = join(this.manifests, name);
    const temporary = join(this.manifests, `.${name.replace(/\//g, '_')}.${process.pid}.${Date.now()}.tmp`);
    await writeFile(temporary, typeof content === 'string' ? content : toYaml(content));
    await rename(temporary, path);
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.manifests, name), { force: true });
  }

  /** Structured log lines (JSON) emitted so far. */
  entries(): Record<string, unknown>[] {
    return this.logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async waitForLog(predicate: (entry: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return eventually(() => {
      const found = this.entries().find(predicate);
      if (!found) throw new Error(`no matching log line; logs so far:\n${this.logs.slice(-30).join('\n')}`);
      return found;
    }, timeoutMs);
  }

  /**
   * Resolves with the first log entry written from now on that matches, as
   * soon as its line arrives (no polling): for acting at a precise moment,
   * e.g. signalling Portero the instant HAProxy's master begins a reload.
   * Call it before causing the event.
   */
  nextLog(predicate: (entry: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const stdout = this.child.stdout;
    if (!stdout) return Promise.reject(new Error('no stdout to watch'));
    return new Promise((resolve, reject) => {
      let partial = '';
      const done = () => {
        clearTimeout(timer);
        stdout.off('data', onData);
      };
      const onData = (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (predicate(entry)) {
            done();
            resolve(entry);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching log line within ${timeoutMs} ms; logs so far:\n${this.logs.slice(-30).join('\n')}`));
      }, timeoutMs);
      stdout.on('data', onData);
    });
  }

  /** The value of one series on /metrics (`name` or `name{labels}`), undefined when absent. */
  async metric(series: string): Promise<number | undefined> {
    const text = await (await fetch(`http://127.0.0.1:${this.healthPort}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  /** Waits until the files of the loaded generation reflect HAProxy's live state (after runtime changes they follow within seconds). */
  async filesSynced(): Promise<void> {
    await eventually(async () => {
      if ((await this.metric('portero_dataplane_files_synced')) !== 1) throw new Error('the files have not caught up with the live state');
    });
  }

  async health(path: '/healthz' | '/readyz'): Promise<number> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.healthPort}${path}`);
      return response.status;
    } catch {
      return 0;
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 40_000)));
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (!result) {
      this.child.kill('SIGKILL');
      return this.exit;
    }
    return result;
  }

  /** Stops Portero and removes its directories. */
  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.manifests, { recursive: true, force: true });
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

export async function startPortero(options: StartOptions = {}): Promise<Portero> {
  const manifests = options.manifestsDir ?? (await mkdtemp(join(tmpdir(), 'portero-manifests-')));
  const stateDir = await mkdtemp(join(tmpdir(), 'portero-state-'));
  for (const [name, content] of Object.entries(options.files ?? {})) {
    await writeFile(join(manifests, name), typeof content === 'string' ? content : toYaml(content));
  }
  // Distinct from each other and from any port the test's flags name (e.g. --haproxy-metrics-port).
  const taken = new Set((options.flags ?? []).filter((flag) => /^[0-9]+$/.test(flag)).map(Number));
  let ports = await freePorts(3);
  while (ports.some((port) => taken.has(port))) ports = await freePorts(3);
  const [httpPort, httpsPort, healthPort] = ports as [number, number, number];
  const source = options.kube ? (options.kube.kubeconfig ? ['--kubeconfig', options.kube.kubeconfig] : []) : ['--manifests', manifests];
  const flags = [
    ...source,
    '--state-dir', stateDir,
    '--http-port', String(httpPort),
    '--https-port', String(httpsPort),
    '--health-port', String(healthPort),
    '--bind-address', '127.0.0.1',
    '--log-level', 'debug',
    // Tests stop Portero often; the graceful-shutdown test sets its own period.
    '--shutdown-grace-period', '0s',
    // HAProxy's exporter on its default port would be shared by tests running at once (SO_REUSEPORT).
    ...(options.flags?.includes('--haproxy-metrics-port') ? [] : ['--haproxy-metrics-port', '0']),
    ...(options.flags ?? []),
  ];
  // Kubernetes mode reads only what the test gives it: no KUBECONFIG from the environment.
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.kube) delete env.KUBECONFIG;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [BIN, ...flags], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const portero = new Portero(child, manifests, stateDir, httpPort, httpsPort, healthPort);
  if (options.noWait) return portero;
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`portero exited with ${child.exitCode}:\n${portero.logs.join('\n')}`);
      if ((await portero.health('/readyz')) !== 200) throw new Error(`portero not ready:\n${portero.logs.slice(-20).join('\n')}`);
    }, 30_000, 25);
  } catch (error) {
    await portero.dispose();
    throw error;
  }
  return portero;
}
