// Start-up at scale: 10,000 Ingresses (each with its Service and
// EndpointSlice) served from four sources, each started `runs` times,
// interleaved:
//
//   json-lists      the JSON List files of the other benchmarks (20 files of 500 applications)
//   yaml-directory  20 multi-document YAML files of 1,500 documents, as users write them
//   yaml-file       the same documents in one YAML file
//   kubernetes      the same objects in the in-repo API test server, as `kubectl apply` leaves
//                   them (see lib/kube-fleet.ts), with Ingress status written by Portero; the
//                   server runs in a process of its own (lib/kube-api-process.ts)
//
// For each run:
//   ready    process start (spawn) → /readyz answers 200 (polled every 10 ms); Portero is
//            ready once HAProxy serves every object of its first complete view.
//   served   ready, then every hundredth host and the last (101 hosts) each answer 200 from
//            the upstream through HAProxy, asked one after the other: the time at which the
//            last of them answered, from process start. A host that does not answer 200 at
//            the first try fails the run.
//   status   (kubernetes) process start → every Ingress has its status written.
//   RSS      VmRSS of the Portero Node process once start-up has settled: 25 s after
//            served (kubernetes: after status), when Portero's start-up collections are long
//            done and V8 has given freed room back. HAProxy (master and workers) separately.
//   peak     VmHWM of the Portero Node process at that time: the most it ever held.
//   log      lines Portero wrote until then, at the default log level (info).

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFleet } from '../lib/fleet.js';
import { startFleetApi, type FleetApi } from '../lib/kube-api-process.js';
import { get, haproxyMasterPid, startAndWaitReady, type Portero } from '../lib/portero.js';
import { median, peakRssMiB, round, rssMiB, treeRssMiB } from '../lib/system.js';
import { writeFleetDirectory, writeFleetFile } from '../lib/user-fleet.js';

export const WORKLOADS = ['json-lists', 'yaml-directory', 'yaml-file', 'kubernetes'] as const;
export type Workload = (typeof WORKLOADS)[number];

const DESCRIPTIONS: Record<Workload, string> = {
  'json-lists': 'directory of 20 JSON List files (500 applications each)',
  'yaml-directory': 'directory of 20 multi-document YAML files (1,500 documents each)',
  'yaml-file': 'one multi-document YAML file (30,000 documents)',
  kubernetes: 'Kubernetes API (in-repo test server), objects as kubectl apply leaves them',
};

export interface StartupRun {
  readySeconds: number;
  servedSeconds: number;
  /** kubernetes only: until every Ingress has its status. */
  statusSeconds?: number;
  porteroRssMiB: number;
  porteroPeakMiB: number;
  haproxyRssMiB: number;
  logLines: number;
}

export interface StartupResult {
  workload: Workload;
  description: string;
  ingresses: number;
  /** Hosts checked per run. */
  checked: number;
  runs: StartupRun[];
  median: StartupRun;
}

const SETTLE_MS = 25_000;

export function medianRun(runs: readonly StartupRun[]): StartupRun {
  const of = (pick: (run: StartupRun) => number | undefined, digits: number) => round(median(runs.map(pick).filter((v): v is number => v !== undefined)), digits);
  const result: StartupRun = {
    readySeconds: of((r) => r.readySeconds, 2),
    servedSeconds: of((r) => r.servedSeconds, 2),
    porteroRssMiB: of((r) => r.porteroRssMiB, 1),
    porteroPeakMiB: of((r) => r.porteroPeakMiB, 1),
    haproxyRssMiB: of((r) => r.haproxyRssMiB, 1),
    logLines: of((r) => r.logLines, 0),
  };
  if (runs.some((run) => run.statusSeconds !== undefined)) result.statusSeconds = of((r) => r.statusSeconds, 2);
  return result;
}

