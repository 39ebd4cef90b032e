// Portero under benchmark: the real bin/portero with real HAProxy, plus
// helpers to find its HAProxy processes, read its metrics and poll traffic.

import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { startPortero, type Portero, type StartOptions } from '../../test/helpers/portero.js';

export { type Portero };

export async function startBenchPortero(options: StartOptions = {}): Promise<Portero> {
  return startPortero({ ...options, flags: [...(options.flags ?? []), '--log-level', 'warn'] });
}

/**
 * Starts Portero and resolves once /readyz answers 200, polled every 10 ms,
 * however long that takes (up to `deadlineMs`): for start-up benchmarks,
 * where the time is what is measured, on a machine that may be busy.
 */
export async function startAndWaitReady(options: StartOptions, deadlineMs = 180_000): Promise<Portero> {
  const portero = await startPortero({ ...options, noWait: true });
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    if (portero.child.exitCode !== null) throw new Error(`portero exited with ${portero.child.exitCode}:\n${portero.logs.slice(-20).join('\n')}`);
    if ((await portero.health('/readyz')) === 200) return portero;
    if (performance.now() > deadline) {
      await portero.stop();
      throw new Error(`portero not ready within ${deadlineMs / 1000} s:\n${portero.logs.slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function haproxyMasterPid(portero: Portero): Promise<number> {
  return Number((await readFile(join(portero.stateDir, 'haproxy.pid'), 'utf8')).trim());
}

/** The value of a metric (summed over labels matching `labels`) from /metrics. */
export async function metric(portero: Portero, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${portero.healthPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const lineLabels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => lineLabels[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One GET over a kept-alive connection: status and body. */
export function get(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The subject CN of the certificate served for `servername`. */
export function servedCommonName(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      socket.destroy();
      resolve(Array.isArray(cn) ? cn.join(',') : (cn ?? ''));
    });
    socket.on('error', reject);
  });
}

/** Milliseconds from `change()` until `done()` is true, polling as fast as requests go. */
export async function timeToEffect(change: () => Promise<void>, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  await change();
  while (performance.now() - started < timeoutMs) {
    try {
      if (await done()) return performance.now() - started;
    } catch {
      // not yet
    }
  }
  throw new Error(`no effect within ${timeoutMs} ms`);
}
