// Measures a real `bin/portero --manifests DIR` (with real HAProxy) on the
// scale workload: time from start until every application is served, and
// Portero's memory (VmRSS once settled, VmHWM as the peak).
//
//   node --import tsx test/helpers/manifests-measure.ts [files] [runs] [apps]
//
// `files` is 20 (the default: 20 files of 1,500 documents) or 1 (one large
// file with the same objects). Prints one JSON line per run, then medians.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackend } from './backends.js';
import { whoAnswers } from './http.js';
import { writeManifestsScale } from './manifests-scale.js';
import { startPortero } from './portero.js';

export interface ProcessMemory {
  rssMiB: number;
  peakMiB: number;
}

/** CPU time (user + system) a process has used so far, in seconds. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

export interface ScaleRun {
  files: number;
  apps: number;
  megabytes: number;
  /** From spawning Portero until the sampled hosts (every 100th and the last) all answer. */
  servedSeconds: number;
  /** Portero's CPU time until served: less sensitive than wall time to other load on the machine. */
  cpuSeconds: number;
  settledRssMiB: number;
  peakRssMiB: number;
}

/** One run: writes the workload, starts Portero, waits until served, then `settleMs` for memory to settle. */
export async function measureScale(files: number, apps = 10_000, settleMs = 25_000): Promise<ScaleRun> {
  const backend = await startBackend('scale');
  const directory = await mkdtemp(join(tmpdir(), 'portero-scale-'));
  try {
    const workload = await writeManifestsScale(directory, { apps, files, backend });
    const sample = workload.hosts.filter((_, index) => index % 100 === 0 || index === workload.hosts.length - 1);
    const started = performance.now();
    const portero = await startPortero({ manifestsDir: directory, noWait: true, flags: ['--log-level', 'warn'] });
    try {
      for (;;) {
        if (portero.child.exitCode !== null) throw new Error(`portero exited:\n${portero.logs.join('\n')}`);
        const answers = await Promise.all(sample.slice(-1).map((host) => whoAnswers(portero.httpPort, host, '/').catch(() => 'down')));
        if (answers.every((answer) => answer === 'scale')) break;
        await sleep(10);
      }
      const servedSeconds = (performance.now() - started) / 1000;
      const cpuSeconds = await processCpuSeconds(portero.child.pid!);
      for (const host of sample) {
        const answer = await whoAnswers(portero.httpPort, host, '/');
        if (answer !== 'scale') throw new Error(`${host} answered ${answer}`);
      }
      await sleep(settleMs);
      const memory = await processMemory(portero.child.pid!);
      return {
        files,
        apps,
        megabytes: Math.round(workload.bytes / 1e5) / 10,
        servedSeconds: Math.round(servedSeconds * 100) / 100,
        cpuSeconds,
        settledRssMiB: Math.round(memory.rssMiB),
        peakRssMiB: Math.round(memory.peakMiB),
      };
    } finally {
      await portero.dispose();
    }
  } finally {
    await backend.close();
    await rm(directory, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = Number(process.argv[2] ?? 20);
  const runs = Number(process.argv[3] ?? 3);
  const apps = Number(process.argv[4] ?? 10_000);
  const results: ScaleRun[] = [];
  for (let run = 0; run < runs; run += 1) {
    const result = await measureScale(files, apps);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  console.log(
    JSON.stringify({
      median: true,
      files,
      apps,
      servedSeconds: median(results.map((r) => r.servedSeconds)),
      cpuSeconds: median(results.map((r) => r.cpuSeconds)),
      settledRssMiB: median(results.map((r) => r.settledRssMiB)),
      peakRssMiB: median(results.map((r) => r.peakRssMiB)),
    }),
  );
}
