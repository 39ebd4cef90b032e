// Looking inside the HAProxy that Portero runs: worker PIDs from the master
// CLI, and runtime API answers (show map, show servers state, ...).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseShowProc, sendCommand } from '../../src/dataplane/haproxy/socket-cli.js';

export async function workerPids(stateDir: string): Promise<number[]> {
  return parseShowProc(await sendCommand(join(stateDir, 'master.sock'), 'show proc')).workers;
}

export async function currentWorker(stateDir: string): Promise<number> {
  const workers = await workerPids(stateDir);
  if (workers.length !== 1) throw new Error(`expected one current worker, found ${workers.join(',')}`);
  return workers[0]!;
}

export async function runtimeCommand(stateDir: string, command: string): Promise<string> {
  return sendCommand(join(stateDir, 'admin.sock'), command);
}

/** `show map` of a map file of the current generation, as sorted `key value` lines. */
export async function showMap(stateDir: string, file: string): Promise<string[]> {
  const maps = await runtimeCommand(stateDir, 'show map');
  const path = maps.split('\n').map((line) => /\((\/[^)]+)\)/.exec(line)?.[1]).find((candidate) => candidate?.endsWith(`/${file}`));
  if (!path) throw new Error(`no map ${file} loaded:\n${maps}`);
  const content = await runtimeCommand(stateDir, `show map ${path}`);
  return content.split('\n').filter(Boolean).map((line) => line.split(' ').slice(1).join(' ')).sort();
}

/** Servers of every backend: `backend server address:port admin-state` lines, sorted. */
export async function showServers(stateDir: string): Promise<string[]> {
  const state = await runtimeCommand(stateDir, 'show servers state');
  return state
    .split('\n')
    .filter((line) => /^\d/.test(line))
    .map((line) => {
      const f = line.split(' ');
      return `${f[1]} ${f[3]} ${f[4]}:${f[18]} admin=${f[6]}`;
    })
    .sort();
}

/** The generation directory named by haproxy.cfg: the files HAProxy loaded (or will, at its next start). */
export async function loadedGeneration(stateDir: string): Promise<string> {
  const config = await readFile(join(stateDir, 'haproxy.cfg'), 'utf8');
  const match = /\/(gen-\d+)\//.exec(config);
  if (!match) throw new Error(`haproxy.cfg names no generation:\n${config.slice(0, 500)}`);
  return join(stateDir, match[1]!);
}

/** Every map HAProxy holds equals its file in the loaded generation. */
export async function mapsMatchFiles(stateDir: string, files: readonly string[] = ['hosts.map', 'exact.map', 'prefix.map', 'redirect.map']): Promise<void> {
  const generation = await loadedGeneration(stateDir);
  for (const file of files) {
    const onDisk = (await readFile(join(generation, file), 'utf8')).split('\n').filter(Boolean).sort();
    assert.deepEqual(await showMap(stateDir, file), onDisk, `${file} in HAProxy equals the file`);
  }
}