/** `promise`, or a failure after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** One start of Portero on `source`; `workload` names it in errors. Also used by the gateway scenario. */
export async function oneRun(workload: string, source: { manifests?: string; api?: FleetApi }, sample: readonly string[], upstreamPort: number): Promise<StartupRun> {
  const flags = ['--log-level', 'info'];
  const started = performance.now();
  const seconds = () => round((performance.now() - started) / 1000, 2);
  let portero: Portero | undefined;
  try {
    portero = source.api
      ? await startAndWaitReady({ kube: { kubeconfig: source.api.kubeconfig }, flags: [...flags, '--publish-status-address', '192.0.2.10'] })
      : await startAndWaitReady({ manifestsDir: source.manifests!, flags });
    const readySeconds = seconds();
    for (const host of sample) {
      const { status, body } = await get(portero.httpPort, host, '/');
      if (status !== 200 || !body.includes(`ok ${upstreamPort}`)) throw new Error(`${workload}: ${host} answered ${status} after Portero became ready`);
    }
    const servedSeconds = seconds();
    let statusSeconds: number | undefined;
    if (source.api) {
      statusSeconds = round(((await within(source.api.statusWritten, 180_000, 'kubernetes: Ingress status not written within 180 s')) - started) / 1000, 2);
    }
    await sleep(SETTLE_MS);
    const pid = portero.child.pid!;
    return {
      readySeconds,
      servedSeconds,
      ...(statusSeconds !== undefined ? { statusSeconds } : {}),
      porteroRssMiB: round(rssMiB(pid), 1),
      porteroPeakMiB: round(peakRssMiB(pid), 1),
      haproxyRssMiB: round(treeRssMiB(await haproxyMasterPid(portero)), 1),
      logLines: portero.logs.length,
    };
  } finally {
    // Not dispose(): that would remove the manifests, which the next run reads again.
    await portero?.stop();
    if (portero) await rm(portero.stateDir, { recursive: true, force: true });
  }
}

export interface StartupOptions {
  size: number;
  upstreamPort: number;
  runs: number;
  workloads?: readonly Workload[];
  log?: (message: string) => void;
}

export async function startup(work: string, options: StartupOptions): Promise<StartupResult[]> {
  const { size, upstreamPort } = options;
  const workloads = options.workloads ?? WORKLOADS;
  const directories: Partial<Record<Workload, string>> = {};
  let hosts: string[] = [];
  for (const workload of workloads) {
    const directory = join(work, `startup-${workload}`);
    if (workload === 'json-lists') hosts = (await writeFleet(directory, size, upstreamPort)).filter((host) => host !== 'example.com');
    if (workload === 'yaml-directory') hosts = await writeFleetDirectory(directory, { count: size, upstreamPort, files: 20 });
    if (workload === 'yaml-file') {
      await mkdir(directory, { recursive: true });
      hosts = await writeFleetFile(join(directory, 'fleet.yaml'), { count: size, upstreamPort });
    }
    directories[workload] = directory;
  }
  const sample = hosts.filter((_, index) => index % 100 === 0 || index === hosts.length - 1);
  const runs = new Map<Workload, StartupRun[]>(workloads.map((workload) => [workload, []]));
  try {
    // Interleaved, so that a noisy minute on the shared machine does not land on one workload only.
    for (let pass = 1; pass <= options.runs; pass += 1) {
      for (const workload of workloads) {
        options.log?.(`start-up, ${workload}, run ${pass} of ${options.runs}`);
        if (workload === 'kubernetes') {
          // A fresh API server each run, so every run writes every status.
          const api = await startFleetApi(size, upstreamPort);
          try {
            runs.get(workload)!.push(await oneRun(workload, { api }, sample, upstreamPort));
          } finally {
            await api.close();
          }
        } else {
          runs.get(workload)!.push(await oneRun(workload, { manifests: directories[workload]! }, sample, upstreamPort));
        }
      }
    }
  } finally {
    for (const directory of Object.values(directories)) await rm(directory, { recursive: true, force: true });
  }
  return workloads.map((workload) => ({
    workload,
    description: DESCRIPTIONS[workload],
    ingresses: size,
    checked: sample.length,
    runs: runs.get(workload)!,
    median: medianRun(runs.get(workload)!),
  }));
}
