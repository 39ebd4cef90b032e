// Instructions per request, counted by valgrind's callgrind: repeatable for
// the same binary and configuration whatever else the machine is doing, so
// it is the steadiest way to compare two configurations' per-request cost.

import { spawn } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Sends `count` requests, one after the other; an answer other than 2xx or 3xx is an error (a 401 would measure the wrong work). */
async function send(port: number, host: string, count: number, headers: Readonly<Record<string, string>>): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < count; i += 1) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/bench', headers: { ...headers, host }, agent }, (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          response.on('end', () => (status >= 200 && status < 400 ? resolve() : reject(new Error(`${host} answered ${status} under callgrind`))));
        });
        req.on('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Total instructions HAProxy executes to start, serve `count` requests, stay
 * idle for `idleMs`, and stop; and how long serving the requests took.
 */
async function totalInstructions(directory: string, configPath: string, port: number, host: string, count: number, idleMs: number, headers: Readonly<Record<string, string>>): Promise<{ instructions: number; servingMs: number }> {
  const outDir = join(directory, `callgrind-${Date.now()}-${count}`);
  await rm(outDir, { recursive: true, force: true });
  await (await import('node:fs/promises')).mkdir(outDir, { recursive: true });
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outDir}/out.%p`, 'haproxy', '-f', configPath, '-db'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let up = false;
  for (let i = 0; i < 1200 && !up; i += 1) {
    try {
      await send(port, host, 1, headers);
      up = true;
    } catch (error) {
      if (/under callgrind/.test((error as Error).message)) {
        child.kill('SIGKILL');
        throw error;
      }
      await sleep(100);
    }
  }
  if (!up) {
    child.kill('SIGKILL');
    throw new Error('HAProxy under valgrind did not come up');
  }
  const started = performance.now();
  await send(port, host, count, headers);
  const servingMs = performance.now() - started;
  if (idleMs > 0) await sleep(idleMs);
  child.kill('SIGUSR1');
  await exited;
  let total = 0;
  for (const file of await readdir(outDir)) {
    const summary = /^summary: (\d+)/m.exec(await readFile(join(outDir, file), 'utf8'));
    total += Number(summary?.[1] ?? 0);
  }
  await rm(outDir, { recursive: true, force: true });
  return { instructions: total, servingMs };
}

/**
 * Instructions per request of a configuration: a run serving `high` requests
 * minus a run serving `low` requests and then idling as long as the extra
 * requests took, divided by `high - low`. Start, stop and timed background
 * work (which grows with the number of servers) cancel out.
 */
export async function instructionsPerRequest(directory: string, config: string, port: number, host: string, low = 200, high = 1200, headers: Readonly<Record<string, string>> = {}): Promise<number> {
  const path = join(directory, `callgrind-${port}.cfg`);
  await writeFile(path, config);
  const a = await totalInstructions(directory, path, port, host, low, 0, headers);
  const b = await totalInstructions(directory, path, port, host, high, 0, headers);
  const c = await totalInstructions(directory, path, port, host, low, Math.max(0, b.servingMs - a.servingMs), headers);
  return Math.round((b.instructions - c.instructions) / (high - low));
}

/** Portero's config, moved to other ports and without its sockets, to run beside it. */
export function standaloneCopy(config: string, httpPort: number, httpsPort: number): string {
  let binds = 0;
  return config
    .split('\n')
    .filter((line) => !/^\s*stats socket /.test(line) && !/^\s*mworker-max-reloads/.test(line))
    .map((line) => {
      if (!/^\s*bind /.test(line)) return line;
      binds += 1;
      return line.replace(/:\d+/, `:${binds === 1 ? httpPort : httpsPort}`);
    })
    .join('\n');
}
